#!/usr/bin/env bash
# A real Kubernetes control plane without containers, on loopback only:
#   etcd -> kube-apiserver (TLS, RBAC, self-made PKI) -> kube-controller-manager + kube-scheduler
#   -> kwok, which plays the kubelets: fake nodes whose pods become Running/Ready (Jobs complete).
# Binaries come from k8s/cluster/build.sh (.local/tools/bin). Nothing listens beyond 127.0.0.1.
#
#   bash k8s/cluster/control-plane.sh up       # build if needed, start what is not running, wait until ready
#   bash k8s/cluster/control-plane.sh status   # what runs, with pids and health
#   bash k8s/cluster/control-plane.sh env      # eval "$(bash k8s/cluster/control-plane.sh env)" -> KUBECONFIG, PATH
#   bash k8s/cluster/control-plane.sh down     # stop everything (data kept)
#   bash k8s/cluster/control-plane.sh reset    # stop everything and delete the state (PKI, etcd data, logs)
#
# Settings (environment): K8S_STATE_DIR (default .local/k8s), K8S_PORT_BASE (default 16440: etcd +0/+1,
# apiserver +3, controller-manager +7, scheduler +9, kwok +5), K8S_NODES (default 3; 0: no kwok at all).
# Two clusters with different K8S_STATE_DIR and K8S_PORT_BASE run side by side (the tests use their own).
# K8S_API_ADDRESS (default 127.0.0.1): where the API server listens and what it advertises. cluster.sh
# sets it to the host end of the node's veth pair, so that a real kubelet and pods reach it; then the
# `kubernetes` Service gets that endpoint and the API server verifies kubelet serving certificates.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${K8S_TOOLS_BIN:-$ROOT/.local/tools/bin}"
STATE="${K8S_STATE_DIR:-$ROOT/.local/k8s}"
case "$STATE" in /*) ;; *) STATE="$ROOT/$STATE" ;; esac
BASE="${K8S_PORT_BASE:-16440}"
NODES="${K8S_NODES:-3}"
HOST=127.0.0.1
API_HOST="${K8S_API_ADDRESS:-127.0.0.1}"
ETCD_PORT=$((BASE + 0)) ETCD_PEER_PORT=$((BASE + 1)) API_PORT=$((BASE + 3)) KWOK_PORT=$((BASE + 5))
KCM_PORT=$((BASE + 7)) SCHED_PORT=$((BASE + 9))
PKI="$STATE/pki" LOGS="$STATE/logs" RUN="$STATE/run"
KUBECONFIG_ADMIN="$STATE/kubeconfig"
SERVICE_CIDR="10.96.0.0/16"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
((NODES > 0)) || COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler)

export PATH="/usr/local/go/bin:$PATH"
log() { echo "control-plane: $*" >&2; }
die() { echo "control-plane: $*" >&2; exit 1; }

pid_of() { cat "$RUN/$1.pid" 2>/dev/null || true; }
alive() { # alive <component>: its recorded pid runs and is that binary (not a recycled pid)
  local pid; pid="$(pid_of "$1")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$BIN/$1"* ]]
}

port_free() { ! (exec 3<>"/dev/tcp/${2:-$HOST}/$1") 2>/dev/null; }

# ---------------------------------------------------------------------------------------------- PKI
# sign <name> <subject> <extensions> [<ca name>]: a key pair and a certificate signed by the CA, in $PKI
sign() {
  local ca="${4:-ca}"
  (
    cd "$PKI"
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    printf '%s\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days 3650 -sha256 \
      -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
    chmod 600 "$1.key"
  )
}
SERVING="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
CLIENT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

pki() {
  mkdir -p "$PKI"
  local ca name
  for ca in ca front-proxy-ca; do
    [[ -f "$PKI/$ca.crt" ]] && continue
    log "creating $ca in $PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$PKI/$ca.key" -out "$PKI/$ca.crt" \
      -subj "/CN=saas-starter-local-${ca%ca}ca" 2>/dev/null
    chmod 600 "$PKI/$ca.key"
  done
  if [[ ! -f "$PKI/sa.key" ]]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
    chmod 600 "$PKI/sa.key"
  fi
  # The API server's certificate names the address it listens on: remade when that address changes.
  if ! openssl x509 -in "$PKI/apiserver.crt" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$API_HOST\b"; then
    sign apiserver "/CN=kube-apiserver" "$SERVING
subjectAltName=IP:127.0.0.1,IP:$API_HOST,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  fi
  [[ -f "$PKI/kwok-serving.crt" ]] || sign kwok-serving "/CN=kwok" "$SERVING
subjectAltName=IP:127.0.0.1,DNS:localhost"
  for name in "admin|/O=system:masters/CN=kubernetes-admin" \
    "apiserver-kubelet-client|/O=system:masters/CN=kube-apiserver-kubelet-client" \
    "controller-manager|/CN=system:kube-controller-manager" "scheduler|/CN=system:kube-scheduler" \
    "kwok|/O=system:masters/CN=kwok-controller"; do
    [[ -f "$PKI/${name%%|*}.crt" ]] || sign "${name%%|*}" "${name#*|}" "$CLIENT"
  done
  # The aggregation layer (metrics.k8s.io): the API server proxies as front-proxy-client.
  [[ -f "$PKI/front-proxy-client.crt" ]] || sign front-proxy-client "/CN=front-proxy-client" "$CLIENT" front-proxy-ca
}

kubeconfig() { # kubeconfig <file> <cert name> <user name>
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: saas-starter-local
  cluster:
    server: https://$API_HOST:$API_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $3
  user:
    client-certificate: $PKI/$2.crt
    client-key: $PKI/$2.key
contexts:
- name: saas-starter-local
  context:
    cluster: saas-starter-local
    user: $3
    namespace: default
current-context: saas-starter-local
EOF
  chmod 600 "$1"
}

# ------------------------------------------------------------------------------------------ startup
start() { # start <component> <args...>: in its own session, logs in $LOGS/<component>.log
  local name="$1"; shift
  if alive "$name"; then log "$name already running (pid $(pid_of "$name"))"; return 0; fi
  [[ -x "$BIN/$name" ]] || die "$BIN/$name is missing: run bash k8s/cluster/build.sh"
  log "starting $name"
  setsid "$BIN/$name" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
  await_exec "$name"
}

# await_exec <component>: until the launcher (setsid, nsenter) has exec'd the binary, `alive` would
# see the launcher and call a healthy start an exit (a race a loaded machine loses now and then).
await_exec() {
  local pid i
  pid="$(pid_of "$1")"
  for ((i = 0; i < 100; i++)); do
    [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$BIN/$1"* ]] && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
}

wait_for() { # wait_for <component> <seconds> <command...>
  local name="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      tail -n 30 "$LOGS/$name.log" >&2 || true
      die "$name exited during startup (log: $LOGS/$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$LOGS/$name.log" >&2 || true
      die "$name not ready after ${timeout}s (log: $LOGS/$name.log)"
    fi
    sleep 0.5
  done
}

admin_curl() { curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"; }
api_url() { echo "https://$API_HOST:$API_PORT"; }
kctl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

check_ports() {
  local p name
  for pair in "etcd:$ETCD_PORT" "etcd:$ETCD_PEER_PORT" "kube-apiserver:$API_PORT" "kwok:$KWOK_PORT" \
    "kube-controller-manager:$KCM_PORT" "kube-scheduler:$SCHED_PORT"; do
    name="${pair%%:*}" p="${pair##*:}"
    local addr="$HOST"
    [[ "$name" != kube-apiserver ]] || addr="$API_HOST"
    if ! alive "$name" && ! port_free "$p" "$addr"; then
      die "port $addr:$p (for $name) is taken by another process; choose another K8S_PORT_BASE"
    fi
  done
}

# kwok's behaviour: the "fast" stages of the pinned kwok module (nodes Ready with lease heartbeats, pods
# Running/Ready at once, Job pods complete, PVCs provisioned and bound), and a canned log served for the
# load generator's container, so `kubectl logs` and the CLI's log streaming work end to end.
kwok_config() {
  local dir
  dir="$(cd "$ROOT/k8s/cluster/kwok" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)" ||
    die "cannot locate the kwok module (run bash k8s/cluster/build.sh)"
  mkdir -p "$STATE/kwok"
  {
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml \
      volume/fast/pvc-provision.yaml volume/fast/pv-bind.yaml volume/fast/pvc-delete.yaml volume/fast/pv-delete.yaml; do
      echo "---"
      cat "$dir/kustomize/stage/$f"
    done
    cat <<EOF
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: load-generator
spec:
  logs:
  - containers: [loadgen]
    logsFile: $STATE/kwok/load-generator.log
    follow: false
EOF
  } >"$STATE/kwok/kwok.yaml"
  cp "$dir/kustomize/stage/volume/fast/storage-class.yaml" "$STATE/kwok/storage-class.yaml"
  # The shape of the load generator's output (k8s/demo/loadgen.mjs), in the CRI log format kwok serves.
  # No container runs under kwok: these numbers are canned, and say so.
  local t='2000-01-01T00:00:00.000000000Z'
  sed "s/^/$t stdout F /" >"$STATE/kwok/load-generator.log" <<'EOF'
kwok: no container ran; this is a canned load-generator log so log streaming can be exercised end to end
t=1s ok=5 failed=0 rate=5/s p99=3.9ms pods=2 in-flight=0
summary: 10 requests in 2s (5/s, open loop, 5 req/s) → http://canned/
LOADGEN_SUMMARY {"target":"http://canned/","mode":"open loop, 5 req/s","durationS":2,"requests":10,"rps":5,"ok":10,"non2xx":0,"errors":0,"dropped":0,"statuses":{"200":10},"errorCodes":{},"servedBy":{"canned-pod-a":6,"canned-pod-b":4},"latencyMs":{"p50":1.9,"p95":3.4,"p99":3.9,"max":4.2}}
EOF
}

nodes_manifest() {
  local i
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    topology.kubernetes.io/zone: zone-$((i % 3))
    type: kwok
spec:
  taints: []
status:
  allocatable: {cpu: "16", memory: 64Gi, pods: "110", ephemeral-storage: 100Gi}
  capacity: {cpu: "16", memory: 64Gi, pods: "110", ephemeral-storage: 100Gi}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
EOF
  done
}

up() {
  bash "$ROOT/k8s/cluster/build.sh" >&2
  mkdir -p "$LOGS" "$RUN" "$STATE/etcd"
  check_ports
  pki
  kubeconfig "$KUBECONFIG_ADMIN" admin kubernetes-admin
  kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager system:kube-controller-manager
  kubeconfig "$STATE/scheduler.kubeconfig" scheduler system:kube-scheduler
  kubeconfig "$STATE/kwok.kubeconfig" kwok kwok-controller
  local t0=$SECONDS
  # With a real node (cluster.sh): pods reach the API server through the `kubernetes` Service, whose
  # endpoint is the advertised address; kubelet serving certificates are checked against the CA.
  local node_args=(--endpoint-reconciler-type none)
  if [[ "$API_HOST" != 127.0.0.1 ]]; then
    node_args=(--endpoint-reconciler-type lease --kubelet-certificate-authority "$PKI/ca.crt"
      --enable-aggregator-routing=true)
  fi

  start etcd --name default --data-dir "$STATE/etcd" \
    --listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$HOST:$ETCD_PORT" \
    --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://$HOST:$ETCD_PEER_PORT" \
    --quota-backend-bytes 2147483648 --unsafe-no-fsync --log-level warn
  wait_for etcd 60 curl -fsS --max-time 2 "http://$HOST:$ETCD_PORT/health"

  start kube-apiserver --etcd-servers "http://$HOST:$ETCD_PORT" --etcd-prefix /registry \
    --bind-address "$API_HOST" --advertise-address "$API_HOST" --secure-port "$API_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer "https://kubernetes.default.svc.cluster.local" \
    --service-cluster-ip-range "$SERVICE_CIDR" --allow-privileged=true \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$PKI/front-proxy-client.crt" --proxy-client-key-file "$PKI/front-proxy-client.key" \
    "${node_args[@]}" --profiling=false --v=1
  wait_for kube-apiserver 120 admin_curl "$(api_url)/readyz"

  start kube-controller-manager --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --bind-address "$HOST" --secure-port "$KCM_PORT" --leader-elect=false \
    --use-service-account-credentials=true --root-ca-file "$PKI/ca.crt" \
    --service-account-private-key-file "$PKI/sa.key" --service-cluster-ip-range "$SERVICE_CIDR" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --horizontal-pod-autoscaler-sync-period 5s --node-monitor-grace-period 60s \
    --kube-api-qps 100 --kube-api-burst 200 --profiling=false --v=1
  wait_for kube-controller-manager 60 curl -fsSk --max-time 2 "https://$HOST:$KCM_PORT/healthz"

  start kube-scheduler --kubeconfig "$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
    --bind-address "$HOST" --secure-port "$SCHED_PORT" --leader-elect=false \
    --kube-api-qps 100 --kube-api-burst 200 --profiling=false --v=1
  wait_for kube-scheduler 60 curl -fsSk --max-time 2 "https://$HOST:$SCHED_PORT/healthz"

  if ((NODES > 0)); then
    kwok_config
    start kwok --kubeconfig "$STATE/kwok.kubeconfig" --config "$STATE/kwok/kwok.yaml" \
      --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
      --manage-nodes-with-label-selector= --manage-single-node= \
      --node-ip "$HOST" --node-port "$KWOK_PORT" --server-address "$HOST:$KWOK_PORT" \
      --tls-cert-file "$PKI/kwok-serving.crt" --tls-private-key-file "$PKI/kwok-serving.key" \
      --cidr 10.244.0.1/16 --node-lease-duration-seconds 40
    wait_for kwok 60 curl -fsSk --max-time 2 "https://$HOST:$KWOK_PORT/healthz"

    nodes_manifest | kctl apply -f - >/dev/null
    kctl apply -f "$STATE/kwok/storage-class.yaml" >/dev/null
    wait_for kwok 60 kctl wait --for=condition=Ready node -l type=kwok --timeout=5s
  fi
  # The namespace's default ServiceAccount comes from the controller-manager; pods need it.
  wait_for kube-controller-manager 60 kctl get serviceaccount default -n default
  log "up in $((SECONDS - t0))s: $(kctl version 2>/dev/null | sed -n 's/^Server Version: //p') with $NODES kwok nodes"
  log "KUBECONFIG=$KUBECONFIG_ADMIN  (eval \"\$(bash k8s/cluster/control-plane.sh env)\")"
}

# running <pid>: exists and is not a zombie (this machine's init reaps orphans only every few seconds).
running() { [[ -r "/proc/$1/stat" && "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

stop_one() {
  local name="$1" pid i
  pid="$(pid_of "$name")"
  if alive "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$RUN/$name.pid"
}

down() {
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_one "${COMPONENTS[$i]}"; done
}

status() {
  local rc=0 name
  for name in "${COMPONENTS[@]}"; do
    if alive "$name"; then printf '%-24s running  pid %s\n' "$name" "$(pid_of "$name")"
    else printf '%-24s stopped\n' "$name"; rc=3; fi
  done
  if alive kube-apiserver && admin_curl "$(api_url)/readyz" >/dev/null 2>&1; then
    echo "apiserver $(api_url) ready; KUBECONFIG=$KUBECONFIG_ADMIN"
    kctl get nodes 2>/dev/null || true
  else
    echo "apiserver $(api_url) not ready"
    rc=3
  fi
  return $rc
}

# Sourced (k8s/cluster/cluster.sh): the functions and settings above, nothing runs.
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

case "${1:-}" in
  up) up ;;
  down) down ;;
  reset) down; rm -rf "$STATE"; log "removed $STATE" ;;
  status) status ;;
  env)
    echo "export KUBECONFIG='$KUBECONFIG_ADMIN'"
    echo "export PATH='$BIN':\"\$PATH\""
    ;;
  *) echo "usage: $0 up|down|reset|status|env" >&2; exit 2 ;;
esac
