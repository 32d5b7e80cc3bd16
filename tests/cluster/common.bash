# shellcheck shell=bash
# What the cluster scenarios share (docs/testing.md, "Cluster"). Source it from a scenario run as
#   bash tests/cluster/SCENARIO.sh HUBD HUBCTL
# after setting `scenario` (its name, which every PASS/FAIL line and measurement carries).
#
# The cluster: when HUB_CLUSTER_TEST_DIR names a directory with a running cluster (the ctest
# fixture cluster.up made it), the scenario uses it and leaves it running for the next; otherwise
# it starts its own (cluster_up in a temporary directory) and stops it at the end.
# HUB_CLUSTER_KEEP=1 keeps the scenario's files (the load's logs, the ledger rows it read, ...).
#
#   check NAME FUNCTION ARGS...   runs FUNCTION, which sets $why when it fails
#   measured WHAT VALUE           prints a figure for the docs ("MEASURED [scenario] WHAT: VALUE")
#   finish                        prints the counts; exits 1 when a check failed
#   now                           epoch seconds with microseconds
#   load_setup                    a resource, a grant, tokens of a provider and a consumer system
#   load_start TAG [ARGS...]      the load client in the background through HAProxy
#   load_stop                     stops it (its requests in progress finish their retries)
#   load_check TAG [--allow O[:N]]...  the checker over TAG's logs (load and probes)
#   node_metric I NAME            the value of metric NAME (with labels, as written) on node I
#   sealer_node                   the node whose /metrics says it seals (0 when none says so)
#   probe TAG SINCE TIMEOUT I...  a data request on nodes I... directly until each answers 2xx
#   cl_sql SQL                    cluster_psql on the cluster, failing loudly

# shellcheck disable=SC2153,SC2154  # scenario is the caller's; ADMIN_TOKEN, NODE_PORTS, HUB_* come
# from the cluster's env file (cluster_env)
[[ $# -eq 2 ]] || { echo "usage: $0 HUBD HUBCTL" >&2; exit 2; }
hubd=$(realpath -- "$1")
hubctl=$(realpath -- "$2")
# The binaries under test, for scripts/lib/cluster.bash to start (it starts build/hubd when it
# does not read these).
export HUB_CLUSTER_HUBD=$hubd HUB_CLUSTER_HUBCTL=$hubctl
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
for tool in curl openssl python3 haproxy pg_autoctl pgbackrest psql; do
  command -v "$tool" >/dev/null || { echo "[$scenario] $tool is needed (./scripts/setup)" >&2; exit 2; }
done
# shellcheck source=scripts/lib/cluster.bash
source "$root/scripts/lib/cluster.bash"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hub-cluster-$scenario.XXXXXX")
chmod 0755 "$tmp"
own_cluster=""
load_pid=""
extra_cleanup=()
passed=0
failed=0
why=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$load_pid" ]] && kill -0 "$load_pid" 2>/dev/null; then
    kill -KILL "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
  fi
  local c
  # shellcheck disable=SC2317  # cleanup runs from the EXIT trap
  for c in "${extra_cleanup[@]}"; do eval "$c" || true; done
  if [[ -n "$own_cluster" ]]; then
    if ((rc != 0)) && [[ -d "$own_cluster/logs" ]]; then
      echo "[$scenario] the cluster's logs are copied to $tmp.logs"
      cp -r "$own_cluster/logs" "$tmp.logs" 2>/dev/null || true
    fi
    cluster_down "$own_cluster" >/dev/null 2>&1 || true
    rm -rf "$own_cluster"
  fi
  if [[ ${HUB_CLUSTER_KEEP:-0} == 1 ]]; then
    echo "[$scenario] its files are kept in $tmp (HUB_CLUSTER_KEEP=1)"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() {
  local name=$1
  shift
  why=""
  if "$@"; then
    echo "PASS  [$scenario] $name"
    passed=$((passed + 1))
  else
    echo "FAIL  [$scenario] $name${why:+: $why}"
    failed=$((failed + 1))
  fi
}
measured() { echo "MEASURED [$scenario] $1: $2"; }
finish() {
  echo "[$scenario] $passed passed, $failed failed"
  if ((failed > 0)); then
    local i log
    for ((i = 1; i <= HUB_CLUSTER_NODES; i++)); do
      log=$HUB_CLUSTER_LOG_DIR/hub$i.log
      echo "--- [$scenario] the end of $log (access log lines left out):"
      grep -v '^{' "$log" 2>/dev/null | tail -n 12 | sed 's/^/  /'
    done
    exit 1
  fi
  exit 0
}
die() {
  echo "FAIL  [$scenario] $*" >&2
  exit 1
}
now() { date +%s.%6N; }
# elapsed FROM [TO]: seconds between two `now`s, 3 decimals.
elapsed() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.3f}")' "$1" "${2:-$(now)}"; }
# le A B: whether A <= B (decimals).
le() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }

