#!/usr/bin/env bash
# The pipeline teams write by hand today (what two CodeBuild projects and a manifest step do, in one script):
# two docker builds in parallel, two docker pushes, then docker manifest create/annotate/push.
# usage: bench/handmade.sh REPOSITORY TAG CONTEXT
set -euo pipefail
REPO="$1"; TAG="$2"; CONTEXT="$3"
D="${DOCKER:-/usr/bin/docker}"
export DOCKER_BUILDKIT=1
"$D" build -q --pull --platform linux/amd64 --build-arg ARCH=amd64 -t "$REPO:$TAG-amd64" "$CONTEXT" >/dev/null & a=$!
"$D" build -q --pull --platform linux/arm64 --build-arg ARCH=arm64 -t "$REPO:$TAG-arm64" "$CONTEXT" >/dev/null & b=$!
wait "$a"; wait "$b"
"$D" push -q "$REPO:$TAG-amd64" >/dev/null & a=$!
"$D" push -q "$REPO:$TAG-arm64" >/dev/null & b=$!
wait "$a"; wait "$b"
"$D" manifest rm "$REPO:$TAG" >/dev/null 2>&1 || true
"$D" manifest create --insecure "$REPO:$TAG" "$REPO:$TAG-amd64" "$REPO:$TAG-arm64" >/dev/null
"$D" manifest annotate --arch arm64 "$REPO:$TAG" "$REPO:$TAG-arm64"
"$D" manifest push --insecure "$REPO:$TAG" >/dev/null
