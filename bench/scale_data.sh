#!/usr/bin/env bash
# Scale of the data (issue 18): do the records and ledger tables stay fast as they grow?
# For each N in SCALES, a hub of its own is loaded with N records spread over 200 resources and
# N ledger entries spread over the past 12 months (their rollups kept by the hub's own sealer)
# and stopped; then, in REPS rounds that take the scales in turn, each hub is started again
# and measured:
#   1. the key read: GET one record by key as a granted consumer's system, random keys across
#      all 200 resources (wrk, HTTPS keep-alive, CONNECTIONS connections, DURATION s): req/s,
#      p50, p99;
#   2. query by filter, the exchange's query route (limit 100), random values:
#      broad  `district eq "..."`, about 1 record in 11 matches (a full page at any scale);
#      one    `uscc eq "..."`, exactly one record of the resource matches;
#   (1 and 2: the rate of 2xx answers; non-2xx and timed-out requests are counted as failed)
#   3. the monthly sharing-status report of the last complete month (JSON): median of RUNS.
# Each figure is printed per scale with its ratio to the smallest scale; target: within 1.5x of
# its time at the smallest scale (the issue's 1 million).
#
# Loading: agencies (demo/agencies.csv), two principals, 200 published resources (the demo's
# enterprise registration items) and 200 grants go through the API; the records and the ledger
# entries are generated in SQL (INSERT ... SELECT over generate_series, 1 million rows a
# statement, the records and the ledger in two sessions at once) into the real tables, with
# every index and trigger in place. The ledger entries' leaves are JSON of the entry's fields
# and leaf_hash is SHA-256(0x00 || leaf), but they are not the hub's canonical leaves (enough
# for reads and reports, not for `hubctl ledger verify`). The hub's sealer then signs them and
# keeps the rollups (agency_daily, ledger_daily, ledger_hourly) exactly as for real entries.
# Then VACUUM ANALYZE (what autovacuum would have done); before measuring, a fresh start (what
# the hub keeps in memory is read again from the database) and a CHECKPOINT.
#
#   SCALES="1000000 50000000" REPS=2 CONNECTIONS=64 DURATION=20 RUNS=30 QUIET_WAIT=120 \
#     bench/scale_data.sh
#   EXPLAIN=1 also prints EXPLAIN (ANALYZE, BUFFERS) of each measure's SQL at each scale.
# Disk: about 680 bytes per record and 960 per ledger entry with their indexes (measured at 1 and
# 10 million, docs/performance.md), plus up to 4 GB of WAL per hub; every scale's hub stays on
# disk until the end (the rounds interleave them), then its temp dir is removed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
ensure_tools wrk python3 curl openssl

SCALES=${SCALES:-"1000000 50000000"}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-20}
RUNS=${RUNS:-30}
REPS=${REPS:-2}
EXPLAIN=${EXPLAIN:-0}
RESOURCES=200
CHUNK=1000000
# Another job on this 2-core machine skews the figures: wait for quiet before each measurement,
# but not forever (lib.sh's wait_quiet warns and measures anyway).
QUIET_WAIT=${QUIET_WAIT:-120}

results=""
make_tmp results
log "hubd $HUBD"
machine_info >&2

