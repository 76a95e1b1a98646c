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

# sy_build_lock NAME: one build of NAME at a time per cache (waits for another
# holder), then a temp folder TMP_ROOT beside the cache, removed at exit so a
# killed build never leaves a partial binary where a cached one belongs.
sy_build_lock() {
  mkdir -p "$SWITCHYARD_CACHE/bin" "$SWITCHYARD_CACHE/locks"
  exec 9>"$SWITCHYARD_CACHE/locks/build-$1.lock"
  if ! flock -n 9; then
    sy_log "build-$1: another build holds the lock; waiting"
    flock 9
  fi
  TMP_ROOT="$(mktemp -d "$SWITCHYARD_CACHE/bin/.tmp-$1.XXXXXX")"
  trap 'rm -rf "$TMP_ROOT"' EXIT
}

# sy_install_bin TOOL VERSION BIN: rename a binary built into TMP_ROOT into the
# cache folder of TOOL at VERSION (after sy_build_lock).
sy_install_bin() {
  local dest; dest="$(sy_bin_dir "$1" "$2")"
  [ -x "$TMP_ROOT/$3" ] || { sy_log "$3 was not produced"; return 1; }
  mkdir -p "$dest"
  mv -f "$TMP_ROOT/$3" "$dest/$3"
}

# sy_module_src MODULE@VERSION -> the module's source folder in the module
# cache, downloaded by version. `go install pkg@version` asks the proxy for the
# module's version list (for deprecations), which the proxy here refuses for
# some modules; building inside this folder with -mod=readonly uses upstream's
# own go.mod and go.sum and re-resolves nothing.
sy_module_src() {
  local src
  src="$(cd "$TMP_ROOT" && go mod download -json "$1" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [ -f "$src/go.mod" ] || { sy_log "no source for $1"; return 1; }
  printf '%s' "$src"
}
