export default {
  displayName: 'chart',
  preset: '../jest.preset.js',
  rootDir: '.',
  // Builds the pinned helm + kubecheck once (cached in .local/tools/bin) before any suite runs.
  globalSetup: '<rootDir>/__tests__/support/global-setup.ts',
};
