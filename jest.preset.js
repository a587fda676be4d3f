// Shared by every project's jest.config.ts: SWC transform (keeps decorator metadata for NestJS DI)
// and Nx's resolver for the tsconfig path aliases.
module.exports = {
  testEnvironment: 'node',
  resolver: '@nx/jest/plugins/resolver',
  moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json'],
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  // ESM-only packages that CommonJS code require()s (Node 20.19+ can, jest on Node 20 cannot): compile them.
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition)/)'],
  testTimeout: 60_000,
  testMatch: ['**/__tests__/**/*.spec.ts', '**/__tests__/**/*.e2e-spec.ts'],
};
