#!/usr/bin/env bash
# Start a local Kubernetes control plane on 127.0.0.1 for the end-to-end tests:
# etcd, kube-apiserver (RBAC, PodSecurity), kube-controller-manager,
# kube-scheduler and kwok with three fake Nodes in zones zone-a/b/c, then
# install the CRDs switchyard's objects use, fetched at pinned versions from the
# operators' Go modules (scripts/toolchain/fetch-crds.sh), plus Strimzi's when
# SWITCHYARD_STRIMZI_CRDS_DIR names a folder holding them.
# Prints the admin kubeconfig path on stdout (logs go to stderr).
#
# Idempotent: when the cluster of this state folder is already up and healthy
# it returns at once. Builds the binaries first if they are not cached
# (scripts/toolchain/build-k8s.sh; that is long when cold).
#
# Environment (all optional):
#   SWITCHYARD_STATE            state root (cluster in $SWITCHYARD_STATE/cluster)
#   SWITCHYARD_STRIMZI_CRDS_DIR a folder with Strimzi's Kafka CRDs (no registry
#                               here has them); unset = Kafka objects are not installable
#   SWITCHYARD_APISERVER_PORT, SWITCHYARD_ETCD_PORT, SWITCHYARD_ETCD_PEER_PORT,
#   SWITCHYARD_CONTROLLER_MANAGER_PORT, SWITCHYARD_SCHEDULER_PORT
#                               fixed ports; otherwise free ones are picked once
#                               and kept in ports.env while they stay free
#   SWITCHYARD_SERVICE_CIDR     default 10.96.0.0/16
#   SWITCHYARD_POD_CIDR         pod IPs kwok hands out, default 10.244.0.0/17
#                               (the real nodes' pods get 10.244.128.0/17)
#   SWITCHYARD_REAL_NODES       real nodes (containerd + kubelet) next to the
#                               kwok ones: 0 to 3, default 2 (zones a and b);
#                               with any, the kwok nodes are tainted
#                               kwok.x-k8s.io/node=fake:NoSchedule
#   SWITCHYARD_UP_TIMEOUT       seconds to wait for each readiness step (120)
set -euo pipefail
# shellcheck source=scripts/cluster/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SERVICE_CIDR="${SWITCHYARD_SERVICE_CIDR:-10.96.0.0/16}"
POD_CIDR="${SWITCHYARD_POD_CIDR:-10.244.0.0/17}"
NODES=(kwok-node-a:zone-a:10.240.0.11 kwok-node-b:zone-b:10.240.0.12 kwok-node-c:zone-c:10.240.0.13)

mkdir -p "$SY_CLUSTER"
# One up.sh or down.sh at a time for this state folder.
exec 8>"$SY_CLUSTER/.lock"
flock 8

# ---------------------------------------------------------------- helpers --
# The CRD folders, "<set>=<folder>" per line; fetching what is missing. A set
# that cannot be fetched stops up.sh with fetch-crds.sh's message (which names
# the set, the module version and the fix).
CRD_SETS="$("$SY_REPO_ROOT/scripts/toolchain/fetch-crds.sh")" || {
  sy_log "up: the CRDs above could not be obtained; nothing was started"
  exit 1
}
crds_files() {
  local line; while IFS= read -r line; do
    find "${line#*=}" -type f \( -name '*.yaml' -o -name '*.yml' \) | LC_ALL=C sort
  done <<<"$CRD_SETS"
}
crds_hash() {
  { printf '%s\n' "$CRD_SETS"; crds_files | xargs -r -d '\n' sha256sum; } | sha256sum | cut -d' ' -f1
}
components_stamp() {
  printf 'etcd=%s\nkubernetes=%s\nkwok=%s\nservice_cidr=%s\npod_cidr=%s\nreal_nodes=%s\n' \
    "$SY_ETCD_DIR" "$SY_K8S_DIR" "$SY_KWOK_DIR" "$SERVICE_CIDR" "$POD_CIDR" "$SY_REAL_COUNT"
}

