#!/usr/bin/env bash
# Interface-service calls through hubd against nginx reverse-proxying the same upstream (issue 17).
# The upstream is a third server, nginx answering GET /enterprises/{code} with a fixed 300-byte
# JSON object over HTTPS. In the same run:
#  (a) wrk -c64 against nginx proxy_pass to the upstream (upstream keepalive, HTTPS both sides);
#  (b) wrk -c64 against hubd's GET /api/v1/services/{code}/call/enterprise?uscc=..., as a
#      granted consumer's system; the hub calls the upstream over HTTPS keep-alive, filters and
#      masks the answer and commits its ledger entry before answering;
#      target: (b) at least 0.6x (a)'s request rate;
#  (c) at half of (b)'s rate, paced, p99 latency through the hub and directly against the
#      upstream (and, for information, through nginx); target: the hub adds under 5 ms of p99.
# A benchmark: it exits 0 whatever the figures are, non-zero only when a tool failed.
#
# Where things run (2 cores): the server under test on SERVER_CPU (0): hubd with HUB_THREADS=1
# and its embedded PostgreSQL (which inherits hubd's affinity: the durable ledger is part of what
# a call costs), or the proxy nginx (1 worker). The upstream nginx (1 worker) on UPSTREAM_CPU,
# by default LOAD_CPU (1) with wrk: each request costs the upstream the same whichever server
# forwards it, and on the server's core it would take that core's time from the server under
# test and pull the ratio towards 1. The script prints what the load core used (wrk + upstream)
# to show it was not the bottleneck.
#
# Settings (environment):
#   DURATION=15      seconds of each measured wrk run
#   WARMUP=3         seconds of the unmeasured wrk run before each server's first measurement
#   CONNECTIONS=64   wrk connections (wrk -c), one wrk thread, in every phase
#   REPS=3           measured runs per server and phase, interleaved
#   UPSTREAM_CPU=$LOAD_CPU   the upstream nginx's core
#   PROFILE=0        1: afterwards, perf record (flat, 10 s) the server core while wrk drives the
#                    hub, then the nginx proxy, and print the top processes, objects and symbols
#   HUBD=build/hubd  the binary under test
#   QUIET_WAIT=300 QUIET_PERCENT=10 DIRTY_PERCENT=5 ATTEMPTS=4
#                    as in healthz_vs_nginx.sh: wait for an idle machine before each measured
#                    run; a run during which other work used more than DIRTY_PERCENT % of a core
#                    is shown, discarded and repeated, up to ATTEMPTS runs in all
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
REPS="${REPS:-3}"
UPSTREAM_CPU="${UPSTREAM_CPU:-$LOAD_CPU}"
PROFILE="${PROFILE:-0}"
ATTEMPTS="${ATTEMPTS:-4}"
DIRTY_PERCENT="${DIRTY_PERCENT:-5}"
TARGET_RATIO=0.6
TARGET_ADDED_P99_MS=5
LUA="$BENCH_DIR/gateway_call.lua"

ensure_tools nginx wrk python3 openssl curl taskset
[[ "$PROFILE" == 1 ]] && ensure_tools perf

make_tmp TMP
snapshot_hubd "$TMP"
make_ca_and_cert "$TMP/tls"

# The upstream's answer: 300 bytes of JSON; the consumer is granted some members (one masked),
# not registered_capital, and internal_note is no response item at all.
BODY='{"uscc":"91440101MA5CXXXX1X","name":"广州市示例科技有限公司","legal_representative":"张三","legal_representative_id":"440106199001011234","registered_capital":1000000.5,"status":"存续","established":"2015-06-18","address":"广州市天河区示例路1号","internal_note":"not shared"}'
[[ $(printf '%s' "$BODY" | wc -c) -eq 300 ]] || die "the upstream's answer is not 300 bytes"
PURPOSE="$(python3 -c 'import urllib.parse; print(urllib.parse.quote("税收征管中核实纳税人登记信息"))')"

# ---------------------------------------------------------------------------------------------
# Servers

TLS_LINES="ssl_certificate $TMP/tls/cert.pem;
    ssl_certificate_key $TMP/tls/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;"

