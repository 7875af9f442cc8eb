#!/usr/bin/env bash
# Throughput at 16 clients over HTTP for combinations of inference workers, ONNX Runtime
# threads and batch size, to choose the defaults for a 2-core machine.
# Usage: scripts/bench/sweep-workers.sh [SECONDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
secs=${1:-10}
port=18983
machine
for cfg in "1 1 16" "1 2 16" "2 1 16" "1 1 1" "1 2 1" "2 1 1"; do
  read -r w t b <<<"$cfg"
  start_server "$port" --workers "$w" --threads "$t" --batch-max "$b" --batch-delay 2ms
  load "$port" 16 4 >/dev/null
  echo "workers=$w threads=$t batch-max=$b, 16 clients: $(load "$port" 16 "$secs")"
  stop_server
done
