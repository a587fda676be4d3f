import {
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseEnumPipe,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiHeader,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser, type Principal } from '@saas/auth';
import { ApiProblems, ApiUuidParam, DomainError } from '@saas/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AssetsService } from './assets.service';
import { AssetDto, AssetUrlsBatchDto, AssetUrlsDto } from './dtos/asset.dto';
import { ApiIdsQuery, UrlsQueryDto } from './dtos/urls-query.dto';
import { UploadsService } from './uploads.service';
import { VARIANT_CONTENT_TYPE, VARIANT_NAMES } from './variants';

const VARIANT_ENUM = Object.fromEntries(VARIANT_NAMES.map((name) => [name, name]));
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

@ApiTags('assets')
@Controller()
export class AssetsController {
  constructor(
    private readonly uploads: UploadsService,
    private readonly assets: AssetsService,
  ) {}

  @Post('assets')
  @Authenticated()
  @HttpCode(202)
  @ApiOperation({ summary: 'Upload an image (JPEG, PNG, GIF or WebP), streamed; thumbnails follow asynchronously' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    // The file; other parts are ignored, whatever they hold (in multipart every field is text, so a schema
    // type for them would promise a check nobody makes); more than 4 of them before the file are a 413.
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary', description: 'The image; its type is judged by its first bytes' } },
      additionalProperties: true,
    },
    encoding: { file: { contentType: IMAGE_TYPES.join(', ') } },
  })
  @ApiAcceptedResponse({ type: AssetDto, description: 'Stored; status `processing` until the thumbnail worker is done' })
  @ApiProblems(
    [400, 'Not a valid multipart body, or no file part'],
    [413, 'Larger than MEDIA_MAX_UPLOAD_BYTES (refused as soon as the limit is crossed), or more than 4 fields before the file'],
    [415, 'Not multipart/form-data, or not a JPEG, PNG, GIF or WebP by its first bytes'],
    503,
  )
  upload(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CurrentUser() user: Principal): Promise<AssetDto> {
    // The multipart parser cannot split a body without its boundary: that is the client's error (400), not ours.
    const contentType = request.headers['content-type'] ?? '';
    if (/^multipart\//i.test(contentType) && !/;\s*boundary=[^;\s]/i.test(contentType)) {
      throw new DomainError('media.malformed_multipart', 'multipart/form-data needs a boundary parameter', 400);
    }
    return this.uploads.upload(request, reply, user);
  }

  @Get('assets/:id')
  @Authenticated()
  @ApiOperation({ summary: "An asset's metadata (its owner or an admin)" })
  @ApiUuidParam('id')
  @ApiOkResponse({ type: AssetDto })
  @ApiProblems(400, [403, "Another user's asset"], 404, 503)
  metadata(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<AssetDto> {
    return this.assets.metadata(user, id);
  }

  @Delete('assets/:id')
  @Authenticated()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an asset and its files (its owner or an admin)' })
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, [403, "Another user's asset"], 404, 503)
  remove(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.assets.remove(user, id);
  }

  @Get('assets/:id/urls')
  @ApiOperation({ summary: 'Public variant URLs of one asset (empty `variants` until it is ready)' })
  @ApiUuidParam('id')
  @ApiOkResponse({ type: AssetUrlsDto })
  @ApiProblems(400, 404, 503)
  urls(@Param('id', ParseUUIDPipe) id: string): Promise<AssetUrlsDto> {
    return this.assets.urls(id);
  }

  @Get('urls')
  @ApiOperation({ summary: 'Public variant URLs of up to 50 assets in one call; unknown ids are listed in `missing`' })
  @ApiIdsQuery()
  @ApiOkResponse({ type: AssetUrlsBatchDto })
  @ApiProblems(400, 503)
  urlsOf(@Query() query: UrlsQueryDto): Promise<AssetUrlsBatchDto> {
    return this.assets.urlsOf(query.ids);
  }

  @Get('assets/:id/content/:variant')
  @ApiOperation({ summary: "A variant's bytes: public, immutable, with a strong ETag" })
  @ApiUuidParam('id')
  @ApiParam({ name: 'variant', enum: VARIANT_NAMES })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag from an earlier answer: 304 when it matches' })
  @ApiOkResponse({
    description: 'The variant',
    content: { [VARIANT_CONTENT_TYPE]: { schema: { type: 'string', format: 'binary' } } },
    headers: {
      ETag: { description: 'sha256 of the bytes', schema: { type: 'string' } },
      'Cache-Control': { description: '`public, max-age=31536000, immutable`', schema: { type: 'string' } },
    },
  })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched' })
  @ApiProblems(400, [404, 'No such asset, or the variant is not made yet'], 503)
  async content(
    @Param('id', ParseUUIDPipe) id: string,
    @Param('variant', new ParseEnumPipe(VARIANT_ENUM)) variant: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const content = await this.assets.variant(id, variant, ifNoneMatch);
    reply.header('etag', content.etag).header('cache-control', content.cacheControl);
    if (content.notModified) return void reply.status(304).send();
    await reply.header('content-type', content.contentType).header('content-length', content.length).send(content.body);
  }
}
