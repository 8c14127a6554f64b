#!/usr/bin/env bash
# Runs every test: unit tests, then integration tests against a real Docker engine, real registries and QEMU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
. "$ROOT/scripts/jdk.sh"
JAVA_HOME="$(find_jdk)"; export JAVA_HOME
cd "$ROOT"
exec ./mvnw -B -ntp verify "$@"
