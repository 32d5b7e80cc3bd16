# shellcheck shell=bash
# The PASS/FAIL bookkeeping of the end-to-end scripts. Source it; set $hub_log to the hub's
# server log (its end is shown when something failed).
#   check NAME FUNCTION ARGS...   runs FUNCTION, which sets $why when it fails
#   finish                        prints "N passed, M failed" and exits non-zero on a failure
#   stop_hub PID HUBCTL DATA_DIR  stops a hubd (TERM, then KILL after 15 s) and its embedded
#                                 PostgreSQL, whatever state they are in (for cleanup traps)
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
stop_hub() {
  local pid=$1 hubctl=$2 data=$3
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  # The embedded database must not outlive the test, whatever happened to hubd.
  if [[ -f "$data/postgres/pgdata/postmaster.pid" ]]; then
    "$hubctl" --data-dir "$data" db stop >/dev/null 2>&1 || true
  fi
}
