#!/usr/bin/env bash
# Build (or find cached) the Go-built tools, all at once:
#   build-all.sh            Pulumi CLI+host+provider, Kubernetes+etcd+kwok, NATS+NACK, promtool,
#                           kube-state-metrics+prometheus-nats-exporter, CoreDNS+metrics-server
#   build-all.sh pulumi k8s only those (names: pulumi k8s nats promtool exporters addons)
# The builds run concurrently: a cold build spends much of its time fetching
# modules and linking on one core, so two cores stay busy only when several
# builds overlap (measured: see NOTES.md). Each build keeps its own lock and
# cache folder; output lines carry the tool's prefix. Waits for every build
# (none is left running) and fails if any failed. Warm: under a second.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/toolchain/lib.sh
. "$here/lib.sh"

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(pulumi k8s nats promtool exporters addons)
pids=() names=()
for t in "${want[@]}"; do
  case "$t" in
    pulumi|k8s|nats|promtool|exporters|addons) ;;
    *) sy_log "build-all: unknown tool '$t' (pulumi|k8s|nats|promtool|exporters|addons)"; exit 2 ;;
  esac
  bash "$here/build-$t.sh" >/dev/null &
  pids+=($!) names+=("$t")
done
trap 'kill "${pids[@]}" 2>/dev/null || true' INT TERM
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
if [ ${#failed[@]} -gt 0 ]; then
  sy_log "build-all: failed: ${failed[*]} (see the messages above)"
  exit 1
fi
