# Sourced by k8s/cluster/cluster.sh: what the node needs from the host, all of it created here and removed
# by `down`. Nothing else on the host changes: no host iptables rule, no host sysctl, ip_forward stays off.
#
#   network namespace $NODE_NETNS   the node: kubelet, containerd (and its pods), kube-proxy live here
#   veth $HOST_IF <-> eth0          host end $HOST_ADDR (the API server listens there), node end $NODE_ADDR
#   host routes                     $POD_CIDR and $SERVICE_CIDR via $NODE_ADDR (the API server reaches
#                                   metrics-server, tests reach pods and Services)
#   egress guard                    in the node's namespace (raw table): packets to anything but loopback,
#                                   the link, pods and Services are dropped, so no pod, image pull or DNS
#                                   lookup can leave the machine even by mistake
#   mount namespace $MNTNS          kubelet, containerd, shims and runc share it: pod mounts never show on
#                                   the host; the sysctls kubelet insists on are files bound over /proc/sys
#                                   (host values untouched) and /etc/resolv.conf points at the node's loopback
#   cgroups /$CGROUP_ROOT           kubelet's cgroupRoot in every v1 hierarchy (the host is cgroup v1)

in_node() { nsenter --net="/run/netns/$NODE_NETNS" -- "$@"; }
in_node_mnt() { nsenter --mount="$MNTNS" --net="/run/netns/$NODE_NETNS" -- "$@"; }

check_addresses() { # the chosen ranges must not be routed anywhere else on this machine
  local cidr dev
  for cidr in "$LINK_CIDR" "$POD_CIDR" "$SERVICE_CIDR"; do
    dev="$(ip -4 route show to match "${cidr%/*}" | awk '$1 != "default" { for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }' | grep -vx "$HOST_IF" | head -1 || true)"
    [[ -z "$dev" ]] || die "$cidr is already routed via $dev on this machine; set K8S_NODE_LINK_CIDR/K8S_POD_CIDR/K8S_SERVICE_CIDR"
  done
}

net_up() {
  if ! ip netns list | grep -qw "$NODE_NETNS"; then
    check_addresses
    log "network namespace $NODE_NETNS, veth $HOST_IF ($HOST_ADDR) <-> eth0 ($NODE_ADDR)"
    ip netns add "$NODE_NETNS"
  fi
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link add "$HOST_IF" type veth peer name eth0 netns "$NODE_NETNS"
  fi
  ip addr replace "$HOST_ADDR/${LINK_CIDR#*/}" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  in_node ip addr replace "$NODE_ADDR/${LINK_CIDR#*/}" dev eth0
  in_node ip link set lo up
  in_node ip link set eth0 up
  in_node ip route replace default via "$HOST_ADDR" dev eth0
  ip route replace "$POD_CIDR" via "$NODE_ADDR" dev "$HOST_IF"
  ip route replace "$SERVICE_CIDR" via "$NODE_ADDR" dev "$HOST_IF"
  # Namespaced sysctls: they apply to the node's namespace only.
  in_node sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  if ! in_node iptables -t raw -nL SAAS-EGRESS >/dev/null 2>&1; then
    in_node iptables -t raw -N SAAS-EGRESS
    local cidr
    for cidr in 127.0.0.0/8 "$LINK_CIDR" "$POD_CIDR" "$SERVICE_CIDR"; do
      in_node iptables -t raw -A SAAS-EGRESS -d "$cidr" -j RETURN
    done
    in_node iptables -t raw -A SAAS-EGRESS -j DROP
    in_node iptables -t raw -I PREROUTING 1 -j SAAS-EGRESS
    in_node iptables -t raw -I OUTPUT 1 -j SAAS-EGRESS
  fi
}

net_down() {
  if ip netns list | grep -qw "$NODE_NETNS"; then
    ip netns del "$NODE_NETNS" # takes the veth pair, its addresses and the host routes along
    log "removed network namespace $NODE_NETNS and veth $HOST_IF"
  fi
  ip link del "$HOST_IF" 2>/dev/null || true
}

# The sysctls kubelet sets at start (pkg/kubelet/cm: vm.overcommit_memory=1, kernel.panic=10,
# kernel.panic_on_oops=1, ...) are machine-wide: kubelet would change them for everyone. Inside the
# node's mount namespace they are files with those values, bound over /proc/sys, so kubelet finds them set.
KUBELET_SYSCTLS=(vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1
  kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000)

mntns_alive() { findmnt -n "$MNTNS" >/dev/null 2>&1; }

mntns_up() {
  local dir="${MNTNS%/*}" kv f
  mkdir -p "$dir" "$RUNDIR/sysctl"
  if ! findmnt -n "$dir" >/dev/null 2>&1; then # a private mount to hold the namespace file (as ip netns does)
    mount --bind "$dir" "$dir"
    mount --make-private "$dir"
  fi
  mntns_alive && return 0
  log "mount namespace $MNTNS"
  touch "$MNTNS"
  unshare --mount="$MNTNS" --propagation slave true
  for kv in "${KUBELET_SYSCTLS[@]}"; do
    f="$RUNDIR/sysctl/${kv%%=*}"
    mkdir -p "${f%/*}"
    echo "${kv#*=}" >"$f"
    nsenter --mount="$MNTNS" -- mount --bind -o ro "$f" "/proc/sys/${kv%%=*}"
  done
  # Nothing on the node resolves through the host's resolver (an address outside the machine).
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$RUNDIR/resolv.conf"
  nsenter --mount="$MNTNS" -- mount --bind -o ro "$RUNDIR/resolv.conf" /etc/resolv.conf
}

mntns_down() {
  local dir="${MNTNS%/*}"
  if mntns_alive; then umount -l "$MNTNS" && log "released mount namespace $MNTNS"; fi
  if findmnt -n "$dir" >/dev/null 2>&1; then umount -l "$dir" || true; fi
}

cgroup_dirs() { # the v1 hierarchies (and the v2 one of a hybrid host), one directory each
  local d
  for d in /sys/fs/cgroup/*/; do
    if [[ -f "${d}cgroup.procs" ]]; then echo "${d%/}/$CGROUP_ROOT"; fi
  done
}

cgroups_up() {
  local d parent f
  while read -r d; do
    [[ -d "$d" ]] && continue
    mkdir -p "$d"
    parent="${d%/*}"
    if [[ "$d" == */cpuset/* ]]; then # a cpuset cgroup takes no task before it has cpus and mems
      for f in cpuset.cpus cpuset.mems; do cat "$parent/$f" >"$d/$f"; done
    fi
  done < <(cgroup_dirs)
}

cgroup_pids() { # every process left in the node's cgroups
  local d
  while read -r d; do
    if [[ -d "$d" ]]; then find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null || true; fi
  done < <(cgroup_dirs) | sort -un
}

cgroups_down() {
  local pids d
  pids="$(cgroup_pids)"
  if [[ -n "$pids" ]]; then
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  fi
  while read -r d; do
    if [[ -d "$d" ]]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done < <(cgroup_dirs)
}
