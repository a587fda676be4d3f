import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Injectable, Logger } from '@nestjs/common';
import type { Principal } from '@saas/auth';
import { Database } from '@saas/data';
import { Outbox } from '@saas/messaging';
import { DomainError } from '@saas/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StorageDriver, originalKey, type StoredObject } from '../storage/storage.driver';
import { Asset } from './asset.entity';
import { AssetDto } from './dtos/asset.dto';
import { MagicBytesCheck, UnsupportedMediaTypeError } from './image-types';
import { MediaSettings } from './media-settings';

export class PayloadTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super('media.too_large', `uploads are limited to ${limitBytes} bytes`, 413, { limitBytes });
  }
}

/** How long a refused upload may keep sending (discarded) before its connection is cut. */
const LINGER_MS = 2_000;

/** Multipart overhead allowed on top of the file limit when judging Content-Length up front. */
const ENVELOPE_BYTES = 16 * 1024;

const cleanFilename = (name: string | undefined) =>
  name ? name.replace(/[^\w.\- ]+/g, '_').slice(-200) || null : null;

/**
 * Streams one multipart file to storage without buffering it: the size limit is enforced while
 * reading (413 the moment it is crossed; the rest is never parsed or stored), the type by
 * the first bytes (415). Then the asset row and its `media.asset.uploaded.v1` event commit together
 * and the thumbnail worker takes over: the client gets 202 with status `processing`.
 */
@Injectable()
export class UploadsService {
  private readonly logger = new Logger('Uploads');

  constructor(
    private readonly db: Database,
    private readonly outbox: Outbox,
    private readonly storage: StorageDriver,
    private readonly settings: MediaSettings,
  ) {}

  async upload(request: FastifyRequest, reply: FastifyReply, user: Principal): Promise<AssetDto> {
    const limit = this.settings.maxUploadBytes;
    const refuse = (error: DomainError): never => {
      this.stopReading(request);
      throw error;
    };
    if (!request.isMultipart()) refuse(new DomainError('media.not_multipart', 'send the file as multipart/form-data, field "file"', 415));
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit + ENVELOPE_BYTES) refuse(new PayloadTooLargeError(limit));

    const part = await request.file({ limits: { fileSize: limit, files: 1, fields: 4, parts: 5, fieldSize: 1024 } });
    if (!part) return refuse(new DomainError('media.file_missing', 'the multipart body has no file part', 400));

    const id = randomUUID();
    const key = originalKey(id);
    const check = new MagicBytesCheck();
    let tooLarge = false;
    part.file.once('limit', () => {
      tooLarge = true;
      check.destroy(new PayloadTooLargeError(limit));
    });
    let stored: StoredObject;
    try {
      // Storage reads from the check while the multipart file feeds it: nothing is buffered whole.
      [stored] = await Promise.all([this.storage.put(key, check), pipeline(part.file, check)]);
      if (tooLarge || part.file.truncated) throw new PayloadTooLargeError(limit);
      if (!check.contentType) throw new UnsupportedMediaTypeError();
    } catch (error) {
      await this.storage.delete(key).catch(() => undefined);
      if (tooLarge) return refuse(new PayloadTooLargeError(limit));
      if (error instanceof UnsupportedMediaTypeError || error instanceof PayloadTooLargeError) return refuse(error);
      throw error;
    }

    const contentType = check.contentType;
    try {
      const asset = await this.db.write(async (em) => {
        const saved = await em.getRepository(Asset).save(
          em.getRepository(Asset).create({
            id,
            ownerId: user.userId,
            status: 'processing',
            contentType,
            bytes: stored.bytes,
            sha256: stored.sha256,
            originalFilename: cleanFilename(part.filename),
            width: null,
            height: null,
            failureReason: null,
          }),
        );
        await this.outbox.publish(em, 'media.asset.uploaded.v1', id, {
          assetId: id,
          ownerId: user.userId,
          contentType: saved.contentType,
          bytes: saved.bytes,
        });
        return saved;
      });
      reply.header('location', `/media/assets/${id}`);
      return AssetDto.of({ ...asset, variants: [] }, this.settings.publicBaseUrl);
    } catch (error) {
      // Nothing refers to the stored original; do not leave it behind.
      await this.storage.delete(key).catch((cleanup: Error) => this.logger.warn(`orphan ${key}: ${cleanup.message}`));
      throw error;
    }
  }

  /**
   * A refused upload is not read any further: the parser is detached, the 413/415 goes out at once,
   * and the rest of the body is discarded for at most LINGER_MS before the connection is cut. (Closing
   * at once would reset the socket while the client is still sending, and it could lose the answer.)
   */
  private stopReading(request: FastifyRequest): void {
    const raw = request.raw;
    raw.unpipe();
    if (raw.complete) return;
    const timer = setTimeout(() => raw.socket?.destroy(), LINGER_MS);
    timer.unref();
    raw.once('end', () => clearTimeout(timer));
    raw.once('close', () => clearTimeout(timer));
  }
}
