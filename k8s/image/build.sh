#!/usr/bin/env bash
# Container images of the services from the root Dockerfile, with podman/buildah (no Docker engine).
#
#   npm run image -- build [app...]   build the base (if its inputs changed) and the app images (default: all)
#   npm run image -- base             build only the base image (k8s/image/base-image.sh)
#   npm run image -- list             the images and their sizes
#   npm run image -- save [app...]    write each image as an OCI archive: .local/images/saas-starter-<app>.tar
#
# Images are named as the chart references them by default (helm/saas-starter: `saas.image` helper,
# values image.repository, Chart appVersion): saas-starter-<app>:<appVersion>, in podman
# localhost/saas-starter-<app>:<appVersion>. The archives carry the fully qualified name
# docker.io/library/saas-starter-<app>:<appVersion>, which is what a containerd node (kind, minikube)
# resolves the chart's unqualified reference to.
#
# No image registry is used: the Dockerfile's NODE_IMAGE (the official node image) is replaced by a base
# made here from Debian's and the npm registry's packages (base-image.sh). The build runs with
# --network host so `npm ci` reaches the npm registry the machine's npm config points at; that config
# (user and global npmrc, CA file) is passed as build secrets, never stored in a layer.
# podman runs with k8s/image/containers.conf (rlimits a sandbox without CAP_SYS_RESOURCE can set).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/k8s/image"
OUT_DIR="$ROOT/.local/images"
BUDGET_MB=250
export CONTAINERS_CONF="${CONTAINERS_CONF:-$HERE/containers.conf}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# --- tools ----------------------------------------------------------------------------------------------
ensure_tools() {
  local missing=() cmd pkg
  # uidmap: mmdebstrap's unshare mode when not root. runc: the OCI runtime (podman would pick crun).
  for pair in podman:podman buildah:buildah runc:runc mmdebstrap:mmdebstrap newuidmap:uidmap \
    strip:binutils openssl:openssl; do
    cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local install=(apt-get install -y --no-install-recommends "${missing[@]}")
  if [[ $EUID -ne 0 ]]; then
    die "missing: ${missing[*]}; install them with: sudo apt-get update && sudo ${install[*]}"
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${install[@]}" -qq >&2
}

