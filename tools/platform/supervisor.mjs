#!/usr/bin/env node
// The local platform: every service with N replicas behind HAProxy, restarted with backoff when they
// crash (the local equivalent of a Deployment's restart policy), controlled over a small HTTP API
// (tools/platform/cli.mjs). Started by `npm start`; Ctrl-C or `npm stop` shuts everything down cleanly.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { limitCpu, parseCpuLimit, releaseCpu } from './cpu-quota.cjs';
import { devAdmin, prepareDemo } from './demo-data.mjs';
import { haproxyCommand, haproxyConfig, haproxyStats, MAX_REPLICAS } from './haproxy.mjs';
import { startJaeger } from './jaeger.mjs';
import { mergeOpenApi } from './openapi-merge.cjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const int = (name, fallback) => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number, got '${value}'`);
  return Number(value);
};
// A second platform beside another one (tests): its state in its own folder, every replica port shifted.
const dir = process.env.PLATFORM_DIR ? resolve(process.env.PLATFORM_DIR) : join(root, '.local', 'platform');
const logs = join(dir, 'logs');
mkdirSync(logs, { recursive: true });
const portOffset = int('PLATFORM_PORT_OFFSET', 0);
const lbPort = int('LB_PORT', 8080);
const statsPort = int('LB_STATS_PORT', 8404);
const controlPort = int('PLATFORM_CONTROL_PORT', 8099);
const defaults = int('REPLICAS', 2);
// Each replica under a CPU quota, like a pod's limit (e.g. 250m): what a second replica buys becomes visible.
const cpuLimit = process.env.PLATFORM_CPU_LIMIT ? parseCpuLimit(process.env.PLATFORM_CPU_LIMIT) : undefined;
// Ports shifted by an offset are another platform's: their cgroups are kept apart too.
const cgroupName = (service, index) => `${portOffset ? `p${portOffset}-` : ''}${service}-${index}`;
export const SERVICES = [
  { name: 'auth', basePort: 3001 },
  { name: 'catalog', basePort: 3002 },
  { name: 'media', basePort: 3003 },
  { name: 'profile', basePort: 3004 },
].map((service) => ({ ...service, basePort: service.basePort + portOffset, desired: int(`REPLICAS_${service.name.toUpperCase()}`, defaults) }));
const socket = join(dir, 'haproxy.sock');
const pidFile = join(dir, 'haproxy.pid');

const log = (message) => process.stdout.write(`[platform] ${message}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** replicas[service][index] = { child, port, restarts, startedAt, state } */
const replicas = Object.fromEntries(SERVICES.map((service) => [service.name, []]));
let shuttingDown = false;
/** PLATFORM_TRACING=1: the local Jaeger (tools/platform/jaeger.mjs), started before the replicas. */
let jaeger;

function portFree(port) {
  return new Promise((done) => {
    const probe = createTcpServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

async function ready(port, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return true;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  return false;
}

const server = (service, index) => `be_${service}/${service}-${index}`;

function spawnReplica(service, index) {
  const spec = SERVICES.find((s) => s.name === service);
  const slot = (replicas[service][index] ??= { restarts: 0, port: spec.basePort + 100 * index });
  const out = createWriteStream(join(logs, `${service}-${index}.log`), { flags: 'a' });
  const child = spawn('bash', [join(root, 'scripts/service-env.sh'), service, String(index), 'node', `dist/apps/${service}/main.js`], {
    cwd: root,
    env: { ...process.env, PORT: String(slot.port), INSTANCE_ID: `${service}-${index}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  // The process is bash until service-env.sh execs node (same pid): moved now, node starts inside the cgroup.
  if (cpuLimit) limitCpu(child.pid, cgroupName(service, index), cpuLimit);
  Object.assign(slot, { child, pid: child.pid, startedAt: Date.now(), state: 'starting' });
  child.on('exit', (code, signal) => {
    if (cpuLimit) releaseCpu(cgroupName(service, index));
    if (slot.child !== child) return;
    slot.child = undefined;
    slot.pid = undefined;
    if (shuttingDown || slot.state === 'stopping' || slot.state === 'removed') {
      slot.state = slot.state === 'removed' ? 'removed' : 'stopped';
      return;
    }
    // Crash: restart with exponential backoff, reset after a minute of good health.
    slot.restarts = Date.now() - slot.startedAt > 60_000 ? 1 : slot.restarts + 1;
    const backoff = Math.min(30_000, 500 * 2 ** (slot.restarts - 1));
    slot.state = `crashed (${signal ?? `exit ${code}`}), restarting in ${backoff} ms`;
    log(`${service}-${index} ${slot.state}`);
    setTimeout(() => {
      if (!shuttingDown && slot.state.startsWith('crashed')) void startReplica(service, index);
    }, backoff);
  });
  return slot;
}

