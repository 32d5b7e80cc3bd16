#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called from check()
# Cluster scenario 3 (issue 18): the backup and restore drill, under a steady load through
# HAProxy. A pgBackRest backup; more traffic; a point in time T noted; more traffic; a restore of
# the repository to a new data directory at T (a standalone PostgreSQL); a fourth hubd started on
# it, alone, with the cluster's ledger key file, on its own port. Then `hubctl ledger verify`
# accepts the restored hub's export against its checkpoint; the restored tree is a prefix of the
# live one (the live hub's RFC 9162 consistency proof from the restored checkpoint to the live
# one verifies); and the restore is the state at T: every request acknowledged before T is in it
# (its ledger entry, its pushed record), no entry after T is.
#
#   usage: bash tests/cluster/backup_restore.sh HUBD HUBCTL   (HUB_CLUSTER_TEST_DIR: common.bash)
set -euo pipefail
scenario=backup_restore
# shellcheck source=tests/cluster/common.bash
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

tag=drill$(openssl rand -hex 3)
load_setup
load_start "$tag" --threads 6 --rate 60
sleep 3

t_backup=$(now)
backed_up() {
  cluster_backup "$cluster_dir" 2>"$tmp/backup.err" || { why=$(cat "$tmp/backup.err"); return 1; }
  measured "pgBackRest backup under load ($(grep -o 'pgbackrest [a-z]* backup done' "$tmp/backup.err" || echo backup))" "$(elapsed "$t_backup") s"
}
check "a pgBackRest backup under load" backed_up
sleep 5
t_target=$(now)
target=$(date -u -d "@$t_target" +'%Y-%m-%d %H:%M:%S.%6N+00')
echo "[$scenario] restore target: $target"
sleep 5
load_stop
load_out "$tag"
check "no acknowledged request missing on the live cluster; none failed after its retries" \
  load_check "$tag"
load_figures "$tag"
public_key "$tmp/key.pem" || die "could not fetch the ledger's public key"

