#!/usr/bin/env bash
# What the catalog snapshot saves at start-up: a synthetic catalog of N products (default 10^6,
# `recops catalog generate`), its snapshot written once, then ROUNDS rounds (default 3) of one cold
# JVM parsing the file and one reading the snapshot back (which includes hashing the file), the
# order alternating between rounds so drift on a shared machine shows. Prints each measurement.
#
#   scripts/bench/catalog-snapshot.sh [N] [ROUNDS] [OUT_DIR]
set -euo pipefail
n=${1:-1000000}
rounds=${2:-3}
out=${3:-$(mktemp -d /tmp/recops-snapshot.XXXXXX)}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
java_bin=$(. "$dist/bin/find-jdk.sh"; recops_find_jdk)/bin/java
mkdir -p "$out"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $("$java_bin" -version 2>&1 | head -1), $(date -u +%Y-%m-%dT%H:%MZ)"
[ -s "$out/catalog.jsonl" ] || "$dist/bin/recops" catalog generate "$n" --out "$out/catalog.jsonl" >/dev/null
echo "catalog: $(du -m "$out/catalog.jsonl" | cut -f1) MiB, $n products"
time_once() { (cd "$root" && "$java_bin" -cp "$dist/lib/*" scripts/bench/CatalogLoadTime.java "$out/catalog.jsonl" "$out/snapshots" "$1"); }
time_once snapshot >/dev/null # writes the snapshot
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then time_once parse; time_once snapshot; else time_once snapshot; time_once parse; fi
done