# load_scale DIR N: the API setup, then N records and N ledger entries, sealed and rolled up.
load_scale() {
  local dir=$1 n=$2 start
  # As hub_start_loaded, with the data officer's rate limit out of the way too (200 applications).
  token="bench-admin-token-$(openssl rand -hex 16)"
  cat >"$dir/config.json" <<JSON
{"log": {"access_log": false},
 "auth": {"rate_limits": {"hub_admin": {"per_second": 10000000, "burst": 10000000},
                          "agency_system": {"per_second": 10000000, "burst": 10000000},
                          "agency_data_officer": {"per_second": 10000000, "burst": 10000000}}}}
JSON
  echo -n "$token" >"$dir/admin-token"
  HUB_BOOTSTRAP_ADMIN_TOKEN=$token SERVER_CPU=0,1 hub_start "$dir/hub" "$dir/config.json"
  until curl -skf -o /dev/null "https://127.0.0.1:$HUB_PORT/readyz"; do sleep 0.2; done
  log "[$n] agencies, principals, $RESOURCES resources and grants through the API"
  python3 - "$HUB_PORT" "$token" "$RESOURCES" demo/agencies.csv demo/resources.json \
    "$dir/codes" "$dir/consumer-token" <<'PY'
import datetime, http.client, json, ssl, sys
port, admin, count, agencies_csv, resources_json, codes_file, token_file = sys.argv[1:8]
ctx = ssl._create_unverified_context()
conn = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx, timeout=60)
def api(method, path, tok, body=None, want=(200, 201)):
    conn.request(method, path, json.dumps(body, ensure_ascii=False).encode() if body is not None else b"",
                 {"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status not in want:
        sys.exit(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data or b"{}")
rows = [l.split(",") for l in open(agencies_csv, encoding="utf-8").read().splitlines()[1:]]
for c, name, level, parent in rows:
    api("POST", "/api/v1/agencies", admin, {"code": c, "name": name, "level": level})
tax = "11440100XYDWCM5T1B"
providers = [c for c, *_ in rows if c != tax][:20]
def principal(name, role, kind):
    p = api("POST", "/api/v1/principals", admin,
            {"agency_code": tax, "name": name, "kind": kind, "roles": [role]})
    return api("POST", f"/api/v1/principals/{p['id']}/tokens", admin, {})["token"]
officer = principal("scale-officer", "agency_data_officer", "user")
system = principal("scale-system", "agency_system", "system")
template = [r for r in json.load(open(resources_json, encoding="utf-8"))
            if r["name"] == "企业登记信息"][0]
until = (datetime.date.today() + datetime.timedelta(days=180)).isoformat()
codes = []
for k in range(int(count)):
    doc = {key: v for key, v in template.items() if key != "aggregate_policy"}
    doc["name"] = f"企业登记信息（第{k + 1:03d}批）"
    doc["provider_code"] = providers[k % len(providers)]
    doc["share_type"] = "unconditional"
    doc.pop("share_conditions", None)
    code = api("POST", "/api/v1/resources", admin, doc)["code"]
    api("POST", f"/api/v1/resources/{code}/publish", admin)
    app = api("POST", "/api/v1/applications", officer,
              {"resource_code": code, "operations": ["read", "query"],
               "items": ["uscc", "name", "reg_capital", "established", "district", "industry",
                         "status"],
               "purpose": "税收征管中核实纳税人登记信息", "valid_until": until})
    if not app.get("grant_id"):
        sys.exit(f"the application was not granted at once: {app}")
    codes.append(code)
open(codes_file, "w").write("".join(c + "\n" for c in sorted(codes)))
open(token_file, "w").write(system)
PY
  sock=$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$dir/hub/postgres/pgdata/hub.conf")
  # As the tables' owner (the role migrations run as), like an operator's bulk load.
  owner=$(psql_hub -c "SELECT tableowner FROM pg_tables WHERE tablename = 'records'")

  log "[$n] generating $n records and $n ledger entries in SQL (two sessions)"
  psql_hub -c "SELECT ledger_ensure_month(now() - make_interval(months => m))
               FROM generate_series(0, 12) m" >/dev/null
  start=$(date +%s)
  fill_records "$n" >"$dir/records.log" 2>&1 &
  local records_pid=$!
  fill_ledger "$n"
  wait "$records_pid" || { cat "$dir/records.log" >&2; die "loading the records failed"; }
  load_s=$(($(date +%s) - start))
  log "[$n] loaded in $load_s s; the sealer signs the entries and rolls them up"
  start=$(date +%s)
  wait_sealed "$n"
  seal_s=$(($(date +%s) - start))
  log "[$n] sealed in $seal_s s; VACUUM ANALYZE"
  psql_hub -c "VACUUM ANALYZE records, record_sequences, resources, ledger_entries,
               agency_daily, ledger_daily, ledger_hourly" >/dev/null
}

psql_hub() {
  runuser -u postgres -- env PGOPTIONS="${owner:+-c role=$owner}" \
    psql -qtAX -v ON_ERROR_STOP=1 -h "$sock" -d hub "$@"
}

# fill_records N: N records, record i in resource i % 200 (codes in code order) with key
# "91440100" followed by i in 10 digits, seq i / 200 + 1; then each resource's next_seq.
# Realistic enterprise documents (the demo's items, Chinese names and addresses), about 520
# bytes of JSON each.
fill_records() {
  local total=$1 made=0 k
  while ((made < total)); do
    k=$((total - made < CHUNK ? total - made : CHUNK))
    psql_hub -v first="$made" -v n="$k" <<'SQL'
WITH c AS (SELECT array_agg(code ORDER BY code) AS codes, count(*) AS nr FROM resources),
     v AS (SELECT ARRAY['越秀区', '海珠区', '荔湾区', '天河区', '白云区', '黄埔区', '番禺区',
                        '花都区', '南沙区', '从化区', '增城区'] AS districts,
                  ARRAY['华润', '广药', '珠江', '南方', '粤海', '羊城', '岭南', '白云', '越秀', '天河',
                        '宏达', '恒信', '鸿运', '新世纪', '中天', '金穗', '海德', '汇丰', '嘉禾', '东方'] AS brands,
                  ARRAY['贸易', '科技', '餐饮', '建筑工程', '物流', '医药', '电子', '文化传媒',
                        '房地产开发', '咨询'] AS words,
                  ARRAY['批发和零售业', '信息传输、软件和信息技术服务业', '住宿和餐饮业', '建筑业',
                        '交通运输、仓储和邮政业', '制造业', '制造业', '文化、体育和娱乐业',
                        '房地产业', '租赁和商务服务业'] AS industries,
                  ARRAY['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙',
                        '马', '朱', '胡', '郭', '何', '林', '罗', '梁'] AS surnames,
                  ARRAY['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳',
                        '杰', '娟', '涛', '明', '超', '秀英', '晓东', '志强'] AS given,
                  ARRAY['中山路', '解放路', '环市东路', '天河路', '体育西路', '江南大道',
                        '工业大道', '广州大道', '黄埔大道', '人民路'] AS roads),
     s AS (SELECT i, (i * 2654435761) % 4294967296 AS h, '91440100' || lpad(i::text, 10, '0') AS key
           FROM generate_series(:first::bigint, :first::bigint + :n - 1) i)
INSERT INTO records (resource_code, key, version, data, deleted, updated_at, seq)
SELECT c.codes[1 + s.i % c.nr], s.key, 1 + (s.h % 7 = 0)::int,
       jsonb_build_object(
         'uscc', s.key,
         'name', '广州市' || v.brands[1 + s.h % 20] || v.brands[1 + (s.h / 20) % 20]
                 || v.words[1 + (s.h / 400) % 10] || '有限公司',
         'legal_person', v.surnames[1 + (s.h / 7) % 20] || v.given[1 + (s.h / 11) % 20],
         'legal_person_id', '440106' || (1960 + s.h % 39) || lpad((1 + (s.h / 3) % 12)::text, 2, '0')
                 || lpad((1 + (s.h / 5) % 28)::text, 2, '0') || lpad((s.h % 1000)::text, 3, '0')
                 || (s.h / 17) % 10,
         'reg_capital', (1 + s.h % 2000) * 10,
         'established', make_date((1995 + (s.h / 9) % 31)::int, (1 + (s.h / 31) % 12)::int,
                                  (1 + (s.h / 372) % 28)::int)::text,
         'district', d.district,
         'industry', v.industries[1 + (s.h / 400) % 10],
         'address', '广州市' || d.district || v.roads[1 + (s.h / 19) % 10] || (1 + s.h % 999) || '号'
                 || (1 + (s.h / 23) % 30) || '楼',
         'status', CASE WHEN s.h % 100 < 88 THEN '存续' WHEN s.h % 100 < 95 THEN '在业'
                        WHEN s.h % 100 < 98 THEN '注销' ELSE '吊销' END),
       false, now() - make_interval(secs => (s.h % 31536000)::float8), s.i / c.nr + 1
FROM s, c, v, LATERAL (SELECT v.districts[1 + (s.h / 13) % 11] AS district) d;
SQL
    made=$((made + k))
    log "[$total] records: $made"
  done
  # Record i of resource r (0-based, in code order) has seq i / 200 + 1: the resource's last is
  # its count of records.
  psql_hub -v total="$total" <<'SQL'
INSERT INTO record_sequences AS q (resource_code, next_seq)
SELECT code, (:total::bigint - (row_number() OVER (ORDER BY code) - 1) + count(*) OVER () - 1)
             / count(*) OVER () + 1
FROM resources
ON CONFLICT (resource_code) DO UPDATE SET next_seq = EXCLUDED.next_seq;
SQL
}

# fill_ledger N: N entries in index and time order, from 365 days ago to 10 minutes ago (so 13
# month partitions fill), over every agency as consumer and the 200 resources (their providers):
# 3 reads to 1 query, 1 in 50 refused (403).
fill_ledger() {
  local total=$1 made=0 k
  while ((made < total)); do
    k=$((total - made < CHUNK ? total - made : CHUNK))
    psql_hub -v made="$made" -v n="$k" -v total="$total" <<'SQL'
BEGIN;
SELECT next_index AS head FROM ledger_head FOR UPDATE \gset
WITH a AS (SELECT array_agg(code ORDER BY code) AS codes, count(*) AS n FROM agencies),
     r AS (SELECT array_agg(code ORDER BY code) AS codes,
                  array_agg(provider_code ORDER BY code) AS providers, count(*) AS n
           FROM resources),
     s AS (SELECT :head::bigint + k AS i, :made::bigint + k AS m,
                  now() - interval '365 days'
                    + (interval '365 days' - interval '10 minutes') * ((:made + k)::float8 / :total) AS t
           FROM generate_series(0::bigint, :n - 1) k),
     e AS (SELECT s.i, s.t, md5('scale' || s.i) AS request_id,
                  CASE WHEN s.m % 4 = 3 THEN 'query' ELSE 'read' END AS operation,
                  a.codes[1 + (s.m * 7) % a.n] AS consumer_code,
                  r.providers[1 + (s.m * 13) % r.n] AS provider_code,
                  r.codes[1 + (s.m * 13) % r.n] AS resource_code,
                  CASE WHEN s.m % 50 = 0 THEN 403 ELSE 200 END AS status,
                  CASE WHEN s.m % 50 = 0 THEN 0 WHEN s.m % 4 = 3 THEN 1 + s.m % 100 ELSE 1 END
                    AS record_count
           FROM s, a, r)
INSERT INTO ledger_entries (idx, time, request_id, operation, consumer_code, provider_code,
                            resource_code, status, record_count, leaf, leaf_hash)
SELECT i, t, request_id, operation, consumer_code, provider_code, resource_code, status,
       record_count, leaf, sha256('\x00'::bytea || leaf)
FROM e, LATERAL (SELECT convert_to(json_build_object(
         'index', i, 'time', to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
         'request_id', request_id, 'operation', operation, 'consumer_code', consumer_code,
         'provider_code', provider_code, 'resource_code', resource_code,
         'purpose', '税收征管中核实纳税人登记信息', 'record_count', record_count,
         'status', status, 'response_sha256', encode(sha256(i::text::bytea), 'hex'))::text,
         'UTF8') AS leaf) l;
UPDATE ledger_head SET next_index = :head::bigint + :n, last_time = greatest(last_time, now());
COMMIT;
SQL
    made=$((made + k))
    log "[$total] ledger entries: $made"
  done
}

# sizes N: table and index sizes after the load, per row.
sizes() {
  psql_hub -v n="$1" <<'SQL'
SELECT format('records: %s rows, table %s, indexes %s, %s bytes/row in all; ledger_entries: %s partitions, table %s, indexes %s, %s bytes/row in all; database %s',
  :n, pg_size_pretty(pg_table_size('records')), pg_size_pretty(pg_indexes_size('records')),
  pg_total_relation_size('records') / :n,
  (SELECT count(*) FROM pg_partition_tree('ledger_entries') WHERE isleaf),
  pg_size_pretty((SELECT sum(pg_table_size(relid)) FROM pg_partition_tree('ledger_entries'))),
  pg_size_pretty((SELECT sum(pg_indexes_size(relid)) FROM pg_partition_tree('ledger_entries'))),
  (SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('ledger_entries'))::bigint / :n,
  pg_size_pretty(pg_database_size('hub')));
SQL
}

# explain N: EXPLAIN (ANALYZE, BUFFERS) of the SQL behind each measure, for one random value.
explain() {
  local n=$1 i code
  i=$((RANDOM * 32768 % n + RANDOM % n))
  i=$((i % n))
  code=$(sed -n "$((i % RESOURCES + 1))p" "$dir/codes")
  psql_hub -v code="$code" -v key="$(printf '91440100%010d' "$i")" <<'SQL'
\echo '--- key read'
EXPLAIN (ANALYZE, BUFFERS) SELECT version, updated_at, data::text FROM records
  WHERE resource_code = :'code' AND key = :'key' AND NOT deleted;
\echo '--- query, district eq'
EXPLAIN (ANALYZE, BUFFERS) SELECT key, version, updated_at, data::text, seq FROM records
  WHERE resource_code = :'code' AND seq > 0 AND NOT deleted
    AND (data->>'district') COLLATE "C" = '天河区' ORDER BY seq LIMIT 100;
\echo '--- query, uscc eq'
EXPLAIN (ANALYZE, BUFFERS) SELECT key, version, updated_at, data::text, seq FROM records
  WHERE resource_code = :'code' AND seq > 0 AND NOT deleted
    AND (data->>'uscc') COLLATE "C" = :'key' ORDER BY seq LIMIT 100;
SQL
}

# run_wrk MODE N: wrk against the running hub; prints "ok_req/s p50_ms p99_ms failed", where
# ok_req/s counts 2xx answers only and failed is non-2xx answers plus requests unanswered within
# wrk's --timeout of 15 s (the hub gives up a statement after database.query_timeout_ms, 10 s).
run_wrk() {
  local mode=$1 n=$2 out
  out="$results/wrk-$mode-$n.txt"
  HUB_BENCH_MODE=$mode HUB_BENCH_TOKEN=$consumer HUB_BENCH_CODES=$dir/codes \
    HUB_BENCH_RECORDS=$n wrk -t2 -c"$CONNECTIONS" -d5s --timeout 15s -s bench/scale_data.lua \
    "https://127.0.0.1:$HUB_PORT" >/dev/null
  wait_quiet || true
  HUB_BENCH_MODE=$mode HUB_BENCH_TOKEN=$consumer HUB_BENCH_CODES=$dir/codes \
    HUB_BENCH_RECORDS=$n wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 15s --latency \
    -s bench/scale_data.lua "https://127.0.0.1:$HUB_PORT" >"$out"
  log "[$n] $mode: $(grep -E '^Requests/sec|non-2xx|timeout' "$out" | tr -s ' \n' ' ')"
  awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                        if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v }
       $2 == "requests" && $3 == "in" {done = $1; secs = $4 + 0}
       $1 == "50%" {p50 = ms($2)} $1 == "99%" {p99 = ms($2)}
       /^non-2xx answers/ {e = $3}
       /Socket errors/ {for (k = 1; k <= NF; k++) if ($k == "timeout") t = $(k + 1) + 0}
       END {printf "%.1f %.3f %.3f %d\n", (done - e) / secs, p50, p99, e + t}' "$out"
}

