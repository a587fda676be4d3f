#!/usr/bin/env bash
# Creates the files every lib needs: scripts/scaffold-lib.sh <name> <tag>...  (e.g. scope:shared type:util)
set -euo pipefail
name=$1; shift
dir=libs/$name
mkdir -p "$dir/src/__tests__"
tags=$(printf '"%s", ' "$@"); tags=${tags%, }
cat > "$dir/project.json" <<JSON
{
  "name": "$name",
  "\$schema": "../../node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$dir/src",
  "projectType": "library",
  "tags": [$tags],
  "targets": {
    "lint": {},
    "typecheck": {},
    "test": {}
  }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "types": ["node", "jest"] },
  "include": ["src/**/*.ts"]
}
JSON
cat > "$dir/jest.config.ts" <<TS
export default {
  displayName: '$name',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
TS
[ -f "$dir/src/index.ts" ] || echo "export {};" > "$dir/src/index.ts"
