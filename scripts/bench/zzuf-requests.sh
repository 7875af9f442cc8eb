#!/usr/bin/env bash
# An independent corpus of malformed requests: zzuf (Debian package zzuf) flips bits and bytes
# in a handful of valid requests (a POST with Content-Length, a chunked POST, pipelined GETs, an
# Expect: 100-continue), SEEDS variants of each at each ratio, each sent on its own connection to
# a running recops serve. Every answer must be a 1xx-4xx, the 505 Helidon gives to a version it
# does not speak, or a closed connection; never another 5xx. At the end the server must still be
# ready and its own count of 5xx answers unchanged.
#
#   scripts/bench/zzuf-requests.sh [SEEDS]      (default 300 per request and ratio)
set -euo pipefail
seeds=${1:-300}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need zzuf
work=$(mktemp -d /tmp/recops-zzuf.XXXXXX)
port=${BENCH_PORT:-18470}
at_exit 'rm -rf "$work"'
SERVE_OUT="$work/serve.out" SERVE_ERR="$work/serve.err" serve_bg "$port" --no-admin --state-file "$work/state.json"
fives() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^recops_requests_total\{/ && /code="5/ { s += $NF } END { printf "%.0f", s }'; }
before=$(fives)

body='{"query": "gaming chair", "k": 5}'
printf 'POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' "${#body}" "$body" >"$work/length.req"
printf 'POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n' "${#body}" "$body" >"$work/chunked.req"
printf 'GET /v2/health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >"$work/pipelined.req"
printf 'POST /v1/embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 20\r\n\r\n{"texts": ["sofa"]}' >"$work/expect.req"

mkdir -p "$work/corpus"
n=0
for req in "$work"/*.req; do
  for ratio in 0.001 0.01 0.05; do
    for s in $(seq 1 "$seeds"); do
      zzuf -s "$s" -r "$ratio" cat "$req" >"$work/corpus/$(basename "$req" .req)-$ratio-$s"
      n=$((n + 1))
    done
  done
done

python3 - "$port" "$work/corpus" <<'PY'
import os, re, socket, sys, collections
port, corpus = int(sys.argv[1]), sys.argv[2]
seen, bad = collections.Counter(), []
for name in sorted(os.listdir(corpus)):
    data = open(os.path.join(corpus, name), "rb").read()
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(2)
    got = b""
    try:
        s.sendall(data); s.shutdown(socket.SHUT_WR)
        while chunk := s.recv(65536):
            got += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    s.close()
    codes = re.findall(rb"HTTP/1\.1 (\d{3}) ", got) or [b"closed"]
    for c in codes:
        seen[c.decode()] += 1
        if c.startswith(b"5") and c != b"505":
            bad.append(f"{name}: {c.decode()}")
print("answers: " + ", ".join(f"{k} {v}" for k, v in sorted(seen.items())))
if bad:
    print("5xx other than 505: " + "; ".join(bad[:20]))
    sys.exit(3)
PY
after=$(fives)
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/health/ready")
echo "requests: $n zzuf variants of 4 valid requests (ratios 0.001, 0.01, 0.05; $seeds seeds each); 5xx counted by the server: $before -> $after; ready: $ready"
[ "$before" = "$after" ] && [ "$ready" = 200 ] || exit 3
