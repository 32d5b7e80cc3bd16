#!/usr/bin/env bash
# Ledger speed (issue 6): durable appends per second through the group-commit appender, and the
# latency of an inclusion proof over HTTPS once the ledger holds 10 million entries.
# Targets: at least 50,000 entries/s appended and durable; a proof at 10M under 5 ms.
#   SECONDS_APPEND=20 CONCURRENCY=512 ENTRIES=10000000 PROOFS=500 bench/ledger.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
ensure_tools python3 curl
SECONDS_APPEND=${SECONDS_APPEND:-20}
CONCURRENCY=${CONCURRENCY:-512}
ENTRIES=${ENTRIES:-10000000}
PROOFS=${PROOFS:-500}
BENCH_BIN=${BENCH_BIN:-build/hub_bench}
[[ -x $BENCH_BIN ]] || die "$BENCH_BIN is missing: build first (scripts/build)"

dir=$(make_tmp)
hub_start_loaded "$dir"
sock=$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$dir/hub/postgres/pgdata/hub.conf")
app="host=$sock port=5432 dbname=hub user=hub_app"
fsync=$(runuser -u postgres -- psql -qtA -h "$sock" -d hub -c "SHOW fsync")
sync=$(runuser -u postgres -- psql -qtA -h "$sock" -d hub -c "SHOW synchronous_commit")
log "embedded PostgreSQL: fsync=$fsync, synchronous_commit=$sync (the appender sets it on)"

wait_quiet || true
log "appending for ${SECONDS_APPEND}s with $CONCURRENCY concurrent requests (the hub's appender code)"
"$BENCH_BIN" append "$app" "$SECONDS_APPEND" "$CONCURRENCY" | tee "$dir/append.txt"

have=$(runuser -u postgres -- psql -qtA -h "$sock" -d hub -c "SELECT next_index FROM ledger_head")
if ((ENTRIES > have)); then
  log "filling the ledger to $ENTRIES entries with synthetic rows (SQL, not the appender)"
  start=$(date +%s)
  "$BENCH_BIN" fill "$app" $((ENTRIES - have))
  log "filled in $(($(date +%s) - start)) s; waiting for the sealer to sign a checkpoint over them"
fi
start=$(date +%s)
wait_sealed "$ENTRIES"
log "sealed $size entries in $(($(date +%s) - start)) s"
runuser -u postgres -- psql -q -h "$sock" -d hub -c "VACUUM ANALYZE ledger_tiles, ledger_checkpoints"

wait_quiet || true
python3 - "$HUB_PORT" "$token" "$size" "$PROOFS" <<'PY' | tee "$dir/proof.txt"
import http.client, json, random, ssl, sys, time
port, token, size, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ctx = ssl._create_unverified_context()
conn = http.client.HTTPSConnection("127.0.0.1", int(port), context=ctx)
headers = {"Authorization": "Bearer " + token}
times = []
random.seed(6)
for i in range(count + 20):
    index = random.randrange(size)
    t0 = time.perf_counter()
    conn.request("GET", f"/api/v1/ledger/proof/inclusion?index={index}&tree_size={size}", headers=headers)
    r = conn.getresponse()
    body = r.read()
    t1 = time.perf_counter()
    assert r.status == 200, body
    assert len(json.loads(body)["hashes"]) >= 1
    if i >= 20:  # the first few warm the connection and the caches
        times.append((t1 - t0) * 1000)
times.sort()
pct = lambda p: times[int(p * (len(times) - 1))]
print(f"inclusion proof at {size:,} entries over HTTPS keep-alive, {len(times)} random indexes: "
      f"p50 {pct(0.5):.2f} ms, p99 {pct(0.99):.2f} ms, max {times[-1]:.2f} ms (target: under 5 ms)")
PY
echo
echo "ledger: $(head -1 "$dir/append.txt") (target: at least 50,000/s)"
cat "$dir/proof.txt"
