#!/usr/bin/env bash
# Does the build's class-file rewrite (src/build/RetargetClasses.java) earn its place? The same jar with and
# without it, each with its own class-data archive made by the launcher's training run, timed on `polyarch plan`
# of a small Git repository (JVM start, picocli, config, Git, Dockerfile, tag rules: the front half of every run),
# alternating. Prints each median and the ratio.
# usage: bench/startup.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
. "$ROOT/scripts/jdk.sh"
RUNS="${1:-10}"
JAVA_HOME="$(find_jdk)"
work="$(mktemp -d)"
"$ROOT/polyarch" --version >/dev/null   # builds the (rewritten) jar
cp "$ROOT/target/polyarch.jar" "$work/rewritten.jar"
# the jar as the shade leaves it: the same build with the rewrite step skipped; then the rewritten jar is put back
# (newer than the launcher's start-up caches, so the launcher makes them again)
(cd "$ROOT" && ./mvnw -q -B -ntp -o -DskipTests -Dexec.skip=true package >/dev/null)
cp "$ROOT/target/polyarch.jar" "$work/plain.jar"
cp "$work/rewritten.jar" "$ROOT/target/polyarch.jar"
cmp -s "$work/plain.jar" "$work/rewritten.jar" && { echo "startup: the two jars are the same; the rewrite step did not run?" >&2; exit 1; }
JAVA=("$JAVA_HOME/bin/java" -XX:+UseSerialGC)  # the launcher's flags for run (C2, class-data archive)
for j in plain rewritten; do
  "${JAVA[@]}" -XX:ArchiveClassesAtExit="$work/$j.jsa" -Xlog:disable -Xlog:all=off -jar "$work/$j.jar" train >/dev/null 2>&1
done
mkdir -p "$work/repo"
printf 'FROM localhost:5000/base:latest\nARG ARCH\nRUN echo $ARCH\n' > "$work/repo/Dockerfile"
printf 'destination: {registry: {repository: localhost:5000/app}}\n' > "$work/repo/polyarch.yaml"
git -C "$work/repo" init -q && git -C "$work/repo" add -A && git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm app
declare -A times=([plain]="" [rewritten]="")
for i in $(seq 1 "$RUNS"); do
  for j in plain rewritten; do
    t0="$(now)"
    "${JAVA[@]}" -XX:SharedArchiveFile="$work/$j.jsa" -Xlog:disable -Xlog:all=off -jar "$work/$j.jar" plan --source "$work/repo" >/dev/null
    t="$(elapsed "$t0" "$(now)")"
    times[$j]+=" $t"
    echo "run $i $j ${t}s"
  done
done
# shellcheck disable=SC2086
p="$(median ${times[plain]})"; r="$(median ${times[rewritten]})"
echo "plan, median of $RUNS: without the rewrite ${p}s, with it ${r}s: $(python3 -c "print(f'{$r/$p:.2f}')")x"
rm -rf "$work"
