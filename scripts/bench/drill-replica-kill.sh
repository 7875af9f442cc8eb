#!/usr/bin/env bash
# Runs the replica-kill drill (3 replicas behind HAProxy, SIGKILL one under steady load) RUNS
# times and prints, per run, the verdict, lost requests, time to detect, time for HAProxy to
# isolate the replica, RTO and the client p99; keeps the last run's journal and report.
# Usage: scripts/bench/drill-replica-kill.sh [RUNS] [OUT_DIR]   (needs haproxy)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-5}
out=${2:-$(mktemp -d)}
dist="$root/cli/target/recops"
[ -x "$dist/bin/recops" ] || "$root/recops" --version >/dev/null
mkdir -p "$out"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(date -u +%Y-%m-%dT%H:%MZ)"
for i in $(seq 1 "$runs"); do
  rc=0
  "$dist/bin/recops" drill "$root/scripts/drills/replica-kill.yaml" --journal "$out/journal.json" --report "$out/report.md" \
    >/dev/null 2>"$out/drill.log" || rc=$?
  python3 - "$out/journal.json" "$i" "$rc" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); m = j["measurements"]
f = lambda v: "-" if v is None else f"{v:.3f} s"
print(f"run {sys.argv[2]}: exit {sys.argv[3]} {j['status']}, requests {m['requests']}, lost {m['lost_requests']}, "
      f"detect {f(m['time_to_detect_s'])}, isolate {f(m['time_to_isolate_s'])}, RTO {f(m['rto_s'])}, p99 {m['p99_ms']} ms")
PY
done
echo "last journal and report: $out"
