#!/usr/bin/env bash
# Entry point of the k8s CLI: `npm run k8s -- <command>` (or bash k8s/cli/k8s.sh <command>).
# TypeScript compiled on the fly by SWC; @kubernetes/client-node (ESM-only) is loaded through Node's
# require(esm), built into Node >= 20.19.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export SWC_NODE_PROJECT="$here/tsconfig.json"
exec node --disable-warning=ExperimentalWarning -r "$root/node_modules/@swc-node/register" "$here/src/main.ts" "$@"
