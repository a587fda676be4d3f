import { FilesystemStorage } from './filesystem.driver';
import type { StorageDriver } from './storage.driver';

/** Builds the configured driver and checks it before the service starts serving. */
export async function createStorage(config: { MEDIA_STORAGE_DRIVER: 'filesystem'; MEDIA_STORAGE_DIR: string }): Promise<StorageDriver> {
  const driver = new FilesystemStorage(config.MEDIA_STORAGE_DIR);
  try {
    await driver.verify();
  } catch (error) {
    throw new Error(`MEDIA_STORAGE_DIR ${config.MEDIA_STORAGE_DIR} is not a usable directory: ${(error as Error).message}`);
  }
  return driver;
}
export { StorageDriver, originalKey, variantKey, type StoredObject } from './storage.driver';
export { FilesystemStorage } from './filesystem.driver';
