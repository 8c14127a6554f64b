#!/usr/bin/env bash
# How an image should come back from BuildKit on Docker 26 with the containerd image store, measured: one amd64
# build of the same Dockerfile (a 20 MB random layer on the busybox base), cold each time, alternating:
#   load   `docker buildx build --load` then `docker save` (what polyarch does on the classic store)
#   oci    `--output type=oci,dest=-,compression=uncompressed --provenance=false` (polyarch on the containerd store)
#   ocigz  the same with BuildKit compressing the layers (gzip)
#   dir    the uncompressed OCI layout written to a directory (`tar=false`) instead of streamed
#   push   BuildKit compressing (gzip, level 1) and pushing the image itself (`type=image,push=true`), under a tag:
#          the engine's docker driver refuses `push-by-digest` ("not implemented for docker driver"), so this way
#          moves a tag in the destination before polyarch could check the image; measured, not used
#   none   `--output type=cacheonly`: the build without any export, what the export costs on top
# usage: bench/handover.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS="${1:-3}"
ENV_FILE="${POLYARCH_ENGINES:-/opt/polyarch-engines}/engines.env"
[ -f "$ENV_FILE" ] || { echo "handover: no Docker 26 engines; run scripts/engines.sh (as root) first" >&2; exit 1; }
. "$ENV_FILE"
work="$(mktemp -d)"
reg="$(start_registry "$work/reg")"
"$ROOT/polyarch" run --help >/dev/null
publish_base "$work/base" "$reg/base"
mkdir -p "$work/app"
printf 'FROM %s/base:latest\nRUN dd if=/dev/urandom of=/payload bs=1M count=20 2>/dev/null\n' "$reg" > "$work/app/Dockerfile"
export DOCKER_HOST="$POLYARCH_D26_CONTAINERD_HOST" DOCKER_CONFIG="$POLYARCH_D26_CONTAINERD_CONFIG" PATH="$(dirname "$POLYARCH_D26_DOCKER"):$PATH"
cold() { docker builder prune -af >/dev/null 2>&1; docker images -q | xargs -r docker rmi -f >/dev/null 2>&1 || true; }
declare -A times=([load]="" [oci]="" [ocigz]="" [dir]="" [push]="" [none]="")
B=(docker buildx build -q --platform linux/amd64)
for i in $(seq 1 "$RUNS"); do
  for m in load oci ocigz dir push none; do
    cold; rm -rf "$work/layout"; t0="$(now)"
    case "$m" in
      load) "${B[@]}" --load --iidfile "$work/iid" "$work/app" >/dev/null && docker save "$(cat "$work/iid")" > "$work/out.tar" ;;
      oci) "${B[@]}" --provenance=false --output type=oci,dest=-,compression=uncompressed "$work/app" > "$work/out.tar" ;;
      ocigz) "${B[@]}" --provenance=false --output type=oci,dest=- "$work/app" > "$work/out.tar" ;;
      dir) "${B[@]}" --provenance=false --output "type=oci,dest=$work/layout,tar=false,compression=uncompressed" "$work/app" >/dev/null ;;
      push) "${B[@]}" --provenance=false --output "type=image,name=$reg/handover-$i:t,push=true,compression-level=1" "$work/app" >/dev/null ;;
      none) "${B[@]}" --output type=cacheonly "$work/app" >/dev/null ;;
    esac
    t="$(elapsed "$t0" "$(now)")"; times[$m]+=" $t"; echo "run $i $m ${t}s"
  done
done
r() { python3 -c "print(f'{$1/$2:.2f}')"; }
# shellcheck disable=SC2086
l="$(median ${times[load]})"; o="$(median ${times[oci]})"; g="$(median ${times[ocigz]})"; d="$(median ${times[dir]})"; p="$(median ${times[push]})"; n="$(median ${times[none]})"
echo "median: load+save ${l}s, oci stream (uncompressed) ${o}s ($(r "$o" "$l")x), oci gzip ${g}s ($(r "$g" "$l")x), oci directory ${d}s ($(r "$d" "$l")x), BuildKit's own push ${p}s ($(r "$p" "$l")x)"
echo "the build without an export ${n}s: the uncompressed stream's export costs $(python3 -c "print(f'{$o-$n:.3f}')") s ($(r "$o" "$n")x the build alone)"
