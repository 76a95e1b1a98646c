#!/usr/bin/env bash
# Build the local Kubernetes control plane from the Go module proxy:
#   etcd            go.etcd.io/etcd/server/v3 @ v$ETCD_VERSION
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
#   kubelet, kube-proxy (the real nodes)
#                   k8s.io/kubernetes @ v$KUBERNETES_VERSION
#   kwok            sigs.k8s.io/kwok/cmd/kwok @ v$KWOK_VERSION
# Binaries land in $SWITCHYARD_CACHE/bin/<tool>-<version>/ (see lib.sh); a
# tool whose binaries are all there is skipped, so a warm run takes well
# under a second. Each build goes to a temporary folder next to the cache and
# every binary is renamed into place, so an interrupted build leaves nothing
# half-written behind.
#
# Usage: build-k8s.sh [etcd|kubernetes|kwok]...   (default: all three)
#        build-k8s.sh --print-dirs                (print the cache folders)
# Cold, on 2 cores, this takes 25-35 minutes (Kubernetes alone ~20-25; see
# NOTES.md): past a 10-minute foreground limit, run it with nohup and poll
# its log. Modules and build results land in the ordinary Go caches; only
# the wrapper modules live under $SWITCHYARD_CACHE/build.
set -euo pipefail
# shellcheck source=scripts/toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
ETCD_DIR="$(sy_bin_dir etcd "$ETCD_VERSION")"
K8S_DIR="$(sy_bin_dir kubernetes "$KUBERNETES_VERSION")"
KWOK_DIR="$(sy_bin_dir kwok "$KWOK_VERSION")"

if [ "${1:-}" = "--print-dirs" ]; then
  printf 'etcd=%s\nkubernetes=%s\nkwok=%s\n' "$ETCD_DIR" "$K8S_DIR" "$KWOK_DIR"
  exit 0
fi

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(etcd kubernetes kwok)

# Fast path: everything requested is cached already; touch nothing else.
all_cached=1
for t in "${want[@]}"; do
  case "$t" in
    etcd) sy_have etcd "$ETCD_VERSION" etcd || all_cached=0 ;;
    kubernetes) sy_have kubernetes "$KUBERNETES_VERSION" "${K8S_BINS[@]}" || all_cached=0 ;;
    kwok) { sy_have kwok "$KWOK_VERSION" kwok && [ -f "$KWOK_DIR/stages/pod-ready.yaml" ]; } || all_cached=0 ;;
    *) sy_log "build-k8s: unknown tool '$t' (etcd|kubernetes|kwok)"; exit 2 ;;
  esac
done
[ "$all_cached" = 1 ] && exit 0

command -v go >/dev/null || { sy_log "build-k8s: go is not on PATH"; exit 1; }

# One build at a time per cache (up.sh, tests and a developer may all ask).
mkdir -p "$SWITCHYARD_CACHE/build"
sy_build_lock k8s

# install_bins TOOL VERSION SRC_DIR BIN... : rename built binaries into the cache.
install_bins() {
  local dest; dest="$(sy_bin_dir "$1" "$2")"; local src="$3"; shift 3
  mkdir -p "$dest"
  local b; for b in "$@"; do
    [ -x "$src/$b" ] || { sy_log "build-k8s: $b was not produced"; return 1; }
    mv -f "$src/$b" "$dest/$b"
  done
}

