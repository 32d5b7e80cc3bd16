# shellcheck shell=bash
# shellcheck disable=SC2034  # HUBD_SHA, NGINX_PORT... are set here for the sourcing scripts
# Shared helpers for the benchmark scripts in bench/. Source it; do not run it.
#
# Everything here talks to 127.0.0.1 only. Processes are started by these helpers, remembered
# by PID and stopped by PID (never by name) when the calling script exits.

set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export BENCH_DIR  # also for bench/hub_api.py
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
HUBD="${HUBD:-$REPO_DIR/build/hubd}"

# Cores: the server gets SERVER_CPU, the load tool LOAD_CPU (a 2-core machine has 0 and 1).
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# Tools

# Debian package that provides a command.
_package_for() {
  case "$1" in
    nginx) echo nginx ;;
    wrk) echo wrk ;;
    h2load) echo nghttp2-client ;;
    python3) echo python3 ;;
    openssl) echo openssl ;;
    curl) echo curl ;;
    taskset) echo util-linux ;;
    ss) echo iproute2 ;;
    perf) echo linux-perf ;;
    *) echo "$1" ;;
  esac
}

# ensure_tools CMD...: installs the Debian package of every missing command with apt-get.
ensure_tools() {
  local missing=() cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$(_package_for "$cmd")")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]}: install them (apt-get install ${missing[*]})"
  log "installing ${missing[*]} with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd still missing after installing its package"
  done
}

# ---------------------------------------------------------------------------------------------
# Cleanup: temp dirs and started processes, stopped in reverse order on exit.

