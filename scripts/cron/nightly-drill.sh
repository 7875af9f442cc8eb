#!/usr/bin/env bash
# Nightly disaster-recovery drills, for cron. Runs every drill in scripts/drills (or those
# given), keeps each journal and report under $RECOPS_DRILL_OUT (default ./drill-results/DATE),
# and exits non-zero when any drill deviated (3) or could not run (1, 2, 4), so that cron
# mails the summary. Example crontab line:
#   30 2 * * *  /opt/recops/scripts/cron/nightly-drill.sh >>/var/log/recops-drill.log 2>&1
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${RECOPS_DRILL_OUT:-./drill-results}/$(date -u +%Y-%m-%dT%H%MZ)
mkdir -p "$out"
drills=("$@")
if [ ${#drills[@]} -eq 0 ]; then
  # the negative examples (-single) are meant to deviate, and the kubernetes- ones act on a
  # cluster with --yes: not part of the nightly set (name them to run them)
  mapfile -t drills < <(ls "$root"/scripts/drills/*.yaml | grep -v -e '-single\.yaml$' -e '/kubernetes-[^/]*$')
fi
worst=0
for d in "${drills[@]}"; do
  name=$(basename "$d" .yaml)
  "$root/recops" drill "$d" --journal "$out/$name.json" --report "$out/$name.md" >"$out/$name.txt" 2>"$out/$name.log"
  rc=$?
  echo "$(date -u +%FT%TZ) $name: exit $rc ($(head -1 "$out/$name.txt" 2>/dev/null))"
  [ "$rc" -gt "$worst" ] && worst=$rc
done
echo "results in $out"
exit "$worst"
