#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called from traps and check()
# End-to-end check of the spine, as a newcomer would try it: the real hubd with its embedded
# PostgreSQL, probed with curl and openssl. Each check prints PASS or FAIL; the last line is
# "N passed, M failed" and the exit status is non-zero when anything failed.
#
#   usage: bash tests/e2e/spine.sh PATH/TO/hubd PATH/TO/hubctl
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 HUBD HUBCTL" >&2
  exit 2
fi
hubd=$(realpath -- "$1")
hubctl=$(realpath -- "$2")
for bin in "$hubd" "$hubctl"; do
  [[ -x "$bin" ]] || { echo "spine: $bin is not executable" >&2; exit 2; }
done
for tool in curl openssl; do
  command -v "$tool" >/dev/null || { echo "spine: $tool is needed (./scripts/setup)" >&2; exit 2; }
done
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# The embedded database runs as 'postgres' when hubd is root, so the temp dir must be searchable.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hub-e2e.XXXXXX")
chmod 0755 "$tmp"
data=$tmp/data
pgdata=$data/postgres/pgdata
hub_log=$tmp/hubd.log       # hubd's stderr: the server log
access_log=$tmp/access.log  # hubd's stdout: the access log (the default)
hubd_pid=""
control_pid=""

pg_bin=${HUB_TEST_PG_BIN:-}
if [[ -z "$pg_bin" ]]; then
  pg_bin=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null |
    sort -V | tail -n 1 | xargs -r dirname)
fi

# shellcheck source=tests/e2e/checks.bash
source tests/e2e/checks.bash  # (the script cd-ed to the repository root)

