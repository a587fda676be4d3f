export default {
  displayName: 'platform-drills',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
