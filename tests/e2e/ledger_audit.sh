#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called from check()
# An auditor's check of the share ledger, with curl and openssl only (issue 6): a consumer reads
# a record; the auditor finds its entry by request id, checks its leaf hash, the checkpoint's
# Ed25519 signature and the inclusion proof up to the signed root by hand (RFC 9162 §2.1.3.2),
# then `hubctl ledger verify` passes on an export, and fails naming the entry once a superuser
# edits that row in the database.
#
#   usage: bash tests/e2e/ledger_audit.sh PATH/TO/hubd PATH/TO/hubctl
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 HUBD HUBCTL" >&2; exit 2; }
hubd=$(realpath -- "$1")
hubctl=$(realpath -- "$2")
for tool in curl openssl base64 od; do
  command -v "$tool" >/dev/null || { echo "ledger_audit: $tool is needed" >&2; exit 2; }
done
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hub-e2e.XXXXXX")
chmod 0755 "$tmp"
data=$tmp/data
hubd_pid=""
cleanup() {
  stop_hub "$hubd_pid" "$hubctl" "$data"
  rm -rf "$tmp"
}
trap cleanup EXIT

hub_log=$tmp/hubd.log
# shellcheck source=tests/e2e/checks.bash
source tests/e2e/checks.bash  # (the script cd-ed to the repository root)

admin=$(openssl rand -hex 24)
HUB_LISTEN=127.0.0.1:0 HUB_DATA_DIR=$data HUB_BOOTSTRAP_ADMIN_TOKEN=$admin \
  HUB_LEDGER_ORIGIN=hub.e2e.test/ledger "$hubd" >/dev/null 2>"$tmp/hubd.log" &
hubd_pid=$!
port=""
for _ in $(seq 1 450); do
  port=$(sed -n 's|.*listening on https://[^ ]*:\([0-9][0-9]*\).*|\1|p' "$tmp/hubd.log" | head -n 1)
  [[ -n "$port" ]] && curl -sfk -o /dev/null "https://127.0.0.1:$port/readyz" && break
  sleep 0.2
done
base=https://127.0.0.1:$port
cert=$data/tls/dev-cert.pem

# api TOKEN METHOD PATH [BODY] [extra curl args...]: prints the body; the status goes to $tmp/status.
api() {
  local token=$1 method=$2 path=$3 body=${4:-}
  shift 4 || shift $#
  curl -sS --cacert "$cert" --max-time 10 -X "$method" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' ${body:+--data-binary "$body"} -o "$tmp/body" \
    -w '%{http_code}' "$@" "$base$path" >"$tmp/status"
  cat "$tmp/body"
}
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\)\"\\{0,1\\}.*/\\1/p"; }  # a scalar of compact JSON
token_of() { # token_of AGENCY NAME ROLE KIND: a new principal's token
  local id
  id=$(api "$admin" POST /api/v1/principals \
    "{\"agency_code\":\"$1\",\"name\":\"$2\",\"kind\":\"$4\",\"roles\":[\"$3\"]}" | field id)
  api "$admin" POST "/api/v1/principals/$id/tokens" '{}' | field token
}

