import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '@saas/auth';
import { HttpCacheable } from '@saas/server';
import { CreateProductDto, ListProductsQuery, ProductDetailDto, ProductDto, ProductPageDto, UpdateProductDto } from './dtos/products.dto';
import { ProductsService } from './products.service';

@ApiTags('products')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @HttpCacheable('public, max-age=5')
  @ApiOkResponse({ type: ProductPageDto })
  list(@Query() query: ListProductsQuery): Promise<ProductPageDto> {
    return this.products.list(query);
  }

  @Get(':id')
  @HttpCacheable('public, max-age=30')
  @ApiOkResponse({ type: ProductDetailDto })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<ProductDetailDto> {
    return this.products.get(id);
  }

  @Post()
  @Authenticated('admin')
  @ApiCreatedResponse({ type: ProductDto })
  create(@Body() dto: CreateProductDto): Promise<ProductDto> {
    return this.products.create(dto);
  }

  @Patch(':id')
  @Authenticated('admin')
  @ApiOkResponse({ type: ProductDto })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateProductDto): Promise<ProductDto> {
    return this.products.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated('admin')
  remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.products.remove(id);
  }
}
