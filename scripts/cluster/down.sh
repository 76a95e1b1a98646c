#!/usr/bin/env bash
# Stop the local control plane started by up.sh for this state folder:
# every process named by a pid file (its whole process group), then any
# leftover process of our binaries whose command line points into this
# cluster folder. Fails if anything is still running afterwards.
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

# stop_group PID NAME: TERM the process group, then KILL after a grace period.
stop_group() {
  local pid="$1" name="$2" i
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do          # up to 10 s
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    sy_log "down: $name ($pid) ignored SIGTERM; killing"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
}

stopped=()
for (( i=${#SY_COMPONENTS[@]}-1; i>=0; i-- )); do
  c="${SY_COMPONENTS[$i]}"
  f="$SY_CLUSTER/run/$c.pid"
  [ -f "$f" ] || continue
  if pid="$(sy_pid "$c")"; then
    stop_group "$pid" "$c"
    stopped+=("$c")
  fi
  rm -f "$f"
done

# Leftovers (a crashed up.sh, a lost pid file): matched by binary and folder.
for pid in $(sy_stray_pids); do
  sy_log "down: stopping leftover process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
  stop_group "$pid" "leftover"
done

left="$(sy_stray_pids)"
if [ -n "$left" ]; then
  sy_log "down: still running: $(echo "$left" | tr '\n' ' ')"
  exit 1
fi
rm -f "$SY_CLUSTER/run/components.env" "$SY_CLUSTER/run/crds.sha256"
if [ ${#stopped[@]} -eq 0 ]; then sy_log "down: nothing was running"; else sy_log "down: stopped ${stopped[*]}"; fi

if [ "$purge" = 1 ]; then
  rm -rf "$SY_CLUSTER"
  sy_log "down: removed $SY_CLUSTER"
fi
