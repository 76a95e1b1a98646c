#!/usr/bin/env bash
# Build the OCI images the real nodes run, from the Go sources in this repo,
# without Docker:
#   app    switchyard.local/app:<tag>    the reference application (examples/app)
#   pause  switchyard.local/pause:<tag>  the Pod sandbox's PID 1 (scripts/runtime/pause),
#                                        containerd CRI's sandbox_image
# <tag> is a hash of the image's sources (its *.go files but tests, go.mod,
# go.sum) and of IMAGE_RECIPE below: a change to the sources gives a new tag,
# the same sources always the same tag.
#
# Each image is one static binary (CGO_ENABLED=0, -trimpath, -s -w) and an
# empty /tmp (mode 1777) on no base image, run as 65532:65532, assembled
# with umoci (Debian package `umoci`) and saved as an OCI image-layout tar:
#   $SWITCHYARD_CACHE/images/<name>-<tag>.tar
# whose index.json carries io.containerd.image.name=<ref>, so it imports with
#   ctr -n k8s.io images import <tar>
# (the CRI sees it as <ref>; `--base-name switchyard.local/<name>` also
# works, through the org.opencontainers.image.ref.name=<tag> annotation).
# File times, `created` and history dates are fixed (1970-01-01), so the same
# sources and Go version give the same image digest.
#
# A tar that exists is not rebuilt: a warm run does no Go and no umoci work
# (fast path). A build happens in a temporary folder and the tar is renamed
# into place, so an interrupted build leaves nothing half-written behind.
#
# Usage: build-images.sh [app|pause]...     (default: both)
#        build-images.sh --print-refs       (print refs and tar paths; build nothing)
#        build-images.sh --verify [app|pause]...
#            build if needed, then import the tars into a throwaway containerd
#            (own root, state and socket in a temp folder, CRI plugin off),
#            list them, run each once on a read-only rootfs and stop it with
#            SIGTERM; then stop containerd and remove its folder. Root only.
# Output, one line per item:
#   app=switchyard.local/app:<tag>
#   app-tar=<cache>/images/app-<tag>.tar
#   pause=switchyard.local/pause:<tag>
#   pause-tar=<cache>/images/pause-<tag>.tar
# Needs: go, umoci, jq (Debian packages `umoci` and `jq`; this script installs
# nothing).
set -euo pipefail
# shellcheck source=scripts/toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Bump when the way images are assembled changes (layout, config, flags), so
# that every tag changes with it.
IMAGE_RECIPE=1
IMAGE_REGISTRY=switchyard.local
IMAGE_DIR="$SWITCHYARD_CACHE/images"
EPOCH=1970-01-01T00:00:00Z

# image_src NAME -> the Go module the image is built from.
image_src() {
  case "$1" in
    app) printf '%s/examples/app' "$SY_REPO_ROOT" ;;
    pause) printf '%s/scripts/runtime/pause' "$SY_REPO_ROOT" ;;
  esac
}

# image_tag NAME -> 12 hex digits of sha256 over the recipe and each source
# file's path and content (milliseconds; no Go involved).
image_tag() {
  local src; src="$(image_src "$1")"
  {
    printf 'recipe %s\n' "$IMAGE_RECIPE"
    (cd "$src" && find . -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-12
}

verify=0
case "${1:-}" in
  --print-refs) print_only=1; shift ;;
  --verify) verify=1; print_only=0; shift ;;
  *) print_only=0 ;;
esac
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(app pause)
declare -A REF TAR
for n in "${want[@]}"; do
  case "$n" in
    app|pause) ;;
    *) sy_log "build-images: unknown image '$n' (app|pause)"; exit 2 ;;
  esac
  tag="$(image_tag "$n")"
  REF[$n]="$IMAGE_REGISTRY/$n:$tag"
  TAR[$n]="$IMAGE_DIR/$n-$tag.tar"
done

print_refs() {
  local n; for n in "${want[@]}"; do printf '%s=%s\n%s-tar=%s\n' "$n" "${REF[$n]}" "$n" "${TAR[$n]}"; done
}

all_cached() {
  local n; for n in "${want[@]}"; do [ -s "${TAR[$n]}" ] || return 1; done
}

if [ "$print_only" = 1 ]; then
  print_refs
  exit 0
fi

# ---- build ------------------------------------------------------------------

