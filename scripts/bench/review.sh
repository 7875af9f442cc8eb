#!/usr/bin/env bash
# Measures `recops review` end to end (load, timeline, detection, comparison, events, postmortem
# draft and its two PNG charts) on synthetic access logs of 250k, 500k and 1M lines with a
# latency step from 40% of the period (scripts/bench/AccessLogGen.java), -Xmx1g, RUNS runs each;
# prints wall time and max RSS per run, sizes interleaved so that machine noise hits all alike.
# Usage: scripts/bench/review.sh [RUNS]   (needs /usr/bin/time, Debian package time)
set -euo pipefail
runs=${1:-3}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$root/scripts/lib/find-jdk.sh"
jdk=$(recops_find_jdk)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sizes=(250000 500000 1000000)
for n in "${sizes[@]}"; do
  "$jdk/bin/java" "$root/scripts/bench/AccessLogGen.java" "$n" latency >"$work/$n.jsonl" 2>"$work/$n.events"
done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
for _ in $(seq 1 "$runs"); do
  for n in "${sizes[@]}"; do
    rm -rf "$work/out"; mkdir "$work/out"
    JAVA_OPTS=-Xmx1g /usr/bin/time -f "$n lines: %e s, max RSS %M KB" "$dist/bin/recops" review "$work/$n.jsonl" \
      --slo 'p99<=50ms' --slo 'errors<=0.1%' --events "$work/$n.events" --out "$work/out/postmortem.md" 2>&1 >/dev/null | tail -1
    [ -s "$work/out/charts/latency.png" ] && [ -s "$work/out/charts/errors.png" ] || { echo "charts missing" >&2; exit 1; }
  done
done
