#!/usr/bin/env bash
# The modern Docker engines polyarch is tested on, beside the machine's own (Debian 12's 20.10): Docker 26.1.5 with
# containerd 1.7.24 and buildx 0.13.1, from Debian 13's packages (they need only libc6 >= 2.34, so they run on
# Debian 12), fetched by name from the machine's own Debian mirror with a private apt configuration used only for
# them, unpacked into a private prefix, and started twice: with the containerd image store (the default of Docker
# Engine 29+ and Docker Desktop) and with the classic store. Each engine has its own data-root, exec-root, pidfile,
# socket and bridge (iptables off); the default engine and its docker0 are left alone. Each gets a client config
# directory whose cli-plugins holds buildx.
# Writes $PREFIX/engines.env (sourced by the tests and benchmarks):
#   POLYARCH_D26_DOCKER   the 26.1.5 client
#   POLYARCH_D26_CONTAINERD_HOST / _CONFIG   the containerd-store engine: DOCKER_HOST and DOCKER_CONFIG for it
#   POLYARCH_D26_CLASSIC_HOST / _CONFIG      the classic-store engine
#   POLYARCH_COSIGN       cosign 2.5.0 (Debian 13's package, same way), which the signing tests check polyarch against
# Idempotent: engines that answer are left running. Needs root and apt-get; elsewhere it says what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${POLYARCH_ENGINES:-/opt/polyarch-engines}"
log() { echo "engines: $*" >&2; }
. "$ROOT/scripts/debian.sh"

SUITE=trixie
PKGS=(docker.io=26.1.5+dfsg1-9+deb13u1+b1 containerd=1.7.24~ds1-6+deb13u1 docker-buildx=0.13.1+ds1-3 docker-cli=26.1.5+dfsg1-9+deb13u1+b1
      cosign=2.5.0-2+b5)
BIN="$PREFIX/root/usr/bin"

if [ ! -x "$PREFIX/root/usr/sbin/dockerd" ] || [ ! -x "$BIN/containerd" ] || [ ! -x "$PREFIX/root/usr/libexec/docker/cli-plugins/docker-buildx" ] \
   || [ ! -x "$BIN/cosign" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    log "Docker 26 is not unpacked in $PREFIX and this is not root with apt-get: run this as root on Debian"; exit 1
  fi
  mirror="$(debian_mirror)" || { log "no Debian archive in this machine's apt sources to fetch $SUITE's packages from"; exit 1; }
  apt="$PREFIX/apt"; mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$PREFIX/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $SUITE main" > "$apt/sources.list"
  APTO=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$apt/lists"
        -o Dir::Cache="$apt/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  log "fetching ${PKGS[*]} from $mirror ($SUITE)"
  apt-get "${APTO[@]}" update -qq
  (cd "$PREFIX/debs" && apt-get "${APTO[@]}" download -qq "${PKGS[@]}")
  for d in "$PREFIX"/debs/*.deb; do dpkg-deb -x "$d" "$PREFIX/root"; done
fi
# runc and docker-init (tini) come from the machine's own packages (Debian 13's want a newer libc)
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || { log "runc is missing: apt-get install runc (docker.io brings it)"; exit 1; }

# start_engine NAME BRIDGE SUBNET SNAPSHOTTER
start_engine() {
  local name="$1" bridge="$2" subnet="$3" snap="$4" e="$PREFIX/$1"
  mkdir -p "$e/config/cli-plugins"
  ln -sf "$PREFIX/root/usr/libexec/docker/cli-plugins/docker-buildx" "$e/config/cli-plugins/docker-buildx"
  [ -f "$e/config/config.json" ] || echo '{}' > "$e/config/config.json"
  if DOCKER_HOST="unix://$e/docker.sock" "$BIN/docker" version >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then log "engine $name is not running and this is not root"; exit 1; fi
  ip link show "$bridge" >/dev/null 2>&1 || ip link add "$bridge" type bridge
  ip addr show dev "$bridge" | grep -q "${subnet%.*}" || ip addr add "$subnet/24" dev "$bridge"
  ip link set "$bridge" up
  cat > "$e/daemon.json" <<JSON
{"hosts": ["unix://$e/docker.sock"], "data-root": "$e/data", "exec-root": "$e/exec", "pidfile": "$e/docker.pid",
 "bridge": "$bridge", "iptables": false, "ip6tables": false, "features": {"containerd-snapshotter": $snap}}
JSON
  rm -f "$e/docker.pid"
  log "starting Docker 26 ($name store) on unix://$e/docker.sock"
  PATH="$BIN:$PREFIX/root/usr/sbin:$PATH" nohup "$PREFIX/root/usr/sbin/dockerd" --config-file "$e/daemon.json" >"$e/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do DOCKER_HOST="unix://$e/docker.sock" "$BIN/docker" version >/dev/null 2>&1 && return 0; sleep 0.5; done
  tail -20 "$e/dockerd.log" >&2; log "engine $name did not come up"; exit 1
}
start_engine containerd pa-d26-cd 172.31.240.1 true
start_engine classic pa-d26-cl 172.31.241.1 false
cat > "$PREFIX/engines.env" <<ENV
POLYARCH_D26_DOCKER=$BIN/docker
POLYARCH_D26_CONTAINERD_HOST=unix://$PREFIX/containerd/docker.sock
POLYARCH_D26_CONTAINERD_CONFIG=$PREFIX/containerd/config
POLYARCH_D26_CLASSIC_HOST=unix://$PREFIX/classic/docker.sock
POLYARCH_D26_CLASSIC_CONFIG=$PREFIX/classic/config
POLYARCH_COSIGN=$BIN/cosign
ENV
for n in containerd classic; do
  v="$(DOCKER_HOST="unix://$PREFIX/$n/docker.sock" "$BIN/docker" info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null)"
  log "Docker $v ($n store) ready"
done
