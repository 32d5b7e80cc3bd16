#!/usr/bin/env bash
# Catalog search latency: 10,000 published resources, 50 concurrent clients searching name and
# summary for Chinese substrings (and filters) over HTTPS keep-alive; prints wrk's percentiles.
# Target (issue 4): p99 under 20 ms at 50 concurrent clients.
#   COUNT=10000 CONNECTIONS=50 DURATION=20 bench/catalog_search.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
ensure_tools
COUNT=${COUNT:-10000}
CONNECTIONS=${CONNECTIONS:-50}
DURATION=${DURATION:-20}

dir=$(make_tmp)
hub_start_loaded "$dir"
HUB_TOKEN=$token HUB_URL="https://127.0.0.1:$HUB_PORT" "${HUBCTL:-build/hubctl}" --insecure \
  agencies import demo/agencies.csv >/dev/null
log "registering and publishing $COUNT resources through the API"
start=$(date +%s.%N)
made=$(python3 bench/seed_catalog.py "$HUB_PORT" "$token" "$COUNT" demo/agencies.csv)
end=$(date +%s.%N)
log "made $made resources in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s"
# A catalog in service is vacuumed and analysed by autovacuum; 10,000 fresh inserts and updates
# are not yet, so do now what autovacuum would do within the minute.
sock=$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$dir/hub/postgres/pgdata/hub.conf")
runuser -u postgres -- psql -q -h "$sock" -d hub -c "VACUUM ANALYZE resources" ||
  psql -q -h "$sock" -U postgres -d hub -c "VACUUM ANALYZE resources"
wait_quiet || true
HUB_BENCH_TOKEN=$token wrk -t2 -c"$CONNECTIONS" -d5s -s bench/catalog_search.lua \
  "https://127.0.0.1:$HUB_PORT" >/dev/null  # warm-up
HUB_BENCH_TOKEN=$token wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
  -s bench/catalog_search.lua "https://127.0.0.1:$HUB_PORT" | tee "$dir/wrk.txt"
p99=$(awk '$1 == "99%" {print $2}' "$dir/wrk.txt")
echo
echo "catalog search over $made resources, $CONNECTIONS connections: p99 $p99 (target: under 20ms)"
