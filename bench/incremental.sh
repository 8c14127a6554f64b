#!/usr/bin/env bash
# Incremental pipelines (issue 7): the same repository published twice, by polyarch and by the hand-made script
# (bench/handmade.sh), same run. The second run of each comes after a commit that touches only README.md, outside
# the build context (app/), and starts from a fresh engine (build cache pruned, local images removed, as in a new
# CodeBuild container); the registry keeps what the first run pushed. The Dockerfile's RUN step is a shell loop
# that takes over 30 s under QEMU. Targets: polyarch's second run under 10% of the script's, and under 3 s.
# usage: bench/incremental.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS="${1:-3}"
D=/usr/bin/docker
work="$(mktemp -d)"
reg="$(start_registry "$work/reg")"
"$ROOT/polyarch" run --help >/dev/null   # builds the jar and its start-up cache once, outside the timings
publish_base "$work/base" "$reg/base"

mkdir -p "$work/repo/app"
cat > "$work/repo/app/Dockerfile" <<DOCKERFILE
FROM $reg/base:latest
ARG ARCH=none
RUN i=0 && while [ \$i -lt 2500000 ]; do i=\$((i+1)); done && echo "ARCH=\$ARCH \$(uname -m)" > /built.txt
CMD ["cat", "/built.txt"]
DOCKERFILE
echo "# the app" > "$work/repo/README.md"
git -C "$work/repo" init -q && git -C "$work/repo" add -A && git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qm app
commit_readme() {
  echo "edited $(date +%s.%N)" >> "$work/repo/README.md"
  git -C "$work/repo" -c user.name=b -c user.email=b@b commit -qam "docs"
  git -C "$work/repo" rev-parse HEAD | cut -c1-8
}
cold() {
  "$D" builder prune -af >/dev/null 2>&1 || true
  "$D" images --format '{{.ID}} {{.Repository}}' | grep -E " ($reg/|polyarch-build/)" | cut -d' ' -f1 | xargs -r "$D" rmi -f >/dev/null 2>&1 || true
}
polyarch_run() { # DEST JSON
  "$ROOT/polyarch" run -q --source "$work/repo" --workdir app --to "$1" --tag-rule commit-short --json "$2" >/dev/null
}

p1=(); s1=(); p2=(); s2=()
for i in $(seq 1 "$RUNS"); do
  short="$(git -C "$work/repo" rev-parse HEAD | cut -c1-8)"
  cold; t0="$(now)"; polyarch_run "$reg/p$i" "$work/p$i-1.json"; t1="$(now)"; p1+=("$(elapsed "$t0" "$t1")")
  cold; t0="$(now)"; bash "$ROOT/bench/handmade.sh" "$reg/s$i" "$short" "$work/repo/app"; t1="$(now)"; s1+=("$(elapsed "$t0" "$t1")")
  short="$(commit_readme)"
  cold; t0="$(now)"; polyarch_run "$reg/p$i" "$work/p$i-2.json"; t1="$(now)"; p2+=("$(elapsed "$t0" "$t1")")
  cold; t0="$(now)"; bash "$ROOT/bench/handmade.sh" "$reg/s$i" "$short" "$work/repo/app"; t1="$(now)"; s2+=("$(elapsed "$t0" "$t1")")
  reused="$(python3 -c "import json,sys; print(sum(1 for m in json.load(open(sys.argv[1]))['images'] if 'reused' in m))" "$work/p$i-2.json")"
  echo "run $i: first runs polyarch ${p1[-1]}s, script ${s1[-1]}s; after a README commit on a fresh engine: polyarch ${p2[-1]}s ($reused of 2 images reused), script ${s2[-1]}s"
  for r in "p$i" "s$i"; do
    n="$(skopeo inspect --tls-verify=false --raw "docker://$reg/$r:$short" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["manifests"]))')"
    [ "$n" = 2 ] || { echo "$r:$short has $n manifests, expected 2" >&2; exit 1; }
  done
done
pm="$(median "${p2[@]}")"; sm="$(median "${s2[@]}")"
echo "median first run: polyarch $(median "${p1[@]}")s, script $(median "${s1[@]}")s"
echo "median second run: polyarch ${pm}s, script ${sm}s: polyarch takes $(python3 -c "print(f'{100*$pm/$sm:.1f}')")% of the script's time (targets: < 10% and < 3 s)"
