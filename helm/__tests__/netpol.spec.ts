/**
 * NetworkPolicy on: a small evaluator of the rendered policies (same-namespace pods; podSelector,
 * namespaceSelector {} and ports, named or numbered) proves default deny plus exactly the flows the
 * platform needs — and that flows it does not need stay blocked.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { byKind, component, podTemplates, render, selects, valueSets, type K8sObject } from './support/tools';

type Pod = { component: string; labels: Record<string, string>; ports: { name?: string; containerPort: number }[] };

function pods(objects: K8sObject[]): Map<string, Pod> {
  const out = new Map<string, Pod>();
  for (const { owner, template } of podTemplates(objects)) {
    const ports = (template.spec.containers as any[]).flatMap((c) => c.ports ?? []);
    out.set(component(owner)!, { component: component(owner)!, labels: template.metadata.labels, ports });
  }
  return out;
}

function portMatches(rulePorts: any[] | undefined, dst: Pod, port: number): boolean {
  if (!rulePorts?.length) return true;
  return rulePorts.some((p) => {
    if ((p.protocol ?? 'TCP') !== 'TCP') return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') return p.port === port;
    return dst.ports.some((cp) => cp.name === p.port && cp.containerPort === port);
  });
}

const peerMatches = (peers: any[] | undefined, other: Pod) =>
  !peers?.length ||
  peers.some((peer) => {
    if (peer.ipBlock) return false;
    if (peer.namespaceSelector && Object.keys(peer.namespaceSelector).length) return false; // other namespaces
    return peer.podSelector ? selects(peer.podSelector, other.labels) || Object.keys(peer.podSelector).length === 0 : true;
  });

/** Is TCP src -> dst:port allowed by the policies? (Kubernetes semantics: isolated only if selected.) */
function allowed(policies: K8sObject[], src: Pod, dst: Pod, port: number): boolean {
  const egress = policies.filter((p) => p.spec.policyTypes.includes('Egress') && selects(p.spec.podSelector, src.labels));
  const ingress = policies.filter((p) => p.spec.policyTypes.includes('Ingress') && selects(p.spec.podSelector, dst.labels));
  const egressOk = !egress.length || egress.some((p) => (p.spec.egress ?? []).some((r: any) => peerMatches(r.to, dst) && portMatches(r.ports, dst, port)));
  const ingressOk = !ingress.length || ingress.some((p) => (p.spec.ingress ?? []).some((r: any) => peerMatches(r.from, src) && portMatches(r.ports, dst, port)));
  return egressOk && ingressOk;
}

describe('NetworkPolicy (value set "networkpolicy-on")', () => {
  let objects: K8sObject[];
  let policies: K8sObject[];
  let byComponent: Map<string, Pod>;
  beforeAll(() => {
    objects = render(valueSets()['networkpolicy-on']);
    policies = byKind(objects, 'NetworkPolicy');
    byComponent = pods(objects);
  });
  const flow = (src: string, dst: string, port: number) => allowed(policies, byComponent.get(src)!, byComponent.get(dst)!, port);

  it('a default-deny policy isolates every pod of the release in both directions', () => {
    const deny = policies.find((p) => !p.spec.ingress && !p.spec.egress && p.spec.policyTypes.length === 2)!;
    expect(deny).toBeDefined();
    for (const pod of byComponent.values()) expect(selects(deny.spec.podSelector, pod.labels)).toBe(true);
  });

  it.each([
    ['catalog', 'postgres-primary', 5432],
    ['catalog', 'postgres-replica', 5432],
    ['profile', 'redis', 6379],
    ['media', 'kafka', 9092],
    ['catalog', 'auth', 3001], // JWKS
    ['catalog', 'media', 3003], // product images
    ['migrate-media', 'postgres-primary', 5432],
    ['topic-init', 'kafka', 9092],
    ['postgres-replica', 'postgres-primary', 5432], // streaming replication
  ])('allows %s -> %s:%d', (src, dst, port) => {
    expect(flow(src, dst, port)).toBe(true);
  });

  it.each([
    ['redis', 'postgres-primary', 5432],
    ['kafka', 'redis', 6379],
    ['catalog', 'postgres-primary', 22],
    ['migrate-auth', 'redis', 6379],
    ['topic-init', 'postgres-primary', 5432],
    ['jwt-keygen', 'postgres-primary', 5432],
    ['postgres-primary', 'catalog', 3002],
  ])('blocks %s -> %s:%d', (src, dst, port) => {
    expect(flow(src, dst, port)).toBe(false);
  });

  it('every pod may resolve DNS', () => {
    for (const pod of byComponent.values()) {
      const dns = policies.some((p) => selects(p.spec.podSelector, pod.labels) && (p.spec.egress ?? []).some((r: any) => r.ports?.some((x: any) => x.port === 53 && x.protocol === 'UDP')));
      expect(dns).toBe(true);
    }
  });

  it('the services accept the ingress controller namespace and labelled client pods (k8s/demo/loadgen-job.yaml)', () => {
    const client: Pod = { component: 'loadgen', labels: { 'saas-starter/client': 'true' }, ports: [] };
    expect(allowed(policies, client, byComponent.get('catalog')!, 3002)).toBe(true);
    const stranger: Pod = { component: 'x', labels: { app: 'other' }, ports: [] };
    expect(allowed(policies, stranger, byComponent.get('catalog')!, 3002)).toBe(false);
    const svc = policies.find((p) => p.metadata.name.endsWith('-catalog'))!;
    expect(JSON.stringify(svc.spec.ingress)).toContain('"kubernetes.io/metadata.name":"ingress-nginx"');
  });

  it('every policy selects at least one pod of the release', () => {
    for (const p of policies) expect([...byComponent.values()].some((pod) => selects(p.spec.podSelector, pod.labels))).toBe(true);
  });
});
