/**
 * The alert rules (helm/saas-starter/files/alerts, also the chart's PrometheusRule) and the Grafana
 * dashboard: promtool (built from the Go module proxy) checks the rules and runs their unit tests; the
 * dashboard's JSON is validated and each of its queries parsed by promtool; and every metric the rules
 * and the panels read is one the four built services really export on /metrics.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '@saas/testing';
import { dump, load } from 'js-yaml';
import { DASHBOARD_FILE, exportedFamilies, isExported, metricNamesIn, promtool, RULES_FILE, RULES_TESTS } from '../tools';

interface Rule {
  alert: string;
  expr: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: string; uid: string };
  targets: { expr: string; legendFormat?: string }[];
}

const rules = (load(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { templating: { list: { name: string }[] }; panels: Panel[] };
const dashboardExprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));

const scratch = mkdtempSync(join(tmpdir(), 'alerts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** promtool check rules on expressions wrapped as recording rules: PromQL syntax and types, nothing else. */
function checkExpressions(exprs: string[]) {
  const file = join(scratch, `exprs-${Date.now()}.yaml`);
  writeFileSync(file, dump({ groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:panel_${i}`, expr })) }] }));
  return promtool(['check', 'rules', file]);
}

describe('alert rules, checked by promtool', () => {
  it('promtool check rules: the file is valid (PromQL, durations, templates) and holds the eight alerts', () => {
    const result = promtool(['check', 'rules', RULES_FILE]);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS: 8 rules found');
    expect(result.status).toBe(0);
  });

  it('promtool test rules: each alert fires on its series (labels and annotations exact) and stays quiet on the others', () => {
    const result = promtool(['test', 'rules', RULES_TESTS]);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('every alert has a unit test where it fires and one where it must not', () => {
    const tests = (load(readFileSync(RULES_TESTS, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests.flatMap(
      (test) => test.alert_rule_test,
    );
    for (const { alert } of rules) {
      const cases = tests.filter((test) => test.alertname === alert);
      expect([alert, cases.some((test) => test.exp_alerts.length > 0)]).toEqual([alert, true]);
      expect([alert, cases.some((test) => test.exp_alerts.length === 0)]).toEqual([alert, true]);
    }
  });

  it('the checks can fail: promtool reports a broken expression and a wrong expectation', () => {
    const broken = join(scratch, 'broken.rules.yaml');
    writeFileSync(broken, readFileSync(RULES_FILE, 'utf8').replace('max by (service, replica) (db_replica_lag_bytes)', 'max by (service, replica) (db_replica_lag_bytes'));
    const check = promtool(['check', 'rules', broken]);
    expect(check.status).not.toBe(0);
    expect(check.stderr).toMatch(/unclosed left parenthesis|parse error/);

    const wrong = join(scratch, 'wrong.test.yaml');
    const tests = readFileSync(RULES_TESTS, 'utf8')
      .replace('../../helm/saas-starter/files/alerts/saas-starter.rules.yaml', RULES_FILE)
      .replace("{ severity: critical, service: catalog }", '{ severity: critical, service: media }');
    writeFileSync(wrong, tests);
    const test = promtool(['test', 'rules', wrong]);
    expect(test.status).not.toBe(0);
    expect(`${test.stdout}${test.stderr}`).toContain('alertname: SaasHttp5xxRatioHigh');
  });
});

describe('Grafana dashboard', () => {
  it('is well-formed: unique panel ids, the datasource variable, a query and legend on every target, no overlapping panels', () => {
    expect(dashboard.templating.list.map((variable) => variable.name)).toContain('datasource');
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect([panel.title, panel.datasource]).toEqual([panel.title, { type: 'prometheus', uid: '${datasource}' }]);
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) expect([panel.title, typeof target.expr, typeof target.legendFormat]).toEqual([panel.title, 'string', 'string']);
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
    }
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      for (let x = panel.gridPos.x; x < panel.gridPos.x + panel.gridPos.w; x++) {
        for (let y = panel.gridPos.y; y < panel.gridPos.y + panel.gridPos.h; y++) {
          const key = `${x},${y}`;
          expect([key, cells.get(key)]).toEqual([key, undefined]);
          cells.set(key, panel.title);
        }
      }
    }
  });

  it('every query parses as PromQL (promtool), and a broken one would be reported', () => {
    const result = checkExpressions(dashboardExprs);
    expect(`${result.stdout}${result.stderr}`).toContain(`SUCCESS: ${dashboardExprs.length} rules found`);
    const broken = checkExpressions(['sum by (service) (rate(http_request_duration_seconds_count[1m])']);
    expect(broken.status).not.toBe(0);
  });

  it('shows every signal an alert watches: each metric a rule reads has a panel', () => {
    const shown = new Set(dashboardExprs.flatMap(metricNamesIn));
    const watched = [...new Set(rules.flatMap((rule) => metricNamesIn(rule.expr)))];
    expect(watched.filter((name) => !shown.has(name))).toEqual([]);
  });

  it('metric names are read from expressions (functions, labels, groupings and ranges left out)', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket{route!="x"}[5m]))) > 1 and on (service) max(up) or vector(0)',
      ),
    ).toEqual(['http_request_duration_seconds_bucket', 'up']);
  });
});

describe('every metric the rules and the dashboard read is exported by the services', () => {
  let stack: Stack;
  let families: Map<string, string>;

  beforeAll(async () => {
    stack = await startStack({ name: 'alerts' });
    families = new Map();
    for (const url of Object.values(stack.urls)) {
      for (const [name, type] of exportedFamilies(await (await fetch(`${url}/metrics`)).text())) families.set(name, type);
    }
  }, 300_000);

  afterAll(async () => stack?.stop(), 60_000);

  it('the services expose the families (the check itself sees a made-up name as missing)', () => {
    expect(families.get('http_request_duration_seconds')).toBe('histogram');
    expect(isExported('http_request_duration_seconds_bucket', families)).toBe(true);
    expect(isExported('http_requests_made_up_total', families)).toBe(false);
  });

  it.each([
    ['alert rules', rules.map((rule) => rule.expr)],
    ['dashboard panels', dashboardExprs],
  ])('%s', (_what, exprs) => {
    // `up` is Prometheus' own (one per scrape target), not a service's.
    const names = [...new Set(exprs.flatMap(metricNamesIn))].filter((name) => name !== 'up');
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((name) => !isExported(name, families))).toEqual([]);
  });
});
