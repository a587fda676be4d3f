// The ceiling for the catalog benchmark: a bare Node http server answering the same cached JSON
// from Redis with ioredis (no framework, no validation, no auth, no metrics).
import { createServer } from 'node:http';
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL);
const key = process.env.BENCH_KEY;
createServer(async (_req, res) => {
  const body = await redis.get(key);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));

// Exit normally on SIGTERM, so a --cpu-prof profile is written.
process.on('SIGTERM', () => process.exit(0));
