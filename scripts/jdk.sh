# Sourced by ./polyarch and the scripts: find_jdk prints a JAVA_HOME whose java is 21 or newer.
# Both functions start no process when the JDK has a release file (every JDK since 9 does): the launcher runs them
# on every command, and each process start costs a few milliseconds (bench/run.sh counts them).
java_major() {
  # the JDK's release file says its version without starting a JVM (each start costs ~0.1 s)
  if [ -f "$1/release" ]; then
    local line v
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in
        JAVA_VERSION=*)
          v="${line#JAVA_VERSION=}"; v="${v#\"}"; v="${v%%[!0-9]*}"
          [ -n "$v" ] && echo "$v"
          return 0 ;;
      esac
    done < "$1/release"
  else
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
  fi
}
# the JDK that `java` on PATH belongs to (two directories above the real file), or nothing
path_jdk() {
  local j
  j="$(command -v java 2>/dev/null)" || return 0
  j="$(readlink -f "$j")" || return 0
  j="${j%/*}"; echo "${j%/*}"
}
# find_jdk [jre]: with "jre", a Java runtime without javac will do (a release of polyarch runs its jar, builds nothing)
find_jdk() {
  local c noglob= v want_javac=1
  [ "${1:-}" = jre ] && want_javac=

  case $- in *f*) noglob=1; set +f ;; esac  # mvnw runs with globbing off
  for c in "${JAVA_HOME:-}" PATH /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/*; do
    [ "$c" = PATH ] && c="$(path_jdk)"   # looked up only when JAVA_HOME did not do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    [ -z "$want_javac" ] || [ -x "$c/bin/javac" ] || continue
    v="$(java_major "$c")"
    if [ -n "$v" ] && [ "$v" -ge 21 ] 2>/dev/null; then echo "$c"; [ -z "$noglob" ] || set -f; return 0; fi
  done
  [ -z "$noglob" ] || set -f
  echo "polyarch: no JDK 21 or newer found (looked at JAVA_HOME, java on PATH, /usr/lib/jvm/*)." >&2
  echo "polyarch: install one (e.g. Temurin 21+ or openjdk-21-jdk) and set JAVA_HOME." >&2
  return 1
}
