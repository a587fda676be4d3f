/**
 * The chart installed on the local one-node cluster (k8s/cluster) the production way: the images built
 * from the Dockerfile and loaded into the node, `devInfra.enabled=false`, and the local Postgres primary +
 * replica and Redis reached through the host end of the pod network (host-bridge.mjs), Kafka through a
 * listener of its own there (KAFKA_POD_LISTENER). The official infrastructure images cannot be pulled
 * here, and the outside-the-cluster shape is the one production uses anyway.
 *
 * Used by the k8s tier's suites (helm-install, scaling) and by people:
 *   npm run k8s:release -- up   [-n saas] [-f values.yaml ...]   install or upgrade; prints the Services
 *   npm run k8s:release -- down [-n saas]                         uninstall, drop its databases, stop the bridge
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { infra, signingKeys, sql } from '@saas/testing';

export const ROOT = resolve(__dirname, '../..');
export const BIN = join(ROOT, '.local', 'tools', 'bin');
export const KUBECONFIG = join(ROOT, '.local', 'k8s-node', 'kubeconfig');
/** The host end of the pod network (k8s/cluster/cluster.sh: K8S_NODE_LINK_CIDR .1). */
export const HOST = '10.77.0.1';
export const KAFKA_POD_PORT = 59094;
export const APPS = ['auth', 'catalog', 'media', 'profile'] as const;
export type App = (typeof APPS)[number];
export const PORTS: Record<App, number> = { auth: 3001, catalog: 3002, media: 3003, profile: 3004 };
const STATE = join(ROOT, '.local', 'k8s-release');

const ports = () => ({
  primary: Number(process.env.PG_PRIMARY_PORT ?? 55432),
  replica: Number(process.env.PG_REPLICA_PORT ?? 55433),
  redis: Number(process.env.REDIS_PORT ?? 56379),
});

export function sh(cmd: string, args: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): string {
  const result = spawnSync(cmd, args, {
    cwd: ROOT,
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, KUBECONFIG, ...options.env },
  });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status ?? result.error?.message}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
export const kubectl = (args: string[], input?: string) => sh(join(BIN, 'kubectl'), args, { input });
export const helm = (args: string[], timeoutMs?: number) => sh(join(BIN, 'helm'), args, { timeoutMs });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const getJson = (namespace: string, args: string[]): any => JSON.parse(kubectl(['get', ...args, '-n', namespace, '-o', 'json']));

export const clusterIsUp = () => spawnSync('bash', ['k8s/cluster/cluster.sh', 'status'], { cwd: ROOT, stdio: 'ignore', timeout: 60_000 }).status === 0;

/** The node up, the four images built (incremental) and loaded into its containerd. */
export function nodeWithImages(log: (line: string) => void = () => undefined): void {
  log('cluster: up');
  sh('bash', ['k8s/cluster/cluster.sh', 'up'], { timeoutMs: 1_200_000 });
  log('images: build + load (cached when nothing changed)');
  sh('bash', ['k8s/image/build.sh', 'build'], { timeoutMs: 1_800_000 });
  sh('bash', ['k8s/image/build.sh', 'save'], { timeoutMs: 600_000 });
  sh('bash', ['k8s/cluster/cluster.sh', 'load-images'], { timeoutMs: 600_000 });
}

/** The local Kafka gets a listener on the pod network's host address (restarted once if it lacks it). True if it restarted. */
export function kafkaOnPodNetwork(): boolean {
  const config = readFileSync(join(process.env.INFRA_DIR ?? join(ROOT, '.local', 'infra'), 'kafka', 'server.properties'), 'utf8');
  if (config.includes(`POD://${HOST}:${KAFKA_POD_PORT}`)) return false;
  sh('bash', ['scripts/infra/infra.sh', 'stop', 'kafka']);
  sh('bash', ['scripts/infra/infra.sh', 'start', 'kafka'], { env: { KAFKA_POD_LISTENER: `${HOST}:${KAFKA_POD_PORT}` }, timeoutMs: 180_000 });
  return true;
}

/** Puts the local Kafka back without the pod listener. */
export function kafkaOffPodNetwork(): void {
  sh('bash', ['scripts/infra/infra.sh', 'stop', 'kafka']);
  sh('bash', ['scripts/infra/infra.sh', 'start', 'kafka'], { timeoutMs: 180_000 });
}

const BRIDGE_PID = join(STATE, 'bridge.pid');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Starts the TCP forwarders (Postgres primary, replica, Redis) on the pod network's host address, in a
 * process of its own that outlives this one; idempotent (a running bridge is kept).
 */
export async function ensureBridge(): Promise<number> {
  mkdirSync(STATE, { recursive: true });
  if (existsSync(BRIDGE_PID)) {
    const pid = Number(readFileSync(BRIDGE_PID, 'utf8'));
    if (pid > 0 && alive(pid)) return pid;
  }
  const { primary, replica, redis } = ports();
  const logFile = join(STATE, 'bridge.log');
  writeFileSync(logFile, '');
  const child = spawn(process.execPath, [join(ROOT, 'k8s/e2e/host-bridge.mjs'), HOST, String(primary), String(replica), String(redis)], {
    detached: true,
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
  });
  child.unref();
  const pid = child.pid ?? 0;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const output = readFileSync(logFile, 'utf8');
    if (output.includes('ready')) {
      writeFileSync(BRIDGE_PID, String(pid));
      return pid;
    }
    if (child.exitCode !== null || !alive(pid)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`host bridge did not start: ${readFileSync(logFile, 'utf8')}`);
}

