/**
 * The CLI's pure parts: argument checks, formatting, the load-generator template and k6's summary.
 */
import { parseArgs, parseDuration } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { age, hpaMetrics, table } from '../cli/format';
import { formatSummary, parseSummary, toMs } from '../cli/summary';
import { DEFAULT_TEMPLATE, renderTemplate, substitute } from '../cli/template';

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
    expect(usage(['load', 'catalog', '--duration', '30s']).message).toContain('--rps');
    expect(usage(['load', 'catalog', '--rps', '0', '--duration', '30s']).message).toContain('at least 1');
    expect(usage(['load', 'catalog', '--rps', '5', '--duration', 'soon']).message).toContain('not a duration');
    expect(usage(['load', 'catalog', '--rps', '5', '--duration', '5s', '--path', 'x']).message).toContain('must start with "/"');
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

  it("reads k6's end-of-test summary (1.x and 0.x formats) and prints it", () => {
    const v1 = [
      'running (0m10.0s), 00/10 VUs, 100 complete and 0 interrupted iterations',
      '    http_req_duration.......................................................: avg=1.53ms   p(50)=1.22ms   p(95)=2.92ms   p(99)=4.1ms  max=25.76ms',
      '      { expected_response:true }............................................: avg=1.53ms   p(50)=1.22ms   p(95)=2.92ms   p(99)=4.1ms  max=25.76ms',
      '    http_req_failed.........................................................: 1.00%  1 out of 100',
      '    http_reqs...............................................................: 100    9.993/s',
      '    dropped_iterations......................................................: 3      0.3/s',
    ].join('\n');
    const s = parseSummary(v1)!;
    expect(s).toEqual({ requests: 100, rps: 9.993, failedRate: 1, failed: 1, droppedIterations: 3, latencyMs: { avg: 1.53, 'p(50)': 1.22, 'p(95)': 2.92, 'p(99)': 4.1, max: 25.76 } });
    expect(formatSummary(s).join('\n')).toBe(
      'requests: 100 at 9.993 req/s; failed 1% (1); 3 iterations dropped (the generator ran out of VUs)\nlatency:  avg 1.53 ms · p(50) 1.22 ms · p(95) 2.92 ms · p(99) 4.1 ms · max 25.76 ms',
    );
    const v0 = '     http_req_duration..............: avg=480.1µs min=200µs med=1s max=1m2.5s p(90)=2ms\n     http_req_failed................: 0.00%  ✓ 0        ✗ 600\n     http_reqs......................: 600    59.8/s';
    expect(parseSummary(v0)).toEqual({ requests: 600, rps: 59.8, failedRate: 0, failed: 0, latencyMs: { avg: 0.48, min: 0.2, med: 1000, max: 62500, 'p(90)': 2 } });
    expect(toMs('1m2.5s')).toBe(62500);
    expect(parseSummary('no summary here')).toBeUndefined();
  });
});

describe('the load-generator template (k8s/demo/loadgen-job.yaml)', () => {
  it('is filled like its envsubst instructions say, and nothing else is touched', () => {
    const objects = renderTemplate(DEFAULT_TEMPLATE, { RPS: '25', DURATION: '90s', TARGET: 'http://x-catalog.ns.svc:3002/catalog/products', NAME: 'lg-1' });
    const job = objects.find((o) => o.kind === 'Job')!;
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(job.metadata.name).toBe('lg-1');
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ RPS: '25', DURATION: '90s', TARGET: 'http://x-catalog.ns.svc:3002/catalog/products' });
    expect(cm.metadata.name).toBe(job.spec.template.spec.volumes.find((v: { configMap?: { name: string } }) => v.configMap)?.configMap.name);
    // the k6 script keeps its own ${...}-free JavaScript intact
    expect(String((cm.data as Record<string, string>)['load.js'])).toContain('Number(__ENV.RPS)');
    expect(substitute('$RPS ${NAME} $HOME ${OTHER}', { RPS: '1', DURATION: '', TARGET: '', NAME: 'n' })).toBe('1 n $HOME ${OTHER}');
  });

  it('reports an unreadable template as bad input', () => {
    expect(() => renderTemplate('/nonexistent.yaml', { RPS: '1', DURATION: '1s', TARGET: 't', NAME: 'n' })).toThrow(/cannot read the load-generator template/);
  });
});