# --- the cluster ------------------------------------------------------------------------------
cluster_dir=${HUB_CLUSTER_TEST_DIR:-}
if [[ -z "$cluster_dir" && ${HUB_CLUSTER_TEST_FIXTURE:-0} == 1 ]]; then
  cluster_dir=${TMPDIR:-/tmp}/hub-cluster-tests  # tests/cluster/fixture.sh's
fi
if [[ -n "$cluster_dir" && -f "$cluster_dir/env" ]] && cluster_status "$cluster_dir" >/dev/null 2>&1; then
  echo "[$scenario] using the running cluster in $cluster_dir"
else
  if [[ -n "$cluster_dir" ]]; then
    echo "[$scenario] no running cluster in $cluster_dir: starting one of its own"
  fi
  own_cluster=$tmp/cluster
  cluster_dir=$own_cluster
  t_up=$(now)
  cluster_up "$cluster_dir" 3 || die "cluster_up failed (logs in $cluster_dir/logs)"
  measured "cluster_up (3 hub nodes, 2 PostgreSQL, monitor, HAProxy, demo)" "$(elapsed "$t_up") s"
fi
cluster_env "$cluster_dir" || die "cluster_env failed"
read -r -a node_ports <<<"$NODE_PORTS"

cl_sql() {
  local out
  if ! out=$(cluster_psql "$cluster_dir" "$1"); then
    echo "[$scenario] cluster_psql failed: $1" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# pg_super PORT SQL: SQL as the PostgreSQL superuser on the node at 127.0.0.1:PORT (-qtA), for
# fault injection (the hub's own roles cannot change server settings)
pg_super() {
  local as=()
  [[ $(id -u) -eq 0 ]] && as=(runuser -u postgres --)
  (cd / && "${as[@]}" "$PG_BIN/psql" -X -qtA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -d postgres -c "$2")
}

# --- the load --------------------------------------------------------------------------------
state=$tmp/load-state.json
load_setup() {
  python3 "$here/load.py" setup --url "$HUB_CLUSTER_URL" --admin-token "$ADMIN_TOKEN" \
    --state "$state" >"$tmp/setup.out" 2>&1 || { cat "$tmp/setup.out"; die "load setup failed"; }
  sed 's/^/  /' "$tmp/setup.out"
}
load_start() {
  local tag=$1
  shift
  python3 "$here/load.py" run --url "$HUB_CLUSTER_URL" --state "$state" --log "$tmp/$tag.log" \
    --tag "$tag" "$@" >"$tmp/$tag.out" 2>&1 &
  load_pid=$!
  # The load is flowing: a first acknowledged request within 10 s.
  local deadline=$((SECONDS + 10))
  until grep -q '"status":20[01]' "$tmp/$tag.log" 2>/dev/null; do
    kill -0 "$load_pid" 2>/dev/null || { cat "$tmp/$tag.out"; die "the load client exited"; }
    ((SECONDS < deadline)) || die "no request acknowledged within 10 s of the load's start"
    sleep 0.2
  done
}
load_stop() {
  [[ -n "$load_pid" ]] || return 0
  kill -TERM "$load_pid" 2>/dev/null || true
  wait "$load_pid" 2>/dev/null || true
  load_pid=""
}
# load_check TAG [--allow ...]: every log of TAG (TAG.log and TAG-probe*.log) against the ledger
# and the records on the current primary. Sets $why on a failure; the checker's lines go to
# stdout; its summary JSON is in $tmp/TAG.summary.
load_check() {
  local tag=$1 code
  shift
  code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resource"])' "$state")
  cl_sql "SELECT request_id, status FROM ledger_entries WHERE request_id LIKE '$tag-%'" \
    >"$tmp/$tag.ledger" || { why="could not read the ledger"; return 1; }
  cl_sql "SELECT key, data->>'v' FROM records WHERE resource_code = '$code' AND NOT deleted" \
    >"$tmp/$tag.records" || { why="could not read the records"; return 1; }
  if ! python3 "$here/load.py" check --state "$state" --ledger "$tmp/$tag.ledger" \
    --records "$tmp/$tag.records" --summary "$tmp/$tag.summary" "$@" "$tmp/$tag"*.log \
    >"$tmp/$tag.check" 2>&1; then
    sed 's/^/  /' "$tmp/$tag.check"
    why="$(grep -c PROBLEM "$tmp/$tag.check") problem(s), listed above"
    return 1
  fi
  sed 's/^/  /' "$tmp/$tag.check"
}
summary_field() { # TAG FIELD: a field of the checker's summary
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' \
    "$tmp/$1.summary" "$2"
}
load_out() { sed "s/^/  /" "$tmp/$1.out"; }
# load_figures TAG: the checker's counts, as MEASURED lines
load_figures() {
  python3 - "$tmp/$1.summary" "$scenario" <<'PY' || true
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
m = lambda what, v: print(f"MEASURED [{sys.argv[2]}] {what}: {v}")
m("requests (data reads + pushes)", f"{s['requests']} ({s['reads']} + {s['pushes']})")
m("acknowledged", s["reads_acknowledged"] + s["pushes_acknowledged"])
m("retried requests (max attempts of one)", f"{s['retried_requests']} ({s['max_attempts']})")
m("attempts not answered 2xx, by outcome", json.dumps(s["non_2xx_attempts"], sort_keys=True))
m("in flight when their node or connection went: recorded, never answered",
  s["in_flight_recorded"])
m("probes abandoned by their client (2 s timeout), answered 2xx later",
  s.get("probes_abandoned_recorded", 0))
m("longest time without an acknowledged request (the outage the clients saw)",
  f"{s['longest_without_ack_s']} s")
for k, v in s["latency_s"].items():
    m(f"{k} latency p50 / p99 / max", f"{v['p50']} / {v['p99']} / {v['max']} s")
PY
}

# --- nodes ----------------------------------------------------------------------------------
node_url() { echo "https://localhost:${node_ports[$1 - 1]}"; }
node_metrics() { curl -s --max-time 2 --cacert "$HUB_CLUSTER_CA" "$(node_url "$1")/metrics"; }
# node_metric I NAME: the value of the sample NAME (labels as the hub writes them), or nothing
node_metric() {
  node_metrics "$1" | awk -v n="$2" '$1 == n { print $2; exit }'
}
# sealer_node: the node whose /metrics says it holds the sealer's lock: hub_leader{role="sealer"}
# (API.md Part 2) when the hub has it, else hub_ledger_sealer_leader; 0 when none, or several
# (sealer_nodes has them all).
sealer_metric='hub_leader{role="sealer"}'
sealer_node() {
  local i v
  sealer_nodes=()
  for ((i = 1; i <= HUB_CLUSTER_NODES; i++)); do
    v=$(node_metric "$i" "$sealer_metric")
    [[ -z "$v" ]] && v=$(node_metric "$i" hub_ledger_sealer_leader)
    [[ "$v" == 1 ]] && sealer_nodes+=("$i")
  done
  if ((${#sealer_nodes[@]} == 1)); then echo "${sealer_nodes[0]}"; else echo 0; fi
}

# probe TAG SINCE TIMEOUT I...: prints {url:{first_2xx, after_since, attempts}} (JSON); the
# attempts go to TAG-probe.log, checked with the load's.
probe() {
  local tag=$1 since=$2 timeout=$3 i urls=() start=()
  shift 3
  for i in "$@"; do urls+=("$(node_url "$i")"); done
  # PROBE_START_AT=EPOCH: the probe starts now and sends its first request at EPOCH.
  [[ -n "${PROBE_START_AT:-}" ]] && start=(--start-at "$PROBE_START_AT")
  python3 "$here/load.py" probe --state "$state" --log "$tmp/$tag-probe.log" --tag "$tag-p" \
    --since "$since" "${start[@]}" --timeout "$timeout" "${urls[@]}"
}
# sleep_until EPOCH: returns at EPOCH (at once when it has passed).
sleep_until() {
  sleep "$(awk -v t="$1" -v n="$(now)" 'BEGIN {d = t - n; printf "%.3f", (d > 0 ? d : 0)}')"
}
# json_get JSON PY_EXPR: evaluates PY_EXPR with `d` the parsed JSON
json_get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# checkpoint FILE [URL]: the latest signed checkpoint through URL (default HAProxy); prints size
checkpoint() {
  python3 "$here/proofs.py" checkpoint --url "${2:-$HUB_CLUSTER_URL}" --token "$ADMIN_TOKEN" -o "$1"
}
public_key() {
  python3 "$here/proofs.py" public-key --url "${2:-$HUB_CLUSTER_URL}" --token "$ADMIN_TOKEN" -o "$1"
}
# wait_sealed SIZE TIMEOUT_S [URL]: until a checkpoint of at least SIZE entries is signed;
# leaves it in $tmp/sealed.txt
wait_sealed() {
  local size=$1 deadline=$((SECONDS + $2)) got
  while :; do
    got=$(checkpoint "$tmp/sealed.txt" "${3:-}" 2>/dev/null || echo 0)
    ((got >= size)) && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
