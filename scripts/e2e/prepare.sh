#!/usr/bin/env bash
# Prepares everything the end-to-end tier needs and prints the environment to
# use, NUL-separated (`env -0`): the toolchain (built once, cached), the local
# control plane, and the built package (the example imports @switchyard/pulumi).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
{
  bash "$root/scripts/toolchain/build-all.sh"
  bash "$root/scripts/cluster/up.sh"
  (cd "$root" && npm run --silent build)
} >&2
# shellcheck source=../toolchain/pulumi-env.sh
. "$root/scripts/toolchain/pulumi-env.sh"
# shellcheck source=../cluster/env.sh
. "$root/scripts/cluster/env.sh"
# The example is typechecked by `npm run typecheck`; the engine only needs to run it.
export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY:-true}"
# promtool runs the observability rule checks and rule unit tests.
SWITCHYARD_PROMTOOL="$(bash "$root/scripts/toolchain/build-promtool.sh" | sed -n 's/^promtool=//p')/promtool"
export SWITCHYARD_PROMTOOL
# The exporters the observability exporter test runs against the local cluster and NATS.
exporters="$(bash "$root/scripts/toolchain/build-exporters.sh")"
SWITCHYARD_KUBE_STATE_METRICS="$(printf '%s\n' "$exporters" | sed -n 's/^kube-state-metrics=//p')/kube-state-metrics"
SWITCHYARD_NATS_EXPORTER="$(printf '%s\n' "$exporters" | sed -n 's/^prometheus-nats-exporter=//p')/prometheus-nats-exporter"
export SWITCHYARD_KUBE_STATE_METRICS SWITCHYARD_NATS_EXPORTER
# The reference application's image on the real nodes (cluster:up built and imported it).
SWITCHYARD_APP_IMAGE="$(sed -n 's/^app=//p' "$SWITCHYARD_STATE/cluster/run/images.env" 2>/dev/null || true)"
export SWITCHYARD_APP_IMAGE
env -0
