# shellcheck shell=bash
# The PASS/FAIL bookkeeping of the end-to-end scripts. Source it; set $hub_log to the hub's
# server log (its end is shown when something failed).
#   check NAME FUNCTION ARGS...   runs FUNCTION, which sets $why when it fails
#   finish                        prints "N passed, M failed" and exits non-zero on a failure
#   stop_hub PID HUBCTL DATA_DIR  stops a hubd (TERM, then KILL after 15 s) and its embedded
#                                 PostgreSQL, whatever state they are in (for cleanup traps)
#   start_demo_hub HUBD HUBCTL TMP CONFIG_JSON [VAR=VALUE...]
#                                 starts hubd on a free port with its own embedded database in
#                                 TMP/data and the JSON config, waits until it is ready, loads
#                                 `hubctl demo`; sets hubd_pid, port, base, admin, data; on a
#                                 failure sets $why and returns 1
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
start_demo_hub() {
  local hubd=$1 hubctl=$2 tmp=$3 config=$4
  shift 4
  data=$tmp/data
  admin=$(openssl rand -hex 24)
  printf '%s\n' "$config" >"$tmp/hub.json"
  env "$@" HUB_LISTEN=127.0.0.1:0 HUB_DATA_DIR="$data" HUB_BOOTSTRAP_ADMIN_TOKEN="$admin" \
    "$hubd" --config "$tmp/hub.json" >"$tmp/access.log" 2>"$hub_log" &
  hubd_pid=$!
  port=""
  local deadline=$((SECONDS + 90))
  while ((SECONDS < deadline)); do
    port=$(sed -n 's|.*listening on https://[^ ]*:\([0-9][0-9]*\).*|\1|p' "$hub_log" | head -n 1)
    if [[ -n "$port" ]] && curl -sfk -o /dev/null "https://127.0.0.1:$port/readyz"; then break; fi
    kill -0 "$hubd_pid" 2>/dev/null || { why="hubd exited before it was ready"; return 1; }
    sleep 0.2
  done
  ((SECONDS < deadline)) || { why="hubd not ready within 90 s"; return 1; }
  base=https://127.0.0.1:$port
  if ! HUB_URL=$base HUB_TOKEN=$admin "$hubctl" --insecure --data-dir "$data" demo \
    >"$tmp/demo.log" 2>&1; then
    cat "$tmp/demo.log"
    why="hubctl demo failed"
    return 1
  fi
}
