#!/usr/bin/env bash
# Report speed (issue 8): the sharing-status report of a month for 155 agencies, over a ledger of
# ENTRIES_SMALL (1 million) and then ENTRIES (10 million) entries, each in a hub of its own.
# Targets: under 300 ms at 10M, and no slower than 1.2x its time at 1M.
#
# Each hub gets 155 agencies (the demo's 56 and 99 more, with valid codes), 10 resources each
# (through the API), a month of workflow rollups (synthetic, as the triggers would keep them),
# and a month of ledger entries spread over 1,550 consumer-resource pairs (SQL, in index and time
# order, as hub_bench fill does), which the hub's own sealer then signs and rolls up. The report is
# then asked RUNS times over HTTPS keep-alive.
#   ENTRIES_SMALL=1000000 ENTRIES=10000000 RUNS=30 bench/report.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
ensure_tools python3 curl openssl

ENTRIES_SMALL=${ENTRIES_SMALL:-1000000}
ENTRIES=${ENTRIES:-10000000}
RUNS=${RUNS:-30}
AGENCIES=155
RESOURCES_EACH=10

# run_one ENTRIES: a fresh hub with that many ledger entries; prints the figures, and the JSON
# report's median time in ms to $RESULT_FILE.
run_one() {
  local entries=$1 dir sock
  dir=$(make_tmp)
  hub_start_loaded "$dir"
  sock=$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$dir/hub/postgres/pgdata/hub.conf")
  psql_hub() { runuser -u postgres -- psql -qtAX -v ON_ERROR_STOP=1 -h "$sock" -d hub "$@"; }

  log "[$entries] $AGENCIES agencies, $((AGENCIES * RESOURCES_EACH)) resources"
  python3 - "$HUB_PORT" "$token" "$AGENCIES" demo/agencies.csv >"$dir/agencies.csv" <<'PY'
import http.client, json, random, ssl, sys
port, token, want, demo = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl._create_unverified_context()
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
def code(first17):  # GB 32100 check character
    s = sum(CHARS.index(c) * w for c, w in zip(first17, W))
    return first17 + CHARS[(31 - s % 31) % 31]
rows = [l.split(",") for l in open(demo, encoding="utf-8").read().splitlines()[1:]]
codes = []
for c, name, level, parent in rows:
    conn.request("POST", "/api/v1/agencies", json.dumps(
        {"code": c, "name": name, "level": level}, ensure_ascii=False).encode(), H)
    conn.getresponse().read()
    codes.append(c)
rnd = random.Random(8)
districts = ["越秀区", "海珠区", "荔湾区", "天河区", "白云区", "黄埔区", "番禺区", "花都区", "南沙区", "从化区", "增城区"]
units = ["街道办事处", "卫生健康局", "教育局", "市场监督管理局", "住房和建设局", "民政局", "人力资源和社会保障局", "城市管理和综合执法局", "农业农村局"]
while len(codes) < want:
    c = code("11440" + "".join(rnd.choice(CHARS) for _ in range(12)))
    name = rnd.choice(districts) + rnd.choice(units) + str(len(codes))
    conn.request("POST", "/api/v1/agencies", json.dumps(
        {"code": c, "name": "广州市" + name, "level": "district"}, ensure_ascii=False).encode(), H)
    r = conn.getresponse(); r.read()
    if r.status == 201:
        codes.append(c)
print("code,name,level,parent_code")
for c in codes:
    print(f"{c},x,city,")
PY
  python3 bench/seed_catalog.py "$HUB_PORT" "$token" $((AGENCIES * RESOURCES_EACH)) \
    "$dir/agencies.csv" >/dev/null

  log "[$entries] a month of workflow rollups (synthetic)"
  psql_hub <<'SQL'
INSERT INTO workflow_daily (day, agency_code, event, n)
SELECT d::date, a.code, e, 1 + abs(hashtext(a.code || d::text || e)) % 4
FROM generate_series(hub_local_day(now()) - 30, hub_local_day(now()), interval '1 day') d,
     agencies a,
     unnest(ARRAY['application_received', 'application_approved', 'application_rejected',
                  'application_replied_late', 'objection_received',
                  'objection_resolved_on_time', 'objection_resolved_late']) e
WHERE abs(hashtext(a.code || d::text || e)) % 3 = 0;
INSERT INTO reply_daily (day, agency_code, tenths, n)
SELECT DISTINCT ON (1, 2, 3) d::date, a.code, abs(hashtext(a.code || d::text || k)) % 2400, 1
FROM generate_series(hub_local_day(now()) - 30, hub_local_day(now()), interval '1 day') d,
     agencies a, generate_series(1, 3) k;
SQL

  log "[$entries] filling the ledger: $entries entries over the last 30 days (SQL)"
  local start made=0 chunk=1000000 n
  start=$(date +%s)
  psql_hub -c "SELECT ledger_ensure_month(now() - interval '31 days'), ledger_ensure_month(now())" \
    >/dev/null
  while ((made < entries)); do
    n=$((entries - made < chunk ? entries - made : chunk))
    psql_hub -v first="$made" -v n="$n" -v total="$entries" <<'SQL'
BEGIN;
SELECT next_index FROM ledger_head FOR UPDATE \gset
WITH a AS (SELECT array_agg(code ORDER BY code) AS codes, count(*) AS n FROM agencies),
     r AS (SELECT array_agg(code ORDER BY code) AS codes,
                  array_agg(provider_code ORDER BY code) AS providers, count(*) AS n
           FROM resources),
     s AS (SELECT i, i % 1550 AS pair,
                  now() - interval '30 days' + (interval '30 days' - interval '5 minutes') * (i::float8 / :total) AS t
           FROM generate_series(:first::bigint, :first::bigint + :n - 1) i)
INSERT INTO ledger_entries (idx, time, request_id, operation, consumer_code, provider_code,
                            resource_code, status, record_count, leaf, leaf_hash)
SELECT i, t, 'fill-' || i, (ARRAY['read', 'query', 'verify'])[1 + i % 3],
       a.codes[1 + s.pair % a.n], r.providers[1 + (s.pair * 37) % r.n],
       r.codes[1 + (s.pair * 37) % r.n], CASE WHEN i % 50 = 0 THEN 403 ELSE 200 END,
       CASE WHEN i % 50 = 0 THEN 0 ELSE 1 + i % 20 END, leaf, sha256('\x00'::bytea || leaf)
FROM s, a, r, LATERAL (SELECT convert_to(json_build_object('index', i, 'request_id', 'fill-' || i,
                                                           'purpose', '统计分析')::text, 'UTF8') AS leaf) l;
UPDATE ledger_head SET next_index = :first::bigint + :n, last_time = greatest(last_time, now());
COMMIT;
SQL
    made=$((made + n))
    log "[$entries] filled $made"
  done
  log "[$entries] filled in $(($(date +%s) - start)) s; the sealer signs and rolls them up"
  start=$(date +%s)
  wait_sealed "$entries"
  log "[$entries] sealed and rolled up in $(($(date +%s) - start)) s"
  psql_hub -c "VACUUM ANALYZE agency_daily, workflow_daily, reply_daily, ledger_daily, resources" \
    >/dev/null
  log "[$entries] rollup rows: $(psql_hub -c "SELECT (SELECT count(*) FROM agency_daily) || ' agency-days, ' || (SELECT count(*) FROM ledger_daily) || ' ledger_daily, ' || (SELECT count(*) FROM workflow_daily) || ' workflow_daily, ' || (SELECT count(*) FROM reply_daily) || ' reply_daily'")"

  wait_quiet || true
  python3 - "$HUB_PORT" "$token" "$RUNS" "$entries" "$RESULT_FILE" <<'PY'
import datetime, http.client, json, ssl, sys, time
port, token, runs, entries = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ctx = ssl._create_unverified_context()
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
today = (datetime.datetime.utcnow() + datetime.timedelta(hours=8)).date()
period = f"from={today - datetime.timedelta(days=30)}&to={today}"
H = {"Authorization": "Bearer " + token}
def get(q):
    t = time.perf_counter()
    conn.request("GET", "/api/v1/reports/sharing-status?" + q, headers=H)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"report: {r.status} {body[:200]}")
    return (time.perf_counter() - t) * 1000, body
