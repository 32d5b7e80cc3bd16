#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called from check()
# Cluster scenario 2 (issue 18): kill -9 the PostgreSQL primary (its pg_autoctl and postmaster,
# as a machine's loss) under a steady load through HAProxy, at a moment when ledger commits are
# likely to wait for the standby's acknowledgement of WAL it holds. pg_auto_failover promotes the
# secondary; every hub node serves a data request again within 15 s of the new primary accepting
# writes (API.md Part 2); every request acknowledged before, during and after is in the ledger, and
# no request answered otherwise has an entry with a 2xx status; the checkpoint signed after the
# failover is consistent (RFC 9162 consistency proof, from the API, verified here) with the one
# signed before, and `hubctl ledger verify` accepts the whole export against both. The old primary
# then rejoins as the secondary.
#
#   usage: bash tests/cluster/pg_failover.sh HUBD HUBCTL   (HUB_CLUSTER_TEST_DIR: see common.bash)
set -euo pipefail
scenario=pg_failover
# shellcheck source=tests/cluster/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

tag=fail$(openssl rand -hex 3)
load_setup
load_start "$tag" --threads 12 --rate 150
sleep 4
public_key "$tmp/key.pem" || die "could not fetch the ledger's public key"
size_before=$(checkpoint "$tmp/before.txt") || die "could not fetch a checkpoint"
echo "[$scenario] checkpoint before the failover: $size_before entries"

# --- the kill, while commits wait for the standby ----------------------------------------------
# The case of a COMMIT whose outcome is unknown (API.md Part 2), made likely rather than left to
# chance: for the last second before the kill the standby is told not to report the WAL it has
# flushed (wal_receiver_status_interval = 0), so synchronous commits tend to wait for it and the
# kill finds ledger batches on the standby whose hub never learnt they committed. Likely, not
# certain: something in this setup still makes the standby reply at times (on the 2-core test
# machine, 2 of 4 runs against a hub without the resolution caught it).
primary=$(cluster_pg_primary "$cluster_dir") || die "no primary"
standby_port=""
for p in $PG_NODE_PORTS; do [[ $p == "${primary##*:}" ]] || standby_port=$p; done
[[ -n "$standby_port" ]] || die "no standby besides the primary $primary"
extra_cleanup+=("pg_super $standby_port 'ALTER SYSTEM RESET wal_receiver_status_interval' >/dev/null; pg_super $standby_port 'SELECT pg_reload_conf()' >/dev/null")
pg_super "$standby_port" "ALTER SYSTEM SET wal_receiver_status_interval = 0" >/dev/null
pg_super "$standby_port" "SELECT pg_reload_conf()" >/dev/null
waiting=0
deadline=$((SECONDS + 5))
sleep 1
while ((SECONDS < deadline)); do
  waiting=$(pg_super "${primary##*:}" "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")
  ((waiting > 0)) && break
  sleep 0.1
done
measured "sessions waiting for the standby's acknowledgement at the kill" "$waiting"
((waiting > 0)) || echo "[$scenario] warning: no commit waits for the standby at the kill"
t_kill=$(now)
old=$(cluster_kill_pg_primary "$cluster_dir") || die "cluster_kill_pg_primary failed"
old_name=${old%%:*}
echo "[$scenario] killed the primary $old at $(date -u +%T.%3N)"
# Every node, directly, until it serves a data request again (in the background: the wait for
# the new primary runs meanwhile).
nodes=()
for ((i = 1; i <= HUB_CLUSTER_NODES; i++)); do nodes+=("$i"); done
probe "$tag" "$t_kill" 120 "${nodes[@]}" >"$tmp/probe.json" 2>"$tmp/probe.err" &
probe_pid=$!
extra_cleanup+=("kill $probe_pid 2>/dev/null")

new=$(cluster_wait_pg_primary "$cluster_dir" "$old" 90 2>"$tmp/wait.err") ||
  { cat "$tmp/wait.err"; die "no new primary within 90 s of the kill"; }
# The time the new primary accepted a write: the library's (since its own kill mark), else ours.
if [[ -s "$cluster_dir/run/pg-kill.ms" && -s "$cluster_dir/run/pg-failover.ms" ]]; then
  t_kill=$(python3 -c 'import sys; print(int(sys.argv[1]) / 1000)' "$(<"$cluster_dir/run/pg-kill.ms")")
  t_writable=$(python3 -c 'import sys; print(float(sys.argv[1]) + int(sys.argv[2]) / 1000)' \
    "$t_kill" "$(<"$cluster_dir/run/pg-failover.ms")")
