#!/usr/bin/env bash
# `npm start`: install what is missing, start the infrastructure, build and migrate every service,
# then run each with REPLICAS (default 2) replicas behind HAProxy on LB_PORT (default 8080), and on
# first start create a development admin and a demo catalog (PLATFORM_DEMO=0 skips that).
# PLATFORM_TRACING=1 also runs Jaeger and has every replica export its spans to it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
PLATFORM_STARTED_AT="$(date +%s%3N)"
export PLATFORM_STARTED_AT
bash scripts/ensure-deps.sh
bash scripts/infra/infra.sh up
if [[ "${PLATFORM_TRACING:-0}" == 1 ]]; then
  # The trace viewer, built once per machine from the Go module proxy (long the first time, then cached).
  echo "==> jaeger (PLATFORM_TRACING=1)"
  bash scripts/observability/build.sh jaeger >/dev/null
fi
echo "==> building services"
npx nx run-many -t build -p auth catalog media profile --outputStyle=static
if [[ ! -f .local/dev-signing-keys.json ]]; then
  # Local development only: one signing key shared by every auth replica (production uses a Secret).
  echo "[$(bash scripts/ts-run.sh apps/auth/src/keys/generate-key.ts dev-key-1)]" > .local/dev-signing-keys.json
fi
JWT_SIGNING_KEYS="$(cat .local/dev-signing-keys.json)"
export JWT_SIGNING_KEYS
for service in auth catalog media profile; do
  echo "==> migrating $service"
  bash scripts/service-env.sh "$service" node "dist/apps/$service/main.js" migrate
done
# PLATFORM_DEMO=1: a local development admin and a small demo catalog, made once (tools/platform/demo-data.mjs).
PLATFORM_DEMO="${PLATFORM_DEMO:-1}" exec node tools/platform/supervisor.mjs