async function startReplica(service, index) {
  const slot = spawnReplica(service, index);
  if (!(await ready(slot.port))) {
    slot.state = 'unhealthy';
    log(`${service}-${index} did not become ready; see .local/platform/logs/${service}-${index}.log`);
    return false;
  }
  slot.state = 'running';
  await haproxyCommand(socket, `set server ${server(service, index)} state ready`);
  return true;
}

/** Drains a replica from the balancer, then stops it with SIGTERM (it finishes in-flight requests). */
async function stopReplica(service, index, final) {
  const slot = replicas[service][index];
  if (!slot) return;
  slot.state = final ? 'removed' : 'stopping';
  await haproxyCommand(socket, `set server ${server(service, index)} state maint`).catch(() => undefined);
  if (slot.child) {
    const exited = new Promise((done) => slot.child.once('exit', done));
    slot.child.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000).then(() => slot.child?.kill('SIGKILL'))]);
  }
}

async function scale(service, desired) {
  const spec = SERVICES.find((s) => s.name === service);
  if (!spec) throw Object.assign(new Error(`unknown service '${service}' (auth, catalog, media, profile)`), { status: 400 });
  if (!Number.isInteger(desired) || desired < 1 || desired > MAX_REPLICAS) {
    throw Object.assign(new Error(`replicas must be a whole number from 1 to ${MAX_REPLICAS}`), { status: 400 });
  }
  const current = replicas[service].filter((slot) => slot && slot.state !== 'removed').length;
  for (let index = current; index < desired; index++) {
    const port = spec.basePort + 100 * index;
    if (!(await portFree(port))) throw Object.assign(new Error(`port ${port} for ${service}-${index} is in use; nothing was started`), { status: 409 });
  }
  spec.desired = desired;
  const started = [];
  for (let index = current; index < desired; index++) started.push(startReplica(service, index));
  await Promise.all(started);
  for (let index = current - 1; index >= desired; index--) await stopReplica(service, index, true);
  return status();
}

/** Rolling restart: one replica at a time, each drained first and ready again before the next. */
async function restart(service) {
  if (!replicas[service]) throw Object.assign(new Error(`unknown service '${service}'`), { status: 400 });
  for (const [index, slot] of replicas[service].entries()) {
    if (!slot || slot.state === 'removed') continue;
    await stopReplica(service, index, false);
    await sleep(200);
    if (!(await startReplica(service, index))) throw new Error(`${service}-${index} did not come back`);
  }
  return status();
}

function kill(service, index) {
  const slot = replicas[service]?.[index];
  if (!slot?.child) throw Object.assign(new Error(`no running replica ${service}-${index}`), { status: 400 });
  slot.child.kill('SIGKILL');
  return { killed: `${service}-${index}`, pid: slot.pid };
}

async function status() {
  const stats = await haproxyStats(socket).catch(() => ({}));
  return Object.fromEntries(
    SERVICES.map((service) => [
      service.name,
      {
        desired: service.desired,
        replicas: replicas[service.name]
          .map((slot, index) => slot && {
            name: `${service.name}-${index}`,
            pid: slot.pid ?? null,
            port: slot.port,
            state: slot.state,
            restarts: slot.restarts,
            balancer: stats[`${service.name}-${index}`]?.status ?? 'unknown',
            served: stats[`${service.name}-${index}`]?.served ?? 0,
          })
          .filter((slot) => slot && slot.state !== 'removed'),
      },
    ]),
  );
}

