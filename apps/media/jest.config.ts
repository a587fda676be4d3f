export default {
  displayName: 'media',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
