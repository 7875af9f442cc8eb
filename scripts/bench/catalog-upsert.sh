#!/usr/bin/env bash
# Search latency while a bulk upsert is embedded: PAIRS pairs (default 3) of open-loop search runs
# at RATE req/s (default 50), each pair one run without and one with an upsert of 5,000 products
# whose titles all changed (so every one is embedded by both shipped versions: 10,000 texts).
# The catalog is first grown to 5,485 products (the sample and 5,000 synthetic ones, untimed), so
# both runs of a pair search the same number of products. Prints the p99 of each run, their
# ratio, the upsert's duration and every failed query.
#
#   scripts/bench/catalog-upsert.sh [PAIRS] [RATE] [OUT_DIR]
#
# Loopback only; bounded: 2 x PAIRS bench runs of 25 s and PAIRS + 1 upserts.
set -euo pipefail
pairs=${1:-3}
rate=${2:-50}
out=${3:-$(mktemp -d /tmp/recops-upsert.XXXXXX)}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
java_bin=$(. "$dist/bin/find-jdk.sh"; recops_find_jdk)/bin/java
mkdir -p "$out"
port=${BENCH_PORT:-18500}
admin=$((port + 1))
SERVE_OUT="$out/serve.out" SERVE_ERR="$out/serve.err" serve_bg "$port" --admin-port "$admin" --admin-token-file "$out/token" \
  --state-file "$out/state.json" --cache-dir "$out/cache" --catalog-journal "$out/journal"
for _ in $(seq 1 600); do
  [ "$(curl -s "http://127.0.0.1:$admin/admin/v1/status" -H "Authorization: Bearer $(cat "$out/token" 2>/dev/null)" | jq -r '.loaded_versions | length' 2>/dev/null)" = 2 ] && break
  sleep 0.2
done
upsert() { # file -> seconds
  curl -sf -o "$out/upsert.json" -w '%{time_total}\n' -X POST -H "Authorization: Bearer $(cat "$out/token")" \
    -H 'Content-Type: application/x-ndjson' --data-binary @"$1" "http://127.0.0.1:$admin/admin/v1/catalog/products"
}
bench() { # name
  "$recops" bench --url "http://127.0.0.1:$port" --rate "$rate" --duration 25s --warmup 3s --format json >"$out/$1.json"
}
(cd "$root" && "$java_bin" scripts/bench/ProductGen.java 5000 BULK 0 >"$out/products-0.jsonl")
upsert "$out/products-0.jsonl" >/dev/null
echo "# search p99 at $rate req/s without and with a bulk upsert of 5,000 changed products (10,000 texts over 2 versions);"
echo "# catalog 5,485 products; $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(date -u +%FT%TZ)"
echo "| pair | p99 without (ms) | p99 with upsert (ms) | ratio | p50 without / with (ms) | upsert (s) | failed queries without / with |"
echo "|---|---|---|---|---|---|---|"
for p in $(seq 1 "$pairs"); do
  (cd "$root" && "$java_bin" scripts/bench/ProductGen.java 5000 BULK "$p" >"$out/products-$p.jsonl")
  bench "base-$p"
  bench "upsert-$p" &
  bench_pid=$!
  sleep 3 # the warm-up; the upsert covers most of the measured 25 s
  seconds=$(upsert "$out/products-$p.jsonl")
  wait "$bench_pid"
  jq -r --slurpfile u "$out/upsert-$p.json" --arg p "$p" --arg s "$seconds" \
    '"| \($p) | \(.latency_ms.p99) | \($u[0].latency_ms.p99) | \(($u[0].latency_ms.p99 / .latency_ms.p99 * 100 | round) / 100) | \(.latency_ms.p50) / \($u[0].latency_ms.p50) | \($s) | \(.sent - .ok) / \($u[0].sent - $u[0].ok) |"' \
    "$out/base-$p.json"
done
echo "raw runs and upsert answers: $out"
