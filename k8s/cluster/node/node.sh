# Sourced by k8s/cluster/cluster.sh (after control-plane.sh's helpers and node/host.sh): the node's
# certificates, configuration files and processes: containerd (+ runc shims), kubelet, kube-proxy.

NODE_COMPONENTS=(containerd kubelet kube-proxy)
CTR_SOCK="$RUNDIR/containerd.sock"
NODE_CONF="$STATE/node"

ctr_() { "$BIN/ctr" --address "$CTR_SOCK" --namespace k8s.io "$@"; }

node_pki() {
  [[ -f "$PKI/kubelet.crt" ]] || sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "$CLIENT"
  # Serving certificate for the node's address, signed by the cluster CA: the API server (kubectl logs,
  # exec, port-forward) and metrics-server verify it; no --kubelet-insecure-tls anywhere.
  if ! openssl x509 -in "$PKI/kubelet-serving.crt" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$NODE_ADDR\b"; then
    sign kubelet-serving "/O=system:nodes/CN=system:node:$NODE_NAME" "$SERVING
subjectAltName=IP:$NODE_ADDR,DNS:$NODE_NAME"
  fi
  [[ -f "$PKI/kube-proxy.crt" ]] || sign kube-proxy "/CN=system:kube-proxy" "$CLIENT"
  [[ -f "$PKI/metrics-server.crt" ]] || sign metrics-server "/CN=metrics-server" "$SERVING
subjectAltName=DNS:metrics-server.kube-system.svc,DNS:metrics-server.kube-system.svc.cluster.local"
}

