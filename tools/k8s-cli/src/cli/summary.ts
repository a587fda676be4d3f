/** The load generator's closing summary: parsing and printing (pure, unit-tested). */

export interface LoadSummary {
  sent: number;
  ok: number;
  failed: number;
  dropped?: number;
  achievedRps: number;
  latencyMs: { p50: number; p95: number; p99: number; max?: number };
  statusCodes?: Record<string, number>;
  servedBy?: Record<string, number>;
}

/** Parses the generator's closing JSON line ({"summary": {...}}) out of its log. */
export function parseSummary(log: string): LoadSummary | undefined {
  const lines = log.split('\n').reverse();
  for (const line of lines) {
    const start = line.indexOf('{"summary"');
    if (start === -1) continue;
    try {
      return (JSON.parse(line.slice(start)) as { summary: LoadSummary }).summary;
    } catch {
      /* a truncated line: keep looking */
    }
  }
  return undefined;
}

export function formatSummary(s: LoadSummary): string[] {
  const codes = Object.entries(s.statusCodes ?? {})
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  const replicas = Object.keys(s.servedBy ?? {});
  return [
    `requests: ${s.sent} sent, ${s.ok} ok, ${s.failed} failed${s.dropped ? `, ${s.dropped} not sent (all connections busy)` : ''}; ${s.achievedRps} req/s`,
    `latency:  p50 ${s.latencyMs.p50} ms · p95 ${s.latencyMs.p95} ms · p99 ${s.latencyMs.p99} ms${s.latencyMs.max !== undefined ? ` · max ${s.latencyMs.max} ms` : ''}`,
    ...(codes ? [`status:   ${codes}`] : []),
    ...(replicas.length ? [`served by ${replicas.length} replica(s): ${replicas.map((r) => `${r}×${s.servedBy?.[r]}`).join(' ')}`] : []),
  ];
}
