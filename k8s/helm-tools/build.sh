#!/usr/bin/env bash
# Builds the chart tooling pinned by k8s/helm-tools/go.mod (+ go.sum) from the Go module proxy into
# .local/tools/bin/: `helm` (helm.sh/helm/v3) and `kubecheck` (k8s/cluster/kubecheck: strict API-type
# and Pod Security "restricted" checks against the k8s.io/api of the project's one Kubernetes version,
# pinned by k8s/cluster/go.mod). The chart tests
# (helm/__tests__) run it; so can people:
#
#   bash k8s/helm-tools/build.sh           # build if missing or the pinned inputs changed; print the path
#   bash k8s/helm-tools/build.sh --force   # rebuild
#   bash k8s/helm-tools/build.sh --check   # exit 0 if up to date, 1 otherwise (builds nothing)
#
# Like Helm's own Makefile, the ldflags set helm's version and its default Kubernetes version
# (chartutil + lint rules) to the client-go minor helm is compiled against; a plain `go build`
# would default to Kubernetes 1.20. The tests pass --kube-version anyway.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/k8s/helm-tools"
CLUSTER="$ROOT/k8s/cluster"
BIN="${HELM_TOOLS_BIN:-$ROOT/.local/tools/bin}"
OUT="$BIN/helm"
CHECK="$BIN/kubecheck"
STAMP="$BIN/.stamps/helm"
mode="${1:-}"

export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null 2>&1; then
  echo "build-helm.sh: Go is required (/usr/local/go/bin/go, or the golang-go Debian package)" >&2
  exit 1
fi
export CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOFLAGS="-buildvcs=false -mod=readonly"

# One place for the versions: go.mod.
HELM_VERSION="$(awk '$1 == "helm.sh/helm/v3" { print $2; exit } $1 == "require" && $2 == "helm.sh/helm/v3" { print $3; exit }' "$SRC/go.mod")"
if [[ -z "$HELM_VERSION" ]]; then
  echo "build-helm.sh: cannot read the helm.sh/helm/v3 version from $SRC/go.mod" >&2
  exit 1
fi

# The stamp is the hash of everything that decides the binary: the pins, the script, the Go version.
inputs_hash() {
  { cat "$SRC/go.mod" "$SRC/go.sum" "$CLUSTER/go.mod" "$CLUSTER/go.sum" "$CLUSTER"/kubecheck/*.go "${BASH_SOURCE[0]}"; go env GOVERSION; } | sha256sum | cut -c1-16
}
want="$(inputs_hash)"
have="$(cat "$STAMP" 2>/dev/null || true)"
up_to_date() { [[ -x "$OUT" && -x "$CHECK" && "$have" == "$want" ]]; }

case "$mode" in
  --check) up_to_date && exit 0 || exit 1 ;;
  --force) have="" ;;
  "") ;;
  *) echo "usage: build-helm.sh [--force|--check]" >&2; exit 2 ;;
esac
if up_to_date; then
  echo "$OUT"
  exit 0
fi

# Several jest workers or CI steps may ask at once: one builds, the others wait and reuse it.
mkdir -p "$BIN/.stamps"
exec 9>"$BIN/.helm.lock"
flock 9
have="$(cat "$STAMP" 2>/dev/null || true)"
if [[ "$mode" != --force ]] && up_to_date; then
  echo "$OUT"
  exit 0
fi

cd "$SRC"
client_go="$(go list -m -f '{{.Version}}' k8s.io/client-go)" # e.g. v0.37.0 -> Kubernetes 1.37
k8s_minor="$(echo "$client_go" | cut -d. -f2)"
k8s_major="$(( $(echo "${client_go#v}" | cut -d. -f1) + 1 ))"
ldflags="-s -w"
ldflags+=" -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
ldflags+=" -X helm.sh/helm/v3/internal/version.metadata="
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$k8s_major"
ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$k8s_major"
ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor"

echo "==> building helm $HELM_VERSION (default Kubernetes v$k8s_major.$k8s_minor) and kubecheck into $BIN" >&2
start=$SECONDS
trap 'rm -f "$OUT.tmp.$$" "$CHECK.tmp.$$"' EXIT
# nice: a first build takes minutes on 2 cores; keep other work responsive.
nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$OUT.tmp.$$" helm.sh/helm/v3/cmd/helm
# kubecheck decodes with the cluster's own k8s.io/api (the one pinned Kubernetes version), so it is built
# from k8s/cluster's module, not helm's (helm brings a newer k8s.io/api for its own use).
(cd "$CLUSTER" && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$CHECK.tmp.$$" ./kubecheck)
mv -f "$OUT.tmp.$$" "$OUT"
mv -f "$CHECK.tmp.$$" "$CHECK"
echo "$want" >"$STAMP"
echo "==> built in $((SECONDS - start))s: $("$OUT" version --short)" >&2
echo "$OUT"
