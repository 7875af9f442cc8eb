#!/usr/bin/env bash
# Dynamic batching, measured in one run over HTTP with wrk (closed loop) and the WANDS queries:
#  - 16 concurrent clients: throughput with --batch-max 16 vs --batch-max 1 (target >= 2x);
#  - 1 client: p50 with batching (--batch-max 16 --batch-delay 2ms) vs without (target <= 1.1x).
# Usage: scripts/bench/batching.sh [SECONDS]   (default 20 per measurement, after a 5 s warm-up)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
secs=${1:-20}
port=18981
machine
for mode in "batch 16:--batch-max 16 --batch-delay 2ms" "batch 1:--batch-max 1"; do
  name=${mode%%:*}; args=${mode#*:}
  # shellcheck disable=SC2086
  start_server "$port" $args
  load "$port" 16 5 >/dev/null
  echo "$name, 16 clients: $(load "$port" 16 "$secs")"
  load "$port" 1 3 >/dev/null
  echo "$name, 1 client:   $(load "$port" 1 "$secs")"
  stop_server
done
