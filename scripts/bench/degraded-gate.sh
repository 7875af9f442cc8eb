#!/usr/bin/env bash
# What bench says about a server whose model fails and which answers from its fallback: serve
# with fault injection allowed, every model call failed through the admin API (error_rate 1),
# then RUNS open-loop bench runs (default 2) of 10 s at 50 req/s, one with the default objectives
# and one with --slo 'degraded<=1%', each printing its verdict line, degraded share and exit code.
# Then closed loop on the healthy server (faults cleared): 4 clients for 10 s, the raw p99 of the
# responses against the coordinated-omission estimate printed beside it. The query cache is off,
# so every search runs the model.
#
#   scripts/bench/degraded-gate.sh [RUNS] [OUT_DIR]
#
# RECOPS_DIST=DIR runs another build's distribution (to compare before and after a change).
# Loopback only; bounded: 2 x RUNS + 1 bench runs of 10 s.
set -euo pipefail
runs=${1:-2}
out=${2:-$(mktemp -d /tmp/recops-degraded.XXXXXX)}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkdir -p "$out"
port=${BENCH_PORT:-18560}
admin=$((port + 1))
SERVE_OUT="$out/serve.out" SERVE_ERR="$out/serve.err" serve_bg "$port" --admin-port "$admin" --admin-token-file "$out/token" \
  --state-file "$out/state.json" --allow-fault-injection --no-catalog-journal --drain-delay 0s --query-cache 0
admin_call() { # method [body]
  curl -sf -X "$1" -H "Authorization: Bearer $(cat "$out/token")" -H 'Content-Type: application/json' ${2:+--data "$2"} \
    "http://127.0.0.1:$admin/admin/v1/faults" >/dev/null
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ); recops: $recops"
admin_call POST '{"error_rate": 1.0, "duration_s": 600}'
bench() { # name, bench args...
  local name=$1 rc=0; shift
  "$recops" bench --url "http://127.0.0.1:$port" --duration 10s --warmup 2s "$@" >"$out/$name.txt" 2>&1 || rc=$?
  echo "$name: exit $rc; $(grep -E '^  (requests|degraded|latency|corrected|slo) ' "$out/$name.txt" | tr -s ' ' | paste -sd';' -)"
}
for i in $(seq 1 "$runs"); do
  bench "faulted-default-$i" --rate 50
  bench "faulted-slo-$i" --rate 50 --slo 'degraded<=1%'
done
admin_call DELETE
for _ in $(seq 1 300); do # the breaker opened by the faults closes after its cool-down: wait for the model's own answers
  curl -sf -H 'Content-Type: application/json' --data '{"query": "desk lamp", "k": 3}' "http://127.0.0.1:$port/v1/search" \
    | grep -q '"degraded" *: *true' || break
  sleep 0.1
done
bench closed-4 --concurrency 4
echo "raw: $out"