export function stopBridge(): void {
  if (!existsSync(BRIDGE_PID)) return;
  const pid = Number(readFileSync(BRIDGE_PID, 'utf8'));
  if (pid > 0 && alive(pid)) process.kill(pid, 'SIGTERM');
  rmSync(BRIDGE_PID, { force: true });
}

export interface ReleaseOptions {
  namespace: string;
  release?: string;
  /** Extra values files layered over the production-shape values (later wins). */
  valuesFiles?: string[];
  /** Values layered last (e.g. a test's own settings). */
  values?: Record<string, unknown>;
  /** Drop and re-create the databases and the media volume first (tests); otherwise keep them (upgrades). */
  fresh?: boolean;
  /** Extra environment for auth (e.g. the admin e-mail). */
  authEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export const databaseName = (namespace: string, app: App) => `k8s_${namespace.replace(/[^a-z0-9]/g, '_')}_${app}`;
const mediaDir = (namespace: string) => join(STATE, namespace, 'media');
const volumeName = (namespace: string) => `${namespace}-media`;

function secretFor(namespace: string, app: App, keys: string): string {
  const { primary, replica, redis } = ports();
  const url = (port: number) => `postgres://saas:saas@${HOST}:${port}/${databaseName(namespace, app)}`;
  const data: Record<string, string> = {
    DATABASE_PRIMARY_URL: url(primary),
    DATABASE_REPLICA_URLS: url(replica),
    REDIS_URL: `redis://${HOST}:${redis}`,
    ...(app === 'auth' ? { JWT_SIGNING_KEYS: keys } : {}),
  };
  return JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `local-${app}`, namespace }, stringData: data });
}

const mediaVolume = (namespace: string) => `
apiVersion: v1
kind: PersistentVolume
metadata: { name: ${volumeName(namespace)} }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  claimRef: { namespace: ${namespace}, name: media-local }
  hostPath: { path: ${mediaDir(namespace)}, type: Directory }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: media-local, namespace: ${namespace} }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: ${volumeName(namespace)}
  resources: { requests: { storage: 1Gi } }
`;

/** The production shape on this node: external infrastructure, existingSecret per service, local images. */
function productionShapeValues(namespace: string, topicPrefix: string, authEnv: Record<string, string>) {
  return {
    image: { pullPolicy: 'Never' },
    devInfra: { enabled: false },
    jwtKeygen: { enabled: false },
    kafka: { brokers: `${HOST}:${KAFKA_POD_PORT}`, topicPrefix, topicInit: { enabled: false } },
    // Small requests: the node has two shared cores.
    defaults: { replicaCount: 2, autoscaling: { enabled: false }, resources: { requests: { cpu: '50m', memory: '160Mi' }, limits: { cpu: '1', memory: '512Mi' } } },
    services: {
      auth: { existingSecret: 'local-auth', env: authEnv },
      catalog: { existingSecret: 'local-catalog' },
      media: { existingSecret: 'local-media', storage: { dir: '/var/lib/media', existingClaim: 'media-local' } },
      profile: { existingSecret: 'local-profile' },
    },
  };
}

const exists = (args: string[]) => spawnSync(join(BIN, 'kubectl'), ['get', ...args], { env: { ...process.env, KUBECONFIG }, stdio: 'ignore' }).status === 0;

/**
 * Installs (or upgrades) the chart into `namespace`. Needs the node, images and bridge (nodeWithImages,
 * kafkaOnPodNetwork, ensureBridge). Returns the Services' base URLs (ClusterIP, reachable from this host).
 */
