#!/usr/bin/env bash
# Bulk import speed and memory (issue 22), side by side in one run on one PostgreSQL:
#  1. psql \copy of ROWS enterprise records into a plain table
#     (resource text, key text, body jsonb, PRIMARY KEY (resource, key)): the ceiling;
#  2. the same rows as NDJSON through POST /api/v1/resources/{code}/imports into 企业登记信息
#     (its items' rules checked: uscc and citizen_id check digits, max_length, min, enum, and
#     the `unique` name), target at least 0.6x of 1;
#  3. the same rows as CSV into a copy of that resource (same items and rules; CSV_UNIQUE=0:
#     without the `unique` rule), same target;
#  4. hubd's resident memory, sampled every 0.2 s during 2 and 3 (peak reported).
# With PERF_OUT=FILE, perf samples every process during the NDJSON import (PERF_PHASE=csv: the CSV
# import) and writes each process's share of the cores and the flat profile into FILE.
# With BIG_GB=N (for example 10) a 5th phase streams about N GB of NDJSON (the ROWS records
# again and again, so updates after the first pass) through one import into the CSV phase's
# resource and reports hubd's peak RSS during it (target: under 300 MB); the body is generated as
# it is sent, never held.
# A benchmark: it prints figures and exits 0 whatever they are.
#   ROWS=1000000 bench/import.sh
#   CSV_UNIQUE=0 ROWS=1000000 BIG_GB=10 bench/import.sh      (docs/performance.md's run)
#   CSV_UNIQUE=0 PERF_PHASE=csv PERF_OUT=/tmp/csv.perf ROWS=200000 bench/import.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
ensure_tools python3 curl
[[ -z ${PERF_OUT:-} ]] || ensure_tools perf
ROWS=${ROWS:-1000000}
BIG_GB=${BIG_GB:-0}
HUBCTL=${HUBCTL:-build/hubctl}
BENCH_BIN=${BENCH_BIN:-build/hub_bench}
[[ -x $BENCH_BIN && -x $HUBCTL ]] || die "build first (scripts/build)"

dir=$(make_tmp)
# Bodies over 2 GiB for the BIG_GB phase.
cat >"$dir/config.json" <<JSON
{"log": {"access_log": false},
 "limits": {"import_body_limit_bytes": 1099511627776},
 "auth": {"rate_limits": {"hub_admin": {"per_second": 10000000, "burst": 10000000},
                          "agency_system": {"per_second": 10000000, "burst": 10000000}}}}
JSON
token="bench-admin-token-$(openssl rand -hex 16)"
echo -n "$token" >"$dir/admin-token"
mkdir -p "$dir/hub"
HUB_BOOTSTRAP_ADMIN_TOKEN=$token SERVER_CPU=0,1 hub_start "$dir/hub" "$dir/config.json"
url="https://127.0.0.1:$HUB_PORT"
until curl -skf -o /dev/null "$url/readyz"; do sleep 0.2; done
ctl() { "$HUBCTL" --url "$url" --insecure --data-dir "$dir/hub" "$@"; }
log "loading the demo (agencies, catalog, grants, records)"
HUB_TOKEN_FILE=$dir/admin-token ctl demo >/dev/null
provider=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["gzsc-system"])' \
  "$dir/hub/demo-tokens.json")
api() { curl -skf -H "Authorization: Bearer $token" -H "Content-Type: application/json" "$@"; }
registration=$(api "$url/api/v1/resources?provider=114401009P0Y2GG12L&limit=100" |
  python3 -c 'import json,sys; print([r["code"] for r in json.load(sys.stdin)["items"] if r["name"] == "企业登记信息"][0])')
# The CSV import's resource: a copy of 企业登记信息 (same items and rules), published.
api "$url/api/v1/resources/$registration" | python3 -c '
import json, sys
r = json.load(sys.stdin)
keep = ["provider_code", "summary", "category", "format", "key", "items", "share_type",
        "share_conditions", "share_methods", "update_cycle", "legal_basis", "class_code",
        "release_date", "quality_mode"]
doc = {k: r[k] for k in keep if k in r}
doc["name"] = "企业登记信息（CSV 导入基准）"
if sys.argv[1] == "0":
    for item in doc["items"]:
        item.pop("unique", None)
