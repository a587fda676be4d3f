/** Plain-text rendering helpers (no cluster access, unit-tested). */

export function table(rows: string[][], indent = ''): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      (indent + r.map((cell, i) => (i === r.length - 1 ? cell : (cell ?? '').padEnd(widths[i]))).join('  ')).trimEnd(),
    )
    .join('\n');
}

/** kubectl-style age: 45s, 3m12s, 2h5m, 4d3h. */
export function age(from: Date | string | undefined, now: Date = new Date()): string {
  if (!from) return '-';
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(from).getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 && minutes < 10 ? `${minutes}m${seconds % 60}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
}

export function seconds(s: number): string {
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/** What one HPA metric looks like: "cpu 45%/70%", "memory <unknown>/80%", "requests_per_second 12/20". */
export interface MetricSpec {
  type?: string;
  resource?: { name?: string; target?: MetricTarget };
  containerResource?: { name?: string; container?: string; target?: MetricTarget };
  pods?: { metric?: { name?: string }; target?: MetricTarget };
  object?: { metric?: { name?: string }; target?: MetricTarget };
  external?: { metric?: { name?: string }; target?: MetricTarget };
}
interface MetricTarget {
  type?: string;
  averageUtilization?: number;
  averageValue?: unknown;
  value?: unknown;
}
export interface MetricStatus {
  type?: string;
  resource?: { name?: string; current?: MetricValue };
  containerResource?: { name?: string; current?: MetricValue };
  pods?: { metric?: { name?: string }; current?: MetricValue };
  object?: { metric?: { name?: string }; current?: MetricValue };
  external?: { metric?: { name?: string }; current?: MetricValue };
}
interface MetricValue {
  averageUtilization?: number;
  averageValue?: unknown;
  value?: unknown;
}

const metricKey = (m: MetricSpec | MetricStatus): { kind: string; name: string } => {
  switch (m.type) {
    case 'Resource':
      return { kind: 'Resource', name: m.resource?.name ?? '?' };
    case 'ContainerResource':
      return { kind: 'ContainerResource', name: m.containerResource?.name ?? '?' };
    case 'Pods':
      return { kind: 'Pods', name: m.pods?.metric?.name ?? '?' };
    case 'Object':
      return { kind: 'Object', name: m.object?.metric?.name ?? '?' };
    case 'External':
      return { kind: 'External', name: m.external?.metric?.name ?? '?' };
    default:
      return { kind: m.type ?? '?', name: '?' };
  }
};

const specTarget = (m: MetricSpec): MetricTarget | undefined =>
  m.resource?.target ?? m.containerResource?.target ?? m.pods?.target ?? m.object?.target ?? m.external?.target;
const statusCurrent = (m: MetricStatus): MetricValue | undefined =>
  m.resource?.current ?? m.containerResource?.current ?? m.pods?.current ?? m.object?.current ?? m.external?.current;

const show = (v: unknown) => (v === undefined || v === null ? undefined : String(v));

export function hpaMetrics(specList?: MetricSpec[] | null, statusList?: MetricStatus[] | null): string {
  // The API sends null, not [], for an HPA that has no current metrics yet.
  const specs = specList ?? [];
  const statuses = statusList ?? [];
  if (specs.length === 0) return 'no metrics';
  return specs
    .map((spec) => {
      const key = metricKey(spec);
      const target = specTarget(spec);
      const status = statuses.find((s) => {
        const k = metricKey(s);
        return k.kind === key.kind && k.name === key.name;
      });
      const current = status ? statusCurrent(status) : undefined;
      const utilization = target?.type === 'Utilization' || target?.averageUtilization !== undefined;
      const want = utilization ? `${target?.averageUtilization}%` : (show(target?.averageValue) ?? show(target?.value) ?? '?');
      const have = utilization
        ? current?.averageUtilization !== undefined
          ? `${current.averageUtilization}%`
          : '<unknown>'
        : (show(current?.averageValue) ?? show(current?.value) ?? '<unknown>');
      return `${key.name} ${have}/${want}`;
    })
    .join(', ');
}

/** Kubernetes CPU quantities ("250m", "1", "1500000n", "12345u") → millicores. */
export function parseCpu(quantity: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(quantity ?? '');
  if (!match) return undefined;
  const scale = { n: 1e-6, u: 1e-3, m: 1 }[match[2] as 'n' | 'u' | 'm'] ?? 1000;
  return Number(match[1]) * scale;
}

/**
 * Requests a service pod has served, from its Prometheus text: the sum of `http_request_duration_seconds_count`
 * over every route except the operational ones (probes and scrapes would count as traffic otherwise).
 */
export function requestsServed(metricsText: string): number | undefined {
  let total: number | undefined;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('http_request_duration_seconds_count')) continue;
    total ??= 0; // the family is there: a pod that served only probes has served 0 requests
    const route = /route="([^"]*)"/.exec(line)?.[1] ?? '';
    if (route.startsWith('/health') || route === '/metrics') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** "37m" / "-" and "12.5/s" / "-". */
export const showCpu = (milli: number | undefined) => (milli === undefined ? '-' : `${Math.round(milli)}m`);
export const showRate = (perSecond: number | undefined) => (perSecond === undefined ? '-' : `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)}/s`);
