#!/usr/bin/env bash
# `npm test`: install what is missing, start the real infrastructure, run every project's tests,
# and end with one line "N passed, N failed" summed over all projects.
#   npm test                 every project
#   npm test -- catalog data only these projects
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh
bash scripts/infra/infra.sh up
rm -rf reports/jest
projects=()
[[ $# -gt 0 ]] && projects=(--projects "$(IFS=,; echo "$*")")
# One project at a time: some suites stop and restart shared infrastructure (failure drills).
# Locally a warm run replays cached results (Nx keeps them per machine); in CI every test runs for
# real against the infrastructure it just started.
cache=()
[[ "${CI:-}" == "true" ]] && cache=(--skip-nx-cache)
status=0
npx nx run-many -t test "${projects[@]}" "${cache[@]}" --parallel=1 --outputStyle=stream || status=$?
if [[ $# -gt 0 ]]; then expected=("$@"); else mapfile -t expected < <(npx nx show projects --with-target test); fi
node scripts/test-summary.mjs "${expected[@]}" || status=$?
exit "$status"