UP_PORT="$(free_port)"
nginx_start_conf "$TMP/upstream" "$UPSTREAM_CPU" "$UP_PORT" "
  server {
    listen 127.0.0.1:$UP_PORT ssl;
    $TLS_LINES
    location /enterprises/ { return 200 '$BODY'; }
    location / { return 404; }
  }"
UP_WORKER="$NGX_WORKER"

# nginx as the reverse proxy: the hub's settings where nginx has them (verifies the upstream's
# certificate against the same CA and name, keeps up to 64 connections to it).
PX_PORT="$(free_port)"
nginx_start_conf "$TMP/proxy" "$SERVER_CPU" "$PX_PORT" "
  upstream enterprise_api {
    server 127.0.0.1:$UP_PORT;
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$PX_PORT ssl;
    $TLS_LINES
    location /enterprises/ {
      proxy_pass https://enterprise_api;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate $TMP/tls/ca.pem;
      proxy_ssl_name localhost;
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
    }
  }"
PX_WORKER="$NGX_WORKER"

# hubd: one I/O thread, the same certificate as the proxy, access log off (as nginx's), rate
# limits out of the way, the upstream allowed by name and port (which also allows loopback).
HUB_DATA="$TMP/hub"
mkdir -p "$HUB_DATA"
chmod 755 "$HUB_DATA"
ADMIN_TOKEN="bench-admin-token-$(openssl rand -hex 16)"
cat >"$HUB_DATA/config.json" <<JSON
{"log": {"access_log": false},
 "services": {"allowed_hosts": ["localhost:$UP_PORT"]},
 "auth": {"rate_limits": {"hub_admin": {"per_second": 10000000, "burst": 10000000},
                          "agency_data_officer": {"per_second": 10000000, "burst": 10000000},
                          "agency_system": {"per_second": 10000000, "burst": 10000000}}}}
JSON
HUB_THREADS=1 HUB_BOOTSTRAP_ADMIN_TOKEN="$ADMIN_TOKEN" HUB_TLS_CERT="$TMP/tls/cert.pem" \
  HUB_TLS_KEY="$TMP/tls/key.pem" hub_start "$HUB_DATA" "$HUB_DATA/config.json"
for ((i = 0; i < 300; i++)); do
  curl -skf -o /dev/null "https://127.0.0.1:$HUB_PORT/readyz" && break
  sleep 0.2
done

# The embedded PostgreSQL's postmaster (daemonised by pg_ctl, on hubd's core: it inherited the
# affinity).
PG_PID="$(head -1 "$HUB_DATA/postgres/pgdata/postmaster.pid" 2>/dev/null || true)"
if [[ -z "$PG_PID" ]] || ! kill -0 "$PG_PID" 2>/dev/null; then
  die "no embedded PostgreSQL found under $HUB_DATA"
fi
log "embedded PostgreSQL postmaster $PG_PID, $(taskset -cp "$PG_PID" | sed 's/.*: /CPU /')"

