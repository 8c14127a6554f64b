#!/usr/bin/env bash
# The release artifact: polyarch-VERSION.tar.gz with the launcher, lib/polyarch.jar (shaded: every dependency inside)
# and scripts/jdk.sh, which needs only a Java 21+ runtime on the machine (no JDK, no Maven); and polyarch.jar alone,
# the file the CI exports download (POLYARCH_JAR_URL). Both land in target/release/.
# usage: scripts/release.sh   (POLYARCH_JAR=FILE uses a jar already built instead of running ./mvnw package)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="${POLYARCH_JAR:-}"
if [ -z "$JAR" ]; then
  . "$ROOT/scripts/jdk.sh"; JAVA_HOME="$(find_jdk)"; export JAVA_HOME
  (cd "$ROOT" && ./mvnw -q -B -ntp -DskipTests package)
  JAR="$ROOT/target/polyarch.jar"
fi
VERSION="$(unzip -p "$JAR" META-INF/MANIFEST.MF | tr -d '\r' | awk -F': ' '/^Implementation-Version:/ {print $2}')"
VERSION="${VERSION:-0.0.0}"
OUT="$ROOT/target/release"; DIR="$OUT/polyarch-$VERSION"
rm -rf "$DIR"; mkdir -p "$DIR/lib" "$DIR/scripts"
cp "$ROOT/polyarch" "$DIR/polyarch"; cp "$ROOT/scripts/jdk.sh" "$DIR/scripts/jdk.sh"
cp "$JAR" "$DIR/lib/polyarch.jar"; echo "$VERSION" > "$DIR/lib/VERSION"
cp "$JAR" "$OUT/polyarch.jar"
tar -C "$OUT" -czf "$OUT/polyarch-$VERSION.tar.gz" "polyarch-$VERSION"
( cd "$OUT" && sha256sum "polyarch-$VERSION.tar.gz" polyarch.jar > SHA256SUMS )
echo "$OUT/polyarch-$VERSION.tar.gz"
