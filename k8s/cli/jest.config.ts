// The e2e suite starts a real control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)
// once for all files, and spawns the CLI as a child process: @kubernetes/client-node is ESM-only, which
// plain node (>= 20.19) require()s but jest's module system cannot, so only the CLI process loads it.
export default {
  displayName: 'k8s-cli',
  preset: '../../jest.preset.js',
  rootDir: '.',
  globalSetup: '<rootDir>/src/__tests__/global-setup.ts',
  globalTeardown: '<rootDir>/src/__tests__/global-teardown.ts',
  testTimeout: 180_000,
};