# build_image NAME: go build into a rootfs, umoci into an OCI layout, tar it.
build_image() {
  local n="$1" t=$SECONDS src tag ref rootfs layout
  [ -s "${TAR[$n]}" ] && return 0
  src="$(image_src "$n")" ref="${REF[$n]}" tag="${ref##*:}"
  rootfs="$TMP_ROOT/$n-rootfs" layout="$TMP_ROOT/$n-oci"
  sy_log "building image $ref"

  mkdir -p "$rootfs/tmp"
  chmod 0755 "$rootfs" && chmod 1777 "$rootfs/tmp"
  # -mod=readonly: exactly the dependencies go.mod/go.sum pin (fetched into
  # the module cache when missing). main.version is what the app reports as
  # its version when APP_VERSION is not set.
  (cd "$src" && go build -mod=readonly -trimpath -ldflags "-s -w -X main.version=$tag" -o "$rootfs/$n" .)
  touch -h -d @0 "$rootfs/$n" "$rootfs/tmp" "$rootfs"

  local -a config=(
    --config.user 65532:65532 --config.entrypoint "/$n" --config.workingdir /
    --config.stopsignal SIGTERM
    --config.label "org.opencontainers.image.title=switchyard $n"
    --config.label "org.opencontainers.image.version=$tag"
    --config.label "org.opencontainers.image.source=$(realpath --relative-to="$SY_REPO_ROOT" "$src")"
  )
  [ "$n" = app ] && config+=(--config.exposedports 8080/tcp)
  local rootless=(); [ "$(id -u)" = 0 ] || rootless=(--rootless)

  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  # One layer: the rootfs folder inserted at /, owned by root, mode as built.
  umoci insert "${rootless[@]}" --image "$layout:$tag" --history.created "$EPOCH" \
    --history.created_by "build-images.sh: $n, static Go binary (CGO_ENABLED=0 -trimpath)" "$rootfs" /
  umoci config --image "$layout:$tag" --created "$EPOCH" --history.created "$EPOCH" \
    --history.created_by "build-images.sh: config" "${config[@]}"
  umoci gc --layout "$layout" # drop the blobs of the intermediate images

  # Name the image for containerd's importer, which takes
  # io.containerd.image.name over org.opencontainers.image.ref.name (a tag
  # only, which ctr would otherwise prefix with "import-<date>").
  jq -c --arg ref "$ref" '.manifests |= map(.annotations += {"io.containerd.image.name": $ref})' \
    "$layout/index.json" >"$layout/index.json.new"
  mv "$layout/index.json.new" "$layout/index.json"

  mkdir -p "$IMAGE_DIR"
  tar -C "$layout" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -cf "$TMP_ROOT/$n.tar" oci-layout index.json blobs
  mv -f "$TMP_ROOT/$n.tar" "${TAR[$n]}"
  rm -rf "$rootfs" "$layout"
  sy_log "build-images: $ref in $((SECONDS - t))s ($(du -k "${TAR[$n]}" | cut -f1) KiB)"
}

