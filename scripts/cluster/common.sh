# shellcheck shell=bash
# Shared by up.sh and down.sh. Source it; do not run it.
# The local control plane lives under $SY_CLUSTER (default
# <repo>/.switchyard/cluster):
#   pki/                 CA, serving and client certificates, service-account keys
#   etcd/                etcd data
#   kubeconfig           admin kubeconfig (system:masters)
#   kubeconfigs/         one per component
#   ports.env            the ports in use (all on 127.0.0.1)
#   run/<name>.pid       one per process, each the leader of its own process group
#   run/components.env   which binaries are running (to spot a version change)
#   logs/<name>.log
# shellcheck source=scripts/toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../toolchain/lib.sh"

SY_CLUSTER="$SWITCHYARD_STATE/cluster"
SY_ETCD_DIR="$(sy_bin_dir etcd "$ETCD_VERSION")"
SY_K8S_DIR="$(sy_bin_dir kubernetes "$KUBERNETES_VERSION")"
SY_KWOK_DIR="$(sy_bin_dir kwok "$KWOK_VERSION")"
SY_KUBECTL="$SY_K8S_DIR/kubectl"
# Cluster add-ons run as host processes (CoreDNS, metrics-server).
SY_ADDONS_BIN="$SWITCHYARD_CACHE/bin"
SY_KUBECONFIG="$SY_CLUSTER/kubeconfig"
# Start order; down.sh stops them in reverse.
# shellcheck disable=SC2034  # used by up.sh and down.sh
SY_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# shellcheck disable=SC2034
SY_HOST=127.0.0.1

# sy_pid NAME -> the pid from run/NAME.pid when that process is alive and
# is ours (its command line names this cluster's folder); fails otherwise.
sy_pid() {
  local f="$SY_CLUSTER/run/$1.pid" pid=""
  [ -f "$f" ] || return 1
  read -r pid 2>/dev/null <"$f" || [ -n "$pid" ] || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  sy_pid_is_ours "$pid" || return 1   # (set -e does not act in a caller's ||)
  printf '%s' "$pid"
}

# sy_pid_is_ours PID -> success when PID is alive and its command line
# mentions "$SY_CLUSTER/" (every process up.sh starts has its paths there).
sy_pid_is_ours() {
  local -a argv
  # builtins only (no fork): this runs on up.sh's fast path
  mapfile -d '' argv 2>/dev/null <"/proc/$1/cmdline" || return 1
  [ ${#argv[@]} -gt 0 ] && [[ "${argv[*]}" == *"$SY_CLUSTER/"* || "${argv[*]}" == *"$SY_RUN/"* ]]
}

# sy_stray_pids -> pids of processes of our binaries that belong to this
# cluster folder, whether or not a pid file names them (left over from a
# crashed run, say). Matches on both the binary path and the folder.
sy_stray_pids() {
  local d pid exe
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    [ "$pid" = "$$" ] && continue
    sy_pid_is_ours "$pid" || continue      # builtins: cheap for every process
    exe="$(readlink "$d/exe" 2>/dev/null)" || continue
    exe="${exe% (deleted)}"   # the binary was rebuilt while it ran
    case "$exe" in
      "$SY_ETCD_DIR/etcd"|"$SY_K8S_DIR"/kube-*|"$SY_K8S_DIR/kubelet"|"$SY_KWOK_DIR/kwok"|"$SY_ADDONS_BIN"/coredns-*/coredns|"$SY_ADDONS_BIN"/metrics-server-*/metrics-server) printf '%s\n' "$pid" ;;
      /usr/bin/containerd|/usr/bin/containerd-shim-runc-v2) printf '%s\n' "$pid" ;;
    esac
  done
  return 0
}

# sy_port_busy PORT -> success when something listens on PORT (any address).
sy_port_busy() {
  [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

# sy_curl PATH... -> curl against the API server as the admin user.
sy_curl() {
  curl -fsS --max-time 5 --cacert "$SY_CLUSTER/pki/ca.crt" \
    --cert "$SY_CLUSTER/pki/admin.crt" --key "$SY_CLUSTER/pki/admin.key" "$@"
}

sy_kubectl() { "$SY_KUBECTL" --kubeconfig "$SY_KUBECONFIG" "$@"; }

# Seconds to wait for each readiness step of up.sh and node.sh.
TIMEOUT="${SWITCHYARD_UP_TIMEOUT:-120}"
# Processes started by this run (up.sh prints their logs on failure).
STARTED=()
# start NAME BINARY ARGS... : run it in its own session (so its process group
# can be stopped whole), logging to logs/NAME.log, pid in run/NAME.pid.
start() {
  local name="$1"; shift
  printf '\n=== %s start %s\n' "$(date -u +%FT%TZ)" "$name" >>"$SY_CLUSTER/logs/$name.log"
  # A background job of a non-interactive shell is not a group leader, so
  # setsid makes it one without forking: $! is the daemon itself.
  # fd 8 (the lock) is closed so that the daemons do not hold it.
  setsid "$@" </dev/null >>"$SY_CLUSTER/logs/$name.log" 2>&1 8>&- &
  local pid=$! i
  echo "$pid" >"$SY_CLUSTER/run/$name.pid"
  # Until setsid execs, the job is a forked copy of this shell, whose command
  # line alive() would not recognize ("exited" with an empty log, on a busy
  # machine): wait for the exec (or the job's end) first.
  for ((i = 0; i < 100; i++)); do
    sy_pid_is_ours "$pid" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  STARTED+=("$name")
}
alive() { sy_pid "$1" >/dev/null || { sy_log "up: $1 exited; see $SY_CLUSTER/logs/$1.log"; return 2; }; }
# wait_alive NAME WHAT CMD... : like wait_for, but gives up as soon as NAME dies.
wait_alive() {
  local name="$1" what="$2"; shift 2
  local deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || return 1
    if [ $SECONDS -ge $deadline ]; then
      sy_log "up: timed out after ${TIMEOUT}s waiting for $what"; return 1
    fi
    sleep 0.3
  done
}

# The real nodes (containerd, kubelet, kube-proxy) and their add-ons (CoreDNS,
# metrics-server): see nodes.sh and addons.sh.
# shellcheck source=scripts/cluster/addons.sh
. "$(dirname "${BASH_SOURCE[0]}")/addons.sh"
# shellcheck source=scripts/cluster/nodes.sh
. "$(dirname "${BASH_SOURCE[0]}")/nodes.sh"
