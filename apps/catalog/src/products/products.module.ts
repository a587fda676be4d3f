import { Module } from '@nestjs/common';
import { CatalogEventHandlers } from './cache-invalidation';
import { ProductsController } from './products.controller';
import { ProductsService } from './products.service';

@Module({ controllers: [ProductsController], providers: [ProductsService, CatalogEventHandlers] })
export class ProductsModule {}
