/**
 * What the observability tests drive: promtool and Jaeger, both built from the Go module proxy by
 * scripts/observability/build.sh (cached per machine; Jaeger itself and its query API: @saas/testing),
 * and the metric names a PromQL expression reads.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@saas/testing';

export const BIN = process.env.OBSERVABILITY_TOOLS_BIN ?? join(repoRoot, '.local/tools/bin');
export const RULES_FILE = join(repoRoot, 'helm/saas-starter/files/alerts/saas-starter.rules.yaml');
export const RULES_TESTS = join(repoRoot, 'tools/observability/saas-starter.rules.test.yaml');
export const DASHBOARD_FILE = join(repoRoot, 'helm/saas-starter/files/grafana-dashboard.json');

export function promtool(args: string[], cwd = repoRoot): SpawnSyncReturns<string> {
  return spawnSync(join(BIN, 'promtool'), args, { cwd, encoding: 'utf8' });
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads. Strings, label matchers, grouping clauses and ranges are
 * removed; what remains is numbers, operators, function names (followed by `(`) and metric names.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice((match.index ?? 0) + match[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names].sort();
}

/** Metric families a Prometheus text exposition declares (`# TYPE name type`). */
export function exportedFamilies(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1], match[2]);
  return families;
}

/** Is `name` (possibly a histogram's _bucket/_count/_sum series) one of the exported families? */
export function isExported(name: string, families: Map<string, string>): boolean {
  if (families.has(name)) return true;
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return base !== name && ['histogram', 'summary'].includes(families.get(base) ?? '');
}