# report_median: median time in ms of RUNS requests for the last complete month's JSON report.
report_median() {
  python3 - "$HUB_PORT" "$token" "$RUNS" <<'PY'
import datetime, http.client, ssl, sys, time
port, token, runs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl._create_unverified_context()
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
today = (datetime.datetime.utcnow() + datetime.timedelta(hours=8)).date()
last = today.replace(day=1) - datetime.timedelta(days=1)
q = f"/api/v1/reports/sharing-status?from={last.replace(day=1)}&to={last}"
def get():
    t = time.perf_counter()
    conn.request("GET", q, headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"report: {r.status} {body[:200]!r}")
    return (time.perf_counter() - t) * 1000
get()  # warm
ms = sorted(get() for _ in range(runs))
print(f"{ms[len(ms) // 2]:.2f}")
PY
}

# Phase 1: load every scale, each in a hub of its own (stopped once loaded; the data stays).
declare -A dirs
first_scale=""
for n in $SCALES; do
  [[ -n "$first_scale" ]] || first_scale=$n
  dir=""
  make_tmp dir
  dirs[$n]=$dir
  owner=""
  load_scale "$dir" "$n"
  sizes "$n" | tee "$results/sizes-$n" >&2
  echo "$load_s $seal_s" >"$results/load-$n"
  hub_stop
