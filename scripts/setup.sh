#!/usr/bin/env bash
# Prepares this machine for polyarch and its tests: Docker engine, QEMU binfmt for arm64, CNCF distribution
# registry, skopeo, buildah, oci-image-tool, and busybox-static binaries for both architectures (used to make
# base images, since no public registry is reachable here). Idempotent; as root on Debian it installs what is
# missing, elsewhere it only checks.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/debian.sh"
FIXTURES="${POLYARCH_FIXTURES:-$HOME/.cache/polyarch/fixtures}"
log() { echo "setup: $*" >&2; }

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
[ -x /usr/bin/docker ] && [ -x /usr/sbin/dockerd ] || need_pkgs+=(docker.io)
have qemu-aarch64-static || need_pkgs+=(qemu-user-static)
have update-binfmts || need_pkgs+=(binfmt-support)
[ -x /usr/bin/docker-registry ] || need_pkgs+=(docker-registry)
have skopeo || need_pkgs+=(skopeo)
have buildah || need_pkgs+=(buildah)
have oci-image-tool || need_pkgs+=(oci-image-tool)
have htpasswd || need_pkgs+=(apache2-utils)
have openssl || need_pkgs+=(openssl)
have git || need_pkgs+=(git)
have curl || need_pkgs+=(curl)
have debootstrap || [ -x /usr/sbin/debootstrap ] || need_pkgs+=(debootstrap)  # a real Debian rootfs for the SOCI tests
have pigz || need_pkgs+=(pigz)  # SOCI tests: layers compressed the way pigz does it
have python3 || need_pkgs+=(python3)  # the SOCI tests read tars with an independent reader (tarfile); bench/ computes medians
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! have apt-get; then
    log "missing: ${need_pkgs[*]}; install them (Debian: apt-get install ${need_pkgs[*]}) or run this as root"; exit 1
  fi
  log "installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# QEMU user emulation for arm64 through binfmt_misc
