/**
 * The one-node cluster really runs pods: a real kubelet on containerd/runc with its own address, pod IPs
 * from the CNI, Services through kube-proxy, names through CoreDNS, logs/exec through the kubelet's
 * CA-signed serving certificate, resource metrics through metrics-server — and a bad image fails fast.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BIN, KUBECONFIG, ROOT, eventually, getJson, isReady, kubectl, run, Obj } from './support';

const NS = 'cluster-e2e';
const images = Object.fromEntries(
  spawnSync('bash', [join(ROOT, 'k8s', 'cluster', 'node', 'images.sh'), 'names'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .map((l) => l.split('=') as [string, string]),
);
const BUSYBOX = images.busybox;

const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ${NS}, labels: {app: web}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: ${BUSYBOX}
      imagePullPolicy: Never
      command: [sh, -c, 'echo "web: serving /www on :8080"; exec httpd -f -v -p 8080 -h /www']
      ports: [{containerPort: 8080}]
      readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${NS}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: ${NS}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - {name: client, image: ${BUSYBOX}, imagePullPolicy: Never, command: [sleep, '3600']}
---
apiVersion: v1
kind: Pod
metadata: {name: broken, namespace: ${NS}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - {name: broken, image: localhost/saas-starter/does-not-exist:0, imagePullPolicy: IfNotPresent}
`;

const pod = (name: string): Obj => getJson(['pod', name, '-n', NS]);
let node: Obj;

beforeAll(async () => {
  kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=120s'], undefined, 150_000);
  kubectl(['create', 'namespace', NS]);
  // Pods need the namespace's default ServiceAccount (made by the controller-manager a moment later).
  await eventually(() => kubectl(['get', 'serviceaccount', 'default', '-n', NS]), 30_000, 'the default ServiceAccount');
  kubectl(['apply', '-f', '-'], manifest);
  node = getJson(['nodes']).items[0];
});

afterAll(() => {
  if (process.env.K8S_CLUSTER_KEEP !== '1') run(join(ROOT, '.local', 'tools', 'bin', 'kubectl'), ['delete', 'namespace', NS, '--wait=false']);
});

describe('one-node cluster', () => {
  it('has one Ready node with a non-loopback InternalIP, running kubelet v1.34 on containerd 2', () => {
    const nodes = getJson(['nodes']).items;
    expect(nodes).toHaveLength(1);
    const ready = node.status.conditions.find((c: Obj) => c.type === 'Ready');
    expect(ready.status).toBe('True');
    const ip = node.status.addresses.find((a: Obj) => a.type === 'InternalIP')?.address as string;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ip.startsWith('127.')).toBe(false);
    expect(node.status.nodeInfo.kubeletVersion).toMatch(/^v1\.34\./);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/v?2\./);
  });

  it('runs a pod with its own IP from the pod range', async () => {
    const web = await eventually(() => (isReady(pod('web')) ? pod('web') : undefined), 120_000, 'pod web Ready');
    const ip: string = web.status.podIP;
    expect(ip).toMatch(/^10\.78\.0\.\d+$/);
    expect(ip).not.toBe(web.status.hostIP);
    expect(web.status.hostIP).toBe(node.status.addresses.find((a: Obj) => a.type === 'InternalIP').address);
    expect(web.spec.nodeName).toBe(node.metadata.name);
  });

  it('answers on the Service ClusterIP and the pod IP, from the host through the node namespace', async () => {
    const svc = getJson(['service', 'web', '-n', NS]);
    const ip = pod('web').status.podIP;
    const body = await eventually(() => {
      const r = run('curl', ['-fsS', '--max-time', '5', `http://${svc.spec.clusterIP}/`]);
      return r.code === 0 ? r.stdout : undefined;
    }, 60_000, `http://${svc.spec.clusterIP}/ (Service web)`);
    expect(body).toContain('hello from the one-node cluster');
    expect(run('curl', ['-fsS', '--max-time', '5', `http://${ip}:8080/`]).stdout).toContain('hello from the one-node cluster');
  });

  it('runs commands in a container (kubectl exec)', async () => {
    await eventually(() => isReady(pod('client')), 120_000, 'pod client Ready');
    expect(kubectl(['exec', '-n', NS, 'web', '--', 'hostname']).trim()).toBe('web');
    expect(kubectl(['exec', '-n', NS, 'client', '--', 'cat', '/etc/resolv.conf'])).toMatch(/nameserver 10\.96\.0\.10/);
  });

  it('resolves Service names with CoreDNS, and a pod calls another through its Service by name', async () => {
    const svc = getJson(['service', 'web', '-n', NS]);
    const lookup = await eventually(() => {
      const out = kubectl(['exec', '-n', NS, 'client', '--', 'nslookup', `web.${NS}.svc.cluster.local`]);
      return out.includes(svc.spec.clusterIP) ? out : undefined;
    }, 60_000, 'nslookup of the Service name');
    expect(lookup).toContain(svc.spec.clusterIP);
    // An HTTP/1.0 request by hand through nc: the name goes through the pod's resolv.conf search path.
    const get = `printf 'GET / HTTP/1.0\\r\\nHost: web\\r\\n\\r\\n' | nc -w 5 web 80`;
    const body = await eventually(() => kubectl(['exec', '-n', NS, 'client', '--', 'sh', '-c', get]), 60_000, 'GET http://web/ from pod client');
    expect(body).toMatch(/^HTTP\/1\.[01] 200/);
    expect(body).toContain('hello from the one-node cluster');
    // Names outside the cluster are not answered (nothing is forwarded off the machine).
    const outside = run(join(ROOT, '.local', 'tools', 'bin', 'kubectl'), ['exec', '-n', NS, 'client', '--', 'nslookup', 'example.com']);
    expect(outside.code).not.toBe(0);
  });

  it('streams container logs (kubectl logs)', () => {
    expect(kubectl(['logs', '-n', NS, 'web'])).toContain('web: serving /www on :8080');
  });

  it('forwards a local port to the pod (kubectl port-forward)', async () => {
    const pf = spawn(join(BIN, 'kubectl'), ['port-forward', '-n', NS, 'pod/web', '39180:8080'], { env: { ...process.env, KUBECONFIG } });
    try {
      const body = await eventually(() => {
        const r = run('curl', ['-fsS', '--max-time', '5', 'http://127.0.0.1:39180/']);
        return r.code === 0 ? r.stdout : undefined;
      }, 30_000, 'http://127.0.0.1:39180/ through kubectl port-forward');
      expect(body).toContain('hello from the one-node cluster');
    } finally {
      pf.kill();
    }
  });

  it('serves resource metrics (kubectl top pod through metrics-server)', async () => {
    const line = await eventually(() => {
      const r = run(join(ROOT, '.local', 'tools', 'bin', 'kubectl'), ['top', 'pod', 'web', '-n', NS, '--no-headers']);
      return r.code === 0 && /^web\s+\d+m\s+\d+Mi/.test(r.stdout.trim()) ? r.stdout.trim() : undefined;
    }, 150_000, 'kubectl top pod web');
    expect(line).toMatch(/^web\s+\d+m\s+\d+Mi$/);
    // kubectl top rounds to whole MiB (busybox httpd needs less); the metrics API has the exact figures.
    const m = JSON.parse(kubectl(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/web`]));
    const usage = m.containers.find((c: Obj) => c.name === 'web').usage;
    expect(usage.memory).toMatch(/^[1-9]\d*(Ki|Mi)?$/);
    expect(usage.cpu).toMatch(/^\d+(n|u|m)?$/);
    expect(kubectl(['top', 'node', '--no-headers'])).toMatch(/\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
  });

  it('reports a pod whose image does not exist as ErrImagePull/ImagePullBackOff instead of hanging', async () => {
    const reason = await eventually(() => {
      const w = pod('broken').status?.containerStatuses?.[0]?.state?.waiting;
      return w && ['ErrImagePull', 'ImagePullBackOff'].includes(w.reason) ? w.reason : undefined;
    }, 90_000, 'pod broken to fail its image pull');
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(reason);
    expect(pod('broken').status.phase).toBe('Pending');
  });
});
