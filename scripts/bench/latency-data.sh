#!/usr/bin/env bash
# Training data for `recops train` (issue 6): the shipped default model (search-encoder v2) driven
# in-process by `recops bench --sweep rate=...` at several batch settings and worker counts, every
# run appended as one row to testdata/latency/runs.csv (columns: RunsCsv.COLUMNS). In-process, so
# that bench can start the engine with each setting; open loop, Poisson arrivals, WANDS queries.
# Usage: scripts/bench/latency-data.sh [SECONDS] [OUT.csv]   (default 6 s per run after 2 s warm-up)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
secs=${1:-6}; out=${2:-$root/testdata/latency/runs.csv}
machine
for cfg in "1 2" "8 2" "16 2" "16 1" "32 2"; do
  read -r batch workers <<<"$cfg"
  echo "batch-max $batch, workers $workers"
  "$dist/bin/recops" bench --in-process --model-version 2 --primary-version 2 --batch-max "$batch" --workers "$workers" --threads 1 \
    --queries "$root/testdata/wands/queries.csv" --arrivals poisson --seed 7 --timeout 2s \
    --sweep rate=50..650:100 --duration "${secs}s" --warmup 2s --csv "$out"
done