# The service, registered and published by the admin; the tax bureau applies (unconditional:
# granted at once) and its system calls. Prints "CODE SYSTEM_TOKEN".
read -r SERVICE CONSUMER_TOKEN < <(python3 - "$HUB_PORT" "$ADMIN_TOKEN" "$UP_PORT" \
  "$TMP/tls/ca.pem" <<'PY'
import datetime, os, sys
port, admin, up_port, ca_file = sys.argv[1:5]
sys.path.insert(0, os.environ["BENCH_DIR"])
from hub_api import client
api = client(port)
market, tax = "114401009P0Y2GG12L", "11440100XYDWCM5T1B"
api("POST", "/api/v1/agencies", admin, {"code": market, "name": "广州市市场监督管理局", "level": "city"})
api("POST", "/api/v1/agencies", admin, {"code": tax, "name": "国家税务总局广州市税务局", "level": "city"})
def principal(agency, name, role, kind):
    p = api("POST", "/api/v1/principals", admin,
            {"agency_code": agency, "name": name, "kind": kind, "roles": [role]})
    return api("POST", f"/api/v1/principals/{p['id']}/tokens", admin, {})["token"]
officer = principal(tax, "sw-officer", "agency_data_officer", "user")
system = principal(tax, "sw-system", "agency_system", "system")
item = lambda name, title, type_="string", sensitivity="public", mask=None: dict(
    {"name": name, "title": title, "type": type_, "sensitivity": sensitivity},
    **({"mask": mask} if mask else {}))
doc = {"kind": "service", "name": "企业基本信息查询", "summary": "按统一社会信用代码查询企业登记的基本信息（接口服务）",
       "provider_code": market, "category": "basic", "format": "JSON", "share_type": "unconditional",
       "upstream": {"base_url": f"https://localhost:{up_port}", "timeout_ms": 5000,
                    "ca_pem": open(ca_file).read()},
       "operations": [{"id": "enterprise", "title": "企业基本信息", "method": "GET",
                       "path": "/enterprises/{uscc}",
                       "params": [{"name": "uscc", "in": "path", "type": "string", "required": True}],
                       "response_items": [
                           item("uscc", "统一社会信用代码"), item("name", "企业名称"),
                           item("legal_representative", "法定代表人", sensitivity="sensitive", mask="name"),
                           item("legal_representative_id", "法定代表人身份证号", sensitivity="sensitive",
                                mask="id_number"),
                           item("registered_capital", "注册资本", "number", "internal"),
                           item("status", "登记状态"), item("established", "成立日期"),
                           item("address", "住所")]}]}
code = api("POST", "/api/v1/resources", admin, doc)["code"]
api("POST", f"/api/v1/resources/{code}/publish", admin)
until = (datetime.date.today() + datetime.timedelta(days=180)).isoformat()
app = api("POST", "/api/v1/applications", officer,
          {"resource_code": code, "operations": ["enterprise"],
           "items": ["uscc", "name", "legal_representative", "legal_representative_id", "status",
                     "established", "address"],
           "clear_items": ["legal_representative_id"],
           "purpose": "税收征管中核实纳税人登记信息", "valid_until": until})
if not app.get("grant_id"):
    sys.exit(f"the application was not granted at once: {app}")
print(code, system)
PY
)
[[ -n "${CONSUMER_TOKEN:-}" ]] || die "could not set up the service through the API"

HUB_PATH="/api/v1/services/$SERVICE/call/enterprise?uscc=%s"
NGINX_PATH="/enterprises/%s"
# One call each way, checked: the proxy passes the 300 bytes; the hub answers the granted members
# only, legal_representative masked.
probe() {  # probe PORT PATH: the body of one GET as the consumer's system
  curl -sk --fail-with-body -H "Authorization: Bearer $CONSUMER_TOKEN" -H "X-Purpose: $PURPOSE" \
    "https://127.0.0.1:$1${2//%s/91440101MA5CXXXX1X}"
}
[[ "$(probe "$PX_PORT" "$NGINX_PATH")" == "$BODY" ]] || die "the nginx proxy did not pass the upstream's answer"
HUB_ANSWER="$(probe "$HUB_PORT" "$HUB_PATH")" || die "the hub's call failed: $HUB_ANSWER"
python3 -c '
import json, sys
a = json.loads(sys.argv[1])
want = {"uscc", "name", "legal_representative", "legal_representative_id", "status", "established", "address"}
assert set(a) == want, sorted(a)
assert a["legal_representative"] != "张三", a
' "$HUB_ANSWER" || die "unexpected answer from the hub: $HUB_ANSWER"
log "hub answers $(printf '%s' "$HUB_ANSWER" | wc -c) bytes: $HUB_ANSWER"

# ---------------------------------------------------------------------------------------------
# wrk

# to_ms VALUE: wrk's "950.00us", "1.20ms" or "1.02s" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else { sub(/s$/, "", v); printf "%.3f", v * 1000 } }'
}

