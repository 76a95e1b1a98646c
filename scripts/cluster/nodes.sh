# shellcheck shell=bash
# Real nodes of the local cluster: per node a containerd (own root, state and
# socket) and a kubelet (own root dir, cgroup root, ports and pod subnet on a
# bridge of its own), plus one kube-proxy for the host. Sourced through
# common.sh: up.sh calls sy_nodes_up once the control plane is up (it uses
# up.sh's new_cert and write_kubeconfig, and common.sh's start and wait_alive),
# down.sh sy_nodes_down and sy_nodes_sweep, node.sh sy_node_stop/sy_node_start.
#
# Nodes (SWITCHYARD_REAL_NODES, default 2; 0 for a kwok-only cluster):
#   real-a  zone-a  pods 10.244.128.0/24 on bridge sy-real-a (node IP 10.244.128.1)
#   real-b  zone-b  pods 10.244.129.0/24 on bridge sy-real-b (node IP 10.244.129.1)
# All share this host's network namespace, so one kube-proxy serves them all
# (it runs as real-a for node-specific routing such as PreferSameZone).
# Every listener is on 127.0.0.1 or a node's bridge address.
#
# What the kubelet and the CNI plugins change on the host (sysctls, cgroups,
# iptables chains, bridges, network namespaces, mounts) is recorded or found by
# name and undone by sy_nodes_down.

SY_NODES_DIR="$SY_CLUSTER/nodes"
# Sockets and runc state: a short path (unix sockets are limited to 107 bytes),
# one per cluster folder.
SY_RUN="/run/switchyard-$(printf '%s' "$SY_CLUSTER" | sha256sum | cut -c1-10)"
SY_REAL_COUNT="${SWITCHYARD_REAL_NODES:-2}"
# name:zone:index (subnet 10.244.(128+index).0/24)
SY_REAL_ALL=(real-a:zone-a:0 real-b:zone-b:1 real-c:zone-c:2)
SY_REAL_NODES=("${SY_REAL_ALL[@]:0:$SY_REAL_COUNT}")
SY_SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward
  net.bridge.bridge-nf-call-iptables net.ipv4.conf.all.route_localnet)

sy_node_ip() { printf '10.244.%d.1' $((128 + $1)); }
sy_node_subnet() { printf '10.244.%d.0/24' $((128 + $1)); }

