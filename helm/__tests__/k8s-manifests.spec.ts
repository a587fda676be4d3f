/** k8s/: the kind cluster config and the load-generator Job are valid and follow the chart's policies. */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { ROOT, kubecheck, parseManifests, validateModels } from './support/tools';

/** envsubst, as k8s/demo/DEMO.md runs it. */
function loadgen(vars: Record<string, string>): string {
  return readFileSync(join(ROOT, 'k8s/demo/loadgen-job.yaml'), 'utf8').replace(/\$\{(\w+)\}/g, (_, name: string) => vars[name] ?? `\${${name}}`);
}
const vars = {
  NAME: 'loadgen',
  IMAGE: 'saas-starter-catalog:0.1.0',
  RPS: '200',
  CONCURRENCY: '',
  DURATION: '2m',
  TARGET: 'http://saas-starter-catalog.saas.svc:3002/catalog/products',
};

describe('k8s/', () => {
  it('kind-config.yaml: a multi-node cluster with zones and pinned node images', () => {
    const config = load(readFileSync(join(ROOT, 'k8s/demo/kind-config.yaml'), 'utf8')) as any;
    expect(config.kind).toBe('Cluster');
    const workers = config.nodes.filter((n: any) => n.role === 'worker');
    expect(workers.length).toBeGreaterThanOrEqual(3);
    expect(new Set(workers.map((n: any) => n.labels['topology.kubernetes.io/zone'])).size).toBe(workers.length);
    for (const node of config.nodes) expect(node.image).toMatch(/^kindest\/node:v\d+\.\d+\.\d+$/);
  });

  it('loadgen-job.yaml: every parameter is substituted, objects validate and the pod is restricted', () => {
    const yaml = loadgen(vars);
    expect(yaml).not.toMatch(/\$\{\w+\}/);
    const objects = parseManifests(yaml);
    expect(objects.map((o) => o.kind)).toEqual(['Job']);
    const report = kubecheck(yaml);
    expect(report.objects.flatMap((o) => [...o.strict, ...o.podSecurity])).toEqual([]);
    expect(validateModels(objects).results.flatMap((r) => r.errors)).toEqual([]);
    const pod = objects[0].spec.template;
    expect(pod.metadata.labels['saas-starter/client']).toBe('true');
    const container = pod.spec.containers[0];
    // The release's own image runs the script: nothing is pulled from an image registry.
    expect(container.image).toBe(vars.IMAGE);
    expect(container.command).toEqual(['node', '/loadgen/loadgen.mjs']);
    expect(Object.fromEntries(container.env.map((e: any) => [e.name, e.value]))).toEqual({
      RPS: '200',
      CONCURRENCY: '',
      DURATION: '2m',
      TARGET: vars.TARGET,
      NODE_OPTIONS: '',
    });
    expect(pod.spec.volumes[0].configMap.name).toBe('loadgen-script');
  });

  it('loadgen-job.yaml: a missing parameter is visible, not silently empty', () => {
    expect(loadgen({ NAME: 'x' })).toContain('${RPS}');
  });

  it('DEMO.md walks through every scenario of the issue', () => {
    const demo = readFileSync(join(ROOT, 'k8s/demo/DEMO.md'), 'utf8');
    for (const heading of ['Scale a Deployment', 'HPA', 'Delete a pod', 'Rolling restart', 'Drain the node', 'replica']) expect(demo).toContain(heading);
    expect(demo).toContain('x-read-node');
    expect(demo).toContain('k8s/demo/loadgen-job.yaml');
  });
});
