/**
 * The CLI's pure parts: argument checks, formatting, the load-generator template and its summary.
 */
import { parseArgs, parseDuration } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { age, hpaMetrics, parseCpu, requestsServed, showCpu, showRate, table } from '../cli/format';
import { benchTable, formatSummary, parseSummary, podsServing } from '../cli/summary';
import { DEFAULT_TEMPLATE, renderTemplate, scriptConfigMap, substitute } from '../cli/template';

const usage = (argv: string[]) => {
  try {
    parseArgs(argv, {});
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return err as CliError;
  }
  throw new Error(`expected ${argv.join(' ')} to be rejected`);
};

describe('argument checks (bad input fails before any cluster call)', () => {
  it('parses kubectl-style global flags and the release default', () => {
    const p = parseArgs(['--context', 'kind-demo', '-n', 'shop', '--kubeconfig=/tmp/k', 'scale', 'catalog', '3', '--wait'], {});
    expect(p.global).toMatchObject({ context: 'kind-demo', namespace: 'shop', kubeconfig: '/tmp/k', release: 'saas-starter' });
    expect(p.command).toMatchObject({ name: 'scale', service: 'catalog', replicas: 3, wait: true, force: false });
    expect(parseArgs(['status', '--once'], { SAAS_RELEASE: 'prod' }).global.release).toBe('prod');
  });

  it('rejects unknown services, listing the valid ones', () => {
    const err = usage(['scale', 'billing', '2']);
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(err.message).toBe('unknown service "billing"');
    expect(err.hint).toContain('auth, catalog, media, profile');
  });

  it('rejects negative, fractional and missing replica counts', () => {
    expect(usage(['scale', 'auth', '-1']).message).toBe('replicas cannot be negative (got -1)');
    expect(usage(['scale', 'auth', '1.5']).message).toContain('whole number');
    expect(usage(['scale', 'auth']).message).toBe('missing replica count');
    expect(parseArgs(['scale', 'auth', '0'], {}).command).toMatchObject({ replicas: 0 });
  });

  it('checks load parameters', () => {
    expect(parseArgs(['load', 'catalog', '--rps', '50', '--duration', '1m30s'], {}).command).toMatchObject({
      name: 'load',
      rps: 50,
      durationSeconds: 90,
      follow: true,
      timeout: 270,
    });
    expect(parseArgs(['load', 'catalog', '--concurrency', '8', '--duration', '20s'], {}).command).toMatchObject({ name: 'load', concurrency: 8, rps: undefined });
    expect(usage(['load', 'catalog', '--duration', '30s']).message).toContain('exactly one of --rps N');
    expect(usage(['load', 'catalog', '--rps', '5', '--concurrency', '5', '--duration', '30s']).message).toContain('exactly one of --rps N');
    expect(usage(['load', 'catalog', '--rps', '0', '--duration', '30s']).message).toContain('at least 1');
    expect(usage(['load', 'catalog', '--rps', '5', '--duration', 'soon']).message).toContain('not a duration');
    expect(usage(['load', 'catalog', '--rps', '5', '--duration', '5s', '--path', 'x']).message).toContain('must start with "/"');
  });

  it('checks bench parameters, with defaults', () => {
    expect(parseArgs(['bench', 'catalog'], {}).command).toMatchObject({ name: 'bench', pods: [1, 2, 3], concurrency: 16, durationSeconds: 20, warmupSeconds: 10 });
    expect(parseArgs(['bench', 'catalog', '--pods', '1,4', '--warmup', '0', '--duration', '10s'], {}).command).toMatchObject({ pods: [1, 4], warmupSeconds: 0, durationSeconds: 10 });
    expect(usage(['bench', 'catalog', '--pods', '1,0']).message).toContain('at least 1');
    expect(usage(['bench', 'catalog', '--pods', '1,x']).message).toContain('whole number');
    expect(usage(['bench', 'catalog', '--rps', '5']).message).toContain('--rps');
  });

  it('rejects unknown commands, actions and flags, and flags that do not apply', () => {
    expect(usage(['deploy']).message).toBe('unknown command "deploy"');
    expect(usage(['chaos', 'kill-node']).message).toBe('unknown chaos action "kill-node"');
    expect(usage(['rollout', 'undo', 'auth']).message).toBe('unknown rollout action "undo"');
    expect(usage(['status', '--bogus']).message).toBe('unknown flag "--bogus"');
    expect(usage(['status', '--force']).message).toBe('--force does not apply to status');
    expect(usage(['status', '-n', 'Bad_NS']).message).toContain('not a valid namespace');
    expect(parseArgs([], {}).command.name).toBe('help');
  });

  it('parses durations', () => {
    expect(parseDuration('45')).toBe(45);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('1h30m10s')).toBe(5410);
    expect(() => parseDuration('0s')).toThrow(CliError);
    expect(() => parseDuration('10x')).toThrow(CliError);
  });
});

