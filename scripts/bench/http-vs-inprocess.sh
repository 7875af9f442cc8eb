#!/usr/bin/env bash
# Saturation throughput of the same engine and batching settings, called in-process
# (recops bench --in-process: no HTTP) and over HTTP (recops bench --url), 16 closed-loop clients
# each, the same WANDS queries. The two alternate for ROUNDS rounds in one run (the machine is
# shared and noisy) and the ratio of the medians is reported. Target: HTTP >= 97% of in-process
# (issue 19). The query cache is off in both (QUERY_CACHE, lib.sh).
# Usage: scripts/bench/http-vs-inprocess.sh [SECONDS] [ROUNDS] [WORKERS] [THREADS] [BATCH_MAX]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
secs=${1:-10}; rounds=${2:-3}; workers=${3:-2}; threads=${4:-1}; batch=${5:-16}
port=18984
settings=(--workers "$workers" --threads "$threads" --batch-max "$batch" --batch-delay 2ms)
machine
echo "settings: ${settings[*]}, 16 clients, ${secs}s per measurement after a 5 s warm-up"
start_server "$port" "${settings[@]}"
bench() { "$dist/bin/recops" bench --queries "$root/testdata/wands/queries.csv" --concurrency 16 --duration "${secs}s" --warmup 5s \
  --format json "$@" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['throughput_rps'], d['latency_ms']['p50'], d['latency_ms']['p99'])"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
inproc=(); http=()
for r in $(seq 1 "$rounds"); do
  read -r a a50 a99 < <(bench --in-process "${settings[@]}" --query-cache "$QUERY_CACHE")
  read -r b b50 b99 < <(bench --url "http://127.0.0.1:$port")
  echo "round $r in-process: $a/s (p50 $a50, p99 $a99 ms)"
  echo "round $r http:       $b/s (p50 $b50, p99 $b99 ms)"
  inproc+=("$a"); http+=("$b")
done
mi=$(median "${inproc[@]}"); mh=$(median "${http[@]}")
echo "median rps: in-process $mi, http $mh, http/in-process $(awk -v h="$mh" -v i="$mi" 'BEGIN{printf "%.1f%%", 100*h/i}')"
