#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called from check()
# Cluster scenario 4 (issue 18): a rolling restart of every hub node (SIGTERM, start, ready,
# back in HAProxy's rotation, then the next), under a steady load through HAProxy. No request
# fails beyond the documented retry: the load client's attempts may be answered 503 or lose their
# connection, and are then retried with a new request id after a short backoff; no request ends
# without a 2xx, nothing else (no 500, 502, 504) is ever answered, and every acknowledged share
# and push is there afterwards.
#
#   usage: bash tests/cluster/rolling_restart.sh HUBD HUBCTL   (HUB_CLUSTER_TEST_DIR: common.bash)
set -euo pipefail
scenario=rolling_restart
# shellcheck source=tests/cluster/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

# haproxy_up I: HAProxy's stats say server hubI is UP in the backend that checks /readyz
# (hub_ready; hub_nodes in the library's first version).
haproxy_up() {
  python3 - "$HAPROXY_STATS_SOCKET" "hub$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
rows = [line.split(",") for line in data.decode().splitlines()]
for backend in ("hub_ready", "hub_nodes"):
    for f in rows:
        if len(f) > 17 and f[0] == backend and f[1] == sys.argv[2]:
            sys.exit(0 if f[17].startswith("UP") else 1)
sys.exit(2)
PY
}

tag=roll$(openssl rand -hex 3)
load_setup
load_start "$tag" --threads 6 --rate 60
sleep 3

t_all=$(now)
for ((i = 1; i <= HUB_CLUSTER_NODES; i++)); do
  t0=$(now)
  restart_one() {
    cluster_restart_node "$cluster_dir" "$1" 2>"$tmp/restart.err" || { why=$(cat "$tmp/restart.err"); return 1; }
    local t_ready deadline=$((SECONDS + 20))
    t_ready=$(now)
    until haproxy_up "$1"; do
      ((SECONDS < deadline)) || { why="HAProxy does not show hub$1 UP within 20 s of its /readyz"; return 1; }
      sleep 0.1
    done
    measured "node $1: SIGTERM to ready / to back in HAProxy" "$(elapsed "$t0" "$t_ready") s / $(elapsed "$t0") s"
  }
  check "node $i restarts (graceful) and is back in HAProxy's rotation" restart_one "$i"
done
measured "the whole rolling restart of $HUB_CLUSTER_NODES nodes" "$(elapsed "$t_all") s"
sleep 4
load_stop
load_out "$tag"

check "no request failed beyond the documented retry (503 or a lost connection, retried); nothing acknowledged is missing" \
  load_check "$tag" --no-unanswered-entries
load_figures "$tag"
finish
