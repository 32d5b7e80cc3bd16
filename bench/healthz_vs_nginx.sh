#!/usr/bin/env bash
# Request rate of hubd's GET /healthz against nginx serving a 15-byte static file, both over
# HTTPS keep-alive, one worker thread each on core SERVER_CPU, with wrk on core LOAD_CPU, in the
# same run. Prints req/s, wrk's p50/p99 latency, the CPU each side used, and the ratio hub/nginx
# against the issue's 0.8x target. A benchmark: it exits 0 whatever the figures are, non-zero only
# when a tool failed.
#
# Settings (environment):
#   DURATION=15      seconds of each measured wrk run
#   WARMUP=3         seconds of the unmeasured wrk run before each server's first measurement
#   CONNECTIONS=64   wrk connections (wrk -c), one wrk thread
#   REPS=3           measured runs per server and access-log mode, interleaved nginx/hub
#   ACCESS_LOG_MODES="off on"
#                    off: both servers log no access; on: both write one JSON line per request
#                    to a buffered file (hubd: HUB_ACCESS_LOG_FILE, flushed every second;
#                    nginx: access_log ... buffer=64k flush=1s with a JSON format of the same fields)
#   HUBD=build/hubd  the binary under test
#   QUIET_WAIT=300 QUIET_PERCENT=10
#                    before each measured run, wait up to QUIET_WAIT s for the machine to be less
#                    than QUIET_PERCENT % busy with other work (see the other_cpu% column)
#   DIRTY_PERCENT=5 ATTEMPTS=4
#                    a run during which other work used more than DIRTY_PERCENT % of a core is
#                    shown, discarded and repeated, up to ATTEMPTS runs in all
source "$(dirname "$0")/lib.sh"

DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
REPS="${REPS:-3}"
ACCESS_LOG_MODES="${ACCESS_LOG_MODES:-off on}"
ATTEMPTS="${ATTEMPTS:-4}"
DIRTY_PERCENT="${DIRTY_PERCENT:-5}"
TARGET_RATIO=0.8

ensure_tools nginx wrk python3 openssl curl taskset

make_tmp TMP
snapshot_hubd "$TMP"
mkdir -p "$TMP/tls" "$TMP/www" "$TMP/nginx"
make_ecdsa_cert "$TMP/tls"
printf '%s' '{"status":"ok"}' >"$TMP/www/healthz"
chmod 644 "$TMP/www/healthz"
[[ $(stat -c %s "$TMP/www/healthz") -eq 15 ]] || die "static file is not 15 bytes"

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

# run_wrk URL SERVER_PID SECONDS OUT: runs wrk pinned to LOAD_CPU; writes its output to OUT and
# "rps p50_ms p99_ms server_cpu% wrk_cpu% other_cpu% errors req_per_cpu_s" to stdout. CPU figures are percent
# of one core over the wall time of the wrk run: the server from /proc/PID/stat (the whole
# process), wrk from its rusage, and "other" is whatever else the machine ran meanwhile (from
# /proc/stat), which should be close to 0 for a clean measurement. req_per_cpu_s is the request
# rate divided by the server's CPU share: requests per second of server CPU, which other work on
# the machine disturbs less than the rate itself.
run_wrk() {
  local url="$1" server_pid="$2" seconds="$3" out="$4"
  local s0 s1 b0 b1 times rc=0
  s0="$(cpu_ticks "$server_pid")"
  b0="$(busy_ticks)"
  # wrk stops by itself after -d; timeout is a backstop.
  times="$( { TIMEFORMAT='%R %U %S'; time timeout $((seconds + 30)) taskset -c "$LOAD_CPU" \
    wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --latency "$url" >"$out" 2>&1; } 2>&1 )" || rc=$?
  b1="$(busy_ticks)"
  s1="$(cpu_ticks "$server_pid")"
  [[ $rc -eq 0 ]] || { cat "$out" >&2; die "wrk failed on $url (exit $rc)"; }
  local rps p50 p99 errors non2xx
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  [[ -n "$rps" ]] || { cat "$out" >&2; die "no Requests/sec in wrk output"; }
  p50="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")"
  p99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")"
  errors="$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' "$out")"
  errors=$((${errors:-0} + ${non2xx:-0}))
  awk -v rps="$rps" -v p50="$p50" -v p99="$p99" -v s="$((s1 - s0))" -v b="$((b1 - b0))" \
    -v hz="$CLK_TCK" -v e="$errors" -v t="$times" 'BEGIN {
      split(t, a, " ")
      server = 100 * s / hz / a[1]; wrk = 100 * (a[2] + a[3]) / a[1]
      other = 100 * b / hz / a[1] - server - wrk; if (other < 0) other = 0
      printf "%.0f %.3f %.3f %.0f %.0f %.0f %d %.0f\n", rps, p50, p99, server, wrk, other, e,
        (server > 0) ? rps * 100 / server : 0 }'
}

