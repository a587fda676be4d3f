#!/usr/bin/env bash
# Builds the container-free Kubernetes control plane used by the k8s-cli tests and the local demos:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s/cluster)
#   kwok                                                                     (k8s/cluster/kwok)
# and with --node also what the one-node cluster (cluster.sh) runs:
#   kubelet, kube-proxy                                                      (k8s/cluster)
#   containerd, containerd-shim-runc-v2, ctr, CNI plugins in cni/            (k8s/cluster/node)
#   coredns, metrics-server                         (k8s/cluster/addons/coredns, addons/metrics-server)
#   runc and busybox-static from Debian's packages (apt-get, only when missing)
# from the Go module proxy, pinned by the go.mod/go.sum there, into .local/tools/bin/.
# A binary is rebuilt only when it is missing or its pinned inputs (go.mod, go.sum, flags) changed.
#
#   bash k8s/cluster/build.sh [--node]            # build what is missing or stale
#   bash k8s/cluster/build.sh --force [--node]    # rebuild everything
#   bash k8s/cluster/build.sh --check [--node]    # exit 0 if everything is up to date, 1 otherwise (builds nothing)
#
# Build times (2 cores, machine shared with other builds): ~33 min from an empty Go cache (apiserver 15,
# kwok 9, controller-manager 5 min); ~90 s to relink with a warm Go build cache; 0 s from the cache below.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/k8s/cluster"
BIN="${K8S_TOOLS_BIN:-$ROOT/.local/tools/bin}"
STAMPS="$BIN/.stamps"
mode="" node=0
for arg in "$@"; do
  case "$arg" in
    --force | --check) mode="$arg" ;;
    --node) node=1 ;;
    *) echo "usage: $0 [--force|--check] [--node]" >&2; exit 2 ;;
  esac
done

# Versions: read from go.mod so there is one place to change them.
mod_version() { # works for both `require m v` and a require block
  awk -v m="$2" '$1 == "require" { $1 = "" ; $0 = $0 } $1 == m && $2 ~ /^v/ { print $2; exit }' "$1"
}
KUBE_VERSION="$(mod_version "$SRC/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(mod_version "$SRC/go.mod" go.etcd.io/etcd/server/v3)"
KWOK_VERSION="$(mod_version "$SRC/kwok/go.mod" sigs.k8s.io/kwok)"
if [[ -z "$KUBE_VERSION" || -z "$ETCD_VERSION" || -z "$KWOK_VERSION" ]]; then
  echo "build.sh: cannot read pinned versions from $SRC/go.mod and $SRC/kwok/go.mod" >&2
  exit 1
fi

