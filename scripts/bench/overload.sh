#!/usr/bin/env bash
# Overload at about 3x the sustainable rate, then recovery.
#  1. sustainable rate: the saturation throughput with 64 requests in flight (wrk, closed loop:
#     enough to keep full batches), default settings;
#  2. overload: hey with 800 workers each capped at FACTOR x RATE / 800 requests/s for SECONDS,
#     so more requests are in flight than the queue holds;
#     reports the p99 of accepted (200) requests against --request-timeout, the p99 of shed (503)
#     answers, the heap used before, during and after (from /metrics);
#  3. recovery: single requests every 50 ms after the overload; the time until 10 in a row are
#     back within 2x the p50 measured before the overload.
# Usage: scripts/bench/overload.sh [SECONDS] [FACTOR]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need hey
secs=${1:-20}; factor=${2:-3}
port=18987
url="http://127.0.0.1:$port"
machine
alog=$(mktemp -u).jsonl
start_server "$port" --request-timeout 2s --queue-capacity 256 --access-log "$alog" ${SERVE_ARGS:-}
load "$port" 16 5 >/dev/null
base=$(load "$port" 64 10)
rps=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$base")
echo "sustainable (64 in flight, closed loop): $base"
heap() { curl -s "$url/metrics" | awk '/^jvm_memory_used_bytes\{area="heap"\}/{printf "%.0f MiB", $2/1048576}'; }
single_ms() { curl -s -o /dev/null -w '%{time_total}' -H 'Content-Type: application/json' -d '{"query": "modern sofa bed"}' "$url/v1/search" | awk '{printf "%.2f", $1*1000}'; }
p50=$(for _ in $(seq 1 40); do single_ms; echo; done | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
echo "single-request p50 before: ${p50} ms; heap before: $(heap)"

target=$(awk -v r="$rps" -v f="$factor" 'BEGIN{printf "%d", r*f}')
per_worker=$(awk -v t="$target" 'BEGIN{printf "%.1f", t/800}')
csv=$(mktemp)
hey -z "${secs}s" -c 800 -q "$per_worker" -m POST -T application/json -d '{"query": "modern sofa bed"}' -o csv "$url/v1/search" > "$csv" &
hey_pid=$!
sleep $(( secs / 2 )); echo "heap during overload: $(heap)"
wait "$hey_pid"
for code in $(awk -F, 'NR>1 {print $7}' "$csv" | sort -u); do
  awk -F, -v c="$code" 'NR>1 && $7==c {printf "%.3f\n", $1*1000}' "$csv" | sort -n | awk -v c="$code" -v secs="$secs" \
    '{a[NR]=$1} END {printf "overload status %s: %d requests (%.0f/s), p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", c, NR, NR/secs, a[int(NR*0.5)+1], a[int(NR*0.99)+1], a[NR]}'
done
echo "offered: ${target}/s (${factor}x ${rps}/s) from 800 workers"
# Server-side time to answer, from the access log (receipt to response, without client queueing).
for code in 200 503 504; do
  { grep -o "\"status\":$code,\"latency_ms\":[0-9.]*" "$alog" || true; } | sed 's/.*://' | sort -n | awk -v c="$code" \
    'NR>0 {a[NR]=$1} END {if (NR) printf "server-side status %s: %d answers, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", c, NR, a[int(NR*0.5)+1], a[int(NR*0.99)+1], a[NR]}'
done
rm -f "$csv"
start=$(date +%s%3N); streak=0; first_good=0; limit=$(awk -v p="$p50" 'BEGIN{print 2*p}')
while [ "$streak" -lt 10 ]; do
  now=$(date +%s%3N)
  t=$(single_ms)
  if awk -v t="$t" -v l="$limit" 'BEGIN{exit !(t<=l)}'; then
    [ "$streak" -eq 0 ] && first_good=$(( now - start ))
    streak=$((streak+1))
  else
    streak=0
  fi
  sleep 0.05
  [ $(( $(date +%s%3N) - start )) -gt 30000 ] && { echo "did not recover within 30 s"; break; }
done
echo "recovered: normal latency (10 requests in a row within 2x p50 = ${limit} ms) from ${first_good} ms after the overload stopped; heap after: $(heap)"
. "$root/scripts/lib/find-jdk.sh"
"$(recops_find_jdk)/bin/jcmd" "$server_pid" GC.run >/dev/null 2>&1 && echo "heap after a full GC: $(heap)"
rm -f "$alog"*