done

# Phase 2: REPS rounds, each measuring every scale in turn on a freshly started hub (what it
# keeps in memory is read again from the database), so that other work on the machine weighs on
# all scales alike; the summary takes each figure's median over the rounds.
for ((round = 1; round <= REPS; round++)); do
  for n in $SCALES; do
    dir=${dirs[$n]}
    token=$(cat "$dir/admin-token")
    consumer=$(cat "$dir/consumer-token")
    log "[$n] round $round: starting hubd"
    HUB_BOOTSTRAP_ADMIN_TOKEN=$token SERVER_CPU=0,1 hub_start "$dir/hub" "$dir/config.json"
    until curl -skf -o /dev/null "https://127.0.0.1:$HUB_PORT/readyz"; do sleep 0.2; done
    sock=$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$dir/hub/postgres/pgdata/hub.conf")
    owner=""
    psql_hub -c "CHECKPOINT" >/dev/null
    owner=$(psql_hub -c "SELECT tableowner FROM pg_tables WHERE tablename = 'records'")
    if [[ "$EXPLAIN" == 1 && $round == 1 ]]; then explain "$n" >&2; fi
    read -r rr rp50 rp99 re < <(run_wrk read "$n")
    read -r br bp50 bp99 be < <(run_wrk broad "$n")
    read -r or op50 op99 oe < <(run_wrk one "$n")
    wait_quiet || true
    rep=$(report_median)
    log "[$n] round $round: report median $rep ms"
    echo "$n $rr $rp50 $rp99 $re $br $bp50 $bp99 $be $or $op50 $op99 $oe $rep $(cat "$results/load-$n")" \
      >>"$results/figures"
    hub_stop
  done
