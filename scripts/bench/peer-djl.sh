#!/usr/bin/env bash
# Issue 19's comparison with DJL Serving 0.36 (the peer kit in ../shared/peers/djl-serving: build it
# with its build.sh and put bge-small's model.onnx and tokenizer.json in $PEER_DIR/models/bge first).
# One run, servers alternating, ROUNDS rounds; each server alone on the machine: started, 5 s of
# warm-up (16 clients), 15 s of 16 keep-alive clients, 8 s of 1 client (wrk, closed loop), RSS, the
# CPU wrk took, recops' query cache hit ratio (from /metrics), stopped. Both servers do the same
# work per request: one text to one vector (recops: /v1/embed; DJL: /predictions/bge).
#
# Usage, from the repository root: scripts/bench/peer-djl.sh OUT_DIR
# Env: ORDER      rotation: the WANDS queries in turn (the kit's workload; repeats every 480
#                 requests, so recops runs with --query-cache 0 unless OURS_ARGS says otherwise)
#                 zipf: 200,000 requests drawn Zipf(ZIPF_EXPONENT, default 1.1) over the WANDS and
#                 ESCI queries (rank = a fixed shuffle of them), the query cache on
#      SERVERS    default "djl0 djl2 ours": djlN is DJL with max_batch_delay N ms
#      WRK_THREADS (2, as the kit: wrk's threads for the 16 clients; on two shared cores its two
#      threads and the server's contend, which puts a tail of tens of ms on any fast server: 1 shows it),
#      ROUNDS (3), OURS_ARGS (extra recops serve arguments), KIT (../shared/peers/djl-serving),
#      PEER_DIR (as the kit's), DJL_PORT (18090), OURS_PORT (18080)
set -euo pipefail
OUT=${1:?usage: scripts/bench/peer-djl.sh OUT_DIR}
ORDER=${ORDER:-rotation}; ROUNDS=${ROUNDS:-3}; WRK_THREADS=${WRK_THREADS:-2}; SERVERS=${SERVERS:-djl0 djl2 ours}
KIT=${KIT:-$(cd "$(dirname "$0")/../../../shared/peers/djl-serving" 2>/dev/null && pwd || true)}
DJL_PORT=${DJL_PORT:-18090}; OURS_PORT=${OURS_PORT:-18080}
[ -x ./recops ] || { echo "run from the recops repository root" >&2; exit 4; }
[ -n "$KIT" ] && [ -x "$KIT/start.sh" ] || { echo "the DJL kit is not at ${KIT:-../shared/peers/djl-serving}: set KIT" >&2; exit 4; }
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 4; }
case $ORDER in
  rotation) OURS_ARGS=${OURS_ARGS---query-cache 0} ;;
  zipf) OURS_ARGS=${OURS_ARGS-} ;;
  *) echo "ORDER must be rotation or zipf" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
python3 - "$ORDER" "${ZIPF_EXPONENT:-1.1}" "$OUT" <<'PY'
import csv, json, random, sys, bisect
order, s, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
def queries(path):
    return [r["query"].strip() for r in csv.DictReader(open(path, encoding="utf-8")) if r["query"].strip()]
wands = queries("testdata/wands/queries.csv")
if order == "rotation":
    picked = wands
else:
    pool = list(dict.fromkeys(wands + queries("testdata/esci/queries.csv")))
    rng = random.Random(19)
    rng.shuffle(pool)
    cdf, total = [], 0.0
    for rank in range(1, len(pool) + 1):
        total += rank ** -s
        cdf.append(total)
    picked = [pool[min(len(pool) - 1, bisect.bisect_left(cdf, rng.random() * total))] for _ in range(200_000)]
    distinct = len(set(picked))
    print(f"zipf {s} over {len(pool)} queries: {len(picked)} requests, {distinct} distinct", file=sys.stderr)
with open(out + "/djl.bodies", "w") as f:
    for q in picked: f.write(json.dumps({"inputs": q}) + "\n")
with open(out + "/ours.bodies", "w") as f:
    for q in picked: f.write(json.dumps({"texts": [q]}) + "\n")
