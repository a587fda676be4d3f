/**
 * The CLI's pure parts (argument checks, formatting, the load generator's summary) and the built-in
 * load generator script itself, run with node against a local HTTP server on loopback.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs, parseDuration } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { age, hpaMetrics, table } from '../cli/format';
import { formatSummary, parseSummary } from '../cli/summary';
import { LOAD_SCRIPT } from '../commands/load-script';

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
      connections: 10,
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

  it('finds the load summary in a log and prints it', () => {
    const log = 'noise\n{"event":"progress"}\n2025-01-01T00:00:00Z stdout F {"summary":{"sent":10,"ok":9,"failed":1,"achievedRps":5,"latencyMs":{"p50":1,"p95":2,"p99":3},"statusCodes":{"200":9,"503":1},"servedBy":{"a":4,"b":5}}}\n';
    const s = parseSummary(log);
    expect(s).toMatchObject({ sent: 10, failed: 1 });
    expect(formatSummary(s!).join('\n')).toMatch(/10 sent, 9 ok, 1 failed; 5 req\/s[\s\S]*p99 3 ms[\s\S]*200×9 503×1[\s\S]*served by 2 replica/);
    expect(parseSummary('no summary here')).toBeUndefined();
  });
});

describe('the built-in load generator (node -e, as in the Job)', () => {
  let server: Server;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      res.setHeader('x-served-by', hits % 2 ? 'replica-a' : 'replica-b');
      res.statusCode = req.url === '/fail' ? 503 : 200;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const run = (path: string, rps: number, seconds: number) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      const port = (server.address() as AddressInfo).port;
      const child = spawn(process.execPath, ['-e', LOAD_SCRIPT], {
        env: { ...process.env, TARGET_URL: `http://127.0.0.1:${port}${path}`, RPS: String(rps), DURATION_SECONDS: String(seconds), CONNECTIONS: '16' },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code: code ?? -1, out }));
    });

  it('holds the requested rate for the duration and reports latency, codes and replicas', async () => {
    hits = 0;
    const { code, out } = await run('/ok', 40, 2);
    expect(code).toBe(0);
    const s = parseSummary(out)!;
    // Open loop: 40/s for 2 s is 80 request slots; a slot finding every connection busy is counted
    // as dropped, not sent late (this machine may be busy with other tests).
    expect(s.sent + (s.dropped ?? 0)).toBeGreaterThanOrEqual(76);
    expect(s.sent + (s.dropped ?? 0)).toBeLessThanOrEqual(84);
    expect(s.sent).toBeGreaterThan(20);
    expect(s.ok).toBe(s.sent);
    expect(hits).toBe(s.sent);
    expect(s.statusCodes).toEqual({ 200: s.sent });
    expect(Object.keys(s.servedBy!).sort()).toEqual(['replica-a', 'replica-b']);
    expect(s.latencyMs.p99).toBeGreaterThan(0);
  });

  it('exits non-zero when requests fail, and rejects missing parameters', async () => {
    const failing = await run('/fail', 20, 1);
    expect(failing.code).toBe(1);
    expect(parseSummary(failing.out)).toMatchObject({ failed: expect.any(Number), ok: 0 });
    const bad = await run('/ok', 0, 1);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('RPS');
  });
});