print(json.dumps(doc, ensure_ascii=False))' "${CSV_UNIQUE:-1}" >"$dir/copy.json"
csv_code=$(api -X POST --data-binary "@$dir/copy.json" "$url/api/v1/resources" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
api -X POST -d '{}' "$url/api/v1/resources/$csv_code/publish" >/dev/null
sock=$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$dir/hub/postgres/pgdata/hub.conf")
psql_su() { runuser -u postgres -- psql -qtA -h "$sock" -d hub "$@"; }
pgdata="$dir/hub/postgres/pgdata"

# CPU used so far, in clock ticks: pg_ticks by the embedded PostgreSQL (its live processes, and
# through the postmaster's cutime/cstime the backends that ended, psql's \copy backend among
# them), lib.sh's cpu_ticks "$HUB_PID" by hubd. Less noisy than rows per second on a shared
# machine: a phase's CPU per row says what each side does, whatever else the machine was doing.
pg_ticks() {
  local pm
  pm=$(head -1 "$pgdata/postmaster.pid")
  {
    awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
    for p in $(children "$pm"); do cpu_ticks "$p" 2>/dev/null || true; done
  } | awk '{t += $1} END {print t}'
}
# wal_now: the server's WAL bytes and WAL syncs so far (pg_stat_wal; backends report within a
# second, hence the pause).
wal_now() {
  sleep 1.5
  psql_su -c "SELECT wal_bytes, wal_sync FROM pg_stat_wal" | tr '|' ' '
}
# wal_per_row "BYTES0 SYNCS0" "BYTES1 SYNCS1": WAL bytes per row and the WAL syncs of the phase.
wal_per_row() {
  awk -v a="$1" -v b="$2" -v n="$ROWS" 'BEGIN {split(a, x, " "); split(b, y, " ");
    printf "WAL %.0f bytes a row, %d syncs", (y[1] - x[1]) / n, y[2] - x[2]}'
}
# per_krow TICKS_BEFORE TICKS_AFTER: CPU milliseconds per 1,000 rows.
per_krow() {
  awk -v a="$1" -v b="$2" -v n="$ROWS" -v hz="$CLK_TCK" \
    'BEGIN {printf "%.0f", (b - a) * 1000 / hz / (n / 1000)}'
}

log "generating $ROWS enterprise records: NDJSON, CSV and the rows for \\copy"
"$BENCH_BIN" records "$ROWS" >"$dir/records.ndjson"
python3 - "$dir/records.ndjson" "$dir/records.csv" "$dir/records.copy" "$registration" <<'PY'
import csv, json, sys
src, csv_path, copy_path, code = sys.argv[1:5]
items = ["uscc", "name", "legal_person", "legal_person_id", "reg_capital", "established",
         "district", "industry", "address", "status"]
def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
with open(src, encoding="utf-8") as f, open(csv_path, "w", encoding="utf-8", newline="") as c, \
        open(copy_path, "w", encoding="utf-8") as out:
    w = csv.writer(c, lineterminator="\n")
    w.writerow(items)
    for line in f:
        rec = json.loads(line)
        w.writerow(["" if rec.get(i) is None else rec[i] for i in items])
        body = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
        out.write(f"{code}\t{esc(rec['uscc'])}\t{esc(body)}\n")
PY
chmod 644 "$dir/records.copy"
size_mb=$(du -m "$dir/records.ndjson" | cut -f1)

# profile_start PHASE / profile_stop PHASE: perf samples every process during PHASE when it is
# $PERF_PHASE (ndjson or csv), into $PERF_OUT (lib.sh perf_start).
profile_start() {
  [[ -n ${PERF_OUT:-} && ${PERF_PHASE:-ndjson} == "$1" ]] || return 0
  perf_start "$PERF_OUT"
}
profile_stop() {
  [[ -n ${PERF_OUT:-} && ${PERF_PHASE:-ndjson} == "$1" ]] || return 0
  perf_stop
}

# rss_watch FILE: samples hubd's VmRSS (kB) every 0.2 s into FILE until killed (or hubd ends);
# run in the background, killed at exit too.
rss_watch() {
  while kill -0 "$HUB_PID" 2>/dev/null; do
    awk '/^VmRSS:/ {print $2}' "/proc/$HUB_PID/status" 2>/dev/null >>"$1" || true
    sleep 0.2
  done
}
peak_mb() { sort -n "$1" | tail -1 | awk '{printf "%.0f", $1 / 1024}'; }
# rate START END: rows per second.
rate() { awk -v n="$ROWS" -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", n / (b - a)}'; }
# settle: a checkpoint (the previous phase wrote gigabytes of WAL) and a quiet machine.
settle() {
  psql_su -c "CHECKPOINT" >/dev/null
  wait_quiet || true
}
# import CODE FILE TYPE: one import through the API as the provider's system; prints its answer.
import() {
  curl -sk -X POST -H "Authorization: Bearer $provider" -H "Content-Type: $3" \
    --data-binary "@$2" "$url/api/v1/resources/$1/imports"
}

# --- 1. psql \copy into a plain table --------------------------------------------------------
psql_su -c "CREATE TABLE bench_plain (resource text, key text, body jsonb,
                                      PRIMARY KEY (resource, key))"
