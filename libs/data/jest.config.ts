export default {
  displayName: 'data',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
