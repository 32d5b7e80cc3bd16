#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called from check()
# Cluster scenario 1 (issue 18): kill -9 the hub node that seals, under a steady load through
# HAProxy. The other nodes keep serving; no acknowledged share is missing from the ledger; another
# node takes the sealer's lock and checkpoints keep coming within 2 s of the kill; every entry
# appended around the kill is sealed within 2 s. The node is started again at the end.
#
#   usage: bash tests/cluster/node_kill.sh HUBD HUBCTL   (HUB_CLUSTER_TEST_DIR: see common.bash)
set -euo pipefail
scenario=node_kill
# shellcheck source=tests/cluster/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

tag=kill$(openssl rand -hex 3)
load_setup
load_start "$tag" --threads 6 --rate 60
sleep 4

# --- the sealer, by its metric -------------------------------------------------------------------
leader_metric() {
  local i v ones=0 missing=()
  for ((i = 1; i <= HUB_CLUSTER_NODES; i++)); do
    v=$(node_metric "$i" "$sealer_metric")
    if [[ -z "$v" ]]; then missing+=("$i"); elif [[ "$v" == 1 ]]; then ones=$((ones + 1)); fi
  done
  ((${#missing[@]} == 0)) || { why="no $sealer_metric sample in /metrics of node(s) ${missing[*]}"; return 1; }
  ((ones == 1)) || { why="$ones nodes say $sealer_metric 1"; return 1; }
}
check "/metrics has $sealer_metric, 1 on exactly one node (API.md Part 2)" leader_metric
victim=$(sealer_node)
if ((victim == 0)); then
  die "no single node says it seals (hub_leader / hub_ledger_sealer_leader): ${sealer_nodes[*]:-none}"
fi
survivors=()
for ((i = 1; i <= HUB_CLUSTER_NODES; i++)); do ((i == victim)) || survivors+=("$i"); done
echo "[$scenario] node $victim seals; killing it (kill -9) under load"

# --- the kill -------------------------------------------------------------------------------------
# In the background: cluster_kill_node returns once the process is gone (reaped), which may be
# a while after the SIGKILL; the measurements start at the kill.
# The others answer a data request directly, at once. The probe (a Python process, whose start
# on this loaded machine can take seconds) starts first and sends its first requests at the
# moment of the kill, two seconds on.
t_kill=$(awk -v n="$(now)" 'BEGIN {printf "%.6f", n + 2}')
PROBE_START_AT=$t_kill probe "$tag" "$t_kill" 10 "${survivors[@]}" >"$tmp/probe.json" \
  2>"$tmp/probe.err" &
probe_pid=$!
sleep_until "$t_kill"
cluster_kill_node "$cluster_dir" "$victim" &
kill_pid=$!
# Another node takes the lock.
new_sealer=0
t_new_sealer=""
deadline=$((SECONDS + 10))
while ((SECONDS < deadline)); do
  s=$(sealer_node)
  if ((s != 0 && s != victim)); then
    new_sealer=$s
    t_new_sealer=$(now)
    break
  fi
  sleep 0.1
done
wait "$kill_pid" || die "cluster_kill_node failed"
wait "$probe_pid" || true
probe_json=$(cat "$tmp/probe.json")
sleep 8
load_stop
load_out "$tag"

# --- what it measured, and the checks ---------------------------------------------------------
others_serve() {
  local i url after
  for i in "${survivors[@]}"; do
    url=$(node_url "$i")
    after=$(json_get "$probe_json" "d['$url']['after_since']" 2>/dev/null || echo None)
    [[ "$after" != None ]] || {
      why="node $i did not answer 2xx within 10 s: $probe_json $(cat "$tmp/probe.err")"
      return 1
    }
    measured "node $i answers a data request after the kill" "$after s"
    le "$after" 2 || { why="node $i first answered 2xx $after s after the kill"; return 1; }
  done
}
check "the other nodes serve data requests within 2 s of the kill" others_serve

sealer_moved() {
  ((new_sealer != 0)) || { why="no other node says it seals within 10 s of the kill"; return 1; }
  measured "sealer lock on node $new_sealer (seen in /metrics) after the kill" "$(elapsed "$t_kill" "$t_new_sealer") s"
}
check "another node takes the sealer's lock" sealer_moved

# The checkpoints table: the first checkpoint signed after the kill, and how long each entry of
# the 2 s before to 8 s after the kill waited for a checkpoint covering it.
sleep 2  # the last entries get sealed
first_after=$(cl_sql "SELECT coalesce(round(extract(epoch FROM min(created_at) - to_timestamp($t_kill))::numeric, 3)::text, 'none')
  FROM ledger_checkpoints WHERE created_at > to_timestamp($t_kill)")
seal_stats=$(cl_sql "WITH e AS (
    SELECT e.time, (SELECT c.created_at FROM ledger_checkpoints c WHERE c.tree_size > e.idx
                    ORDER BY c.tree_size LIMIT 1) AS sealed_at
    FROM ledger_entries e
    WHERE e.time BETWEEN to_timestamp($t_kill) - interval '2 s' AND to_timestamp($t_kill) + interval '8 s')
  SELECT count(*), count(sealed_at),
         coalesce(round(max(extract(epoch FROM sealed_at - time))::numeric, 3)::text, 'none')
  FROM e")
IFS='|' read -r n_entries n_sealed max_delay <<<"$seal_stats"
sealing_goes_on() {
  measured "first checkpoint signed after the kill" "$first_after s"
  [[ "$first_after" != none ]] || { why="no checkpoint signed after the kill"; return 1; }
  le "$first_after" 2 || { why="the first checkpoint after the kill came $first_after s after it"; return 1; }
}
check "a checkpoint is signed within 2 s of the kill" sealing_goes_on
entries_sealed() {
  measured "entries appended from 2 s before to 8 s after the kill" "$n_entries ($n_sealed sealed)"
  measured "longest wait of one of them for a checkpoint" "$max_delay s"
  ((n_entries > 0)) || { why="no entries around the kill (no load?)"; return 1; }
  ((n_entries == n_sealed)) || { why="$((n_entries - n_sealed)) of them not sealed"; return 1; }
  le "$max_delay" 2 || { why="an entry waited $max_delay s for its checkpoint"; return 1; }
}
check "every entry appended around the kill is sealed within 2 s" entries_sealed

check "no acknowledged share or push is missing; no request failed after its retries" \
  load_check "$tag"
load_figures "$tag"

# --- the node comes back ----------------------------------------------------------------------
t_start=$(now)
restarted() {
  cluster_start_node "$cluster_dir" "$victim" >/dev/null 2>"$tmp/start.err" ||
    { why=$(cat "$tmp/start.err"); return 1; }
  measured "node $victim started again and ready" "$(elapsed "$t_start") s"
}
check "the killed node starts again and is ready" restarted
finish