# healthy -> every process alive, API server ready, all nodes Ready, same
# binaries as asked for now.
healthy() {
  local c; for c in "${SY_COMPONENTS[@]}" $(sy_node_components); do sy_pid "$c" >/dev/null || return 1; done
  [ -f "$SY_CLUSTER/ports.env" ] && [ -f "$SY_KUBECONFIG" ] || return 1
  local url="" k v
  while IFS='=' read -r k v; do [ "$k" = SWITCHYARD_APISERVER_URL ] && url="$v"; done <"$SY_CLUSTER/ports.env"
  [ -n "$url" ] && [ "$(sy_curl "$url/readyz" 2>/dev/null)" = ok ] || return 1
  [ "$(cat "$SY_CLUSTER/run/components.env" 2>/dev/null)" = "$(components_stamp)" ] || return 1
  # curl, not kubectl, to stay fast: count Ready=True conditions (the API
  # server writes a condition's fields in their declared order, type first;
  # for curl it pretty-prints, hence the tr).
  local ready
  ready="$(sy_curl "$url/api/v1/nodes?labelSelector=type%3Dkwok" 2>/dev/null \
    | tr -d '[:space:]' | grep -o '"type":"Ready","status":"True"' | wc -l)" || return 1
  [ "$ready" -ge "${#NODES[@]}" ] || return 1
  [ "$SY_REAL_COUNT" = 0 ] || [ "$(sy_curl "$url/api/v1/nodes?labelSelector=switchyard.dev%2Fnode%3Dreal" 2>/dev/null \
    | tr -d '[:space:]' | grep -o '"type":"Ready","status":"True"' | wc -l)" -ge "$SY_REAL_COUNT" ]
}

