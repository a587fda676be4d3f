/**
 * The scaling demos on real pods (the one-node cluster of k8s/cluster, the chart installed the production
 * way by k8s/e2e/local-release.ts with k8s/demo/values-scaling.yaml): the HPA on live metrics, throughput
 * rising with pods under CPU limits, and zero failed requests while pods are deleted, restarted, drained,
 * and while a shared dependency is down. Every load is the demo CLI's own (`npm run k8s -- load|bench`),
 * which runs k8s/demo/loadgen.mjs in a Job inside the cluster — the requests go through the Service.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '@saas/testing';
import { BIN, clusterIsUp, ensureBridge, installRelease, KUBECONFIG, kafkaOffPodNetwork, kafkaOnPodNetwork, kubectl, nodeWithImages, ROOT, sh, stopBridge, uninstallRelease } from '../local-release';

const NS = 'saas-scaling';
const HPA_WAVE_RPS = 100;
const RELEASE = 'saas-starter';
const CATALOG = `${RELEASE}-catalog`;
const SCALING_VALUES = join(ROOT, 'k8s/demo/values-scaling.yaml');
const NODE = 'saas-node';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
const get = (args: string[]): Obj => JSON.parse(kubectl(['get', ...args, '-n', NS, '-o', 'json']));

interface Summary {
  requests: number;
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  errorCodes: Record<string, number>;
  servedBy: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

/** The demo CLI as a person runs it; resolves with its output when it exits. */
function cli(args: string[]): { done: Promise<{ code: number; stdout: string; stderr: string }> } {
  const child = spawn('bash', ['k8s/cli/k8s.sh', ...args, '-n', NS, '--release', RELEASE], { cwd: ROOT, env: { ...process.env, KUBECONFIG } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return { done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))) };
}

const jobOf = (stdout: string) => /started job\/(\S+):/.exec(stdout)?.[1];
/** The load generator's own summary line, read from the Job's log. */
function summaryOf(job: string): Summary {
  const line = kubectl(['logs', `job/${job}`, '-n', NS]).split('\n').find((l) => l.startsWith('LOADGEN_SUMMARY '));
  if (!line) throw new Error(`job/${job} printed no summary`);
  return JSON.parse(line.slice('LOADGEN_SUMMARY '.length)) as Summary;
}
const failed = (s: Summary) => s.non2xx + s.errors;
const pods = (s: Summary) => Object.keys(s.servedBy).filter((p) => p !== '-');
const report = (what: string, s: Summary, extra = '') =>
  process.stdout.write(`${what}: ${s.requests} requests, ${failed(s)} failed (${JSON.stringify({ ...s.statuses, ...s.errorCodes })}), p99 ${s.latencyMs.p99} ms, ${pods(s).length} pods answered${extra}\n`);

const readyCatalogPods = (): string[] =>
  get(['pods', '-l', `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=catalog`])
    .items.filter((p: Obj) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True'))
    .map((p: Obj) => p.metadata.name);
/** Ready endpoints of the catalog Service, as kube-proxy sees them. */
const catalogEndpoints = (): number =>
  get(['endpointslices', '-l', `kubernetes.io/service-name=${CATALOG}`]).items.reduce(
    (n: number, slice: Obj) => n + (slice.endpoints ?? []).filter((e: Obj) => e.conditions?.ready && !e.conditions?.terminating).length,
    0,
  );
const events = (since: Date, filter: (e: Obj) => boolean): string[] =>
  get(['events'])
    .items.filter((e: Obj) => new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp) >= since && filter(e))
    .map((e: Obj) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}`);

/** What the HPA saw and did, and where the pods are: printed when a scaling step does not happen. */
function hpaDiagnosis(since: Date): string {
  const hpa = get(['hpa', CATALOG]);
  const podLines = get(['pods', '-l', `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=catalog`]).items.map(
    (p: Obj) => `${p.metadata.name} ${p.status.phase} ready=${p.status.conditions?.find((c: Obj) => c.type === 'Ready')?.status ?? '?'}${p.metadata.deletionTimestamp ? ' terminating' : ''}`,
  );
  return [
    `HPA status: ${JSON.stringify(hpa.status)}`,
    ...podLines,
    ...events(since, (e) => e.involvedObject.kind === 'HorizontalPodAutoscaler' || e.involvedObject.name?.startsWith(CATALOG)),
  ].join('\n');
}

const loadGeneratorsRunning = (): number =>
  get(['pods', '-l', 'app.kubernetes.io/component=load-generator']).items.filter((p: Obj) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp).length;

/** A load generator's run, once it has exited: its summary, its Job deleted. */
async function finished(run: ReturnType<typeof cli>): Promise<Summary> {
  const result = await run.done;
  if (result.code !== 0) throw new Error(`load failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  const job = jobOf(result.stdout);
  if (!job) throw new Error(`no job in the CLI's output:\n${result.stdout}`);
  const summary = summaryOf(job);
  kubectl(['delete', 'job', job, '-n', NS, '--wait=false']);
  return summary;
}

