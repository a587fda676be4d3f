// DEMO.md's recorded outputs against its commands (fast: reads files only).
export default {
  displayName: 'k8s-demo',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
