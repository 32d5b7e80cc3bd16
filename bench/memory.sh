#!/usr/bin/env bash
# hubd's resident memory: idle after start, then with CONNECTIONS (10,000) idle keep-alive TLS
# connections open, each having done its handshake and one GET /healthz. Prints RSS in MB and the
# growth per connection in KB. The embedded PostgreSQL runs in separate processes that are not
# counted in hubd's figure; their total is printed on its own, for information.
# A benchmark: it exits 0 whatever the figures are, non-zero only when a tool failed.
#
# Settings (environment):
#   CONNECTIONS=10000  idle connections to open
#   CONCURRENCY=100    TLS handshakes in flight at once while opening them
#   THREADS=           HUB_THREADS for hubd (empty: hubd's default, one per core)
#   SETTLE=5           seconds to wait before each RSS reading
#   HUBD=build/hubd    the binary under test
source "$(dirname "$0")/lib.sh"

CONNECTIONS="${CONNECTIONS:-10000}"
CONCURRENCY="${CONCURRENCY:-100}"
THREADS="${THREADS:-}"
SETTLE="${SETTLE:-5}"
IDLE_TARGET_MB=50
LOADED_TARGET_MB=300

ensure_tools python3 curl taskset ss

make_tmp TMP
snapshot_hubd "$TMP"
HUB_DATA="$TMP/hub"
mkdir -p "$HUB_DATA"
chmod 755 "$HUB_DATA"
# A 5-minute idle timeout (default 60 s), so that no connection times out while 10,000 are opened
# and measured; the access log goes to a buffered file as it would in production.
echo '{"limits":{"idle_timeout_ms":300000}}' >"$HUB_DATA/config.json"

# mem_line PID: "rss_kb hwm_kb anon_kb file_kb threads"
mem_line() {
  awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} /^RssAnon:/ {a = $2} /^RssFile:/ {f = $2}
       /^RssShmem:/ {s = $2} /^Threads:/ {t = $2}
       END {print r, h, a, f + s, t}' "/proc/$1/status"
}
# pg_mem: "processes rss_sum_kb pss_sum_kb" of the embedded PostgreSQL
pg_mem() {
  local n=0 rss=0 pss=0 pid
  for pid in $(hub_pg_pids); do
    [[ -r "/proc/$pid/status" ]] || continue
    n=$((n + 1))
    rss=$((rss + $(rss_kb "$pid")))
    pss=$((pss + $(pss_kb "$pid")))
  done
  echo "$n $rss $pss"
}
open_connections_metric() {
  curl -skf "https://127.0.0.1:$HUB_PORT/metrics" | awk '$1 == "hub_open_connections" {print $2}'
}

echo "== hubd memory: idle, and with $CONNECTIONS idle keep-alive TLS connections =="
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
machine_info
echo "hubd: $("$HUBD" --version | awk '{print $2}') ($HUBD_ORIG, sha256 $HUBD_SHA)" \
  "  python: $(python3 --version | awk '{print $2}')   openssl: $(openssl version | awk '{print $2}')"
echo "hubd on CPU $SERVER_CPU (HUB_THREADS=${THREADS:-default}), client on CPU $LOAD_CPU," \
  "idle_timeout_ms=300000, access log to a buffered file"
echo

wait_quiet
if [[ -n "$THREADS" ]]; then export HUB_THREADS="$THREADS"; fi
HUB_ACCESS_LOG_FILE="$HUB_DATA/access.log" hub_start "$HUB_DATA" "$HUB_DATA/config.json"
sleep "$SETTLE"
read -r idle_rss _ idle_anon idle_file threads < <(mem_line "$HUB_PID")
read -r pg_n pg_rss pg_pss < <(pg_mem)

printf '%-40s %10s\n' "hubd threads" "$threads"
printf '%-40s %7s MB  (anon %s MB, file-backed %s MB)\n' "hubd idle RSS (VmRSS)" \
  "$(kb_to_mb "$idle_rss")" "$(kb_to_mb "$idle_anon")" "$(kb_to_mb "$idle_file")"
printf '%-40s %7s MB  (%s processes; PSS %s MB, shared pages counted once)\n' \
  "embedded PostgreSQL RSS, summed" "$(kb_to_mb "$pg_rss")" "$pg_n" "$(kb_to_mb "$pg_pss")"
echo

CLIENT_OUT="$TMP/client.out"
log "opening $CONNECTIONS connections ($CONCURRENCY handshakes at a time)"
taskset -c "$LOAD_CPU" python3 "$BENCH_DIR/idle_connections.py" --port "$HUB_PORT" \
  --count "$CONNECTIONS" --concurrency "$CONCURRENCY" --cafile "$HUB_DATA/tls/dev-cert.pem" \
  --open-timeout 240 --hold 120 --probe >"$CLIENT_OUT" 2>"$TMP/client.err" &
