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
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser, type Principal } from '@saas/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AssetsService } from './assets.service';
import { AssetDto, AssetUrlsDto } from './dtos/asset.dto';
import { UrlsQueryDto } from './dtos/urls-query.dto';
import { UploadsService } from './uploads.service';
import { VARIANT_NAMES } from './variants';

const VARIANT_ENUM = Object.fromEntries(VARIANT_NAMES.map((name) => [name, name]));

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
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiAcceptedResponse({ type: AssetDto, description: 'Stored; status `processing` until the thumbnail worker is done' })
  @ApiPayloadTooLargeResponse({ description: 'Larger than MEDIA_MAX_UPLOAD_BYTES (refused as soon as the limit is crossed)' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not a JPEG, PNG, GIF or WebP by its first bytes' })
  upload(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CurrentUser() user: Principal): Promise<AssetDto> {
    return this.uploads.upload(request, reply, user);
  }

  @Get('assets/:id')
  @Authenticated()
  @ApiOkResponse({ type: AssetDto })
  @ApiForbiddenResponse({ description: "Another user's asset" })
  metadata(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<AssetDto> {
    return this.assets.metadata(user, id);
  }

  @Delete('assets/:id')
  @Authenticated()
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: "Another user's asset" })
  remove(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.assets.remove(user, id);
  }

  @Get('assets/:id/urls')
  @ApiOkResponse({ type: AssetUrlsDto, description: 'Public. Variant URLs once the asset is ready (empty `variants` before)' })
  urls(@Param('id', ParseUUIDPipe) id: string): Promise<AssetUrlsDto> {
    return this.assets.urls(id);
  }

  @Get('urls')
  @ApiOkResponse({ description: 'Public. `{ assets: AssetUrls[], missing: string[] }` for up to 50 ids' })
  urlsOf(@Query() query: UrlsQueryDto): Promise<{ assets: AssetUrlsDto[]; missing: string[] }> {
    return this.assets.urlsOf(query.ids);
  }

  @Get('assets/:id/content/:variant')
  @ApiProduces('image/webp')
  @ApiOkResponse({ description: 'The variant, with a strong ETag and `Cache-Control: public, max-age=31536000, immutable`' })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched' })
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
