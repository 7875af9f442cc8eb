#!/usr/bin/env bash
# Dynamic batching, measured in one run over HTTP with wrk (closed loop) and the WANDS queries.
# Two servers run side by side with the default workers and threads (the idle one costs nothing):
# one with --batch-max 16 --batch-delay 2ms, one with --batch-max 1. Their measurements alternate
# for ROUNDS rounds, because this shared machine drifts by 25% within minutes; medians compared.
#  - 16 concurrent clients: throughput, batching vs batch size 1 (target >= 2x);
#  - 1 client: p50 latency, batching vs batch size 1 (target <= 1.1x).
# Usage: scripts/bench/batching.sh [SECONDS] [ROUNDS]   (defaults 10 and 3, after a 5 s warm-up)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need wrk
secs=${1:-10}; rounds=${2:-3}
port_b=18981; port_1=18982
machine
start_server "$port_b" --batch-max 16 --batch-delay 2ms; pid_b=$server_pid
start_server "$port_1" --batch-max 1; pid_1=$server_pid
at_exit 'kill -TERM "$pid_b" "$pid_1" 2>/dev/null; wait 2>/dev/null'
server_pid=""
load "$port_b" 16 5 >/dev/null; load "$port_1" 16 5 >/dev/null
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
rb=(); r1=(); pb=(); p1=()
for r in $(seq 1 "$rounds"); do
  a=$(load "$port_b" 16 "$secs"); b=$(load "$port_1" 16 "$secs")
  echo "round $r, 16 clients, batch 16: $a"
  echo "round $r, 16 clients, batch 1:  $b"
  rb+=("$(field rps <<<"$a")"); r1+=("$(field rps <<<"$b")")
  a=$(load "$port_b" 1 "$secs"); b=$(load "$port_1" 1 "$secs")
  echo "round $r, 1 client, batch 16:   $a"
  echo "round $r, 1 client, batch 1:    $b"
  pb+=("$(field p50_ms <<<"$a")"); p1+=("$(field p50_ms <<<"$b")")
done
mrb=$(median "${rb[@]}"); mr1=$(median "${r1[@]}"); mpb=$(median "${pb[@]}"); mp1=$(median "${p1[@]}")
echo "16 clients, median rps: batch 16 $mrb, batch 1 $mr1, ratio $(awk -v a="$mrb" -v b="$mr1" 'BEGIN{printf "%.2fx", a/b}')"
echo "1 client, median p50 ms: batch 16 $mpb, batch 1 $mp1, ratio $(awk -v a="$mpb" -v b="$mp1" 'BEGIN{printf "%.2fx", a/b}')"