done
cp "$results/figures" "${FIGURES_FILE:-/dev/null}"

echo
echo "Scale of the data: hubd $HUBD_ORIG (sha256 $(sha256sum "$HUBD_ORIG" | cut -c1-12)), $CONNECTIONS connections, ${DURATION}s per wrk run, report median of $RUNS; medians of $REPS rounds"
for n in $SCALES; do cat "$results/sizes-$n"; done
# Per scale, the median of each figure over the rounds (failed requests: the sum).
awk '{ k = ++c[$1]; for (j = 2; j <= NF; j++) v[$1, j, k] = $j; if (NF > nf) nf = NF; order[$1] = order[$1] ? order[$1] : ++no; names[order[$1]] = $1 }
  END {
    for (o = 1; o <= no; o++) {
      s = names[o]; line = s
      for (j = 2; j <= nf; j++) {
        m = c[s]; delete a
        for (k = 1; k <= m; k++) a[k] = v[s, j, k]
        if (j == 5 || j == 9 || j == 13) { t = 0; for (k = 1; k <= m; k++) t += a[k]; line = line " " t; continue }
        for (x = 2; x <= m; x++) { y = a[x]; for (z = x - 1; z >= 1 && a[z] > y; z--) a[z + 1] = a[z]; a[z + 1] = y }
        med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
        line = line " " med
      }
      print line
    }
  }' "$results/figures" >"$results/medians"
