#!/usr/bin/env bash
# Runs shipped drills RUNS times each and prints, per run, the verdict, lost requests (by kind),
# the system's time to detect and what detected it, each source's own time from the fault
# (balancer, readiness poll, alert pending / firing / notified, probe), RTO and the client p99;
# keeps each drill's last journal and report. The load generator never retries, so every lost
# request is counted.
# Usage: scripts/bench/drills.sh [RUNS] [OUT_DIR] [DRILL.yaml ...]   (needs haproxy)
#   default drill: replica-kill.yaml; 'all' runs every file in scripts/drills/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=${1:-5}
out=${2:-$(mktemp -d)}
shift $(( $# < 2 ? $# : 2 ))
drills=("$@")
[ ${#drills[@]} -gt 0 ] || drills=(replica-kill.yaml)
[ "${drills[0]}" != all ] || mapfile -t drills < <(cd "$root/scripts/drills" && ls ./*.yaml | sed 's|^\./||')
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
by = {s["by"]: s["after_s"] for s in m.get("detection", [])}
sources = ", ".join(f"{k} {f(by.get(k))}" for k in ("balancer", "readiness", "alert_pending", "alert_firing", "alert_notified", "probe"))
print(f"{sys.argv[2]} run {sys.argv[3]}: exit {sys.argv[4]} {j['status']}, requests {m['requests']}, lost {m['lost_requests']}"
      f"{' (' + kinds + ')' if kinds else ''}, detect {f(m['time_to_detect_s'])}"
      f" ({m['detected_by'] or 'not by the system'}), RTO {f(m['rto_s'])}, p99 {m['p99_ms']:.1f} ms; by source: {sources}")
PY
  done
done
echo "last journals and reports: $out"