# run_wrk PORT PATH RATE SERVER_PID DB_PID UPSTREAM_PID SECONDS OUT: wrk -t1 on LOAD_CPU with
# gateway_call.lua (RATE 0: as fast as it goes); writes its output to OUT and to stdout
# "rps p50_ms p99_ms srv% db% up% wrk% other% errors late req_per_cpu_s". CPU figures are percent of
# one core over the wall time of the run: srv% is the server under test, all its threads, plus
# the process tree of DB_PID if given (hubd's embedded PostgreSQL: pg_ctl daemonises the
# postmaster, so it is no child of hubd), which db% shows alone; up% the upstream nginx worker
# ("-" when it is the server under test); wrk% from wrk's rusage; other% whatever else the
# machine ran meanwhile. req_per_cpu_s is the rate divided by srv%.
run_wrk() {
  local port="$1" path="$2" rate="$3" spid="$4" dpid="$5" upid="$6" seconds="$7" out="$8"
  local t0 o0 u0=0 u1=0 b0 b1 t1 o1 times rc=0
  o0="$(cpu_ticks "$spid")"
  t0="$o0"
  [[ -n "$dpid" ]] && t0=$((t0 + $(tree_cpu_ticks "$dpid")))
  [[ -n "$upid" ]] && u0="$(cpu_ticks "$upid")"
  b0="$(busy_ticks)"
  times="$( { TIMEFORMAT='%R %U %S'; time GW_PATH="$path" GW_RATE="$rate" GW_TOKEN="$CONSUMER_TOKEN" \
    GW_PURPOSE="$PURPOSE" timeout $((seconds + 30)) taskset -c "$LOAD_CPU" \
    wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --latency -s "$LUA" "https://127.0.0.1:$port" \
    >"$out" 2>&1; } 2>&1 )" || rc=$?
  b1="$(busy_ticks)"
  o1="$(cpu_ticks "$spid")"
  t1="$o1"
  [[ -n "$dpid" ]] && t1=$((t1 + $(tree_cpu_ticks "$dpid")))
  [[ -n "$upid" ]] && u1="$(cpu_ticks "$upid")"
  [[ $rc -eq 0 ]] || { cat "$out" >&2; die "wrk failed on port $port (exit $rc)"; }
  cat "$out" >>"$out.all"  # every attempt, for the count of answered calls
  local rps p50 p99 errors non2xx late
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  [[ -n "$rps" ]] || { cat "$out" >&2; die "no Requests/sec in wrk output"; }
  p50="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
  p99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
  errors="$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' "$out")"
  errors=$((${errors:-0} + ${non2xx:-0}))
  late="$(awk '/^gateway_call:/ {print $NF}' "$out")"
  awk -v rps="$rps" -v p50="$p50" -v p99="$p99" -v t="$((t1 - t0))" -v o="$((o1 - o0))" \
    -v u="$((u1 - u0))" -v hasup="${upid:+1}" -v b="$((b1 - b0))" -v hz="$CLK_TCK" -v e="$errors" \
    -v late="${late:-0}" -v tm="$times" 'BEGIN {
      split(tm, a, " ")
      srv = 100 * t / hz / a[1]; db = 100 * (t - o) / hz / a[1]; up = 100 * u / hz / a[1]
      wrk = 100 * (a[2] + a[3]) / a[1]
      other = 100 * b / hz / a[1] - srv - up - wrk; if (other < 0) other = 0
      printf "%.0f %.3f %.3f %.0f %.0f %s %.0f %.0f %d %d %.0f\n", rps, p50, p99, srv, db,
        hasup ? sprintf("%.0f", up) : "-", wrk, other, e, late, (srv > 0) ? rps * 100 / srv : 0 }'
}

HEADER_FMT='%-4s %-7s %8s %7s %7s %5s %4s %4s %5s %6s %6s %5s %10s  %s\n'
header() {
  # shellcheck disable=SC2059
  printf "$HEADER_FMT" run server req/s p50_ms p99_ms srv% db% up% wrk% other% errors late \
    req/cpu-s ""
}

