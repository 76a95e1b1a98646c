#!/usr/bin/env bash
# Build promtool (Prometheus's rule checker and rule unit-test runner) from the
# Go module proxy: github.com/prometheus/prometheus/cmd/promtool at module
# version v0.<3XX>.<Y> for Prometheus 3.XX.Y ($PROMETHEUS_VERSION).
# The observability tests run `promtool check rules` and `promtool test rules`
# on the PrometheusRule groups switchyard derives.
#
# The binary lands in $SWITCHYARD_CACHE/bin/promtool-<version>/ (see lib.sh); a
# cached binary is reused, so a warm run takes well under a second.
# The module has no replace lines: it is built with exactly upstream's go.sum.
# Built with the `remove_all_sd` tag, Prometheus's own switch that leaves the
# cloud service-discovery plugins (AWS, Azure, GCE, ...) out of the binary;
# promtool's rule commands do not use them, and the build is far smaller.
#
# Usage: build-promtool.sh               (prints promtool=<folder>)
#        build-promtool.sh --print-dirs
set -euo pipefail
# shellcheck source=scripts/toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$(sy_bin_dir promtool "$PROMETHEUS_VERSION")"
if [ "${1:-}" = "--print-dirs" ] || sy_have promtool "$PROMETHEUS_VERSION" promtool; then
  printf 'promtool=%s\n' "$DIR"
  exit 0
fi
command -v go >/dev/null || { sy_log "build-promtool: go is not on PATH"; exit 1; }

sy_build_lock promtool
if ! sy_have promtool "$PROMETHEUS_VERSION" promtool; then
  major="${PROMETHEUS_VERSION%%.*}" rest="${PROMETHEUS_VERSION#*.}"
  minor="${rest%%.*}" patch="${rest#*.}"
  module_version="v0.$((major * 100 + minor)).$patch"
  sy_log "building promtool $PROMETHEUS_VERSION (github.com/prometheus/prometheus@$module_version)"
  t=$SECONDS
  v=github.com/prometheus/common/version
  GOBIN="$TMP_ROOT" go install -trimpath -tags remove_all_sd \
    -ldflags "-s -w -X $v.Version=$PROMETHEUS_VERSION -X $v.Revision=$module_version -X $v.Branch=HEAD -X $v.BuildUser=switchyard" \
    "github.com/prometheus/prometheus/cmd/promtool@$module_version"
  [ -x "$TMP_ROOT/promtool" ] || { sy_log "build-promtool: promtool was not produced"; exit 1; }
  mkdir -p "$DIR"
  mv -f "$TMP_ROOT/promtool" "$DIR/promtool"
  sy_log "build-promtool: promtool in $((SECONDS - t))s"
fi
printf 'promtool=%s\n' "$DIR"
