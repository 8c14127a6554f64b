#!/usr/bin/env bash
# polyarch's zTOC generation for one layer (inflate with checkpoints every 4 MiB, span digests and the tar TOC, one
# pass) against `gzip -dc` of the same layer, single core each, same run. The layer: a gzip -6 tar of two copies of
# the JDK (many files of every size) and 60 MB of random data, over 100 MiB compressed. Prints both times and the
# ratio (SOCI target: at most 1.5x gzip -dc).
# usage: bench/inflate.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
. "$ROOT/scripts/jdk.sh"
RUNS="${1:-3}"
JAVA_HOME="$(find_jdk)"
(cd "$ROOT" && ./mvnw -q -B -o compile 2>/dev/null || ./mvnw -q -B compile)
work="$(mktemp -d)"; trap 'rm -rf "$work"; bench_cleanup' EXIT
mkdir -p "$work/tree/a" "$work/tree/b"
cp -r "$JAVA_HOME/." "$work/tree/a/"; cp -r "$JAVA_HOME/." "$work/tree/b/"
head -c 60000000 /dev/urandom > "$work/tree/random.bin"
tar -C "$work/tree" -cf - . | gzip -6 > "$work/layer.gz"
echo "layer: $(du -m "$work/layer.gz" | cut -f1) MiB compressed"
g=(); p=()
for i in $(seq 1 "$RUNS"); do
  t0="$(now)"; taskset -c 0 gzip -dc "$work/layer.gz" > /dev/null; t1="$(now)"; g+=("$(elapsed "$t0" "$t1")")
  out="$(taskset -c 0 "$JAVA_HOME/bin/java" -XX:+UseSerialGC -cp "$ROOT/target/classes" "$ROOT/bench/InflateBench.java" "$work/layer.gz" $((4 << 20)))"
  p+=("$(echo "$out" | cut -d' ' -f1)")
  echo "run $i: gzip -dc ${g[-1]}s, polyarch ${p[-1]}s (${out#* })"
done
gm="$(median "${g[@]}")"; pm="$(median "${p[@]}")"
echo "median gzip -dc ${gm}s, polyarch zTOC ${pm}s, ratio $(python3 -c "print(f'{$pm/$gm:.2f}')")x (polyarch timed inside the JVM, start-up excluded)"
