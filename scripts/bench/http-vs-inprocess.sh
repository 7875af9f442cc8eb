#!/usr/bin/env bash
# Saturation throughput of the same engine and batching settings, called in-process (16 client
# threads, no HTTP) and over HTTP (wrk, 16 connections). The two alternate for ROUNDS rounds in
# one run (the machine is shared and noisy) and the ratio of the medians is reported.
# Target: HTTP >= 90% of in-process.
# Usage: scripts/bench/http-vs-inprocess.sh [SECONDS] [ROUNDS] [WORKERS] [THREADS] [BATCH_MAX]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
secs=${1:-10}; rounds=${2:-3}; workers=${3:-2}; threads=${4:-1}; batch=${5:-16}
port=18984
[ -d "$root/engine/target/test-classes/dev/recops/engine/bench" ] || (cd "$root" && ./mvnw -B -q -pl engine test-compile)
. "$root/scripts/lib/find-jdk.sh"
java="$(recops_find_jdk)/bin/java"
machine
echo "settings: workers=$workers threads=$threads batch-max=$batch batch-delay=2ms, 16 clients, ${secs}s per measurement after warm-up"
start_server "$port" --workers "$workers" --threads "$threads" --batch-max "$batch" --batch-delay 2ms
load "$port" 16 5 >/dev/null
inproc=(); http=()
for r in $(seq 1 "$rounds"); do
  a=$("$java" --enable-native-access=ALL-UNNAMED -DOPT_OUT_TRACKING=true -cp "$root/engine/target/test-classes:$dist/lib/*" \
    dev.recops.engine.bench.InProcessLoad "$dist/models" "$dist/catalog/products.csv" "$QUERIES" 16 "$secs" 5 \
    "$workers" "$threads" "$batch" 2 2>/dev/null | grep '^RESULT')
  b=$(load "$port" 16 "$secs")
  echo "round $r in-process: $a"
  echo "round $r http:       $b"
  inproc+=("$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$a")"); http+=("$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$b")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
mi=$(median "${inproc[@]}"); mh=$(median "${http[@]}")
echo "median rps: in-process $mi, http $mh, http/in-process $(awk -v h="$mh" -v i="$mi" 'BEGIN{printf "%.1f%%", 100*h/i}')"
