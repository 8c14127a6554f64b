#!/usr/bin/env bash
# Publishing one two-platform image to two registries, in one run, alternating, each from a cold engine into new
# repositories: polyarch with two destinations (every child and its provenance copied to the second registry before
# any tag moves) against polyarch to the first registry followed by `skopeo copy --all` to the second (the way it is
# done by hand: it tags the first registry before the second has anything, and copies no provenance).
# Also polyarch to the first registry alone, for what the second destination costs. Prints each median and the ratio. usage: bench/destinations.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS="${1:-5}"
work="$(mktemp -d)"
one="$(start_registry "$work/one")"
two="$(start_registry "$work/two")"
"$ROOT/polyarch" run --help >/dev/null
publish_base "$work/base" "$one/base"
make_app "$work/app" "$one" 20
printf '.git\n' > "$work/app/.dockerignore" && git -C "$work/app" add -A && git -C "$work/app" -c user.name=b -c user.email=b@b commit -qm ignore
short="$(git -C "$work/app" rev-parse HEAD | cut -c1-8)"
contenders=(polyarch-two-destinations polyarch-then-skopeo polyarch-one-destination)
declare -A times
for c in "${contenders[@]}"; do times[$c]=""; done
for i in $(seq 1 "$RUNS"); do
  for c in "${contenders[@]}"; do
    cold_engine "$one"
    repo="dest-$c-$i"
    t0="$(now)"
    case "$c" in
      polyarch-two-destinations)
        "$ROOT/polyarch" run -q --source "$work/app" --to "$one/$repo" --also-to "$two/$repo" --tag-rule commit-short >/dev/null ;;
      polyarch-one-destination)
        "$ROOT/polyarch" run -q --source "$work/app" --to "$one/$repo" --tag-rule commit-short >/dev/null ;;
      polyarch-then-skopeo)
        "$ROOT/polyarch" run -q --source "$work/app" --to "$one/$repo" --tag-rule commit-short >/dev/null
        skopeo copy -q --all --src-tls-verify=false --dest-tls-verify=false "docker://$one/$repo:$short" "docker://$two/$repo:$short" >/dev/null ;;
    esac
    t="$(elapsed "$t0" "$(now)")"
    [ "$c" = polyarch-one-destination ] && { times[$c]+=" $t"; echo "run $i $c: ${t}s"; continue; }
    a="$(skopeo inspect --tls-verify=false --raw "docker://$one/$repo:$short" | sha256sum | cut -c1-64)"
    b="$(skopeo inspect --tls-verify=false --raw "docker://$two/$repo:$short" | sha256sum | cut -c1-64)"
    [ "$a" = "$b" ] || { echo "$c: the two registries hold different indexes ($a, $b)" >&2; exit 1; }
    times[$c]+=" $t"
    echo "run $i $c: ${t}s"
  done
done
# shellcheck disable=SC2086
m1="$(median ${times[polyarch-two-destinations]})"; m2="$(median ${times[polyarch-then-skopeo]})"; m0="$(median ${times[polyarch-one-destination]})"
echo "median polyarch with one destination: ${m0}s"
echo "median polyarch with two destinations: ${m1}s"
echo "median polyarch, then skopeo copy --all: ${m2}s"
python3 -c "print(f'two destinations / run then copy: {$m1/$m2:.2f}x; the second destination costs {$m1-$m0:+.3f}s over one')"