export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: Go is required (https://go.dev/doc/install or the golang-go Debian package)" >&2
  exit 1
fi

export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# The build date is fixed (the module's release date) so rebuilding gives the same binary.
KUBE_DATE="$(cd "$SRC" && go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes 2>/dev/null || true)"
KUBE_DATE="${KUBE_DATE:-1970-01-01T00:00:00Z}"
major="${KUBE_VERSION#v}"; major="${major%%.*}"
minor="${KUBE_VERSION#v*.}"; minor="${minor%%.*}"
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$KUBE_DATE"
done
etcd_ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$ETCD_VERSION"
kwok_ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
kube_tags="selinux,notest,grpcnotrace"

# name | module dir | package | ldflags | tags
targets=(
  "etcd|$SRC|go.etcd.io/etcd/server/v3|$etcd_ldflags|"
  "kube-apiserver|$SRC|k8s.io/kubernetes/cmd/kube-apiserver|$kube_ldflags|$kube_tags"
  "kube-controller-manager|$SRC|k8s.io/kubernetes/cmd/kube-controller-manager|$kube_ldflags|$kube_tags"
  "kube-scheduler|$SRC|k8s.io/kubernetes/cmd/kube-scheduler|$kube_ldflags|$kube_tags"
  "kubectl|$SRC|k8s.io/kubernetes/cmd/kubectl|$kube_ldflags|$kube_tags"
  "kwok|$SRC/kwok|sigs.k8s.io/kwok/cmd/kwok|$kwok_ldflags|"
)
if ((node)); then
  CONTAINERD_VERSION="$(mod_version "$SRC/node/go.mod" github.com/containerd/containerd/v2)"
  CNI_VERSION="$(mod_version "$SRC/node/go.mod" github.com/containernetworking/plugins)"
  COREDNS_VERSION="$(mod_version "$SRC/addons/coredns/go.mod" github.com/coredns/coredns)"
  METRICS_VERSION="$(mod_version "$SRC/addons/metrics-server/go.mod" sigs.k8s.io/metrics-server)"
  cd_pkg=github.com/containerd/containerd/v2
  # CGO_ENABLED=0 drops the btrfs snapshotter by itself; devmapper, zfs and tracing are not used either.
  cd_ldflags="-s -w -X $cd_pkg/version.Version=$CONTAINERD_VERSION -X $cd_pkg/version.Revision=module"
  cd_tags="no_btrfs,no_devmapper,no_zfs,no_tracing"
  cni_ldflags="-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_VERSION"
  coredns_ldflags="-s -w -X github.com/coredns/coredns/coremain.GitCommit=module-$COREDNS_VERSION"
  ms_ldflags="-s -w -X k8s.io/client-go/pkg/version.gitVersion=$METRICS_VERSION -X k8s.io/client-go/pkg/version.gitCommit=module"
  cni=github.com/containernetworking/plugins/plugins
  targets+=(
    "kubelet|$SRC|k8s.io/kubernetes/cmd/kubelet|$kube_ldflags|$kube_tags"
    "kube-proxy|$SRC|k8s.io/kubernetes/cmd/kube-proxy|$kube_ldflags|$kube_tags"
    "containerd|$SRC/node|$cd_pkg/cmd/containerd|$cd_ldflags|$cd_tags"
    "containerd-shim-runc-v2|$SRC/node|$cd_pkg/cmd/containerd-shim-runc-v2|$cd_ldflags|$cd_tags"
    "ctr|$SRC/node|$cd_pkg/cmd/ctr|$cd_ldflags|$cd_tags"
    "cni/ptp|$SRC/node|$cni/main/ptp|$cni_ldflags|"
    "cni/host-local|$SRC/node|$cni/ipam/host-local|$cni_ldflags|"
    "cni/loopback|$SRC/node|$cni/main/loopback|$cni_ldflags|"
    "cni/portmap|$SRC/node|$cni/meta/portmap|$cni_ldflags|"
    "coredns|$SRC/addons/coredns|saas-starter/k8s/cluster/addons/coredns|$coredns_ldflags|"
    "metrics-server|$SRC/addons/metrics-server|sigs.k8s.io/metrics-server/cmd/metrics-server|$ms_ldflags|"
  )
fi

stamp_of() { # the hash of everything that decides a binary's content
  local dir="$2"
  { cat "$dir/go.mod" "$dir/go.sum"; echo "$3|$4|$5|$(go env GOVERSION)"; } | sha256sum | cut -c1-16
}

# A machine-wide copy keyed by the same stamp: a fresh clone on this machine (CI) reuses the binaries
# instead of relinking them (about 90 s even with a warm Go build cache). K8S_TOOLS_CACHE=off disables it.
CACHE="${K8S_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/saas-starter/k8s-tools}"
mkdir -p "$BIN" "$STAMPS" "$BIN/cni"
[[ "$CACHE" == off ]] || mkdir -p "$CACHE" 2>/dev/null || CACHE=off
stale=0
total_start=$SECONDS

# runc (the OCI runtime containerd's shim drives) and busybox-static (the test image) come from Debian.
debian_packages() {
  local missing=() p
  for p in runc busybox-static iptables gcc; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [[ "$mode" == "--check" ]]; then echo "build.sh: Debian packages missing: ${missing[*]}"; stale=1; return 0; fi
  echo "build.sh: apt-get install ${missing[*]}"
  apt-get update -qq -o DPkg::Lock::Timeout=600 >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >&2
}
if ((node)); then debian_packages; fi
for t in "${targets[@]}"; do
  IFS='|' read -r name dir pkg ldflags tags <<<"$t"
  key="${name//\//-}" # cni/ptp -> cni-ptp for the stamp and the cache
  want="$(stamp_of "$name" "$dir" "$pkg" "$ldflags" "$tags")"
  have="$(cat "$STAMPS/$key" 2>/dev/null || true)"
  if [[ "$mode" != "--force" && -x "$BIN/$name" && "$want" == "$have" ]]; then
    [[ "$mode" == "--check" ]] || echo "build.sh: $name up to date"
    continue
  fi
  stale=1
  if [[ "$mode" == "--check" ]]; then echo "build.sh: $name missing or stale"; continue; fi
  if [[ "$mode" != "--force" && "$CACHE" != off && -x "$CACHE/$key-$want" ]]; then
    cp -f "$CACHE/$key-$want" "$BIN/$name.tmp" && mv -f "$BIN/$name.tmp" "$BIN/$name"
    echo "$want" >"$STAMPS/$key"
    echo "build.sh: $name taken from $CACHE"
    continue
  fi
  echo "build.sh: building $name ($pkg) ..."
  start=$SECONDS
  # nice: other people run tests on this machine; the build uses both cores otherwise.
  (cd "$dir" && nice -n 10 go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" -o "$BIN/$name.tmp" "$pkg")
  mv -f "$BIN/$name.tmp" "$BIN/$name"
  echo "$want" >"$STAMPS/$key"
  echo "build.sh: built $name in $((SECONDS - start))s"
  if [[ "$CACHE" != off ]]; then
    rm -f "$CACHE/$key"-*
    cp -f "$BIN/$name" "$CACHE/$key-$want.tmp" && mv -f "$CACHE/$key-$want.tmp" "$CACHE/$key-$want" || true
  fi
done
if [[ "$mode" == "--check" ]]; then exit "$stale"; fi
echo "build.sh: done in $((SECONDS - total_start))s (kubernetes $KUBE_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION${CONTAINERD_VERSION:+, containerd $CONTAINERD_VERSION, CNI plugins $CNI_VERSION, CoreDNS $COREDNS_VERSION, metrics-server $METRICS_VERSION}) -> $BIN"
