#!/usr/bin/env bash
# Installs the pinned schemathesis (fuzzer/requirements.txt) into the project-local virtualenv
# .local/venv-schemathesis, once: a second call with the same requirements does nothing.
#   bash tools/contract/fuzzer/install.sh      prints the schemathesis executable's path
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
requirements="$root/tools/contract/fuzzer/requirements.txt"
venv="${CONTRACT_VENV:-$root/.local/venv-schemathesis}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [[ -x $venv/bin/schemathesis && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  echo "$venv/bin/schemathesis"
  exit 0
fi

python="$(command -v python3 || true)"
if [[ -z $python ]]; then
  echo "python3 is missing: apt-get install -y python3 python3-venv" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "schemathesis needs Python 3.10 or newer; found $("$python" --version)" >&2
  exit 1
fi
echo "installing schemathesis into $venv (pinned by tools/contract/fuzzer/requirements.txt)" >&2
rm -rf "$venv"
if ! "$python" -m venv "$venv" >&2; then
  echo "python3 -m venv failed: apt-get install -y python3-venv" >&2
  exit 1
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
"$venv/bin/schemathesis" --version >&2
echo "$want" > "$stamp"
echo "$venv/bin/schemathesis"
