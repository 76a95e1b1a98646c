#!/usr/bin/env bash
# Install the Debian packages the real nodes of the local cluster use, when
# missing: containerd and runc (the container runtime), the CNI plugins
# (bridge, host-local, portmap, loopback), iptables, conntrack and iproute2
# (kube-proxy and the CNI plugins), umoci and jq (build-images.sh writes the
# images with it). Warm (all present): no apt, a few milliseconds.
# Needs root and apt-get when something is missing.
set -euo pipefail
# shellcheck source=scripts/toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# package:file it provides
want=(containerd:/usr/bin/containerd runc:/usr/sbin/runc containernetworking-plugins:/usr/lib/cni/bridge
  iptables:/usr/sbin/iptables conntrack:/usr/sbin/conntrack iproute2:/usr/sbin/ip umoci:/usr/bin/umoci jq:/usr/bin/jq)
missing=()
for w in "${want[@]}"; do [ -e "${w#*:}" ] || missing+=("${w%%:*}"); done
[ ${#missing[@]} -gt 0 ] || exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  sy_log "install-runtime: missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]}), or run with SWITCHYARD_REAL_NODES=0 for fake nodes only"
  exit 1
fi
sy_log "install-runtime: installing ${missing[*]}"
t0=$SECONDS
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts no containerd here (no systemd); if a system one runs, ours
# run beside it with their own sockets and folders.
sy_log "install-runtime: done in $((SECONDS - t0))s"
