#!/usr/bin/env bash
# Runs a TypeScript tool (tools/**/*.ts) with the local infrastructure's environment loaded.
#   scripts/ts-run.sh tools/demos/stale-read.ts [args]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh >&2
if [[ -f .local/infra.env ]]; then set -a; source .local/infra.env; set +a; fi
export SWC_NODE_PROJECT="$root/tools/tsconfig.json"
exec node -r @swc-node/register "$@"