get(period)  # warm: statements prepared, pages cached
ms = sorted(get(period)[0] for _ in range(runs))
_, body = get(period)
rep = json.loads(body)
served = sum(a["requests_served"] for a in rep["agencies"])
csv_ms, _ = get(period + "&format=csv")
xlsx_ms, xlsx = get(period + "&format=xlsx")
print(f"{entries} entries: {len(rep['agencies'])} agencies, {served} requests served in the period; "
      f"JSON p50 {ms[len(ms) // 2]:.1f} ms, p90 {ms[int(len(ms) * 0.9)]:.1f} ms, max {ms[-1]:.1f} ms "
      f"({runs} runs); CSV {csv_ms:.1f} ms; XLSX {xlsx_ms:.1f} ms ({len(xlsx)} bytes)")
open(sys.argv[5], "w").write(f"{ms[len(ms) // 2]:.2f}\n")
PY
  hub_stop
}

log "hubd $HUBD"
results=$(make_tmp)
RESULT_FILE=$results/small run_one "$ENTRIES_SMALL"
RESULT_FILE=$results/large run_one "$ENTRIES"
awk -v s="$(cat "$results/small")" -v l="$(cat "$results/large")" \
  -v ns="$ENTRIES_SMALL" -v nl="$ENTRIES" 'BEGIN {
  printf "monthly report, p50: %.1f ms over %d entries, %.1f ms over %d: %.2fx", s, ns, l, nl, l / s
  printf " (targets: under 300 ms, at most 1.20x)\n" }'
