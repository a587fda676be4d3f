/**
 * One Kubernetes version for the whole project, pinned by k8s.io/kubernetes in k8s/cluster/go.mod: the
 * control plane and kubecheck are built from that module, the chart tests render with it, and the kind
 * config runs the same minor (kind publishes node images for some patch releases only).
 * The chart's `kubeVersion` floor is checked by rendering just below it, at it and at the pin.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { CHART, KUBE_VERSION, ROOT, helm, kubecheck } from './support/tools';

const minor = (version: string) => Number(version.replace(/^v/, '').split('.')[1]);
const floor = (/^kubeVersion:\s*"?>=\s*(\d+\.\d+\.\d+)/m.exec(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) ?? [])[1];
const render = (kubeVersion: string) => helm(['template', 'saas', CHART, '--kube-version', kubeVersion]);

describe(`one Kubernetes version (${KUBE_VERSION}, from k8s/cluster/go.mod)`, () => {
  it('the kind config runs the same minor on every node', () => {
    const config = load(readFileSync(join(ROOT, 'k8s/demo/kind-config.yaml'), 'utf8')) as { nodes: { image: string }[] };
    const versions = config.nodes.map((node) => /:v(\d+\.\d+\.\d+)$/.exec(node.image)?.[1] ?? node.image);
    expect(versions.map(minor)).toEqual(config.nodes.map(() => minor(KUBE_VERSION)));
  });

  it('kubecheck decodes with the k8s.io/api of the same version', () => {
    expect(kubecheck('').kubernetesVersion).toBe(`v0.${minor(KUBE_VERSION)}.${KUBE_VERSION.split('.')[2]}`);
  });

  it(`the chart's kubeVersion floor (${floor}) holds: refused just below, rendered at it and at the pin`, () => {
    expect(floor).toMatch(/^\d+\.\d+\.\d+$/);
    expect(minor(floor)).toBeLessThanOrEqual(minor(KUBE_VERSION));
    const below = render(`1.${minor(floor) - 1}.99`);
    expect(below.status).not.toBe(0);
    expect(below.stderr).toContain('kubeVersion');
    expect(render(floor).status).toBe(0);
    expect(render(KUBE_VERSION).status).toBe(0);
  });
});
