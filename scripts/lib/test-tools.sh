# shellcheck shell=bash
# Sourced by scripts/test. The tools the tests run, as Debian packages, and how they get here.
#
# recops_test_tools TIER (fast|full): returns 0 when every tool TIER needs is on PATH, after
# installing the missing packages with apt-get when run as root; otherwise prints one line naming
# the packages and the command that installs them, and returns 4 (precondition failed).
#
# What uses what:
#   prometheus              promtool checks the metrics exposition and the alerting rules (unit and
#                           command tiers); the drill tests run prometheus with those rules
#   prometheus-alertmanager the drill tests' alert delivery
#   haproxy                 fronts the drill tests' replicas
#   hey                     Go's HTTP client: an independent keep-alive client in the drain test
#   tmux                    types into recops shell as a person does
#   man-db                  renders the shipped man pages

recops_test_missing() { # TIER; prints the missing packages, one a line
  local tier="$1"
  { command -v promtool && command -v prometheus; } >/dev/null 2>&1 || echo prometheus
  [ "$tier" = fast ] && return 0
  command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1 || echo prometheus-alertmanager
  command -v haproxy >/dev/null 2>&1 || echo haproxy
  command -v hey >/dev/null 2>&1 || echo hey
  command -v tmux >/dev/null 2>&1 || echo tmux
  command -v man >/dev/null 2>&1 || echo man-db
}

recops_test_tools() { # TIER
  local tier="$1" missing
  mapfile -t missing < <(recops_test_missing "$tier")
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    local how="sudo apt-get install -y --no-install-recommends ${missing[*]}"
    command -v apt-get >/dev/null 2>&1 || how="your package manager (Debian names: ${missing[*]})"
    echo "scripts/test: the tests run tools from packages not installed here: ${missing[*]}; install them with: $how" >&2
    return 4
  fi
  echo "scripts/test: installing what the tests need: ${missing[*]}" >&2
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    echo "scripts/test: apt-get could not install ${missing[*]}" >&2
    return 4
  fi
  mapfile -t missing < <(recops_test_missing "$tier")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/test: still missing after apt-get: ${missing[*]}" >&2
    return 4
  fi
}
