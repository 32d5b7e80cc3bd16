#!/usr/bin/env bash
# The ctest fixture of the cluster scenarios (tests/CMakeLists.txt): `up` starts one cluster
# (scripts/lib/cluster.bash) that node_kill, pg_failover, backup_restore and rolling_restart use in
# turn; `down` stops it and removes its directory, whatever happened to them. Starting a cluster
# (a pg_auto_failover formation, pgBackRest, three hubd, HAProxy, the demo) costs more than most
# scenarios, so it is done once.
#
#   usage: bash tests/cluster/fixture.sh up|down HUBD HUBCTL
#   The cluster's directory: $HUB_CLUSTER_TEST_DIR, else $TMPDIR/hub-cluster-tests (common.bash
#   looks there when HUB_CLUSTER_TEST_FIXTURE=1).
set -euo pipefail
[[ $# -eq 3 && ( $1 == up || $1 == down ) ]] || { echo "usage: $0 up|down HUBD HUBCTL" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export HUB_CLUSTER_HUBD HUB_CLUSTER_HUBCTL
HUB_CLUSTER_HUBD=$(realpath -- "$2")
HUB_CLUSTER_HUBCTL=$(realpath -- "$3")
dir=${HUB_CLUSTER_TEST_DIR:-${TMPDIR:-/tmp}/hub-cluster-tests}
# shellcheck source=scripts/lib/cluster.bash
source "$root/scripts/lib/cluster.bash"

if [[ $1 == down ]]; then
  cluster_down "$dir" || true
  [[ -f "$dir/.hub-cluster" ]] && rm -rf "$dir"
  echo "cluster stopped and $dir removed"
  exit 0
fi

t0=$SECONDS
if ! cluster_up "$dir" 3; then
  echo "FAIL  [fixture] cluster_up $dir 3" >&2
  exit 1
fi
echo "MEASURED [fixture] cluster_up (3 hub nodes, monitor, primary, synchronous secondary, pgBackRest, HAProxy, demo): $((SECONDS - t0)) s"
cluster_status "$dir" || { echo "FAIL  [fixture] cluster_status says a piece is down" >&2; exit 1; }
