#!/usr/bin/env bash
# Measures `recops serve` start-up: wall time from launching the distribution's bin/recops to
# /v2/health/ready answering 200, first with an empty embedding cache (the catalog is embedded
# by both default versions) and then RUNS times with the cache filled.
# Usage: scripts/bench/startup.sh [RUNS]   (builds the distribution first if needed)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=${1:-5}
port=18980
cache=$(mktemp -d)
at_exit 'rm -rf "$cache"'

ms() { date +%s%3N; }
start_once() { # prints milliseconds to ready
  local t0
  t0=$(ms)
  serve_bg "$port" --admin-port 0 --cache-dir "$cache"
  echo $(( $(ms) - t0 ))
  stop_server
}

machine
echo "first start (empty cache, embeds the catalog): $(start_once) ms"
all=()
for _ in $(seq 1 "$runs"); do all+=("$(start_once)"); done
sorted=$(printf '%s\n' "${all[@]}" | sort -n | tr '\n' ' ')
echo "second and later starts (cached), $runs runs, sorted: $sorted ms"
echo "median: $(median "${all[@]}") ms"
