#!/usr/bin/env node
// The demos' load generator: plain Node, no dependencies, so it runs in the release's own service image
// (no third-party image to pull). Each request opens a new connection on purpose: a Kubernetes Service
// (kube-proxy) picks an endpoint per connection, so pods the HPA adds get traffic at once and a pod that
// drains is left at once — a keep-alive pool would pin the load to the pods that existed at the start.
//
//   TARGET=http://svc:3002/catalog/products DURATION=60s RPS=100 node loadgen.mjs        open loop (fixed arrival rate)
//   TARGET=... DURATION=20s CONCURRENCY=16 node loadgen.mjs                              closed loop (as fast as it serves)
//
// Prints a progress line every PROGRESS_SECONDS (default 5) and, at the end, a summary and one line
// `LOADGEN_SUMMARY {json}` that `npm run k8s -- load|bench` parse. Exit 0 unless the settings are invalid (2).
import { request } from 'node:http';

function fail(message) {
  process.stderr.write(`loadgen: ${message}\n`);
  process.exit(2);
}

function seconds(text, name) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(text ?? '').trim());
  if (!match) fail(`${name} must be a duration like 30s, 2m or 500ms (got "${text}")`);
  const value = Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2] ?? 's'];
  if (value <= 0 || value > 3600) fail(`${name} must be between 1 ms and 1 h (got "${text}")`);
  return value;
}

function positiveInt(text, name, max) {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) fail(`${name} must be an integer from 1 to ${max} (got "${text}")`);
  return value;
}

const env = process.env;
let target;
try {
  target = new URL(env.TARGET ?? '');
} catch {
  fail(`TARGET must be an http URL (got "${env.TARGET ?? ''}")`);
}
if (target.protocol !== 'http:') fail(`TARGET must be an http URL (got "${env.TARGET}")`);
const durationS = seconds(env.DURATION ?? '60s', 'DURATION');
const rps = positiveInt(env.RPS, 'RPS', 20_000);
const concurrency = positiveInt(env.CONCURRENCY, 'CONCURRENCY', 1_000);
if ((rps === undefined) === (concurrency === undefined)) fail('set exactly one of RPS (open loop) or CONCURRENCY (closed loop)');
const timeoutMs = seconds(env.TIMEOUT ?? '5s', 'TIMEOUT') * 1000;
const progressS = seconds(env.PROGRESS_SECONDS ?? '5', 'PROGRESS_SECONDS');
// Open loop: never more than this many requests outstanding; beyond it arrivals are counted as dropped.
const maxInFlight = positiveInt(env.MAX_IN_FLIGHT, 'MAX_IN_FLIGHT', 10_000) ?? 1_000;
const MAX_SAMPLES = 2_000_000;

const stats = { sent: 0, ok: 0, non2xx: 0, errors: 0, dropped: 0, statuses: {}, errorCodes: {}, servedBy: {}, readFrom: {} };
const latencies = new Float64Array(MAX_SAMPLES);
let samples = 0;
let inFlight = 0;
let window = { ok: 0, failed: 0, latencies: [] };

function record(latencyMs, outcome) {
  if (samples < MAX_SAMPLES) latencies[samples++] = latencyMs;
  window.latencies.push(latencyMs);
  if (outcome === 'ok') window.ok++;
  else window.failed++;
}