/** Several generators' summaries as one: counts added, latency percentiles the worst of them. */
function combined(summaries: Summary[]): Summary {
  const add = (pick: (s: Summary) => Record<string, number>) =>
    summaries.reduce<Record<string, number>>((sum, s) => {
      for (const [k, v] of Object.entries(pick(s))) sum[k] = (sum[k] ?? 0) + v;
      return sum;
    }, {});
  const total = (pick: (s: Summary) => number) => summaries.reduce((n, s) => n + pick(s), 0);
  const worst = (pick: (s: Summary) => number) => Math.max(...summaries.map(pick));
  return {
    requests: total((s) => s.requests),
    rps: total((s) => s.rps),
    ok: total((s) => s.ok),
    non2xx: total((s) => s.non2xx),
    errors: total((s) => s.errors),
    statuses: add((s) => s.statuses),
    errorCodes: add((s) => s.errorCodes),
    servedBy: add((s) => s.servedBy),
    latencyMs: { p50: worst((s) => s.latencyMs.p50), p95: worst((s) => s.latencyMs.p95), p99: worst((s) => s.latencyMs.p99), max: worst((s) => s.latencyMs.max) },
  };
}

/** Load through the Service while `during` runs; waits for both; returns the generator's summary. */
async function underLoad(rps: number, seconds: number, during: () => Promise<void>): Promise<{ summary: Summary }> {
  return underRisingLoad(rps, 1, 0, seconds, during);
}

/**
 * Load rising in steps, as traffic does: `waves` generators of `rps` each, the k-th joining k × `stepSeconds`
 * after the first, all ending together after `seconds`. `during` starts once the first is sending.
 */
async function underRisingLoad(rps: number, waves: number, stepSeconds: number, seconds: number, during: () => Promise<void>): Promise<{ summary: Summary }> {
  const runs = [cli(['load', 'catalog', '--rps', String(rps), '--duration', `${seconds}s`])];
  // Act once the generator is sending (its pod Running and a few seconds of traffic).
  await eventually(async () => loadGeneratorsRunning() >= 1, 120_000, 500);
  const firstSending = Date.now();
  const joining = (async () => {
    for (let wave = 1; wave < waves; wave++) {
      await new Promise((r) => setTimeout(r, firstSending + wave * stepSeconds * 1000 - Date.now()));
      runs.push(cli(['load', 'catalog', '--rps', String(rps), '--duration', `${seconds - wave * stepSeconds}s`]));
    }
  })();
  await new Promise((r) => setTimeout(r, 5000));
  await during();
  await joining;
  return { summary: combined(await Promise.all(runs.map(finished))) };
}

function setCatalog(values: string[]): void {
  sh(join(BIN, 'helm'), ['upgrade', RELEASE, 'helm/saas-starter', '-n', NS, '--reuse-values', ...values.flatMap((v) => ['--set', v]), '--wait', '--timeout', '5m'], { timeoutMs: 400_000 });
}

