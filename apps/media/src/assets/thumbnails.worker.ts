import { writeSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { TOPICS, type Envelope } from '@saas/contracts';
import { EventConsumers, Outbox } from '@saas/messaging';
import { counter } from '@saas/observability';
import sharp from 'sharp';
import type { EntityManager } from 'typeorm';
import { StorageDriver, originalKey, variantKey } from '../storage/storage.driver';
import { Asset, AssetVariant } from './asset.entity';
import { MediaSettings } from './media-settings';
import { VARIANT_CONTENT_TYPE, VARIANTS } from './variants';

/** The image itself is bad (corrupt, truncated, too many pixels): retrying cannot help. */
class UnprocessableImage extends Error {}

/**
 * Consumes `media.asset.uploaded.v1` and makes the variants with sharp, then marks the asset
 * `ready` and publishes `media.asset.ready.v1` (or `failed` + `media.asset.failed.v1` for an image
 * that cannot be decoded). The whole job runs inside the consumer's transaction (inbox row, asset
 * row lock, variant rows, outbox event): a crash anywhere before the commit leaves no trace in the
 * database and the event is redelivered. Variant files are written atomically under fixed keys,
 * so a redelivered job overwrites them: one set of variants, whatever the crashes.
 */
@Injectable()
export class ThumbnailWorker implements OnModuleInit {
  private readonly logger = new Logger('ThumbnailWorker');
  private readonly jobs = counter('media_thumbnail_jobs_total', 'Thumbnail jobs by outcome', ['outcome']);

  constructor(
    private readonly consumers: EventConsumers,
    private readonly outbox: Outbox,
    private readonly storage: StorageDriver,
    private readonly settings: MediaSettings,
  ) {}

  onModuleInit(): void {
    if (!this.settings.workerEnabled) return;
    this.consumers.register({
      group: this.settings.consumerGroup,
      topics: [TOPICS.asset],
      handlers: { 'media.asset.uploaded.v1': (event, em) => this.process(event, em) },
      // Rendering takes CPU seconds: a rolled-back batch would render every image before the failing one again.
      maxBatchSize: 1,
    });
  }

  async process(event: Envelope<'media.asset.uploaded.v1'>, em: EntityManager): Promise<void> {
    const assets = em.getRepository(Asset);
    const asset = await assets.findOne({ where: { id: event.data.assetId }, lock: { mode: 'pessimistic_write' } });
    if (!asset || asset.status !== 'processing') {
      this.jobs.inc({ outcome: 'skipped' });
      return; // deleted meanwhile, or already done by an earlier delivery
    }
    let rendered: AssetVariant[];
    try {
      rendered = await this.render(asset);
    } catch (error) {
      if (!(error instanceof UnprocessableImage)) throw error; // storage trouble: retry, then dead-letter
      const reason = error.message.slice(0, 500);
      await assets.update({ id: asset.id }, { status: 'failed', failureReason: reason });
      await this.outbox.publish(em, 'media.asset.failed.v1', asset.id, { assetId: asset.id, ownerId: asset.ownerId, reason });
      this.jobs.inc({ outcome: 'failed' });
      this.logger.warn(`asset ${asset.id} failed: ${reason}`);
      return;
    }
    await em.getRepository(AssetVariant).upsert(rendered, ['assetId', 'name']);
    await assets.update({ id: asset.id }, { status: 'ready', width: asset.width, height: asset.height, failureReason: null });
    await this.outbox.publish(em, 'media.asset.ready.v1', asset.id, {
      assetId: asset.id,
      ownerId: asset.ownerId,
      variants: rendered.map(({ name, width, height, contentType, bytes }) => ({ name, width, height, contentType, bytes })),
    });
    this.jobs.inc({ outcome: 'ready' });
  }

  private async render(asset: Asset): Promise<AssetVariant[]> {
    const original = await buffer(await this.storage.get(originalKey(asset.id)));
    let image: sharp.Sharp;
    try {
      image = sharp(original, { limitInputPixels: this.settings.maxInputPixels, failOn: 'error' });
      const meta = await image.metadata();
      const oriented = meta.orientation && meta.orientation >= 5;
      asset.width = (oriented ? meta.height : meta.width) ?? null;
      asset.height = (oriented ? meta.width : meta.height) ?? null;
    } catch (error) {
      throw new UnprocessableImage(`cannot decode image: ${(error as Error).message}`);
    }
    const variants: AssetVariant[] = [];
    for (const spec of VARIANTS) {
      let output: { data: Buffer; info: sharp.OutputInfo };
      try {
        output = await image
          .clone()
          .rotate() // honour EXIF orientation
          // Never upscale: a small original keeps its size (a blown-up thumbnail only costs bytes).
          .resize({ width: spec.width, height: spec.height, fit: spec.fit, withoutEnlargement: true })
          .webp({ quality: 80 })
          .toBuffer({ resolveWithObject: true });
      } catch (error) {
        throw new UnprocessableImage(`cannot make ${spec.name}: ${(error as Error).message}`);
      }
      const stored = await this.storage.put(variantKey(asset.id, spec.name), Readable.from([output.data]));
      variants.push(
        Object.assign(new AssetVariant(), {
          assetId: asset.id,
          name: spec.name,
          width: output.info.width,
          height: output.info.height,
          contentType: VARIANT_CONTENT_TYPE,
          bytes: stored.bytes,
          sha256: stored.sha256,
        }),
      );
      if (this.settings.crashAfterVariant === spec.name) {
        // Written synchronously: the (asynchronous) logger would lose the line to the SIGKILL.
        writeSync(2, `MEDIA_WORKER_CRASH_AFTER_VARIANT=${spec.name}: killing the process mid-job (fault injection)\n`);
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => undefined);
      }
    }
    return variants;
  }
}