cleanup() {
  if [[ -n "$control_pid" ]]; then kill "$control_pid" 2>/dev/null || true; fi
  stop_hub "$hubd_pid" "$hubctl" "$data"
  # This test stops the database behind hubd's back: make sure with pg_ctl too.
  if [[ -f "$pgdata/postmaster.pid" && -n "$pg_bin" ]]; then
    if [[ $(id -u) -eq 0 ]]; then
      (cd / && runuser -u postgres -- "$pg_bin/pg_ctl" stop -D "$pgdata" -m immediate -w) \
        >/dev/null 2>&1 || true
    else
      "$pg_bin/pg_ctl" stop -D "$pgdata" -m immediate -w >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- start ----------------------------------------------------------------------------------

HUB_LISTEN=127.0.0.1:0 HUB_DATA_DIR=$data "$hubd" >"$access_log" 2>"$hub_log" &
hubd_pid=$!

port=""
start_hub() {
  local deadline=$((SECONDS + 90))
  while ((SECONDS < deadline)); do
    port=$(sed -n 's|.*listening on https://[^ ]*:\([0-9][0-9]*\).*|\1|p' "$hub_log" | head -n 1)
    [[ -n "$port" ]] && return 0
    if ! kill -0 "$hubd_pid" 2>/dev/null; then
      why="hubd exited before listening"
      return 1
    fi
    sleep 0.2
  done
  why="no 'listening on https://HOST:PORT' line within 90 s"
  return 1
}
check "hubd starts and logs 'listening on https://127.0.0.1:PORT'" start_hub
[[ -n "$port" ]] || finish

base=https://127.0.0.1:$port
cert=$data/tls/dev-cert.pem

# hub_curl ARGS...: curl verifying the hub's generated certificate; prints the status code.
# The response headers land in $tmp/h, the body in $tmp/b.
hub_curl() {
  curl -sS --cacert "$cert" --max-time 10 -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' "$@" \
    2>"$tmp/curl.err" || true
}
header() { # header NAME: the value of a response header in $tmp/h
  tr -d '\r' <"$tmp/h" | sed -n "s/^$1: *//Ip" | tail -n 1
}
body() { cat "$tmp/b" 2>/dev/null; }
expect_status() { # expect_status WANT GOT
  if [[ "$2" != "$1" ]]; then
    why="status $2, want $1 $(head -c 300 "$tmp/curl.err" 2>/dev/null) $(body | head -c 300)"
    return 1
  fi
}
expect_problem() { # expect_problem CODE-ERE: the last response is problem+json with that code
  local type
  type=$(header Content-Type)
  if [[ "$type" != application/problem+json* ]]; then
    why="content-type '$type', want application/problem+json"
    return 1
  fi
  if ! body | grep -Eq "\"code\" *: *\"($1)\""; then
    why="body has no \"code\":\"$1\": $(body | head -c 300)"
    return 1
  fi
}

# --- basic routes -----------------------------------------------------------------------------

healthz_ok() {
  expect_status 200 "$(hub_curl "$base/healthz")" || return 1
  body | grep -Eq '"status" *: *"ok"' || { why="body: $(body)"; return 1; }
}
check "GET /healthz is 200 {\"status\":\"ok\"}" healthz_ok

readyz_within() { # readyz_within SECONDS WANT-STATUS
  local deadline=$((SECONDS + $1)) got
  while true; do
    got=$(hub_curl "$base/readyz")
    [[ "$got" == "$2" ]] && return 0
    if ((SECONDS >= deadline)); then
      why="still $got after $1 s: $(body | head -c 300)"
      return 1
    fi
    sleep 0.25
  done
}
check "GET /readyz is 200 within 30 s" readyz_within 30 200

db_status_running() {
  local out
  out=$("$hubctl" --data-dir "$data" db status 2>&1) || true
  [[ "$out" == *running* ]] || { why="hubctl db status says: $out"; return 1; }
}
check "hubctl db status says running while the hub runs" db_status_running

request_id_echoed() {
  hub_curl -H 'X-Request-Id: e2e-spine.Req_42' "$base/healthz" >/dev/null
  local got
  got=$(header X-Request-Id)
  [[ "$got" == e2e-spine.Req_42 ]] || { why="X-Request-Id '$got'"; return 1; }
}
check "X-Request-Id is echoed" request_id_echoed

request_id_replaced() {
  hub_curl -H 'X-Request-Id: not valid!' "$base/healthz" >/dev/null
  local got
  got=$(header X-Request-Id)
  if [[ "$got" == "not valid!" || ! "$got" =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then
    why="X-Request-Id '$got'"
    return 1
  fi
}
check "an invalid X-Request-Id is replaced by a generated one" request_id_replaced

# --- TLS --------------------------------------------------------------------------------------

tls_version_ok() { # tls_version_ok -tls1_2 TLSv1.2
  local out
  out=$(openssl s_client -connect "127.0.0.1:$port" -servername localhost "$1" \
    -CAfile "$cert" -verify_return_error </dev/null 2>&1) || {
    why="handshake failed: $(grep -m1 -i error <<<"$out")"
    return 1
  }
  # TLS 1.3 sessions may be printed after s_client has already quit; its "New," line is not.
  grep -Eq "^ *Protocol *: *$2\$|^New, $2, Cipher is [A-Z]" <<<"$out" ||
    { why="s_client did not report $2: $(grep -m1 '^New,' <<<"$out")"; return 1; }
  grep -Eq 'Verify return code: 0 ' <<<"$out" || { why="certificate not verified"; return 1; }
}
check "a TLS 1.2 handshake succeeds (certificate verified)" tls_version_ok -tls1_2 'TLSv1\.2'
check "a TLS 1.3 handshake succeeds (certificate verified)" tls_version_ok -tls1_3 'TLSv1\.3'

# The client must really offer TLS 1.1, or the check below proves nothing: a local openssl
# s_server that speaks only TLS 1.1 has to accept it first.
tls11_client=(openssl s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')
client_offers_tls11() {
  local c=$tmp/control out cport=""
  mkdir -p "$c"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$c/key.pem" \
    -out "$c/cert.pem" -subj /CN=localhost -days 1 >/dev/null 2>&1 || {
    why="cannot make a certificate for the control server"
    return 1
  }
  # s_server stops at the end of its input: give it a fifo that we hold open.
  mkfifo "$c/stdin"
  exec 7<>"$c/stdin"
  openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert "$c/cert.pem" -key "$c/key.pem" \
    -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' <"$c/stdin" >"$c/server.out" 2>&1 &
  control_pid=$!
  for _ in $(seq 1 50); do
    cport=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' "$c/server.out")
    [[ -n "$cport" ]] && break
    sleep 0.1
  done
  if [[ -n "$cport" ]]; then
    out=$("${tls11_client[@]}" -connect "127.0.0.1:$cport" </dev/null 2>&1) || true
  fi
  kill "$control_pid" 2>/dev/null || true
  wait "$control_pid" 2>/dev/null || true
  control_pid=""
  exec 7>&-
  [[ -n "$cport" ]] || { why="control s_server did not start: $(head -c 300 "$c/server.out")"; return 1; }
  if ! grep -Eq '^ *Protocol *: *TLSv1\.1$' <<<"$out" || grep -q 'Cipher is (NONE)' <<<"$out"; then
    why="this openssl cannot negotiate TLS 1.1 even with a TLS 1.1 server: $(grep -m1 -i error <<<"$out")"
    return 1
  fi
}
tls11_refused() {
  client_offers_tls11 || return 1
  local out
  if out=$("${tls11_client[@]}" -connect "127.0.0.1:$port" -servername localhost </dev/null 2>&1) &&
    ! grep -q 'Cipher is (NONE)' <<<"$out"; then
    why="the hub accepted TLS 1.1: $(grep -m1 'Cipher is' <<<"$out")"
    return 1
  fi
  # The refusal must be the server's protocol_version alert (70), not a client-side limit.
  if ! grep -Eqi 'alert protocol version|alert number 70' <<<"$out"; then
    why="refused, but not by a protocol_version alert from the server: $(grep -m1 -i error <<<"$out")"
    return 1
  fi
}
check "a TLS 1.1 handshake is refused by the server (protocol_version alert)" tls11_refused

# --- limits and errors ------------------------------------------------------------------------

header_too_large() {
  local big
  big=$(head -c 9216 /dev/zero | tr '\0' a)
  expect_status 431 "$(hub_curl -H "X-Padding: $big" "$base/healthz")" || return 1
  # API.md's list of codes has no header_too_large: an oversized header is payload_too_large.
  expect_problem 'payload_too_large'
}
check "a 9 KiB header is 431 problem+json (payload_too_large)" header_too_large

payload_too_large() {
  # Only the headers are sent: the hub has to answer from the declared length alone.
  local started=$SECONDS got
  got=$(hub_curl --max-time 5 -X POST -H 'Content-Type: application/json' \
    -H 'Content-Length: 2097152' "$base/v1/e2e-upload")
  expect_status 413 "$got" || { why="$why (after $((SECONDS - started)) s)"; return 1; }
  expect_problem payload_too_large
}
check "a declared 2 MiB body is 413 problem+json (payload_too_large) before the body is sent" \
  payload_too_large

not_found() {
  expect_status 404 "$(hub_curl "$base/no/such/path")" || return 1
  expect_problem not_found
}
check "an unknown path is 404 problem+json (not_found)" not_found

method_not_allowed() {
  expect_status 405 "$(hub_curl -X POST -H 'Content-Type: application/json' -d '{}' "$base/healthz")" ||
    return 1
  expect_problem method_not_allowed || return 1
  local allow
  allow=$(header Allow)
  [[ ",${allow// /}," == *,GET,* ]] || { why="Allow: '$allow'"; return 1; }
}
check "POST /healthz is 405 problem+json (method_not_allowed) with Allow: GET" method_not_allowed

# --- the database goes away and comes back ----------------------------------------------------

db_stop_not_ready() {
  local out
  out=$("$hubctl" --data-dir "$data" db stop 2>&1) || { why="hubctl db stop: $out"; return 1; }
  readyz_within 5 503 || return 1
  expect_problem unavailable || return 1
  expect_status 200 "$(hub_curl "$base/healthz")" || { why="healthz: $why"; return 1; }
}
check "hubctl db stop: /readyz is 503 (unavailable) within 5 s, /healthz stays 200" \
  db_stop_not_ready

db_start_ready() {
  local out
  out=$("$hubctl" --data-dir "$data" db start 2>&1) || { why="hubctl db start: $out"; return 1; }
  readyz_within 15 200 || return 1
  kill -0 "$hubd_pid" 2>/dev/null || { why="hubd (pid $hubd_pid) is gone"; return 1; }
}
check "hubctl db start: /readyz is 200 again within 15 s, same hubd process" db_start_ready

# --- logs -------------------------------------------------------------------------------------

access_log_clean() {
  hub_curl -H 'Authorization: Bearer secret-e2e-token' -H 'X-Request-Id: e2e-auth-1' \
    "$base/healthz" >/dev/null
  hub_curl -H 'Authorization: Bearer secret-e2e-token' "$base/no/such/path" >/dev/null
  # The access log is flushed every second.
  local deadline=$((SECONDS + 5))
  until grep -q '"e2e-auth-1"' "$access_log" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      why="the request with X-Request-Id e2e-auth-1 is not in the access log (stdout)"
      return 1
    fi
    sleep 0.2
  done
  local bad
  if command -v python3 >/dev/null; then
    bad=$(python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        if not isinstance(json.loads(line), dict): raise ValueError
    except ValueError:
        print(n, line.rstrip()[:200]); break
' "$access_log")
  else
    bad=$(grep -nvE '^\{.*\}$' "$access_log" | head -n 1)
  fi
  [[ -z "$bad" ]] || { why="not a JSON object at line $bad"; return 1; }
  if grep -qF secret-e2e-token "$access_log" "$hub_log" "$data"/*.log 2>/dev/null; then
    why="the bearer token appears in a log"
    return 1
  fi
}
check "access log lines are JSON and never hold the Authorization value" access_log_clean

# --- configuration ----------------------------------------------------------------------------

bad_config_key() {
  local cfg=$tmp/bad-config.json rc=0 err
  echo '{"database":{"urll":"x"}}' >"$cfg"
  mkdir -p "$tmp/bad-config-data"
  err=$(HUB_LISTEN=127.0.0.1:0 HUB_DATA_DIR=$tmp/bad-config-data \
    timeout 20 "$hubd" --config "$cfg" 2>&1 >/dev/null) || rc=$?
  if ((rc == 0 || rc == 124)); then
    why="exit status $rc"
    return 1
  fi
  [[ "$err" == *database.urll* ]] || { why="stderr does not name database.urll: $err"; return 1; }
}
check "hubd --config with an unknown key exits non-zero naming 'database.urll'" bad_config_key

# --- stop -------------------------------------------------------------------------------------

sigterm_stops() {
  kill -TERM "$hubd_pid"
  local deadline=$((SECONDS + 15)) rc=0
  while kill -0 "$hubd_pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      why="hubd still running 15 s after SIGTERM"
      return 1
    fi
    sleep 0.1
  done
  wait "$hubd_pid" || rc=$?
  hubd_pid=""
  ((rc == 0)) || { why="hubd exited with status $rc"; return 1; }
  local out
  out=$("$hubctl" --data-dir "$data" db status 2>&1) || true
  [[ "$out" == *stopped* ]] || { why="hubctl db status says: $out"; return 1; }
  if [[ -f "$pgdata/postmaster.pid" ]]; then
    why="hubctl says stopped but $pgdata/postmaster.pid is still there"
    return 1
  fi
}
check "SIGTERM: hubd exits 0 within 15 s and its embedded PostgreSQL is stopped" sigterm_stops

finish
