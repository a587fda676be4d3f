import type { Readable } from 'node:stream';

export interface StoredObject {
  bytes: number;
  /** Hex sha256 of the content, computed while writing (the ETag of immutable content). */
  sha256: string;
}

/**
 * Where originals and variants live. Writes are atomic and idempotent: an object appears whole
 * under its key or not at all, and writing a key again replaces it (so a retried thumbnail job
 * leaves one set of variants). Keys are built by the service from UUIDs and fixed names only.
 */
export abstract class StorageDriver {
  abstract readonly kind: string;
  /** Checks the backing store at start (exists, writable); throws with a clear message otherwise. */
  abstract verify(): Promise<void>;
  abstract put(key: string, body: Readable): Promise<StoredObject>;
  abstract get(key: string): Promise<Readable>;
  abstract exists(key: string): Promise<boolean>;
  /** Every key under a prefix (e.g. `variants/<assetId>/`). */
  abstract list(prefix: string): Promise<string[]>;
  abstract delete(key: string): Promise<void>;
}

export const originalKey = (assetId: string) => `originals/${assetId}`;
export const variantKey = (assetId: string, variant: string) => `variants/${assetId}/${variant}`;