# apply_crds: server-side apply of every CRD file, then wait for Established.
apply_crds() {
  local -a files args applied crds
  mapfile -t files < <(crds_files)
  if [ ${#files[@]} -gt 0 ]; then
    sy_log "up: applying ${#files[@]} CRD files ($(printf '%s' "$CRD_SETS" | sed 's/=.*//' | paste -sd, -))"
    local f o; for f in "${files[@]}"; do args+=(-f "$f"); done
    # Server-side: KEDA's ScaledJob is too large for the last-applied annotation.
    applied="$(sy_kubectl apply --server-side --force-conflicts \
      --field-manager=switchyard-up "${args[@]}" -o name)" || return 1
    for o in $applied; do
      [[ "$o" == customresourcedefinition.apiextensions.k8s.io/* ]] && crds+=("$o")
    done
    if [ ${#crds[@]} -gt 0 ]; then
      sy_kubectl wait --for=condition=Established --timeout="${TIMEOUT}s" "${crds[@]}" >/dev/null || return 1
    fi
    sy_log "up: ${#crds[@]} CRDs established"
  fi
  crds_hash >"$SY_CLUSTER/run/crds.sha256"
}

# ------------------------------------------------------------- fast path --
if healthy; then
  sy_log "up: cluster already running ($(sed -n 's/^SWITCHYARD_APISERVER_URL=//p' "$SY_CLUSTER/ports.env"))"
  if [ "$(cat "$SY_CLUSTER/run/crds.sha256" 2>/dev/null)" != "$(crds_hash)" ]; then
    sy_log "up: the CRD files changed"
    apply_crds
  fi
  if [ "$SY_REAL_COUNT" -gt 0 ]; then
    images="$("$SY_REPO_ROOT/scripts/toolchain/build-images.sh")"
    if [ "$images" != "$(cat "$SY_CLUSTER/run/images.env" 2>/dev/null)" ]; then
      sy_log "up: importing the rebuilt images into the real nodes"
      sy_nodes_import "$images"
      printf '%s\n' "$images" >"$SY_CLUSTER/run/images.env"
    fi
  fi
  printf '%s\n' "$SY_KUBECONFIG"
  exit 0
fi

# Anything left of an earlier, unhealthy run goes first (keeps PKI and data).
if compgen -G "$SY_CLUSTER/run/*.pid" >/dev/null || [ -n "$(sy_stray_pids)" ]; then
  sy_log "up: stopping the remains of an earlier run"
  SY_DOWN_LOCKED=1 "$SY_REPO_ROOT/scripts/cluster/down.sh"
fi

start_all=$SECONDS
"$SY_REPO_ROOT/scripts/toolchain/build-k8s.sh" >/dev/null
for b in "$SY_ETCD_DIR/etcd" "$SY_K8S_DIR/kube-apiserver" "$SY_K8S_DIR/kube-controller-manager" \
         "$SY_K8S_DIR/kube-scheduler" "$SY_KUBECTL" "$SY_KWOK_DIR/kwok"; do
  [ -x "$b" ] || { sy_log "up: missing $b"; exit 1; }
done
[ "$SY_REAL_COUNT" = 0 ] || "$SY_REPO_ROOT/scripts/toolchain/install-runtime.sh"
for tool in openssl curl ss setsid flock; do
  command -v "$tool" >/dev/null || { sy_log "up: $tool is required"; exit 1; }
done

# On failure: show the tails of this run's logs and stop whatever was started.
on_error() {
  local rc=$?
  sy_log "up: failed (exit $rc); last log lines:"
  local c; for c in "${STARTED[@]}"; do
    printf -- '--- %s ---\n' "$c" >&2; tail -n 15 "$SY_CLUSTER/logs/$c.log" >&2
  done
  SY_DOWN_LOCKED=1 "$SY_REPO_ROOT/scripts/cluster/down.sh" >&2 || true
  exit "$rc"
}
trap on_error ERR

mkdir -p "$SY_CLUSTER"/{pki,etcd,kubeconfigs,run,logs}
chmod 700 "$SY_CLUSTER" "$SY_CLUSTER/pki" "$SY_CLUSTER/etcd"

# ------------------------------------------------------------------ ports --
declare -A PORT
PICKED=" "
pick_port() { # NAME ENVVAR
  local name="$1" var="$2" p=""
  if [ -n "${!var:-}" ]; then
    p="${!var}"
    sy_port_busy "$p" && { sy_log "up: $var=$p is already in use"; return 1; }
  else
    p="$(sed -n "s/^$var=//p" "$SY_CLUSTER/ports.env" 2>/dev/null || true)"
    if [ -z "$p" ] || sy_port_busy "$p" || [[ "$PICKED" == *" $p "* ]]; then
      # Below Linux's ephemeral range (32768+), so outgoing connections
      # cannot be holding it by chance.
      local tries=0
      while :; do
        p=$((20000 + RANDOM % 12000))
        sy_port_busy "$p" || [[ "$PICKED" == *" $p "* ]] || break
        tries=$((tries + 1)); [ $tries -lt 200 ] || { sy_log "up: no free port"; return 1; }
      done
    fi
  fi
  PORT[$name]="$p"; PICKED+="$p "
}
pick_port etcd SWITCHYARD_ETCD_PORT
pick_port etcd_peer SWITCHYARD_ETCD_PEER_PORT
pick_port apiserver SWITCHYARD_APISERVER_PORT
pick_port kcm SWITCHYARD_CONTROLLER_MANAGER_PORT
pick_port scheduler SWITCHYARD_SCHEDULER_PORT
cat >"$SY_CLUSTER/ports.env" <<EOF
SWITCHYARD_ETCD_PORT=${PORT[etcd]}
SWITCHYARD_ETCD_PEER_PORT=${PORT[etcd_peer]}
SWITCHYARD_APISERVER_PORT=${PORT[apiserver]}
SWITCHYARD_CONTROLLER_MANAGER_PORT=${PORT[kcm]}
SWITCHYARD_SCHEDULER_PORT=${PORT[scheduler]}
SWITCHYARD_APISERVER_URL=https://$SY_HOST:${PORT[apiserver]}
EOF
API_URL="https://$SY_HOST:${PORT[apiserver]}"
sy_log "up: ports etcd=${PORT[etcd]}/${PORT[etcd_peer]} apiserver=${PORT[apiserver]} controller-manager=${PORT[kcm]} scheduler=${PORT[scheduler]}"

# -------------------------------------------------------------------- PKI --
PKI="$SY_CLUSTER/pki"
# First address of the service range: the "kubernetes" Service's ClusterIP.
svc_ip="$(awk -F'[./]' '{printf "%d.%d.%d.%d", $1, $2, $3, $4 + 1}' <<<"$SERVICE_CIDR")"

new_key() { # FILE ec|rsa
  [ -s "$1" ] && return 0
  if [ "$2" = rsa ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  fi
  chmod 600 "$1"
}
# new_cert NAME SUBJECT server|client|both [SAN [CA]]: a leaf signed by CA
# (default: ca).
new_cert() {
  local name="$1" subj="$2" kind="$3" san="${4:-}" ca="${5:-ca}"
  [ -s "$PKI/$name.crt" ] && [ -s "$PKI/$name.key" ] && return 0
  new_key "$PKI/$name.key" ec
  local eku ext="$PKI/$name.ext"
  case "$kind" in
    server) eku=serverAuth ;; client) eku=clientAuth ;; both) eku=serverAuth,clientAuth ;;
  esac
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$ext"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 -extfile "$ext" \
    -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
}
if [ ! -s "$PKI/ca.crt" ] || [ ! -s "$PKI/ca.key" ]; then
  sy_log "up: creating the PKI in $PKI"
  rm -f "$PKI"/*.crt   # every leaf must come from the new CA
  new_key "$PKI/ca.key" ec
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=switchyard-local-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/ca.crt" 2>/dev/null
fi
# The aggregation layer's front proxy has a CA of its own, as kubeadm does.
if [ ! -s "$PKI/front-proxy-ca.crt" ] || [ ! -s "$PKI/front-proxy-ca.key" ]; then
  rm -f "$PKI/front-proxy-client.crt"
  new_key "$PKI/front-proxy-ca.key" ec
  openssl req -x509 -new -key "$PKI/front-proxy-ca.key" -subj "/CN=switchyard-front-proxy-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/front-proxy-ca.crt" 2>/dev/null
fi
new_cert front-proxy-client "/CN=front-proxy-client" client "" front-proxy-ca
new_cert apiserver "/CN=kube-apiserver" server \
  "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$svc_ip"
# Server and client: etcd's own gRPC gateway dials etcd with this cert.
new_cert etcd-server "/CN=etcd" both "DNS:localhost,IP:127.0.0.1"
new_cert apiserver-etcd-client "/CN=kube-apiserver-etcd-client" client
new_cert admin "/O=system:masters/CN=switchyard-admin" client
new_cert controller-manager "/CN=system:kube-controller-manager" client
new_cert scheduler "/CN=system:kube-scheduler" client
# The API server's client certificate for the kubelets (logs, exec, metrics proxy).
new_cert kube-apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" client
new_cert kube-proxy "/CN=system:kube-proxy" client
# kwok plays the kubelet of the fake nodes and their pods' lifecycle; full rights.
new_cert kwok "/O=system:masters/CN=kwok-controller" client
if [ ! -s "$PKI/sa.key" ] || [ ! -s "$PKI/sa.pub" ]; then
  rm -f "$PKI/sa.key"
  new_key "$PKI/sa.key" rsa
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
fi

write_kubeconfig() { # FILE USER CERTNAME
  local ca crt key
  ca="$(base64 -w0 <"$PKI/ca.crt")"; crt="$(base64 -w0 <"$PKI/$3.crt")"; key="$(base64 -w0 <"$PKI/$3.key")"
  : >"$1.tmp"; chmod 600 "$1.tmp"
  cat >>"$1.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: switchyard
  cluster:
    server: $API_URL
    certificate-authority-data: $ca
users:
- name: $2
  user:
    client-certificate-data: $crt
    client-key-data: $key
contexts:
- name: switchyard
  context:
    cluster: switchyard
    user: $2
current-context: switchyard
EOF
  mv -f "$1.tmp" "$1"
}
write_kubeconfig "$SY_KUBECONFIG" switchyard-admin admin
write_kubeconfig "$SY_CLUSTER/kubeconfigs/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
write_kubeconfig "$SY_CLUSTER/kubeconfigs/scheduler.kubeconfig" system:kube-scheduler scheduler
write_kubeconfig "$SY_CLUSTER/kubeconfigs/kwok.kubeconfig" kwok-controller kwok

# -------------------------------------------------------------- processes --
sy_log "up: starting etcd"
start etcd "$SY_ETCD_DIR/etcd" \
  --name=switchyard --data-dir="$SY_CLUSTER/etcd" \
  --listen-client-urls="https://$SY_HOST:${PORT[etcd]}" --advertise-client-urls="https://$SY_HOST:${PORT[etcd]}" \
  --listen-peer-urls="http://$SY_HOST:${PORT[etcd_peer]}" --initial-advertise-peer-urls="http://$SY_HOST:${PORT[etcd_peer]}" \
  --initial-cluster="switchyard=http://$SY_HOST:${PORT[etcd_peer]}" --initial-cluster-state=new \
  --cert-file="$PKI/etcd-server.crt" --key-file="$PKI/etcd-server.key" \
  --trusted-ca-file="$PKI/ca.crt" --client-cert-auth=true \
  --unsafe-no-fsync=true --log-level=warn
# (no fsync: a throwaway test cluster trades durability for speed)
etcd_health() {
  curl -fsS --max-time 3 --cacert "$PKI/ca.crt" --cert "$PKI/apiserver-etcd-client.crt" \
    --key "$PKI/apiserver-etcd-client.key" "https://$SY_HOST:${PORT[etcd]}/health" | grep -q '"health":"true"'
}
wait_alive etcd "etcd /health" etcd_health

sy_log "up: starting kube-apiserver"
start kube-apiserver "$SY_K8S_DIR/kube-apiserver" \
  --bind-address="$SY_HOST" --advertise-address="$SY_HOST" --secure-port="${PORT[apiserver]}" \
  --etcd-servers="https://$SY_HOST:${PORT[etcd]}" --etcd-cafile="$PKI/ca.crt" \
  --etcd-certfile="$PKI/apiserver-etcd-client.crt" --etcd-keyfile="$PKI/apiserver-etcd-client.key" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --kubelet-client-certificate="$PKI/kube-apiserver-kubelet-client.crt" \
  --kubelet-client-key="$PKI/kube-apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$PKI/ca.crt" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --enable-aggregator-routing=true \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction,PodSecurity \
  --allow-privileged=true \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --endpoint-reconciler-type=none \
  --cert-dir="$SY_CLUSTER/run/kube-apiserver" \
  --profiling=false
# (endpoint-reconciler none: the "kubernetes" Endpoints may not hold the
# loopback address it would advertise; nothing in a kwok cluster dials it.)
apiserver_ready() { [ "$(sy_curl "$API_URL/readyz")" = ok ]; }
wait_alive kube-apiserver "kube-apiserver /readyz" apiserver_ready

sy_log "up: starting kube-controller-manager and kube-scheduler"
KCM_KC="$SY_CLUSTER/kubeconfigs/controller-manager.kubeconfig"
start kube-controller-manager "$SY_K8S_DIR/kube-controller-manager" \
  --kubeconfig="$KCM_KC" --authentication-kubeconfig="$KCM_KC" --authorization-kubeconfig="$KCM_KC" \
  --bind-address="$SY_HOST" --secure-port="${PORT[kcm]}" --cert-dir="$SY_CLUSTER/run/kube-controller-manager" \
  --leader-elect=false \
  --root-ca-file="$PKI/ca.crt" --service-account-private-key-file="$PKI/sa.key" \
  --use-service-account-credentials=true \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --controllers='*' \
  --node-monitor-grace-period=20s \
  --profiling=false
SCHED_KC="$SY_CLUSTER/kubeconfigs/scheduler.kubeconfig"
start kube-scheduler "$SY_K8S_DIR/kube-scheduler" \
  --kubeconfig="$SCHED_KC" --authentication-kubeconfig="$SCHED_KC" --authorization-kubeconfig="$SCHED_KC" \
  --bind-address="$SY_HOST" --secure-port="${PORT[scheduler]}" --cert-dir="$SY_CLUSTER/run/kube-scheduler" \
  --leader-elect=false --profiling=false

# kwok: the default lifecycle stages (cached with the binary by build-k8s.sh).
# Stages only: a KwokConfiguration read from a file is not defaulted (its
# parallelism options would be 0), the built-in one is.
for f in "$SY_KWOK_DIR"/stages/*.yaml; do printf -- '---\n'; cat "$f"; done >"$SY_CLUSTER/kwok.yaml"
sy_log "up: starting kwok"
start kwok "$SY_KWOK_DIR/kwok" \
  --kubeconfig="$SY_CLUSTER/kubeconfigs/kwok.kubeconfig" --config="$SY_CLUSTER/kwok.yaml" \
  --manage-nodes-with-label-selector=type=kwok --node-lease-duration-seconds=40 --cidr="$POD_CIDR"

healthz() { curl -fsSk --max-time 3 "https://$SY_HOST:$1/healthz" | grep -q '^ok$'; }
wait_alive kube-controller-manager "kube-controller-manager /healthz" healthz "${PORT[kcm]}"
wait_alive kube-scheduler "kube-scheduler /healthz" healthz "${PORT[scheduler]}"
alive kwok

# ------------------------------------------------------------------ nodes --
nodes_yaml="$SY_CLUSTER/nodes.yaml"
: >"$nodes_yaml"
# With real nodes, the fake ones take only pods that tolerate them (kwok's
# own convention), so a real image never lands where no container runs.
kwok_taint() {
  [ "$SY_REAL_COUNT" = 0 ] || printf 'spec:\n  taints:\n  - {key: kwok.x-k8s.io/node, value: fake, effect: NoSchedule}'
}
for n in "${NODES[@]}"; do
  IFS=: read -r name zone ip <<<"$n"
  cat >>"$nodes_yaml" <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  labels:
    type: kwok
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: kwok
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: $zone
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
$(kwok_taint)
status:
  addresses:
  - type: InternalIP
    address: $ip
  - type: Hostname
    address: $name
  allocatable: {cpu: "16", memory: 64Gi, pods: "110", ephemeral-storage: 100Gi}
  capacity: {cpu: "16", memory: 64Gi, pods: "110", ephemeral-storage: 100Gi}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: v$KUBERNETES_VERSION
    kubeProxyVersion: v$KUBERNETES_VERSION
EOF
done
sy_kubectl apply -f "$nodes_yaml" >/dev/null
for n in "${NODES[@]}"; do
  wait_alive kwok "node ${n%%:*} Ready" sy_kubectl wait --for=condition=Ready --timeout=5s "node/${n%%:*}"
done
# Ready is not enough for the scheduler until the not-ready taint is gone.
no_taints() {
  ! sy_kubectl get nodes -l type=kwok -o jsonpath='{.items[*].spec.taints[*].key}' | grep -q 'node.kubernetes.io/'
}
wait_alive kube-controller-manager "node taints to clear" no_taints
wait_alive kube-controller-manager "ServiceAccount default/default" sy_kubectl get serviceaccount default -n default

# ------------------------------------------------------------- real nodes --
if [ "$SY_REAL_COUNT" -gt 0 ]; then
  images="$("$SY_REPO_ROOT/scripts/toolchain/build-images.sh")"
  sy_nodes_up "$images"
  printf '%s\n' "$images" >"$SY_CLUSTER/run/images.env"
  sy_addons_up
else
  # No metrics-server without real nodes: an APIService left from a run with
  # them would make API discovery fail.
  sy_kubectl delete apiservice v1beta1.metrics.k8s.io --ignore-not-found >/dev/null
fi

# ------------------------------------------------------------------- CRDs --
apply_crds

components_stamp >"$SY_CLUSTER/run/components.env"
trap - ERR
sy_log "up: cluster ready in $((SECONDS - start_all))s: $API_URL (kubeconfig below; or: source scripts/cluster/env.sh)"
printf '%s\n' "$SY_KUBECONFIG"