_CLEANUP=()
# Temp dirs to remove at exit, one per line. A file rather than an array, so that dirs made in a
# subshell (dir=$(make_tmp)) are removed too.
_TMP_LIST="$(mktemp /tmp/hub-bench-dirs.XXXXXX)"
_on_exit() {
  local i d
  for ((i = ${#_CLEANUP[@]} - 1; i >= 0; i--)); do
    eval "${_CLEANUP[$i]}" || true
  done
  if [[ -f "$_TMP_LIST" ]]; then
    while IFS= read -r d; do
      [[ "$d" == /tmp/hub-bench.* ]] && rm -rf "$d"
    done <"$_TMP_LIST"
    rm -f "$_TMP_LIST"
  fi
}
trap _on_exit EXIT
trap 'exit 130' INT TERM
at_exit() { _CLEANUP+=("$1"); }

# make_tmp [VAR]: creates a fresh directory under /tmp that others may traverse (the embedded
# PostgreSQL runs as the 'postgres' user when we are root), stores its path in VAR or prints it,
# and removes it on exit (after the servers are stopped) unless KEEP_TMP=1.
make_tmp() {
  local d
  d="$(mktemp -d /tmp/hub-bench.XXXXXX)"
  chmod 755 "$d"
  if [[ "${KEEP_TMP:-0}" != 1 ]]; then echo "$d" >>"$_TMP_LIST"; fi
  if [[ $# -ge 1 ]]; then printf -v "$1" '%s' "$d"; else echo "$d"; fi
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# pin CPU CMD...: runs CMD on that CPU only.
pin() {
  local cpu="$1"; shift
  taskset -c "$cpu" "$@"
}

# ---------------------------------------------------------------------------------------------
# Process figures

# rss_kb PID: resident set (VmRSS) in kB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# pss_kb PID: proportional set (shared pages divided among their users) in kB.
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

# cpu_ticks PID: user+system clock ticks used so far by the whole process (all its threads).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
CLK_TCK="$(getconf CLK_TCK)"

# children PID: direct child PIDs.
children() {
  local pid="$1"
  if [[ -r "/proc/$pid/task/$pid/children" ]]; then
    cat "/proc/$pid/task/$pid/children"
  else
    ps -o pid= --ppid "$pid"
  fi
}

# busy_ticks: clock ticks all CPUs spent on anything but idle and iowait (from /proc/stat).
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# busy_percent SECONDS: how busy the machine is, in percent of one core, over SECONDS.
busy_percent() {
  local b0 b1
  b0="$(busy_ticks)"
  sleep "$1"
  b1="$(busy_ticks)"
  awk -v b="$((b1 - b0))" -v hz="$CLK_TCK" -v s="$1" 'BEGIN {printf "%.0f", 100 * b / hz / s}'
}

# wait_quiet: waits (at most QUIET_WAIT seconds, default 300) until the
# machine is nearly idle (under QUIET_PERCENT, default 10, percent of one core over 2 s), since a
# compile or test run next to a benchmark on 2 cores skews it. Warns and goes on if it never is.
wait_quiet() {
  local max="${QUIET_WAIT:-300}" limit="${QUIET_PERCENT:-10}" waited=0 busy
  while true; do
    busy="$(busy_percent 2)"
    ((busy < limit)) && return 0
    if ((waited >= max)); then
      log "warning: the machine is still ${busy}% busy with other work after ${max}s; measuring anyway"
      return 0
    fi
    ((waited == 0)) && log "the machine is ${busy}% busy with other work: waiting up to ${max}s"
    sleep 3
    waited=$((waited + 5))
  done
}

# kb_to_mb KB: megabytes (MiB) with one decimal.
kb_to_mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# ---------------------------------------------------------------------------------------------
# hubd

# snapshot_hubd DIR: copies the hubd under test into DIR and uses that copy, so that a rebuild of
# build/ during a long run cannot swap binaries half-way. Sets HUBD_SHA (its sha256, 12 digits).
HUBD_ORIG="$HUBD"
HUBD_SHA=""
snapshot_hubd() {
  [[ -x "$HUBD" ]] || die "no hubd binary at $HUBD (build it, or set HUBD=...)"
  cp "$HUBD" "$1/hubd"
  chmod 755 "$1/hubd"
  HUBD="$1/hubd"
  HUBD_SHA="$(sha256sum "$HUBD" | cut -c1-12)"
}

HUB_PID=""
HUB_PORT=""
HUB_DIR=""

# hub_start DATA_DIR [CONFIG_FILE]: starts hubd pinned to SERVER_CPU with its embedded PostgreSQL
# under DATA_DIR (created if missing), and waits until /healthz answers. Extra environment: set HUB_* variables before
# calling (HUB_THREADS, HUB_ACCESS_LOG_FILE, HUB_TLS_CERT/KEY...). Sets HUB_PID and HUB_PORT.
hub_start() {
  local dir="$1" config="${2:-}"
  [[ -x "$HUBD" ]] || die "no hubd binary at $HUBD (build it, or set HUBD=...)"
  mkdir -p "$dir"
  chmod 755 "$dir"
  HUB_DIR="$dir"
  local args=()
  [[ -n "$config" ]] && args=(--config "$config")
  HUB_LISTEN=127.0.0.1:0 HUB_DATA_DIR="$dir" \
    taskset -c "$SERVER_CPU" "$HUBD" "${args[@]}" >"$dir/hubd.out" 2>"$dir/hubd.err" &
  HUB_PID=$!
  at_exit "hub_stop"
  local i
  for ((i = 0; i < 600; i++)); do  # up to 60 s: initdb on a cold data dir takes a few seconds
    if ! kill -0 "$HUB_PID" 2>/dev/null; then
      cat "$dir/hubd.err" >&2
      die "hubd exited during start"
    fi
    HUB_PORT="$(grep -o 'listening on https://127\.0\.0\.1:[0-9]*' "$dir/hubd.err" 2>/dev/null \
      | grep -o '[0-9]*$' | head -1 || true)"
    if [[ -n "$HUB_PORT" ]] && curl -skf -o /dev/null "https://127.0.0.1:$HUB_PORT/healthz"; then
      log "hubd pid $HUB_PID listening on 127.0.0.1:$HUB_PORT (data dir $dir)"
      return 0
    fi
    sleep 0.1
  done
  die "hubd did not answer /healthz within 60 s (see $dir/hubd.err)"
}

# hub_start_loaded DIR: a hubd for load tests in DIR/hub, on both cores (its work is database
# work, and PostgreSQL shares them), with the access log off and rate limits out of the way; a
# hub_admin with a fresh token ($token, also in DIR/admin-token); returns once it is ready.
hub_start_loaded() {
  local dir="$1"
  token="bench-admin-token-$(openssl rand -hex 16)"
  cat >"$dir/config.json" <<JSON
{"log": {"access_log": false},
 "auth": {"rate_limits": {"hub_admin": {"per_second": 10000000, "burst": 10000000},
                          "agency_system": {"per_second": 10000000, "burst": 10000000}}}}
JSON
  echo -n "$token" >"$dir/admin-token"
  HUB_BOOTSTRAP_ADMIN_TOKEN=$token SERVER_CPU=0,1 hub_start "$dir/hub" "$dir/config.json"
  until curl -skf -o /dev/null "https://127.0.0.1:$HUB_PORT/readyz"; do sleep 0.2; done
}

# wait_sealed SIZE: waits until the hub's latest signed checkpoint covers SIZE entries (the
# hub of hub_start_loaded, with $token); sets $size to the checkpoint's tree size.
wait_sealed() {
  until size=$(curl -skf -H "Authorization: Bearer $token" \
    "https://127.0.0.1:$HUB_PORT/api/v1/ledger/checkpoint" | sed -n 2p) && ((size >= $1)); do
    sleep 2
  done
}

# hub_stop: SIGTERM, then waits for hubd to exit (it stops its embedded PostgreSQL first).
hub_stop() {
  [[ -n "$HUB_PID" ]] || return 0
  local pid="$HUB_PID"
  HUB_PID=""
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "hubd pid $pid still running 60 s after SIGTERM: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  # A killed hubd leaves its embedded PostgreSQL behind: stop that one too.
  local pgdata="$HUB_DIR/postgres/pgdata"
  if [[ -f "$pgdata/postmaster.pid" ]]; then
    local pm
    pm="$(head -1 "$pgdata/postmaster.pid")"
    if [[ -n "$pm" ]] && kill -0 "$pm" 2>/dev/null; then
      log "embedded PostgreSQL pid $pm still running: stopping it"
      kill -INT "$pm" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do kill -0 "$pm" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
}

# hub_pg_pids: PIDs of the embedded PostgreSQL (postmaster and its children).
hub_pg_pids() {
  local pidfile="$HUB_DIR/postgres/pgdata/postmaster.pid"
  [[ -f "$pidfile" ]] || return 0
  local pm
  pm="$(head -1 "$pidfile")"
  kill -0 "$pm" 2>/dev/null || return 0
  echo "$pm"
  children "$pm" | tr ' ' '\n' | grep -E '^[0-9]+$' || true
}

# ---------------------------------------------------------------------------------------------
# nginx

NGINX_PID=""
NGINX_PORT=""
NGINX_WORKER=""

# nginx_start DIR ACCESS_LOG: starts nginx (master + 1 worker, both on SERVER_CPU) with its
# files under DIR, serving DIR/www over HTTPS on a free 127.0.0.1 port with DIR/tls/cert.pem and
# key.pem, keep-alive on. ACCESS_LOG "off", or "on" for one JSON line per request (the fields of
# hubd's access log) to a buffered file (64 KiB, flushed every second). Sets NGINX_PID,
# NGINX_PORT and NGINX_WORKER (the worker's PID).
nginx_start() {
  local dir="$1" mode="$2" port conf="$1/nginx/nginx.conf" user_line="" log_line
  mkdir -p "$dir/nginx"
  port="$(free_port)"
  [[ $(id -u) -eq 0 ]] && user_line="user nobody nogroup;"
  if [[ "$mode" == on ]]; then
    : >"$dir/nginx/access.log"
    log_line="access_log $dir/nginx/access.log hubjson buffer=64k flush=1s;"
  else
    log_line="access_log off;"
  fi
  cat >"$conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes 1;
worker_cpu_affinity $(python3 -c "print(format(1 << $SERVER_CPU, 'b'))");
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events {
  worker_connections 4096;
}
http {
  types {}
  default_type application/json;
  client_body_temp_path $dir/nginx/body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  log_format hubjson escape=json
    '{"ts":"\$time_iso8601","method":"\$request_method","path":"\$uri","status":\$status,'
    '"bytes":\$body_bytes_sent,"us":"\$request_time","request_id":"\$request_id",'
    '"remote":"\$remote_addr"}';
  $log_line
  keepalive_timeout 65s;
  # nginx closes a keep-alive connection after 1000 requests by default; hubd never does.
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $dir/tls/cert.pem;
    ssl_certificate_key $dir/tls/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers off;
    root $dir/www;
    location / { }
  }
}
EOF
  taskset -c "$SERVER_CPU" nginx -p "$dir/nginx" -c "$conf" &
  NGINX_PID=$!
  at_exit "nginx_stop"
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$dir/nginx/error.log" >&2; die "nginx exited"; }
    if curl -skf -o /dev/null "https://127.0.0.1:$port/healthz"; then
      NGINX_PORT="$port"
      NGINX_WORKER="$(children "$NGINX_PID" | awk '{print $1}')"
      [[ -n "$NGINX_WORKER" ]] || die "no nginx worker process"
      log "nginx master $NGINX_PID worker $NGINX_WORKER on 127.0.0.1:$port (access log $mode)"
      return 0
    fi
    sleep 0.1
  done
  die "nginx did not answer within 10 s"
}
nginx_stop() {
  [[ -n "$NGINX_PID" ]] || return 0
  local pid="$NGINX_PID"
  NGINX_PID=""
  kill -QUIT "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# TLS material

# make_ecdsa_cert DIR: DIR/cert.pem and DIR/key.pem, a self-signed ECDSA P-256 certificate for
# localhost / 127.0.0.1.
make_ecdsa_cert() {
  local dir="$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  chmod 644 "$dir/cert.pem"
  chmod 600 "$dir/key.pem"
}

# ---------------------------------------------------------------------------------------------
# Statistics

# median NUMBER...: the median (the mean of the two middle values for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# machine_info: what the figures were taken on.
machine_info() {
  echo "nproc: $(nproc)"
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Hypervisor|L2|L3)' | sed 's/  */ /g'
  echo "kernel: $(uname -r)"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
}

# ---------------------------------------------------------------------------------------------
# More servers and figures (gateway_vs_nginx.sh)

# make_ca_and_cert DIR: a private CA (DIR/ca.pem, DIR/ca-key.pem) and a server certificate it
# signed for localhost / 127.0.0.1 (DIR/cert.pem, DIR/key.pem), all ECDSA P-256, for servers that
# a client verifies against that CA rather than trusting a self-signed certificate.
make_ca_and_cert() {
  local dir="$1"
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=hub-bench CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=localhost" -keyout "$dir/key.pem" -out "$dir/cert.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$dir/cert.ext"
  openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
    -CAcreateserial -days 30 -extfile "$dir/cert.ext" -out "$dir/cert.pem" 2>/dev/null
  chmod 644 "$dir/ca.pem" "$dir/cert.pem"
  chmod 600 "$dir/ca-key.pem" "$dir/key.pem"
}

# tree_cpu_ticks PID: clock ticks used so far by PID and all its descendants (hubd and its
# embedded PostgreSQL, say), including those of children they have already reaped.
tree_cpu_ticks() {
  local pid="$1" total=0 child t
  t="$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)"
  total=$((total + t))
  for child in $(children "$pid" 2>/dev/null); do
    total=$((total + $(tree_cpu_ticks "$child")))
  done
  echo "$total"
}

# nginx_start_conf DIR CPU PORT HTTP_BODY: another nginx (master + 1 worker, both on CPU), with
# its files under DIR and HTTP_BODY (server and upstream blocks, nginx syntax) inside the same
# http {} settings as nginx_start's (access log off, keep-alive, keepalive_requests 10^8). Waits
# until 127.0.0.1:PORT answers HTTPS with any status. Sets NGX_PID and NGX_WORKER; the instance
# is stopped at exit (or earlier with nginx_stop_pid NGX_PID). Several may run at once.
NGX_PID=""
NGX_WORKER=""
nginx_start_conf() {
  local dir="$1" cpu="$2" port="$3" body="$4" conf="$1/nginx.conf" user_line=""
  mkdir -p "$dir"
  chmod 755 "$dir"
  [[ $(id -u) -eq 0 ]] && user_line="user nobody nogroup;"
  cat >"$conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes 1;
worker_cpu_affinity $(python3 -c "print(format(1 << $cpu, 'b'))");
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections 4096;
}
http {
  types {}
  default_type application/json;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  access_log off;
  keepalive_timeout 65s;
  keepalive_requests 100000000;
$body
}
EOF
  nginx -t -p "$dir" -c "$conf" 2>"$dir/nginx-t.log" || { cat "$dir/nginx-t.log" >&2; die "bad nginx config $conf"; }
  taskset -c "$cpu" nginx -p "$dir" -c "$conf" &
  NGX_PID=$!
  at_exit "nginx_stop_pid $NGX_PID"
  local i code
  for ((i = 0; i < 100; i++)); do
    kill -0 "$NGX_PID" 2>/dev/null || { cat "$dir/error.log" >&2; die "nginx exited"; }
    code="$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/" || true)"
    if [[ -n "$code" && "$code" != 000 ]]; then
      NGX_WORKER="$(children "$NGX_PID" | awk '{print $1}')"
      [[ -n "$NGX_WORKER" ]] || die "no nginx worker process"
      log "nginx master $NGX_PID worker $NGX_WORKER on 127.0.0.1:$port (CPU $cpu, $dir)"
      return 0
    fi
    sleep 0.1
  done
  die "nginx did not answer within 10 s ($conf)"
}
# nginx_stop_pid PID: graceful stop (SIGQUIT) of an nginx started by nginx_start_conf.
nginx_stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -QUIT "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Profiles

# perf_start FILE: samples every process on every core (perf record -a, cpu-clock at 999 Hz, so
# idle cores are sampled too) until perf_stop, which writes into FILE each process's share of all
# the cores (100 % = every core busy), then the flat profile by process, library and function
# (its first 400 lines). Call `ensure_tools perf` before the timed phase.
perf_start() {
  _PERF_OUT="$1"
  _PERF_DATA="$(mktemp /tmp/hub-bench-perf.XXXXXX)"
  perf record -q -e cpu-clock -F 999 -a -o "$_PERF_DATA" 2>/dev/null &
  _PERF_PID=$!
  at_exit "kill -INT $_PERF_PID 2>/dev/null; rm -f $_PERF_DATA"
}
perf_stop() {
  kill -INT "$_PERF_PID" 2>/dev/null || true
  wait "$_PERF_PID" 2>/dev/null || true
  {
    echo "# share of all cores by process"
    perf report -i "$_PERF_DATA" --no-children --sort comm --stdio 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -12 || true
    echo "# by process, library and function"
    perf report -i "$_PERF_DATA" --no-children --sort comm,dso,sym --stdio 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -400 || true
  } >"$_PERF_OUT"
  rm -f "$_PERF_DATA"
}
