#!/usr/bin/env bash
# Installs npm dependencies when node_modules is missing or older than package-lock.json (idempotent).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  # `npm install` rather than `npm ci`: npm 11 reports optional platform packages of sass-embedded
  # (pulled in by the Nx webpack plugin) as missing from any lock file and refuses `ci`. The lock
  # file still pins every version.
  echo "==> npm install (from package-lock.json)"
  npm install --no-audit --no-fund
fi