# measure RUN NAME PORT PATH RATE SERVER_PID DB_PID UPSTREAM_PID OUT: one measured run, printed as a
# table row; sets M_LINE to run_wrk's figures. A run during which other work used more than
# DIRTY_PERCENT of a core is printed, marked and done again (up to ATTEMPTS runs; the last counts).
M_LINE=""
measure() {
  local run="$1" name="$2" port="$3" path="$4" rate="$5" spid="$6" dpid="$7" upid="$8" out="$9"
  local attempt
  local rps p50 p99 srv db up wrk other err late eff note
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    wait_quiet
    M_LINE="$(run_wrk "$port" "$path" "$rate" "$spid" "$dpid" "$upid" "$DURATION" "$out")"
    read -r rps p50 p99 srv db up wrk other err late eff <<<"$M_LINE"
    note=""
    if ((other > DIRTY_PERCENT)); then
      if ((attempt < ATTEMPTS)); then note="other work ran: discarded, repeated"
      else note="other work ran: kept (last attempt)"; fi
    fi
    # shellcheck disable=SC2059
    printf "$HEADER_FMT" "$run" "$name" "$rps" "$p50" "$p99" "$srv" "$db" "$up" "$wrk" "$other" \
      "$err" "$late" "$eff" "$note"
    ((other > DIRTY_PERCENT)) || break
  done
  kill -0 "$spid" 2>/dev/null || die "$name died during the run"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
us_per_req() { awk -v eff="$1" 'BEGIN {printf "%.1f", (eff > 0) ? 1e6 / eff : 0}'; }

# ---------------------------------------------------------------------------------------------

echo "== interface-service calls: hubd vs nginx proxy_pass, same HTTPS upstream =="
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)   tree: $(TZ=UTC git -C "$REPO_DIR" log -1 --format='%h, committed %cd' \
  --date=format-local:%H:%M 2>/dev/null || echo '?')   hubd built $(TZ=UTC date -r "$HUBD_ORIG" +%Y-%m-%dT%H:%MZ)"
if [[ "$(stat -c %Y "$HUBD_ORIG")" -lt "$(git -C "$REPO_DIR" log -1 --format=%ct 2>/dev/null || echo 0)" ]]; then
  echo "note: the binary is older than the last commit; it may not be what the tree holds"
fi
machine_info
echo "nginx: $(nginx -v 2>&1 | sed 's/.*nginx\///')   wrk: $(wrk -v 2>&1 | head -1 | awk '{print $2}')" \
  "  openssl: $(openssl version | awk '{print $2}')   hubd: $("$HUBD" --version | awk '{print $2}')" \
  "($HUBD_ORIG, sha256 $HUBD_SHA)"
echo "server under test on CPU $SERVER_CPU (hubd HUB_THREADS=1 with its PostgreSQL, or nginx 1 worker);" \
  "upstream nginx (1 worker) on CPU $UPSTREAM_CPU; wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency on CPU $LOAD_CPU;" \
  "warm-up ${WARMUP}s; $REPS runs per server and phase, interleaved"
echo "upstream answer: 300 bytes of JSON; the hub's answer: $(printf '%s' "$HUB_ANSWER" | wc -c) bytes" \
  "(granted members only, one masked); access log off on hub and proxy"
echo

run_wrk "$PX_PORT" "$NGINX_PATH" 0 "$PX_WORKER" "" "$UP_WORKER" "$WARMUP" "$TMP/warm-nginx.txt" >/dev/null
run_wrk "$HUB_PORT" "$HUB_PATH" 0 "$HUB_PID" "$PG_PID" "$UP_WORKER" "$WARMUP" "$TMP/warm-hub.txt" >/dev/null