else
  t_writable=$(now)
fi
echo "[$scenario] $new is the primary and commits writes"
pg_super "$standby_port" "ALTER SYSTEM RESET wal_receiver_status_interval" >/dev/null || true
pg_super "$standby_port" "SELECT pg_reload_conf()" >/dev/null || true
measured "promotion: the new primary commits a write after the kill" "$(elapsed "$t_kill" "$t_writable") s"

wait "$probe_pid" || true
probe_json=$(cat "$tmp/probe.json")
every_node_serves() {
  local i url first worst=""
  [[ -n "$probe_json" ]] || { why="the probe printed nothing: $(cat "$tmp/probe.err")"; return 1; }
  for i in "${nodes[@]}"; do
    url=$(node_url "$i")
    first=$(json_get "$probe_json" "d['$url']['first_2xx']")
    [[ "$first" != None ]] || { why="node $i did not serve within 120 s of the kill"; return 1; }
    local after
    after=$(elapsed "$t_writable" "$first")
    measured "node $i serves again, after the new primary accepted writes" "$after s ($(elapsed "$t_kill" "$first") s after the kill)"
    le "$after" 15 || worst+=" node $i after $after s;"
  done
  [[ -z "$worst" ]] || { why="beyond 15 s:$worst"; return 1; }
}
check "every node serves again within 15 s of the new primary accepting writes" every_node_serves

sleep 8  # more traffic on the new primary
load_stop
load_out "$tag"

# --- the ledger ---------------------------------------------------------------------------------
check "every acknowledged request (before, during, after) is in the ledger; no 2xx entry for a request answered otherwise; no request failed after its retries" \
  load_check "$tag" --no-unanswered-entries
load_figures "$tag"

consistent() {
  local size_after
  wait_sealed $((size_before + 1)) 10 || { why="no checkpoint after $size_before within 10 s"; return 1; }
  size_after=$(checkpoint "$tmp/after.txt") || { why="no checkpoint"; return 1; }
  measured "checkpoints compared" "$size_before -> $size_after entries"
  python3 "$here/proofs.py" consistency --url "$HUB_CLUSTER_URL" --token "$ADMIN_TOKEN" \
    --key "$tmp/key.pem" "$tmp/before.txt" "$tmp/after.txt" >"$tmp/proof.out" 2>&1 ||
    { why=$(cat "$tmp/proof.out"); return 1; }
  sed 's/^/  /' "$tmp/proof.out"
}
check "the checkpoint after the failover is consistent with the one before (RFC 9162 proof)" consistent

verified() {
  "$hubctl" --url "$HUB_CLUSTER_URL" --ca "$HUB_CLUSTER_CA" --token-file "$ADMIN_TOKEN_FILE" \
    ledger export -o "$tmp/export.ndjson" >/dev/null 2>"$tmp/export.err" ||
    { why="export: $(cat "$tmp/export.err")"; return 1; }
  "$hubctl" ledger verify --export "$tmp/export.ndjson" --checkpoint "$tmp/after.txt" \
    --key "$tmp/key.pem" --earlier "$tmp/before.txt" >"$tmp/verify.out" 2>&1 ||
    { why=$(head -c 2000 "$tmp/verify.out"); return 1; }
  measured "hubctl ledger verify of the whole export" "$(wc -l <"$tmp/export.ndjson") entries"
}
check "hubctl ledger verify accepts the export against both checkpoints" verified

# --- the old primary rejoins --------------------------------------------------------------------
t_rejoin=$(now)
rejoined() {
  cluster_start_pg_node "$cluster_dir" "$old_name" 2>"$tmp/rejoin.err" ||
    { why=$(cat "$tmp/rejoin.err"); return 1; }
  cluster_wait_pg_secondary "$cluster_dir" 120 2>"$tmp/rejoin.err" ||
    { why=$(cat "$tmp/rejoin.err"); return 1; }
  measured "the old primary rejoined as the secondary" "$(elapsed "$t_rejoin") s"
}
check "the old primary rejoins as the secondary" rejoined
finish
