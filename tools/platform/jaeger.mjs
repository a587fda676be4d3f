// The local trace viewer for `npm start` with PLATFORM_TRACING=1: the Jaeger v2 all-in-one built from the Go
// module proxy (scripts/observability/build.sh jaeger), configured by the chart's own file
// (helm/saas-starter/files/jaeger/config.yaml: OTLP/HTTP in, memory store, query API), on loopback ports that
// move with PLATFORM_PORT_OFFSET and can each be set (JAEGER_QUERY_PORT, JAEGER_OTLP_HTTP_PORT,
// JAEGER_QUERY_GRPC_PORT, JAEGER_HEALTH_PORT).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function jaegerPorts(env = process.env) {
  const offset = Number(env.PLATFORM_PORT_OFFSET || 0);
  const port = (name, base) => {
    const value = env[name];
    if (value === undefined || value === '') return base + offset;
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new Error(`${name} must be a port number, got '${value}'`);
    return Number(value);
  };
  return {
    query: port('JAEGER_QUERY_PORT', 16686),
    otlpHttp: port('JAEGER_OTLP_HTTP_PORT', 4318),
    queryGrpc: port('JAEGER_QUERY_GRPC_PORT', 16685),
    health: port('JAEGER_HEALTH_PORT', 13133),
  };
}

/** Starts Jaeger and waits until its health check answers; returns its URLs and a stop function. */
export async function startJaeger({ root, logFile, ports = jaegerPorts(), timeoutMs = 30_000 }) {
  const binary = join(root, '.local/tools/bin/jaeger');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run 'bash scripts/observability/build.sh jaeger'`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(binary, ['--config', join(root, 'helm/saas-starter/files/jaeger/config.yaml')], {
    env: {
      PATH: process.env.PATH,
      JAEGER_HOST: '127.0.0.1',
      JAEGER_QUERY_PORT: String(ports.query),
      JAEGER_OTLP_HTTP_PORT: String(ports.otlpHttp),
      JAEGER_QUERY_GRPC_PORT: String(ports.queryGrpc),
      JAEGER_HEALTH_PORT: String(ports.health),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jaeger exited with ${child.exitCode}; see ${logFile}`);
    try {
      if ((await fetch(`http://127.0.0.1:${ports.health}/status`, { signal: AbortSignal.timeout(1_000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`jaeger did not become healthy within ${timeoutMs} ms; see ${logFile}`);
    }
    await sleep(200);
  }
  return {
    ui: `http://127.0.0.1:${ports.query}`,
    otlpEndpoint: `http://127.0.0.1:${ports.otlpHttp}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}
