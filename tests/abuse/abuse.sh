#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called from traps
# The abuse test (docs/security.md): the real hubd (the test build, with AddressSanitizer and
# UndefinedBehaviorSanitizer), its embedded PostgreSQL, the demo loaded; then hub_abuse throws
# everything of API.md Part 2's "hostile clients" at it at once while a normal client reads.
# Passes when every check of hub_abuse passes, the hub is the same process at the end, still
# answers, and its log holds no sanitizer report and no internal error.
#
#   usage: bash tests/abuse/abuse.sh HUBD HUBCTL HUB_ABUSE
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 HUBD HUBCTL HUB_ABUSE" >&2
  exit 2
fi
hubd=$(realpath -- "$1")
hubctl=$(realpath -- "$2")
abuse=$(realpath -- "$3")
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hub-abuse.XXXXXX")
chmod 0755 "$tmp"
data=$tmp/data
hub_log=$tmp/hubd.log
hubd_pid=""
# shellcheck source=tests/e2e/checks.bash
source tests/e2e/checks.bash
cleanup() {
  stop_hub "$hubd_pid" "$hubctl" "$data"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Defaults throughout, but for the idle timeout: a slowloris client is dropped after 10 s
# rather than 60 s, so the run stays short.
if ! start_demo_hub "$hubd" "$hubctl" "$tmp" '{"limits": {"idle_timeout_ms": 10000}}'; then
  tail -n 25 "$hub_log"
  echo "FAIL  $why"
  exit 1
fi

rc=0
timeout 300 "$abuse" 127.0.0.1 "$port" "$admin" "$data/demo-tokens.json" || rc=$?

same_process() {
  kill -0 "$hubd_pid" 2>/dev/null || { why="hubd $hubd_pid is gone"; return 1; }
  [[ "$(curl -sk -o /dev/null -w '%{http_code}' "$base/healthz")" == 200 ]] ||
    { why="/healthz does not answer 200"; return 1; }
}
clean_log() {
  local found
  found=$(grep -E "AddressSanitizer|UndefinedBehaviorSanitizer|runtime error|LeakSanitizer|internal error|terminate called" \
    "$hub_log" | head -n 3 || true)
  [[ -z "$found" ]] || { why="$found"; return 1; }
}
check "the hub is the same process and still answers" same_process
check "the hub's log has no sanitizer report or internal error" clean_log
if ((rc != 0)); then
  failed=$((failed + 1))
  echo "FAIL  hub_abuse (exit status $rc)"
fi
finish
