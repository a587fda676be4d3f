import { usageError } from './errors';

/** The services the chart deploys, by their `app.kubernetes.io/component` label. */
export const SERVICES = ['auth', 'catalog', 'media', 'profile'] as const;
export type Service = (typeof SERVICES)[number];

export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  release: string;
  /** Seconds to wait for the API server before calling it unreachable. */
  requestTimeout: number;
}

export type Command =
  | { name: 'help' }
  | { name: 'status'; once: boolean; watchSeconds?: number }
  | { name: 'scale'; service: Service; replicas: number; force: boolean; wait: boolean; timeout: number }
  | { name: 'load'; service: Service; rps?: number; concurrency?: number; durationSeconds: number; path?: string; template?: string; follow: boolean; timeout: number }
  | { name: 'bench'; service: Service; pods: number[]; concurrency: number; durationSeconds: number; warmupSeconds: number; path?: string; timeout: number }
  | { name: 'kill-pod'; service: Service; pod?: string; now: boolean; wait: boolean; timeout: number }
  | { name: 'kill-db-replica'; now: boolean; wait: boolean; timeout: number }
  | { name: 'rollout-restart'; service: Service; wait: boolean; timeout: number };

export interface Parsed {
  global: GlobalOptions;
  command: Command;
}

export const USAGE = `Usage: npm run k8s -- <command> [flags]

Commands
  status [--once]                      live table per service: replicas, HPA, pods (--once: one snapshot)
  scale <service> <replicas> [--force] [--wait]
                                       set replicas through the scale subresource; refuses when an HPA
                                       manages the Deployment unless --force
  load <service> (--rps N | --concurrency N) --duration T [--path /p] [--template FILE] [--no-follow]
                                       run the load-generator Job (k8s/demo/loadgen-job.yaml, on the
                                       service's own image) at a fixed rate or with N concurrent clients;
                                       stream its progress and summary (requests, failed, p99, pods)
  bench <service> [--pods 1,2,3] [--concurrency 16] [--duration 20s] [--warmup 10s] [--path /p]
                                       the same closed-loop load through the Service at each pod count
                                       (largest first, after one warm-up); prints req/s, ratios and p99
                                       (needs the service's HPA off)
  chaos kill-pod <service> [--pod NAME] [--now] [--wait]
                                       delete one pod of a service; its ReplicaSet replaces it
  chaos kill-db-replica [--now] [--wait]
                                       delete the Postgres read replica pod; reads fall back to the primary
  rollout restart <service> [--wait]   rolling restart (pod template annotation kubectl.kubernetes.io/restartedAt)
  help                                 this text

Services: ${SERVICES.join(', ')}

Flags (like kubectl)
  --kubeconfig PATH     kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME        kubeconfig context (default: the current context)
  -n, --namespace NS    namespace (default: the context's namespace, then "default")
  --release NAME        Helm release name (default: $SAAS_RELEASE or "saas-starter")
  --timeout SECONDS     how long --wait waits (default 120)
  --request-timeout S   seconds before an unanswering API server counts as unreachable (default 10)

Exit codes: 0 ok, 1 failed, 2 bad input, 3 kubeconfig/context, 4 cluster unreachable or credentials
rejected, 5 chart/service not installed, 6 RBAC denied, 7 refused (HPA owns the Deployment)`;

const BOOLEAN_FLAGS = new Set(['once', 'force', 'wait', 'now', 'no-follow', 'help']);
const VALUE_FLAGS = new Set([
  'kubeconfig',
  'context',
  'namespace',
  'release',
  'timeout',
  'request-timeout',
  'rps',
  'duration',
  'path',
  'template',
  'concurrency',
  'pods',
  'warmup',
  'pod',
  'watch-seconds',
]);

/** Parses "30s", "2m", "1h30m", "90" (seconds) into seconds. */
export function parseDuration(text: string, flag = '--duration'): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return positive(Number(trimmed), flag, text);
  const re = /(\d+)(h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(re)) {
    if (match.index !== consumed) break;
    consumed += match[0].length;
    total += Number(match[1]) * { h: 3600, m: 60, s: 1 }[match[2] as 'h' | 'm' | 's'];
  }
  if (consumed !== trimmed.length || consumed === 0) {
    throw usageError(`${flag} "${text}" is not a duration`, 'Use seconds or units, e.g. 30s, 2m, 1h30m.');
  }
  return positive(total, flag, text);
}

