#!/usr/bin/env bash
# Joint computation speed (issue 21): runs of the demo's 信易贷 computation (four inputs read by
# the subject key in one statement, the program, five ledger entries made durable together)
# over HTTPS keep-alive as the credit bureau's system:
#  1. the most runs per second at CONNECTIONS connections;
#  2. the latency at RATE runs per second (a fixed schedule shared by the connections,
#     bench/compute_run.lua); target a median within 2 ms at 1,000 runs per second.
#   DURATION=20 CONNECTIONS=16 RATE=1000 bench/compute.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
ensure_tools wrk python3 curl
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-16}
RATE=${RATE:-1000}
HUBCTL=${HUBCTL:-build/hubctl}
[[ -x $HUBCTL ]] || die "build first (scripts/build)"

dir=$(make_tmp)
# As hub_start_loaded (bench/lib.sh), with the runs' own limits out of the way too: one subject
# is run many times a second here.
token="bench-admin-token-$(openssl rand -hex 16)"
cat >"$dir/config.json" <<JSON
{"log": {"access_log": false},
 "exchange": {"compute_runs_per_subject_per_hour": 1000000,
              "compute_runs_per_grant_per_minute": 10000000},
 "auth": {"rate_limits": {"hub_admin": {"per_second": 10000000, "burst": 10000000},
                          "agency_system": {"per_second": 10000000, "burst": 10000000}}}}
JSON
echo -n "$token" >"$dir/admin-token"
HUB_BOOTSTRAP_ADMIN_TOKEN=$token SERVER_CPU=0,1 hub_start "$dir/hub" "$dir/config.json"
until curl -skf -o /dev/null "https://127.0.0.1:$HUB_PORT/readyz"; do sleep 0.2; done
ctl() { "$HUBCTL" --url "https://127.0.0.1:$HUB_PORT" --insecure --data-dir "$dir/hub" "$@"; }
log "loading the demo (agencies, catalog, grants, records, the 信易贷 computation)"
HUB_TOKEN_FILE=$dir/admin-token ctl demo >"$dir/demo.txt"
grep "joint computation" -A6 "$dir/demo.txt" || die "the demo made no computation"
j=$dir/hub/demo-computation.json
val() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$j" "$1"; }
export HUB_BENCH_TOKEN HUB_BENCH_AUTHORIZATION HUB_BENCH_CODE HUB_BENCH_SUBJECT
HUB_BENCH_TOKEN=$(val token)
HUB_BENCH_AUTHORIZATION=$(val authorization)
HUB_BENCH_CODE=$(val code)
HUB_BENCH_SUBJECT=$(val subject_key)

log "warm-up"
wrk -t2 -c"$CONNECTIONS" -d5s -s bench/compute_run.lua "https://127.0.0.1:$HUB_PORT" >/dev/null
# CPU ticks of hubd's own threads and of its PostgreSQL (postmaster and backends).
pg_ticks() {
  local t=0 pid
  for pid in $(hub_pg_pids); do t=$((t + $(cpu_ticks "$pid" 2>/dev/null || echo 0))); done
  echo "$t"
}
log "1. runs at $CONNECTIONS connections, ${DURATION}s"
h0=$(cpu_ticks "$HUB_PID") p0=$(pg_ticks)
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/compute_run.lua \
  "https://127.0.0.1:$HUB_PORT" | tee "$dir/wrk.txt"
h1=$(cpu_ticks "$HUB_PID") p1=$(pg_ticks)
max_rate=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$dir/wrk.txt")
runs=$(awk '/requests in/ {print $1}' "$dir/wrk.txt")
cpu=$(awk -v h=$((h1 - h0)) -v p=$((p1 - p0)) -v n="$runs" -v hz="$CLK_TCK" \
  'BEGIN {printf "hubd %.0f us + PostgreSQL %.0f us", h / hz / n * 1e6, p / hz / n * 1e6}')
# The unpaced runs leave the sealer tens of thousands of entries behind: the paced ones measure
# the steady state at RATE, so they start once it has caught up (the machine quiet again).
wait_quiet
log "2. runs at $RATE/s on a fixed schedule ($CONNECTIONS connections, one wrk thread)"
metric() {
  curl -sk "https://127.0.0.1:$HUB_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'
}
c0=$(metric hub_ledger_commits_total) e0=$(metric hub_ledger_entries_total)
HUB_BENCH_RATE=$RATE wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
  -s bench/compute_run.lua "https://127.0.0.1:$HUB_PORT" | tee "$dir/wrk-paced.txt"
c1=$(metric hub_ledger_commits_total) e1=$(metric hub_ledger_entries_total)
commits=$(awk -v c="$((c1 - c0))" -v e="$((e1 - e0))" -v s="$DURATION" \
  'BEGIN {printf "%.0f ledger commits/s, %.1f entries each", c / s, e / c}')
paced_rate=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$dir/wrk-paced.txt")
p50=$(awk '$1 == "50%" {print $2}' "$dir/wrk-paced.txt")
p99=$(awk '$1 == "99%" {print $2}' "$dir/wrk-paced.txt")
late=$(sed -n 's/.*late \([0-9]*\).*/\1/p' "$dir/wrk-paced.txt")
hub_stop
echo
echo "runs, $CONNECTIONS connections: $max_rate runs/s (each: 4 inputs read, 5 ledger entries)"
echo "CPU per run at that rate: $cpu"
echo "ledger while paced: $commits"
echo "runs paced at $paced_rate runs/s: median $p50, p99 $p99, sent late (> 1 ms after the slot): $late (target: median within 2 ms at 1,000 runs/s)"
