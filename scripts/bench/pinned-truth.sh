#!/usr/bin/env bash
# Clean truth for the latency model (issue 18, item 1): the server pinned to one CPU and the load
# generator to the other (taskset), so they never take each other's core; HTTP between them;
# open loop, Poisson arrivals, WANDS queries; REPEATS runs of SECONDS each per rate, after a
# warm-up; one row per run appended to OUT.csv (recops bench --csv), and the model's call-time
# profile measured on the server's CPU alone beside it (PROFILE.csv).
# Usage: scripts/bench/pinned-truth.sh [SECONDS] [REPEATS] [OUT.csv] [PROFILE.csv]
#        RATES="50 100 150" CONFIGS="16/1/1" scripts/bench/pinned-truth.sh 30 3
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v taskset >/dev/null || { echo "needs taskset (util-linux)" >&2; exit 4; }
[ "$(nproc)" -ge 2 ] || { echo "needs two CPUs: one for the server, one for the load" >&2; exit 4; }
secs=${1:-30}; repeats=${2:-3}
out=${3:-pinned-runs.csv}; profile=${4:-pinned-profile.csv}
machine
echo "server on CPU 1, load generator on CPU 0"
[ -f "$profile" ] || taskset -c 1 "$dist/bin/recops" bench --profile "$profile" --primary-version 2
port=18180
for cfg in ${CONFIGS:-16/1/1 4/1/1}; do
  IFS=/ read -r batch workers threads <<<"$cfg"
  echo "batch-max $batch, workers $workers, threads $threads"
  server_pid=""
  taskset -c 1 "$dist/bin/recops" serve --port "$port" --admin-port 0 --drain-delay 0s --primary-version 2 \
    --batch-max "$batch" --workers "$workers" --threads "$threads" >/dev/null 2>"$QUERIES.err" &
  server_pid=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  for rate in ${RATES:-50 100 150 200 250}; do
    for _ in $(seq 1 "$repeats"); do
      taskset -c 0 "$dist/bin/recops" bench --url "http://127.0.0.1:$port" --queries "$root/testdata/wands/queries.csv" \
        --arrivals poisson --seed 7 --timeout 2s --rate "$rate" --duration "${secs}s" --warmup 5s --csv "$out" \
        | grep -E '^  latency'
    done
  done
  stop_server
done
