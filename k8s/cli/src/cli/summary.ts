/**
 * The load generator's end-of-test summary (k6, k8s/demo/loadgen-job.yaml): parsing and printing.
 * Pure, unit-tested. Accepts k6 1.x ("0.00%  0 out of 600") and 0.x ("0.00%  ✓ 0  ✗ 600") lines.
 */

export interface LoadSummary {
  requests: number;
  rps: number;
  failedRate?: number; // percent
  failed?: number;
  droppedIterations?: number;
  latencyMs: Record<string, number>; // avg, p(50), p(95), p(99), max, ... as k6 printed them
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, 'µs': 1e-3, us: 1e-3, ms: 1, s: 1000, m: 60_000 };

/** "1.53ms" / "480.1µs" / "1m2.5s" → milliseconds. */
export function toMs(text: string): number | undefined {
  const parts = [...text.matchAll(/([\d.]+)(ns|µs|us|ms|s|m)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return Math.round(parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit], 0) * 1000) / 1000;
}

export function parseSummary(log: string): LoadSummary | undefined {
  const reqs = /http_reqs\.*:\s*(\d+)\s+([\d.]+)\/s/.exec(log);
  if (!reqs) return undefined;
  const summary: LoadSummary = { requests: Number(reqs[1]), rps: Number(reqs[2]), latencyMs: {} };
  const failed = /http_req_failed\.*:\s*([\d.]+)%\s+(?:(\d+) out of (\d+)|✓ (\d+)\s+✗ (\d+))/.exec(log);
  if (failed) {
    summary.failedRate = Number(failed[1]);
    summary.failed = Number(failed[2] ?? failed[4]);
  }
  const dropped = /dropped_iterations\.*:\s*(\d+)/.exec(log);
  if (dropped) summary.droppedIterations = Number(dropped[1]);
  const duration = /^\s*http_req_duration\.*:\s*(.*)$/m.exec(log);
  for (const [, key, value] of duration?.[1].matchAll(/(avg|min|med|max|p\([\d.]+\))=(\S+)/g) ?? []) {
    const ms = toMs(value);
    if (ms !== undefined) summary.latencyMs[key] = ms;
  }
  return summary;
}

export function formatSummary(s: LoadSummary): string[] {
  const latency = Object.entries(s.latencyMs)
    .map(([k, v]) => `${k} ${v} ms`)
    .join(' · ');
  return [
    `requests: ${s.requests} at ${s.rps} req/s; failed ${s.failedRate ?? '?'}% (${s.failed ?? '?'})${s.droppedIterations ? `; ${s.droppedIterations} iterations dropped (the generator ran out of VUs)` : ''}`,
    ...(latency ? [`latency:  ${latency}`] : []),
  ];
}
