/**
 * helm lint + helm template for every value set, and every rendered object validated offline against
 * the Kubernetes API of the pinned version, two ways:
 *   - kubecheck (k8s/helm-tools/kubecheck): strict decoding with the k8s.io/api types helm is built with
 *     (unknown/duplicate fields, wrong types) and the Pod Security Admission "restricted" checks;
 *   - kubernetes-models (pinned npm package): the OpenAPI-derived JSON schemas (required fields,
 *     enums, formats) — which alone would miss unknown fields, hence both.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { APPS, CHART, KUBE_VERSION, helm, kubecheck, lint, parseManifests, render, template, validateModels, valueSets, valuesArgs, type K8sObject } from './support/tools';

const sets = valueSets();
const APP_VERSION = (/^appVersion:\s*"?([^"\s]+)"?/m.exec(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) ?? [])[1];

/** Every container image of every pod template (Deployments, StatefulSets, Jobs, CronJobs, Pods). */
function containerImages(object: K8sObject): string[] {
  const spec = object.spec?.jobTemplate?.spec?.template?.spec ?? object.spec?.template?.spec ?? (object.kind === 'Pod' ? object.spec : undefined);
  if (!spec) return [];
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((container: { image: string }) => container.image);
}
// Custom resources the chart may render; their shape is checked by the policy suite instead.
const CRDS = new Set(['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule', 'keda.sh/v1alpha1/ScaledObject']);

