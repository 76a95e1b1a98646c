#!/usr/bin/env bash
# Build the two Prometheus exporters whose series switchyard's alerts and
# dashboards read, from the Go module proxy:
#   kube-state-metrics        k8s.io/kube-state-metrics/v2 @ v$KUBE_STATE_METRICS_VERSION
#   prometheus-nats-exporter  github.com/nats-io/prometheus-nats-exporter @ v$NATS_EXPORTER_VERSION
# test/e2e/observability-exporters.test.ts runs both on 127.0.0.1 and checks
# that every generated query selects series they really publish.
#
# Binaries land in $SWITCHYARD_CACHE/bin/<tool>-<version>/ (see lib.sh); a tool
# whose binary is there is skipped, so a warm run takes well under a second.
# `go install mod@version` asks the proxy for the module's version list, which
# it refuses here (403), so each module is downloaded by version and built as
# the main module with upstream's own go.mod and go.sum (-mod=readonly:
# nothing is re-resolved; neither module has replace lines). The binary is
# built in a temporary folder and renamed into place, so an interrupted build
# leaves nothing half-written behind.
#
# Usage: build-exporters.sh [kube-state-metrics|nats-exporter]...   (default: both)
#        build-exporters.sh --print-dirs                            (print the cache folders)
set -euo pipefail
# shellcheck source=scripts/toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KSM_DIR="$(sy_bin_dir kube-state-metrics "$KUBE_STATE_METRICS_VERSION")"
PNE_DIR="$(sy_bin_dir prometheus-nats-exporter "$NATS_EXPORTER_VERSION")"

print_dirs() { printf 'kube-state-metrics=%s\nprometheus-nats-exporter=%s\n' "$KSM_DIR" "$PNE_DIR"; }

if [ "${1:-}" = "--print-dirs" ]; then
  print_dirs
  exit 0
fi

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(kube-state-metrics nats-exporter)

# Fast path: everything requested is cached already; no Go, no network, no lock.
all_cached=1
for t in "${want[@]}"; do
  case "$t" in
    kube-state-metrics) sy_have kube-state-metrics "$KUBE_STATE_METRICS_VERSION" kube-state-metrics || all_cached=0 ;;
    nats-exporter) sy_have prometheus-nats-exporter "$NATS_EXPORTER_VERSION" prometheus-nats-exporter || all_cached=0 ;;
    *) sy_log "build-exporters: unknown tool '$t' (kube-state-metrics|nats-exporter)"; exit 2 ;;
  esac
done
if [ "$all_cached" = 1 ]; then
  print_dirs
  exit 0
fi

command -v go >/dev/null || { sy_log "build-exporters: go is not on PATH"; exit 1; }

sy_build_lock exporters

build_ksm() {
  sy_have kube-state-metrics "$KUBE_STATE_METRICS_VERSION" kube-state-metrics && return 0
  sy_log "building kube-state-metrics v$KUBE_STATE_METRICS_VERSION"
  local t=$SECONDS src client_go v=github.com/prometheus/common/version
  src="$(sy_module_src "k8s.io/kube-state-metrics/v2@v$KUBE_STATE_METRICS_VERSION")"
  client_go="$(cd "$src" && go list -mod=readonly -m -f '{{.Version}}' k8s.io/client-go)"
  # The same version variables upstream's Makefile stamps: what `version`
  # prints and what the kube_state_metrics_build_info series carries.
  (cd "$src" && go build -mod=readonly -trimpath -o "$TMP_ROOT/kube-state-metrics" \
    -ldflags "-s -w -X $v.Version=v$KUBE_STATE_METRICS_VERSION -X $v.Revision=v$KUBE_STATE_METRICS_VERSION \
      -X $v.Branch=HEAD -X $v.BuildUser=switchyard -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S) \
      -X k8s.io/kube-state-metrics/v2/pkg/app.ClientGoVersion=$client_go" \
    .)
  sy_install_bin kube-state-metrics "$KUBE_STATE_METRICS_VERSION" kube-state-metrics
  sy_log "build-exporters: kube-state-metrics in $((SECONDS - t))s"
}

build_nats_exporter() {
  sy_have prometheus-nats-exporter "$NATS_EXPORTER_VERSION" prometheus-nats-exporter && return 0
  sy_log "building prometheus-nats-exporter v$NATS_EXPORTER_VERSION"
  local t=$SECONDS src
  src="$(sy_module_src "github.com/nats-io/prometheus-nats-exporter@v$NATS_EXPORTER_VERSION")"
  # main.version is what `-version` prints (upstream's release build stamps it too).
  (cd "$src" && go build -mod=readonly -trimpath -o "$TMP_ROOT/prometheus-nats-exporter" \
    -ldflags "-s -w -X main.version=$NATS_EXPORTER_VERSION" .)
  sy_install_bin prometheus-nats-exporter "$NATS_EXPORTER_VERSION" prometheus-nats-exporter
  sy_log "build-exporters: prometheus-nats-exporter in $((SECONDS - t))s"
}

start=$SECONDS
for t in "${want[@]}"; do
  case "$t" in
    kube-state-metrics) build_ksm ;;
    nats-exporter) build_nats_exporter ;;
  esac
done
sy_log "build-exporters: done in $((SECONDS - start))s"
print_dirs
