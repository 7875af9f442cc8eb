#!/usr/bin/env bash
# The load generator's own limits and its agreement with wrk, in one run against one recops serve:
#  1. open loop against a trivial endpoint (GET /v2/health/live): the highest rate held with
#     scheduler lag p99 under 1 ms, achieved rate within 1% of the target and no errors;
#  2. closed loop against the same endpoint, 16 connections: recops bench throughput as a ratio
#     to wrk's (alternating rounds; aim >= 0.7);
#  3. percentiles on the same steady workload (POST /v1/search, WANDS queries, 4 connections, a
#     moderate closed-loop load): recops bench p50 and p99 against wrk's (aim within 10%).
# Generator and server share the machine's two cores, as they do in every figure here.
# Usage: scripts/bench/generator.sh [SECONDS] [ROUNDS]   (defaults 10 and 3)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need wrk
secs=${1:-10}; rounds=${2:-3}
port=18985
url="http://127.0.0.1:$port"
machine
start_server "$port"
bench() { "$dist/bin/recops" bench --url "$url" --format json "$@"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

echo "== 1. open loop, GET /v2/health/live, ${secs}s per rate"
best=0
for rate in 1000 2000 3000 4000 5000 6000 8000 10000; do
  j=$(bench --mix get=1 --path /v2/health/live --rate "$rate" --duration "${secs}s" --warmup 2s --max-in-flight 1000)
  line=$(field "f\"achieved {d['achieved_rate']}/s, lag p99 {d['scheduler_lag_ms']['p99']} ms, max {d['scheduler_lag_ms']['max']} ms, latency p99 {d['latency_ms']['p99']} ms, errors {d['error_rate']}\"" <<<"$j")
  ok=$(field "int(d['scheduler_lag_ms']['p99'] < 1 and d['achieved_rate'] >= 0.99 * $rate and d['error_rate'] == 0)" <<<"$j")
  echo "rate $rate: $line $([ "$ok" = 1 ] && echo OK || echo FAIL)"
  [ "$ok" = 1 ] && best=$rate || break
done
echo "highest open-loop rate with lag p99 < 1 ms: $best/s"

echo "== 2. closed loop, 16 connections, GET /v2/health/live"
wrk -t 2 -c 16 -d 3s "$url/v2/health/live" >/dev/null
rb=(); rw=()
for r in $(seq 1 "$rounds"); do
  b=$(bench --mix get=1 --path /v2/health/live --concurrency 16 --duration "${secs}s" --warmup 2s | field "d['throughput_rps']")
  w=$(wrk -t 2 -c 16 -d "${secs}s" -s "$root/scripts/bench/result.lua" "$url/v2/health/live" | grep '^RESULT' | sed -n 's/.* rps=\([0-9.]*\).*/\1/p')
  echo "round $r: recops bench $b/s, wrk $w/s"
  rb+=("$b"); rw+=("$w")
done
mb=$(median "${rb[@]}"); mw=$(median "${rw[@]}")
echo "median: recops bench $mb/s, wrk $mw/s, ratio $(awk -v a="$mb" -v b="$mw" 'BEGIN{printf "%.2f", a/b}')"

echo "== 3. percentiles, closed loop, 4 connections, POST /v1/search (WANDS queries)"
bench --queries "$root/testdata/wands/queries.csv" --concurrency 4 --duration 3s --warmup 2s >/dev/null
pb50=(); pb99=(); pw50=(); pw99=()
for r in $(seq 1 "$rounds"); do
  j=$(bench --queries "$root/testdata/wands/queries.csv" --concurrency 4 --duration "${secs}s" --warmup 2s)
  b50=$(field "d['latency_ms']['p50']" <<<"$j"); b99=$(field "d['latency_ms']['p99']" <<<"$j")
  w=$(load "$port" 4 "$secs")
  w50=$(sed -n 's/.* p50_ms=\([0-9.]*\).*/\1/p' <<<"$w"); w99=$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' <<<"$w")
  echo "round $r: recops bench p50 $b50 p99 $b99 ms ($(field "d['throughput_rps']" <<<"$j")/s); wrk p50 $w50 p99 $w99 ms ($(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$w")/s)"
  pb50+=("$b50"); pb99+=("$b99"); pw50+=("$w50"); pw99+=("$w99")
done
m1=$(median "${pb50[@]}"); m2=$(median "${pw50[@]}"); m3=$(median "${pb99[@]}"); m4=$(median "${pw99[@]}")
echo "median p50: recops bench $m1, wrk $m2 ms ($(awk -v a="$m1" -v b="$m2" 'BEGIN{printf "%+.1f%%", 100*(a-b)/b}'))"
echo "median p99: recops bench $m3, wrk $m4 ms ($(awk -v a="$m3" -v b="$m4" 'BEGIN{printf "%+.1f%%", 100*(a-b)/b}'))"