/** Each service's document as last fetched from a running replica (kept while none answers). */
const lastDocuments = {};

/**
 * GET /docs through the balancer: every service's OpenAPI document, fetched from one of its running
 * replicas and merged (openapi-merge.cjs). A service none of whose replicas ever answered makes it a 503.
 */
async function mergedDocument() {
  const documents = {};
  const missing = [];
  for (const service of SERVICES) {
    for (const slot of replicas[service.name].filter((slot) => slot?.state === 'running')) {
      try {
        const response = await fetch(`http://127.0.0.1:${slot.port}/${service.name}/docs/openapi.json`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) {
          lastDocuments[service.name] = await response.json();
          break;
        }
      } catch {
        // try the next replica
      }
    }
    if (lastDocuments[service.name]) documents[service.name] = lastDocuments[service.name];
    else missing.push(service.name);
  }
  if (missing.length) {
    throw Object.assign(new Error(`no document from ${missing.join(', ')} yet: no replica answered`), { status: 503, code: 'docs.unavailable' });
  }
  return mergeOpenApi(documents);
}

function problem(response, status, code, detail, headers = {}) {
  const title = { 405: 'Method Not Allowed', 503: 'Service Unavailable' }[status] ?? 'Error';
  response.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  response.end(JSON.stringify({ type: `urn:problem:${code}`, title, status, detail, code }));
}

async function serveDocs(request, response) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return problem(response, 405, 'http.method_not_allowed', `${request.method} is not allowed on this path; allowed: GET, HEAD`, { allow: 'GET, HEAD' });
  }
  try {
    const body = JSON.stringify(await mergedDocument());
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch (error) {
    problem(response, error.status ?? 500, error.code ?? 'docs.merge_failed', error.message, error.status === 503 ? { 'retry-after': '2' } : {});
  }
}

async function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  log('stopping replicas (draining each first)...');
  await Promise.all(SERVICES.flatMap((service) => replicas[service.name].map((_, index) => stopReplica(service.name, index, false))));
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await jaeger?.stop();
  log('stopped');
  process.exit(0);
}

async function main() {
  for (const port of [lbPort, statsPort, controlPort]) {
    if (!(await portFree(port))) throw new Error(`port ${port} is in use (is the platform already running? try 'npm stop')`);
  }
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig({ services: SERVICES, lbPort, statsPort, controlPort, socket, pidFile }));
  const haproxy = spawn('haproxy', ['-W', '-f', config], { stdio: ['ignore', 'inherit', 'inherit'] });
  haproxy.on('exit', (code) => {
    if (!shuttingDown) {
      log(`haproxy exited (${code}); stopping`);
      void shutdown();
    }
  });
  for (let attempt = 0; attempt < 50 && !existsSync(socket); attempt++) await sleep(100);

  const control = createServer(async (request, response) => {
    const reply = (status, body) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    try {
      const url = new URL(request.url, 'http://control');
      if (['/docs', '/docs/', '/docs/openapi.json'].includes(url.pathname)) return await serveDocs(request, response);
      const [, action, service, arg] = url.pathname.split('/');
      if (request.method === 'GET' && action === 'status') return reply(200, await status());
      if (request.method === 'POST' && action === 'scale') {
        if (!/^\d+$/.test(arg ?? '')) throw Object.assign(new Error(`replicas must be a whole number from 1 to ${MAX_REPLICAS}`), { status: 400 });
        return reply(200, await scale(service, Number(arg)));
      }
      if (request.method === 'POST' && action === 'kill') return reply(200, kill(service, Number(arg ?? 0)));
      if (request.method === 'POST' && action === 'restart') return reply(200, await restart(service));
      if (request.method === 'POST' && action === 'stop') {
        reply(202, { stopping: true });
        return void shutdown();
      }
      reply(404, { error: 'unknown command' });
    } catch (error) {
      reply(error.status ?? 500, { error: error.message });
    }
  });
  control.listen(controlPort, '127.0.0.1');

  // Tracing: every replica exports its spans to the local Jaeger (unless OTEL_* already point elsewhere).
  if (process.env.PLATFORM_TRACING === '1') {
    jaeger = await startJaeger({ root, logFile: join(logs, 'jaeger.log') });
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT ||= jaeger.otlpEndpoint;
    log(`jaeger up: traces at ${jaeger.ui}, OTLP in at ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}`);
  }
  // `npm start` (PLATFORM_DEMO=1) only: the local development admin gets the admin role at registration.
  const demo = process.env.PLATFORM_DEMO === '1';
  if (demo) process.env.AUTH_ADMIN_EMAILS = [process.env.AUTH_ADMIN_EMAILS, devAdmin(root).email].filter(Boolean).join(',');
  log(`starting ${SERVICES.map((s) => `${s.name} x${s.desired}`).join(', ')}${cpuLimit ? `, each replica limited to ${cpuLimit}m CPU` : ''}`);
  await Promise.all(SERVICES.flatMap((service) => Array.from({ length: service.desired }, (_, index) => startReplica(service.name, index))));
  writeFileSync(join(dir, 'control.json'), JSON.stringify({ controlPort, lbPort, statsPort, pid: process.pid }));
  const lb = `http://127.0.0.1:${lbPort}`;
  const startedAt = Number(process.env.PLATFORM_STARTED_AT ?? Date.now());
  log(`platform is up (${((Date.now() - startedAt) / 1000).toFixed(1)} s since start)`);
  let prepared;
  if (demo) {
    try {
      prepared = await prepareDemo({ root, lb, log });
    } catch (error) {
      log(`demo data not ready: ${error.message}`);
    }
  }
  process.stdout.write(`${banner(lb, prepared)}\n`);
}

