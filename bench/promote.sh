#!/usr/bin/env bash
# Promote a signed two-platform image with SOCI v1 indexes (as `polyarch run` publishes it: cosign signatures and
# SLSA provenance under sha256-<hex>.sig/.att, each image's SOCI index under the referrers tag sha256-<hex>) from one
# local registry to a new one, with everything attached, alternating:
#   polyarch copy --all --referrers SRC DST
#   the hand-made way: `cosign copy` (the image, its signatures and attestations) and `skopeo copy --all` of each
#   image's referrers tag (the SOCI indexes and their zTOCs), which is what cosign copy leaves behind.
# Each result is checked (cosign verify of the index and of every image, the referrers tags byte-identical).
# Prints both medians and the ratio. usage: bench/promote.sh [RUNS] [MIB of random data per image, default 24]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS="${1:-5}"; MIB="${2:-24}"
ENV_FILE="${POLYARCH_ENGINES:-/opt/polyarch-engines}/engines.env"
[ -f "$ENV_FILE" ] || { echo "promote: no cosign; run scripts/engines.sh (as root) first" >&2; exit 1; }
. "$ENV_FILE"
COSIGN="$POLYARCH_COSIGN"
work="$(mktemp -d)"
export COSIGN_PASSWORD="promote-bench"
(cd "$work" && "$COSIGN" generate-key-pair >/dev/null 2>&1)
reg="$(start_registry "$work/src")"
"$ROOT/polyarch" run --help >/dev/null
publish_base "$work/base" "$reg/base"
make_app "$work/app" "$reg" "$MIB"
cat > "$work/app/polyarch.yaml" <<YAML
pipelineName: promote
destination: {registry: {repository: $reg/app, tagRules: [latest]}}
sign: {key: $work/cosign.key}
soci: {format: v1, minLayerSize: 0}
YAML
printf '.git\n' > "$work/app/.dockerignore"
git -C "$work/app" add -A && git -C "$work/app" -c user.name=b -c user.email=b@b commit -qm signed
"$ROOT/polyarch" run -q --source "$work/app" >/dev/null
src="$reg/app:latest"
index="$(skopeo inspect --tls-verify=false --raw "docker://$src" | sha256sum | cut -d' ' -f1)"
children="$(skopeo inspect --tls-verify=false --raw "docker://$src" | python3 -c 'import json,sys; print(" ".join(m["digest"] for m in json.load(sys.stdin)["manifests"]))')"

check() { # check DST_REPOSITORY: signatures verify there, the SOCI referrers tags are the source's
  local c t a b
  "$COSIGN" verify --key "$work/cosign.pub" --insecure-ignore-tlog --allow-insecure-registry --allow-http-registry "$1@sha256:$index" >/dev/null 2>&1 \
    || { echo "promote: the index's signature does not verify in $1" >&2; exit 1; }
  for c in $children; do
    "$COSIGN" verify --key "$work/cosign.pub" --insecure-ignore-tlog --allow-insecure-registry --allow-http-registry "$1@$c" >/dev/null 2>&1 \
      || { echo "promote: $c's signature does not verify in $1" >&2; exit 1; }
    t="${c/:/-}"
    a="$(skopeo inspect --tls-verify=false --raw "docker://$1:$t" 2>/dev/null || true)"; b="$(skopeo inspect --tls-verify=false --raw "docker://$reg/app:$t")"
    [ "$a" = "$b" ] || { echo "promote: the referrers of $c differ in $1: $a against the source's $b" >&2; exit 1; }
  done
}

declare -A times=([polyarch]="" [handmade]="")
for i in $(seq 1 "$RUNS"); do
  for c in polyarch handmade; do
    dst="$(start_registry "$work/dst-$c-$i")/app"
    t0="$(now)"
    case "$c" in
      polyarch) "$ROOT/polyarch" copy -q --all --referrers "$src" "$dst:latest" >/dev/null ;;
      handmade)
        "$COSIGN" copy --allow-insecure-registry --allow-http-registry "$src" "$dst:latest" >/dev/null 2>&1
        for ch in $children; do
          rt="${ch/:/-}"
          raw="$(skopeo inspect --tls-verify=false --raw "docker://$reg/app:$rt" 2>/dev/null)" || continue   # no referrers
          skopeo copy -q --all --src-tls-verify=false --dest-tls-verify=false "docker://$reg/app:$rt" "docker://$dst:$rt"
          # skopeo 1.9 writes that index again without each entry's artifactType (what a referrers query filters
          # on), so the hand-made way puts the source's own bytes back over it
          curl -fsS -X PUT -H "Content-Type: application/vnd.oci.image.index.v1+json" --data-binary "$raw" \
            "http://${dst%%/*}/v2/${dst#*/}/manifests/$rt" >/dev/null
        done ;;
    esac
    t="$(elapsed "$t0" "$(now)")"
    check "$dst"
    times[$c]+=" $t"; echo "run $i $c: ${t}s"
  done
done
# shellcheck disable=SC2086
p="$(median ${times[polyarch]})"; h="$(median ${times[handmade]})"
echo "$("$COSIGN" version 2>&1 | grep -m1 GitVersion | tr -s ' '); $(skopeo --version)"
echo "median polyarch copy --all --referrers: ${p}s; cosign copy + skopeo copy of the referrers tags: ${h}s; ratio $(python3 -c "print(f'{$p/$h:.2f}')")x"
