# Sourced by ./polyarch and the scripts: find_jdk prints a JAVA_HOME whose java is 21 or newer.
java_major() {
  # the JDK's release file says its version without starting a JVM (each start costs ~0.1 s)
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\{0,1\}\([0-9][0-9]*\).*/\1/p' "$1/release" | head -n 1
  else
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
  fi
}
find_jdk() {
  local c noglob=
  case $- in *f*) noglob=1; set +f ;; esac  # mvnw runs with globbing off
  for c in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")" 2>/dev/null)" \
           /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    local v; v="$(java_major "$c")"
    if [ -n "$v" ] && [ "$v" -ge 21 ] 2>/dev/null; then echo "$c"; [ -z "$noglob" ] || set -f; return 0; fi
  done
  [ -z "$noglob" ] || set -f
  echo "polyarch: no JDK 21 or newer found (looked at JAVA_HOME, java on PATH, /usr/lib/jvm/*)." >&2
  echo "polyarch: install one (e.g. Temurin 21+ or openjdk-21-jdk) and set JAVA_HOME." >&2
  return 1
}
