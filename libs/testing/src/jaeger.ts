/**
 * The real Jaeger v2 binary (built from the Go module proxy by scripts/observability/build.sh, cached per
 * machine) with the chart's own configuration file, on free loopback ports; and its query API. For tests
 * and benchmarks that look at traces.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './infra';
import { freePort } from './service';

const BIN = process.env.OBSERVABILITY_TOOLS_BIN ?? join(repoRoot, '.local/tools/bin');
const JAEGER_CONFIG = join(repoRoot, 'helm/saas-starter/files/jaeger/config.yaml');

/** Builds the binary when missing or stale (the first build takes many minutes; later ones reuse it). */
export function ensureJaeger(): string {
  const result = spawnSync('bash', [join(repoRoot, 'scripts/observability/build.sh'), 'jaeger'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`scripts/observability/build.sh jaeger failed (exit ${result.status})`);
  return join(BIN, 'jaeger');
}

export interface Jaeger {
  /** Query API and (placeholder) UI. */
  url: string;
  /** OTLP/HTTP base URL: OTEL_EXPORTER_OTLP_ENDPOINT for the services. */
  otlpEndpoint: string;
  output(): string;
  stop(): Promise<void>;
}

/** The real Jaeger binary with the chart's configuration file, on free loopback ports. */
export async function startJaeger(): Promise<Jaeger> {
  const binary = ensureJaeger();
  const [query, otlp, grpc, health] = [await freePort(), await freePort(), await freePort(), await freePort()];
  let output = '';
  const child = spawn(binary, ['--config', JAEGER_CONFIG], {
    env: {
      PATH: process.env.PATH,
      JAEGER_HOST: '127.0.0.1',
      JAEGER_QUERY_PORT: String(query),
      JAEGER_OTLP_HTTP_PORT: String(otlp),
      JAEGER_QUERY_GRPC_PORT: String(grpc),
      JAEGER_HEALTH_PORT: String(health),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jaeger exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${health}/status`, { signal: AbortSignal.timeout(1_000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jaeger not healthy within 30 s:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  return { url: `http://127.0.0.1:${query}`, otlpEndpoint: `http://127.0.0.1:${otlp}`, output: () => output, stop };
}

/** A trace as Jaeger's query API (/api/traces) returns it. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  processID: string;
  tags: { key: string; type: string; value: unknown }[];
  logs: { timestamp: number; fields: { key: string; value: unknown }[] }[];
}

export async function findTraces(jaeger: Jaeger, query: Record<string, string>): Promise<JaegerTrace[]> {
  const params = new URLSearchParams({ lookback: '1h', limit: '50', ...query });
  const response = await fetch(`${jaeger.url}/api/traces?${params}`);
  if (!response.ok) throw new Error(`jaeger /api/traces answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

export async function getTrace(jaeger: Jaeger, traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${jaeger.url}/api/traces/${traceId}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`jaeger /api/traces/${traceId} answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { data: JaegerTrace[] }).data[0];
}

export const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
export const serviceOf = (trace: JaegerTrace, span: JaegerSpan) => trace.processes[span.processID].serviceName;
export const parentOf = (span: JaegerSpan) => span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;

