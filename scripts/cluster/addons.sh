# shellcheck shell=bash
# Cluster add-ons of the real nodes, run as host processes: CoreDNS (cluster
# DNS on each node's bridge address, so `<svc>.<ns>.svc.cluster.local` resolves
# in pods) and metrics-server (metrics.k8s.io through the API aggregation
# layer, so the HPA acts on real CPU). Built by scripts/toolchain/build-addons.sh.
# Sourced by common.sh; sy_addons_up runs from up.sh after the nodes.

SY_ADDON_COMPONENTS=(coredns metrics-server)

sy_addons_up() {
  local dirs coredns_dir ms_dir
  dirs="$("$SY_REPO_ROOT/scripts/toolchain/build-addons.sh")"
  coredns_dir="$(sed -n 's/^coredns=//p' <<<"$dirs")"
  ms_dir="$(sed -n 's/^metrics-server=//p' <<<"$dirs")"
  local adir="$SY_CLUSTER/addons" first_ip n binds=()
  mkdir -p "$adir"
  first_ip="$(sy_node_ip 0)"
  for n in "${SY_REAL_NODES[@]}"; do binds+=("$(sy_node_ip "${n##*:}")"); done

  # ---- CoreDNS: its own client certificate, read-only RBAC.
  new_cert coredns "/CN=switchyard:coredns" client
  write_kubeconfig "$adir/coredns.kubeconfig" switchyard:coredns coredns
  sy_kubectl apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "switchyard:coredns"}
rules:
- {apiGroups: [""], resources: [services, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "switchyard:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "switchyard:coredns"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "switchyard:coredns"}
EOF
  local health ready
  health="$(sy_free_port)"; ready="$(sy_free_port)"
  # Cluster names from the API server; every other name is NXDOMAIN at once
  # (these machines reach no DNS beyond themselves).
  cat >"$adir/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind ${binds[*]}
    errors
    health 127.0.0.1:$health
    ready 127.0.0.1:$ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $adir/coredns.kubeconfig switchyard
        pods insecure
        ttl 5
    }
    cache 5
}
.:53 {
    bind ${binds[*]}
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
  sy_log "up: starting CoreDNS on ${binds[*]}"
  start coredns "$coredns_dir/coredns" -conf "$adir/Corefile"
  wait_alive coredns "CoreDNS ready" curl -fsS --max-time 2 "http://127.0.0.1:$ready/ready"

  # ---- metrics-server: serving certificate for the address the aggregator dials.
  local port; port="$(sy_free_port)"
  new_cert metrics-server "/CN=switchyard:metrics-server" both \
    "DNS:metrics-server.kube-system.svc,DNS:metrics-server.kube-system.svc.cluster.local,IP:$first_ip"
  write_kubeconfig "$adir/metrics-server.kubeconfig" switchyard:metrics-server metrics-server
  sy_kubectl apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "switchyard:metrics-server"}
rules:
- {apiGroups: [""], resources: [nodes/metrics], verbs: [get]}
- {apiGroups: [""], resources: [pods, nodes], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "switchyard:metrics-server"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "switchyard:metrics-server"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "switchyard:metrics-server"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "switchyard:metrics-server:auth-delegator"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:auth-delegator"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "switchyard:metrics-server"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "switchyard:metrics-server:auth-reader", namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "switchyard:metrics-server"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: "switchyard:aggregated-metrics-reader"
  labels:
    rbac.authorization.k8s.io/aggregate-to-view: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
rules:
- {apiGroups: [metrics.k8s.io], resources: [pods, nodes], verbs: [get, list, watch]}
---
# The aggregator dials the endpoint (--enable-aggregator-routing): the
# metrics-server process on the first node's bridge address.
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system, labels: {switchyard.dev/addon: metrics-server}}
spec:
  ports: [{name: https, port: 443, targetPort: $port, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: metrics-server-host
  namespace: kube-system
  labels: {kubernetes.io/service-name: metrics-server, endpointslice.kubernetes.io/managed-by: switchyard.dev, switchyard.dev/addon: metrics-server}
addressType: IPv4
endpoints: [{addresses: ["$first_ip"], conditions: {ready: true}}]
ports: [{name: https, port: $port, protocol: TCP}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  service: {name: metrics-server, namespace: kube-system, port: 443}
  caBundle: $(base64 -w0 <"$PKI/ca.crt")
  groupPriorityMinimum: 100
  versionPriority: 100
EOF
  sy_log "up: starting metrics-server on $first_ip:$port"
  local kc="$adir/metrics-server.kubeconfig"
  start metrics-server "$ms_dir/metrics-server" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address="$first_ip" --secure-port="$port" \
    --tls-cert-file="$PKI/metrics-server.crt" --tls-private-key-file="$PKI/metrics-server.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" \
    --kubelet-client-certificate="$PKI/metrics-server.crt" --kubelet-client-key="$PKI/metrics-server.key" \
    --kubelet-preferred-address-types=InternalIP --kubelet-use-node-status-port \
    --node-selector=switchyard.dev/node=real \
    --metric-resolution=15s
  wait_alive metrics-server "the metrics.k8s.io API" sy_kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes
}
