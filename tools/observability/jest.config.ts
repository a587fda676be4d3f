export default {
  displayName: 'observability-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
  // The four built services start once per suite on a busy machine; promtool and Jaeger are built first.
  testTimeout: 240_000,
  globalSetup: '<rootDir>/global-setup.ts',
};