# measure RUN NAME URL SERVER_PID OUT: one measured run, printed as a table row; sets M_LINE to
# run_wrk's figures. A run during which other work on the machine used more than DIRTY_PERCENT of
# a core is printed, marked and done again (up to ATTEMPTS times in all; the last one counts).
M_LINE=""
measure() {
  local run="$1" name="$2" url="$3" pid="$4" out="$5" attempt rps p50 p99 cpu wcpu ocpu err eff note
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    wait_quiet
    M_LINE="$(run_wrk "$url" "$pid" "$DURATION" "$out")"
    read -r rps p50 p99 cpu wcpu ocpu err eff <<<"$M_LINE"
    note=""
    if ((ocpu > DIRTY_PERCENT)); then
      if ((attempt < ATTEMPTS)); then note="other work ran: discarded, repeated"
      else note="other work ran: kept (last attempt)"; fi
    fi
    printf '%-4s %-6s %8s %7s %7s %7s %6s %7s %6s %10s  %s\n' "$run" "$name" "$rps" "$p50" "$p99" \
      "$cpu" "$wcpu" "$ocpu" "$err" "$eff" "$note"
    ((ocpu > DIRTY_PERCENT)) || break
  done
  kill -0 "$pid" 2>/dev/null || die "$name died during the run"
}

# ---------------------------------------------------------------------------------------------

echo "== hubd /healthz vs nginx static file, HTTPS keep-alive =="
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
machine_info
echo "nginx: $(nginx -v 2>&1 | sed 's/.*nginx\///')   wrk: $(wrk -v 2>&1 | head -1 | awk '{print $2}')" \
  "  openssl: $(openssl version | awk '{print $2}')   hubd: $("$HUBD" --version | awk '{print $2}')" \
  "($HUBD_ORIG, sha256 $HUBD_SHA)"
echo "server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU: wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency," \
  "warm-up ${WARMUP}s, $REPS runs per server, interleaved"
echo

