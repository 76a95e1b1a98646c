#!/usr/bin/env bash
# Fail or restore one real node of the local cluster, to watch what a service
# does when a node (and with it a zone) is lost:
#   node.sh stop NAME    kill the node's kubelet, containerd and containers at
#                        once (as a power loss would); the API server marks it
#                        NotReady after the controller manager's grace period
#   node.sh start NAME   start them again; the kubelet restarts its pods
# NAME is real-a (zone-a) or real-b (zone-b). Needs a cluster started by up.sh.
set -euo pipefail
# shellcheck source=scripts/cluster/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cmd="${1:-}" name="${2:-}"
[ -n "$name" ] || { sed -n '2,9p' "$0" >&2; exit 2; }
exec 8>"$SY_CLUSTER/.lock"
flock 8
case "$cmd" in
  stop)
    sy_node_stop "$name"
    sy_log "node: $name stopped"
    ;;
  start)
    if sy_pid "kubelet-$name" >/dev/null; then sy_log "node: $name is running"; exit 0; fi
    PKI="$SY_CLUSTER/pki"
    sy_node_start "$name"
    wait_alive "kubelet-$name" "node $name Ready" sy_kubectl wait --for=condition=Ready --timeout=5s "node/$name"
    sy_log "node: $name Ready"
    ;;
  *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
