# shellcheck shell=bash
# Shared by the serve benchmarks: the distribution, the WANDS query list, start/stop a server.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dist="${RECOPS_DIST:-$root/cli/target/recops}" # RECOPS_DIST: a copy, so that a rebuild does not change a long run under it
[ -x "$dist/bin/recops" ] || "$root/recops" --version >/dev/null
command -v wrk >/dev/null || { echo "needs wrk (Debian package wrk)" >&2; exit 4; }
QUERIES=$(mktemp)
export QUERIES
# WANDS queries: second CSV column (none of them holds a comma inside quotes).
tail -n +2 "$root/testdata/wands/queries.csv" | cut -d, -f2 | tr -d '"' > "$QUERIES"
server_pid=""
# The WANDS rotation repeats every 480 requests: the serve benchmarks measure the model path with
# the query cache off unless QUERY_CACHE (a size, such as 64MiB) says otherwise.
QUERY_CACHE=${QUERY_CACHE:-0}

start_server() { # port, extra serve args...
  local port=$1; shift
  "$dist/bin/recops" serve --port "$port" --admin-port 0 --drain-delay 0s --query-cache "$QUERY_CACHE" "$@" >/dev/null 2>"$QUERIES.err" &
  server_pid=$!
  wait_ready "$port"
}

# The server on CPU 1 alone, for measurements whose load generator runs on CPU 0 (pinned_bench).
start_pinned_server() { # port, extra serve args...
  local port=$1; shift
  taskset -c 1 "$dist/bin/recops" serve --port "$port" --admin-port 0 --drain-delay 0s --query-cache "$QUERY_CACHE" "$@" >/dev/null 2>"$QUERIES.err" &
  server_pid=$!
  wait_ready "$port"
}

pinned_bench() { # port, bench args...: open loop, Poisson, WANDS queries, from CPU 0
  local port=$1; shift
  taskset -c 0 "$dist/bin/recops" bench --url "http://127.0.0.1:$port" --queries "$root/testdata/wands/queries.csv" \
    --arrivals poisson --timeout 2s "$@"
}

median() { # numbers... -> the middle one (the lower of the two middle ones for an even count)
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

wait_ready() { # port
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$1/v2/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not become ready:" >&2; cat "$QUERIES.err" >&2; exit 1
}

stop_server() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=""
# The WANDS rotation repeats every 480 requests: the serve benchmarks measure the model path with
# the query cache off unless QUERY_CACHE (a size, such as 64MiB) says otherwise.
QUERY_CACHE=${QUERY_CACHE:-0}
}

trap 'stop_server; rm -f "$QUERIES" "$QUERIES.err"' EXIT

load() { # port connections seconds -> RESULT line
  wrk -t "$(( $2 < 2 ? 1 : 2 ))" -c "$2" -d "${3}s" --timeout 10s -s "$root/scripts/bench/search.lua" "http://127.0.0.1:$1" | grep '^RESULT'
}

machine() {
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
}
