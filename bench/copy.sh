#!/usr/bin/env bash
# Benchmark: copy a multi-arch image of >= 200 MiB (2 platforms x 4 layers of random data, made here with
# tar/gzip/sha256sum and pushed with skopeo) between two local registries, with `polyarch copy --all` and
# with `skopeo copy --all`, alternating, each run into a fresh empty registry; and `cosign copy` (go-containerregistry
# underneath) as a third where scripts/engines.sh has put cosign. Whole-process wall time, JVM start included.
# Prints the medians and the ratios (target: polyarch <= 0.8x skopeo).
# Usage: bench/copy.sh [RUNS] [LAYER_MIB]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS="${1:-3}"; LAYER_MIB="${2:-26}"
WORK="$(mktemp -d /tmp/polyarch-bench-copy.XXXXXX)"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT

"$ROOT/polyarch" --version >/dev/null   # builds the jar and its class-data archive once, as any first use does

# --- the source image, made without polyarch: an OCI layout written by hand, pushed by skopeo
L="$WORK/layout"; mkdir -p "$L/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' > "$L/oci-layout"
blob() { local h; h="$(sha256sum "$1" | cut -d' ' -f1)"; mv "$1" "$L/blobs/sha256/$h"; echo "$h"; }
manifests=""
for arch in amd64 arm64; do
  layers=""; diffs=""
  for i in 1 2 3 4; do
    d="$WORK/l-$arch-$i"; mkdir -p "$d"
    head -c "$((LAYER_MIB * 1024 * 1024))" /dev/urandom > "$d/data-$i.bin"
    tar -C "$d" -cf "$WORK/t" . ; diff="$(sha256sum "$WORK/t" | cut -d' ' -f1)"
    gzip -1 -c "$WORK/t" > "$WORK/g"; size="$(stat -c %s "$WORK/g")"; h="$(blob "$WORK/g")"; rm -rf "$d" "$WORK/t"
    layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$h\",\"size\":$size}"
    diffs="$diffs${diffs:+,}\"sha256:$diff\""
  done
  printf '{"architecture":"%s","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]},"config":{}}' "$arch" "$diffs" > "$WORK/c"
  csize="$(stat -c %s "$WORK/c")"; ch="$(blob "$WORK/c")"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' "$ch" "$csize" "$layers" > "$WORK/m"
  msize="$(stat -c %s "$WORK/m")"; mh="$(blob "$WORK/m")"
  manifests="$manifests${manifests:+,}{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$mh\",\"size\":$msize,\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"}}"
done
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$manifests" > "$WORK/i"
isize="$(stat -c %s "$WORK/i")"; ih="$(blob "$WORK/i")"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' "$ih" "$isize" > "$L/index.json"
TOTAL_MIB=$(( $(du -sb "$L/blobs" | cut -f1) / 1024 / 1024 ))

SRC="$(start_registry "$WORK/src")"
skopeo copy -q --all --dest-tls-verify=false "oci:$L:v1" "docker://$SRC/bench/app:v1"
echo "source: $SRC/bench/app:v1, 2 platforms x 4 layers, ${TOTAL_MIB} MiB of blobs; $RUNS runs each, alternating" >&2

COSIGN=""
ENV_FILE="${POLYARCH_ENGINES:-/opt/polyarch-engines}/engines.env"
if [ -f "$ENV_FILE" ]; then . "$ENV_FILE"; COSIGN="${POLYARCH_COSIGN:-}"; fi
tools=(polyarch skopeo); [ -n "$COSIGN" ] && tools+=(cosign)
p_times=(); s_times=(); c_times=()
for run in $(seq 1 "$RUNS"); do
  for tool in "${tools[@]}"; do
    DST="$(start_registry "$WORK/dst-$tool-$run")"
    t0="$(now)"
    case "$tool" in
      polyarch) "$ROOT/polyarch" copy --all -q "$SRC/bench/app:v1" "$DST/bench/app:v1" >/dev/null ;;
      skopeo) skopeo copy -q --all --src-tls-verify=false --dest-tls-verify=false "docker://$SRC/bench/app:v1" "docker://$DST/bench/app:v1" ;;
      cosign) "$COSIGN" copy --allow-insecure-registry --allow-http-registry "$SRC/bench/app:v1" "$DST/bench/app:v1" >/dev/null 2>&1 ;;
    esac
    t1="$(now)"
    # both must have produced the same index, byte for byte
    got="$(skopeo inspect --raw --tls-verify=false "docker://$DST/bench/app:v1" | sha256sum | cut -d' ' -f1)"
    [ "$got" = "$ih" ] || { echo "$tool produced a different index ($got)" >&2; exit 1; }
    secs="$(elapsed "$t0" "$t1")"; echo "run $run $tool ${secs}s" >&2
    case "$tool" in polyarch) p_times+=("$secs") ;; skopeo) s_times+=("$secs") ;; cosign) c_times+=("$secs") ;; esac
    stop_registry "$WORK/dst-$tool-$run"; rm -rf "$WORK/dst-$tool-$run"
  done
done
P="$(median "${p_times[@]}")"; S="$(median "${s_times[@]}")"
RATIO="$(python3 -c "print(f'{$P/$S:.2f}')")"
echo "copy ${TOTAL_MIB} MiB multi-arch: polyarch ${P}s, skopeo ${S}s (median of $RUNS), ratio ${RATIO}x (target <= 0.80x)"
if [ -n "$COSIGN" ]; then
  C="$(median "${c_times[@]}")"
  echo "cosign copy ${C}s (median of $RUNS); polyarch / cosign $(python3 -c "print(f'{$P/$C:.2f}')")x"
fi