# --- (a) and (b): request rate ---------------------------------------------------------------
echo "-- request rate, $CONNECTIONS connections, unpaced --"
header
n_rps=() h_rps=() n_p99=() h_p99=() n_eff=() h_eff=() h_db=() up_load=() rates=()
for ((r = 1; r <= REPS; r++)); do
  measure "$r" nginx "$PX_PORT" "$NGINX_PATH" 0 "$PX_WORKER" "" "$UP_WORKER" "$TMP/rate-nginx-$r.txt"
  read -r rps _ p99 _ _ up wrk _ _ _ eff <<<"$M_LINE"
  n_rps+=("$rps") n_p99+=("$p99") n_eff+=("$eff") up_load+=("$((up + wrk))")
  measure "$r" hub "$HUB_PORT" "$HUB_PATH" 0 "$HUB_PID" "$PG_PID" "$UP_WORKER" "$TMP/rate-hub-$r.txt"
  read -r rps _ p99 srv db _ _ _ _ _ eff <<<"$M_LINE"
  h_rps+=("$rps") h_p99+=("$p99") h_eff+=("$eff") h_db+=("$(awk -v d="$db" -v s="$srv" 'BEGIN {printf "%.3f", (s > 0) ? d / s : 0}')")
  rates+=("$(ratio "${h_rps[-1]}" "${n_rps[-1]}")")
done
m_n="$(median "${n_rps[@]}")"
m_h="$(median "${h_rps[@]}")"
RATIO="$(ratio "$m_h" "$m_n")"
RATE_VERDICT="$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN {print (r >= t) ? "meets" : "MISSES"}')"
echo "median  nginx proxy $(printf '%.0f' "$m_n") req/s (p99 $(median "${n_p99[@]}") ms)," \
  "hub $(printf '%.0f' "$m_h") req/s (p99 $(median "${h_p99[@]}") ms)"
echo "ratio hub/nginx of the medians: $RATIO (per run: ${rates[*]}): $RATE_VERDICT the target of >= ${TARGET_RATIO}x"
m_neff="$(median "${n_eff[@]}")" m_heff="$(median "${h_eff[@]}")" m_dbshare="$(median "${h_db[@]}")"
echo "server CPU per request, medians: nginx proxy $(us_per_req "$m_neff") us; hub $(us_per_req "$m_heff") us" \
  "(hubd $(awk -v e="$m_heff" -v s="$m_dbshare" 'BEGIN {printf "%.1f", 1e6 / e * (1 - s)}') us," \
  "its PostgreSQL $(awk -v e="$m_heff" -v s="$m_dbshare" 'BEGIN {printf "%.1f", 1e6 / e * s}') us)"
echo "load core (wrk + upstream) during the nginx runs: ${up_load[*]} % of a core"
echo

# --- (c): p99 at half the hub's rate -----------------------------------------------------------
HALF="$(awk -v r="$m_h" 'BEGIN {printf "%.0f", r / 2}')"
echo "-- latency at half the hub's rate: $HALF req/s, paced, $CONNECTIONS connections --"
header
d_p99=() hh_p99=() nh_p99=() d_p50=() hh_p50=() added=() hh_rps=()
for ((r = 1; r <= REPS; r++)); do
  measure "$r" direct "$UP_PORT" "$NGINX_PATH" "$HALF" "$UP_WORKER" "" "" "$TMP/half-direct-$r.txt"
  read -r _ p50 p99 _ <<<"$M_LINE"
  d_p99+=("$p99") d_p50+=("$p50")
  measure "$r" hub "$HUB_PORT" "$HUB_PATH" "$HALF" "$HUB_PID" "$PG_PID" "$UP_WORKER" "$TMP/half-hub-$r.txt"
  read -r rps p50 p99 _ <<<"$M_LINE"
  hh_p99+=("$p99") hh_p50+=("$p50") hh_rps+=("$rps")
  added+=("$(awk -v h="$p99" -v d="${d_p99[-1]}" 'BEGIN {printf "%.3f", h - d}')")
  measure "$r" nginx "$PX_PORT" "$NGINX_PATH" "$HALF" "$PX_WORKER" "" "$UP_WORKER" "$TMP/half-nginx-$r.txt"
  read -r _ _ p99 _ <<<"$M_LINE"
  nh_p99+=("$p99")
