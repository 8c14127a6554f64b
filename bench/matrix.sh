#!/usr/bin/env bash
# The DAG runner's scheduling overhead on a real run: a 2x2 matrix (2 variants x linux/amd64,linux/arm64, each
# build doing real work, arm64 under QEMU) on this machine. Prints the run's time after preparation, the
# critical path through the DAG computed from the jobs' own durations (polyarch plan --json gives the edges),
# and the difference: what scheduling, waiting and bookkeeping added.
# usage: bench/matrix.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS="${1:-3}"
FIXTURES="${POLYARCH_FIXTURES:-$HOME/.cache/polyarch/fixtures}"
work="$(mktemp -d)"
reg="$(start_registry "$work/reg")"
"$ROOT/polyarch" run --help >/dev/null

publish_base "$work/base" "$reg/base"   # busybox for both architectures, not timed

mkdir -p "$work/app"
cat > "$work/app/Dockerfile" <<DOCKERFILE
FROM $reg/base:latest
ARG VERSION
ARG ARCH
ARG NONCE
RUN echo \$NONCE; i=0; while [ \$i -lt 300000 ]; do i=\$((i+1)); done; echo "VERSION=\$VERSION ARCH=\$ARCH" > /built.txt
DOCKERFILE
cat > "$work/app/polyarch.yaml" <<YAML
destination: {registry: {repository: $reg/matrix, tagRules: ["{VERSION}"]}}
matrix:
  VERSION: ["1", "2"]
YAML
git -C "$work/app" init -q && git -C "$work/app" add -A && git -C "$work/app" -c user.name=b -c user.email=b@b commit -qm app
"$ROOT/polyarch" plan --source "$work/app" --json > "$work/plan.json"

overheads=()
for i in $(seq 1 "$RUNS"); do
  # a fresh NONCE each run: every build runs, nothing comes from the cache
  "$ROOT/polyarch" run -q --source "$work/app" --build-arg "NONCE=$i-$RANDOM" --json "$work/r$i.json" >/dev/null
  line="$(python3 - "$work/plan.json" "$work/r$i.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))["jobs"]
d = json.load(open(sys.argv[2]))["durationsMs"]
finish = {}
for j in plan:  # plan order is topological
    finish[j["id"]] = max([finish[n] for n in j["needs"]] or [0]) + d["job:" + j["id"]]
critical = max(finish.values())
after = d["total"] - d["prepare"]
print(f"{after/1000:.3f} {critical/1000:.3f} {(after-critical)/1000:.3f}")
PY
)"
  read -r after critical over <<<"$line"
  overheads+=("$over")
  echo "run $i: after preparation ${after}s, critical path ${critical}s, scheduling overhead ${over}s"
done
echo "median scheduling overhead $(median "${overheads[@]}")s over the critical path (target < 1 s), 4 cells on $(nproc) cores"
