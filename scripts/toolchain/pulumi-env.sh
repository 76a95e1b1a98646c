# Source this file (bash): puts the cached Pulumi toolchain first on PATH and
# configures Pulumi to run fully offline against a local file backend.
#
#   . scripts/toolchain/pulumi-env.sh
#
# It does not build anything: run scripts/toolchain/build-pulumi.sh first.
# Variables you set before sourcing win: PULUMI_CONFIG_PASSPHRASE,
# SWITCHYARD_CACHE, SWITCHYARD_STATE, SWITCHYARD_PULUMI_VERSION,
# SWITCHYARD_PULUMI_KUBERNETES_VERSION.
#
# The binaries are found as "ambient" plugins on PATH, so nothing is downloaded
# and no plugin version check applies. PULUMI_IGNORE_AMBIENT_PLUGINS must stay
# unset for that.

# Read the cache layout and pins from lib.sh in a child shell, so that sourcing
# this file changes nothing else in the caller's shell (options, GOFLAGS, ...).
__sy_lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
__sy_vals="$(SWITCHYARD_CACHE="${SWITCHYARD_CACHE:-}" SWITCHYARD_STATE="${SWITCHYARD_STATE:-}" \
  SWITCHYARD_PULUMI_VERSION="${SWITCHYARD_PULUMI_VERSION:-}" \
  SWITCHYARD_PULUMI_KUBERNETES_VERSION="${SWITCHYARD_PULUMI_KUBERNETES_VERSION:-}" bash -c '. "$1" && printf "%s\n" "$SWITCHYARD_CACHE" "$SWITCHYARD_STATE" \
  "$(sy_bin_dir pulumi "${SWITCHYARD_PULUMI_VERSION:-$PULUMI_VERSION}")" \
  "$(sy_bin_dir pulumi-resource-kubernetes "${SWITCHYARD_PULUMI_KUBERNETES_VERSION:-$PULUMI_KUBERNETES_VERSION}")"' \
  _ "$__sy_lib")" || return 1
{ read -r SWITCHYARD_CACHE; read -r SWITCHYARD_STATE; read -r __sy_pulumi_dir; read -r __sy_k8s_dir; } <<<"$__sy_vals"
export SWITCHYARD_CACHE SWITCHYARD_STATE
unset __sy_lib __sy_vals

if [ ! -x "$__sy_pulumi_dir/pulumi" ] || [ ! -x "$__sy_k8s_dir/pulumi-resource-kubernetes" ]; then
  printf '[switchyard] %s\n' "pulumi toolchain not built yet: run scripts/toolchain/build-pulumi.sh" >&2
fi
# Put both folders first, dropping earlier copies so re-sourcing does not grow PATH.
__sy_path=":${PATH:-}:"
__sy_path="${__sy_path//:$__sy_pulumi_dir:/:}"
__sy_path="${__sy_path//:$__sy_k8s_dir:/:}"
__sy_path="${__sy_path#:}"
__sy_path="${__sy_path%:}"
PATH="$__sy_pulumi_dir:$__sy_k8s_dir${__sy_path:+:$__sy_path}"
export PATH
unset __sy_pulumi_dir __sy_k8s_dir __sy_path

# Dynamic providers (pulumi.dynamic.Resource, e.g. switchyard's GeneratedPassword)
# run through the `pulumi-resource-pulumi-nodejs` script that ships inside
# @pulumi/pulumi; Pulumi's release archives carry it beside the CLI, a CLI built
# from source does not. Append this checkout's copy (last, so an installed
# Pulumi's own copy wins), once.
__sy_dyn="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/node_modules/@pulumi/pulumi"
case ":$PATH:" in
  *":$__sy_dyn:"*) ;;
  *) [ ! -x "$__sy_dyn/pulumi-resource-pulumi-nodejs" ] || PATH="$PATH:$__sy_dyn" ;;
esac
unset __sy_dyn

export PULUMI_HOME="$SWITCHYARD_STATE/pulumi-home"
mkdir -p "$PULUMI_HOME" "$SWITCHYARD_STATE/pulumi-backend"
# metadata=skip: the file backend (gocloud.dev fileblob) otherwise writes an
# `.attrs` sidecar next to each state file by truncating it in place, and a CLI
# killed at that moment leaves it empty: every later command then fails with
# "failed to load checkpoint: EOF". Without sidecars each write is a temp file
# renamed over the old one, which a crash cannot tear.
export PULUMI_BACKEND_URL="file://$SWITCHYARD_STATE/pulumi-backend?metadata=skip"
# An explicitly set (even empty) passphrase or passphrase file is kept.
if [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-switchyard-local}"
fi
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_SKIP_CONFIRMATIONS=true
