#!/usr/bin/env bash
# Build the two cluster add-ons that the local cluster runs as host processes
# next to its real nodes, from the Go module proxy:
#   coredns         github.com/coredns/coredns @ v$COREDNS_VERSION
#                   (cluster DNS: <svc>.<ns>.svc.cluster.local for the pods)
#   metrics-server  sigs.k8s.io/metrics-server/cmd/metrics-server @ v$METRICS_SERVER_VERSION
#                   (metrics.k8s.io through the aggregation layer, for the HPA)
# How to run them against the local API server: NOTES.md, "Cluster add-ons".
#
# Binaries land in $SWITCHYARD_CACHE/bin/<tool>-<version>/ (see lib.sh); a tool
# whose binary is there is skipped, so a warm run takes well under a second.
# Each module is downloaded by version and built as the main module with
# upstream's own go.mod and go.sum (-mod=readonly: nothing is re-resolved;
# neither module has replace lines), the way upstream's Makefiles build them;
# this also works where the proxy refuses a module's version list. The binary
# is built in a temporary folder and renamed into place, so an interrupted
# build leaves nothing half-written behind.
#
# Usage: build-addons.sh [coredns|metrics-server]...   (default: both)
#        build-addons.sh --print-dirs                  (print the cache folders)
set -euo pipefail
# shellcheck source=scripts/toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COREDNS_DIR="$(sy_bin_dir coredns "$COREDNS_VERSION")"
MS_DIR="$(sy_bin_dir metrics-server "$METRICS_SERVER_VERSION")"

print_dirs() { printf 'coredns=%s\nmetrics-server=%s\n' "$COREDNS_DIR" "$MS_DIR"; }

if [ "${1:-}" = "--print-dirs" ]; then
  print_dirs
  exit 0
fi

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(coredns metrics-server)

# Fast path: everything requested is cached already; no Go, no network, no lock.
all_cached=1
for t in "${want[@]}"; do
  case "$t" in
    coredns) sy_have coredns "$COREDNS_VERSION" coredns || all_cached=0 ;;
    metrics-server) sy_have metrics-server "$METRICS_SERVER_VERSION" metrics-server || all_cached=0 ;;
    *) sy_log "build-addons: unknown tool '$t' (coredns|metrics-server)"; exit 2 ;;
  esac
done
if [ "$all_cached" = 1 ]; then
  print_dirs
  exit 0
fi

command -v go >/dev/null || { sy_log "build-addons: go is not on PATH"; exit 1; }

sy_build_lock addons

build_coredns() {
  sy_have coredns "$COREDNS_VERSION" coredns && return 0
  sy_log "building coredns v$COREDNS_VERSION"
  local t=$SECONDS src
  src="$(sy_module_src "github.com/coredns/coredns@v$COREDNS_VERSION")"
  # As upstream's Makefile: tag grpcnotrace, and coremain.GitCommit, which
  # `coredns -version` prints after "CoreDNS-<version>" (the version itself is
  # a constant in coremain/version.go). The proxy gives no commit hash, so the
  # tag stands in for it. Every plugin of upstream's plugin.cfg is built in
  # (the generated plugin list ships in the module).
  (cd "$src" && go build -mod=readonly -trimpath -tags grpcnotrace -o "$TMP_ROOT/coredns" \
    -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=v$COREDNS_VERSION" .)
  sy_install_bin coredns "$COREDNS_VERSION" coredns
  sy_log "build-addons: coredns in $((SECONDS - t))s"
}

build_metrics_server() {
  sy_have metrics-server "$METRICS_SERVER_VERSION" metrics-server && return 0
  sy_log "building metrics-server v$METRICS_SERVER_VERSION"
  local t=$SECONDS src v=k8s.io/client-go/pkg/version
  src="$(sy_module_src "sigs.k8s.io/metrics-server@v$METRICS_SERVER_VERSION")"
  # The version variables upstream's Makefile stamps (client-go's version
  # package): `metrics-server --version` prints gitVersion. No commit hash
  # from the proxy; the tag stands in for it.
  (cd "$src" && go build -mod=readonly -trimpath -o "$TMP_ROOT/metrics-server" \
    -ldflags "-s -w -X $v.gitVersion=v$METRICS_SERVER_VERSION -X $v.gitCommit=v$METRICS_SERVER_VERSION \
      -X $v.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    ./cmd/metrics-server)
  sy_install_bin metrics-server "$METRICS_SERVER_VERSION" metrics-server
  sy_log "build-addons: metrics-server in $((SECONDS - t))s"
}

start=$SECONDS
for t in "${want[@]}"; do
  case "$t" in
    coredns) build_coredns ;;
    metrics-server) build_metrics_server ;;
  esac
done
sy_log "build-addons: done in $((SECONDS - start))s"
print_dirs