function once() {
  return new Promise((resolve) => {
    const started = performance.now();
    stats.sent++;
    inFlight++;
    let settled = false;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      inFlight--;
      record(performance.now() - started, outcome);
      resolve();
    };
    const req = request(target, { agent: false, timeout: timeoutMs, headers: { connection: 'close', 'user-agent': 'saas-starter-loadgen' } }, (res) => {
      const status = res.statusCode ?? 0;
      const pod = String(res.headers['x-served-by'] ?? '-');
      // Which database node answered a read (the services' x-read-node header): shows reads moving off a lost replica.
      const readNode = res.headers['x-read-node'];
      res.resume();
      res.on('end', () => {
        stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
        stats.servedBy[pod] = (stats.servedBy[pod] ?? 0) + 1;
        if (readNode) stats.readFrom[readNode] = (stats.readFrom[readNode] ?? 0) + 1;
        if (status >= 200 && status < 300) stats.ok++;
        else stats.non2xx++;
        finish(status >= 200 && status < 300 ? 'ok' : 'failed');
      });
      res.on('error', (err) => onError(err));
    });
    const onError = (err) => {
      if (settled) return;
      const code = err.code ?? err.message;
      stats.errors++;
      stats.errorCodes[code] = (stats.errorCodes[code] ?? 0) + 1;
      finish('failed');
    };
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', onError);
    req.end();
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const round = (n) => Math.round(n * 10) / 10;

const startedAt = performance.now();
const deadline = startedAt + durationS * 1000;
const progress = setInterval(() => {
  const sorted = window.latencies.sort((a, b) => a - b);
  const elapsed = (performance.now() - startedAt) / 1000;
  const pods = Object.keys(stats.servedBy).filter((p) => p !== '-').length;
  process.stdout.write(
    `t=${Math.round(elapsed)}s ok=${window.ok} failed=${window.failed} rate=${round((window.ok + window.failed) / progressS)}/s p99=${round(percentile(sorted, 99))}ms pods=${pods} in-flight=${inFlight}\n`,
  );
  window = { ok: 0, failed: 0, latencies: [] };
}, progressS * 1000);

if (concurrency !== undefined) {
  const worker = async () => {
    while (performance.now() < deadline) await once();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
} else {
  // Fixed arrival rate: every tick sends what is due since the start, whatever the responses do.
  let due = 0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const shouldHaveSent = Math.floor(((Math.min(now, deadline) - startedAt) / 1000) * rps);
      while (due < shouldHaveSent) {
        due++;
        if (inFlight >= maxInFlight) stats.dropped++;
        else void once();
      }
      if (now >= deadline) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const drainUntil = performance.now() + timeoutMs + 1000;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
}
clearInterval(progress);

const elapsedS = (performance.now() - startedAt) / 1000;
const sorted = latencies.subarray(0, samples).sort();
const summary = {
  target: target.href,
  mode: concurrency !== undefined ? `closed loop, ${concurrency} concurrent` : `open loop, ${rps} req/s`,
  durationS: round(elapsedS),
  requests: stats.sent,
  rps: round(stats.sent / elapsedS),
  ok: stats.ok,
  non2xx: stats.non2xx,
  errors: stats.errors,
  dropped: stats.dropped,
  statuses: stats.statuses,
  errorCodes: stats.errorCodes,
  servedBy: stats.servedBy,
  readFrom: stats.readFrom,
  latencyMs: { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1] ?? 0) },
};
process.stdout.write(
  [
    `summary: ${summary.requests} requests in ${summary.durationS}s (${summary.rps}/s, ${summary.mode}) → ${summary.target}`,
    `  ok ${summary.ok} · non-2xx ${summary.non2xx} · errors ${summary.errors} · dropped ${summary.dropped}`,
    `  latency p50 ${summary.latencyMs.p50} ms · p95 ${summary.latencyMs.p95} ms · p99 ${summary.latencyMs.p99} ms · max ${summary.latencyMs.max} ms`,
    `  served by ${Object.keys(summary.servedBy).filter((pod) => pod !== '-').length} pod(s): ${Object.entries(summary.servedBy).map(([pod, n]) => `${pod} ${n}`).join(', ')}`,
    ...(Object.keys(summary.readFrom).length ? [`  reads from: ${Object.entries(summary.readFrom).map(([node, n]) => `${node} ${n}`).join(', ')}`] : []),
    `LOADGEN_SUMMARY ${JSON.stringify(summary)}`,
    '',
  ].join('\n'),
);