describe.each(Object.keys(sets))('value set "%s"', (name) => {
  const values = sets[name];
  let yaml = '';
  let objects: K8sObject[] = [];

  beforeAll(() => {
    const result = template(values);
    if (result.status !== 0) throw new Error(`helm template (${name}) failed:\n${result.stderr}`);
    yaml = result.stdout;
    objects = parseManifests(yaml);
  });

  it('passes helm lint --strict', () => {
    const result = lint(values);
    expect(`${result.stdout}${result.stderr}`).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it('renders objects with unique kind/name', () => {
    expect(objects.length).toBeGreaterThan(10);
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });

  it(`every object decodes strictly as Kubernetes ${KUBE_VERSION} types and pods meet Pod Security "restricted"`, () => {
    const report = kubecheck(yaml);
    expect(report.kubernetesVersion).toMatch(new RegExp(`^v0\\.${KUBE_VERSION.split('.')[1]}\\.`));
    expect(report.objects).toHaveLength(objects.length);
    const problems = report.objects.flatMap((o) => [...o.strict, ...o.podSecurity].map((p) => `${o.kind}/${o.name}: ${p}`));
    expect(problems).toEqual([]);
    const unknown = report.objects.filter((o) => !o.known).map((o) => `${o.apiVersion}/${o.kind}`);
    expect(unknown.filter((k) => !CRDS.has(k))).toEqual([]);
  });

  it('renders no template slip (%!, <nil>) and only app images the image build produces', () => {
    expect(yaml.split('\n').filter((line) => /%!|<nil>/.test(line))).toEqual([]);
    const images = objects.flatMap(containerImages);
    expect(images.length).toBeGreaterThan(0);
    // Our images are <registry/>saas-starter-<app>:<tag> (k8s/image/build.sh builds saas-starter-<app>:<appVersion>);
    // anything else must be a dev-infrastructure image pinned in values.
    const ours = images.filter((image) => /(^|\/)saas-starter-/.test(image));
    const wrong = ours.filter((image) => !new RegExp(`(^|/)saas-starter-(${APPS.join('|')}):[\\w.-]+$`).test(image));
    expect(wrong).toEqual([]);
    if (name === 'defaults') expect([...new Set(ours)].sort()).toEqual(APPS.map((app) => `saas-starter-${app}:${APP_VERSION}`));
    expect(images.filter((image) => !ours.includes(image) && !/^[\w./-]+:[\w.-]+$/.test(image))).toEqual([]);
  });

  it('every object validates against the kubernetes-models JSON schemas', () => {
    const report = validateModels(objects);
    const missing = report.results.filter((r) => !r.model).map((r) => `${r.apiVersion}/${r.kind}`);
    expect(missing.filter((k) => !CRDS.has(k))).toEqual([]);
    expect(report.results.flatMap((r) => r.errors.map((e) => `${r.kind}/${r.name}: ${e}`))).toEqual([]);
  });
});

describe('the validators catch what they claim to (each check can fail)', () => {
  const base = () => render({ set: ['services.media.enabled=false', 'services.profile.enabled=false'] });
  const deployment = (objects: K8sObject[], app = 'catalog') => objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith(`-${app}`))!;
  const dump = (objects: K8sObject[]) => objects.map((o) => JSON.stringify(o)).join('\n---\n');

  it('kubecheck reports a misspelled field, a wrong type and a privileged container', () => {
    const objects = base();
    const container = deployment(objects).spec.template.spec.containers[0];
    container.readinesProbe = container.readinessProbe;
    deployment(objects, 'auth').spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    const typed = base();
    deployment(typed).spec.replicas = 'two';
    const report = kubecheck(dump([...objects, ...typed.filter((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-catalog'))]));
    const entries = report.objects.filter((o) => o.kind === 'Deployment');
    const catalog = entries.filter((o) => o.name.endsWith('-catalog'));
    expect(catalog[0].strict).toEqual(['unknown field "spec.template.spec.containers[0].readinesProbe"']);
    expect(catalog[1].strict.join('\n')).toMatch(/cannot unmarshal string into Go struct field .*replicas/);
    expect(entries.find((o) => o.name.endsWith('-auth'))!.podSecurity.join('\n')).toContain('allowPrivilegeEscalation != false');
  });

  it('kubernetes-models reports a missing required field and a bad enum', () => {
    const objects = base();
    const container = deployment(objects).spec.template.spec.containers[0];
    delete container.name;
    container.imagePullPolicy = 'Sometimes';
    const report = validateModels(objects);
    const errors = report.results.filter((r) => r.errors.length).flatMap((r) => r.errors).join('\n');
    expect(errors).toContain('must have required property name');
    expect(errors).toContain('allowed values');
  });
});

describe('packaging and docs', () => {
  it('helm package ships the chart, its schema and README, and nothing test-related', () => {
    const out = mkdtempSync(join(tmpdir(), 'chart-package-'));
    try {
      const result = helm(['package', CHART, '--destination', out]);
      expect(result.stderr).toBe('');
      const tgz = readdirSync(out).find((f) => f.endsWith('.tgz'))!;
      const files = spawnSync('tar', ['-tzf', join(out, tgz)], { encoding: 'utf8' }).stdout.trim().split('\n');
      for (const f of ['Chart.yaml', 'values.yaml', 'values.schema.json', 'README.md', 'templates/NOTES.txt', 'templates/_helpers.tpl', 'values-production.yaml']) {
        expect(files).toContain(`saas-starter/${f}`);
      }
      expect(files.filter((f) => /__tests__|\.spec\.|jest|project\.json|tests\/values/.test(f))).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('the README values table lists every key of values.yaml', () => {
    const values = load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    // Maps that are free-form (or documented as one row) end the walk.
    const leaf = new Set(['resources', 'env', 'podAnnotations', 'podLabels', 'nodeSelector', 'affinity', 'annotations', 'labels', 'ingressNamespaceSelector', 'monitoringNamespaceSelector', 'clientPodLabels', 'startup', 'liveness', 'readiness', 'image']);
    const paths: string[] = [];
    const walk = (prefix: string, node: Record<string, unknown>) => {
      for (const [key, value] of Object.entries(node)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length && !leaf.has(key)) walk(path, value as Record<string, unknown>);
        else paths.push(path);
      }
    };
    walk('', values);
    expect(paths.length).toBeGreaterThan(50);
    expect(paths.filter((p) => !readme.includes(`| \`${p}\` |`))).toEqual([]);
  });

  it('NOTES.txt renders for every value set', () => {
    // helm template skips NOTES.txt and `helm install --dry-run` needs a cluster: render it as a ConfigMap from a copy.
    const copy = mkdtempSync(join(tmpdir(), 'chart-notes-'));
    try {
      cpSync(CHART, join(copy, 'saas-starter'), { recursive: true });
      const templates = join(copy, 'saas-starter/templates');
      writeFileSync(join(templates, '_notes.tpl'), `{{- define "test.notes" }}${readFileSync(join(templates, 'NOTES.txt'), 'utf8')}{{- end }}`);
      rmSync(join(templates, 'NOTES.txt'));
      writeFileSync(join(templates, 'notes.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes }\ndata:\n  notes: {{ include "test.notes" . | quote }}\n');
      for (const [name, values] of Object.entries(sets)) {
        const result = helm(['template', 'saas', join(copy, 'saas-starter'), '--kube-version', KUBE_VERSION, '--show-only', 'templates/notes.yaml', ...valuesArgs(values)]);
        expect(`${name}: ${result.stderr}`).toBe(`${name}: `);
        const notes = (parseManifests(result.stdout)[0].data as { notes: string }).notes;
        expect(notes).toContain('saas-saas-starter-catalog');
        expect(notes).toContain('k8s/demo/DEMO.md');
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
