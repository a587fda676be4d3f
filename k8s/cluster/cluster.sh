#!/usr/bin/env bash
# A one-node Kubernetes cluster whose pods really run, built only from package registries:
#   control plane   control-plane.sh (etcd, kube-apiserver, controller-manager, scheduler; no kwok here)
#   node            kubelet + containerd 2 (runc from Debian, ptp/host-local/portmap CNI) + kube-proxy
#                   (iptables) in a network and mount namespace of their own (node/host.sh, node/node.sh)
#   add-ons         CoreDNS and metrics-server as pods (manifests/), from images made here (node/images.sh)
# Everything stays on this machine: loopback, and the veth pair / namespaces this script creates.
#
#   bash k8s/cluster/cluster.sh up                   # build if needed, start what is not running, wait until ready
#   bash k8s/cluster/cluster.sh status               # components, node, add-ons
#   bash k8s/cluster/cluster.sh env                  # eval "$(bash k8s/cluster/cluster.sh env)" -> KUBECONFIG, PATH
#   bash k8s/cluster/cluster.sh load-images [tar...] # import OCI/docker archives (default .local/images/*.tar)
#   bash k8s/cluster/cluster.sh down                 # stop everything, remove namespaces/veth/cgroups (data kept)
#   bash k8s/cluster/cluster.sh reset                # down, then delete the state (PKI, etcd, images, volumes)
#
# Settings (environment, defaults): K8S_STATE_DIR (.local/k8s-node), K8S_PORT_BASE (36440; the API server
# listens on $HOST_ADDR:base+3), K8S_NODE_LINK_CIDR (10.77.0.0/24: host .1, node .2), K8S_POD_CIDR
# (10.78.0.0/16; the node's pods get 10.78.0.0/24), services 10.96.0.0/16 (DNS 10.96.0.10),
# K8S_NODE_NETNS (saas-node). One such cluster per machine (the namespace, veth and cgroup names are fixed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export K8S_STATE_DIR="${K8S_STATE_DIR:-$ROOT/.local/k8s-node}"
export K8S_PORT_BASE="${K8S_PORT_BASE:-36440}"
export K8S_NODES=0
LINK_CIDR="${K8S_NODE_LINK_CIDR:-10.77.0.0/24}"
POD_CIDR="${K8S_POD_CIDR:-10.78.0.0/16}"
link_prefix="${LINK_CIDR%.*/*}"
HOST_ADDR="$link_prefix.1" NODE_ADDR="$link_prefix.2"
export K8S_API_ADDRESS="$HOST_ADDR"
NODE_POD_CIDR="${POD_CIDR%.*.*/*}.0.0/24"
NODE_NETNS="${K8S_NODE_NETNS:-saas-node}"
NODE_NAME="$NODE_NETNS"
HOST_IF="${NODE_NETNS:0:10}-host"
CGROUP_ROOT="$NODE_NETNS"
RUNDIR="/run/$NODE_NETNS"
MNTNS="$RUNDIR/ns/mnt"
RUNC="${K8S_RUNC:-/usr/sbin/runc}"

# The control plane's settings, PKI and process helpers (sign, kubeconfig, start/alive/stop_one, wait_for, kctl).
# shellcheck source=control-plane.sh
source "$ROOT/k8s/cluster/control-plane.sh"
DNS_ADDR="${SERVICE_CIDR%.*.*/*}.0.10"
IMAGES_DIR="${K8S_IMAGES_DIR:-$ROOT/.local/tools/images}"
log() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }
# shellcheck source=node/host.sh
source "$ROOT/k8s/cluster/node/host.sh"
# shellcheck source=node/node.sh
source "$ROOT/k8s/cluster/node/node.sh"

image_ref() { bash "$ROOT/k8s/cluster/node/images.sh" names | sed -n "s/^$1=//p"; }
PAUSE_IMAGE="$(image_ref pause)"

