#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions below are called from traps
# Browser checks of the web console: the real hubd, with its embedded PostgreSQL, serving the
# built console at /console/, loaded with `hubctl demo`; then tests/browser/console.mjs drives
# headless Chromium through it (PASS/FAIL per check, "N passed, M failed", screenshots).
#
#   usage: bash tests/browser/console.sh PATH/TO/hubd PATH/TO/hubctl PATH/TO/BUILT/CONSOLE
#   HUB_BROWSER_ARTIFACTS  where screenshots go (default: a temp dir, removed at the end)
#   HUB_CHROMIUM           the browser (default /usr/bin/chromium)
# Fails, saying what to install, when node, Chromium or console/node_modules is missing:
# ./scripts/setup installs them and the build runs npm ci, so a missing one is a broken setup.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 HUBD HUBCTL CONSOLE_DIR" >&2
  exit 2
fi
hubd=$(realpath -- "$1")
hubctl=$(realpath -- "$2")
console_dir=$(realpath -- "$3")
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

missing() {
  echo "console: $1 (./scripts/setup installs it; the build runs npm ci)" >&2
  exit 1
}
chromium=${HUB_CHROMIUM:-/usr/bin/chromium}
command -v node >/dev/null || missing "node is not installed"
[[ -x "$chromium" ]] || missing "no browser at $chromium"
[[ -f console/node_modules/playwright-core/package.json ]] || missing "console/node_modules is missing"
for bin in "$hubd" "$hubctl"; do
  [[ -x "$bin" ]] || { echo "console: $bin is not executable" >&2; exit 2; }
done
[[ -f "$console_dir/index.html" ]] || { echo "console: no index.html in $console_dir (npm run build)" >&2; exit 2; }
for tool in curl openssl; do
  command -v "$tool" >/dev/null || { echo "console: $tool is needed" >&2; exit 2; }
done

# The embedded database runs as 'postgres' when hubd is root, so the temp dir must be searchable.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hub-browser.XXXXXX")
chmod 0755 "$tmp"
data=$tmp/data
pgdata=$data/postgres/pgdata
hub_log=$tmp/hubd.log
hubd_pid=""
upstream_pid=""

# shellcheck source=tests/e2e/checks.bash
source tests/e2e/checks.bash  # stop_hub (the script cd-ed to the repository root)
cleanup() {
  stop_hub "$hubd_pid" "$hubctl" "$data"
  # The demo upstream after the hub, which may be calling it.
  if [[ -n "$upstream_pid" ]]; then
    kill -TERM "$upstream_pid" 2>/dev/null || true
    wait "$upstream_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# setup_failed WHAT: the one FAIL line, the hub's log, and the summary line.
setup_failed() {
  echo "FAIL  $1"
  echo "--- end of the hub's log ($hub_log):"
  tail -n 25 "$hub_log" 2>/dev/null | sed 's/^/  /'
  echo "0 passed, 1 failed"
  exit 1
}

# --- the demo providers' APIs, for the demo's interface services ---------------------------------

# hubctl demo-upstream on a free loopback port, its CA and address in DATA/demo-upstream where
# `hubctl demo` looks for them; the hub must allow exactly that host (loopback is refused unless
# listed), so the port is known before hubd starts. Without it the demo skips its services and
# the console's service checks cannot pass.
mkdir -p "$data/demo-upstream"
upstream_log=$tmp/demo-upstream.log
"$hubctl" demo-upstream --listen 127.0.0.1:0 --dir "$data/demo-upstream" >"$upstream_log" 2>&1 &
upstream_pid=$!
for _ in $(seq 1 100); do
  [[ -s "$data/demo-upstream/base_url" ]] && break
  kill -0 "$upstream_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ ! -s "$data/demo-upstream/base_url" ]]; then
  echo "FAIL  the demo upstream (hubctl demo-upstream) started"
  sed 's/^/  /' "$upstream_log"
  echo "0 passed, 1 failed"
  exit 1
fi
upstream_port=$(sed -n 's|.*://[^/]*:\([0-9][0-9]*\).*|\1|p' "$data/demo-upstream/base_url")

# --- a hub serving the console, with the demo loaded ------------------------------------------

# Early warning every second instead of every minute, so the demo's alerts are open in time for
# the alerts page to acknowledge one.
start_demo_hub "$hubd" "$hubctl" "$tmp" '{"monitor": {"interval_ms": 1000}}' \
  HUB_CONSOLE_DIR="$console_dir" HUB_SERVICES_ALLOWED_HOSTS="localhost:$upstream_port" ||
  setup_failed "$why"

# --- the browser ----------------------------------------------------------------------------

artifacts=${HUB_BROWSER_ARTIFACTS:-$tmp/artifacts}
mkdir -p "$artifacts"
rc=0
HUB_URL=$base HUB_DEMO_TOKENS=$data/demo-tokens.json HUB_ADMIN_TOKEN=$admin \
  HUB_BROWSER_ARTIFACTS=$artifacts HUB_CHROMIUM=$chromium \
  timeout 300 node tests/browser/console.mjs || rc=$?
if ((rc == 124)); then
  echo "FAIL  the browser checks finished within 300 s"
  echo "0 passed, 1 failed"
fi
if ((rc != 0)); then
  echo "--- end of the hub's log ($hub_log):"
  tail -n 25 "$hub_log" | sed 's/^/  /'
fi
exit "$rc"
