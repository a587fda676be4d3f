#!/usr/bin/env bash
# `npm start`: install what is missing, start the infrastructure, build and migrate every service,
# then run each with REPLICAS (default 2) replicas behind HAProxy on LB_PORT (default 8080).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-deps.sh
bash scripts/infra/infra.sh up
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
exec node tools/platform/supervisor.mjs
