# shellcheck shell=bash
# Shared by the serve benchmarks: the distribution, the WANDS query list, start/stop a server.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dist="${RECOPS_DIST:-$root/cli/target/recops}" # RECOPS_DIST: a copy, so that a rebuild does not change a long run under it
[ -x "$dist/bin/recops" ] || "$root/recops" --version >/dev/null
need() { # command [Debian package]
  command -v "$1" >/dev/null || { echo "needs $1 (Debian package ${2:-$1})" >&2; exit 4; }
}
recops="$dist/bin/recops"
QUERIES=$(mktemp)
export QUERIES
# WANDS queries: second CSV column (none of them holds a comma inside quotes).
tail -n +2 "$root/testdata/wands/queries.csv" | cut -d, -f2 | tr -d '"' > "$QUERIES"
SERVE_ERR=${SERVE_ERR:-$QUERIES.err} # serve's stderr, shown when it fails to start
SERVE_OUT=${SERVE_OUT:-/dev/null}
server_pid=""
# The WANDS rotation repeats every 480 requests: the serve benchmarks measure the model path with
# the query cache off unless QUERY_CACHE (a size, such as 64MiB) says otherwise.
QUERY_CACHE=${QUERY_CACHE:-0}
exit_hooks=()

serve_bg() { # port, serve args...: recops serve in the background ($server_pid; on CPU $PIN when set), until ready
  local port=$1; shift
  ${PIN:+taskset -c "$PIN"} "$recops" serve --port "$port" "$@" >"$SERVE_OUT" 2>"$SERVE_ERR" &
  server_pid=$!
  wait_ready "$port"
}

start_server() { # port, extra serve args...: the serve benchmarks' settings
  local port=$1; shift
  serve_bg "$port" --admin-port 0 --drain-delay 0s --query-cache "$QUERY_CACHE" "$@"
}

# The server on CPU 1 alone, for measurements whose load generator runs on CPU 0 (pinned_bench).
start_pinned_server() { # port, extra serve args...
  PIN=1 start_server "$@"
}

pinned_bench() { # port, bench args...: open loop, Poisson, WANDS queries, from CPU 0
  local port=$1; shift
  taskset -c 0 "$recops" bench --url "http://127.0.0.1:$port" --queries "$root/testdata/wands/queries.csv" \
    --arrivals poisson --timeout 2s "$@"
}

pinned_setup() { # out_dir: a run with the server on CPU 1 and the generator on CPU 0, its machine noted in OUT/machine.txt
  need taskset util-linux
  [ "$(nproc)" -ge 2 ] || { echo "needs two CPUs: one for the server, one for the load" >&2; exit 4; }
  mkdir -p "$1"
  machine | tee -a "$1/machine.txt"
  echo "server on CPU 1, load generator on CPU 0" | tee -a "$1/machine.txt"
}

warm_pinned() { # port batch workers: the warm-up before a pinned server is measured, not recorded
  # at a capacity search's first rate, then closed loop with every worker's batches full (warmed at less, the first
  # probes met code the JIT had not compiled and shapes not yet seen, and failed rates passed later: docs/performance.md)
  # (a warm-up's verdict is not data: a breach, exit 3, must not end the script)
  pinned_bench "$1" --rate 200 --duration 20s --warmup 0s >/dev/null || true
  taskset -c 0 "$recops" bench --url "http://127.0.0.1:$1" --queries "$root/testdata/wands/queries.csv" --timeout 2s \
    --concurrency $((2 * $2 * $3 > 256 ? 256 : 2 * $2 * $3)) --duration 40s --warmup 0s >/dev/null || true
}

median() { # numbers... -> the middle one (the lower of the two middle ones for an even count)
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

wait_ready() { # port: until serve ($server_pid) answers ready; its stderr and exit 1 if it dies or takes READY_SECONDS (600)
  local until=$((SECONDS + ${READY_SECONDS:-600}))
  while [ "$SECONDS" -lt "$until" ]; do
    curl -sf "http://127.0.0.1:$1/v2/health/ready" >/dev/null 2>&1 && return 0
    [ -z "$server_pid" ] || kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.02
  done
  echo "server did not become ready:" >&2; cat "$SERVE_ERR" >&2; exit 1
}

stop_server() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

at_exit() { # command: run when the script ends, before the server is stopped
  exit_hooks+=("$1")
}

trap 'for h in "${exit_hooks[@]}"; do eval "$h"; done; stop_server; rm -f "$QUERIES" "$QUERIES.err"' EXIT

load() { # port connections seconds -> RESULT line
  need wrk
  wrk -t "$(( $2 < 2 ? 1 : 2 ))" -c "$2" -d "${3}s" --timeout 10s -s "$root/scripts/bench/search.lua" "http://127.0.0.1:$1" | grep '^RESULT'
}

machine() {
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
}