function banner(lb, prepared) {
  const lines = [
    '',
    `  Load balancer     ${lb}   (paths /auth /catalog /media /profile)`,
    `  HAProxy stats     http://127.0.0.1:${statsPort}/`,
    `  API document      ${lb}/docs   (all four services, merged)`,
    ...SERVICES.map((s) => `  ${s.name.padEnd(8)} docs    ${lb}/${s.name}/docs`),
    ...(jaeger
      ? [
          `  Traces (Jaeger)   ${jaeger.ui}/api/traces?service=auth&limit=5   (query API; the chart's Jaeger image adds the UI)`,
          `                    one trace: ${jaeger.ui}/api/traces/<trace_id>  (trace_id is in every log line)`,
        ]
      : ['  Traces            off (PLATFORM_TRACING=1 npm start runs Jaeger and exports every span to it)']),
    '  Ctrl-C (or npm stop) stops everything; npm run platform -- status | logs <service> shows it running.',
  ];
  if (!prepared) return lines.join('\n');
  const { admin, productId } = prepared;
  const login = JSON.stringify({ email: admin.email, password: admin.password });
  return [
    ...lines,
    '',
    `  Local development admin: ${admin.email} / ${admin.password}   (kept in .local/dev-admin.json; never in the chart)`,
    '',
    '  1. A write through the balancer, with its consistency token (read-your-writes):',
    `     TOKEN=$(curl -s ${lb}/auth/login -H 'content-type: application/json' -d '${login}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).accessToken')`,
    `     curl -si ${lb}/catalog/products -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"name":"My first lamp","priceCents":2500}' | grep -iE '^(HTTP|x-consistency-token|x-served-by)'`,
    '',
    '  2. A cached read: the first answer is a miss, the second a hit (x-cache), possibly from another replica:',
    `     for i in 1 2; do curl -s -o /dev/null -D - ${lb}/catalog/products/${productId} | grep -iE '^(x-cache|x-served-by|x-read-node)'; echo; done`,
    '',
    '  3. Scale catalog to 4 replicas without restarting the balancer, and watch them take turns:',
    `     npm run platform -- scale catalog 4 && for i in $(seq 8); do curl -s -o /dev/null -D - '${lb}/catalog/products?limit=1' | grep -i x-served-by; done`,
    '',
  ].join('\n');
}

process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
main().catch(async (error) => {
  process.stderr.write(`[platform] ${error.message}\n`);
  shuttingDown = true;
  await jaeger?.stop();
  process.exit(1);
});
