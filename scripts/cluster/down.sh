#!/usr/bin/env bash
# Stop the local cluster started by up.sh for this state folder: the real
# nodes' pods (through their kubelets), every process named by a pid file (its
# whole process group), then any leftover process of our binaries whose command
# line points into this cluster folder; then remove what the real nodes left on
# the host (nodes.sh: sy_nodes_sweep). Fails if anything is still running.
#
# Usage: down.sh [--purge]    --purge also removes $SWITCHYARD_STATE/cluster
#                             (PKI, etcd data, kubeconfig, logs)
set -euo pipefail
# shellcheck source=scripts/cluster/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

purge=0
for a in "$@"; do
  case "$a" in
    --purge) purge=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) sy_log "down: unknown argument $a"; exit 2 ;;
  esac
done

if [ ! -d "$SY_CLUSTER" ]; then
  sy_log "down: nothing at $SY_CLUSTER"
  exit 0
fi
if [ "${SY_DOWN_LOCKED:-}" != 1 ]; then   # up.sh calls us holding the lock
  exec 8>"$SY_CLUSTER/.lock"
  flock 8
fi

# stop_groups NAME:PID... : TERM each process group at once, wait for all of
# them to be gone, and KILL whatever is left after a grace period.
stop_groups() {
  local item pid name t0=$SECONDS
  for item in "$@"; do
    pid="${item##*:}"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 150); do          # up to 15 s
    local running=0
    for item in "$@"; do
      pid="${item##*:}"
      if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then running=1; break; fi
    done
    [ $running = 1 ] || return 0
    sleep 0.1
  done
  for item in "$@"; do
    pid="${item##*:}"; name="${item%:*}"
    if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then
      sy_log "down: $name ($pid) still running $((SECONDS - t0))s after SIGTERM; killing"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  sleep 0.3
}

# Pods on the real nodes first, through their kubelets (while the API server runs).
sy_nodes_down

# Processes to stop: those the pid files name, plus leftovers (a crashed
# up.sh, a lost pid file) found by binary and folder. Stopped in three
# waves so no API server waits on a client and none runs without etcd:
# the clients (controller-manager, scheduler, kwok), the API server, etcd.
declare -A wave=()   # pid -> 1|2|3
declare -A label=()  # pid -> name
stopped=()
components=()
for f in "$SY_CLUSTER"/run/*.pid; do [ -e "$f" ] && components+=("$(basename "$f" .pid)"); done
for c in "${components[@]}"; do
  if pid="$(sy_pid "$c")"; then label[$pid]="$c"; stopped+=("$c"); fi
done
for pid in $(sy_stray_pids); do
  [ -n "${label[$pid]:-}" ] && continue
  sy_log "down: stopping leftover process $pid: $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | cut -c1-120)"
  label[$pid]="leftover"
done
for pid in "${!label[@]}"; do
  mapfile -d '' argv 2>/dev/null <"/proc/$pid/cmdline" || argv=("")
  case "${argv[0]##*/}" in
    etcd) wave[$pid]=3 ;;
    kube-apiserver) wave[$pid]=2 ;;
    *) wave[$pid]=1 ;;
  esac
done
for w in 1 2 3; do
  batch=()
  for pid in "${!wave[@]}"; do
    [ "${wave[$pid]}" = "$w" ] && batch+=("${label[$pid]}:$pid")
  done
  [ ${#batch[@]} -eq 0 ] || stop_groups "${batch[@]}"
done
for c in "${components[@]}"; do rm -f "$SY_CLUSTER/run/$c.pid"; done
# What the real nodes left on the host: containers, cgroups, mounts, network
# namespaces, iptables rules, bridges, sysctls.
sy_nodes_sweep

left="$(sy_stray_pids)"
if [ -n "$left" ]; then
  sy_log "down: still running: $(echo "$left" | tr '\n' ' ')"
  exit 1
fi
rm -f "$SY_CLUSTER/run/components.env" "$SY_CLUSTER/run/crds.sha256" "$SY_CLUSTER/run/images.env"
if [ ${#stopped[@]} -eq 0 ]; then sy_log "down: nothing was running"; else sy_log "down: stopped ${stopped[*]}"; fi

if [ "$purge" = 1 ]; then
  rm -rf "$SY_CLUSTER"
  sy_log "down: removed $SY_CLUSTER"
fi