if ! all_cached; then
  missing=()
  for tool in go umoci jq tar; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ ${#missing[@]} -gt 0 ]; then
    sy_log "build-images: not on PATH: ${missing[*]}. umoci and jq are Debian packages" \
      "(apt-get install -y umoci jq); go is the local Go toolchain."
    exit 1
  fi
  # One build at a time per cache; TMP_ROOT is removed at exit.
  sy_build_lock images
  start=$SECONDS
  for n in "${want[@]}"; do build_image "$n"; done # another holder may have built some
  sy_log "build-images: done in $((SECONDS - start))s"
  exec 9>&- # release the lock (verify below may take a while)
fi

if [ "$verify" = 0 ]; then
  print_refs
  exit 0
fi

# ---- verify -----------------------------------------------------------------
# A throwaway containerd: its own root, state, socket and opt folder in a temp
# folder, the CRI plugin off (an import test needs none of it).
[ "$(id -u)" = 0 ] || { sy_log "build-images --verify: needs root (it starts containerd)"; exit 1; }
for tool in containerd ctr runc curl; do
  command -v "$tool" >/dev/null || { sy_log "build-images --verify: $tool is not on PATH"; exit 1; }
done
VD="$(mktemp -d "${TMPDIR:-/tmp}/sy-images-verify.XXXXXX")"
SOCK="$VD/containerd.sock"
CTR=(ctr --address "$SOCK" -n k8s.io)
CD_PID=""
verify_cleanup() {
  local rc=$? id m
  if [ -n "$CD_PID" ] && [ -S "$SOCK" ]; then
    for id in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    sleep 0.2
    for id in $("${CTR[@]}" containers ls -q 2>/dev/null); do
      "${CTR[@]}" tasks delete "$id" >/dev/null 2>&1 || true
      "${CTR[@]}" containers delete "$id" >/dev/null 2>&1 || true
    done
  fi
  if [ -n "$CD_PID" ]; then
    kill "$CD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$CD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CD_PID" 2>/dev/null || true
  fi
  # Mounts containerd left (snapshots, rootfs), deepest first.
  awk -v d="$VD/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || true
  done
  rm -rf "$VD" "${TMP_ROOT:-}"
  exit "$rc"
}
trap verify_cleanup EXIT

cat >"$VD/config.toml" <<EOF
version = 2
root = "$VD/root"
state = "$VD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$VD/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$VD/opt"
EOF
# 9>&-: the daemon must not inherit a lock fd (see NOTES.md).
containerd --config "$VD/config.toml" >"$VD/containerd.log" 2>&1 9>&- &
CD_PID=$!
for _ in $(seq 100); do
  "${CTR[@]}" version >/dev/null 2>&1 && break
  kill -0 "$CD_PID" 2>/dev/null || { cat "$VD/containerd.log" >&2; sy_log "verify: containerd exited"; exit 1; }
  sleep 0.1
done
"${CTR[@]}" version >/dev/null

failures=0
check() { # check WHAT CONDITION...: log the result, count a failure
  if "${@:2}"; then sy_log "verify: ok: $1"; else sy_log "verify: FAILED: $1"; failures=$((failures + 1)); fi
}

for n in "${want[@]}"; do
  t0=$(date +%s%N)
  "${CTR[@]}" images import "${TAR[$n]}" >&2
  sy_log "verify: ctr -n k8s.io images import ${TAR[$n]##*/}: $((($(date +%s%N) - t0) / 1000000)) ms"
  check "images ls shows ${REF[$n]}" bash -c '"$@" | grep -qx "$0"' "${REF[$n]}" "${CTR[@]}" images ls -q
done

# run_and_stop NAME ID CHECKS_FN: run the image on a read-only rootfs with the
# host network, run CHECKS_FN while it runs, stop it with SIGTERM and check it
# exits 0.
run_and_stop() {
  local n="$1" id="$2" checks="$3" pid rc
  shift 3
  "${CTR[@]}" run --rm --net-host --read-only "$@" "${REF[$n]}" "$id" >"$VD/$id.out" 2>&1 &
  pid=$!
  for _ in $(seq 50); do
    [ "$("${CTR[@]}" tasks ls 2>/dev/null | awk -v id="$id" '$1 == id { print $3 }')" = RUNNING ] && break
    sleep 0.1
  done
  "$checks" "$id"
  "${CTR[@]}" tasks kill -s SIGTERM "$id"
  rc=0; wait "$pid" || rc=$?
  check "$n exits 0 on SIGTERM (exit $rc)" test "$rc" = 0
  sed 's/^/    /' "$VD/$id.out" | tail -n 8 >&2
}

task_uid() { # the UID the task's PID 1 runs as, seen from the host
  local pid; pid="$("${CTR[@]}" tasks ls | awk -v id="$1" '$1 == id { print $2 }')"
  awk '/^Uid:/ { print $2 }' "/proc/$pid/status"
}

if [ -n "${REF[app]:-}" ]; then
  PORT_=$((20000 + RANDOM % 10000))
  app_checks() {
    local ok=0
    for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$PORT_/healthz" >/dev/null 2>&1 && ok=1 && break; sleep 0.1; done
    check "app answers /healthz" test "$ok" = 1
    check "app runs as UID 65532" test "$(task_uid "$1")" = 65532
    check "GET / reports version ${REF[app]##*:}" \
      bash -c 'curl -fsS "$0" | jq -e --arg v "$1" ".version == \$v" >/dev/null' "http://127.0.0.1:$PORT_/" "${REF[app]##*:}"
    check "/metrics has http_requests_total" bash -c 'curl -fsS "$0" | grep -q "^http_requests_total{"' "http://127.0.0.1:$PORT_/metrics"
  }
  run_and_stop app sy-verify-app app_checks --env "PORT=$PORT_" --env SHUTDOWN_DRAIN=500ms --env POD_NAME=sy-verify-app
fi
if [ -n "${REF[pause]:-}" ]; then
  pause_checks() { check "pause runs as UID 65532" test "$(task_uid "$1")" = 65532; }
  run_and_stop pause sy-verify-pause pause_checks
fi

[ "$failures" = 0 ] || { sy_log "build-images --verify: $failures check(s) failed"; exit 1; }
sy_log "build-images --verify: all checks passed"
print_refs
