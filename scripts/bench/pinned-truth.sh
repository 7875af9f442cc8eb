#!/usr/bin/env bash
# Clean truth for the latency model (issue 18, item 1): the server pinned to one CPU and the load
# generator to the other (taskset), so they never take each other's core; HTTP between them; open
# loop, Poisson arrivals, WANDS queries. Per configuration (batch-max/workers/threads):
#   1. a warm-up load that is not recorded;
#   2. its capacity: FINDS x `bench --find-max-rate --slo 'errors<=1%'` (10 s probes), every probe
#      appended to OUT/capacity.csv (the overloaded probes are what `train` learns max throughput
#      from), the median of the FINDS answers kept in OUT/capacity.txt;
#   3. its latency: REPEATS runs of SECONDS at each fraction in FRACTIONS of that capacity, appended
#      to OUT/runs.csv (`bench --csv`, which records the server's CPU count as server_cpus);
#   4. with SLO set (e.g. SLO='p99<=50ms'): the highest rate meeting it, MAX_FINDS x `bench
#      --find-max-rate --repeats 3` (each rate passes on 2 of 3 probes, a growing queue fails it),
#      appended to OUT/max-rate.txt as "CONFIG SLO RATE..." (what `solve max-rate` is judged by).
# The model's call-time profile is measured first on the server's CPU alone (OUT/profile.csv).
# Usage: scripts/bench/pinned-truth.sh OUT_DIR
#        CONFIGS="8/1/1 2/1/1" SECONDS_PER_RUN=30 REPEATS=3 FINDS=3 FRACTIONS="0.25 0.5 0.8" SLO='p99<=50ms' MAX_FINDS=1 \
#          scripts/bench/pinned-truth.sh OUT
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out=${1:?usage: pinned-truth.sh OUT_DIR}
secs=${SECONDS_PER_RUN:-30}; repeats=${REPEATS:-3}; finds=${FINDS:-3}
pinned_setup "$out"
[ -f "$out/profile.csv" ] || taskset -c 1 "$dist/bin/recops" bench --profile "$out/profile.csv" --primary-version 2
port=18180
bench() { pinned_bench "$port" "$@"; }
for cfg in ${CONFIGS:-16/1/1 4/1/1}; do
  IFS=/ read -r batch workers threads <<<"$cfg"
  echo "== batch-max $batch, workers $workers, threads $threads ($(date -u +%H:%M:%S))"
  start_pinned_server "$port" --primary-version 2 --batch-max "$batch" --workers "$workers" --threads "$threads"
  warm_pinned "$port" "$batch" "$workers"
  found=()
  for i in $(seq 1 "$finds"); do
    best=$(bench --find-max-rate --slo 'errors<=1%' --rate 200 --duration 10s --warmup 3s --seed "$i" --csv "$out/capacity.csv" \
      --format json | jq -r '.max_rate // empty' || true)
    echo "   capacity search $i: ${best:-none}/s"
    [ -n "$best" ] && found+=("$best")
  done
  [ "${#found[@]}" -gt 0 ] || { echo "no rate met errors<=1% at $cfg" >&2; stop_server; continue; }
  capacity=$(median "${found[@]}")
  echo "$cfg $capacity ${found[*]}" >> "$out/capacity.txt"
  for frac in ${FRACTIONS:-0.25 0.5 0.8}; do
    rate=$(awk -v c="$capacity" -v f="$frac" 'BEGIN {printf "%.0f", c * f}')
    for i in $(seq 1 "$repeats"); do
      bench --rate "$rate" --duration "${secs}s" --warmup 5s --seed "$i" --csv "$out/runs.csv" | grep -E '^  latency' \
        | sed "s/^/   $rate\/s: /" || true
    done
  done
  if [ -n "${SLO:-}" ]; then
    met=()
    for i in $(seq 1 "${MAX_FINDS:-1}"); do
      start=$(awk -v c="$capacity" 'BEGIN {printf "%.0f", c / 2}')
      best=$(bench --find-max-rate --slo "$SLO" --repeats 3 --rate "$start" --duration 10s --warmup 3s --seed "$i" --format json \
        | jq -r '.max_rate // empty' || true)
      echo "   max rate meeting $SLO, search $i: ${best:-none}/s"
      met+=("${best:-none}")
    done
    echo "$cfg $SLO ${met[*]}" >> "$out/max-rate.txt"
  fi
  stop_server
done
