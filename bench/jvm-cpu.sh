#!/usr/bin/env bash
# The CPU the polyarch JVM itself uses in a cold two-platform run (utime+stime of the java process, read from /proc
# until it exits; the docker clients and engine are not counted), for this checkout (B) and another (A, e.g. a
# `git worktree` with a launcher change), alternating, on bench/peers.sh's app (a 20 MB layer), Docker 20.10.
# Prints each one's median wall time and JVM CPU. usage: bench/jvm-cpu.sh OTHER_CHECKOUT [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
A="$(cd "$1" && pwd)"; RUNS="${2:-5}"
work="$(mktemp -d)"
reg="$(start_registry "$work/reg")"
"$A/polyarch" run --help >/dev/null; "$ROOT/polyarch" run --help >/dev/null   # jars and start-up caches, untimed
publish_base "$work/base" "$reg/base"
make_app "$work/app" "$reg" 20
tick="$(getconf CLK_TCK)"
declare -A walls=([A]="" [B]="") cpus=([A]="" [B]="")
for i in $(seq 1 "$RUNS"); do
  for who in A B; do
    dir="$A"; [ "$who" = B ] && dir="$ROOT"
    cold_engine "$reg"
    t0="$(now)"
    # the launcher execs java, so this pid is the JVM's
    "$dir/polyarch" run -q --source "$work/app" --to "$reg/cpu-${who,,}$i" --tag-rule commit-short >/dev/null 2>"$work/err" &
    pid=$!; stat=""
    while [ -r "/proc/$pid/stat" ]; do s="$(cat "/proc/$pid/stat" 2>/dev/null)" && stat="$s"; sleep 0.02; done
    wait "$pid" || { cat "$work/err" >&2; exit 1; }
    wall="$(elapsed "$t0" "$(now)")"
    # fields 14 and 15 (utime, stime) after the "(comm)" field, which has no spaces here (java)
    cpu="$(echo "$stat" | awk -v t="$tick" '{printf "%.2f", ($14 + $15) / t}')"
    walls[$who]+=" $wall"; cpus[$who]+=" $cpu"
    echo "run $i $who: ${wall}s, JVM CPU ${cpu}s"
  done
done
# shellcheck disable=SC2086
echo "median wall: A $(median ${walls[A]})s, B $(median ${walls[B]})s; median JVM CPU: A $(median ${cpus[A]})s, B $(median ${cpus[B]})s"
