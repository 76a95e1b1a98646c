#!/usr/bin/env bash
# Build the local Pulumi toolchain from the Go module proxy and cache it outside
# the repository, keyed by version:
#
#   $(sy_bin_dir pulumi $PULUMI_VERSION)/pulumi
#   $(sy_bin_dir pulumi $PULUMI_VERSION)/pulumi-language-nodejs
#   $(sy_bin_dir pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION)/pulumi-resource-kubernetes
#
# Usage: scripts/toolchain/build-pulumi.sh
#   Exits at once when everything is cached. A cold build downloads a few hundred
#   MB of modules and compiles for a good while on 2 cores (see NOTES.md).
#
# Environment (all optional):
#   SWITCHYARD_PULUMI_VERSION, SWITCHYARD_PULUMI_KUBERNETES_VERSION
#       try other versions than versions.env without editing it (pulumi-env.sh
#       honours the same variables).
#   SWITCHYARD_PULUMI_FROM_PATH=1
#       if `pulumi` on PATH reports exactly v$PULUMI_VERSION and has
#       `pulumi-language-nodejs` beside it, link those into the cache instead of
#       building them.
#   SY_NODEJS_HOST_MODULE_VERSION, SY_NODEJS_HOST_PULUMI_VERSION,
#   SY_K8S_PROVIDER_MODULE_VERSION
#       override the module versions chosen below (checksums are then looked up
#       instead of pinned).
#
# Sources are read from the module proxy only; nothing is written to the repo.
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PULUMI_VERSION="${SWITCHYARD_PULUMI_VERSION:-$PULUMI_VERSION}"
PULUMI_KUBERNETES_VERSION="${SWITCHYARD_PULUMI_KUBERNETES_VERSION:-$PULUMI_KUBERNETES_VERSION}"

PULUMI_DIR="$(sy_bin_dir pulumi "$PULUMI_VERSION")"
K8S_DIR="$(sy_bin_dir pulumi-resource-kubernetes "$PULUMI_KUBERNETES_VERSION")"

sy_all_cached() {
  sy_have pulumi "$PULUMI_VERSION" pulumi pulumi-language-nodejs &&
    sy_have pulumi-resource-kubernetes "$PULUMI_KUBERNETES_VERSION" pulumi-resource-kubernetes
}

# Fast path: no Go, no network, no lock.
if sy_all_cached; then
  exit 0
fi

command -v go >/dev/null 2>&1 || { sy_log "go is not on PATH (expected /usr/local/go/bin)"; exit 1; }

# ---------------------------------------------------------------------------
# Module pins for the two modules that have no version tags of their own.
#
# pulumi-language-nodejs: github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
# is published only as pseudo-versions, and the module proxy reachable here
# serves only some of them. The newest one it serves is the commit below
# (23 commits after v3.187.0, 8 before v3.188.0). It does not compile against
# later pkg/sdk releases (their gRPC and codegen APIs moved on), so it is built
# against pkg/sdk v3.188.0, the release it belongs to. Its gRPC surface is
# compatible with later CLIs and Node SDKs for running programs; the host only
# lacks newer monitor calls, which the Node SDK probes for and skips.
NODEJS_HOST_MODULE=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
NODEJS_HOST_MODULE_VERSION="${SY_NODEJS_HOST_MODULE_VERSION:-v3.0.0-20250806165243-bee5e4fa4815}"
NODEJS_HOST_PULUMI_VERSION="${SY_NODEJS_HOST_PULUMI_VERSION:-3.188.0}"
# Version the host reports: semver of "after v3.187.0, at this commit".
NODEJS_HOST_STAMP="v3.187.1-0.20250806165243-bee5e4fa4815"
# Checksums the public checksum database does not answer for here (pseudo-versions
# and a few releases). Pinned so the download is still verified.
NODEJS_HOST_GOSUM='github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 v3.0.0-20250806165243-bee5e4fa4815 h1:+QJTFK7UcOFTYCg3XaSTrRZHWJ6Hqza8w9oADa4pPcM=
github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 v3.0.0-20250806165243-bee5e4fa4815/go.mod h1:0kA9b5LsaXLEKQzo0o9UUsHtZkACthHYLyBVUDUVMxc=
github.com/pulumi/pulumi/pkg/v3 v3.188.0 h1:GkpGmQVw3miDYFnn0HYuXNs9JqIIvJMgcyhuC6cZyuA=
github.com/pulumi/pulumi/pkg/v3 v3.188.0/go.mod h1:IxnuvbvW9COAVEFvqlWm3/qWibw8yl2k5GyIRFQWHlw=
github.com/pulumi/pulumi/sdk/v3 v3.188.0 h1:rk6TGq6xyHtd1DhQ1R3uCeoPt3gGXIOciOYPo/T6WcU=
github.com/pulumi/pulumi/sdk/v3 v3.188.0/go.mod h1:MjNoJsbSld/fwoQfIKJy9UT+PkEtyXDjBoiDNJHcGA0='
if [ -n "${SY_NODEJS_HOST_MODULE_VERSION:-}${SY_NODEJS_HOST_PULUMI_VERSION:-}" ]; then
  NODEJS_HOST_GOSUM=''
  NODEJS_HOST_STAMP="$NODEJS_HOST_MODULE_VERSION"
