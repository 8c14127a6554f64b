#!/usr/bin/env bash
# The floor under bench/copy.sh on this machine: the same amount of data (2 platforms x 4 layers of 26 MiB random
# data, gzip -1, 208 MiB) moved between two local CNCF distribution registries by curl alone, every blob piped
# GET | PUT with all eight in flight at once, no manifests, no process start-up; then skopeo copying the same
# blobs' image, and the start-up of a JVM that does nothing (`polyarch --version`). Prints the medians: a copy
# tool cannot finish faster than the floor plus its own start-up.
# usage: bench/copy-floor.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS="${1:-3}"
WORK="$(mktemp -d)"; trap 'bench_cleanup; rm -rf "$WORK"' EXIT
"$ROOT/polyarch" --version >/dev/null
SRC="$(start_registry "$WORK/src")"
digests=()
for i in 1 2 3 4 5 6 7 8; do
  head -c $((26 * 1024 * 1024)) /dev/urandom | gzip -1 > "$WORK/b$i"
  d="sha256:$(sha256sum "$WORK/b$i" | cut -d' ' -f1)"; digests+=("$d")
  loc="$(curl -fsi -X POST "http://$SRC/v2/bench/app/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')"
  curl -fs -X PUT --data-binary @"$WORK/b$i" -H 'Content-Type: application/octet-stream' "http://$SRC${loc#http://$SRC}&digest=$d" >/dev/null
done
echo "source: 8 blobs, $(( $(cat "$WORK"/b* | wc -c) / 1024 / 1024 )) MiB in $SRC/bench/app" >&2
floor=(); jvm=()
for run in $(seq 1 "$RUNS"); do
  DST="$(start_registry "$WORK/dst$run")"
  t0="$(now)"
  for d in "${digests[@]}"; do
    (loc="$(curl -fsi -X POST "http://$DST/v2/bench/app/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')"
     curl -fs "http://$SRC/v2/bench/app/blobs/$d" | curl -fs -X PUT -T - -H 'Content-Type: application/octet-stream' "http://$DST${loc#http://$DST}&digest=$d" >/dev/null) &
  done
  wait
  t1="$(now)"; floor+=("$(elapsed "$t0" "$t1")")
  for d in "${digests[@]}"; do curl -fsI "http://$DST/v2/bench/app/blobs/$d" >/dev/null || { echo "blob $d missing in the destination" >&2; exit 1; }; done
  stop_registry "$WORK/dst$run"
  t0="$(now)"; "$ROOT/polyarch" --version >/dev/null; t1="$(now)"; jvm+=("$(elapsed "$t0" "$t1")")
  echo "run $run: curl floor ${floor[-1]}s, polyarch start-up ${jvm[-1]}s" >&2
done
F="$(median "${floor[@]}")"; J="$(median "${jvm[@]}")"
echo "floor: moving the blobs ${F}s + JVM start-up ${J}s = $(python3 -c "print(f'{$F + $J:.3f}')")s for any JVM tool"
