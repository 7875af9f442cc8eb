#!/usr/bin/env bash
# How much a server's latency moves from one start to the next (issue 31): the repeats a truth is
# judged by run on one server process, and a model predicts a process it has never seen. Per
# configuration (batch-max/workers/threads) and for INSTANCES fresh servers (pinned to CPU 1, the
# generator on CPU 0), each warmed as pinned-truth.sh warms it, REPEATS runs of SECONDS at each rate
# in RATES, appended to OUT/instance-N.csv (`bench --csv`; N the server's start, 1..INSTANCES).
# `scripts/bench/LatencyJudge.java` reads them (INSTANCE_RUNS="OUT/instance-*.csv") to put the
# variation between starts into the truth's noise floor.
# Usage: CONFIGS="16/1/1 2/1/1 8/2/1" RATES="100 200" INSTANCES=3 REPEATS=2 SECONDS_PER_RUN=30 \
#          scripts/bench/instance-noise.sh OUT_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out=${1:?usage: instance-noise.sh OUT_DIR}
secs=${SECONDS_PER_RUN:-30}; repeats=${REPEATS:-2}; instances=${INSTANCES:-3}
pinned_setup "$out"
port=18181
for cfg in ${CONFIGS:-16/1/1 2/1/1 8/2/1}; do
  IFS=/ read -r batch workers threads <<<"$cfg"
  for n in $(seq 1 "$instances"); do
    echo "== $cfg, server start $n ($(date -u +%H:%M:%S))"
    start_pinned_server "$port" --primary-version 2 --batch-max "$batch" --workers "$workers" --threads "$threads"
    warm_pinned "$port" "$batch" "$workers"
    for rate in ${RATES:-100 200}; do
      for i in $(seq 1 "$repeats"); do
        pinned_bench "$port" --rate "$rate" --duration "${secs}s" --warmup 5s --seed "$i" --csv "$out/instance-$n.csv" \
          | grep -E '^  latency' | sed "s/^/   $rate\/s: /" || true
      done
    done
    stop_server
  done
done
