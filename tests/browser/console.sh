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

# shellcheck source=tests/e2e/checks.bash
source tests/e2e/checks.bash  # stop_hub (the script cd-ed to the repository root)
cleanup() {
  stop_hub "$hubd_pid" "$hubctl" "$data"
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

# --- a hub serving the console, with the demo loaded ------------------------------------------

# Early warning every second instead of every minute, so the demo's alerts are open in time for
# the alerts page to acknowledge one.
start_demo_hub "$hubd" "$hubctl" "$tmp" '{"monitor": {"interval_ms": 1000}}' \
  HUB_CONSOLE_DIR="$console_dir" || setup_failed "$why"

# --- the browser ----------------------------------------------------------------------------

artifacts=${HUB_BROWSER_ARTIFACTS:-$tmp/artifacts}
mkdir -p "$artifacts"
rc=0
HUB_URL=$base HUB_DEMO_TOKENS=$data/demo-tokens.json \
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
