#!/usr/bin/env bash
# Issue 6's check of predict-latency against reality, on a configuration that was never measured:
# train on testdata/latency/runs.csv, ask `predict-latency --solve max-rate`, then
#   1. run `recops bench` at the predicted rate: the measured p99 must meet the objective;
#   2. find the true max with `recops bench --find-max-rate`: the prediction must be within 20%.
# Both in-process (the engine without HTTP), as the training data was measured, with Poisson
# arrivals of the WANDS queries.
# Usage: scripts/bench/latency-check.sh [BATCH_MAX] [WORKERS] [THREADS] [SLO] [SECONDS]
#        (default 12 2 1 'p99<=50ms' 20)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
batch=${1:-12}; workers=${2:-2}; threads=${3:-1}; slo=${4:-p99<=50ms}; secs=${5:-20}
need jq
recops="$dist/bin/recops"
work=$(mktemp -d)
machine
echo "configuration: batch-max $batch, workers $workers, threads $threads; objective $slo"
"$recops" train "$root/testdata/latency/runs.csv" -o "$work/model" | sed -n '1,8p'
predicted=$("$recops" predict-latency --model "$work/model" --batch-max "$batch" --workers "$workers" --threads "$threads" \
  --solve max-rate --slo "$slo" --format json | jq -r '.max_rate.rate_per_replica')
echo "predicted max rate: $predicted/s"
engine=(--in-process --query-cache 0 --model-version 2 --primary-version 2 --batch-max "$batch" --workers "$workers" --threads "$threads"
  --queries "$root/testdata/wands/queries.csv" --arrivals poisson --seed 11 --timeout 2s --warmup 3s)
echo "--- bench at the predicted rate, ${secs}s"
set +e
"$recops" bench "${engine[@]}" --rate "$predicted" --duration "${secs}s" --slo "$slo" --out "$work/at-predicted.json" | grep -vE '^  (lag|server|model) '
at_code=${PIPESTATUS[0]}
echo "--- bench --find-max-rate, ${secs}s per probe"
"$recops" bench "${engine[@]}" --rate "$(awk -v p="$predicted" 'BEGIN { printf "%.0f", p / 2 }')" --duration "${secs}s" --slo "$slo" \
  --slo 'errors<=1%' --find-max-rate | tail -4
set -e
echo "bench at the predicted rate exited $at_code (0: the objective held)"
