#!/usr/bin/env bash
# Fetch the CustomResourceDefinitions switchyard's objects use, from the Go
# modules of the operators that ship them, at the versions pinned in
# versions.env, into $SWITCHYARD_CACHE/crds/<set>-<version>/ (outside the repo):
#
#   set                  module (path in the module)                          kinds
#   nack                 github.com/nats-io/nack (deploy/crds.yml)           Stream, Consumer, Account, ...
#   keda                 github.com/kedacore/keda/v2 (config/crd/bases)      ScaledObject, TriggerAuthentication, ...
#   prometheus-operator  github.com/prometheus-operator/prometheus-operator  ServiceMonitor, PodMonitor, PrometheusRule
#                        (example/prometheus-operator-crd)
#   gateway-api          sigs.k8s.io/gateway-api (config/crd/standard)       GatewayClass, Gateway, HTTPRoute, ReferenceGrant
#   mcs-api              sigs.k8s.io/mcs-api (config/crd)                    ServiceExport, ServiceImport
#   rabbitmq-cluster-operator            github.com/rabbitmq/cluster-operator/v2 (config/crd/bases)   RabbitmqCluster
#   rabbitmq-messaging-topology-operator github.com/rabbitmq/messaging-topology-operator (config/crd/bases)
#                                        Exchange, Queue, Binding, Policy, User, Permission, Vhost
#
# Strimzi's Kafka CRDs are in no registry these machines reach (Strimzi is not a
# Go module or an npm package): they are used only when SWITCHYARD_STRIMZI_CRDS_DIR
# names a folder holding them (Kafka, KafkaNodePool, KafkaTopic, KafkaUser of
# kafka.strimzi.io); the set is then listed as "strimzi=<that folder>".
#
# Prints one line per set, "<set>=<folder>", on stdout. Warm (every set cached):
# no Go, no network, a few milliseconds. A set that cannot be fetched is an
# error naming the set, the module version and the fix.
#
# Usage: fetch-crds.sh            fetch what is missing, print the folders
#        fetch-crds.sh --cached   print the folders; fail if one is missing
set -euo pipefail
# shellcheck source=scripts/toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# set|version|module|folder in the module|file globs (space-separated)
SETS=(
  "nack|$NACK_VERSION|github.com/nats-io/nack|deploy|crds.yml"
  "keda|$KEDA_VERSION|github.com/kedacore/keda/v2|config/crd/bases|keda.sh_*.yaml"
  "prometheus-operator|$PROMETHEUS_OPERATOR_VERSION|github.com/prometheus-operator/prometheus-operator|example/prometheus-operator-crd|monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_podmonitors.yaml monitoring.coreos.com_prometheusrules.yaml"
  "gateway-api|$GATEWAY_API_VERSION|sigs.k8s.io/gateway-api|config/crd/standard|gateway.networking.k8s.io_gatewayclasses.yaml gateway.networking.k8s.io_gateways.yaml gateway.networking.k8s.io_httproutes.yaml gateway.networking.k8s.io_referencegrants.yaml"
  "mcs-api|$MCS_API_VERSION|sigs.k8s.io/mcs-api|config/crd|multicluster.x-k8s.io_*.yaml"
  "rabbitmq-cluster-operator|$RABBITMQ_CLUSTER_OPERATOR_VERSION|github.com/rabbitmq/cluster-operator/v2|config/crd/bases|rabbitmq.com_rabbitmqclusters.yaml"
  "rabbitmq-messaging-topology-operator|$RABBITMQ_TOPOLOGY_OPERATOR_VERSION|github.com/rabbitmq/messaging-topology-operator|config/crd/bases|rabbitmq.com_exchanges.yaml rabbitmq.com_queues.yaml rabbitmq.com_bindings.yaml rabbitmq.com_policies.yaml rabbitmq.com_users.yaml rabbitmq.com_permissions.yaml rabbitmq.com_vhosts.yaml"
)

cached_only=0
[ "${1:-}" = "--cached" ] && cached_only=1
CRDS_ROOT="$SWITCHYARD_CACHE/crds"

set_dir() { printf '%s/%s-%s' "$CRDS_ROOT" "$1" "$2"; }

fetch_set() { # set version module folder globs
  local set="$1" version="$2" module="$3" folder="$4" globs="$5"
  local dest; dest="$(set_dir "$set" "$version")"
  [ -f "$dest/.complete" ] && return 0
  if [ "$cached_only" = 1 ]; then
    sy_log "fetch-crds: the $set CRDs (v$version) are not fetched; run: bash scripts/toolchain/fetch-crds.sh"
    return 1
  fi
  command -v go >/dev/null || { sy_log "fetch-crds: go is not on PATH (it fetches the $set CRDs from the Go module proxy)"; return 1; }
  local json src
  json="$(cd "$TMP_ROOT" && go mod download -json "$module@v$version" 2>&1)" || true
  src="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  if [ -z "$src" ] || [ ! -d "$src/$folder" ]; then
    sy_log "fetch-crds: cannot fetch the $set CRDs: $module@v$version from the Go module proxy ($GOPROXY):"
    printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/  \1/p' >&2
    sy_log "fetch-crds: check the network and GOPROXY, or pin a version the proxy serves in scripts/toolchain/versions.env"
    return 1
  fi
  local tmp="$TMP_ROOT/$set" g f n=0
  mkdir -p "$tmp"
  for g in $globs; do
    for f in "$src/$folder"/$g; do
      [ -f "$f" ] || { sy_log "fetch-crds: $module@v$version has no $folder/$g"; return 1; }
      cp "$f" "$tmp/"; n=$((n + 1))
    done
  done
  chmod -R u+w "$tmp"
  printf 'module=%s\nversion=v%s\nfolder=%s\n' "$module" "$version" "$folder" >"$tmp/.complete"
  mkdir -p "$CRDS_ROOT"
  rm -rf "$dest"; mv "$tmp" "$dest"
  sy_log "fetch-crds: $set v$version: $n files from $module"
}

missing=0
for s in "${SETS[@]}"; do
  IFS='|' read -r set version _ _ _ <<<"$s"
  [ -f "$(set_dir "$set" "$version")/.complete" ] || missing=1
done
if [ "$missing" = 1 ]; then
  if [ "$cached_only" = 0 ]; then sy_build_lock crds; else TMP_ROOT=""; fi
  for s in "${SETS[@]}"; do
    IFS='|' read -r set version module folder globs <<<"$s"
    fetch_set "$set" "$version" "$module" "$folder" "$globs"
  done
fi

for s in "${SETS[@]}"; do
  IFS='|' read -r set version _ _ _ <<<"$s"
  printf '%s=%s\n' "$set" "$(set_dir "$set" "$version")"
done

if [ -n "${SWITCHYARD_STRIMZI_CRDS_DIR:-}" ]; then
  d="$SWITCHYARD_STRIMZI_CRDS_DIR"
  if [ ! -d "$d" ]; then
    sy_log "fetch-crds: SWITCHYARD_STRIMZI_CRDS_DIR ($d) is not a folder; point it at a folder holding Strimzi's Kafka CRDs, or unset it"
    exit 1
  fi
  for kind in kafkas kafkanodepools kafkatopics kafkausers; do
    grep -rqs --include='*.y*ml' "name: $kind.kafka.strimzi.io" "$d" || {
      sy_log "fetch-crds: SWITCHYARD_STRIMZI_CRDS_DIR ($d) has no CRD $kind.kafka.strimzi.io; point it at Strimzi's install/cluster-operator CRDs"
      exit 1
    }
  done
  printf 'strimzi=%s\n' "$(cd "$d" && pwd)"
fi
