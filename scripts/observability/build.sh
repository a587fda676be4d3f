#!/usr/bin/env bash
# Builds the observability tools pinned by the go.mod/go.sum beside this script, from the Go module proxy,
# into .local/tools/bin/:
#   jaeger    Jaeger v2 all-in-one (github.com/jaegertracing/jaeger cmd/jaeger): OTLP receiver, in-memory
#             trace store and query API; `npm start` runs it with PLATFORM_TRACING=1, the trace test too
#   promtool  Prometheus' rule checker (github.com/prometheus/prometheus cmd/promtool): `check rules` and
#             `test rules` for the alert rules in helm/saas-starter/files/alerts/
#
#   bash scripts/observability/build.sh [jaeger|promtool ...]          # build what is missing or stale; print the paths
#   bash scripts/observability/build.sh --force [jaeger|promtool ...]  # rebuild
#   bash scripts/observability/build.sh --check [jaeger|promtool ...]  # exit 0 if up to date, 1 otherwise (builds nothing)
#
# A binary is rebuilt only when its pinned inputs (go.mod, go.sum, flags, Go version) change; a machine-wide
# copy keyed by the same stamp (~/.cache/saas-starter/observability-tools, OBSERVABILITY_TOOLS_CACHE=off
# disables it) lets a fresh clone on this machine (CI) reuse it. Build times on 2 shared cores: see the README.
#
# The Jaeger module carries no UI assets (the jaeger-ui web bundle is built from its own repository and is
# published to no registry this project may use), so the binary serves its placeholder page at / and the
# full query API (/api/traces, /api/v3/...). The chart's official image has the UI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/scripts/observability"
BIN="${OBSERVABILITY_TOOLS_BIN:-$ROOT/.local/tools/bin}"
STAMPS="$BIN/.stamps"
mode="" wanted=()
for arg in "$@"; do
  case "$arg" in
    --force | --check) mode="$arg" ;;
    jaeger | promtool) wanted+=("$arg") ;;
    *) echo "usage: $0 [--force|--check] [jaeger] [promtool]" >&2; exit 2 ;;
  esac
done
((${#wanted[@]})) || wanted=(jaeger promtool)

export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null 2>&1; then
  echo "observability/build.sh: Go is required (/usr/local/go/bin/go, or the golang-go Debian package)" >&2
  exit 1
fi
export CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS="-buildvcs=false -mod=readonly"

mod_version() { # `require m v` or inside a require block
  awk -v m="$2" '$1 == "require" { $1 = ""; $0 = $0 } $1 == m && $2 ~ /^v/ { print $2; exit }' "$1"
}
JAEGER_VERSION="$(mod_version "$SRC/jaeger/go.mod" github.com/jaegertracing/jaeger)"
PROMETHEUS_VERSION="$(mod_version "$SRC/promtool/go.mod" github.com/prometheus/prometheus)"
if [[ -z "$JAEGER_VERSION" || -z "$PROMETHEUS_VERSION" ]]; then
  echo "observability/build.sh: cannot read the pinned versions from $SRC/*/go.mod" >&2
  exit 1
fi

# The version strings the binaries print (`jaeger version`, `promtool --version`), as their Makefiles set them.
jaeger_ldflags="-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION"
jaeger_ldflags+=" -X github.com/jaegertracing/jaeger/internal/version.commitSHA=module-$JAEGER_VERSION"
# Prometheus v0.3xx.y is its 3.xx.y release.
prom_minor="$(echo "$PROMETHEUS_VERSION" | cut -d. -f2)" # 316
prom_release="$((prom_minor / 100)).$((prom_minor % 100)).$(echo "$PROMETHEUS_VERSION" | cut -d. -f3)"
prom_ldflags="-s -w -X github.com/prometheus/common/version.Version=$prom_release"
prom_ldflags+=" -X github.com/prometheus/common/version.Revision=module-$PROMETHEUS_VERSION"

# name | module dir | package | ldflags | tags
declare -A targets=(
  [jaeger]="$SRC/jaeger|github.com/jaegertracing/jaeger/cmd/jaeger|$jaeger_ldflags|"
  # remove_all_sd: Prometheus' own build tag leaving out every service-discovery plugin (cloud SDKs,
  # Kubernetes client...), which rule checks and rule unit tests never use: a much smaller, faster build.
  [promtool]="$SRC/promtool|github.com/prometheus/prometheus/cmd/promtool|$prom_ldflags|remove_all_sd"
)

stamp_of() { # the hash of everything that decides a binary's content
  { cat "$1/go.mod" "$1/go.sum"; echo "$2|$3|$4|$(go env GOVERSION)"; } | sha256sum | cut -c1-16
}

CACHE="${OBSERVABILITY_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/saas-starter/observability-tools}"
mkdir -p "$BIN" "$STAMPS"
[[ "$CACHE" == off ]] || mkdir -p "$CACHE" 2>/dev/null || CACHE=off
# Several jest workers or CI steps may ask at once: one builds, the others wait and reuse it.
exec 9>"$BIN/.observability-tools.lock"
flock 9

stale=0
for name in "${wanted[@]}"; do
  IFS='|' read -r dir pkg ldflags tags <<<"${targets[$name]}"
  want="$(stamp_of "$dir" "$pkg" "$ldflags" "$tags")"
  have="$(cat "$STAMPS/$name" 2>/dev/null || true)"
  if [[ "$mode" != "--force" && -x "$BIN/$name" && "$want" == "$have" ]]; then
    [[ "$mode" == "--check" ]] || echo "$BIN/$name"
    continue
  fi
  stale=1
  if [[ "$mode" == "--check" ]]; then echo "observability/build.sh: $name missing or stale" >&2; continue; fi
  if [[ "$mode" != "--force" && "$CACHE" != off && -x "$CACHE/$name-$want" ]]; then
    cp -f "$CACHE/$name-$want" "$BIN/$name.tmp" && mv -f "$BIN/$name.tmp" "$BIN/$name"
    echo "$want" >"$STAMPS/$name"
    echo "observability/build.sh: $name taken from $CACHE" >&2
    echo "$BIN/$name"
    continue
  fi
  echo "==> building $name ($pkg) into $BIN ..." >&2
  start=$SECONDS
  # nice: a first build takes many minutes on 2 cores; keep other work responsive.
  (cd "$dir" && nice -n 10 go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$BIN/$name.tmp" "$pkg")
  mv -f "$BIN/$name.tmp" "$BIN/$name"
  echo "$want" >"$STAMPS/$name"
  echo "==> built $name in $((SECONDS - start))s" >&2
  if [[ "$CACHE" != off ]]; then
    rm -f "$CACHE/$name"-*
    cp -f "$BIN/$name" "$CACHE/$name-$want.tmp" && mv -f "$CACHE/$name-$want.tmp" "$CACHE/$name-$want" || true
  fi
  echo "$BIN/$name"
done
if [[ "$mode" == "--check" ]]; then exit "$stale"; fi