# gomod_path: the "GoMod" file named in `go mod download -json` output.
gomod_path() { sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p'; }
# Version parts of vX.Y.Z.
ver_minor() { local v="${1#v}"; v="${v#*.}"; printf '%s' "${v%%.*}"; }
ver_major() { local v="${1#v}"; printf '%s' "${v%%.*}"; }

build_etcd() {
  sy_have etcd "$ETCD_VERSION" etcd && return 0
  sy_log "building etcd v$ETCD_VERSION"
  local work="$SWITCHYARD_CACHE/build/etcd-$ETCD_VERSION"
  rm -rf "$work"; mkdir -p "$work"
  # The server module's own go.mod replaces its sibling modules with ../
  # paths; those replaces only apply when it is the main module, so a wrapper
  # module gets the published siblings at the versions it requires.
  local upstream goline
  upstream="$(cd "$work" && go mod download -json "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" | gomod_path)"
  [ -f "$upstream" ] || { sy_log "build-k8s: no go.mod for etcd server v$ETCD_VERSION"; return 1; }
  # Same go line as upstream, so the binary gets upstream's GODEBUG defaults.
  goline="$(awk '$1=="go"{print $2; exit}' "$upstream")"
  printf 'module switchyard.local/build/etcd\n\ngo %s\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' \
    "$goline" "$ETCD_VERSION" >"$work/go.mod"
  cat >"$work/tools.go" <<'EOF'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
EOF
  (cd "$work" && go mod tidy && \
    go build -trimpath -ldflags '-s -w' -o "$TMP_ROOT/etcd" go.etcd.io/etcd/server/v3)
  install_bins etcd "$ETCD_VERSION" "$TMP_ROOT" etcd
}

build_kubernetes() {
  sy_have kubernetes "$KUBERNETES_VERSION" "${K8S_BINS[@]}" && return 0
  local v="v$KUBERNETES_VERSION" major minor
  major="$(ver_major "$v")"; minor="$(ver_minor "$v")"
  sy_log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet, kube-proxy $v"
  local work="$SWITCHYARD_CACHE/build/kubernetes-$KUBERNETES_VERSION"
  rm -rf "$work"; mkdir -p "$work"
  # The upstream go.mod, as the proxy serves it.
  local upstream
  upstream="$(cd "$work" && go mod download -json "k8s.io/kubernetes@$v" | gomod_path)"
  [ -f "$upstream" ] || { sy_log "build-k8s: no go.mod for k8s.io/kubernetes@$v"; return 1; }
  local goline godebug replaces
  goline="$(awk '$1=="go"{print $2; exit}' "$upstream")"
  # godebug lines (single or block), verbatim: they set the binaries' defaults.
  godebug="$(awk '/^godebug[[:space:]]*\(/{b=1} b{print; if(/^\)/)b=0; next} /^godebug[[:space:]]/{print}' "$upstream")"
  # Each "k8s.io/x => ./staging/src/k8s.io/x" becomes "k8s.io/x => k8s.io/x v0.<minor>.<patch>".
  local staging_ver="v0.${v#v*.}"
  replaces="$(awk -v sv="$staging_ver" '$2=="=>" && $3 ~ /^\.\/staging\// {printf "\t%s => %s %s\n", $1, $1, sv}' "$upstream")"
  [ -n "$replaces" ] || { sy_log "build-k8s: found no staging replaces in $upstream"; return 1; }
  {
    printf 'module switchyard.local/build/kubernetes\n\ngo %s\n\n' "$goline"
    [ -z "$godebug" ] || printf '%s\n\n' "$godebug"
    printf 'require k8s.io/kubernetes %s\n\nreplace (\n%s\n)\n' "$v" "$replaces"
  } >"$work/go.mod"
  cat >"$work/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
)
EOF
  local date; date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local ld="-s -w"
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  # One go build for all four shares the compile of their common packages.
  (cd "$work" && go mod tidy && \
    go build -trimpath -ldflags "$ld" -o "$TMP_ROOT/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl \
      k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy)
  install_bins kubernetes "$KUBERNETES_VERSION" "$TMP_ROOT" "${K8S_BINS[@]}"
}

build_kwok() {
  sy_have kwok "$KWOK_VERSION" kwok && [ -f "$KWOK_DIR/stages/pod-ready.yaml" ] && return 0
  sy_log "building kwok v$KWOK_VERSION"
  # No replace lines upstream, so go install pkg@version works as is; the
  # version constant in the module already reads $KWOK_VERSION.
  GOBIN="$TMP_ROOT" go install -trimpath -ldflags '-s -w' "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  # The kwok binary has no built-in lifecycle stages (kwokctl supplies them
  # in its config); keep the module's default ones next to the binary so
  # up.sh can hand them to kwok with --config.
  local src
  src="$(cd "$TMP_ROOT" && go mod download -json "sigs.k8s.io/kwok@v$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  mkdir -p "$KWOK_DIR" "$TMP_ROOT/stages"
  local f; for f in node/fast/node-initialize.yaml \
      node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cp "$src/kustomize/stage/$f" "$TMP_ROOT/stages/"
  done
  chmod -R u+w "$TMP_ROOT/stages"
  rm -rf "$KWOK_DIR/stages"; mv "$TMP_ROOT/stages" "$KWOK_DIR/stages"
  # The binary last: its presence means the stages are there too.
  install_bins kwok "$KWOK_VERSION" "$TMP_ROOT" kwok
}

start=$SECONDS
for t in "${want[@]}"; do
  t0=$SECONDS
  case "$t" in
    etcd) build_etcd ;;
    kubernetes) build_kubernetes ;;
    kwok) build_kwok ;;
  esac
  [ $((SECONDS - t0)) -eq 0 ] || sy_log "build-k8s: $t took $((SECONDS - t0))s"
done
sy_log "build-k8s: done in $((SECONDS - start))s"
printf 'etcd=%s\nkubernetes=%s\nkwok=%s\n' "$ETCD_DIR" "$K8S_DIR" "$KWOK_DIR"
