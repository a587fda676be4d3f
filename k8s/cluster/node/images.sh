#!/usr/bin/env bash
# The node's own container images, made here from local static binaries (no image registry is reachable):
#   localhost/saas-starter/pause:3.10.1           pause.c of the pinned k8s.io/kubernetes module, gcc -static
#   localhost/saas-starter/coredns:<version>      the CoreDNS built by build.sh (addons/coredns)
#   localhost/saas-starter/metrics-server:<ver>   the metrics-server built by build.sh (addons/metrics-server)
#   localhost/saas-starter/busybox:<version>      Debian's busybox-static (sh, nc, nslookup, httpd) for tests
# Each is one uncompressed layer in an OCI image layout packed as a tar (what `ctr images import` and
# `podman load` read), written to .local/tools/images/<name>.tar; rebuilt only when its inputs change.
#
#   bash k8s/cluster/node/images.sh          # build what is missing or stale, print the archive paths
#   bash k8s/cluster/node/images.sh names    # print the image names (name=reference)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
SRC="$ROOT/k8s/cluster"
BIN="${K8S_TOOLS_BIN:-$ROOT/.local/tools/bin}"
OUT="${K8S_IMAGES_DIR:-$ROOT/.local/tools/images}"
export PATH="/usr/local/go/bin:$PATH" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

mod_version() { awk -v m="$2" '$1 == "require" { $1 = "" ; $0 = $0 } $1 == m && $2 ~ /^v/ { print $2; exit }' "$1"; }
PAUSE_TAG=3.10.1
COREDNS_VERSION="$(mod_version "$SRC/addons/coredns/go.mod" github.com/coredns/coredns)"
METRICS_VERSION="$(mod_version "$SRC/addons/metrics-server/go.mod" sigs.k8s.io/metrics-server)"
# Not installed yet on a fresh machine (build.sh --node installs it): the name says "none" until then.
BUSYBOX_VERSION="$({ dpkg-query -W -f '${Version}' busybox-static 2>/dev/null || true; } | sed 's/^[0-9]*://; s/[^A-Za-z0-9_.-]/_/g')"
declare -A IMAGE=(
  [pause]="localhost/saas-starter/pause:$PAUSE_TAG"
  [coredns]="localhost/saas-starter/coredns:$COREDNS_VERSION"
  [metrics-server]="localhost/saas-starter/metrics-server:$METRICS_VERSION"
  [busybox]="localhost/saas-starter/busybox:${BUSYBOX_VERSION:-none}"
)
if [[ "${1:-}" == names ]]; then
  for k in pause coredns metrics-server busybox; do echo "$k=${IMAGE[$k]}"; done
  exit 0
fi

log() { echo "images: $*" >&2; }

blob() { # blob <dir> <file>: move a file into blobs/sha256 and print "<digest> <size>"
  local d s
  d="$(sha256sum "$2" | cut -d' ' -f1)"
  s="$(stat -c %s "$2")"
  mv -f "$2" "$1/blobs/sha256/$d"
  echo "$d $s"
}

# oci_archive <image ref> <rootfs dir> <out.tar> <config json (the image's "config" object)>
oci_archive() {
  local ref="$1" rootfs="$2" out="$3" cfg="$4" w layer config manifest ld ls cd cs md ms
  w="$(mktemp -d)"
  mkdir -p "$w/blobs/sha256"
  # A reproducible layer: sorted, owned by root, fixed times.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$rootfs" -cf "$w/layer" .
  read -r ld ls < <(blob "$w" "$w/layer")
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"k8s/cluster/node/images.sh"}]}' \
    "$cfg" "$ld" >"$w/config"
  read -r cd cs < <(blob "$w" "$w/config")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cd" "$cs" "$ld" "$ls" >"$w/manifest"
  read -r md ms < <(blob "$w" "$w/manifest")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$md" "$ms" "$ref" "$ref" >"$w/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$w/oci-layout"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$w" -cf "$out.tmp" oci-layout index.json blobs
  mv -f "$out.tmp" "$out"
  rm -rf "$w"
}

# A minimal root filesystem: /etc/passwd and /etc/group with root and nobody, /tmp.
base_rootfs() {
  mkdir -p "$1/etc" "$1/tmp" "$1/bin"
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$1/etc/group"
}

# build_image <key> <stamp inputs...> -- <fill function> <config json>
build_image() {
  local key="$1" fill="$2" cfg="$3"; shift 3
  local out="$OUT/$key.tar" want have r
  want="$( { echo "${IMAGE[$key]}|$cfg"; sha256sum "$@" "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)"
  have="$(cat "$OUT/.stamps/$key" 2>/dev/null || true)"
  if [[ -f "$out" && "$want" == "$have" ]]; then echo "$out"; return 0; fi
  r="$(mktemp -d)"
  base_rootfs "$r"
  "$fill" "$r"
  oci_archive "${IMAGE[$key]}" "$r" "$out" "$cfg"
  rm -rf "$r"
  echo "$want" >"$OUT/.stamps/$key"
  log "built ${IMAGE[$key]} -> $out"
  echo "$out"
}

pause_src() {
  local dir
  dir="$(cd "$SRC" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' k8s.io/kubernetes)" ||
    { log "cannot locate the k8s.io/kubernetes module (run bash k8s/cluster/build.sh)"; exit 1; }
  echo "$dir/build/pause/linux/pause.c"
}
fill_pause() {
  mkdir -p "$1"
  # Same flags as the module's build/pause/Makefile.
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_TAG-saas-starter" -o "$1/pause" "$(pause_src)"
  strip "$1/pause"
}
fill_coredns() { install -m 0755 "$BIN/coredns" "$1/coredns"; }
fill_metrics() { install -m 0755 "$BIN/metrics-server" "$1/metrics-server"; }
fill_busybox() {
  install -m 0755 /bin/busybox "$1/bin/busybox"
  local a
  # No wget: Debian 12's busybox-static wget segfaults before doing anything (also on the host); nc works.
  for a in sh ls cat echo env hostname id nslookup nc httpd sleep ps kill mkdir printf date; do ln -s busybox "$1/bin/$a"; done
  mkdir -p "$1/www"
  echo "hello from the one-node cluster" >"$1/www/index.html"
}

mkdir -p "$OUT/.stamps"
for need in gcc strip; do command -v "$need" >/dev/null || { log "$need is required (apt-get install gcc)"; exit 1; }; done
[[ -x /bin/busybox ]] || { log "/bin/busybox missing: apt-get install busybox-static (build.sh does)"; exit 1; }
build_image pause fill_pause '{"Entrypoint":["/pause"],"User":"65535:65535"}' "$(pause_src)"
build_image coredns fill_coredns '{"Entrypoint":["/coredns"],"ExposedPorts":{"53/udp":{},"53/tcp":{}}}' "$BIN/coredns"
build_image metrics-server fill_metrics '{"Entrypoint":["/metrics-server"],"User":"65534:65534"}' "$BIN/metrics-server"
build_image busybox fill_busybox '{"Cmd":["/bin/sh"],"Env":["PATH=/bin"]}' /bin/busybox