CLIENT_PID=$!
at_exit "kill -TERM $CLIENT_PID 2>/dev/null; wait $CLIENT_PID 2>/dev/null"
for ((i = 0; i < 2700; i++)); do  # 270 s at most: the client gives up opening after 240 s
  grep -q '^READY' "$CLIENT_OUT" && break
  kill -0 "$CLIENT_PID" 2>/dev/null || { cat "$TMP/client.err" >&2; die "the client exited early"; }
  kill -0 "$HUB_PID" 2>/dev/null || { tail "$HUB_DATA/hubd.err" >&2; die "hubd died"; }
  sleep 0.1
done
grep -q '^READY' "$CLIENT_OUT" || die "the client never got its connections open"
kv() { awk -F= -v k="$1" '$1 == k {print $2}' "$CLIENT_OUT" | tail -1; }
opened="$(kv opened)"
sleep "$SETTLE"
read -r load_rss load_hwm load_anon _ _ < <(mem_line "$HUB_PID")
server_count="$(open_connections_metric || echo '?')"
established="$(ss -Htn state established "( sport = :$HUB_PORT )" | wc -l)"
client_rss="$(rss_kb "$CLIENT_PID")"

# Tell the client to stop holding: it probes every connection once more, then closes them all.
kill -TERM "$CLIENT_PID"
for ((i = 0; i < 600; i++)); do
  grep -q '^DONE' "$CLIENT_OUT" && break
  kill -0 "$CLIENT_PID" 2>/dev/null || break
  sleep 0.1
done
wait "$CLIENT_PID" 2>/dev/null || log "the client exited with an error"
sleep "$SETTLE"
read -r after_rss _ < <(mem_line "$HUB_PID")

printf '%-40s %7s / %s  (%s s to open; failed %s, non-200 answers %s)\n' \
  "connections opened by the client" "$opened" "$CONNECTIONS" "$(kv open_seconds)" \
  "$(kv failed)" "$(kv non200)"
grep '^failure=' "$CLIENT_OUT" | sed 's/^failure=/  failure: /' || true
printf '%-40s %7s  (hub_open_connections, includes this /metrics request)\n' \
  "hubd's own count of open connections" "$server_count"
printf '%-40s %7s\n' "established TCP connections on the port" "$established"
printf '%-40s %7s MB  (anon %s MB; peak VmHWM %s MB)\n' "hubd RSS with the connections open" \
  "$(kb_to_mb "$load_rss")" "$(kb_to_mb "$load_anon")" "$(kb_to_mb "$load_hwm")"
if [[ "${opened:-0}" -gt 0 ]]; then
  printf '%-40s %7s KB\n' "growth per connection" \
    "$(awk -v a="$load_rss" -v b="$idle_rss" -v n="$opened" 'BEGIN {printf "%.1f", (a - b) / n}')"
fi
printf '%-40s %7s / %s  (%s already closed by the server)\n' \
  "connections answering a 2nd GET at the end" "$(kv probe_ok)" "$opened" \
  "$(kv closed_by_server_before_probe)"
printf '%-40s %7s MB\n' "hubd RSS after the client closed them" "$(kb_to_mb "$after_rss")"
printf '%-40s %7s MB\n' "client (python) RSS, for information" "$(kb_to_mb "$client_rss")"
echo

if grep -qiE ' (warning|error|critical) ' "$HUB_DATA/hubd.err"; then
  echo "hubd logged warnings or errors:"
  grep -iE ' (warning|error|critical) ' "$HUB_DATA/hubd.err" | sort | uniq -c | sort -rn | head -5
  echo
fi

idle_mb="$(kb_to_mb "$idle_rss")"
load_mb="$(kb_to_mb "$load_rss")"
echo "== summary =="
awk -v v="$idle_mb" -v t="$IDLE_TARGET_MB" 'BEGIN {
  printf "idle RSS %.1f MB: %s the target of < %d MB\n", v, (v < t) ? "meets" : "MISSES", t }'
awk -v v="$load_mb" -v t="$LOADED_TARGET_MB" -v n="$opened" -v want="$CONNECTIONS" 'BEGIN {
  printf "RSS with %d idle TLS connections %.1f MB: %s the target of < %d MB%s\n", n, v,
    (v < t) ? "meets" : "MISSES", t, (n < want) ? " (but not all connections opened)" : "" }'

hub_stop
exit 0
