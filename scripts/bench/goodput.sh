#!/usr/bin/env bash
# Goodput under overload, A/B: the server on CPU 1 (16/1/1), the generator on CPU 0, warmed 15 s at
# 200/s and 30 s at 300/s, then OVER requests/s (default 600, about 1.3x its capacity) for 20 s,
# Poisson, WANDS queries; the share answered 200 is what the server kept serving while overloaded.
# Alternates the distributions given, ROUNDS times (default 2), so that both see the same machine.
# Usage: scripts/bench/goodput.sh DIST_A DIST_B   (e.g. a copy of cli/target/recops before and after)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: goodput.sh DIST..." >&2; exit 2; }
command -v taskset >/dev/null || { echo "needs taskset (util-linux)" >&2; exit 4; }
dists=("$@")
for round in $(seq 1 "${ROUNDS:-2}"); do
  for d in "${dists[@]}"; do
    echo "== round $round: $d"
    RECOPS_DIST=$d bash -c '
      . "$0/lib.sh"
      port=18194
      start_pinned_server $port --primary-version 2 --batch-max 16 --workers 1 --threads 1
      pinned_bench $port --rate 200 --duration 15s --warmup 0s >/dev/null
      pinned_bench $port --rate 300 --duration 30s --warmup 0s >/dev/null
      pinned_bench $port --rate "${OVER:-600}" --duration 20s --warmup 0s --seed 5 | grep -E "^  (requests|latency|errors)"
      stop_server' "$(dirname "${BASH_SOURCE[0]}")"
  done
done