SUMMARY=()
for mode in $ACCESS_LOG_MODES; do
  # hubd: one I/O thread, the same certificate as nginx.
  HUB_DATA="$TMP/hub-$mode"
  mkdir -p "$HUB_DATA"
  chmod 755 "$HUB_DATA"
  if [[ "$mode" == on ]]; then
    echo '{}' >"$HUB_DATA/config.json"
    export HUB_ACCESS_LOG_FILE="$HUB_DATA/access.log"
  else
    echo '{"log":{"access_log":false}}' >"$HUB_DATA/config.json"
    unset HUB_ACCESS_LOG_FILE
  fi
  HUB_THREADS=1 HUB_TLS_CERT="$TMP/tls/cert.pem" HUB_TLS_KEY="$TMP/tls/key.pem" \
    hub_start "$HUB_DATA" "$HUB_DATA/config.json"
  nginx_start "$TMP" "$mode"
  unset HUB_ACCESS_LOG_FILE

  NGINX_URL="https://127.0.0.1:$NGINX_PORT/healthz"
  HUB_URL="https://127.0.0.1:$HUB_PORT/healthz"
  run_wrk "$NGINX_URL" "$NGINX_WORKER" "$WARMUP" "$TMP/warm-nginx.txt" >/dev/null
  run_wrk "$HUB_URL" "$HUB_PID" "$WARMUP" "$TMP/warm-hub.txt" >/dev/null

  echo "-- access log: $mode --"
  printf '%-4s %-6s %8s %7s %7s %7s %6s %7s %6s %10s\n' run server req/s p50_ms p99_ms srv_cpu% \
    wrk_cpu% other% errors req/cpu-s
  nginx_rps=() hub_rps=() nginx_p50=() hub_p50=() nginx_p99=() hub_p99=() ratios=()
  nginx_eff=() hub_eff=()
  for ((r = 1; r <= REPS; r++)); do
    measure "$r" nginx "$NGINX_URL" "$NGINX_WORKER" "$TMP/wrk-nginx-$mode-$r.txt"
    read -r n_rps n_p50 n_p99 _ _ _ _ n_eff <<<"$M_LINE"
    measure "$r" hub "$HUB_URL" "$HUB_PID" "$TMP/wrk-hub-$mode-$r.txt"
    read -r h_rps h_p50 h_p99 _ _ _ _ h_eff <<<"$M_LINE"
    nginx_rps+=("$n_rps") hub_rps+=("$h_rps") nginx_eff+=("$n_eff") hub_eff+=("$h_eff")
    nginx_p50+=("$n_p50") hub_p50+=("$h_p50") nginx_p99+=("$n_p99") hub_p99+=("$h_p99")
    ratios+=("$(awk -v h="$h_rps" -v n="$n_rps" 'BEGIN {printf "%.3f", h / n}')")
    kill -0 "$HUB_PID" 2>/dev/null || die "hubd died during the run (see $HUB_DATA/hubd.err)"
  done
  if grep -qiE 'error|critical|exception' "$HUB_DATA/hubd.err"; then
    echo "hubd logged errors during the run:"
    grep -iE 'error|critical|exception' "$HUB_DATA/hubd.err" | head -5
  fi

  m_n="$(median "${nginx_rps[@]}")"
  m_h="$(median "${hub_rps[@]}")"
  ratio="$(awk -v h="$m_h" -v n="$m_n" 'BEGIN {printf "%.3f", h / n}')"
  verdict="$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN {print (r >= t) ? "meets" : "MISSES"}')"
  echo "median  nginx $(printf '%.0f' "$m_n") req/s (p50 $(median "${nginx_p50[@]}") ms," \
    "p99 $(median "${nginx_p99[@]}") ms)"
  echo "median  hub   $(printf '%.0f' "$m_h") req/s (p50 $(median "${hub_p50[@]}") ms," \
    "p99 $(median "${hub_p99[@]}") ms)"
  echo "ratio hub/nginx of the medians: $ratio (per run: ${ratios[*]})"
  echo "requests per server CPU-second, medians: nginx $(printf '%.0f' "$(median "${nginx_eff[@]}")")," \
    "hub $(printf '%.0f' "$(median "${hub_eff[@]}")"), ratio" \
    "$(awk -v h="$(median "${hub_eff[@]}")" -v n="$(median "${nginx_eff[@]}")" 'BEGIN {printf "%.3f", h / n}')"
  echo "note: $verdict the target of >= ${TARGET_RATIO}x nginx (access log $mode)"
  echo
  SUMMARY+=("access log $mode: hub/nginx = $ratio ($verdict the ${TARGET_RATIO}x target)")

  nginx_stop
  hub_stop
done

echo "== summary =="
printf '%s\n' "${SUMMARY[@]}"
exit 0
