import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('categories')
export class Category {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column('text', { unique: true })
  slug: string;
}

@Entity('products')
export class Product {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column('text', { default: '' })
  description: string;

  @Column('int', { name: 'price_cents' })
  priceCents: number;

  @Column('uuid', { name: 'category_id', nullable: true })
  categoryId: string | null;

  @Column('uuid', { name: 'image_asset_ids', array: true, default: () => "'{}'" })
  imageAssetIds: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** Variants of an image, learned from media's `media.asset.ready.v1` events (the async path). */
@Entity('product_images')
export class ProductImage {
  @Column('uuid', { name: 'asset_id', primary: true })
  assetId: string;

  @Column('jsonb')
  variants: { name: string; width: number; height: number; contentType: string; bytes: number }[];
}