describe('formatting', () => {
  it('renders aligned tables and kubectl-style ages', () => {
    expect(table([['A', 'BB'], ['ccc', 'd']])).toBe('A    BB\nccc  d');
    const now = new Date('2025-01-01T12:00:00Z');
    expect(age('2025-01-01T11:59:15Z', now)).toBe('45s');
    expect(age('2025-01-01T11:56:48Z', now)).toBe('3m12s');
    expect(age('2025-01-01T09:55:00Z', now)).toBe('2h5m');
    expect(age('2024-12-28T09:00:00Z', now)).toBe('4d3h');
  });

  it('shows HPA metrics as current/target, <unknown> when the metrics API has no value', () => {
    const specs = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '200Mi' } } },
    ];
    expect(hpaMetrics(specs, [])).toBe('cpu <unknown>/70%, memory <unknown>/200Mi');
    expect(hpaMetrics(specs, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } }])).toBe(
      'cpu 45%/70%, memory <unknown>/200Mi',
    );
    expect(hpaMetrics([], [])).toBe('no metrics');
  });

  it('reads CPU quantities and counts the requests a pod served from its /metrics (probes and scrapes left out)', () => {
    expect([parseCpu('250m'), parseCpu('1'), parseCpu('1500000n'), parseCpu('12345u'), parseCpu('lots')]).toEqual([250, 1000, 1.5, 12.345, undefined]);
    const metrics = [
      '# HELP http_request_duration_seconds HTTP request latency by route and status',
      'http_request_duration_seconds_count{service="catalog",method="GET",route="/health/ready",status="200"} 40',
      'http_request_duration_seconds_count{service="catalog",method="GET",route="/metrics",status="200"} 3',
      'http_request_duration_seconds_count{service="catalog",method="GET",route="/catalog/products",status="200"} 120',
      'http_request_duration_seconds_count{service="catalog",method="GET",route="/catalog/products/:id",status="404"} 5',
      'http_request_duration_seconds_sum{service="catalog",method="GET",route="/catalog/products",status="200"} 1.5',
    ].join('\n');
    expect(requestsServed(metrics)).toBe(125);
    expect(requestsServed(metrics.split('\n').slice(0, 3).join('\n'))).toBe(0);
    expect(requestsServed('not metrics')).toBeUndefined();
    expect([showCpu(37.6), showCpu(undefined), showRate(4.25), showRate(123.4), showRate(undefined)]).toEqual(['38m', '-', '4.3/s', '123/s', '-']);
  });

  it("reads the load generator's summary line and prints it", () => {
    const line = {
      mode: 'open loop, 50 req/s',
      durationS: 10,
      requests: 500,
      rps: 49.9,
      ok: 497,
      non2xx: 2,
      errors: 1,
      dropped: 0,
      statuses: { '200': 497, '503': 2 },
      errorCodes: { ECONNRESET: 1 },
      servedBy: { 'pod-b': 200, 'pod-a': 297, '-': 1 },
      latencyMs: { p50: 3.1, p95: 8, p99: 12.5, max: 40 },
    };
    const log = `t=5s ok=250 failed=0\n  | LOADGEN_SUMMARY ${JSON.stringify(line)}\n`;
    const s = parseSummary(log)!;
    expect(s).toEqual(line);
    expect(podsServing(s)).toEqual(['pod-a', 'pod-b']);
    expect(formatSummary(s)).toEqual([
      'requests: 500 at 49.9 req/s (open loop, 50 req/s); failed 3 (HTTP 503 ×2, ECONNRESET ×1)',
      'latency:  p50 3.1 ms · p95 8 ms · p99 12.5 ms · max 40 ms',
      'pods:     pod-a 297, pod-b 200',
    ]);
    expect(formatSummary({ ...s, readFrom: { 'replica-1': 300, primary: 197 } })[3]).toBe('reads:    replica-1 300, primary 197 (x-read-node)');
    expect(parseSummary('no summary here')).toBeUndefined();
    expect(parseSummary('LOADGEN_SUMMARY {not json')).toBeUndefined();
    expect(parseSummary('LOADGEN_SUMMARY {"requests":"many"}')).toBeUndefined();
  });

  it('tabulates a bench run with ratios against the first row', () => {
    const at = (rps: number, pods: string[]) => ({ ...parseSummary(`LOADGEN_SUMMARY ${JSON.stringify({ mode: 'm', durationS: 1, requests: rps, rps, ok: rps, non2xx: 0, errors: 0, dropped: 0, statuses: {}, errorCodes: {}, servedBy: Object.fromEntries(pods.map((p) => [p, 1])), latencyMs: { p50: 1, p95: 2, p99: 3, max: 4 } })}`)! });
    expect(benchTable([{ pods: 1, summary: at(100, ['a']) }, { pods: 2, summary: at(190, ['a', 'b']) }], '250m')).toEqual([
      '| pods (CPU limit 250m each) | req/s | × 1st row | p50 ms | p99 ms | failed | pods answering |',
      '|---|---|---|---|---|---|---|',
      '| 1 | 100 | 1.00× | 1 | 3 | 0 | 1 |',
      '| 2 | 190 | 1.90× | 1 | 3 | 0 | 2 |',
    ]);
  });
});

