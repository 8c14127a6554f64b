#!/usr/bin/env bash
# One cold two-platform build and push, the same Dockerfile for every contender (a shell loop in a RUN, which runs
# under QEMU for arm64, and a 20 MB layer of random bytes), in one run, alternating, each from a cold engine (build
# cache pruned, images removed) into a new repository:
#   polyarch on each engine: Debian 12's Docker 20.10, Docker 26.1.5 + buildx 0.13.1 on the classic store and on the
#   containerd image store (scripts/engines.sh);
#   `docker buildx build --platform linux/amd64,linux/arm64 --push` on Docker 26 with the containerd store;
#   the hand-made script (bench/handmade.sh) on 20.10;
#   and, as a floor, the engine's own builds the way polyarch asks the containerd store for them: one
#   `docker buildx build --output type=oci,dest=DIR,tar=false,compression=uncompressed` per platform, both at once,
#   each image left in a directory (no registry, no polyarch). No tool that drives buildx this way finishes before them.
# Prints each median and the ratios. usage: bench/peers.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS="${1:-3}"
ENV_FILE="${POLYARCH_ENGINES:-/opt/polyarch-engines}/engines.env"
[ -f "$ENV_FILE" ] || { echo "peers: no Docker 26 engines; run scripts/engines.sh (as root) first" >&2; exit 1; }
. "$ENV_FILE"
work="$(mktemp -d)"
reg="$(start_registry "$work/reg")"
"$ROOT/polyarch" run --help >/dev/null
publish_base "$work/base" "$reg/base"
make_app "$work/app" "$reg" 20
short="$(git -C "$work/app" rev-parse HEAD | cut -c1-8)"

cold() { cold_on "$1" "$reg"; }
contenders=(polyarch-d20 polyarch-d26-classic polyarch-d26-containerd buildx-d26-containerd handmade-d20 floor-d26-containerd)
declare -A times
for c in "${contenders[@]}"; do times[$c]=""; done
for i in $(seq 1 "$RUNS"); do
  for c in "${contenders[@]}"; do
    eng="${c#*-}"; repo="$reg/peers-$c-$i"
    cold "$eng"
    t0="$(now)"
    case "$c" in
      polyarch-*)
        # shellcheck disable=SC2046
        env $(engine_env "$eng") "$ROOT/polyarch" run -q --source "$work/app" --to "$repo" --tag-rule commit-short >/dev/null ;;
      buildx-*)
        # shellcheck disable=SC2046
        env $(engine_env "$eng") docker buildx build -q --platform linux/amd64,linux/arm64 --build-arg ARCH --push -t "$repo:$short" "$work/app" >/dev/null ;;
      handmade-*)
        bash "$ROOT/bench/handmade.sh" "$repo" "$short" "$work/app" ;;
      floor-*)
        rm -rf "$work/floor"
        # shellcheck disable=SC2046
        env $(engine_env "$eng") bash -c 'pids=(); for p in amd64 arm64; do docker buildx build -q --provenance=false --sbom=false --pull \
          --platform linux/$p --build-arg ARCH=$p --output type=oci,dest=$2/$p,tar=false,compression=uncompressed "$1" >/dev/null & pids+=($!); done
          wait "${pids[0]}" && wait "${pids[1]}"' _ "$work/app" "$work/floor" ;;
    esac
    t="$(elapsed "$t0" "$(now)")"
    times[$c]+=" $t"
    if [ "${c%%-*}" = floor ]; then echo "run $i $c: ${t}s"; continue; fi
    n="$(skopeo inspect --tls-verify=false --raw "docker://$repo:$short" | python3 -c 'import json,sys; m=json.load(sys.stdin)["manifests"]; print(sum(1 for x in m if x.get("platform",{}).get("architecture") in ("amd64","arm64")))')"
    [ "$n" = 2 ] || { echo "$c: $repo:$short has $n platform images, expected 2" >&2; exit 1; }
    echo "run $i $c: ${t}s"
  done
done
echo "engines: $(/usr/bin/docker version --format 'default {{.Server.Version}}'); $(env $(engine_env d26-containerd) docker version --format 'd26 {{.Server.Version}}') with $(env $(engine_env d26-containerd) docker buildx version | cut -d' ' -f1-2)"
declare -A med
for c in "${contenders[@]}"; do
  # shellcheck disable=SC2086
  med[$c]="$(median ${times[$c]})"; echo "median $c: ${med[$c]}s"
done
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo "polyarch on Docker 26 (containerd store) / buildx --push on the same engine: $(ratio "${med[polyarch-d26-containerd]}" "${med[buildx-d26-containerd]}")x (goal <= 0.75x)"
echo "the floor (the engine's two builds alone, each written to a directory) / buildx --push on the same engine: $(ratio "${med[floor-d26-containerd]}" "${med[buildx-d26-containerd]}")x"
echo "polyarch on Docker 26 (containerd store) / the floor: $(ratio "${med[polyarch-d26-containerd]}" "${med[floor-d26-containerd]}")x"
best="$(printf '%s\n' "${med[polyarch-d20]}" "${med[polyarch-d26-classic]}" "${med[polyarch-d26-containerd]}" | sort -g | head -1)"
echo "polyarch on its best engine / hand-made script: $(ratio "$best" "${med[handmade-d20]}")x (goal <= 1.0x)"
