#!/usr/bin/env bash
# Runs a command with the local-development environment of one service:
#   scripts/service-env.sh <auth|catalog|media|profile> [replica-index] -- <command...>
#   scripts/service-env.sh catalog node dist/apps/catalog/main.js
# Infrastructure addresses come from .local/infra.env (written by `npm run infra -- up`).
# Values already set in the environment win, so anything here can be overridden.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
service=${1:?usage: service-env.sh <service> [replica] [--] command...}; shift
replica=0
if [[ ${1:-} =~ ^[0-9]+$ ]]; then replica=$1; shift; fi
[[ ${1:-} == -- ]] && shift

case "$service" in
  auth) base_port=3001 ;; catalog) base_port=3002 ;; media) base_port=3003 ;; profile) base_port=3004 ;;
  *) echo "unknown service '$service' (expected auth, catalog, media or profile)" >&2; exit 2 ;;
esac

env_file="$root/.local/infra.env"
if [[ ! -f $env_file ]]; then
  echo "$env_file is missing: run 'npm run infra -- up' first" >&2
  exit 1
fi
# shellcheck disable=SC1090
source "$env_file"

# Replica i of a service listens on base_port + 100*i (3002, 3102, 3202...).
export PORT="${PORT:-$((base_port + 100 * replica))}"
export HOST="${HOST:-127.0.0.1}"
export INSTANCE_ID="${INSTANCE_ID:-$service-$replica}"
export DATABASE_PRIMARY_URL="${DATABASE_PRIMARY_URL:-$DATABASE_PRIMARY_URL_BASE/$service}"
export DATABASE_REPLICA_URLS="${DATABASE_REPLICA_URLS:-$DATABASE_REPLICA_URL_BASE/$service}"
export REDIS_URL KAFKA_BROKERS
export LB_URL="${LB_URL:-http://127.0.0.1:${LB_PORT:-8080}}"
export JWT_ISSUER="${JWT_ISSUER:-$LB_URL/auth}"
export JWT_AUDIENCE="${JWT_AUDIENCE:-saas-starter}"
# Through the balancer, so any healthy auth replica answers.
export JWKS_URL="${JWKS_URL:-$LB_URL/auth/.well-known/jwks.json}"
export MEDIA_URL="${MEDIA_URL:-$LB_URL}"
export MEDIA_STORAGE_DIR="${MEDIA_STORAGE_DIR:-$root/.local/media}"
export SHUTDOWN_DRAIN_MS="${SHUTDOWN_DRAIN_MS:-1500}"
cd "$root"
exec "$@"