PY
PID=""
cleanup() { [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null && { kill -TERM "$PID"; sleep 3; kill -KILL "$PID" 2>/dev/null || true; }; }
trap cleanup EXIT
for port in $DJL_PORT $OURS_PORT; do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then echo "port $port busy" >&2; exit 4; fi
done
start_server() { # setting round -> PID, URL, BODIES, METRICS
  case $1 in
    djl*) DJL_MAX_BATCH_DELAY=${1#djl} "$KIT/start.sh" "$DJL_PORT" >"$OUT/$1.$2.log" 2>&1 & PID=$!
          URL=http://127.0.0.1:$DJL_PORT/predictions/bge; READY=http://127.0.0.1:$DJL_PORT/ping; BODIES=$OUT/djl.bodies; METRICS="" ;;
    ours) ./recops serve --port "$OURS_PORT" --no-admin $OURS_ARGS >"$OUT/$1.$2.log" 2>&1 & PID=$!
          URL=http://127.0.0.1:$OURS_PORT/v1/embed; READY=http://127.0.0.1:$OURS_PORT/v2/health/ready; BODIES=$OUT/ours.bodies
          METRICS=http://127.0.0.1:$OURS_PORT/metrics ;;
  esac
  for _ in $(seq 1 180); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$READY" || true)" = 200 ] && return 0
    kill -0 "$PID" 2>/dev/null || { echo "$1 died; see $OUT/$1.$2.log" >&2; exit 1; }
    sleep 1
  done
  echo "$1 not ready after 180 s" >&2; exit 1
}
stop_server() {
  kill -TERM "$PID"; for _ in $(seq 1 30); do kill -0 "$PID" 2>/dev/null || break; sleep 1; done
  kill -KILL "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""
}
java_pid() { local p=$1; [ "$(cat /proc/$p/comm)" = java ] && { echo "$p"; return; }; pgrep -P "$p" java | head -1; }
# wrk's RESULT line, and the CPU seconds wrk itself used (user + system) as the last field
runwrk() {
  BODIES=$BODIES /usr/bin/time -f "WRKCPU %U %S" wrk -t"$1" -c"$2" -d"$3" -s "$KIT/rotate.lua" "$URL" >"$OUT/wrk.tmp" 2>&1 || true
  cat "$OUT/wrk.tmp" >>"$OUT/wrk.log"
  echo "$(grep '^RESULT' "$OUT/wrk.tmp") cpu_s=$(awk '/^WRKCPU/{print $2 + $3}' "$OUT/wrk.tmp")"
}
field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$2"; }
hits() { # recops' query cache hits and lookups so far
  [ -n "$METRICS" ] || { echo "0 0"; return; }
  curl -s "$METRICS" | awk '/^recops_query_cache_requests_total/ { n += $2; if ($0 ~ /result="hit"/) h += $2 } END { print h + 0, n + 0 }'
}
{ echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), order=$ORDER rounds=$ROUNDS wrk_threads=$WRK_THREADS ours_args='$OURS_ARGS'"; } >"$OUT/results.tsv"
echo -e "round\tserver\trps\tp50_ms\tp99_ms\terrors\tp50_1c_ms\trss_mib\twrk_cpu_s\twall_s\thit_ratio" >>"$OUT/results.tsv"
for r in $(seq 1 "$ROUNDS"); do
  for s in $SERVERS; do
    start_server "$s" "$r"
    echo "== round $r $s ($URL)" >>"$OUT/wrk.log"
    runwrk "$WRK_THREADS" 16 5s >/dev/null
    read -r h0 n0 < <(hits)
    R16=$(runwrk "$WRK_THREADS" 16 15s)
    read -r h1 n1 < <(hits)
    R1=$(runwrk 1 1 8s)
    JP=$(java_pid "$PID"); RSS=$(awk '/VmRSS/{printf "%.0f", $2/1024}' /proc/"$JP"/status)
    stop_server
    ratio=$(awk -v h=$((h1 - h0)) -v n=$((n1 - n0)) 'BEGIN { print (n > 0 ? h / n : "") }')
    line="$r\t$s\t$(field rps "$R16")\t$(field p50_ms "$R16")\t$(field p99_ms "$R16")\t$(( $(field errors "$R16") + $(field errors "$R1") ))"
    line="$line\t$(field p50_ms "$R1")\t$RSS\t$(field cpu_s "$R16")\t$(field duration_s "$R16")\t$ratio"
    echo -e "$line" | tee -a "$OUT/results.tsv"
    sleep 2
  done
done
python3 - "$OUT/results.tsv" <<'PY'
import csv, statistics, sys
lines = [l for l in open(sys.argv[1]) if not l.startswith("#")]
rows = list(csv.DictReader(lines, delimiter="\t"))
servers = list(dict.fromkeys(r["server"] for r in rows))
cols = ["rps", "p50_ms", "p99_ms", "p50_1c_ms", "rss_mib", "errors", "wrk_cpu_s", "wall_s"]
med = {s: {c: statistics.median(float(r[c]) for r in rows if r["server"] == s) for c in cols} for s in servers}
for s in servers:
    hr = [float(r["hit_ratio"]) for r in rows if r["server"] == s and r["hit_ratio"]]
    med[s]["hit"] = statistics.median(hr) if hr else None
print(f"\nmedians over {len(rows) // len(servers)} rounds (16 clients closed loop 15 s after 5 s warm-up; 1 client 8 s)")
print(f"{'':7}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}{'1c p50':>9}{'RSS MiB':>9}{'errors':>8}{'wrk CPU':>9}{'hits':>7}")
for s in servers:
    m = med[s]
    cpu = m["wrk_cpu_s"] / m["wall_s"] if m["wall_s"] else 0
    hit = f"{100 * m['hit']:.0f}%" if m["hit"] is not None else "-"
    print(f"{s:7}{m['rps']:9.1f}{m['p50_ms']:9.2f}{m['p99_ms']:9.2f}{m['p50_1c_ms']:9.2f}{m['rss_mib']:9.0f}{m['errors']:8.0f}{cpu:8.2f}c{hit:>7}")
djls = [s for s in servers if s.startswith("djl")]
if "ours" in med and djls:
    best = max(djls, key=lambda s: med[s]["rps"])
    fastest1 = min(djls, key=lambda s: med[s]["p50_1c_ms"])
    o, b = med["ours"], med[best]
    print(f"\nours / DJL at its best ({best} by throughput): throughput {o['rps'] / b['rps']:.2f}x, p99 {o['p99_ms'] / b['p99_ms']:.2f}x; "
          f"1-client p50 {o['p50_1c_ms'] / med[fastest1]['p50_1c_ms']:.2f}x of {fastest1}'s")
PY
echo "raw: $OUT/results.tsv, $OUT/wrk.log, server logs in $OUT"