function positive(n: number, flag: string, text: string): number {
  if (!Number.isFinite(n) || n <= 0) throw usageError(`${flag} must be greater than zero (got "${text}")`);
  return n;
}

function integer(text: string | undefined, what: string, { min }: { min: number }): number {
  if (text === undefined) throw usageError(`missing ${what}`);
  if (!/^-?\d+$/.test(text.trim())) throw usageError(`${what} must be a whole number (got "${text}")`);
  const n = Number(text);
  if (n < min) {
    throw usageError(
      min === 0 ? `${what} cannot be negative (got ${n})` : `${what} must be at least ${min} (got ${n})`,
      min === 0 ? 'Use 0 to stop every pod of the service, or a positive number.' : undefined,
    );
  }
  return n;
}

function pathFlag(path: string | undefined): string | undefined {
  if (path !== undefined && !path.startsWith('/')) throw usageError(`--path must start with "/" (got "${path}")`);
  return path;
}

export function parseService(text: string | undefined): Service {
  if (!text) throw usageError(`missing service name (one of ${SERVICES.join(', ')})`);
  if (!(SERVICES as readonly string[]).includes(text)) {
    throw usageError(`unknown service "${text}"`, `Services: ${SERVICES.join(', ')}.`);
  }
  return text as Service;
}