export async function installRelease(options: ReleaseOptions): Promise<{ release: string; urls: Record<App, string>; installSeconds: number }> {
  const { namespace } = options;
  const release = options.release ?? 'saas-starter';
  const log = options.log ?? (() => undefined);
  const installed = spawnSync(join(BIN, 'helm'), ['status', release, '-n', namespace], { env: { ...process.env, KUBECONFIG }, stdio: 'ignore' }).status === 0;
  if (options.fresh || !installed) {
    helm(['uninstall', release, '-n', namespace, '--ignore-not-found', '--wait']);
    kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    kubectl(['delete', 'pv', volumeName(namespace), '--ignore-not-found']);
    for (const app of APPS) {
      if (options.fresh) await sql(`${infra.primaryBase}/postgres`, `drop database if exists ${databaseName(namespace, app)} with (force)`);
      const found = await sql(`${infra.primaryBase}/postgres`, `select 1 from pg_database where datname = '${databaseName(namespace, app)}'`);
      if (found.length === 0) await sql(`${infra.primaryBase}/postgres`, `create database ${databaseName(namespace, app)}`);
    }
    if (options.fresh) rmSync(mediaDir(namespace), { recursive: true, force: true });
    mkdirSync(mediaDir(namespace), { recursive: true });
    chownSync(mediaDir(namespace), 10001, 10001); // the images' non-root user
    kubectl(['create', 'namespace', namespace]);
    const keys = signingKeys(`${namespace}-key`).json;
    for (const app of APPS) kubectl(['apply', '-f', '-'], secretFor(namespace, app, keys));
    kubectl(['apply', '-f', '-'], mediaVolume(namespace));
  } else if (!exists(['secret', 'local-auth', '-n', namespace])) {
    throw new Error(`namespace ${namespace} has release ${release} but not the secrets this script makes: it was installed some other way`);
  }
  // Fresh installs get topics of their own, so events left by an earlier run never reach the new databases.
  const topicPrefix = options.fresh ? `${namespace}${Date.now()}.` : `${namespace}.`;
  const valuesFile = join(tmpdir(), `saas-release-values-${process.pid}.json`);
  writeFileSync(valuesFile, JSON.stringify(productionShapeValues(namespace, topicPrefix, options.authEnv ?? {})));
  const overrides = join(tmpdir(), `saas-release-overrides-${process.pid}.json`);
  writeFileSync(overrides, JSON.stringify(options.values ?? {}));
  const started = Date.now();
  log(`helm ${installed && !options.fresh ? 'upgrade' : 'install'} ${release} -n ${namespace} (--wait)`);
  try {
    helm(
      ['upgrade', '--install', release, 'helm/saas-starter', '-n', namespace, '-f', valuesFile, ...(options.valuesFiles ?? []).flatMap((f) => ['-f', f]), '-f', overrides, '--wait', '--timeout', '15m'],
      1_000_000,
    );
  } finally {
    rmSync(valuesFile, { force: true });
    rmSync(overrides, { force: true });
  }
  const installSeconds = (Date.now() - started) / 1000;
  const urls = {} as Record<App, string>;
  for (const app of APPS) {
    const svc = getJson(namespace, ['service', `${release}-${app}`]);
    urls[app] = `http://${svc.spec.clusterIP}:${PORTS[app]}`;
  }
  return { release, urls, installSeconds };
}

/** Uninstalls the release and removes its namespace, volume and databases. */
export async function uninstallRelease(namespace: string, release = 'saas-starter'): Promise<void> {
  const quietly = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, KUBECONFIG }, timeout: 180_000 });
  quietly(join(BIN, 'helm'), ['uninstall', release, '-n', namespace, '--wait']);
  quietly(join(BIN, 'kubectl'), ['delete', 'namespace', namespace, '--wait=false']);
  quietly(join(BIN, 'kubectl'), ['delete', 'pv', volumeName(namespace), '--wait=false']);
  for (const app of APPS) await sql(`${infra.primaryBase}/postgres`, `drop database if exists ${databaseName(namespace, app)} with (force)`).catch(() => undefined);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let namespace = 'saas';
  const valuesFiles: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '-n' || rest[i] === '--namespace') namespace = rest[++i] ?? '';
    else if (rest[i] === '-f' || rest[i] === '--values') valuesFiles.push(resolve(rest[++i] ?? ''));
    else {
      process.stderr.write(`error: unknown argument "${rest[i]}"\n`);
      return 2;
    }
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    process.stderr.write(`error: "${namespace}" is not a valid namespace name\n`);
    return 2;
  }
  const missing = valuesFiles.find((f) => !existsSync(f));
  if (missing) {
    process.stderr.write(`error: values file ${missing} does not exist\n`);
    return 2;
  }
  const log = (line: string) => process.stdout.write(`k8s:release: ${line}\n`);
  if (command === 'up') {
    nodeWithImages(log);
    if (kafkaOnPodNetwork()) log(`kafka: restarted with a listener on ${HOST}:${KAFKA_POD_PORT} for pods`);
    log(`bridge: pid ${await ensureBridge()} (Postgres primary, replica, Redis on ${HOST})`);
    const { release, urls, installSeconds } = await installRelease({ namespace, valuesFiles, log });
    log(`${release} ready in namespace ${namespace} (${installSeconds.toFixed(1)} s); from this machine:`);
    for (const app of APPS) log(`  ${app.padEnd(8)} ${urls[app]}/${app}`);
    log(`then: export KUBECONFIG=${KUBECONFIG}; npm run k8s -- status -n ${namespace}`);
    return 0;
  }
  if (command === 'down') {
    await uninstallRelease(namespace);
    const others = kubectl(['get', 'namespaces', '-o', 'name']).split('\n').filter((n) => existsSync(join(STATE, n.replace('namespace/', ''))) && n !== `namespace/${namespace}`);
    if (others.length === 0) stopBridge();
    log(`uninstalled from ${namespace}`);
    return 0;
  }
  process.stderr.write('usage: npm run k8s:release -- up|down [-n NAMESPACE] [-f values.yaml ...]\n');
  return command ? 2 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
