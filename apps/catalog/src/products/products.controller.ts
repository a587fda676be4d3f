import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiNotModifiedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '@saas/auth';
import { ApiProblems, ApiUuidParam, ConflictError, HttpCacheable, type JsonText } from '@saas/server';
import { CreateProductDto, ListProductsQuery, ProductDetailDto, ProductDto, ProductPageDto, UpdateProductDto } from './dtos/products.dto';
import { ProductsService } from './products.service';

const IF_NONE_MATCH = { name: 'If-None-Match', required: false, description: 'An ETag from an earlier answer: 304 when it still matches' };
const ETAG_HEADERS = {
  ETag: { description: 'Weak validator of this representation', schema: { type: 'string' } },
  'Cache-Control': { description: 'How long shared caches may keep it', schema: { type: 'string' } },
};

/**
 * A product naming a category that does not exist (or was just deleted) breaks the foreign key; that is
 * the client's mistake, so it is a 409 with a code rather than an unexpected 500.
 */
function unknownCategory(error: unknown): never {
  const cause = (error as { driverError?: { code?: string; constraint?: string } }).driverError;
  if (cause?.code === '23503' && cause.constraint?.includes('category')) {
    throw new ConflictError('catalog.unknown_category', 'categoryId names no existing category.');
  }
  throw error;
}

@ApiTags('products')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @HttpCacheable('public, max-age=5')
  @ApiOperation({ summary: 'A page of products, newest first (keyset), with filters and full-text search' })
  @ApiHeader(IF_NONE_MATCH)
  @ApiOkResponse({ type: ProductPageDto, headers: ETAG_HEADERS })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched' })
  @ApiProblems([400, 'Invalid filters, or a cursor that is not a nextCursor'], 503)
  list(@Query() query: ListProductsQuery): Promise<ProductPageDto | JsonText<ProductPageDto>> {
    return this.products.list(query);
  }

  @Get(':id')
  @HttpCacheable('public, max-age=30')
  @ApiOperation({ summary: 'One product, with live image URLs from media (degrades to media.live: false)' })
  @ApiUuidParam('id')
  @ApiHeader(IF_NONE_MATCH)
  @ApiOkResponse({ type: ProductDetailDto, headers: ETAG_HEADERS })
  @ApiNotModifiedResponse({ description: 'If-None-Match matched' })
  @ApiProblems(400, 404, 503)
  get(@Param('id', ParseUUIDPipe) id: string): Promise<ProductDetailDto> {
    return this.products.get(id);
  }

  @Post()
  @Authenticated('admin')
  @ApiOperation({ summary: 'Create a product (admin)' })
  @ApiCreatedResponse({ type: ProductDto })
  @ApiProblems(400, [409, 'categoryId names no existing category'], 413, 415, 503)
  create(@Body() dto: CreateProductDto): Promise<ProductDto> {
    return this.products.create(dto).catch(unknownCategory);
  }

  @Patch(':id')
  @Authenticated('admin')
  @ApiOperation({ summary: 'Change some fields of a product (admin); at least one field' })
  @ApiUuidParam('id')
  @ApiOkResponse({ type: ProductDto })
  @ApiProblems(400, 404, [409, 'categoryId names no existing category'], 413, 415, 503)
  update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateProductDto): Promise<ProductDto> {
    return this.products.update(id, dto).catch(unknownCategory);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated('admin')
  @ApiOperation({ summary: 'Delete a product (admin)' })
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 404, 503)
  remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.products.remove(id);
  }
}
