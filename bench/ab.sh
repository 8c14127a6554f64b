#!/usr/bin/env bash
# Two builds of polyarch on bench/run.sh's workload, alternating, each from a cold engine: this checkout (B) and
# another one (A, e.g. a `git worktree` of the previous commit). Prints each one's median wall time and overhead
# beyond the longest engine build, and the ratios: the "no slower" check for a change.
# On the machine's own engine, or on one of scripts/engines.sh's with AB_ENGINE=d26-classic or d26-containerd.
# usage: [AB_ENGINE=d20|d26-classic|d26-containerd] bench/ab.sh OTHER_CHECKOUT [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
A="$(cd "$1" && pwd)"; RUNS="${2:-5}"
work="$(mktemp -d)"
reg="$(start_registry "$work/reg")"
"$A/polyarch" run --help >/dev/null; "$ROOT/polyarch" run --help >/dev/null   # jars and start-up caches, untimed
publish_base "$work/base" "$reg/base"
make_app "$work/app" "$reg"
ENGINE="${AB_ENGINE:-d20}"
if [ "$ENGINE" != d20 ]; then
  ENV_FILE="${POLYARCH_ENGINES:-/opt/polyarch-engines}/engines.env"
  [ -f "$ENV_FILE" ] || { echo "ab: no Docker 26 engines; run scripts/engines.sh (as root) first" >&2; exit 1; }
  . "$ENV_FILE"
fi
engine_env "$ENGINE" >/dev/null
cold() { cold_on "$ENGINE" "$reg"; }
declare -A walls=([A]="" [B]="") overs=([A]="" [B]="") preps=([A]="" [B]="") pubs=([A]="" [B]="")
for i in $(seq 1 "$RUNS"); do
  for who in A B; do
    dir="$A"; [ "$who" = B ] && dir="$ROOT"
    cold
    t0="$(now)"
    # shellcheck disable=SC2046
    env $(engine_env "$ENGINE") "$dir/polyarch" run -q --source "$work/app" --to "$reg/ab-${who,,}$i" --tag-rule commit-short --json "$work/$who$i.json" >/dev/null
    wall="$(elapsed "$t0" "$(now)")"
    over="$(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['durationsMs']; print(f'{$wall - max(v for k,v in d.items() if k.startswith(\"engine:\"))/1000:.3f}')" "$work/$who$i.json")"
    walls[$who]+=" $wall"; overs[$who]+=" $over"
    preps[$who]+=" $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['durationsMs']['prepare']/1000)" "$work/$who$i.json")"
    pubs[$who]+=" $(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))['durationsMs']; print(sum(v for k,v in d.items() if k.startswith('job:publish'))/1000)" "$work/$who$i.json")"
    echo "run $i $who: ${wall}s (overhead ${over}s)"
  done
done
# shellcheck disable=SC2086
wa="$(median ${walls[A]})"; wb="$(median ${walls[B]})"; oa="$(median ${overs[A]})"; ob="$(median ${overs[B]})"
echo "median wall: A ($A) ${wa}s, B (this checkout) ${wb}s, B/A $(python3 -c "print(f'{$wb/$wa:.2f}')")x"
echo "median overhead beyond the builds: A ${oa}s, B ${ob}s, B-A $(python3 -c "print(f'{$ob-$oa:+.3f}')")s"
# shellcheck disable=SC2086
echo "median prepare: A $(median ${preps[A]})s, B $(median ${preps[B]})s; median publish job: A $(median ${pubs[A]})s, B $(median ${pubs[B]})s"
