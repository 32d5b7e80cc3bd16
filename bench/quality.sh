#!/usr/bin/env bash
# Data-quality measurement speed (issue 22): hub_measure_quality() (024_quality.sql), what
# GET /api/v1/resources/{code}/quality and the monitor run, over one resource of SMALL records
# (measured exactly: every live record) and LARGE records (over the exact limit: a uniform
# sample of about PROBES records drawn by change number), RUNS times each; prints the median and
# the slowest. It needs no hubd: a throwaway PostgreSQL 15 in a temp dir (unix socket only) with
# the hub's migrations applied as they are in schemas/postgresql/.
# Records look like 企业登记信息's: 8 items, 4 with rules, 1 % marked as breaking one, 10 % of
# one item empty.
#   SMALL=200000 LARGE=1000000 PROBES=100000 EXACT_LIMIT=200000 RUNS=5 bench/quality.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

SMALL=${SMALL:-200000}
LARGE=${LARGE:-1000000}
PROBES=${PROBES:-100000}
EXACT_LIMIT=${EXACT_LIMIT:-200000}
RUNS=${RUNS:-5}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x "$PG_BIN/initdb" ]] || die "no PostgreSQL 15 at $PG_BIN (./scripts/setup installs it)"

dir=$(make_tmp)
chown postgres: "$dir"
as_pg() { runuser -u postgres -- "$@"; }
log "a throwaway PostgreSQL in $dir"
as_pg "$PG_BIN/initdb" -D "$dir/data" --locale=C.UTF-8 -E UTF8 --nosync -A trust -U postgres \
  >/dev/null
as_pg "$PG_BIN/pg_ctl" start -w -D "$dir/data" -l "$dir/server.log" \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off" >/dev/null
at_exit "runuser -u postgres -- $PG_BIN/pg_ctl stop -D $dir/data -m fast >/dev/null 2>&1 || true"
psql_db() { psql -qtAX -v ON_ERROR_STOP=1 -h "$dir" -U postgres -d postgres "$@"; }

psql_db -c "CREATE TABLE schema_migrations (version int)"
for f in schemas/postgresql/*.sql; do psql_db -f "$f" >/dev/null; done

# load CODE N: a published resource with N live records.
load() {
  local code=$1 n=$2
  log "$code: $n records"
  psql_db <<SQL
INSERT INTO agencies (code, name, level) VALUES ('91440101MA5CXXXX1A', '基准测试单位', 'city')
  ON CONFLICT DO NOTHING;
INSERT INTO resources (code, provider_code, name, summary, category, share_type, document,
                       item_count, status, published_at)
VALUES ('$code', '91440101MA5CXXXX1A', '企业登记信息 $code', 'bench', 'basic', 'conditional',
 '{"update_cycle":"daily","key":"uscc","items":[{"name":"uscc","check":"uscc"},
   {"name":"name","max_length":100},{"name":"legal_person"},{"name":"reg_capital","min":0},
   {"name":"district"},{"name":"industry"},{"name":"address"},
   {"name":"status","enum":["存续","在业","注销","吊销"]}]}', 8, 'published', now());
INSERT INTO records (resource_code, key, version, data, seq, broken)
SELECT '$code', 'K' || g, 1,
  jsonb_build_object('uscc', 'K' || g, 'name', '广州市基准测试企业' || g || '有限公司',
    'legal_person', '张三', 'reg_capital', g % 1000,
    'district', CASE WHEN g % 10 = 0 THEN NULL ELSE '天河区' END, 'industry', '制造业',
    'address', '广州市天河区某路' || g || '号', 'status', '存续'),
  g, CASE WHEN g % 100 = 0 THEN ARRAY['reg_capital.min'] END
FROM generate_series(1, $n) g;
INSERT INTO record_sequences (resource_code, next_seq) VALUES ('$code', $n + 1);
ANALYZE records;
SQL
}

# measure CODE: RUNS measurements; prints "median_ms max_ms examined".
measure() {
  local code=$1 times=() examined=""
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s%N)
    examined=$(psql_db -c "SELECT coalesce(sampled, records) FROM hub_measure_quality('$code', $EXACT_LIMIT, $PROBES)")
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  local sorted
  mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
  echo "${sorted[$((RUNS / 2))]} ${sorted[$((RUNS - 1))]} $examined"
}

load SMALL "$SMALL"
load LARGE "$LARGE"
read -r small_median small_max small_examined <<<"$(measure SMALL)"
read -r large_median large_max large_examined <<<"$(measure LARGE)"
printf '%-10s %10s %10s %12s %12s\n' resource records examined "median ms" "slowest ms"
printf '%-10s %10s %10s %12s %12s\n' small "$SMALL" "$small_examined" "$small_median" "$small_max"
printf '%-10s %10s %10s %12s %12s\n' large "$LARGE" "$large_examined" "$large_median" "$large_max"
