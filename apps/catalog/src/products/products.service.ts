import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Cache } from '@saas/cache';
import { Database } from '@saas/data';
import { Outbox } from '@saas/messaging';
import { JsonText, NotFoundError } from '@saas/server';
import type { EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor, type Cursor } from './cursor';
import type { CreateProductDto, ListProductsQuery, ProductDetailDto, ProductDto, ProductPageDto, UpdateProductDto } from './dtos/products.dto';
import { MediaLinks } from './media-links';
import { Product, ProductImage } from './product.entity';

export const LISTS = 'product-lists';
export const productKey = (cache: Cache, id: string) => cache.key('product', id);

@Injectable()
export class ProductsService {
  constructor(
    private readonly db: Database,
    private readonly cache: Cache,
    private readonly outbox: Outbox,
    private readonly mediaLinks: MediaLinks,
  ) {}

  /**
   * Keyset pagination, filters and full-text search; pages are cached under the lists generation and a
   * cached page is sent as the JSON text Redis holds.
   */
  async list(query: ListProductsQuery): Promise<ProductPageDto | JsonText<ProductPageDto>> {
    const cursor = query.cursor ? decodeCursor(query.cursor, query.sort ?? 'newest') : undefined;
    const load = () => this.db.read((em) => this.loadPage(em, query, cursor));
    if (this.db.mustReadYourWrites) return load();
    const generation = await this.cache.generation(LISTS);
    const fingerprint = createHash('sha1').update(JSON.stringify([query.cursor, query.limit, query.categoryId, query.minPriceCents, query.maxPriceCents, query.q, query.sort])).digest('base64url');
    return (await this.cache.getOrLoadJson(this.cache.key('list', `g${generation}`, fingerprint), load, 'product-list')) as JsonText<ProductPageDto>;
  }

  /** The cached product plus live media URLs (sync call, degrades to `media.live: false`). */
  async get(id: string): Promise<ProductDetailDto> {
    const load = () => this.db.read((em) => this.loadOne(em, id));
    const product = this.db.mustReadYourWrites ? await load() : await this.cache.getOrLoad(productKey(this.cache, id), load, 'product');
    if (!product) throw new NotFoundError('product', id);
    return { ...product, media: await this.mediaLinks.forAssets(product.images.map((image) => image.assetId)) };
  }

  async create(dto: CreateProductDto): Promise<ProductDto> {
    return this.db.write(async (em) => {
      const product = await em.getRepository(Product).save({
        name: dto.name,
        description: dto.description ?? '',
        priceCents: dto.priceCents,
        categoryId: dto.categoryId ?? null,
        imageAssetIds: dto.imageAssetIds ?? [],
      });
      await this.publish(em, 'catalog.product.created.v1', product);
      return (await this.loadOne(em, product.id))!;
    });
  }

  async update(id: string, dto: UpdateProductDto): Promise<ProductDto> {
    return this.db.write(async (em) => {
      const product = await em.getRepository(Product).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!product) throw new NotFoundError('product', id);
      Object.assign(product, Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined)));
      await em.getRepository(Product).save(product);
      await this.publish(em, 'catalog.product.updated.v1', product);
      return (await this.loadOne(em, id))!;
    });
  }

  async remove(id: string): Promise<void> {
    await this.db.write(async (em) => {
      const deleted = await em.getRepository(Product).delete({ id });
      if (!deleted.affected) throw new NotFoundError('product', id);
      await this.outbox.publish(em, 'catalog.product.deleted.v1', id, { productId: id });
    });
  }

  private publish(em: EntityManager, type: 'catalog.product.created.v1' | 'catalog.product.updated.v1', product: Product) {
    return this.outbox.publish(em, type, product.id, {
      productId: product.id,
      name: product.name,
      priceCents: product.priceCents,
      categoryId: product.categoryId,
      imageAssetIds: product.imageAssetIds,
    });
  }

  private async loadOne(em: EntityManager, id: string): Promise<ProductDto | null> {
    const product = await em.getRepository(Product).findOneBy({ id });
    return product ? (await this.present(em, [product]))[0] : null;
  }

  private async loadPage(em: EntityManager, query: ListProductsQuery, cursor?: Cursor): Promise<ProductPageDto> {
    const limit = query.limit ?? 20;
    const sort = query.sort ?? 'newest';
    const builder = em.getRepository(Product).createQueryBuilder('p').limit(limit + 1);
    if (sort === 'newest') builder.orderBy('p.created_at', 'DESC').addOrderBy('p.id', 'DESC');
    else builder.orderBy('p.price_cents', sort === 'price_asc' ? 'ASC' : 'DESC').addOrderBy('p.id', sort === 'price_asc' ? 'ASC' : 'DESC');
    if (query.categoryId) builder.andWhere('p.category_id = :categoryId', { categoryId: query.categoryId });
    if (query.minPriceCents !== undefined) builder.andWhere('p.price_cents >= :min', { min: query.minPriceCents });
    if (query.maxPriceCents !== undefined) builder.andWhere('p.price_cents <= :max', { max: query.maxPriceCents });
    if (query.q) builder.andWhere("p.search @@ plainto_tsquery('simple', :q)", { q: query.q });
    if (cursor?.sort === 'newest') builder.andWhere('(p.created_at, p.id) < (:createdAt, :id)', cursor);
    else if (cursor) builder.andWhere(`(p.price_cents, p.id) ${cursor.sort === 'price_asc' ? '>' : '<'} (:priceCents, :id)`, cursor);
    const rows = await builder.getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const position = (product: Product): Cursor =>
      sort === 'newest' ? { sort, createdAt: product.createdAt.toISOString(), id: product.id } : { sort, priceCents: product.priceCents, id: product.id };
    return {
      items: await this.present(em, page),
      nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null,
    };
  }

  /** Attaches image variants learned from media events; images without them are still processing. */
  private async present(em: EntityManager, products: Product[]): Promise<ProductDto[]> {
    const assetIds = [...new Set(products.flatMap((product) => product.imageAssetIds))];
    const images = assetIds.length ? await em.getRepository(ProductImage).createQueryBuilder('i').where('i.asset_id = any(:ids)', { ids: assetIds }).getMany() : [];
    const variants = new Map(images.map((image) => [image.assetId, image.variants]));
    return products.map((product) => ({
      id: product.id,
      name: product.name,
      description: product.description,
      priceCents: product.priceCents,
      categoryId: product.categoryId,
      images: product.imageAssetIds.map((assetId) => {
        const known = variants.get(assetId);
        return { assetId, status: known ? ('ready' as const) : ('processing' as const), variants: known ?? [] };
      }),
      createdAt: product.createdAt.toISOString(),
      updatedAt: product.updatedAt.toISOString(),
    }));
  }
}
