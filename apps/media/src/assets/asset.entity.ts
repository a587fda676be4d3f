import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, OneToMany, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type AssetStatus = 'processing' | 'ready' | 'failed';

const bigint = { to: (value: number) => value, from: (value: string | null) => (value === null ? null : Number(value)) };

@Entity('assets')
export class Asset {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'owner_id' })
  ownerId: string;

  @Column('varchar', { length: 16 })
  status: AssetStatus;

  /** As sniffed from the magic bytes, never the client's header. */
  @Column('varchar', { name: 'content_type', length: 100 })
  contentType: string;

  @Column('bigint', { transformer: bigint })
  bytes: number;

  @Column('char', { length: 64 })
  sha256: string;

  @Column('varchar', { name: 'original_filename', length: 255, nullable: true })
  originalFilename: string | null;

  @Column('integer', { nullable: true })
  width: number | null;

  @Column('integer', { nullable: true })
  height: number | null;

  @Column('varchar', { name: 'failure_reason', length: 500, nullable: true })
  failureReason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @OneToMany(() => AssetVariant, (variant) => variant.asset)
  variants?: AssetVariant[];
}

@Entity('asset_variants')
export class AssetVariant {
  @PrimaryColumn('uuid', { name: 'asset_id' })
  assetId: string;

  @PrimaryColumn('varchar', { length: 40 })
  name: string;

  @Column('integer')
  width: number;

  @Column('integer')
  height: number;

  @Column('varchar', { name: 'content_type', length: 100 })
  contentType: string;

  @Column('integer')
  bytes: number;

  @Column('char', { length: 64 })
  sha256: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @ManyToOne(() => Asset, (asset) => asset.variants, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'asset_id' })
  asset?: Asset;
}
