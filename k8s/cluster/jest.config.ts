// The one-node cluster's e2e suite: global setup brings the cluster up (cluster.sh up builds what is
// missing, then starts the control plane, containerd, kubelet, kube-proxy, CoreDNS and metrics-server);
// the tests drive it with kubectl built from the same Kubernetes version.
export default {
  displayName: 'cluster',
  preset: '../../jest.preset.js',
  rootDir: '.',
  globalSetup: '<rootDir>/__tests__/global-setup.ts',
  globalTeardown: '<rootDir>/__tests__/global-teardown.ts',
  testTimeout: 240_000,
};
