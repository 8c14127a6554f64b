#!/usr/bin/env bash
# SOCI throughput, end to end: `polyarch soci create` reading from a local CNCF distribution registry and writing
# the zTOCs and SOCI index back, for
#   A) a 1-layer image (the big layer: a gzip -6 tar of two copies of the JDK and 60 MB of random data), and
#   B) a 2-layer image (the same big layer plus a second layer of one JDK copy),
# and `gzip -dc` of the big layer (single core) in the same run. Targets (issue 5): one layer in at most 1.5x
# gzip -dc's time; the 2-layer image in at most its largest layer's time plus 20% (layers are indexed in parallel).
# polyarch's times include JVM start-up and the registry round trips. usage: bench/soci.sh [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/lib.sh"
. "$ROOT/scripts/jdk.sh"
RUNS="${1:-3}"
JAVA_HOME="$(find_jdk)"
work="$(mktemp -d)"; trap 'rm -rf "$work"; bench_cleanup' EXIT
(cd "$ROOT" && ./polyarch --version >/dev/null && ./polyarch soci --help >/dev/null)  # builds the jar and the start-up caches before timing
mkdir -p "$work/big/a" "$work/big/b" "$work/small"
cp -r "$JAVA_HOME/." "$work/big/a/"; cp -r "$JAVA_HOME/." "$work/big/b/"; cp -r "$JAVA_HOME/." "$work/small/"
head -c 60000000 /dev/urandom > "$work/big/random.bin"
tar -C "$work/big" -cf - . | gzip -6 > "$work/big.tgz"
tar -C "$work/small" -cf - . | gzip -6 > "$work/small.tgz"
echo "layers: big $(du -m "$work/big.tgz" | cut -f1) MiB, second $(du -m "$work/small.tgz" | cut -f1) MiB compressed"

# an OCI layout per image, pushed with skopeo (independent of polyarch)
python3 - "$work" <<'PY'
import hashlib, json, os, shutil, sys, gzip
work = sys.argv[1]
def blob(layout, data=None, path=None):
    h = hashlib.sha256()
    if path:
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''): h.update(chunk)
        size = os.path.getsize(path)
    else:
        h.update(data); size = len(data)
    d = h.hexdigest(); os.makedirs(f"{layout}/blobs/sha256", exist_ok=True)
    dst = f"{layout}/blobs/sha256/{d}"
    if path: os.link(path, dst) if not os.path.exists(dst) else None
    else: open(dst, 'wb').write(data)
    return {"digest": "sha256:" + d, "size": size}
def diff_id(path):
    h = hashlib.sha256()
    with gzip.open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''): h.update(chunk)
    return "sha256:" + h.hexdigest()
ids = {n: diff_id(f"{work}/{n}.tgz") for n in ("big", "small")}
for name, layers in (("one", ["big"]), ("two", ["big", "small"])):
    lay = f"{work}/{name}"; os.makedirs(lay, exist_ok=True)
    open(f"{lay}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
    ls = [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **blob(lay, path=f"{work}/{l}.tgz")) for l in layers]
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [ids[l] for l in layers]}}).encode()
    c = dict(mediaType="application/vnd.oci.image.config.v1+json", **blob(lay, data=cfg))
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": ls}).encode()
    md = dict(mediaType="application/vnd.oci.image.manifest.v1+json", **blob(lay, data=m))
    md["annotations"] = {"org.opencontainers.image.ref.name": "1"}
    open(f"{lay}/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [md]}))
PY
reg="$(start_registry "$work/reg")"
for n in one two; do skopeo copy -q --dest-tls-verify=false "oci:$work/$n:1" "docker://$reg/bench/$n:1"; done

g=(); a=(); b=()
for i in $(seq 1 "$RUNS"); do
  t0="$(now)"; taskset -c 0 gzip -dc "$work/big.tgz" > /dev/null; t1="$(now)"; g+=("$(elapsed "$t0" "$t1")")
  t0="$(now)"; "$ROOT/polyarch" soci create "$reg/bench/one:1" --to "$reg/bench/one:soci" >/dev/null 2>&1; t1="$(now)"; a+=("$(elapsed "$t0" "$t1")")
  t0="$(now)"; "$ROOT/polyarch" soci create "$reg/bench/two:1" --to "$reg/bench/two:soci" >/dev/null 2>&1; t1="$(now)"; b+=("$(elapsed "$t0" "$t1")")
  echo "run $i: gzip -dc (1 core) ${g[-1]}s, polyarch 1-layer image ${a[-1]}s, 2-layer image ${b[-1]}s"
done
gm="$(median "${g[@]}")"; am="$(median "${a[@]}")"; bm="$(median "${b[@]}")"
echo "median gzip -dc ${gm}s; polyarch soci create: 1 layer ${am}s ($(python3 -c "print(f'{$am/$gm:.2f}')")x gzip -dc, target <= 1.5x), 2 layers ${bm}s ($(python3 -c "print(f'{$bm/$am:.2f}')")x the largest layer alone, target <= 1.2x)"