settle
log "psql \\copy of $ROWS rows into (resource, key, body jsonb, PRIMARY KEY (resource, key))"
wal0=$(wal_now)
pg0=$(pg_ticks)
start=$(date +%s.%N)
psql_su -c "\\copy bench_plain FROM '$dir/records.copy'"
end=$(date +%s.%N)
copy_rate=$(rate "$start" "$end")
copy_pg_cpu=$(per_krow "$pg0" "$(pg_ticks)")
copy_wal=$(wal_per_row "$wal0" "$(wal_now)")

# --- 2 and 3. NDJSON and CSV through the API --------------------------------------------
# measure PHASE CODE FILE TYPE: one import, timed, hubd's RSS watched (and perf when asked);
# sets ${PHASE}_rate and ${PHASE}_peak.
measure() {
  local phase=$1 watcher start end
  settle
  log "$phase import of $ROWS records ($(du -m "$3" | cut -f1) MB) into $2"
  rss_watch "$dir/rss-$phase" &
  watcher=$!
  at_exit "kill $watcher 2>/dev/null"
  profile_start "$phase"
  local pg0 hub0 wal0
  wal0=$(wal_now)
  pg0=$(pg_ticks)
  hub0=$(cpu_ticks "$HUB_PID")
  start=$(date +%s.%N)
  import "$2" "$3" "$4" >"$dir/$phase.json"
  end=$(date +%s.%N)
  printf -v "${phase}_cpu" 'PostgreSQL %s ms, hubd %s ms' "$(per_krow "$pg0" "$(pg_ticks)")" \
    "$(per_krow "$hub0" "$(cpu_ticks "$HUB_PID")")"
  printf -v "${phase}_wal" '%s' "$(wal_per_row "$wal0" "$(wal_now)")"
  kill "$watcher" 2>/dev/null || true
  profile_stop "$phase"
  printf -v "${phase}_rate" '%s' "$(rate "$start" "$end")"
  printf -v "${phase}_peak" '%s' "$(peak_mb "$dir/rss-$phase")"
}
ndjson_rate="" ndjson_peak="" ndjson_cpu="" ndjson_wal="" csv_rate="" csv_peak="" csv_cpu="" csv_wal=""
measure ndjson "$registration" "$dir/records.ndjson" application/x-ndjson
measure csv "$csv_code" "$dir/records.csv" text/csv
stored=$(psql_su -c "SELECT resource_code = '$registration', count(*) FROM records
                     WHERE resource_code IN ('$registration', '$csv_code') GROUP BY 1 ORDER BY 1 DESC")

# --- 5. a long import: BIG_GB of NDJSON in one body ---------------------------------------
big=""
if ((BIG_GB > 0)); then
  passes=$(((BIG_GB * 1024 + size_mb - 1) / size_mb))
  settle
  log "one import of $passes passes over the $size_mb MB file (about $BIG_GB GB), streamed"
  rss_watch "$dir/rss-big" &
  watcher=$!
  at_exit "kill $watcher 2>/dev/null"
  start=$(date +%s.%N)
  for ((i = 0; i < passes; i++)); do cat "$dir/records.ndjson"; done |
    curl -sk -X POST -T - -H "Authorization: Bearer $provider" \
      -H "Content-Type: application/x-ndjson" "$url/api/v1/resources/$csv_code/imports" \
      >"$dir/big.json" || true  # a refused body ends the pipe early: its answer is printed
  end=$(date +%s.%N)
  kill "$watcher" 2>/dev/null || true
  big_rows=$((passes * ROWS))
  big="one import of $((passes * size_mb)) MB ($big_rows lines) in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", b - a}') s: $(awk -v n="$big_rows" -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", n / (b - a)}') rows/s, hubd peak RSS $(peak_mb "$dir/rss-big") MB (target: under 300 MB); answer: $(head -c 300 "$dir/big.json")"
fi

ratio() { awk -v a="$1" -v b="$copy_rate" 'BEGIN {printf "%.2f", a / b}'; }
echo
echo "rows: $ROWS ($size_mb MB of NDJSON); stored (ndjson resource?, count): $(echo "$stored" | tr '\n' ' ')"
echo "NDJSON answer: $(head -c 300 "$dir/ndjson.json")"
echo "CSV answer: $(head -c 300 "$dir/csv.json")"
echo "psql \\copy into (resource, key, body jsonb, pk): $copy_rate rows/s; CPU per 1,000 rows: PostgreSQL $copy_pg_cpu ms; $copy_wal"
echo "NDJSON import with validation and rules: $ndjson_rate rows/s: $(ratio "$ndjson_rate")x of \\copy (target: at least 0.6x); hubd peak RSS $ndjson_peak MB; CPU per 1,000 rows: $ndjson_cpu; $ndjson_wal"
echo "CSV import with validation and rules: $csv_rate rows/s: $(ratio "$csv_rate")x of \\copy (target: at least 0.6x); hubd peak RSS $csv_peak MB; CPU per 1,000 rows: $csv_cpu; $csv_wal"
[[ -n $big ]] && echo "$big"
exit 0