# ------------------------------------------------------------------- up --
# sy_nodes_up APP_IMAGES_LINES : configure every node and start it
# (sy_node_start imports the images, lines "app-tar=..." / "pause=..." from
# build-images.sh, kept in the node's images.env), then kube-proxy; wait until
# the nodes are Ready.
sy_nodes_up() {
  local images="$1"
  [ "$SY_REAL_COUNT" -gt 0 ] || return 0
  local pause pause_tar
  pause="$(sed -n 's/^pause=//p' <<<"$images")"
  pause_tar="$(sed -n 's/^pause-tar=//p' <<<"$images")"
  [ -n "$pause" ] && [ -f "$pause_tar" ] || { sy_log "up: no pause image (build-images.sh)"; return 1; }
  for tool in containerd ctr runc iptables ip conntrack; do
    command -v "$tool" >/dev/null || { sy_log "up: $tool is missing (bash scripts/toolchain/install-runtime.sh installs it)"; return 1; }
  done
  [ -x /usr/lib/cni/bridge ] || { sy_log "up: the CNI plugins are missing (bash scripts/toolchain/install-runtime.sh)"; return 1; }
  # One cluster with real nodes per host: their bridges, addresses and DNS
  # listeners are fixed.
  local other pid
  for other in /run/switchyard-*/; do
    [ -d "$other" ] && [ "${other%/}" != "$SY_RUN" ] || continue
    for pid in $(pgrep -f "^containerd --config .*/nodes/real-" 2>/dev/null); do
      if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--config $(cat "$other/state-folder" 2>/dev/null)/"; then
        local state; state="$(cat "$other/state-folder" 2>/dev/null)"; state="${state%/cluster}"
        sy_log "up: the real nodes of another cluster run on this host (state folder $state); stop it first (SWITCHYARD_STATE=$state npm run cluster:down), or start this one with SWITCHYARD_REAL_NODES=0"
        return 1
      fi
    done
  done
  mkdir -p "$SY_NODES_DIR" "$SY_RUN"
  printf '%s' "$SY_CLUSTER" >"$SY_RUN/state-folder"

  # Host settings the kubelet and the bridge plugin change: saved once.
  if [ ! -f "$SY_NODES_DIR/sysctl.saved" ]; then
    local k; for k in "${SY_SYSCTLS[@]}"; do
      [ -e "/proc/sys/${k//.//}" ] && printf '%s=%s\n' "$k" "$(cat "/proc/sys/${k//.//}")"
    done >"$SY_NODES_DIR/sysctl.saved.tmp"
    mv "$SY_NODES_DIR/sysctl.saved.tmp" "$SY_NODES_DIR/sysctl.saved"
  fi
  # The kubelet adds chains of its own (KUBE-FIREWALL, KUBE-KUBELET-CANARY,
  # KUBE-IPTABLES-HINT); down.sh removes them only if no other kubelet had them.
  if [ ! -f "$SY_NODES_DIR/kubelet-chains.checked" ]; then
    iptables-save 2>/dev/null | grep -q 'KUBE-KUBELET-CANARY' || : >"$SY_NODES_DIR/kubelet-chains.ours"
    : >"$SY_NODES_DIR/kubelet-chains.checked"
  fi
  # Forwarding between the node bridges and to the Service addresses.
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 >/dev/null

  # The API server dials kubelets with this certificate (system:kubelet-api-admin).
  sy_kubectl apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: switchyard:kube-apiserver-kubelet-client
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}
EOF

  local n name zone idx ip dir sock
  for n in "${SY_REAL_NODES[@]}"; do
    IFS=: read -r name zone idx <<<"$n"
    ip="$(sy_node_ip "$idx")"; dir="$SY_NODES_DIR/$name"; sock="$SY_RUN/$name/containerd.sock"
    mkdir -p "$dir"/{containerd,kubelet,cni,cni-ipam,pods-logs,pki} "$SY_RUN/$name"
    # The bridge exists before the kubelet starts: its address is the node IP.
    if ! ip link show "sy-$name" >/dev/null 2>&1; then
      ip link add "sy-$name" type bridge
    fi
    ip addr replace "$ip/24" dev "sy-$name"
    ip link set "sy-$name" up

    cat >"$dir/cni/10-switchyard.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "switchyard-$name",
  "plugins": [
    {
      "type": "bridge", "bridge": "sy-$name", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$dir/cni-ipam",
                "ranges": [[{ "subnet": "$(sy_node_subnet "$idx")", "gateway": "$ip" }]],
                "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
    cat >"$dir/containerd.toml" <<EOF
version = 2
root = "$dir/containerd/root"
state = "$SY_RUN/$name/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$SY_RUN/$name/containerd.ttrpc.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause"
  # This VM lacks CAP_SYS_RESOURCE: without it every sandbox fails (oom_score_adj -998).
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$SY_RUN/$name/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni"
    max_conf_num = 1
EOF
    # Credentials: the node's client certificate (Node authorizer, NodeRestriction)
    # and a serving certificate for its address, both from the cluster CA.
    new_cert "node-$name" "/O=system:nodes/CN=system:node:$name" client
    new_cert "node-$name-serving" "/CN=system:node:$name" server "IP:$ip,DNS:$name"
    write_kubeconfig "$dir/kubelet.kubeconfig" "system:node:$name" "node-$name"

    local kport hport
    kport="$(sy_free_port)"; hport="$(sy_free_port)"
    cat >"$dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $ip
port: $kport
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $hport
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/node-$name-serving.crt
tlsPrivateKeyFile: $PKI/node-$name-serving.key
containerRuntimeEndpoint: unix://$sock
cgroupDriver: cgroupfs
cgroupRoot: /switchyard-$name
cgroupsPerQOS: true
# cgroup v1 hybrid on these machines: the kubelet only warns with this.
failCgroupV1: false
failSwapOn: false
clusterDNS: [$ip]
clusterDomain: cluster.local
resolvConf: $dir/resolv.conf
podLogsDir: $dir/pods-logs
# The nodes share the host's 2 cores and memory: each offers its share.
systemReserved: {cpu: "$(sy_reserved_cpu)", memory: "$(sy_reserved_memory)"}
enforceNodeAllocatable: [pods]
evictionHard: {memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%}
# The images are imported, not pulled: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
nodeStatusUpdateFrequency: 4s
shutdownGracePeriod: 0s
EOF
    # Pods resolve cluster names through CoreDNS on the node address; the host's
    # resolvers are not theirs (no internet here).
    printf 'nameserver %s\n' "$ip" >"$dir/resolv.conf"
    printf '%s\n' "$images" >"$dir/images.env"
    sy_node_start "$name"
  done

  write_kubeconfig "$SY_CLUSTER/kubeconfigs/kube-proxy.kubeconfig" system:kube-proxy kube-proxy
  : >"$SY_NODES_DIR/.kube-proxy-ran"   # down.sh runs kube-proxy --cleanup
  local first_ip; first_ip="$(sy_node_ip 0)"
  sy_log "up: starting kube-proxy"
  start kube-proxy "$SY_K8S_DIR/kube-proxy" \
    --kubeconfig="$SY_CLUSTER/kubeconfigs/kube-proxy.kubeconfig" \
    --hostname-override="${SY_REAL_NODES[0]%%:*}" --proxy-mode=iptables \
    --cluster-cidr=10.244.128.0/17 --masquerade-all=true \
    --bind-address="$first_ip" --nodeport-addresses="$first_ip/32" \
    --metrics-bind-address="127.0.0.1:$(sy_free_port)" --healthz-bind-address="127.0.0.1:$(sy_free_port)" \
    --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
    --v=1

  for n in "${SY_REAL_NODES[@]}"; do
    name="${n%%:*}"
    wait_alive "kubelet-$name" "node $name Ready" sy_kubectl wait --for=condition=Ready --timeout=5s "node/$name"
  done
}

# sy_node_start NAME: start one configured node's containerd (importing the
# images of its images.env) and kubelet. up.sh configures the node first;
# node.sh uses it to bring a stopped node back.
sy_node_start() {
  local name="$1" n zone="" idx=""
  for n in "${SY_REAL_ALL[@]}"; do
    [ "${n%%:*}" = "$name" ] && IFS=: read -r _ zone idx <<<"$n"
  done
  [ -n "$zone" ] || { sy_log "node: no real node called $name"; return 1; }
  local dir="$SY_NODES_DIR/$name" sock="$SY_RUN/$name/containerd.sock" ip tars
  ip="$(sy_node_ip "$idx")"
  [ -f "$dir/kubelet.yaml" ] || { sy_log "node: $name is not configured (npm run cluster:up)"; return 1; }
  mkdir -p "$SY_RUN/$name"
  # The cgroup root, in every mounted v1 hierarchy (the kubelet expects it).
  sy_cgroup_each mkdir -p "/switchyard-$name"
  sy_log "up: starting containerd for $name"
  start "containerd-$name" containerd --config "$dir/containerd.toml"
  wait_alive "containerd-$name" "containerd of $name" ctr --address "$sock" version
  mapfile -t tars < <(sed -n 's/^[a-z]*-tar=//p' "$dir/images.env")
  sy_node_import "$sock" "${tars[@]}"
  sy_log "up: starting kubelet $name ($zone, $ip)"
  # --containerd: the kubelet's built-in cAdvisor finds container labels through
  # it (it does not use containerRuntimeEndpoint); without it no cAdvisor series
  # carries a container label.
  start "kubelet-$name" "$SY_K8S_DIR/kubelet" \
    --config="$dir/kubelet.yaml" --kubeconfig="$dir/kubelet.kubeconfig" \
    --hostname-override="$name" --node-ip="$ip" --root-dir="$dir/kubelet" \
    --cert-dir="$dir/pki" \
    --containerd="$sock" \
    --node-labels="topology.kubernetes.io/zone=$zone,topology.kubernetes.io/region=local,switchyard.dev/node=real"
}

# sy_node_stop NAME: the node fails at once, as a machine losing power would:
# its kubelet, containerd, shims and containers are killed (SIGKILL); its
# bridge, configuration and state stay, so sy_node_start brings it back.
sy_node_stop() {
  local name="$1" c pid pids
  for c in "kubelet-$name" "containerd-$name"; do
    if pid="$(sy_pid "$c")"; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$SY_CLUSTER/run/$c.pid"
  done
  for pid in $(pgrep -f -- "-address $SY_RUN/$name/containerd.sock" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  for _ in 1 2 3; do
    pids="$(find /sys/fs/cgroup/*/switchyard-"$name" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un)"
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.3
  done
}

# sy_node_components: the pid-file names of the real nodes' processes.
sy_node_components() {
  [ "$SY_REAL_COUNT" -gt 0 ] || return 0
  local n; for n in "${SY_REAL_NODES[@]}"; do printf 'containerd-%s kubelet-%s ' "${n%%:*}" "${n%%:*}"; done
  printf 'kube-proxy %s' "${SY_ADDON_COMPONENTS[*]}"
}

# sy_node_import SOCKET TAR... : import image archives into one node's containerd.
sy_node_import() {
  local sock="$1" t; shift
  for t in "$@"; do
    ctr --address "$sock" -n k8s.io images import --all-platforms "$t" >/dev/null
  done
}
# sy_nodes_import IMAGES_LINES : import build-images.sh's archives into every node.
sy_nodes_import() {
  local tars n; mapfile -t tars < <(sed -n 's/^[a-z]*-tar=//p' <<<"$1")
  for n in "${SY_REAL_NODES[@]}"; do
    sy_node_import "$SY_RUN/${n%%:*}/containerd.sock" "${tars[@]}"
    printf '%s\n' "$1" >"$SY_NODES_DIR/${n%%:*}/images.env"
  done
}

# A port nobody listens on, below the ephemeral range; not one handed out before.
SY_FREE_PICKED=" "
sy_free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    sy_port_busy "$p" || [[ "$SY_FREE_PICKED" == *" $p "* ]] || break
  done
  SY_FREE_PICKED+="$p "
  printf '%s' "$p"
}
# Each real node offers 1/N of the host's CPUs and memory.
sy_reserved_cpu() {
  local cpus; cpus="$(nproc)"
  printf '%dm' $(( cpus * 1000 - cpus * 1000 / SY_REAL_COUNT ))
}
sy_reserved_memory() {
  local kb; kb="$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
  printf '%dMi' $(( (kb - kb / SY_REAL_COUNT) / 1024 ))
}
# sy_cgroup_each CMD... PATH : run CMD on PATH inside every v1 hierarchy.
sy_cgroup_each() {
  local path="${*: -1}" cmd=("${@:1:$#-1}") h
  for h in /sys/fs/cgroup/*/; do
    [ -f "$h/cgroup.procs" ] || continue
    "${cmd[@]}" "$h${path#/}" 2>/dev/null || true
  done
}

# ----------------------------------------------------------------- down --
# sy_nodes_down: before the processes stop. The pods are not deleted: like a
# machine that reboots, the kubelets start them again at the next up (a
# Deployment would only replace deleted ones). metrics-server stops with the
# nodes, so its APIService goes: without its server it would make API discovery
# fail (and namespace deletion hang) until the next up.
sy_nodes_down() {
  [ -d "$SY_NODES_DIR" ] || return 0
  sy_curl "$(sed -n 's/^SWITCHYARD_APISERVER_URL=//p' "$SY_CLUSTER/ports.env" 2>/dev/null)/readyz" >/dev/null 2>&1 || return 0
  sy_kubectl delete apiservice v1beta1.metrics.k8s.io --ignore-not-found --timeout=10s >/dev/null 2>&1 || true
}

# sy_nodes_sweep: after every process of the cluster is stopped, remove what
# the real nodes left on the host: container processes and cgroups, mounts,
# network namespaces, iptables rules, bridges; restore the sysctls.
sy_nodes_sweep() {
  [ -d "$SY_NODES_DIR" ] || [ -d "$SY_RUN" ] || return 0
  local d name names=()
  for d in "$SY_NODES_DIR"/*/; do [ -d "$d" ] && names+=("$(basename "$d")"); done
  # Container processes (the pause and app processes outlive their shims).
  local pids h
  for name in "${names[@]}"; do
    for _ in 1 2 3; do
      pids="$(find /sys/fs/cgroup/*/switchyard-"$name" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un)"
      [ -n "$pids" ] || break
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      sleep 0.3
    done
    # cgroups, deepest first
    for h in /sys/fs/cgroup/*/; do
      [ -d "$h/switchyard-$name" ] || continue
      find "$h/switchyard-$name" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
  done
  # Mounts under the node folders and the run folder, deepest first.
  local m
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v a="$SY_NODES_DIR/" -v b="$SY_RUN/" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/self/mounts | sort -r)
  # Network namespaces no process uses any more (containerd's cni-* ones).
  local ns
  for ns in /var/run/netns/cni-*; do
    [ -e "$ns" ] || continue
    if [ -z "$(ip netns pids "${ns##*/}" 2>/dev/null)" ]; then
      umount "$ns" 2>/dev/null || true
      rm -f "$ns"
    fi
  done
  # iptables: kube-proxy's chains, and the CNI chains of our networks.
  if [ -x "$SY_K8S_DIR/kube-proxy" ] && [ -f "$SY_NODES_DIR/.kube-proxy-ran" ]; then
    "$SY_K8S_DIR/kube-proxy" --cleanup --proxy-mode=iptables >/dev/null 2>&1 || true
    rm -f "$SY_NODES_DIR/.kube-proxy-ran"
  fi
  sy_iptables_sweep "${names[@]}"
  for name in "${names[@]}"; do
    ip link show "sy-$name" >/dev/null 2>&1 && ip link delete "sy-$name" 2>/dev/null || true
  done
  # Leftover host veths of pods whose peer died with its namespace go with it;
  # the sysctls the kubelet and the bridge plugin changed are put back.
  if [ -f "$SY_NODES_DIR/sysctl.saved" ]; then
    local kv
    while IFS= read -r kv; do
      [ -n "$kv" ] && sysctl -qw "$kv" >/dev/null 2>&1 || true
    done <"$SY_NODES_DIR/sysctl.saved"
    rm -f "$SY_NODES_DIR/sysctl.saved"
  fi
  rm -f "$SY_NODES_DIR/kubelet-chains.checked"
  rm -rf "$SY_RUN"
}

