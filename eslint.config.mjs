import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

// Apps never import each other; they share only what lives in libs/. Layers: app -> platform ->
// data-access -> contracts/util; nothing reaches upwards. Test files may also use the testing lib.
const depConstraints = (inTests) => {
  const testing = inTests ? ['type:testing'] : [];
  return [
    { sourceTag: 'scope:auth', onlyDependOnLibsWithTags: ['scope:auth', 'scope:shared'] },
    { sourceTag: 'scope:catalog', onlyDependOnLibsWithTags: ['scope:catalog', 'scope:shared'] },
    { sourceTag: 'scope:media', onlyDependOnLibsWithTags: ['scope:media', 'scope:shared'] },
    { sourceTag: 'scope:profile', onlyDependOnLibsWithTags: ['scope:profile', 'scope:shared'] },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:platform', 'type:data-access', 'type:contracts', 'type:util', ...testing] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:platform', 'type:data-access', 'type:contracts', 'type:util'] },
    { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:util'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:util'] },
    { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util', ...testing] },
    { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util', ...testing] },
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:util', ...testing] },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', ...testing] },
  ];
};

const boundaries = (inTests) => [
  'error',
  { enforceBuildableLibDependency: true, banTransitiveDependencies: false, allow: [], depConstraints: depConstraints(inTests) },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '.local/**', 'reports/**', 'helm/saas-starter/**', 'tools/**/bin'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(false),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/__tests__/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(true), '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