if [ "$(uname -m)" != aarch64 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  fi
  if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64; then
    log "arm64 emulation: enabled (qemu-aarch64 binfmt handler)"
  else
    log "arm64 emulation: NOT enabled; as root: update-binfmts --enable qemu-aarch64"
  fi
fi

# Docker engine: start dockerd if nothing answers. Debian's client (/usr/bin/docker 20.10) drives BuildKit.
if ! /usr/bin/docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then log "the Docker engine is not running and this is not root: start dockerd"; exit 1; fi
  log "starting dockerd"
  mkdir -p /var/log
  nohup /usr/sbin/dockerd >/var/log/polyarch-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do /usr/bin/docker info >/dev/null 2>&1 && break; sleep 1; done
  /usr/bin/docker info >/dev/null 2>&1 || { log "dockerd did not come up; see /var/log/polyarch-dockerd.log"; exit 1; }
fi

# busybox-static for amd64 and arm64: the content of the base images the tests and the example build on
if [ ! -x "$FIXTURES/busybox-amd64" ] || [ ! -x "$FIXTURES/busybox-arm64" ]; then
  mkdir -p "$FIXTURES"
  tmp="$(mktemp -d)"
  if [ "$(id -u)" -eq 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64; apt-get update -qq
  fi
  (cd "$tmp" && apt-get download -qq busybox-static:amd64 busybox-static:arm64 >/dev/null)
  for arch in amd64 arm64; do
    deb="$(ls "$tmp"/busybox-static_*_"$arch".deb)"
    mkdir -p "$tmp/x-$arch" && dpkg-deb -x "$deb" "$tmp/x-$arch"
    install -m 0755 "$tmp/x-$arch/bin/busybox" "$FIXTURES/busybox-$arch"
  done
  rm -rf "$tmp"
  log "busybox fixtures in $FIXTURES"
fi
# A minimal Debian rootfs (debootstrap --variant=minbase), as a tar: the real-world layer the SOCI tests index
if [ ! -s "$FIXTURES/debian-rootfs.tar" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    tmp="$(mktemp -d)"
    suite="$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-bookworm}")"
    log "debootstrap $suite (minbase) for the SOCI fixtures"
    mirror="$(debian_mirror)" || { log "no Debian archive in this machine's apt sources for debootstrap"; exit 1; }
    /usr/sbin/debootstrap --variant=minbase "$suite" "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
      || { tail -20 "$tmp/debootstrap.log" >&2; log "debootstrap failed"; exit 1; }
    tar -C "$tmp/rootfs" --numeric-owner -cf "$FIXTURES/debian-rootfs.tar.part" . && mv "$FIXTURES/debian-rootfs.tar.part" "$FIXTURES/debian-rootfs.tar"
    rm -rf "$tmp"
  else
    log "no Debian rootfs fixture (needs root for debootstrap); the SOCI Debian test will fail"
  fi
fi
# Debian 13 (trixie) minbase for amd64 and arm64 (the second stage under QEMU): the base of polyarch's own image
# in its test (the Dockerfile at the root starts FROM debian:trixie-slim, which no public registry gives here)
for arch in amd64 arm64; do
  [ -s "$FIXTURES/debian-trixie-$arch.tar" ] && continue
  if [ "$(id -u)" -ne 0 ]; then log "no Debian 13 $arch rootfs fixture (needs root for debootstrap); the image test will fail"; continue; fi
  tmp="$(mktemp -d)"
  mirror="$(debian_mirror)" || { log "no Debian archive in this machine's apt sources for debootstrap"; exit 1; }
  log "debootstrap trixie (minbase, $arch) for the image test"
  /usr/sbin/debootstrap --variant=minbase --arch="$arch" trixie "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
    || { tail -20 "$tmp/debootstrap.log" >&2; log "debootstrap trixie $arch failed"; exit 1; }
  rm -rf "$tmp"/rootfs/var/cache/apt/archives/*.deb "$tmp"/rootfs/var/lib/apt/lists/*
  mkdir -p "$FIXTURES"
  tar -C "$tmp/rootfs" --numeric-owner -cf "$FIXTURES/debian-trixie-$arch.tar.part" . && mv "$FIXTURES/debian-trixie-$arch.tar.part" "$FIXTURES/debian-trixie-$arch.tar"
  rm -rf "$tmp"
done
# The CloudFormation resource specification (AWS CDK's @aws-cdk/aws-service-spec, from the npm registry, pinned by
# version and checksum): the AWS template tests validate every resource and property against it
SPEC_VERSION=0.1.216
SPEC_SHA256=2305b840c961bf7ab982a3e67a44cd2fe1f8fad78d8f2598c0fd36fbf17c9af8
if [ ! -s "$FIXTURES/aws-service-spec-$SPEC_VERSION/db.json.gz" ]; then
  mkdir -p "$FIXTURES"
  tmp="$(mktemp -d)"
  # through npm, so that the machine's configured npm registry (a company mirror) is the one asked
  command -v npm >/dev/null || { log "npm is needed to fetch @aws-cdk/aws-service-spec (apt-get install npm, or Node.js)"; exit 1; }
  (cd "$tmp" && npm pack --silent "@aws-cdk/aws-service-spec@$SPEC_VERSION" >/dev/null) && mv "$tmp"/aws-cdk-aws-service-spec-*.tgz "$tmp/spec.tgz"
  echo "$SPEC_SHA256  $tmp/spec.tgz" | sha256sum -c --quiet - || { log "aws-service-spec checksum mismatch"; exit 1; }
  mkdir -p "$FIXTURES/aws-service-spec-$SPEC_VERSION"
  tar -xzf "$tmp/spec.tgz" -C "$tmp" package/db.json.gz && mv "$tmp/package/db.json.gz" "$FIXTURES/aws-service-spec-$SPEC_VERSION/"
  rm -rf "$tmp"
  log "CloudFormation resource spec in $FIXTURES/aws-service-spec-$SPEC_VERSION"
fi
# GitHub's own workflow parser (@actions/workflow-parser, from the npm registry), which the export tests run on the
# workflows polyarch writes; its JSON imports get the `with { type: "json" }` that Node 20 wants
WFP_VERSION=0.3.61
if [ ! -f "$FIXTURES/workflow-parser-$WFP_VERSION/node_modules/@actions/workflow-parser/package.json" ]; then
  command -v npm >/dev/null || { log "npm is needed to fetch @actions/workflow-parser (apt-get install npm, or Node.js)"; exit 1; }
  mkdir -p "$FIXTURES/workflow-parser-$WFP_VERSION"
  (cd "$FIXTURES/workflow-parser-$WFP_VERSION" && npm install --silent --no-audit --no-fund "@actions/workflow-parser@$WFP_VERSION" >/dev/null)
  grep -rl 'from "[^"]*\.json";' "$FIXTURES/workflow-parser-$WFP_VERSION/node_modules/@actions" | while read -r f; do
    sed -i -E 's/from "([^"]*\.json)";/from "\1" with { type: "json" };/' "$f"
  done
  log "@actions/workflow-parser $WFP_VERSION in $FIXTURES/workflow-parser-$WFP_VERSION"
fi
# Docker 26 beside the default engine, with the containerd image store and with the classic one (scripts/engines.sh)
if [ "$(id -u)" -eq 0 ] || [ -f "${POLYARCH_ENGINES:-/opt/polyarch-engines}/engines.env" ]; then
  bash "$ROOT/scripts/engines.sh"
else
  log "not root: the Docker 26 engines are not set up; their tests are skipped"
fi
. "$ROOT/scripts/jdk.sh"
find_jdk >/dev/null
log "ready"
