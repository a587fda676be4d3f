#!/usr/bin/env bash
# The test tiers, each ending with one line "N passed, N failed" summed over its projects.
#   npm test                        the fast tier: every project except the slow tiers' (no Go builds, no images)
#   npm test -- catalog data        only these projects
#   npm run test:observability      traces through a real Jaeger, alert rules under promtool: projects tagged
#                                   tier:observability; builds Jaeger and promtool from the Go module proxy once
#                                   per machine (cached in ~/.cache/saas-starter)
#   npm run test:k8s                the Kubernetes tier: projects tagged tier:k8s (chart, k8s CLI, images...);
#                                   builds helm, kubecheck and the control plane from the Go module proxy once
#                                   per machine (cached in ~/.cache/saas-starter)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tier=fast
if [[ "${1:-}" == --tier=* ]]; then tier="${1#--tier=}"; shift; fi
case "$tier" in fast | k8s | observability) ;; *) echo "unknown tier '$tier' (fast, observability or k8s)" >&2; exit 2 ;; esac
export NX_NO_CLOUD=true NX_DAEMON="${NX_DAEMON:-false}"

bash scripts/ensure-deps.sh
bash scripts/infra/infra.sh up
if [[ $tier == k8s ]]; then
  # Built up front (and timed) rather than inside the first test that needs them.
  bash k8s/helm-tools/build.sh >/dev/null
  bash k8s/cluster/build.sh
fi
if [[ $tier == observability ]]; then
  bash scripts/observability/build.sh >/dev/null
fi

if [[ $# -gt 0 ]]; then
  expected=("$@")
elif [[ $tier != fast ]]; then
  mapfile -t expected < <(npx nx show projects --with-target test --projects "tag:tier:$tier")
else
  mapfile -t expected < <(npx nx show projects --with-target test --exclude 'tag:tier:k8s,tag:tier:observability')
fi
mkdir -p reports/jest
for project in "${expected[@]}"; do rm -f "reports/jest/$project.json"; done

# One project at a time: some suites stop and restart shared infrastructure (failure drills).
# Locally a warm run replays cached results (Nx keeps them per machine); in CI every test runs for
# real against the infrastructure it just started.
cache=()
[[ "${CI:-}" == "true" ]] && cache=(--skip-nx-cache)
status=0
npx nx run-many -t test --projects "$(IFS=,; echo "${expected[*]}")" "${cache[@]}" --parallel=1 --outputStyle=stream || status=$?
node scripts/test-summary.mjs "${expected[@]}" || status=$?
exit "$status"
