# Shared by the benchmarks: local registries and timing, nothing but public tools.
# Registries record their pid in DIR/pid (start_registry runs in a $(...) subshell, so no shell variable survives).
BENCH_DIRS_FILE="$(mktemp)"
bench_cleanup() {
  while read -r d; do [ -f "$d/pid" ] && kill "$(cat "$d/pid")" 2>/dev/null || true; done < "$BENCH_DIRS_FILE"
  rm -f "$BENCH_DIRS_FILE"
}
stop_registry() { [ -f "$1/pid" ] && kill "$(cat "$1/pid")" 2>/dev/null || true; }
trap bench_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry DIR -> prints host:port; a fresh CNCF distribution registry storing in DIR
start_registry() {
  local dir="$1" port; port="$(free_port)"; mkdir -p "$dir"
  cat > "$dir/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
YAML
  /usr/bin/docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  echo $! > "$dir/pid"; echo "$dir" >> "$BENCH_DIRS_FILE"
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.05; done
  echo "127.0.0.1:$port"
}

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }
median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.3f}')" "$@"; }

# publish_base DIR REPOSITORY: a busybox base image for linux/amd64 and linux/arm64 (examples/busybox-base),
# published with polyarch itself from its own Git repository in DIR; needs $ROOT and the fixtures.
publish_base() {
  local dir="$1" repo="$2" fixtures="${POLYARCH_FIXTURES:-$HOME/.cache/polyarch/fixtures}"
  mkdir -p "$dir" && cp "$ROOT/examples/busybox-base/Dockerfile" "$dir/"
  cp "$fixtures/busybox-amd64" "$fixtures/busybox-arm64" "$dir/"
  git -C "$dir" init -q && git -C "$dir" add -A && git -C "$dir" -c user.name=b -c user.email=b@b commit -qm base
  "$ROOT/polyarch" run -q --source "$dir" --to "$repo" --tag-rule latest >/dev/null
}

# make_app DIR REGISTRY [MIB]: the application the benchmarks build, as a Git repository in DIR: a RUN step with real
# work (MIB, default 24, of random data and a shell loop), slow under QEMU as real builds are, on REGISTRY/base
make_app() {
  local dir="$1" reg="$2" mib="${3:-24}"; mkdir -p "$dir"
  cat > "$dir/Dockerfile" <<DOCKERFILE
FROM $reg/base:latest
ARG ARCH=none
RUN dd if=/dev/urandom of=/payload bs=1M count=$mib 2>/dev/null && i=0 && while [ \$i -lt 100000 ]; do i=\$((i+1)); done && echo "ARCH=\$ARCH \$(uname -m)" > /built.txt
CMD ["cat", "/built.txt"]
DOCKERFILE
  git -C "$dir" init -q && git -C "$dir" add -A && git -C "$dir" -c user.name=b -c user.email=b@b commit -qm app
}

# cold_engine REGISTRY: the default engine's build cache pruned and the images of REGISTRY (and polyarch's own) removed
cold_engine() { cold_on d20 "$1"; }

# engine_env NAME: the environment that points docker (and polyarch) at an engine, as env(1) arguments: d20 (the
# machine's own), d26-classic or d26-containerd (scripts/engines.sh; its engines.env must have been sourced)
engine_env() {
  local d26path; d26path="$(dirname "${POLYARCH_D26_DOCKER:-/nonexistent/docker}"):$PATH"
  case "$1" in
    d20) echo "PATH=$PATH" ;;
    d26-classic) echo "DOCKER_HOST=$POLYARCH_D26_CLASSIC_HOST DOCKER_CONFIG=$POLYARCH_D26_CLASSIC_CONFIG PATH=$d26path" ;;
    d26-containerd) echo "DOCKER_HOST=$POLYARCH_D26_CONTAINERD_HOST DOCKER_CONFIG=$POLYARCH_D26_CONTAINERD_CONFIG PATH=$d26path" ;;
    *) echo "unknown engine $1 (d20, d26-classic, d26-containerd)" >&2; return 1 ;;
  esac
}

# cold_on ENGINE REGISTRY: that engine's build cache pruned and the images of REGISTRY (and polyarch's own) removed
cold_on() {
  # shellcheck disable=SC2046
  env $(engine_env "$1") bash -c "docker builder prune -af >/dev/null 2>&1; docker images --format '{{.Repository}}:{{.Tag}}' \
    | grep -E '^($2/|polyarch-build/)' | xargs -r docker rmi -f >/dev/null 2>&1; true"
}
