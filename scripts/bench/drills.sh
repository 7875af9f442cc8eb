#!/usr/bin/env bash
# Runs shipped drills RUNS times each and prints, per run, the verdict, lost requests (by kind),
# time to detect, time for HAProxy to isolate, RTO and the client p99; keeps each drill's last
# journal and report. The load generator never retries, so every lost request is counted.
# Usage: scripts/bench/drills.sh [RUNS] [OUT_DIR] [DRILL.yaml ...]   (needs haproxy)
#   default drill: replica-kill.yaml; 'all' runs every file in scripts/drills/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-5}
out=${2:-$(mktemp -d)}
shift $(( $# < 2 ? $# : 2 ))
drills=("$@")
[ ${#drills[@]} -gt 0 ] || drills=(replica-kill.yaml)
[ "${drills[0]}" != all ] || mapfile -t drills < <(cd "$root/scripts/drills" && ls ./*.yaml | sed 's|^\./||')
dist="$root/cli/target/recops"
[ -x "$dist/bin/recops" ] || "$root/recops" --version >/dev/null
mkdir -p "$out"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(date -u +%Y-%m-%dT%H:%MZ)"
for d in "${drills[@]}"; do
  name=${d%.yaml}
  for i in $(seq 1 "$runs"); do
    rc=0
    "$dist/bin/recops" drill "$root/scripts/drills/$d" --journal "$out/$name.json" --report "$out/$name.md" \
      >/dev/null 2>"$out/$name.log" || rc=$?
    python3 - "$out/$name.json" "$name" "$i" "$rc" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); m = j["measurements"]
f = lambda v: "-" if v is None else f"{v:.3f} s"
kinds = ", ".join(f"{k} {v}" for k, v in m["lost_by_kind"].items())
print(f"{sys.argv[2]} run {sys.argv[3]}: exit {sys.argv[4]} {j['status']}, requests {m['requests']}, lost {m['lost_requests']}"
      f"{' (' + kinds + ')' if kinds else ''}, detect {f(m['time_to_detect_s'])}, isolate {f(m['time_to_isolate_s'])}, "
      f"RTO {f(m['rto_s'])}, p99 {m['p99_ms']:.1f} ms")
PY
  done
done
echo "last journals and reports: $out"
