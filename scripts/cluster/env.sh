# shellcheck shell=bash
# Source me (bash or zsh) after scripts/cluster/up.sh:
#   . scripts/cluster/env.sh
# Exports KUBECONFIG for the local cluster and SWITCHYARD_APISERVER_URL,
# and puts the kubectl built for the server's version first on PATH
# (/usr/bin/kubectl, if any, may be several minor versions behind).
# Changes no shell options, so it is safe in an interactive shell.
if [ -n "${BASH_SOURCE[0]:-}" ]; then
  _sy_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
else
  _sy_here="$(cd "$(dirname "$0")" && pwd)"   # zsh sets $0 to the sourced file
fi
_sy_root="$(cd "$_sy_here/../.." && pwd)"
_sy_k8s_ver="$(sed -n 's/^KUBERNETES_VERSION=//p' "$_sy_root/scripts/toolchain/versions.env")"
export SWITCHYARD_STATE="${SWITCHYARD_STATE:-$_sy_root/.switchyard}"
export SWITCHYARD_CACHE="${SWITCHYARD_CACHE:-$HOME/.cache/switchyard}"
export KUBECONFIG="$SWITCHYARD_STATE/cluster/kubeconfig"
export SWITCHYARD_KUBECTL="$SWITCHYARD_CACHE/bin/kubernetes-$_sy_k8s_ver/kubectl"
case ":$PATH:" in
  *":$SWITCHYARD_CACHE/bin/kubernetes-$_sy_k8s_ver:"*) ;;
  *) export PATH="$SWITCHYARD_CACHE/bin/kubernetes-$_sy_k8s_ver:$PATH" ;;
esac
# Only the URL: the SWITCHYARD_*_PORT names are up.sh's fixed-port overrides.
if [ -f "$SWITCHYARD_STATE/cluster/ports.env" ]; then
  SWITCHYARD_APISERVER_URL="$(sed -n 's/^SWITCHYARD_APISERVER_URL=//p' "$SWITCHYARD_STATE/cluster/ports.env")"
  export SWITCHYARD_APISERVER_URL
fi
[ -f "$KUBECONFIG" ] || echo "switchyard: no cluster yet ($KUBECONFIG missing); run scripts/cluster/up.sh" >&2
unset _sy_here _sy_root _sy_k8s_ver