fi

# pulumi-resource-kubernetes: github.com/pulumi/pulumi-kubernetes/provider/v4 has
# no tags either. Known pseudo-versions, keyed by provider release (the commit
# the release tag vX.Y.Z points at), with their pinned checksums.
K8S_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PROVIDER_GOSUM=''
case "$PULUMI_KUBERNETES_VERSION" in
  4.25.0)
    K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
    K8S_PROVIDER_GOSUM='github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260115033456-f47bc2d6f199 h1:j2bphCf7c2YhnBrhwht2f3TNRRgcMImltUlAgzxr9H4=
github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260115033456-f47bc2d6f199/go.mod h1:61at6ZXhz4COFbTksqENrBzq5VUQ/LV8sdZ7WJt9KT4='
    ;;
  *) K8S_PROVIDER_MODULE_VERSION='' ;;  # derived below from the sdk/v4 tag commit
esac
if [ -n "${SY_K8S_PROVIDER_MODULE_VERSION:-}" ]; then
  K8S_PROVIDER_MODULE_VERSION="$SY_K8S_PROVIDER_MODULE_VERSION"
  K8S_PROVIDER_GOSUM=''
fi
# ---------------------------------------------------------------------------

mkdir -p "$SWITCHYARD_CACHE/work"
# One build at a time per cache; a second caller waits, then finds the cache.
exec 9>"$SWITCHYARD_CACHE/work/build-pulumi.lock"
if ! flock -n 9; then
  sy_log "another build-pulumi.sh is running; waiting for it"
  flock 9
fi
if sy_all_cached; then
  exit 0
fi

# Work folders left by a killed run (we hold the lock, so none is in use).
for stale in "$SWITCHYARD_CACHE"/work/pulumi.??????; do
  [ -d "$stale" ] || continue
  chmod -R u+w "$stale" 2>/dev/null || true
  rm -rf "$stale"
