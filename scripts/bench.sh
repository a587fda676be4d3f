#!/usr/bin/env bash
# `npm run bench [-- name...]`: runs the benchmarks against the real local infrastructure and prints
# figures and ratios measured side by side. Names: see tools/bench/*.ts (default: all).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh
bash scripts/infra/infra.sh up >/dev/null
# Benchmarks that start services use the production bundles.
npx nx run-many -t build -p auth catalog media profile --outputStyle=static >/dev/null
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  mapfile -t names < <(ls tools/bench/*.ts | xargs -n1 basename | sed 's/\.ts$//' | grep -v '^measure$')
fi
for name in "${names[@]}"; do
  echo "== bench: $name"
  LOG_LEVEL=error bash scripts/ts-run.sh "tools/bench/$name.ts" 2>&1 | grep -v '"level"\|\[Nest\]'
done
