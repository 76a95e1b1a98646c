# Shared helpers for the toolchain scripts. Source it; do not run it.
# Binaries are cached outside the repository, keyed by tool and version:
#   $SWITCHYARD_CACHE/bin/<tool>-<version>/<binary>
set -euo pipefail
SY_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=versions.env
. "$SY_REPO_ROOT/scripts/toolchain/versions.env"
SWITCHYARD_CACHE="${SWITCHYARD_CACHE:-$HOME/.cache/switchyard}"
# Per-checkout state (cluster data, Pulumi backend), never committed.
SWITCHYARD_STATE="${SWITCHYARD_STATE:-$SY_REPO_ROOT/.switchyard}"
export SWITCHYARD_CACHE SWITCHYARD_STATE
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

sy_log() { printf '[switchyard] %s\n' "$*" >&2; }

# sy_bin_dir TOOL VERSION -> the cache folder for that tool at that version.
sy_bin_dir() { printf '%s/bin/%s-%s' "$SWITCHYARD_CACHE" "$1" "$2"; }

# sy_have TOOL VERSION BINARY... -> success when every binary is cached.
sy_have() {
  local dir; dir="$(sy_bin_dir "$1" "$2")"; shift 2
  local b; for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}
