# shellcheck shell=bash
# Sourced by ./recops, scripts/test, .ci/run and the distribution's bin/recops.
# recops_find_jdk prints the home of a JDK 25 or newer and returns 0, or returns 1.
# Order: $JAVA_HOME if it is 25+, then the newest 25+ under /usr/lib/jvm, then `java` on PATH.

recops_jdk_major() { # $1 = a JDK home; prints its feature version
  local release="$1/release" v=""
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  elif [ -x "$1/bin/java" ]; then
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  printf '%s' "${v:-0}"
}

recops_find_jdk() {
  local min=25 home best="" best_major=0 major
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(recops_jdk_major "$JAVA_HOME")" -ge "$min" ]; then
    printf '%s\n' "$JAVA_HOME"
    return 0
  fi
  for home in /usr/lib/jvm/*; do
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
    major=$(recops_jdk_major "$home")
    if [ "$major" -ge "$min" ] && [ "$major" -gt "$best_major" ]; then
      best="$home" best_major="$major"
    fi
  done
  if [ -z "$best" ] && command -v java >/dev/null 2>&1; then
    home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    [ "$(recops_jdk_major "$home")" -ge "$min" ] && best="$home"
  fi
  [ -n "$best" ] || return 1
  printf '%s\n' "$best"
}

RECOPS_NO_JDK_MESSAGE="recops: no JDK 25 found (looked at JAVA_HOME, /usr/lib/jvm/*, java on PATH): install one, e.g. 'apt-get install temurin-25-jdk' from Adoptium, or set JAVA_HOME"
