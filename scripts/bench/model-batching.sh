#!/usr/bin/env bash
# The model alone (one ONNX Runtime thread, no server): texts/s at batch 1, and for batches of 16
# WANDS queries run as one call, split by the old fixed length rule, and split by cost (Grouping).
# Shows how much batching can gain before any server overhead. Rounds alternate; the machine is noisy.
# Usage: scripts/bench/model-batching.sh [SECONDS] [ROUNDS] [VERSION]   (defaults 4, 2, 2)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
secs=${1:-4}; rounds=${2:-2}; version=${3:-2}
[ -f "$root/engine/target/test-classes/dev/recops/engine/batch/BatchEfficiency.class" ] || (cd "$root" && ./mvnw -B -q -pl engine test-compile)
. "$root/scripts/lib/find-jdk.sh"
machine
"$(recops_find_jdk)/bin/java" --enable-native-access=ALL-UNNAMED -DOPT_OUT_TRACKING=true \
  -cp "$root/engine/target/test-classes:$dist/lib/*" dev.recops.engine.batch.BatchEfficiency \
  "$dist/models" search-encoder "$version" "$QUERIES" "$secs" "$rounds" 2>/dev/null | grep '^RESULT'