# --- the restore and a hub on it --------------------------------------------------------------
read -r pg_port hub_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
restored=$tmp/restored-pg
hub4=$tmp/hub4
hub4_pid=""
# shellcheck disable=SC2016  # evaluated at cleanup
extra_cleanup+=('[[ -n "$hub4_pid" ]] && kill -KILL "$hub4_pid" 2>/dev/null; wait "$hub4_pid" 2>/dev/null' 'cluster_stop_restored "$restored"')
t_restore=$(now)
owner_url=$(cluster_restore_pitr "$cluster_dir" "$target" "$restored" "$pg_port" 2>"$tmp/restore.err") ||
  {
    cat "$tmp/restore.err"
    for f in "$restored/startup.log" "$restored"/log/*; do
      [[ -f "$f" ]] && { echo "--- [$scenario] the end of $f:"; tail -n 15 "$f" | sed 's/^/  /'; }
    done
    die "cluster_restore_pitr failed"
  }
measured "pgBackRest restore to the target time, PostgreSQL up and promoted" "$(elapsed "$t_restore") s"
app_url="postgresql://hub_app:$(<"$HUB_APP_PASSWORD_FILE")@127.0.0.1:$pg_port/hub"
rsql() { "$PG_BIN/psql" -X -qtA -v ON_ERROR_STOP=1 "$owner_url" -c "$1"; }

mkdir -p "$hub4"
t_hub=$(now)
env HUB_LISTEN="127.0.0.1:$hub_port" HUB_DATA_DIR="$hub4" HUB_DATABASE_URL="$app_url" \
  HUB_MIGRATE_DATABASE_URL="$owner_url" HUB_LEDGER_KEY_FILE="$HUB_LEDGER_KEY_FILE" \
  HUB_SECRETS_FILE="$HUB_SECRETS_FILE" \
  HUB_TLS_CERT="$HUB_TLS_CERT" HUB_TLS_KEY="$HUB_TLS_KEY" \
  "$hubd" --config "$HUB_CLUSTER_CONFIG" >"$tmp/hub4.log" 2>&1 &
hub4_pid=$!
hub4_url=https://localhost:$hub_port
hub4_ready() {
  local deadline=$((SECONDS + 60))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$HUB_CLUSTER_CA" \
    "$hub4_url/readyz") == 200 ]]; do
    kill -0 "$hub4_pid" 2>/dev/null || { why="hubd exited: $(tail -n 5 "$tmp/hub4.log")"; return 1; }
    ((SECONDS < deadline)) || { why="not ready within 60 s: $(tail -n 5 "$tmp/hub4.log")"; return 1; }
    sleep 0.2
  done
  measured "a fourth hubd on the restored database, ready" "$(elapsed "$t_hub") s"
}
check "a hub starts on the restored database with the cluster's key file" hub4_ready
((failed == 0)) || finish

same_key() {
  public_key "$tmp/key4.pem" "$hub4_url" || { why="no public key"; return 1; }
  cmp -s "$tmp/key.pem" "$tmp/key4.pem" || { why="the restored hub's public key differs"; return 1; }
}
check "the restored hub signs with the cluster's ledger key" same_key

# Its sealer signs whatever the restored ledger holds past its last checkpoint.
restored_size=$(rsql "SELECT next_index FROM ledger_head")
sealed() {
  wait_sealed "$restored_size" 15 "$hub4_url" ||
    { why="no checkpoint of $restored_size entries from the restored hub within 15 s"; return 1; }
  cp "$tmp/sealed.txt" "$tmp/restored.txt"
  measured "entries in the restored ledger" "$restored_size"
}
check "the restored hub signs a checkpoint of the whole restored ledger" sealed

verified() {
  "$hubctl" --url "$hub4_url" --ca "$HUB_CLUSTER_CA" --token-file "$ADMIN_TOKEN_FILE" \
    ledger export -o "$tmp/restored.ndjson" >/dev/null 2>"$tmp/export.err" ||
    { why="export: $(cat "$tmp/export.err")"; return 1; }
  "$hubctl" ledger verify --export "$tmp/restored.ndjson" --checkpoint "$tmp/restored.txt" \
    --key "$tmp/key.pem" >"$tmp/verify.out" 2>&1 || { why=$(head -c 2000 "$tmp/verify.out"); return 1; }
}
check "hubctl ledger verify passes against the restored hub" verified

prefix() {
  local live
  live=$(checkpoint "$tmp/live.txt") || { why="no live checkpoint"; return 1; }
  measured "restored tree / live tree" "$restored_size / $live entries"
  python3 "$here/proofs.py" consistency --url "$HUB_CLUSTER_URL" --token "$ADMIN_TOKEN" \
    --key "$tmp/key.pem" "$tmp/restored.txt" "$tmp/live.txt" >"$tmp/proof.out" 2>&1 ||
    { why=$(cat "$tmp/proof.out"); return 1; }
  sed 's/^/  /' "$tmp/proof.out"
}
check "the restored tree is a prefix of the live one (consistency proof verified)" prefix

# The restore is the state at T: what was acknowledged before T is there, nothing after T is.
at_target() {
  local code
  code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resource"])' "$state")
  if ! rsql "SELECT request_id FROM ledger_entries WHERE request_id LIKE '$tag-%'" >"$tmp/r.ledger" ||
    ! rsql "SELECT key FROM records WHERE resource_code = '$code' AND NOT deleted" >"$tmp/r.records" ||
    ! rsql "SELECT count(*) FROM ledger_entries WHERE time > '$target'::timestamptz" >"$tmp/r.after"; then
    why="could not read the restored database"
    return 1
  fi
  python3 - "$tmp/$tag.log" "$tmp/r.ledger" "$tmp/r.records" "$t_target" "$(<"$tmp/r.after")" \
    >"$tmp/pitr.out" <<'PY' || { why=$(cat "$tmp/pitr.out"); return 1; }
import json, sys
log, ledger, records, target, after = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
ids = set(open(ledger).read().split())
keys = set(open(records).read().split())
missing, present_later, before = [], 0, 0
for line in open(log):
    a = json.loads(line)
    if a["status"] is None or not 200 <= a["status"] < 300:
        continue
    if a["t1"] < target:  # answered before T: committed before T
        before += 1
        if a["kind"] == "read" and a["rid"] not in ids:
            missing.append(f"read {a['rid']} (answered {target - a['t1']:.3f} s before T)")
        if a["kind"] == "push" and a["key"] not in keys:
            missing.append(f"push {a['rid']} of {a['key']} (answered {target - a['t1']:.3f} s before T)")
    elif a["t0"] > target and a["kind"] == "read" and a["rid"] in ids:
        present_later += 1
print(f"{before} requests acknowledged before T; {len(missing)} of them missing; "
      f"{present_later} reads sent after T present; {after} entries timed after T")
if missing or present_later or after:
    print("; ".join(missing[:10]))
    sys.exit(1)
PY
  sed 's/^/  /' "$tmp/pitr.out"
}
check "the restore holds every request acknowledged before the target time, and nothing after it" at_target
finish
