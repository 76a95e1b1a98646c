#!/usr/bin/env bash
# Build the NATS side of the end-to-end tier from the Go module proxy:
#   nats-server           github.com/nats-io/nats-server/v2 @ v$NATS_SERVER_VERSION
#   jetstream-controller  github.com/nats-io/nack/cmd/jetstream-controller @ v$NACK_VERSION
#                         (NACK: turns jetstream.nats.io Stream/Consumer objects
#                         into JetStream streams and consumers)
# Binaries land in $SWITCHYARD_CACHE/bin/<tool>-<version>/ (see lib.sh); a tool
# whose binary is there is skipped, so a warm run takes well under a second.
# Each build goes to a temporary folder in the cache and the binary is renamed
# into place, so an interrupted build leaves nothing half-written behind.
#
# Usage: build-nats.sh [nats-server|nack]...   (default: both)
#        build-nats.sh --print-dirs            (print the cache folders)
# Neither module has replace lines upstream, so each is built with exactly the
# dependency versions upstream's go.mod/go.sum pin.
set -euo pipefail
# shellcheck source=scripts/toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NATS_DIR="$(sy_bin_dir nats-server "$NATS_SERVER_VERSION")"
NACK_DIR="$(sy_bin_dir nack "$NACK_VERSION")"

if [ "${1:-}" = "--print-dirs" ]; then
  printf 'nats-server=%s\nnack=%s\n' "$NATS_DIR" "$NACK_DIR"
  exit 0
fi

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(nats-server nack)

# Fast path: everything requested is cached already; no Go, no network, no lock.
all_cached=1
for t in "${want[@]}"; do
  case "$t" in
    nats-server) sy_have nats-server "$NATS_SERVER_VERSION" nats-server || all_cached=0 ;;
    nack) sy_have nack "$NACK_VERSION" jetstream-controller || all_cached=0 ;;
    *) sy_log "build-nats: unknown tool '$t' (nats-server|nack)"; exit 2 ;;
  esac
done
if [ "$all_cached" = 1 ]; then
  printf 'nats-server=%s\nnack=%s\n' "$NATS_DIR" "$NACK_DIR"
  exit 0
fi

command -v go >/dev/null || { sy_log "build-nats: go is not on PATH"; exit 1; }

# One build at a time per cache (prepare.sh, a test run and a developer may all ask).
sy_build_lock nats

build_nats_server() {
  sy_have nats-server "$NATS_SERVER_VERSION" nats-server && return 0
  sy_log "building nats-server v$NATS_SERVER_VERSION"
  local t=$SECONDS
  # The version the server reports is a constant in the module (server/const.go).
  GOBIN="$TMP_ROOT" go install -trimpath -ldflags '-s -w' \
    "github.com/nats-io/nats-server/v2@v$NATS_SERVER_VERSION"
  sy_install_bin nats-server "$NATS_SERVER_VERSION" nats-server
  sy_log "build-nats: nats-server in $((SECONDS - t))s"
}

build_nack() {
  sy_have nack "$NACK_VERSION" jetstream-controller && return 0
  sy_log "building NACK jetstream-controller v$NACK_VERSION"
  local t=$SECONDS date src
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  # `go install pkg@version` asks the proxy for the module's version list (to
  # look up deprecations), which the proxy refuses for nats-io/nack here; so
  # the module is downloaded by version and built as the main module, with
  # upstream's own go.mod and go.sum (-mod=readonly: nothing is re-resolved).
  src="$(sy_module_src "github.com/nats-io/nack@v$NACK_VERSION")"
  # main.Version/GitInfo/BuildTime are what `--version` prints (upstream's
  # release build stamps the same). In --control-loop mode NACK starts a
  # controller-runtime manager whose metrics server listens on :8080 (every
  # interface) with no flag to change it; DefaultBindAddress=0 turns that
  # server off so the controller opens no port but the health probe, whose
  # address is a flag.
  (cd "$src" && go build -mod=readonly -trimpath -o "$TMP_ROOT/jetstream-controller" \
    -ldflags "-s -w -X main.Version=$NACK_VERSION -X main.GitInfo=v$NACK_VERSION -X main.BuildTime=$date \
      -X sigs.k8s.io/controller-runtime/pkg/metrics/server.DefaultBindAddress=0" \
    ./cmd/jetstream-controller)
  sy_install_bin nack "$NACK_VERSION" jetstream-controller
  sy_log "build-nats: jetstream-controller in $((SECONDS - t))s"
}

start=$SECONDS
for t in "${want[@]}"; do
  case "$t" in
    nats-server) build_nats_server ;;
    nack) build_nack ;;
  esac
done
sy_log "build-nats: done in $((SECONDS - start))s"
printf 'nats-server=%s\nnack=%s\n' "$NATS_DIR" "$NACK_DIR"