done
ADDED="$(awk -v h="$(median "${hh_p99[@]}")" -v d="$(median "${d_p99[@]}")" 'BEGIN {printf "%.3f", h - d}')"
P99_VERDICT="$(awk -v a="$ADDED" -v t="$TARGET_ADDED_P99_MS" 'BEGIN {print (a < t) ? "meets" : "MISSES"}')"
echo "median p99: direct $(median "${d_p99[@]}") ms, through the hub $(median "${hh_p99[@]}") ms" \
  "(at $(printf '%.0f' "$(median "${hh_rps[@]}")") req/s), through nginx $(median "${nh_p99[@]}") ms;" \
  "p50: direct $(median "${d_p50[@]}") ms, hub $(median "${hh_p50[@]}") ms"
echo "added p99 (hub - direct) of the medians: $ADDED ms (per run: ${added[*]}):" \
  "$P99_VERDICT the target of < ${TARGET_ADDED_P99_MS} ms"
echo

# --- the ledger: every answered call has its entry, committed with fsync on --------------------
sock="$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$HUB_DATA/postgres/pgdata/hub.conf" 2>/dev/null || true)"
if [[ -n "$sock" ]] && command -v runuser >/dev/null; then
  psql_hub() { runuser -u postgres -- psql -qtA -h "$sock" -d hub -c "$1" 2>/dev/null || echo "?"; }
  answered="$(cat "$TMP"/warm-hub.txt.all "$TMP"/rate-hub-*.txt.all "$TMP"/half-hub-*.txt.all |
    awk '/requests in/ {n += $1} END {print n}')"
  echo "ledger: $(psql_hub "SELECT count(*) FROM ledger_entries WHERE operation = 'call'") call entries" \
    "for $answered calls answered to wrk (plus the probe; a call cut off at the end of a run has its" \
    "entry but no counted answer); fsync=$(psql_hub 'SHOW fsync')," \
    "synchronous_commit=$(psql_hub 'SHOW synchronous_commit')"
fi
problems="$(grep -E '^[0-9TZ:.-]+ (warning|error|critical) ' "$HUB_DATA/hubd.err" | grep -v 'no console files' || true)"
if [[ -n "$problems" ]]; then
  echo "hubd logged $(wc -l <<<"$problems") warnings or errors; the first:"
  head -5 <<<"$problems"
fi

# --- optional profile ------------------------------------------------------------------------
# The whole server core (so hubd, its PostgreSQL and the kernel's work for them), sampled while
# wrk drives each server unpaced.
if [[ "$PROFILE" == 1 ]]; then
  for who in hub nginx; do
    if [[ $who == hub ]]; then port="$HUB_PORT" path="$HUB_PATH"
    else port="$PX_PORT" path="$NGINX_PATH"; fi
    wait_quiet
    (GW_PATH="$path" GW_TOKEN="$CONSUMER_TOKEN" GW_PURPOSE="$PURPOSE" taskset -c "$LOAD_CPU" \
      wrk -t1 -c"$CONNECTIONS" -d14s -s "$LUA" "https://127.0.0.1:$port" >/dev/null 2>&1) &
    wrk_pid=$!
    sleep 2
    perf record -q -F 1999 -C "$SERVER_CPU" -o "$TMP/perf-$who.data" -- sleep 10 >/dev/null 2>&1
    wait "$wrk_pid" || true
    echo "-- perf, CPU $SERVER_CPU while wrk drives the $who: processes and objects --"
    perf report -q -i "$TMP/perf-$who.data" --sort comm,dso --stdio 2>/dev/null | grep -v '^$' | head -16 || true
    echo "-- perf, CPU $SERVER_CPU while wrk drives the $who: symbols --"
    perf report -q -i "$TMP/perf-$who.data" --sort comm,dso,sym --stdio 2>/dev/null | grep -v '^$' | head -40 || true
    echo
  done
fi

echo "== summary =="
echo "(a) nginx proxy_pass $(printf '%.0f' "$m_n") req/s, (b) hub $(printf '%.0f' "$m_h") req/s:" \
  "ratio $RATIO ($RATE_VERDICT the ${TARGET_RATIO}x target)"
echo "(c) at $HALF req/s asked: p99 direct $(median "${d_p99[@]}") ms, hub $(median "${hh_p99[@]}") ms," \
  "added $ADDED ms ($P99_VERDICT the < ${TARGET_ADDED_P99_MS} ms target)"
exit 0