/** Splits argv into positionals and flags. Accepts --flag value, --flag=value, -n value. */
function tokenize(argv: string[]) {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      flags.set('help', true);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg === '-n') name = 'namespace';
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else if (/^-\d/.test(arg)) {
      positionals.push(arg); // a negative number, reported as such by the command
      continue;
    } else if (arg.startsWith('-')) {
      throw usageError(`unknown flag "${arg}"`);
    } else {
      positionals.push(arg);
      continue;
    }
    if (BOOLEAN_FLAGS.has(name)) {
      if (inline !== undefined) throw usageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) {
        throw usageError(`--${name} needs a value`);
      }
      flags.set(name, value);
    } else {
      throw usageError(`unknown flag "${arg}"`);
    }
  }
  return { positionals, flags };
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Parsed {
  const { positionals, flags } = tokenize(argv);
  const str = (name: string) => {
    const v = flags.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const bool = (name: string) => flags.get(name) === true;
  const seconds = (name: string, fallback: number) => {
    const v = str(name);
    return v === undefined ? fallback : parseDuration(v, `--${name}`);
  };
  const global: GlobalOptions = {
    kubeconfig: str('kubeconfig'),
    context: str('context'),
    namespace: str('namespace'),
    release: str('release') ?? env.SAAS_RELEASE ?? 'saas-starter',
    requestTimeout: seconds('request-timeout', 10),
  };
  if (global.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(global.namespace)) {
    throw usageError(`--namespace "${global.namespace}" is not a valid namespace name`);
  }
  const timeout = seconds('timeout', 120);
  const [cmd, ...rest] = positionals;
  const only = (allowed: string[], what: string) => {
    for (const key of flags.keys()) {
      if (!['kubeconfig', 'context', 'namespace', 'release', 'request-timeout', 'help', ...allowed].includes(key)) {
        throw usageError(`--${key} does not apply to ${what}`);
      }
    }
  };
  const extra = (args: string[], max: number, what: string) => {
    if (args.length > max) throw usageError(`unexpected argument "${args[max]}" for ${what}`);
  };

  if (!cmd || cmd === 'help' || bool('help')) return { global, command: { name: 'help' } };
  switch (cmd) {
    case 'status': {
      only(['once', 'watch-seconds'], 'status');
      extra(rest, 0, 'status');
      const w = str('watch-seconds');
      return { global, command: { name: 'status', once: bool('once'), watchSeconds: w ? parseDuration(w, '--watch-seconds') : undefined } };
    }
    case 'scale': {
      only(['force', 'wait', 'timeout'], 'scale');
      const service = parseService(rest[0]);
      if (rest[1] === undefined) throw usageError('missing replica count', 'Example: npm run k8s -- scale catalog 3');
      const replicas = integer(rest[1], 'replicas', { min: 0 });
      extra(rest, 2, 'scale');
      return { global, command: { name: 'scale', service, replicas, force: bool('force'), wait: bool('wait'), timeout } };
    }
    case 'load': {
      only(['rps', 'concurrency', 'duration', 'path', 'template', 'no-follow', 'timeout'], 'load');
      const service = parseService(rest[0]);
      extra(rest, 1, 'load');
      const example = 'Example: npm run k8s -- load catalog --rps 50 --duration 60s';
      if ((str('rps') === undefined) === (str('concurrency') === undefined)) throw usageError('load needs exactly one of --rps N (fixed rate) or --concurrency N (closed loop)', example);
      if (str('duration') === undefined) throw usageError('load needs --duration T', example);
      const rps = str('rps') === undefined ? undefined : integer(str('rps'), '--rps', { min: 1 });
      const concurrency = str('concurrency') === undefined ? undefined : integer(str('concurrency'), '--concurrency', { min: 1 });
      const durationSeconds = parseDuration(str('duration') ?? '');
      return {
        global,
        command: {
          name: 'load',
          service,
          rps,
          concurrency,
          durationSeconds,
          path: pathFlag(str('path')),
          template: str('template'),
          follow: !bool('no-follow'),
          // A load run may take as long as its duration plus scheduling and start-up.
          timeout: str('timeout') === undefined ? durationSeconds + 180 : timeout,
        },
      };
    }
    case 'bench': {
      only(['pods', 'concurrency', 'duration', 'warmup', 'path', 'timeout'], 'bench');
      const service = parseService(rest[0]);
      extra(rest, 1, 'bench');
      const pods = (str('pods') ?? '1,2,3').split(',').map((n) => integer(n, '--pods entry', { min: 1 }));
      if (pods.length > 10) throw usageError('--pods takes at most 10 steps');
      const durationSeconds = parseDuration(str('duration') ?? '20s');
      const warmupSeconds = str('warmup') === '0' ? 0 : parseDuration(str('warmup') ?? '10s', '--warmup');
      return {
        global,
        command: {
          name: 'bench',
          service,
          pods,
          concurrency: integer(str('concurrency') ?? '16', '--concurrency', { min: 1 }),
          durationSeconds,
          warmupSeconds,
          path: pathFlag(str('path')),
          timeout: str('timeout') === undefined ? 300 : timeout,
        },
      };
    }
    case 'chaos': {
      const [action, ...args] = rest;
      if (action === 'kill-pod') {
        only(['pod', 'now', 'wait', 'timeout'], 'chaos kill-pod');
        const service = parseService(args[0]);
        extra(args, 1, 'chaos kill-pod');
        return { global, command: { name: 'kill-pod', service, pod: str('pod'), now: bool('now'), wait: bool('wait'), timeout } };
      }
      if (action === 'kill-db-replica') {
        only(['now', 'wait', 'timeout'], 'chaos kill-db-replica');
        extra(args, 0, 'chaos kill-db-replica');
        return { global, command: { name: 'kill-db-replica', now: bool('now'), wait: bool('wait'), timeout } };
      }
      throw usageError(action ? `unknown chaos action "${action}"` : 'missing chaos action', 'Actions: kill-pod <service>, kill-db-replica.');
    }
    case 'rollout': {
      const [action, ...args] = rest;
      if (action !== 'restart') {
        throw usageError(action ? `unknown rollout action "${action}"` : 'missing rollout action', 'Action: restart <service>.');
      }
      only(['wait', 'timeout'], 'rollout restart');
      const service = parseService(args[0]);
      extra(args, 1, 'rollout restart');
      return { global, command: { name: 'rollout-restart', service, wait: bool('wait'), timeout } };
    }
    default:
      throw usageError(`unknown command "${cmd}"`, 'Commands: status, scale, load, bench, chaos, rollout, help.');
  }
}