describe('the load-generator template (k8s/demo/loadgen-job.yaml)', () => {
  const vars = { NAME: 'lg-1', IMAGE: 'saas-starter-catalog:0.1.0', RPS: '25', CONCURRENCY: '', DURATION: '90s', TARGET: 'http://x-catalog.ns.svc:3002/catalog/products' };
  it('is filled like its envsubst instructions say, and nothing else is touched', () => {
    const objects = renderTemplate(DEFAULT_TEMPLATE, vars);
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.metadata.name).toBe('lg-1');
    const container = job.spec.template.spec.containers[0];
    expect(container.image).toBe('saas-starter-catalog:0.1.0');
    expect(container.command).toEqual(['node', '/loadgen/loadgen.mjs']);
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ RPS: '25', CONCURRENCY: '', DURATION: '90s', TARGET: 'http://x-catalog.ns.svc:3002/catalog/products' });
    const cm = scriptConfigMap('lg-1');
    expect(cm.metadata.name).toBe(job.spec.template.spec.volumes.find((v: { configMap?: { name: string } }) => v.configMap)?.configMap.name);
    expect(String((cm.data as Record<string, string>)['loadgen.mjs'])).toContain('LOADGEN_SUMMARY');
    expect(substitute('$RPS ${NAME} $HOME ${OTHER}', vars)).toBe('25 lg-1 $HOME ${OTHER}');
  });

  it('reports an unreadable template or script as bad input', () => {
    expect(() => renderTemplate('/nonexistent.yaml', vars)).toThrow(/cannot read the load-generator template/);
    expect(() => scriptConfigMap('x', '/nonexistent.mjs')).toThrow(/cannot read the load-generator script/);
  });
});
