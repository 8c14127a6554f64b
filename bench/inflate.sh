#!/usr/bin/env bash
# polyarch's checkpointing gzip inflater (the core of SOCI zTOC generation) against `gzip -dc` on the same layer,
# single core each, same run. The layer: the JDK's module image three times plus 60 MB of random data, gzip -6
# (about 200 MiB compressed). Prints both times and the ratio (SOCI target: at most 1.5x gzip -dc, with tar
# parsing and span hashing, which are not in this measurement yet).
# usage: bench/inflate.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
. "$ROOT/scripts/jdk.sh"
RUNS="${1:-3}"
JAVA_HOME="$(find_jdk)"
(cd "$ROOT" && ./mvnw -q -B -o compile 2>/dev/null || ./mvnw -q -B compile)
work="$(mktemp -d)"; trap 'rm -rf "$work"; bench_cleanup' EXIT
modules="$JAVA_HOME/lib/modules"
(cat "$modules" "$modules" "$modules"; head -c 60000000 /dev/urandom) | gzip -6 > "$work/layer.gz"
echo "layer: $(du -m "$work/layer.gz" | cut -f1) MiB compressed"
g=(); p=()
for i in $(seq 1 "$RUNS"); do
  t0="$(now)"; taskset -c 0 gzip -dc "$work/layer.gz" > /dev/null; t1="$(now)"; g+=("$(elapsed "$t0" "$t1")")
  out="$(taskset -c 0 "$JAVA_HOME/bin/java" -XX:+UseSerialGC -cp "$ROOT/target/classes" "$ROOT/bench/InflateBench.java" "$work/layer.gz" $((4 << 20)))"
  p+=("$(echo "$out" | cut -d' ' -f1)")
  echo "run $i: gzip -dc ${g[-1]}s, polyarch ${p[-1]}s (uncompressed bytes, checkpoints: ${out#* })"
done
gm="$(median "${g[@]}")"; pm="$(median "${p[@]}")"
echo "median gzip -dc ${gm}s, polyarch inflate+checkpoints ${pm}s, ratio $(python3 -c "print(f'{$pm/$gm:.2f}')")x (polyarch timed inside the JVM, start-up excluded)"