awk -v base="$first_scale" '
  function ratio(v, b) { return b > 0 ? sprintf("%.2fx", v / b) : "n/a" }
  function verdict(r) { return r <= 1.5 ? "within 1.5x" : "BEYOND 1.5x" }
  { n[NR] = $1; for (k = 2; k <= NF; k++) f[NR, k] = $k; if ($1 == base) b = NR }
  END {
    printf "%-11s | %-34s | %-34s | %-34s | %-9s | %s\n", "scale", "key read ok/s p50 p99 (ms)",
      "query district eq ok/s p50 p99", "query uscc eq ok/s p50 p99", "report ms", "load+seal s"
    for (i = 1; i <= NR; i++)
      printf "%-11s | %7.1f %7.2f %7.2f (failed %d) | %7.1f %7.2f %7.2f (failed %d) | %7.1f %7.2f %7.2f (failed %d) | %9.2f | %d+%d\n",
        n[i], f[i,2], f[i,3], f[i,4], f[i,5], f[i,6], f[i,7], f[i,8], f[i,9], f[i,10], f[i,11],
        f[i,12], f[i,13], f[i,14], f[i,15], f[i,16]
    for (i = 1; i <= NR; i++) {
      if (i == b) continue
      # Time ratios: the rate of 2xx answers as time per request (base rate / rate), p99 and the
      # report as measured; a measure is within target when both its ratios are.
      printf "%s against %s (target: within 1.5x of its time at %s):\n", n[i], base, base
      printf "  key read: time per request %s, p99 %s -> %s\n", ratio(f[b,2], f[i,2]),
        ratio(f[i,4], f[b,4]), verdict(f[i,4] / f[b,4] > f[b,2] / f[i,2] ? f[i,4] / f[b,4] : f[b,2] / f[i,2])
      printf "  query district eq: time per request %s, p99 %s -> %s\n", ratio(f[b,6], f[i,6]),
        ratio(f[i,8], f[b,8]), verdict(f[i,8] / f[b,8] > f[b,6] / f[i,6] ? f[i,8] / f[b,8] : f[b,6] / f[i,6])
      printf "  query uscc eq: time per request %s, p99 %s -> %s\n", ratio(f[b,10], f[i,10]),
        ratio(f[i,12], f[b,12]), verdict(f[i,12] / f[b,12] > f[b,10] / f[i,10] ? f[i,12] / f[b,12] : f[b,10] / f[i,10])
      printf "  monthly report: %s -> %s\n", ratio(f[i,14], f[b,14]), verdict(f[i,14] / f[b,14])
    }
  }' "$results/medians"
