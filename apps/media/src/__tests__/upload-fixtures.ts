import { request } from 'node:http';
import sharp from 'sharp';

/** A multipart/form-data body with one file part, as a browser would send it. */
export function multipartBody(content: Buffer, filename: string, contentType: string): { body: Buffer; contentType: string } {
  const boundary = `----saas${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function upload(baseUrl: string, token: string | undefined, content: Buffer, filename: string, contentType = 'application/octet-stream') {
  const { body, contentType: type } = multipartBody(content, filename, contentType);
  return fetch(`${baseUrl}/media/assets`, {
    method: 'POST',
    headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
}

/** A photo-like JPEG of at least `minBytes` (noise does not compress). */
export async function bigJpeg(minBytes: number): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 3600, height: 2400, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .jpeg({ quality: 100 })
    .toBuffer();
  if (jpeg.length < minBytes) throw new Error(`test JPEG is only ${jpeg.length} bytes`);
  return jpeg;
}

export const smallPng = () => sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } }).png().toBuffer();

/**
 * Streams a multipart upload of `totalBytes` in chunks with a raw HTTP client (chunked encoding, so no
 * Content-Length tells the server in advance) and stops as soon as a response arrives. Returns the
 * status and how many bytes had been sent by then.
 */
export function streamOversizedUpload(
  baseUrl: string,
  token: string,
  totalBytes: number,
): Promise<{ status: number; sentBytes: number; body: string; contentType?: string }> {
  const url = new URL(`${baseUrl}/media/assets`);
  const boundary = `----saas${Math.random().toString(16).slice(2)}`;
  const jpegHead = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' },
    });
    req.on('response', (response) => {
      answered = true;
      response.on('end', () => req.destroy());
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, sentBytes: sent, body, contentType: response.headers['content-type'] }));
      response.on('error', () => resolve({ status: response.statusCode ?? 0, sentBytes: sent, body, contentType: response.headers['content-type'] }));
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const write = (chunk: Buffer) =>
      new Promise<void>((done) => {
        sent += chunk.length;
        if (req.write(chunk)) return done();
        const onDrain = () => {
          clearTimeout(timer);
          done();
        };
        const timer = setTimeout(() => {
          req.off('drain', onDrain);
          done();
        }, 50);
        req.once('drain', onDrain);
      });
    void (async () => {
      await write(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="huge.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`));
      await write(jpegHead);
      const chunk = Buffer.alloc(256 * 1024, 7);
      while (!answered && sent < totalBytes) {
        await write(chunk);
        await new Promise((r) => setImmediate(r));
      }
      if (!answered) req.end(`\r\n--${boundary}--\r\n`);
    })().catch(() => undefined);
  });
}
