import { Transform, type TransformCallback } from 'node:stream';
import { DomainError } from '@saas/server';

/** Image types accepted, recognised by their first bytes ("magic numbers"), never by name or header. */
const SIGNATURES: { type: string; matches: (head: Buffer) => boolean }[] = [
  { type: 'image/jpeg', matches: (head) => head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff },
  {
    type: 'image/png',
    matches: (head) => head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  { type: 'image/gif', matches: (head) => /^GIF8[79]a/.test(head.subarray(0, 6).toString('latin1')) },
  {
    type: 'image/webp',
    matches: (head) => head.length >= 12 && head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP',
  },
];
const HEAD_BYTES = 12;

export const ACCEPTED_TYPES = SIGNATURES.map((signature) => signature.type);

export class UnsupportedMediaTypeError extends DomainError {
  constructor() {
    super('media.unsupported_type', `the content is not one of ${ACCEPTED_TYPES.join(', ')} (checked by its bytes, not its name)`, 415, {
      accepted: ACCEPTED_TYPES,
    });
  }
}

export function sniff(head: Buffer): string | undefined {
  return SIGNATURES.find((signature) => signature.matches(head))?.type;
}

/**
 * Passes a stream through once its first bytes are known to be an accepted image; fails it with
 * UnsupportedMediaTypeError otherwise, before anything past the head is stored.
 */
export class MagicBytesCheck extends Transform {
  contentType?: string;
  private head = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.contentType) return done(null, chunk);
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length < HEAD_BYTES) return done();
    this.decide(done);
  }

  override _flush(done: TransformCallback): void {
    if (this.contentType) return done();
    this.decide(done);
  }

  private decide(done: TransformCallback): void {
    this.contentType = sniff(this.head);
    if (!this.contentType) return done(new UnsupportedMediaTypeError());
    const head = this.head;
    this.head = Buffer.alloc(0);
    done(null, head);
  }
}