done
WORK="$(mktemp -d "$SWITCHYARD_CACHE/work/pulumi.XXXXXX")"
cleanup() { chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

T_ALL=$SECONDS
sy_timed() { # sy_timed LABEL CMD... : run CMD and log how long it took
  local label="$1" t=$SECONDS; shift
  "$@"
  sy_log "$label: $((SECONDS - t))s"
}

# sy_install SRC DIR NAME : move a freshly built binary into the cache atomically
sy_install() {
  mkdir -p "$2"
  chmod 0755 "$1"
  mv -f "$1" "$2/.$3.tmp.$$"
  mv -f "$2/.$3.tmp.$$" "$2/$3"
}

# sy_unavailable MODULE@VERSION : explain a refusal by the module proxy
sy_unavailable() {
  sy_log "the Go module proxy does not serve $1 here."
  sy_log "see scripts/toolchain/NOTES.md for the versions known to build."
  exit 1
}

# sy_wrapper DIR MODULE_NAME GO_SUM_LINES REQUIRE... : write a wrapper module
sy_wrapper() {
  local dir="$1" name="$2" sums="$3"; shift 3
  mkdir -p "$dir"
  {
    printf 'module %s\n\ngo 1.25\n\nrequire (\n' "$name"
    local r; for r in "$@"; do printf '\t%s\n' "$r"; done
    printf ')\n\n'
    # Same replace as github.com/pulumi/pulumi/pkg/v3's own go.mod.
    printf 'replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e\n'
  } >"$dir/go.mod"
  if [ -n "$sums" ]; then printf '%s\n' "$sums" >"$dir/go.sum"; fi
}

# --- 1. pulumi ---------------------------------------------------------------
build_pulumi_cli() {
  local d="$WORK/cli" pkg="github.com/pulumi/pulumi/pkg/v3"
  if [ "${SWITCHYARD_PULUMI_FROM_PATH:-0}" = 1 ] && command -v pulumi >/dev/null 2>&1; then
    local p; p="$(command -v pulumi)"
    if [ "$(pulumi version 2>/dev/null)" = "v$PULUMI_VERSION" ] &&
      [ -x "$(dirname "$p")/pulumi-language-nodejs" ]; then
      sy_log "using pulumi v$PULUMI_VERSION from $(dirname "$p") (SWITCHYARD_PULUMI_FROM_PATH=1)"
      mkdir -p "$PULUMI_DIR"
      ln -sfn "$p" "$PULUMI_DIR/pulumi"
      ln -sfn "$(dirname "$p")/pulumi-language-nodejs" "$PULUMI_DIR/pulumi-language-nodejs"
      return
    fi
  fi
  sy_log "building pulumi v$PULUMI_VERSION ($pkg@v$PULUMI_VERSION)"
  go mod download "$pkg@v$PULUMI_VERSION" >/dev/null 2>&1 || sy_unavailable "$pkg@v$PULUMI_VERSION"
  sy_wrapper "$d" switchyard.local/pulumi-cli "" \
    "$pkg v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s/cmd/pulumi"\n' "$pkg" >"$d/tools.go"
  (
    cd "$d"
    sy_timed "pulumi: resolve modules" go mod tidy
    # pkg must not be bumped past the pin by another requirement.
    go list -m "$pkg" | grep -qx "$pkg v$PULUMI_VERSION" ||
      { sy_log "pulumi: $pkg resolved to $(go list -m "$pkg")"; exit 1; }
    sy_timed "pulumi: compile" go build -trimpath -o "$d/pulumi.out" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      "$pkg/cmd/pulumi"
  )
  sy_install "$d/pulumi.out" "$PULUMI_DIR" pulumi
}

# --- 2. pulumi-language-nodejs ----------------------------------------------
build_nodejs_host() {
  local d="$WORK/nodejs-host"
  sy_log "building pulumi-language-nodejs ($NODEJS_HOST_MODULE@$NODEJS_HOST_MODULE_VERSION, pkg/sdk v$NODEJS_HOST_PULUMI_VERSION)"
  sy_wrapper "$d" switchyard.local/pulumi-language-nodejs "$NODEJS_HOST_GOSUM" \
    "$NODEJS_HOST_MODULE $NODEJS_HOST_MODULE_VERSION" \
    "github.com/pulumi/pulumi/pkg/v3 v$NODEJS_HOST_PULUMI_VERSION" \
    "github.com/pulumi/pulumi/sdk/v3 v$NODEJS_HOST_PULUMI_VERSION"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$NODEJS_HOST_MODULE" >"$d/tools.go"
  (
    cd "$d"
    sy_timed "pulumi-language-nodejs: resolve modules" go mod tidy ||
      sy_unavailable "$NODEJS_HOST_MODULE@$NODEJS_HOST_MODULE_VERSION (or one of its dependencies)"
    sy_timed "pulumi-language-nodejs: compile" go build -trimpath -o "$d/host.out" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$NODEJS_HOST_STAMP" \
      "$NODEJS_HOST_MODULE"
  )
  sy_install "$d/host.out" "$PULUMI_DIR" pulumi-language-nodejs
}

# --- 3. pulumi-resource-kubernetes ------------------------------------------
build_k8s_provider() {
  local d="$WORK/k8s" v="$PULUMI_KUBERNETES_VERSION" sdk=github.com/pulumi/pulumi-kubernetes/sdk/v4
  local modver="$K8S_PROVIDER_MODULE_VERSION"
  if [ -z "$modver" ]; then
    # Pseudo-version of the commit the sdk/vX.Y.Z tag points at, from the proxy's
    # record of that tag (a pseudo-version's time is the commit time in UTC).
    local info hash time
    info="$(go mod download -json "$sdk@v$v" 2>/dev/null)" || sy_unavailable "$sdk@v$v"
    hash="$(printf '%s' "$info" | sed -n 's/.*"Hash": *"\([0-9a-f]\{12\}\).*/\1/p' | head -1)"
    time="$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$(printf '%s' "$info" | sed -n 's/.*"Info": *"\([^"]*\)".*/\1/p')")"
    if [ -z "$hash" ] || [ -z "$time" ]; then sy_log "no commit recorded for $sdk@v$v"; exit 1; fi
    modver="v4.0.0-$(date -u -d "$time" +%Y%m%d%H%M%S)-$hash"
  fi
  sy_log "building pulumi-resource-kubernetes $v ($K8S_PROVIDER_MODULE@$modver)"
  mkdir -p "$d/probe"
  (
    cd "$d/probe"
    printf 'module switchyard.local/probe\n\ngo 1.25\n' >go.mod
    if [ -n "$K8S_PROVIDER_GOSUM" ]; then printf '%s\n' "$K8S_PROVIDER_GOSUM" >go.sum; fi
    # With pinned sums the download is verified against them; otherwise the
    # checksum database is asked.
    go mod download -json "$K8S_PROVIDER_MODULE@$modver" >"$d/provider.json" 2>"$d/provider.err" || {
      cat "$d/provider.err" >&2; sy_unavailable "$K8S_PROVIDER_MODULE@$modver"; }
  )
  local src; src="$(sed -n 's/.*"Dir": *"\([^"]*\)".*/\1/p' "$d/provider.json")"
  [ -d "$src" ] || { sy_log "provider module not found in the module cache"; exit 1; }
  if [ -n "$K8S_PROVIDER_GOSUM" ]; then
    local want got
    want="$(printf '%s\n' "$K8S_PROVIDER_GOSUM" | sed -n '1s/.* //p')"
    got="$(sed -n 's/.*"Sum": *"\([^"]*\)".*/\1/p' "$d/provider.json")"
    [ "$want" = "$got" ] || { sy_log "checksum mismatch for provider module: $got != $want"; exit 1; }
  fi
  # The module cache is read-only; work on a writable copy.
  cp -R "$src" "$d/provider"
  chmod -R u+w "$d/provider"
  (
    cd "$d/provider"
    # Upstream points the sdk at ../sdk (outside the module): use the published
    # sdk of the same release instead.
    go mod edit -replace "$sdk=$sdk@v$v"
    # -mod=mod adds the go.sum lines the new sdk needs (checked against the
    # checksum database) without re-resolving anything else.
    export GOFLAGS="$GOFLAGS -mod=mod"
    # schema-embed.json and terraform-mapping-embed.json are generated upstream
    # and absent from the module zip.
    (cd cmd/pulumi-resource-kubernetes &&
      sy_timed "pulumi-resource-kubernetes: generate" env VERSION="$v" go run generate.go)
    sy_timed "pulumi-resource-kubernetes: compile" go build -trimpath -o "$d/provider.out" \
      -ldflags "-s -w -X $K8S_PROVIDER_MODULE/pkg/version.Version=$v" \
      ./cmd/pulumi-resource-kubernetes
  )
  sy_install "$d/provider.out" "$K8S_DIR" pulumi-resource-kubernetes
}

cd "$WORK"
# (if/then rather than `||`: set -e must stay in force inside the functions)
if ! sy_have pulumi "$PULUMI_VERSION" pulumi; then
  sy_timed "pulumi v$PULUMI_VERSION total" build_pulumi_cli
fi
if ! sy_have pulumi "$PULUMI_VERSION" pulumi-language-nodejs; then
  sy_timed "pulumi-language-nodejs total" build_nodejs_host
fi
if ! sy_have pulumi-resource-kubernetes "$PULUMI_KUBERNETES_VERSION" pulumi-resource-kubernetes; then
  sy_timed "pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION total" build_k8s_provider
fi

sy_log "pulumi toolchain ready in $((SECONDS - T_ALL))s: $PULUMI_DIR, $K8S_DIR"
