# shellcheck shell=bash
# The PASS/FAIL bookkeeping of the end-to-end scripts. Source it; set $hub_log to the hub's
# server log (its end is shown when something failed).
#   check NAME FUNCTION ARGS...   runs FUNCTION, which sets $why when it fails
#   finish                        prints "N passed, M failed" and exits non-zero on a failure
passed=0
failed=0
why=""
check() {
  local name=$1
  shift
  why=""
  if "$@"; then
    echo "PASS  $name"
    passed=$((passed + 1))
  else
    echo "FAIL  $name${why:+: $why}"
    failed=$((failed + 1))
  fi
}
finish() {
  echo "$passed passed, $failed failed"
  if ((failed > 0)); then
    echo "--- end of the hub's log ($hub_log):"
    tail -n 25 "$hub_log" 2>/dev/null | sed 's/^/  /'
    exit 1
  fi
  exit 0
}
