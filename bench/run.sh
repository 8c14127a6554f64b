#!/usr/bin/env bash
# polyarch run vs the hand-made pipeline script (bench/handmade.sh) on the same repository and machine, same
# run, each from a cold engine (build cache pruned, images removed; the registry keeps only the base image).
# Prints each wall time, the medians, the ratio, and polyarch's overhead beyond the builds themselves
# (its wall time minus the longest engine build, from its --json durations).
# usage: bench/run.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS="${1:-3}"
FIXTURES="${POLYARCH_FIXTURES:-$HOME/.cache/polyarch/fixtures}"
work="$(mktemp -d)"
reg="$(start_registry "$work/reg")"
"$ROOT/polyarch" run --help >/dev/null   # builds the jar and its start-up cache once, outside the timings

publish_base "$work/base" "$reg/base"   # busybox for both architectures, not timed

# the application: a RUN step with real work (24 MiB of random data, a shell loop), slow under QEMU as real builds are
make_app "$work/app" "$reg"
short="$(git -C "$work/app" rev-parse HEAD | cut -c1-8)"

cold() { cold_engine "$reg"; }

p_times=(); s_times=(); overheads=(); phases=()
for i in $(seq 1 "$RUNS"); do
  for who in polyarch script; do
    cold
    t0="$(now)"
    if [ "$who" = polyarch ]; then
      "$ROOT/polyarch" run -q --source "$work/app" --to "$reg/p$i" --tag-rule commit-short --json "$work/p$i.json" >/dev/null
      t1="$(now)"; wall="$(elapsed "$t0" "$t1")"; p_times+=("$wall")
      engine="$(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['durationsMs']; print(max(v for k,v in d.items() if k.startswith('engine:'))/1000)" "$work/p$i.json")"
      overheads+=("$(python3 -c "print(f'{$wall - $engine:.3f}')")")
      # where the overhead goes, from the run's own --json durations: process start and exit (wall time outside the
      # run's own clock), preparation (config to builds started), and for the platform whose engine build ended last:
      # its export (build time beyond the engine's), push and the index publish
      phases+=("$(python3 - "$work/p$i.json" "$wall" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))['durationsMs']; wall = float(sys.argv[2]) * 1000
last = max((k for k in d if k.startswith('engine:')), key=lambda k: d[k]).split(':', 1)[1]
pub = sum(v for k, v in d.items() if k.startswith('job:publish'))
print(f"{wall - d['total']:.0f} {d['prepare']} {d['build:' + last] - d['engine:' + last]} {d['push:' + last]} {pub}")
PY
)")
      echo "run $i polyarch: ${wall}s (longest engine build ${engine}s, overhead ${overheads[-1]}s)"
    else
      bash "$ROOT/bench/handmade.sh" "$reg/s$i" "$short" "$work/app"
      t1="$(now)"; wall="$(elapsed "$t0" "$t1")"; s_times+=("$wall")
      echo "run $i script:   ${wall}s"
    fi
  done
  # both published a two-platform index that resolves
  for r in "p$i" "s$i"; do
    n="$(skopeo inspect --tls-verify=false --raw "docker://$reg/$r:$short" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["manifests"]))')"
    [ "$n" = 2 ] || { echo "$r:$short has $n manifests, expected 2" >&2; exit 1; }
  done
done
pm="$(median "${p_times[@]}")"; sm="$(median "${s_times[@]}")"; om="$(median "${overheads[@]}")"
echo "median polyarch ${pm}s, script ${sm}s, ratio polyarch/script $(python3 -c "print(f'{$pm/$sm:.2f}')")x; polyarch overhead beyond the builds ${om}s"
python3 - "${phases[@]}" <<'PY'
import statistics, sys
rows = [list(map(float, a.split())) for a in sys.argv[1:]]
names = ["process start+exit", "prepare", "last platform's export", "its push", "index publish"]
print("polyarch overhead by phase (median ms): " + ", ".join(f"{n} {statistics.median(r[i] for r in rows):.0f}" for i, n in enumerate(names)))
PY