describe('scaling on real pods (HPA, CPU limits, zero-error disruptions)', () => {
  let startedCluster = false;
  let restartedKafka = false;

  beforeAll(async () => {
    startedCluster = !clusterIsUp();
    nodeWithImages();
    restartedKafka = kafkaOnPodNetwork();
    await ensureBridge();
    const { installSeconds } = await installRelease({ namespace: NS, release: RELEASE, fresh: true, valuesFiles: [SCALING_VALUES] });
    process.stdout.write(`helm install (scaling values) took ${installSeconds.toFixed(1)} s\n`);
  }, 3_600_000);

  afterAll(async () => {
    spawnSync(join(BIN, 'kubectl'), ['uncordon', NODE], { env: { ...process.env, KUBECONFIG } });
    spawnSync('bash', ['scripts/infra/infra.sh', 'start', 'redis'], { cwd: ROOT, timeout: 120_000 });
    if (process.env.K8S_E2E_KEEP === '1') return;
    await uninstallRelease(NS, RELEASE);
    stopBridge();
    if (startedCluster) sh('bash', ['k8s/cluster/cluster.sh', 'down']);
    if (restartedKafka) kafkaOffPodNetwork();
  }, 600_000);

  it('the HPA scales catalog 1 → ≥ 3 on live CPU under load, the new pods take traffic, and it scales back to 1 after', async () => {
    // The HPA has live metrics (metrics-server on the node) before the load starts, and is at its floor:
    // a Node pod's first seconds (compiling, connecting) can cost a full 250m, which the HPA may answer
    // with a pod or two that it removes again after its 30 s window.
    await eventually(async () => get(['hpa', CATALOG]).status?.currentMetrics?.[0]?.resource?.current?.averageUtilization !== undefined, 180_000, 1000);
    await eventually(async () => get(['hpa', CATALOG]).status.currentReplicas === 1 && readyCatalogPods().length === 1, 300_000, 2000);
    const started = new Date();
    let maxDesired = 1;
    let statusDuringLoad = '';
    // Cached list pages rising 100 -> 200 -> 300 req/s, a step every 40 s: each step is more than the pods
    // already there serve within the 100m target, and none is more than they serve at their 250m limit while
    // the next pods start. Calibrated to the service's cost: when the pipeline got ~3x cheaper (issue 16),
    // 70 req/s only drove the HPA to 2 pods, and 300 req/s at once overran the first pod while three more
    // started on the same two cores (1.2 % timeouts).
    const { summary } = await underRisingLoad(HPA_WAVE_RPS, 3, 40, 180, async () => {
      try {
        await eventually(
          async () => {
            const hpa = get(['hpa', CATALOG]);
            maxDesired = Math.max(maxDesired, hpa.status.desiredReplicas ?? 0);
            return readyCatalogPods().length >= 3;
          },
          170_000,
          2000,
        );
      } catch (error) {
        process.stdout.write(`${hpaDiagnosis(started)}\n`);
        throw error;
      }
      const status = await cli(['status', '--once']).done;
      statusDuringLoad = status.stdout;
    });
    report('HPA under load', summary, `, HPA desired up to ${maxDesired}`);
    process.stdout.write(`${statusDuringLoad}\n`);
    expect(maxDesired).toBeGreaterThanOrEqual(3);
    // Responses came from at least three different pods: the new ones joined the Service.
    expect(pods(summary).length).toBeGreaterThanOrEqual(3);
    // One pod runs near its CPU limit until the new ones are Ready: slow, but not failing (≤ 0.5 % timeouts
    // allowed for a machine shared with other work; the disruption drills below demand zero).
    expect(failed(summary)).toBeLessThanOrEqual(summary.requests * 0.005);
    // `status` shows it live: the HPA's CPU against its target, and requests per pod.
    expect(statusDuringLoad).toMatch(/saas-starter-catalog: replicas \d+(→\d+)? \(min 1, max 4\) cpu \d+%\/40%/);
    expect(statusDuringLoad).toMatch(/^catalog\s+saas-starter-catalog-\S+\s+saas-node\s+Running\s+1\/1\s+\d+\s+\S+\s+\d+m\s+\d+(\.\d)?\/s$/m);
    const scaled = events(started, (e) => e.involvedObject.kind === 'HorizontalPodAutoscaler' && e.reason === 'SuccessfulRescale');
    process.stdout.write(`${scaled.join('\n')}\n`);
    expect(scaled.some((e) => /New size: [3-4]/.test(e))).toBe(true);
    // After the load: back to minReplicas once the 30 s window has passed, one pod per 15 s.
    await eventually(async () => get(['hpa', CATALOG]).status.currentReplicas === 1 && readyCatalogPods().length === 1, 300_000, 2000);
  }, 900_000);

  it('bench: throughput through the Service rises with pods under a 250m CPU limit (1 → 2 → 3)', async () => {
    setCatalog(['services.catalog.autoscaling.enabled=false', 'services.catalog.replicaCount=1']);
    const run = await cli(['bench', 'catalog', '--pods', '1,2,3', '--duration', '15s', '--warmup', '20s', '--concurrency', '12']).done;
    process.stdout.write(`${run.stdout}\n${run.stderr}`);
    expect(run.code).toBe(0);
    const rows = [...run.stdout.matchAll(/^\| (\d) \| ([\d.]+) \| ([\d.]+)× \| [\d.]+ \| [\d.]+ \| (\d+) \| (\d+) \|$/gm)].map((m) => ({ pods: Number(m[1]), rps: Number(m[2]), failed: Number(m[4]), answering: Number(m[5]) }));
    expect(rows.map((r) => r.pods)).toEqual([1, 2, 3]);
    for (const row of rows) {
      expect(row.failed).toBe(0);
      expect(row.answering).toBe(row.pods);
    }
    // Capacity follows the pods (the kubelet's CFS quota caps each one): a shape check, not a speed goal.
    // How much each added pod buys depends on what else the 2 shared cores run (the load generator, the
    // control plane, Postgres): measured here 1.86x/2.23x on a quiet machine, 1.35x/1.23x in a tier run
    // after a 5 s warm-up (the 3-pod step, measured first, then ran two pods still compiling at 250m: hence
    // the 20 s warm-up). The bench reports it; the test asks only that 2 and 3 pods each serve more than one.
    expect(rows[1].rps).toBeGreaterThan(rows[0].rps * 1.1);
    expect(rows[2].rps).toBeGreaterThan(rows[0].rps * 1.1);
    // bench puts the replicas back as it found them.
    await eventually(async () => readyCatalogPods().length === 1, 120_000, 1000);
  }, 900_000);

  describe('zero failed requests through the Service, at two pods', () => {
    // These drills are about disruption, not capacity: the pods get room to start (a fresh Node pod spends
    // its first seconds compiling at whatever CPU it is allowed, while the Service already sends it traffic).
    beforeAll(() => setCatalog(['services.catalog.replicaCount=2', 'services.catalog.resources.requests.cpu=100m', 'services.catalog.resources.limits.cpu=1']), 600_000);

    it('when a pod is deleted', async () => {
      const started = new Date();
      const [victim] = readyCatalogPods();
      const { summary } = await underLoad(40, 40, async () => {
        const run = await cli(['chaos', 'kill-pod', 'catalog', '--pod', victim, '--wait']).done;
        expect(run.code).toBe(0);
      });
      report('pod delete', summary);
      process.stdout.write(`${events(started, (e) => e.involvedObject.name?.startsWith(CATALOG)).join('\n')}\n`);
      expect(failed(summary)).toBe(0);
      expect(readyCatalogPods()).not.toContain(victim);
      expect(readyCatalogPods()).toHaveLength(2);
    }, 900_000);

    it('during a rolling restart', async () => {
      const before = readyCatalogPods();
      const { summary } = await underLoad(40, 60, async () => {
        const run = await cli(['rollout', 'restart', 'catalog', '--wait', '--timeout', '180']).done;
        expect(run.code).toBe(0);
      });
      report('rollout restart', summary);
      expect(failed(summary)).toBe(0);
      const after = readyCatalogPods();
      expect(after).toHaveLength(2);
      expect(after.filter((p) => before.includes(p))).toEqual([]);
      // Served by old pods and by new ones: traffic moved across the rollout.
      expect(pods(summary).some((p) => before.includes(p))).toBe(true);
      expect(pods(summary).some((p) => after.includes(p))).toBe(true);
    }, 900_000);

    it('while the node is drained: the PodDisruptionBudget keeps one pod serving', async () => {
      const started = new Date();
      let drain = { status: 0 as number | null, stdout: '', stderr: '' };
      let minReady = 2;
      const { summary } = await underLoad(40, 60, async () => {
        // One node: evicted pods cannot be rescheduled while it is cordoned, so the budget (maxUnavailable 1)
        // refuses the second eviction — exactly what keeps the Service answering.
        const watch = setInterval(() => (minReady = Math.min(minReady, catalogEndpoints())), 500);
        drain = spawnSync(join(BIN, 'kubectl'), ['drain', NODE, '--pod-selector', 'app.kubernetes.io/component=catalog', '--timeout', '25s', '--delete-emptydir-data'], {
          env: { ...process.env, KUBECONFIG },
          encoding: 'utf8',
          timeout: 60_000,
        });
        kubectl(['uncordon', NODE]);
        await eventually(async () => readyCatalogPods().length === 2, 120_000, 1000);
        clearInterval(watch);
      });
      report('drain', summary, `, fewest ready endpoints ${minReady}`);
      process.stdout.write(`${drain.stderr}\n${events(started, (e) => e.involvedObject.name?.startsWith(CATALOG) || e.involvedObject.kind === 'Node').join('\n')}\n`);
      expect(`${drain.stdout}${drain.stderr}`).toMatch(/Cannot evict pod as it would violate the pod's disruption budget/);
      expect(minReady).toBe(1);
      expect(failed(summary)).toBe(0);
    }, 900_000);

    it('while Redis (shared by every pod) is down for 10 s: readiness holds, the Service keeps both endpoints', async () => {
      let minEndpoints = 2;
      const { summary } = await underLoad(40, 40, async () => {
        const watch = setInterval(() => (minEndpoints = Math.min(minEndpoints, catalogEndpoints())), 500);
        sh('bash', ['scripts/infra/infra.sh', 'stop', 'redis']);
        await new Promise((r) => setTimeout(r, 10_000));
        sh('bash', ['scripts/infra/infra.sh', 'start', 'redis'], { timeoutMs: 120_000 });
        await new Promise((r) => setTimeout(r, 3000));
        clearInterval(watch);
      });
      report('redis outage', summary, `, fewest ready endpoints ${minEndpoints}`);
      expect(minEndpoints).toBe(2);
      expect(failed(summary)).toBe(0);
    }, 900_000);
  });
});
