import { z } from 'zod';

/**
 * Every event the services exchange: its versioned CloudEvents `type`, the topic of its aggregate
 * (key = aggregate id, so one entity's events stay ordered), and the schema of its `data`.
 * Producers validate before writing the outbox; consumers validate before handling.
 * A breaking change is a new type (`...v2`) published alongside the old one until consumers move.
 */
const id = z.string().uuid();
const displayName = z.string().min(1).max(80);

const user = z.object({ userId: id, email: z.string().email().max(254), displayName });
const product = z.object({
  productId: id,
  name: z.string().min(1).max(200),
  priceCents: z.number().int().min(0),
  categoryId: id.nullable(),
  imageAssetIds: z.array(id).max(20),
});
const variant = z.object({
  name: z.string().min(1).max(40),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  contentType: z.string().min(1).max(100),
  bytes: z.number().int().nonnegative(),
});

export const TOPICS = {
  user: 'auth.user.v1',
  product: 'catalog.product.v1',
  asset: 'media.asset.v1',
  profile: 'profile.profile.v1',
} as const;

export const EVENT_CATALOG = {
  'auth.user.registered.v1': { topic: TOPICS.user, data: user },
  'auth.user.updated.v1': { topic: TOPICS.user, data: user },
  'auth.user.deleted.v1': { topic: TOPICS.user, data: z.object({ userId: id }) },
  'catalog.product.created.v1': { topic: TOPICS.product, data: product },
  'catalog.product.updated.v1': { topic: TOPICS.product, data: product },
  'catalog.product.deleted.v1': { topic: TOPICS.product, data: z.object({ productId: id }) },
  /** A bulk write (the seed, an import): too many products for one event each; readers drop every cached list. */
  'catalog.products.imported.v1': { topic: TOPICS.product, data: z.object({ batchId: id, count: z.number().int().positive() }) },
  'media.asset.uploaded.v1': {
    topic: TOPICS.asset,
    data: z.object({ assetId: id, ownerId: id, contentType: z.string().min(1).max(100), bytes: z.number().int().nonnegative() }),
  },
  'media.asset.ready.v1': {
    topic: TOPICS.asset,
    data: z.object({ assetId: id, ownerId: id, variants: z.array(variant).min(1).max(10) }),
  },
  'media.asset.failed.v1': {
    topic: TOPICS.asset,
    data: z.object({ assetId: id, ownerId: id, reason: z.string().min(1).max(500) }),
  },
  'profile.profile.updated.v1': {
    topic: TOPICS.profile,
    data: z.object({ userId: id, displayName, bio: z.string().max(500).nullable(), avatarAssetId: id.nullable() }),
  },
} as const;

export type EventType = keyof typeof EVENT_CATALOG;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOG)[T]['data']>;

export const dlqTopic = (topic: string) => `${topic}.dlq`;

export const isEventType = (type: unknown): type is EventType =>
  typeof type === 'string' && Object.prototype.hasOwnProperty.call(EVENT_CATALOG, type);
