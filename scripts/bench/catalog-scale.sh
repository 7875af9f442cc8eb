#!/usr/bin/env bash
# recops serve over a synthetic catalog of N products (default 10,000; `recops catalog generate`):
# time to ready on the first start (embedding and, with --index hnsw, building the index) and on a
# restart (embeddings from the cache, the index opened as persisted), RSS, /v1/models, and search
# latency end to end: 1 and 16 closed-loop clients and open loop at 100 req/s (recops bench, 20 s
# each, WANDS queries). The products are synthetic (recombined ESCI titles): figures about speed
# and memory, not quality.
#
#   scripts/bench/catalog-scale.sh [N] [INDEX] [OUT_DIR]      INDEX: auto (default), exact or hnsw
#
# Environment: CATALOG=FILE serves that catalog instead of generating N products; CACHE_FROM=DIR
# copies embedding-cache files (recops catalog embed, or scripts/bench/MixCache.java) into the
# cache first, so the first start builds the index without embedding; MODEL_REPO=DIR and
# VERSION=V (default 1) choose the model (a repository with one version builds one index);
# SERVE_ARGS adds options to serve (for example "--hnsw-ef 300"), JAVA_OPTS to its JVM;
# RESTARTS=K restarts it K more times after the runs and prints each time to ready (a spread, not
# one figure, is what a start-up objective is judged on).
#
# Loopback only; bounded: 2 + RESTARTS starts and three 20 s runs.
set -euo pipefail
n=${1:-10000}
index=${2:-auto}
out=${3:-$(mktemp -d /tmp/recops-scale.XXXXXX)}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkdir -p "$out"
port=${BENCH_PORT:-18520}
if [ -n "${CATALOG:-}" ]; then
  ln -sf "$(realpath "$CATALOG")" "$out/catalog.jsonl"
else
  "$recops" catalog generate "$n" --out "$out/catalog.jsonl" >/dev/null
fi
if [ -n "${CACHE_FROM:-}" ]; then
  mkdir -p "$out/cache" && cp "$CACHE_FROM"/*.vec "$out/cache/"
fi
model_args=()
[ -n "${MODEL_REPO:-}" ] && model_args=(--model-repo "$MODEL_REPO")
serve() { # starts serve in the background (pid) and waits until ready; the seconds it took go to $out/ready.s
  # shellcheck disable=SC2086 # SERVE_ARGS is split into words on purpose
  local start; start=$(date +%s.%N)
  "$recops" serve --port "$port" --admin-port 0 --state-file "$out/state.json" --cache-dir "$out/cache" --no-catalog-journal \
    --catalog "$out/catalog.jsonl" --primary-version "${VERSION:-1}" --index "$index" "${model_args[@]}" ${SERVE_ARGS:-} >"$out/serve.out" 2>>"$out/serve.err" &
  server_pid=$!; pid=$server_pid
  SERVE_ERR="$out/serve.err" READY_SECONDS=3600 wait_ready "$port"
  awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }' >"$out/ready.s"
}
serve
first=$(cat "$out/ready.s")
stop_server
serve
again=$(cat "$out/ready.s")
rss() { # total (anonymous + file-backed) MiB
  awk '/VmRSS/ { t = $2 } /RssAnon/ { a = $2 } /RssFile/ { f = $2 } END { printf "%.0f (%.0f + %.0f)", t / 1024, a / 1024, f / 1024 }' "/proc/$pid/status"
}
rss=$(rss)
models=$(curl -s "http://127.0.0.1:$port/v1/models")
run() { "$recops" bench --url "http://127.0.0.1:$port" --duration 20s --warmup 3s --format json "$@"; }
run --concurrency 1 >"$out/c1.json"
run --concurrency 16 >"$out/c16.json"
run --rate 100 >"$out/open100.json"
rss_after=$(rss)
echo "# $n synthetic products, --index $index; $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(date -u +%FT%TZ)"
echo "index: $(jq -c .index <<<"$models")"
echo "| first start to ready (s) | restart to ready (s) | RSS after restart / after load, MiB (anonymous + file) | 1 client p50 / p99 (ms) | 16 clients p50 / p99 (ms), req/s | open 100 req/s p50 / p99 (ms), errors |"
echo "|---|---|---|---|---|---|"
jq -rn --slurpfile a "$out/c1.json" --slurpfile b "$out/c16.json" --slurpfile c "$out/open100.json" \
  --arg first "$first" --arg again "$again" --arg rss "$rss" --arg rss2 "$rss_after" \
  '"| \($first) | \($again) | \($rss) / \($rss2) | \($a[0].latency_ms.p50) / \($a[0].latency_ms.p99) | \($b[0].latency_ms.p50) / \($b[0].latency_ms.p99), \($b[0].throughput_rps | round) | \($c[0].latency_ms.p50) / \($c[0].latency_ms.p99), \($c[0].sent - $c[0].ok) |"'
echo "raw: $out"
if [ "${RESTARTS:-0}" -gt 0 ]; then
  times=()
  for _ in $(seq 1 "$RESTARTS"); do
    stop_server
    serve
    times+=("$(cat "$out/ready.s")")
  done
  echo "restarts to ready (s): ${times[*]}"
fi