# sy_iptables_sweep NODE... : delete the nat rules the bridge and portmap
# plugins added for our networks (they carry the network's name in a
# comment) and the CNI-* chains they jump to.
sy_iptables_sweep() {
  command -v iptables >/dev/null || return 0
  local name base rule chain n idx=() chains=()
  for base in POSTROUTING PREROUTING OUTPUT; do
    idx=() n=0
    while IFS= read -r rule; do
      n=$((n + 1))          # `-S` lists the policy first, then rule 1, 2, ...
      [ $n -gt 1 ] || continue
      for name in "$@"; do
        # iptables -S prints the comment's quotes escaped: name: \"switchyard-real-a\"
        if [[ "$rule" == *"switchyard-$name\\\""* ]]; then
          idx=("$((n - 1))" "${idx[@]}")
          chain="$(sed -n 's/.* -j \(CNI-[A-Za-z0-9-]*\).*/\1/p' <<<"$rule")"
          [ -z "$chain" ] || chains+=("$chain")
        fi
      done
    done < <(iptables -t nat -S "$base" 2>/dev/null)
    for n in "${idx[@]}"; do iptables -t nat -D "$base" "$n" 2>/dev/null || true; done
  done
  for chain in "${chains[@]}"; do
    iptables -t nat -F "$chain" 2>/dev/null || true
    iptables -t nat -X "$chain" 2>/dev/null || true
  done
  # The kubelet's own chains, unless they were there before our first node
  # started (another kubelet on this host owns them then).
  if [ -f "$SY_NODES_DIR/kubelet-chains.ours" ]; then
    local cmd table
    for cmd in iptables ip6tables; do
      command -v "$cmd" >/dev/null || continue
      while "$cmd" -t filter -D INPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
      while "$cmd" -t filter -D OUTPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
      for table in filter nat mangle; do
        for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
          "$cmd" -t "$table" -F "$chain" 2>/dev/null && "$cmd" -t "$table" -X "$chain" 2>/dev/null || true
        done
      done
    done
    rm -f "$SY_NODES_DIR/kubelet-chains.ours"
  fi
}
