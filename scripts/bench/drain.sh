#!/usr/bin/env bash
# SIGTERM under load from keep-alive clients that know nothing of readiness, RUNS times: hey
# (Go's HTTP client, 8 workers) and the JDK's HttpClient (8 threads, scripts/bench/DrainClient.java)
# in turn, each against a fresh `recops serve` (drain delay 1 s) signalled 4 s into a 10 s load.
# Prints, per run, the answers and every failure that is not a refused connection (after the
# listener closed, a refusal is the right answer). None is the target.
#
#   scripts/bench/drain.sh [RUNS]      (needs hey)
set -euo pipefail
runs=${1:-10}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need hey
. "$root/scripts/lib/find-jdk.sh"
java="$(recops_find_jdk)/bin/java"
work=$(mktemp -d /tmp/recops-drain.XXXXXX)
port=${BENCH_PORT:-18460}
echo "machine: $(nproc) cores, $(uname -sr), $(date -u +%FT%TZ); hey and the JDK client, 8 keep-alive clients each, SIGTERM at 4 s"
lost_total=0
for r in $(seq 1 "$runs"); do
  for client in hey jdk; do
    SERVE_ERR="$work/serve.err" serve_bg "$port" --no-admin --drain-delay 1s --state-file "$work/state.json"
    pid=$server_pid; server_pid="" # this script signals it itself
    if [ "$client" = hey ]; then
      hey -c 8 -z 10s -m POST -T application/json -d '{"query": "sofa", "k": 5}' "http://127.0.0.1:$port/v1/search" >"$work/out" 2>&1 &
    else
      "$java" "$root/scripts/bench/DrainClient.java" "http://127.0.0.1:$port" 8 10 >"$work/out" 2>&1 &
    fi
    load=$!
    sleep 4
    kill -TERM "$pid"
    rc=0; wait "$pid" || rc=$?
    wait "$load"
    if [ "$client" = hey ]; then
      ok=$(awk '/\[200\]/ { print $2 }' "$work/out")
      failures=$(sed -n '/Error distribution/,$p' "$work/out" | grep -v 'connection refused' | grep '\[' || true)
    else
      ok=$(grep -o 'status_200=[0-9]*' "$work/out" | cut -d= -f2)
      failures=$(grep -o 'failed: [^,}]*=[0-9]*' "$work/out" || true)
    fi
    n=$(printf '%s\n' "$failures" | grep -c . || true)
    lost_total=$((lost_total + n))
    echo "run $r $client: serve exit $rc, 200s ${ok:-0}, failures other than refused: ${failures:-none}"
  done
done
rm -rf "$work"
echo "failures other than refused, over $((runs * 2)) drains: $lost_total kinds"
