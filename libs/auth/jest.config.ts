export default {
  displayName: 'jwt-auth',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