# --- a share to audit ------------------------------------------------------------------------
market=114401009P0Y2GG12L
tax=11440100XYDWCM5T1B
api "$admin" POST /api/v1/agencies "{\"code\":\"$market\",\"name\":\"广州市市场监督管理局\",\"level\":\"city\"}" >/dev/null
api "$admin" POST /api/v1/agencies "{\"code\":\"$tax\",\"name\":\"国家税务总局广州市税务局\",\"level\":\"city\"}" >/dev/null
provider=$(token_of $market sc-system agency_system system)
officer=$(token_of $tax sw-officer agency_data_officer user)
consumer=$(token_of $tax sw-system agency_system system)
code=$(api "$admin" POST /api/v1/resources "{\"name\":\"企业登记信息\",\"summary\":\"市场主体登记信息\",
  \"provider_code\":\"$market\",\"category\":\"basic\",\"format\":\"数据库\",\"key\":\"uscc\",
  \"items\":[{\"name\":\"uscc\",\"title\":\"统一社会信用代码\",\"type\":\"string\",\"required\":true,\"sensitivity\":\"public\"},
  {\"name\":\"legal_person\",\"title\":\"法定代表人\",\"type\":\"string\",\"required\":true,\"sensitivity\":\"sensitive\",\"mask\":\"name\"}],
  \"share_type\":\"unconditional\",\"share_methods\":[\"api\"],\"update_cycle\":\"daily\"}" | field code)
api "$admin" POST "/api/v1/resources/$code/publish" '' >/dev/null
api "$officer" POST /api/v1/applications "{\"resource_code\":\"$code\",\"items\":[\"uscc\",\"legal_person\"],
  \"operations\":[\"read\"],\"purpose\":\"税收征管\",\"valid_until\":\"$(date -d "+1 year" +%F)\"}" >/dev/null
api "$provider" PUT "/api/v1/resources/$code/records/91440101MA59ABCD1X" \
  '{"legal_person":"张三丰"}' >/dev/null
for i in 1 2 3 4 5; do  # a few more entries, so the proof has a path
  api "$consumer" GET "/api/v1/resources/$code/records/91440101MA59ABCD1X" '' \
    -H "X-Purpose: e2e" -H "X-Request-Id: warm-$i" >/dev/null
done
read_body=$(api "$consumer" GET "/api/v1/resources/$code/records/91440101MA59ABCD1X" '' \
  -H "X-Purpose: %E7%A8%8E%E6%94%B6%E5%BE%81%E7%AE%A1" -H "X-Request-Id: audit-read-1")
shared() {
  [[ $(cat "$tmp/status") == 200 && $read_body == *'"legal_person":"张**"'* ]] ||
    { why="status $(cat "$tmp/status"): $read_body"; return 1; }
}
check "a granted consumer reads a masked record" shared

# --- the auditor: curl and openssl ---------------------------------------------------------
entry=$(api "$admin" GET "/api/v1/ledger/entries?request_id=audit-read-1" '')
index=$(field index <<<"$entry")
leaf=$(field leaf <<<"$entry")
leaf_hash=$(field leaf_hash <<<"$entry")
hex_of() { od -An -tx1 -v | tr -d ' \n'; }
bin_of() { printf "$(sed 's/../\\x&/g' <<<"$1")"; }  # hex → bytes
found_entry() {
  [[ -n $index && -n $leaf ]] || { why="no entry: $entry"; return 1; }
  local body_hash
  body_hash=$(printf %s "$read_body" | openssl dgst -sha256 -r | cut -c1-64)
  [[ $entry == *"\"response_sha256\":\"$body_hash\""* ]] || { why="response hash differs"; return 1; }
}
check "the read is in the ledger by its request id, with the SHA-256 of the body sent" found_entry
leaf_ok() {
  local got
  got=$({ printf '\0'; base64 -d <<<"$leaf"; } | openssl dgst -sha256 -r | cut -c1-64)
  [[ $got == "$leaf_hash" ]] || { why="SHA-256(0x00 || leaf) = $got, entry says $leaf_hash"; return 1; }
}
check "leaf_hash is SHA-256(0x00 || leaf)" leaf_ok

size=0
for _ in $(seq 1 50); do
  api "$admin" GET /api/v1/ledger/checkpoint '' >"$tmp/checkpoint.txt"
  size=$(sed -n 2p "$tmp/checkpoint.txt")
  ((size > index)) && break
  sleep 0.1
done
api "$admin" GET /api/v1/ledger/public-key '' | sed 's/.*"public_key_pem":"\([^"]*\)".*/\1/' |
  sed 's/\\n/\n/g' >"$tmp/key.pem"
signed() {
  sed '/^$/,$d' "$tmp/checkpoint.txt" >"$tmp/signed.txt"
  tail -n 1 "$tmp/checkpoint.txt" | awk '{print $3}' | base64 -d | tail -c 64 >"$tmp/sig.bin"
  openssl pkeyutl -verify -pubin -inkey "$tmp/key.pem" -rawin -in "$tmp/signed.txt" \
    -sigfile "$tmp/sig.bin" >/dev/null 2>&1 || { why="openssl says the signature is bad"; return 1; }
  [[ $(head -n 1 "$tmp/checkpoint.txt") == hub.e2e.test/ledger ]] || { why="origin"; return 1; }
}
check "the checkpoint covers the entry and its Ed25519 signature verifies with openssl" signed

included() {
  local proof fn sn r p root
  proof=$(api "$admin" GET "/api/v1/ledger/proof/inclusion?index=$index&tree_size=$size" '')
  [[ $(field leaf_hash <<<"$proof") == "$leaf_hash" ]] || { why="proof's leaf hash"; return 1; }
  fn=$index
  sn=$((size - 1))
  r=$leaf_hash
  for p in $(sed 's/.*"hashes":\[\([^]]*\)\].*/\1/' <<<"$proof" | tr -d '"' | tr ',' ' '); do
    ((sn == 0)) && { why="proof too long"; return 1; }
    if ((fn & 1)) || ((fn == sn)); then
      r=$({ printf '\1'; bin_of "$p"; bin_of "$r"; } | openssl dgst -sha256 -binary | hex_of)
      while ((fn != 0 && (fn & 1) == 0)); do fn=$((fn >> 1)); sn=$((sn >> 1)); done
    else
      r=$({ printf '\1'; bin_of "$r"; bin_of "$p"; } | openssl dgst -sha256 -binary | hex_of)
    fi
    fn=$((fn >> 1))
    sn=$((sn >> 1))
  done
  root=$(sed -n 3p "$tmp/checkpoint.txt" | base64 -d | hex_of)
  ((sn == 0)) && [[ $r == "$root" ]] || { why="folded root $r, signed root $root"; return 1; }
}
check "the inclusion proof folds, with openssl, to the signed root" included

# --- hubctl ledger verify, before and after a superuser's edit --------------------------------
echo -n "$admin" >"$tmp/admin-token"
ctl() { "$hubctl" --url "$base" --ca "$cert" --token-file "$tmp/admin-token" "$@"; }
ctl ledger export -o "$tmp/ledger.ndjson" >/dev/null
verified() {
  ctl ledger verify --export "$tmp/ledger.ndjson" --checkpoint "$tmp/checkpoint.txt" \
    --key "$tmp/key.pem" >"$tmp/verify.out" 2>&1 || { why=$(cat "$tmp/verify.out"); return 1; }
}
check "hubctl ledger verify accepts the untouched export" verified

sock=$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$data/postgres/pgdata/hub.conf")
psql_su() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- psql -qAt -h "$sock" -d hub -c "$1")
  else
    psql -qAt -h "$sock" -U postgres -d hub -c "$1"
  fi
}
tampered() {
  psql_su "SET session_replication_role = replica;
           UPDATE ledger_entries SET status = 299 WHERE idx = $index" >/dev/null 2>&1 ||
    { why="could not edit the row as a superuser"; return 1; }
  ctl ledger export -o "$tmp/ledger.ndjson" >/dev/null
  if ctl ledger verify --export "$tmp/ledger.ndjson" --checkpoint "$tmp/checkpoint.txt" \
    --key "$tmp/key.pem" >"$tmp/verify.out" 2>&1; then
    why="verify passed an edited ledger"
    return 1
  fi
  grep -q "index $index: field 'status'" "$tmp/verify.out" || { why=$(cat "$tmp/verify.out"); return 1; }
}
if command -v psql >/dev/null; then
  check "a row edited in the database is caught by hubctl ledger verify, with its index" tampered
fi
finish
