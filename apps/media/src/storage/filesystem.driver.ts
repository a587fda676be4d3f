import { createHash, randomUUID } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '@saas/server';
import { StorageDriver, type StoredObject } from './storage.driver';

const KEY = /^[a-z]+(\/[0-9a-z-]+)+$/;

/**
 * Objects as files under one root directory (a volume shared by the media replicas, e.g. a
 * ReadWriteMany PVC). Writes go to a temp file that is fsync'd and renamed into place, so readers
 * never see half a file and a crash leaves at most a temp file behind.
 */
export class FilesystemStorage extends StorageDriver {
  readonly kind = 'filesystem';
  readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async verify(): Promise<void> {
    if (!isAbsolute(this.root)) throw new Error(`MEDIA_STORAGE_DIR must be absolute, got ${this.root}`);
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    await access(this.root, constants.R_OK | constants.W_OK);
    const probe = join(this.root, 'tmp', `.probe-${randomUUID()}`);
    await writeFile(probe, 'ok');
    await rm(probe);
  }

  /** Refuses any key that is not one of ours or would leave the root (defence in depth behind UUID checks). */
  private path(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    const path = resolve(this.root, key);
    const rel = relative(this.root, path);
    if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) throw new Error(`storage key escapes the root: ${key}`);
    return path;
  }

  async put(key: string, body: Readable): Promise<StoredObject> {
    const target = this.path(key);
    const temp = join(this.root, 'tmp', `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let bytes = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, measure, createWriteStream(temp, { flush: true }));
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  async get(key: string): Promise<Readable> {
    const path = this.path(key);
    if (!(await this.exists(key))) throw new NotFoundError('object', key);
    return createReadStream(path);
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      (info) => info.isFile(),
      () => false,
    );
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.path(prefix.replace(/\/$/, ''));
    const names = await readdir(dir).catch(() => [] as string[]);
    return names.map((name) => `${prefix.replace(/\/$/, '')}/${name}`).sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true, recursive: true });
  }
}
