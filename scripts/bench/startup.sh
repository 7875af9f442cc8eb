#!/usr/bin/env bash
# Measures `recops serve` start-up: wall time from launching the distribution's bin/recops to
# /v2/health/ready answering 200, first with an empty embedding cache (the catalog is embedded
# by both default versions) and then RUNS times with the cache filled.
# Usage: scripts/bench/startup.sh [RUNS]   (builds the distribution first if needed)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-5}
dist="$root/cli/target/recops"
[ -x "$dist/bin/recops" ] || "$root/recops" --version >/dev/null
port=18980
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

ms() { date +%s%3N; }
start_once() { # prints milliseconds to ready
  local t0 pid
  t0=$(ms)
  "$dist/bin/recops" serve --port "$port" --admin-port 0 --cache-dir "$cache" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do
    if curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1; then break; fi
    sleep 0.02
  done
  echo $(( $(ms) - t0 ))
  kill -TERM "$pid"; wait "$pid" || true
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
echo "first start (empty cache, embeds the catalog): $(start_once) ms"
all=()
for _ in $(seq 1 "$runs"); do all+=("$(start_once)"); done
sorted=$(printf '%s\n' "${all[@]}" | sort -n | tr '\n' ' ')
echo "second and later starts (cached), $runs runs, sorted: $sorted ms"
echo "median: $(printf '%s\n' "${all[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') ms"