addons_up() {
  local ca
  ca="$(base64 -w0 <"$PKI/ca.crt")"
  kctl -n kube-system create secret tls metrics-server-tls --cert "$PKI/metrics-server.crt" \
    --key "$PKI/metrics-server.key" --dry-run=client -o yaml | kctl apply -f - >/dev/null
  COREDNS_IMAGE="$(image_ref coredns)" METRICS_IMAGE="$(image_ref metrics-server)" DNS_ADDR="$DNS_ADDR" CA_BUNDLE="$ca" \
    envsubst '${COREDNS_IMAGE} ${METRICS_IMAGE} ${DNS_ADDR} ${CA_BUNDLE}' \
    < <(cat "$ROOT/k8s/cluster/manifests/coredns.yaml"; echo "---"; cat "$ROOT/k8s/cluster/manifests/metrics-server.yaml") |
    kctl apply -f - >/dev/null
  wait_for kubelet 180 kctl -n kube-system rollout status deployment/coredns --timeout=5s
  wait_for kubelet 180 kctl -n kube-system rollout status deployment/metrics-server --timeout=5s
  wait_for kubelet 120 kctl wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout=5s
}

cluster_up() {
  local t0=$SECONDS
  [[ $EUID -eq 0 ]] || die "needs root (network and mount namespaces, cgroups)"
  bash "$ROOT/k8s/cluster/build.sh" --node >&2
  bash "$ROOT/k8s/cluster/node/images.sh" >/dev/null
  [[ -x "$RUNC" ]] || die "$RUNC missing (apt-get install runc)"
  mkdir -p "$LOGS" "$RUN" "$RUNDIR"
  net_up # before the API server: it listens on the host end of the veth pair
  bash "$ROOT/k8s/cluster/control-plane.sh" up 9>&-
  # Leftovers of a node whose processes are gone (an earlier run, a killed session): containers still in
  # the node's cgroups, orphaned shims, runtime state, the mount namespace: cleared, then made anew.
  if ! alive containerd && ! alive kubelet; then node_down; mntns_down; fi
  mntns_up
  cgroups_up
  node_up
  addons_up
  if compgen -G "$ROOT/.local/images/*.tar" >/dev/null; then import_images "$ROOT"/.local/images/*.tar; fi
  log "up in $((SECONDS - t0))s: node $NODE_NAME ($NODE_ADDR), API https://$HOST_ADDR:$API_PORT, pods $NODE_POD_CIDR, services $SERVICE_CIDR"
  log "KUBECONFIG=$KUBECONFIG_ADMIN  (eval \"\$(bash k8s/cluster/cluster.sh env)\")"
}

cluster_down() {
  node_down
  mntns_down
  bash "$ROOT/k8s/cluster/control-plane.sh" down
  net_down
  rm -rf "$RUNDIR"
}

cluster_status() {
  local rc=0 name
  for name in "${NODE_COMPONENTS[@]}"; do
    if alive "$name"; then printf '%-24s running  pid %s\n' "$name" "$(pid_of "$name")"
    else printf '%-24s stopped\n' "$name"; rc=3; fi
  done
  bash "$ROOT/k8s/cluster/control-plane.sh" status || rc=3
  if ((rc == 0)); then kctl get pods -A -o wide 2>/dev/null || true; fi
  return $rc
}

# One `up`/`down` at a time (a second caller waits for the first). Daemons never inherit the lock (9>&-).
mkdir -p "$STATE"
exec 9>"$STATE/.lock"
case "${1:-}" in up | down | reset | load-images) flock 9 ;; esac

case "${1:-}" in
  up) cluster_up ;;
  down) cluster_down ;;
  reset)
    cluster_down
    rm -rf "$STATE"
    log "removed $STATE"
    ;;
  status) cluster_status ;;
  load-images)
    shift
    alive containerd || die "the node is not running: bash k8s/cluster/cluster.sh up"
    if (($# == 0)); then
      compgen -G "$ROOT/.local/images/*.tar" >/dev/null || die "no archives in .local/images (npm run image -- save)"
      set -- "$ROOT"/.local/images/*.tar
    fi
    import_images "$@"
    ctr_ images ls -q | grep -v '^sha256:' >&2
    ;;
  env)
    echo "export KUBECONFIG='$KUBECONFIG_ADMIN'"
    echo "export PATH='$BIN':\"\$PATH\""
    ;;
  *) echo "usage: $0 up|down|reset|status|env|load-images [archive.tar...]" >&2; exit 2 ;;
esac
