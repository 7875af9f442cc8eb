#!/usr/bin/env bash
# Training data for `recops train` (issue 6): the shipped default model (search-encoder v2) driven
# in-process by `recops bench --sweep rate=...` at several batch sizes, worker and thread counts,
# every run appended as one row to testdata/latency/runs.csv (columns: RunsCsv.COLUMNS, including
# the server's model calls: calls, texts per call, ms per call). In-process, so that bench can start
# the engine with each setting; open loop, Poisson arrivals, WANDS queries. Rates run past each
# configuration's capacity, so the rows show where it saturates.
# Usage: scripts/bench/latency-data.sh [SECONDS] [OUT.csv]   (default 8 s per run after 2 s warm-up)
#        CONFIGS="16/2/1 8/1/2" scripts/bench/latency-data.sh   measures only those batch-max/workers/threads
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
secs=${1:-8}; out=${2:-$root/testdata/latency/runs.csv}
machine
for cfg in ${CONFIGS:-1/2/1 4/2/1 8/2/1 16/2/1 32/2/1 4/1/1 16/1/1 8/1/2 16/1/2 16/2/2}; do
  IFS=/ read -r batch workers threads <<<"$cfg"
  echo "batch-max $batch, workers $workers, threads $threads"
  "$dist/bin/recops" bench --in-process --query-cache 0 --model-version 2 --primary-version 2 --batch-max "$batch" --workers "$workers" --threads "$threads" \
    --queries "$root/testdata/wands/queries.csv" --arrivals poisson --seed 7 --timeout 2s \
    --sweep rate=50..950:100 --duration "${secs}s" --warmup 2s --csv "$out"
done
