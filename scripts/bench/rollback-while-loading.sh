#!/usr/bin/env bash
# How long a rollback takes through the admin API while another version is loading (its catalog
# being embedded with the cache off, several seconds), over ROUNDS rounds (default 5).
#
#   scripts/bench/rollback-while-loading.sh [ROUNDS]
#
# The repository is the shipped one plus version 3 (a copy of version 1), so that one version can
# load while two others are primary and rollback target. Loopback only; bounded by ROUNDS.
set -euo pipefail
rounds=${1:-5}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
work=$(mktemp -d /tmp/recops-rollback.XXXXXX)
cp -r "$dist/models" "$work/models"
cp -r "$work/models/search-encoder/1" "$work/models/search-encoder/3"
port=${BENCH_PORT:-18490}
admin=$((port + 1))
at_exit 'rm -rf "$work"'
SERVE_OUT="$work/serve.out" SERVE_ERR="$work/serve.err" serve_bg "$port" --admin-port "$admin" --admin-token-file "$work/token" \
  --state-file "$work/state.json" --model-repo "$work/models" --primary-version 2 --no-cache
call() { # method path -> "status seconds"
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -X "$1" -H "Authorization: Bearer $(cat "$work/token")" "http://127.0.0.1:$admin/admin/v1$2"
}
for _ in $(seq 1 900); do
  [ "$(curl -s "http://127.0.0.1:$admin/admin/v1/status" -H "Authorization: Bearer $(cat "$work/token" 2>/dev/null)" | jq -r '.loaded_versions | length' 2>/dev/null)" = 3 ] && break
  sleep 0.2
done
echo "# rollback while version 1 loads (catalog embedded, no cache); $(nproc) cores, $(uname -sr), $(date -u +%FT%TZ)"
echo "| round | load of v1 | rollback | rollback ms | v1 still loading when the rollback returned |"
echo "|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  call POST /versions/3/promote >/dev/null # primary 3, rollback target 2
  call POST /versions/1/unload >/dev/null
  before=$(grep -c 'search-encoder:1: embedding' "$work/serve.err" || true)
  call POST /versions/1/load >"$work/load" &
  loader=$!
  # until the load is embedding the catalog (serve says so when it starts)
  until [ "$(grep -c 'search-encoder:1: embedding' "$work/serve.err" || true)" -gt "$before" ]; do sleep 0.02; done
  read -r status seconds < <(call POST /rollback)
  loading=$(kill -0 "$loader" 2>/dev/null && echo yes || echo no)
  wait "$loader"
  echo "| $r | $(cut -d' ' -f1 "$work/load") in $(cut -d' ' -f2 "$work/load") s | $status | $(awk -v s="$seconds" 'BEGIN { printf "%.1f", s * 1000 }') | $loading |"
done