node_configs() {
  mkdir -p "$NODE_CONF/cni" "$STATE/containerd" "$STATE/kubelet" "$STATE/pod-logs" "$STATE/cni-ipam" "$RUNDIR"
  kubeconfig "$NODE_CONF/kubelet.kubeconfig" kubelet "system:node:$NODE_NAME"
  kubeconfig "$NODE_CONF/kube-proxy.kubeconfig" kube-proxy system:kube-proxy

  # containerd 2 (config version 3). restrict_oom_score_adj: runc cannot lower a process's oom_score_adj
  # without CAP_SYS_RESOURCE, which this sandbox lacks ("can't get final child's PID from pipe"); the
  # runtime is named explicitly with Debian's runc; state and shim sockets stay under $RUNDIR.
  cat >"$NODE_CONF/containerd.toml" <<EOF
version = 3
root = "$STATE/containerd"
state = "$RUNDIR/containerd"
[grpc]
  address = "$CTR_SOCK"
[ttrpc]
  address = "$CTR_SOCK.ttrpc"
[debug]
  address = "$RUNDIR/containerd-debug.sock"
  level = "warn"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"
[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_cdi = false
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "$RUNC"
        Root = "$RUNDIR/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$BIN/cni"]
    conf_dir = "$NODE_CONF/cni"
    max_conf_num = 1
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
EOF

  # ptp: one veth per pod, routed by the node (no bridge, so no br_netfilter); host-local addresses.
  cat >"$NODE_CONF/cni/10-saas-node.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "saas-node",
  "plugins": [
    {
      "type": "ptp",
      "ipMasq": false,
      "mtu": 1500,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni-ipam",
        "ranges": [[{ "subnet": "$NODE_POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF

  # Pods with dnsPolicy Default get this file: the cluster DNS, never the host's resolver.
  printf 'nameserver %s\n' "$DNS_ADDR" >"$NODE_CONF/resolv.conf"

  cat >"$NODE_CONF/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_ADDR
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CTR_SOCK
# The host is cgroup v1 (hybrid) and has no systemd managing cgroups.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_ROOT
failSwapOn: false
# Lowering oom_score_adj (default -999) needs CAP_SYS_RESOURCE, which this sandbox lacks.
oomScoreAdj: 0
clusterDNS: [$DNS_ADDR]
clusterDomain: cluster.local
resolvConf: $NODE_CONF/resolv.conf
podLogsDir: $STATE/pod-logs
# Images come only from archives (no registry is reachable): never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
serializeImagePulls: false
registerNode: true
rotateCertificates: false
EOF

  cat >"$NODE_CONF/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $NODE_CONF/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
nodePortAddresses: [$NODE_ADDR/32]
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
iptables: {minSyncPeriod: 1s, syncPeriod: 30s}
# Leave the machine-wide conntrack tunables alone (as kind does).
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

start_node() { # start_node <component> <args...>: in the node's network and mount namespaces, own session
  local name="$1"; shift
  if alive "$name"; then return 0; fi
  [[ -x "$BIN/$name" ]] || die "$BIN/$name is missing: run bash k8s/cluster/build.sh --node"
  log "starting $name"
  # nsenter execs the binary after entering the namespaces, so $! is the component's pid.
  setsid nsenter --mount="$MNTNS" --net="/run/netns/$NODE_NETNS" -- "$BIN/$name" "$@" \
    >>"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/$name.pid"
  await_exec "$name"
}

node_up() {
  node_pki
  node_configs
  start_node containerd --config "$NODE_CONF/containerd.toml"
  wait_for containerd 60 ctr_ version
  import_images "$IMAGES_DIR"/{pause,coredns,metrics-server,busybox}.tar
  start_node kubelet --config "$NODE_CONF/kubelet.yaml" --kubeconfig "$NODE_CONF/kubelet.kubeconfig" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_ADDR" --root-dir "$STATE/kubelet" \
    --cert-dir "$STATE/kubelet/pki" --v=1
  wait_for kubelet 120 kctl wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
  start_node kube-proxy --config "$NODE_CONF/kube-proxy.yaml" --v=1
  wait_for kube-proxy 60 in_node curl -fsS --max-time 2 http://127.0.0.1:10256/healthz
}

# import_images <archive...>: into containerd's k8s.io namespace (what the kubelet sees), skipping an
# archive already imported with the same content.
import_images() {
  local tar sum mark out
  mkdir -p "$STATE/imported"
  for tar in "$@"; do
    [[ -f "$tar" ]] || die "no such image archive: $tar"
    sum="$(stat -c '%s-%Y' "$tar")-$(basename "$tar")"
    mark="$STATE/imported/$(basename "$tar").stamp"
    [[ "$(cat "$mark" 2>/dev/null)" == "$sum" ]] && continue
    # Unpacking into overlayfs snapshots happens in containerd (in the node's mount namespace).
    out="$(ctr_ images import "$tar" 2>&1)" || { echo "$out" >&2; die "ctr images import $tar failed"; }
    echo "$sum" >"$mark"
    log "imported $tar: $(echo "$out" | sed -n 's/^\(saved\|unpacking\) //p; s/.*\(sha256:[0-9a-f]\{12\}\).*/\1/p' | tr '\n' ' ')"
  done
}

node_down() {
  local name pid p
  for name in kube-proxy kubelet; do stop_one "$name"; done
  if alive containerd; then
    # Stop every container and delete its task, so the shims exit on their own.
    for name in $(ctr_ tasks ls -q 2>/dev/null); do
      ctr_ tasks kill -s SIGKILL --all "$name" >/dev/null 2>&1 || true
    done
    for name in $(ctr_ tasks ls -q 2>/dev/null); do
      timeout 10 "$BIN/ctr" --address "$CTR_SOCK" --namespace k8s.io tasks delete --force "$name" >/dev/null 2>&1 || true
    done
  fi
  stop_one containerd
  cgroups_down
  # Shims whose containerd went away: ours are identified by their binary.
  for p in /proc/[0-9]*; do
    [[ "$(readlink "$p/exe" 2>/dev/null)" == "$BIN/containerd-shim-runc-v2" ]] && kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
  # With every pod gone their addresses are free again; the pod network namespaces (mounts under the
  # containerd state directory in the node's mount namespace) go away with that namespace.
  rm -rf "$STATE/cni-ipam" "$RUNDIR/containerd" "$RUNDIR/runc"
}
