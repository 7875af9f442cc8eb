#!/usr/bin/env bash
# Issue 18's check of `predict-latency --solve max-rate` on a configuration the model never saw:
# the rate it answers for SLO is run three times against a server pinned as in pinned-truth.sh
# (server on CPU 1, generator on CPU 0), and the highest rate that really meets SLO is found three
# times by `bench --find-max-rate`; prints each and whether the SLO held at the predicted rate.
# Usage: scripts/bench/max-rate-check.sh MODEL_DIR BATCH/WORKERS/THREADS [SLO] [OUT.csv]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
model=${1:?usage: max-rate-check.sh MODEL_DIR BATCH/WORKERS/THREADS [SLO] [OUT.csv]}
IFS=/ read -r batch workers threads <<<"${2:?configuration, e.g. 8/1/1}"
slo=${3:-p99<=50ms}
out=${4:-max-rate-check.csv}
secs=${SECONDS_PER_RUN:-30}
machine
answer=$("$dist/bin/recops" predict-latency --model "$model" --batch-max "$batch" --workers "$workers" --threads "$threads" \
  --server-cpus 1 --solve max-rate --slo "$slo" --format json)
rate=$(jq -r '.max_rate.rate_per_replica // empty' <<<"$answer")
echo "predicted for $batch/$workers/$threads within $slo: ${rate:-none}/s (edge $(jq -r '.max_rate.edge_per_replica' <<<"$answer")," \
  "interval $(jq -r '.max_rate.interval_per_replica.low' <<<"$answer")..$(jq -r '.max_rate.interval_per_replica.high' <<<"$answer"))"
[ -n "$rate" ] || exit 3
rate=$(printf '%.0f' "$rate")
port=18181
start_pinned_server "$port" --primary-version 2 --batch-max "$batch" --workers "$workers" --threads "$threads"
bench() { pinned_bench "$port" "$@"; }
bench --rate 100 --duration 15s --warmup 0s >/dev/null
held=0
for i in 1 2 3; do
  if bench --rate "$rate" --duration "${secs}s" --warmup 5s --seed "$i" --slo "$slo" --csv "$out" | grep -E '^  latency'; then :; fi
  p99=$(tail -1 "$out" | cut -d, -f29) # p99_ms
  if awk -v p="$p99" -v s="${slo#*<=}" 'BEGIN {sub(/ms$/, "", s); exit !(p <= s)}'; then held=$((held + 1)); fi
  echo "   run $i at $rate/s: p99 $p99 ms"
done
found=()
for i in 1 2 3; do
  best=$(bench --find-max-rate --slo "$slo" --rate "$rate" --duration 10s --warmup 3s --seed "$i" --format json | jq -r '.max_rate // empty' || true)
  echo "   find-max-rate $i: ${best:-none}/s"
  [ -n "$best" ] && found+=("$best")
done
stop_server
measured=$(median "${found[@]}")
echo "SLO held in $held of 3 runs at the predicted $rate/s; measured max rate (median of ${#found[@]}) $measured/s;" \
  "predicted/measured $(awk -v r="$rate" -v m="$measured" 'BEGIN {printf "%.2f", r / m}')"
