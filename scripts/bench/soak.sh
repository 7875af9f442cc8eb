#!/usr/bin/env bash
# Soak: open-loop load at 70% of the measured capacity for MINUTES minutes (default 30), with
# access-log rotation all along, a canary shift and a catalog reload in the middle. Records per
# minute the server's RSS, heap after GC, open file descriptors, threads, and the load's p99,
# throughput and errors; then the growth of each from the end of warm-up (minute 3) to the last
# minute, which must stay under 5%.
#
#   scripts/bench/soak.sh [MINUTES] [OUT_DIR]
#
# Bounded: MINUTES one-minute bench runs against 127.0.0.1 only, then the server is stopped.
set -euo pipefail
minutes=${1:-30}
out=${2:-$(mktemp -d /tmp/recops-soak.XXXXXX)}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkdir -p "$out"
port=${SOAK_PORT:-18480}
admin=$((port + 1))
token="$out/admin.token"

SERVE_OUT="$out/serve.out" SERVE_ERR="$out/serve.err" serve_bg "$port" --admin-port "$admin" --admin-token-file "$token" \
  --state-file "$out/state.json" --cache-dir "$out/cache" --access-log "$out/access.jsonl" --access-log-max-size 1 --access-log-keep 3
pid=$server_pid

# Capacity: the highest open-loop rate whose p99 stays within 100 ms with nothing shed, the load
# generator on the same cores (SOAK_CAPACITY skips the search); the soak runs at 70% of it.
if [ -n "${SOAK_CAPACITY:-}" ]; then
  capacity=$SOAK_CAPACITY
else
  "$recops" bench --url "http://127.0.0.1:$port" --find-max-rate --rate 200 --slo 'p99<=100ms' --slo 'errors<=0%' \
    --duration 10s --warmup 3s --format json >"$out/capacity.json" || true
  capacity=$(jq -r '.max_rate // empty' "$out/capacity.json")
  [ -n "$capacity" ] || { echo "could not find the capacity; see $out/capacity.json" >&2; exit 1; }
fi
rate=$(awk -v c="$capacity" 'BEGIN { printf "%.0f", c * 0.7 }')
echo "# soak: $minutes min at $rate req/s (70% of $capacity/s, the highest open-loop rate with p99 <= 100 ms and no error); $(nproc) cores, $(uname -sr), $(date -u +%FT%TZ)" | tee "$out/soak.md"

metric() { # name-regex -> sum of the matching series
  curl -s "http://127.0.0.1:$port/metrics" | awk -v re="$1" '$0 !~ /^#/ && $1 ~ re { s += $NF } END { printf "%.0f", s }'
}
admin_call() { # method path [body]
  curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $(cat "$token")" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "http://127.0.0.1:$admin/admin/v1$2"
}

echo "minute,rss_mib,heap_after_gc_mib,fds,threads,rate,p99_ms,errors,event" >"$out/soak.csv"
echo "| minute | RSS MiB | heap after GC MiB | fds | threads | req/s | p99 ms | errors | event |" | tee -a "$out/soak.md"
echo "|---|---|---|---|---|---|---|---|---|" | tee -a "$out/soak.md"
for m in $(seq 1 "$minutes"); do
  event=""
  if [ "$m" -eq $((minutes / 2)) ]; then
    event="canary v1 10%: HTTP $(admin_call PUT /traffic '{"canary": {"version": "1", "percent": 10}}')"
  elif [ "$m" -eq $((minutes / 2 + 1)) ]; then
    event="catalog reload: HTTP $(admin_call POST /catalog/reload)"
  fi
  "$recops" bench --url "http://127.0.0.1:$port" --rate "$rate" --duration 60s --warmup 0s --format json >"$out/minute-$m.json" || true
  rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  threads=$(awk '/^Threads/ { print $2 }' "/proc/$pid/status")
  fds=$(ls "/proc/$pid/fd" | wc -l)
  heap=$(( $(metric '^jvm_memory_pool_collection_used_bytes') / 1048576 ))
  p99=$(jq -r '.latency_ms.p99' "$out/minute-$m.json")
  achieved=$(jq -r '.throughput_rps' "$out/minute-$m.json")
  errors=$(jq -r '[.errors[]] | add // 0' "$out/minute-$m.json")
  echo "$m,$rss,$heap,$fds,$threads,$achieved,$p99,$errors,$event" >>"$out/soak.csv"
  echo "| $m | $rss | $heap | $fds | $threads | $achieved | $p99 | $errors | $event |" | tee -a "$out/soak.md"
done

# Growth after warm-up: the last minute against minute 3 (the JIT, caches and pools settled;
# minute 1 for runs of three minutes or less, which only smoke-test the script).
awk -F, -v warm=$(( minutes > 3 ? 3 : 1 )) 'NR == 1 { next }
  $1 == warm { r = $2; h = $3; f = $4; t = $5 }
  { lr = $2; lh = $3; lf = $4; lt = $5 }
  END {
    g = 0
    printf "growth from minute %d to the last: RSS %+.1f%%, heap after GC %+.1f%%, fds %+.1f%%, threads %+.1f%%\n",
      warm, 100 * (lr - r) / r, 100 * (lh - h) / h, 100 * (lf - f) / f, 100 * (lt - t) / t
    if ((lr - r) / r > 0.05 || (lh - h) / h > 0.05 || (lf - f) / f > 0.05 || (lt - t) / t > 0.05) { print "verdict: GROWS (over 5%)"; exit 3 }
    print "verdict: flat (under 5%)"
  }' "$out/soak.csv" | tee -a "$out/soak.md"
echo "files: $out" >&2
