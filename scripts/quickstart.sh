#!/usr/bin/env bash
# The main job on the bundled example, from nothing: installs what is missing (as root on Debian), starts a
# local registry, publishes a busybox base image for amd64+arm64, then builds and publishes examples/hello
# (a Dockerfile that uses the MakeOps ARG ARCH convention) as one multi-platform index, and runs it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REG="${POLYARCH_REGISTRY:-localhost:5000}"
FIXTURES="${POLYARCH_FIXTURES:-$HOME/.cache/polyarch/fixtures}"
say() { printf '\n== %s\n' "$*" >&2; }

bash "$ROOT/scripts/setup.sh"

if ! curl -fsS -o /dev/null "http://$REG/v2/"; then
  say "starting a CNCF distribution registry on $REG (data in ~/.cache/polyarch/registry)"
  mkdir -p "$HOME/.cache/polyarch/registry"
  cat >"$HOME/.cache/polyarch/registry/config.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $HOME/.cache/polyarch/registry/data}
  delete: {enabled: true}
http: {addr: ${REG/localhost/127.0.0.1}}
YAML
  nohup /usr/bin/docker-registry serve "$HOME/.cache/polyarch/registry/config.yml" >"$HOME/.cache/polyarch/registry/registry.log" 2>&1 &
  for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://$REG/v2/" && break; sleep 0.2; done
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
commit_copy() { # copy an example into its own Git repository, as a user's repository would be
  cp -r "$ROOT/examples/$1" "$work/$1"
  git -C "$work/$1" init -q -b main
  git -C "$work/$1" add -A
  git -C "$work/$1" -c user.name=polyarch -c user.email=polyarch@localhost commit -qm "example $1"
}

say "1/2 base image: busybox for linux/amd64 and linux/arm64 -> $REG/examples/busybox"
commit_copy busybox-base
cp "$FIXTURES/busybox-amd64" "$FIXTURES/busybox-arm64" "$work/busybox-base/"
"$ROOT/polyarch" run --source "$work/busybox-base" --to "$REG/examples/busybox"

say "2/2 examples/hello for linux/amd64 and linux/arm64 -> $REG/examples/hello"
commit_copy hello
"$ROOT/polyarch" run --source "$work/hello" --to "$REG/examples/hello" --build-arg "BASE=$REG/examples/busybox:latest"

say "the published index, and the image each platform gets"
"$ROOT/polyarch" inspect "$REG/examples/hello:latest"
for p in linux/amd64 linux/arm64; do
  echo "--- docker run --platform $p $REG/examples/hello:latest"
  /usr/bin/docker run --rm --pull always -q --platform "$p" "$REG/examples/hello:latest" 2>/dev/null \
    || /usr/bin/docker run --rm --pull always --platform "$p" "$REG/examples/hello:latest"
done
cat >&2 <<MSG

Done. Pull and run it on any amd64 or arm64 host that can reach $REG:
  docker run --rm $REG/examples/hello:latest
  docker run --rm --platform linux/arm64 $REG/examples/hello:latest     # under QEMU on this machine
MSG
