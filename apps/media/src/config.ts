import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { platformEnv } from '@saas/platform';

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'])
    .default(fallback)
    .transform((value) => value === 'true');

/** Every setting the media service reads; validated at start (see libs/config). */
export const mediaEnv = {
  ...platformEnv,
  /** Only `filesystem` ships; an S3-compatible driver plugs in behind the same StorageDriver interface. */
  MEDIA_STORAGE_DRIVER: z.enum(['filesystem']).default('filesystem'),
  /** Root of the filesystem driver: an absolute path shared by every media replica (checked writable at start). */
  MEDIA_STORAGE_DIR: z.string().min(1).refine(isAbsolute, 'must be an absolute path'),
  /** Largest accepted upload; a bigger one is refused with 413 as soon as the limit is crossed. */
  MEDIA_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).max(500 * 1024 * 1024).default(25 * 1024 * 1024),
  /** Largest image the thumbnail worker decodes (pixels), against decompression bombs. */
  MEDIA_MAX_INPUT_PIXELS: z.coerce.number().int().min(1_000).max(500_000_000).default(100_000_000),
  /** Prefix of the variant URLs handed out (e.g. the public origin `https://example.com`); empty means relative URLs. */
  MEDIA_PUBLIC_BASE_URL: z
    .string()
    .url('must be an absolute URL like https://example.com')
    .optional()
    .transform((value) => (value ?? '').replace(/\/+$/, '')),
  /** Runs the thumbnail worker (Kafka consumer) in this process; false makes an API-only replica. */
  MEDIA_WORKER_ENABLED: flag('true'),
  /**
   * Fault injection for the crash-recovery drill: the worker kills its own process (SIGKILL) right
   * after writing this variant, before committing. Never set it in production.
   */
  MEDIA_WORKER_CRASH_AFTER_VARIANT: z.enum(['thumb', 'medium']).optional(),
};