# --- names ----------------------------------------------------------------------------------------------
chart_app_version() {
  awk -F': *' '$1 == "appVersion" { gsub(/["'\'' ]/, "", $2); print $2; exit }' "$ROOT/helm/saas-starter/Chart.yaml"
}
chart_repository() { # values.yaml: image.repository (top-level `image:` block)
  awk '/^image:/ { in_image = 1; next } in_image && /^[^ #]/ { in_image = 0 }
       in_image && $1 == "repository:" { gsub(/["'\'']/, "", $2); print $2; exit }' "$ROOT/helm/saas-starter/values.yaml"
}
VERSION="$(chart_app_version)"
REPOSITORY="$(chart_repository)"
[[ -n "$VERSION" && -n "$REPOSITORY" ]] || die "cannot read appVersion/image.repository from helm/saas-starter"

image_name() { echo "$REPOSITORY-$1"; }                 # saas-starter-catalog
image_ref() { echo "localhost/$(image_name "$1"):$VERSION"; } # as podman stores it
archive_ref() { echo "docker.io/library/$(image_name "$1"):$VERSION"; }

# Sets APPS to the arguments (checked) or every app under apps/.
resolve_apps() {
  local all=() d app
  for d in "$ROOT"/apps/*/; do [[ -f "$d/project.json" ]] && all+=("$(basename "$d")"); done
  if [[ $# -eq 0 ]]; then APPS=("${all[@]}"); return; fi
  for app in "$@"; do
    [[ " ${all[*]} " == *" $app "* ]] || die "unknown app '$app' (expected one of: ${all[*]})"
  done
  APPS=("$@")
}

size_mb() { podman image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.1f", $1 / 1e6 }'; }

# --- npm configuration for the build (secrets) ----------------------------------------------------------
# The machine's global and user npmrc, minus settings that are paths on this machine; its CA file (if
# any) becomes the secret npm_ca and the npmrc points at it inside the build.
prepare_npm_secrets() {
  local dir=$1 npmrc="$1/npmrc" ca file
  : >"$npmrc"
  chmod 600 "$npmrc"
  for file in "$(npm config get globalconfig 2>/dev/null || true)" "$(npm config get userconfig 2>/dev/null || true)"; do
    [[ -n "$file" && -f "$file" ]] || continue
    grep -vE '^[[:space:]]*(cafile|nodedir|cache|prefix|globalconfig|userconfig|init-module|tmp)[[:space:]]*=' "$file" >>"$npmrc" || true
    echo >>"$npmrc"
  done
  ca="$(npm config get cafile 2>/dev/null || true)"
  if [[ -n "$ca" && "$ca" != null && "$ca" != undefined && -f "$ca" ]]; then
    cp "$ca" "$dir/npm_ca"
    echo "cafile=/run/secrets/npm_ca" >>"$npmrc"
  fi
  SECRET_ARGS=(--secret "id=npmrc,src=$npmrc")
  [[ -f "$dir/npm_ca" ]] && SECRET_ARGS+=(--secret "id=npm_ca,src=$dir/npm_ca")
  return 0
}

# --- subcommands ----------------------------------------------------------------------------------------
cmd_base() {
  ensure_tools
  bash "$HERE/base-image.sh" "$@"
}

cmd_build() {
  local base work started total_started app ref size over=()
  resolve_apps "$@"
  ensure_tools
  total_started=$SECONDS
  base="$(bash "$HERE/base-image.sh")"
  work="$(mktemp -d "${TMPDIR:-/tmp}/saas-image.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  prepare_npm_secrets "$work"
  for app in "${APPS[@]}"; do
    ref="$(image_ref "$app")"
    log "build $ref (NODE_IMAGE=$base)"
    started=$SECONDS
    nice -n 10 podman build \
      --network host \
      --pull=never \
      --layers \
      --build-arg "NODE_IMAGE=$base" \
      --build-arg "APP=$app" \
      "${SECRET_ARGS[@]}" \
      --label "org.opencontainers.image.version=$VERSION" \
      --tag "$ref" \
      --file "$ROOT/Dockerfile" \
      "$ROOT" >&2
    size="$(size_mb "$ref")"
    log "$ref: $size MB, built in $((SECONDS - started)) s"
    awk -v s="$size" -v b="$BUDGET_MB" 'BEGIN { exit !(s > b) }' && over+=("$app")
  done
  echo
  cmd_list "${APPS[@]}"
  log "done in $((SECONDS - total_started)) s"
  if [[ ${#over[@]} -gt 0 ]]; then
    log "WARNING: over the ${BUDGET_MB} MB budget: ${over[*]}"
  fi
}

need_podman() { command -v podman >/dev/null 2>&1 || die "podman is not installed (npm run image -- build installs it)"; }

cmd_list() {
  local app ref refs
  resolve_apps "$@"
  need_podman
  refs=("$(bash "$HERE/base-image.sh" --ref)")
  for app in "${APPS[@]}"; do refs+=("$(image_ref "$app")"); done
  printf '%-48s %10s  %s\n' IMAGE SIZE CREATED
  for ref in "${refs[@]}"; do
    if podman image exists "$ref" 2>/dev/null; then
      printf '%-48s %7s MB  %s\n' "$ref" "$(size_mb "$ref")" "$(podman image inspect --format '{{.Created.Format "2006-01-02 15:04:05"}}' "$ref")"
    else
      printf '%-48s %10s\n' "$ref" "(not built)"
    fi
  done
}

# OCI archive: podman writes an OCI layout (gzip layers); the index entry gets the full name both as
# org.opencontainers.image.ref.name and io.containerd.image.name, so `ctr images import` (kind load
# image-archive, minikube image load) and `docker load` tag it as the chart expects.
cmd_save() {
  local app ref name dir archive
  resolve_apps "$@"
  need_podman
  mkdir -p "$OUT_DIR"
  for app in "${APPS[@]}"; do
    ref="$(image_ref "$app")"
    podman image exists "$ref" || die "$ref is not built (npm run image -- build $app)"
    name="$(archive_ref "$app")"
    archive="$OUT_DIR/$(image_name "$app").tar"
    dir="$(mktemp -d "$OUT_DIR/.oci.XXXXXX")"
    podman push --quiet "$ref" "oci:$dir:$name" >/dev/null
    node -e '
      const fs = require("fs");
      const [file, name] = process.argv.slice(1);
      const index = JSON.parse(fs.readFileSync(file, "utf8"));
      for (const m of index.manifests) m.annotations = { ...m.annotations, "org.opencontainers.image.ref.name": name, "io.containerd.image.name": name };
      fs.writeFileSync(file, JSON.stringify(index));
    ' "$dir/index.json" "$name"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$dir" -cf "$archive.tmp" oci-layout index.json blobs
    mv "$archive.tmp" "$archive"
    rm -rf "$dir"
    log "$archive ($name): $(stat -c %s "$archive" | awk '{ printf "%.1f", $1 / 1e6 }') MB"
  done
}

sub="${1:-}"
[[ $# -gt 0 ]] && shift
case "$sub" in
  build) cmd_build "$@" ;;
  base) cmd_base "$@" ;;
  list) cmd_list "$@" ;;
  save) cmd_save "$@" ;;
  -h | --help | help | "") usage ;;
  *) die "unknown subcommand '$sub' (build, base, list, save)" ;;
esac
