# shellcheck shell=bash
# A real Hub cluster on this one machine, on loopback, from Debian's engines only: a
# pg_auto_failover monitor, a PostgreSQL 15 primary and a synchronous secondary (pg_autoctl),
# pgBackRest (a repository under DIR, WAL archiving from both nodes, one stanza), N hubd nodes
# sharing one ledger key, one TLS certificate and one database URL over both PostgreSQL nodes,
# and HAProxy in front (TLS passthrough, health checks on /readyz). docs/operations.md explains
# the choices; scripts/cluster is the command-line wrapper; tests/cluster/ uses the functions.
#
# Public functions (DIR is the cluster's directory, I a hub node's number from 1):
#   cluster_up DIR [N]              start everything (N hub nodes, default 3) and load the demo
#   cluster_down DIR                stop everything started from DIR (pid files); idempotent
#   cluster_status DIR              each piece's state; returns 1 when a piece is down
#   cluster_env DIR                 source DIR/env (HUB_CLUSTER_URL, ADMIN_TOKEN, NODE_PORTS, ...)
#   cluster_kill_node DIR I         kill -9 hub node I
#   cluster_start_node DIR I        start hub node I again (same settings); waits for /readyz 200
#   cluster_restart_node DIR I      SIGTERM, wait for the exit, start, wait for /readyz 200
#   cluster_node_ready DIR I        whether node I answers /readyz 200 now
#   cluster_pg_primary DIR          prints NAME:PORT of the primary according to the monitor
#   cluster_kill_pg_primary DIR     kill -9 the primary's pg_autoctl and PostgreSQL (machine loss)
#   cluster_wait_pg_primary DIR OLD TIMEOUT_S
#                                   waits until a node other than OLD is primary and commits a
#                                   write; prints its NAME:PORT (the time taken on stderr)
#   cluster_start_pg_node DIR NAME  start a stopped PostgreSQL node again (it rejoins as secondary)
#   cluster_wait_pg_secondary DIR TIMEOUT_S
#                                   waits until a secondary is streaming again (sync standby)
#   cluster_psql DIR SQL            SQL on the current primary as the owner role (-qtA output)
#   cluster_backup DIR [full|incr]  a pgBackRest backup (default: full when none exists, else incr)
#   cluster_restore_pitr DIR TARGET_TIME NEWDIR PORT
#                                   restore to NEWDIR at TARGET_TIME (anything PostgreSQL reads as
#                                   a timestamptz), start a standalone, promoted PostgreSQL on
#                                   127.0.0.1:PORT; prints its URL (as the owner role)
#   cluster_stop_restored NEWDIR    stop that PostgreSQL
#
# shellcheck disable=SC2016  # bash -c '...' scripts get their arguments as "$1"...
# shellcheck disable=SC2153  # NODE_PORTS, PG_* and HUB_* come from DIR/env (cluster_env)

# Everything runs as the current user, except PostgreSQL, pg_autoctl and pgBackRest, which run as
# `postgres` when the current user is root (PostgreSQL refuses root). Every process started is
# recorded in DIR/run/*.pid, and started in its own process group.

cluster_lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster_pg_bin=${HUB_CLUSTER_PG_BIN:-/usr/lib/postgresql/15/bin}
cluster_stanza=hub

# Settings of the test cluster that make a failover fast (docs/operations.md, "Failover timing").
# The monitor (pgautofailover.* GUCs, milliseconds):
cluster_monitor_settings=(
  "pgautofailover.health_check_period=1000"
  "pgautofailover.health_check_timeout=1000"
  "pgautofailover.health_check_max_retries=1"
  "pgautofailover.health_check_retry_delay=500"
  "pgautofailover.node_considered_unhealthy_timeout=3000"
  "pgautofailover.primary_demote_timeout=4000"
  "pgautofailover.startup_grace_period=3000"
)
# Each keeper (pg_autoctl config set, seconds). network_partition_timeout stays below the
# monitor's primary_demote_timeout, so an isolated old primary demotes itself before the
# monitor gives its role away.
cluster_keeper_settings=(
  "timeout.network_partition_timeout=3"
  "timeout.prepare_promotion_walreceiver=2"
  "timeout.postgresql_restart_failure_timeout=5"
)

_cl_say() { printf 'cluster: %s\n' "$*" >&2; }
_cl_err() { printf 'cluster: error: %s\n' "$*" >&2; }
_cl_now_ms() { date +%s%3N; }

# _cl_as_pg CMD...: CMD as the PostgreSQL user (postgres when root), with pg_autoctl's files
# under DIR (XDG_*), a PATH with PostgreSQL 15's programs first, from a directory it can enter.
_cl_as_pg() {
  _cl_pg_argv
  (cd "$_cl_dir" && "${_cl_pg_argv_[@]}" "$@")
}

# _cl_pg_argv: sets _cl_pg_argv_, the prefix that runs a command that way. setpriv execs (no
# process stays in between), so a recorded pid is the command's own.
_cl_pg_argv() {
  _cl_pg_argv_=()
  if [[ $(id -u) -eq 0 ]]; then
    _cl_pg_argv_=(setpriv --reuid=postgres --regid=postgres --init-groups --reset-env)
  fi
  _cl_pg_argv_+=(env -i "HOME=${_cl_pg_home:-/tmp}" "XDG_CONFIG_HOME=$_cl_dir/pg/xdg/config"
    "XDG_DATA_HOME=$_cl_dir/pg/xdg/data" "XDG_RUNTIME_DIR=$_cl_dir/pg/xdg/run"
    "PATH=$cluster_pg_bin:/usr/sbin:/usr/bin:/sbin:/bin" "LANG=C.UTF-8")
}

# _cl_set_dir DIR: the globals every function works with.
_cl_set_dir() {
  [[ -n "${1:-}" ]] || {
    _cl_err "no cluster directory given"
    return 1
  }
  _cl_dir=$(realpath -m -- "$1")
  _cl_pg_home=$_cl_dir/pg
}

cluster_env() {
  _cl_set_dir "$1" || return 1
  if [[ ! -f "$_cl_dir/env" ]]; then
    _cl_err "$_cl_dir/env does not exist (is the cluster up? scripts/cluster up --dir $_cl_dir)"
    return 1
  fi
  # shellcheck source=/dev/null
  source "$_cl_dir/env"
}

# _cl_free_ports N: N distinct free TCP ports on 127.0.0.1, one a line.
_cl_free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
}

# _cl_start NAME LOG CMD...: CMD in the background in its own session (so that one kill of its
# process group stops it and whatever it started), its pid in DIR/run/NAME.pid. Started from a
# subshell that exits at once, so that it is no child of the caller's shell (a test's `wait`
# does not wait for it).
_cl_start() {
  local name=$1 log=$2
  shift 2
  (
    setsid "$@" >>"$log" 2>&1 </dev/null &
    echo $! >"$_cl_dir/run/$name.pid"
  )
}

_cl_pid() { # _cl_pid NAME: the recorded pid when that process still runs
  local f=$_cl_dir/run/$1.pid pid
  [[ -s "$f" ]] || return 1
  pid=$(<"$f")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# _cl_stop GRACE_S NAME...: SIGTERM to each one's process group, all at once, then SIGKILL to
# those still there after GRACE_S.
_cl_stop() {
  local grace=$1 name pid deadline left
  shift
  local -A pids=()
  for name in "$@"; do
    if pid=$(_cl_pid "$name"); then
      pids[$name]=$pid
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  deadline=$((SECONDS + grace))
  while :; do
    left=0
    for name in "${!pids[@]}"; do
      kill -0 "${pids[$name]}" 2>/dev/null && left=1
    done
    ((left && SECONDS < deadline)) || break
    sleep 0.1
  done
  for name in "${!pids[@]}"; do
    pid=${pids[$name]}
    if kill -0 "$pid" 2>/dev/null; then
      _cl_say "$name did not stop within ${grace} s: kill -9"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for name in "$@"; do rm -f "$_cl_dir/run/$name.pid"; done
}

# _cl_postmaster_pid PGDATA: the postmaster's pid from postmaster.pid when it runs.
_cl_postmaster_pid() {
  local f=$1/postmaster.pid pid
  [[ -r "$f" ]] || return 1
  pid=$(head -n 1 "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

_cl_monitor_psql() { # SQL on the monitor's database, -qtA
  _cl_as_pg psql -X -qtA -h 127.0.0.1 -p "$PG_MONITOR_PORT" -U autoctl_node -d pg_auto_failover \
    -v ON_ERROR_STOP=1 -c "$1"
}

# --- up -------------------------------------------------------------------------------------------

cluster_up() {
  _cl_set_dir "${1:-}" || return 1
  local n=${2:-3} rc=0
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || {
    _cl_err "the number of hub nodes must be a positive integer, got '$n'"
    return 1
  }
  # The steps run in a bash of their own with set -e, whatever the caller's options; on failure
  # everything started so far is stopped.
  "${BASH:-bash}" -c 'set -euo pipefail; source "$1"; shift; _cl_up_steps "$@"' _ \
    "$cluster_lib_root/scripts/lib/cluster.bash" "$_cl_dir" "$n" || rc=$?
  if ((rc != 0)); then
    _cl_err "start-up failed; stopping what was started (logs stay in $_cl_dir/logs)"
    cluster_down "$_cl_dir" >/dev/null 2>&1 || true
    return "$rc"
  fi
}

_cl_up_steps() {
  _cl_set_dir "$1"
  local n=$2 t0=$SECONDS
  local pgdata_monitor pg1 pg2 ports
  # The binaries: HUB_CLUSTER_HUBD and HUB_CLUSTER_HUBCTL when set (tests name the ones under
  # test), else build/'s (built when missing).
  local hubd=${HUB_CLUSTER_HUBD:-$cluster_lib_root/build/hubd}
  local hubctl=${HUB_CLUSTER_HUBCTL:-$cluster_lib_root/build/hubctl}

  # One cluster per directory: refuse to start over a running one, and never wipe a directory
  # that is not a cluster's.
  if [[ -d "$_cl_dir" ]]; then
    if [[ -f "$_cl_dir/.hub-cluster" ]]; then
      local f
      for f in "$_cl_dir"/run/*.pid; do
        [[ -e "$f" ]] || continue
        if kill -0 "$(<"$f")" 2>/dev/null; then
          _cl_err "a cluster is already running in $_cl_dir ($(basename "$f" .pid)); scripts/cluster down --dir $_cl_dir first"
          return 3
        fi
      done
      rm -rf "$_cl_dir"
    elif [[ -n "$(ls -A "$_cl_dir")" ]]; then
      _cl_err "$_cl_dir exists, is not empty and is not a cluster directory; choose another --dir"
      return 1
    fi
  fi
  mkdir -p "$_cl_dir"/{run,logs,tls,hub,haproxy,secrets,pg/xdg/config,pg/xdg/data,pg/xdg/run,pgbackrest/repo,pgbackrest/log,pgbackrest/spool,pgbackrest/lock}
  touch "$_cl_dir/.hub-cluster"
  chmod 755 "$_cl_dir"
  chmod 700 "$_cl_dir/secrets"
  chmod 700 "$_cl_dir/pg/xdg/run"
  if [[ $(id -u) -eq 0 ]]; then
    # PostgreSQL's user must reach its files through DIR's parents.
    if ! runuser -u postgres -- test -x "$_cl_dir"; then
      _cl_err "the postgres user cannot reach $_cl_dir; choose a --dir whose parents others may enter"
      return 1
    fi
    chown -R postgres: "$_cl_dir/pg" "$_cl_dir/pgbackrest"
  fi

  for tool in pg_autoctl pgbackrest haproxy openssl curl python3; do
    command -v "$tool" >/dev/null || {
      _cl_err "$tool is missing: run ./scripts/setup"
      return 1
    }
  done
  [[ -x "$cluster_pg_bin/pg_ctl" ]] || {
    _cl_err "$cluster_pg_bin/pg_ctl is missing (postgresql-15): run ./scripts/setup"
    return 1
  }
  if [[ -z "${HUB_CLUSTER_HUBD:-}${HUB_CLUSTER_HUBCTL:-}" && (! -x "$hubd" || ! -x "$hubctl") ]]; then
    _cl_say "building hubd and hubctl (flock /tmp/hub-build.lock)"
    flock /tmp/hub-build.lock cmake --build "$cluster_lib_root/build" --target hubd hubctl -j2 >"$_cl_dir/logs/build.log" 2>&1 || {
      _cl_err "build failed; see $_cl_dir/logs/build.log (configure with ./scripts/build first?)"
      return 1
    }
  fi

  # Ports: the monitor, two PostgreSQL nodes, N hub nodes, HAProxy.
  mapfile -t ports < <(_cl_free_ports $((4 + n)))
  local monitor_port=${ports[0]} pg_ports=("${ports[1]}" "${ports[2]}") haproxy_port=${ports[3]}
  local node_ports=("${ports[@]:4}")
  pgdata_monitor=$_cl_dir/pg/monitor
  pg1=$_cl_dir/pg/node1
  pg2=$_cl_dir/pg/node2

  # Secrets, made once per cluster: the database roles' passwords, the first admin's token.
  local owner_pw app_pw admin_token
  owner_pw=$(openssl rand -hex 16)
  app_pw=$(openssl rand -hex 16)
  admin_token=$(openssl rand -hex 32)
  (
    umask 077
    printf '%s\n' "$owner_pw" >"$_cl_dir/secrets/hub_owner.password"
    printf '%s\n' "$app_pw" >"$_cl_dir/secrets/hub_app.password"
    printf '%s\n' "$admin_token" >"$_cl_dir/secrets/admin-token"
  )

  # --- the pg_auto_failover monitor
  _cl_say "pg_auto_failover monitor on 127.0.0.1:$monitor_port"
  _cl_as_pg pg_autoctl create monitor --pgdata "$pgdata_monitor" --pgport "$monitor_port" \
    --pgctl "$cluster_pg_bin/pg_ctl" --hostname 127.0.0.1 --auth trust --no-ssl \
    >>"$_cl_dir/logs/monitor.log" 2>&1
  _cl_tune_pg "$pgdata_monitor" monitor
  _cl_start_pg_autoctl monitor "$pgdata_monitor"
  PG_MONITOR_PORT=$monitor_port
  _cl_wait_pg "$monitor_port" 30 || {
    _cl_err "the monitor did not start; see $_cl_dir/logs/monitor.log"
    return 1
  }
  local setting sql=()
  for setting in "${cluster_monitor_settings[@]}"; do
    sql+=(-c "ALTER SYSTEM SET ${setting%%=*} = '${setting#*=}'")
  done
  _cl_as_pg psql -X -qtA -h 127.0.0.1 -p "$monitor_port" -d pg_auto_failover -v ON_ERROR_STOP=1 \
    "${sql[@]}" -c "SELECT pg_reload_conf()" >/dev/null
  local monitor_uri="postgres://autoctl_node@127.0.0.1:$monitor_port/pg_auto_failover?sslmode=disable"

  # --- the primary: created, its settings written (archiving, the hub roles' pg_hba lines), run
  _cl_say "PostgreSQL node1 on 127.0.0.1:${pg_ports[0]}"
  _cl_create_pg_node node1 "$pg1" "${pg_ports[0]}" "$monitor_uri"
  _cl_write_pgbackrest_conf "$pg1" "${pg_ports[0]}" "$pg2" "${pg_ports[1]}"
  _cl_tune_pg "$pg1" data
  _cl_hba_hub_roles "$pg1"
  _cl_start_pg_autoctl node1 "$pg1"
  _cl_wait_state node1 single 60
  _cl_wait_pg "${pg_ports[0]}" 30

  # The hub's roles and database (as docker/init-roles.sql, with this cluster's passwords).
  _cl_as_pg psql -X -q -h 127.0.0.1 -p "${pg_ports[0]}" -d postgres -v ON_ERROR_STOP=1 \
    -v owner_pw="$owner_pw" -v app_pw="$app_pw" >/dev/null <<'EOF'
CREATE ROLE hub_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE hub_app LOGIN PASSWORD :'app_pw';
CREATE DATABASE hub OWNER hub_owner ENCODING 'UTF8' TEMPLATE template0 LOCALE 'C.UTF-8';
EOF

  # --- the secondary: pg_autoctl clones the primary (pg_basebackup), so it gets the same
  # settings files; then the formation is synchronous.
  _cl_say "PostgreSQL node2 on 127.0.0.1:${pg_ports[1]} (synchronous secondary)"
  # pg_basebackup asks for a spread checkpoint: with the buffers CREATE DATABASE dirtied that
  # takes a minute and a half here; a checkpoint now leaves it nothing to write.
  _cl_as_pg psql -X -q -h 127.0.0.1 -p "${pg_ports[0]}" -d postgres -c CHECKPOINT
  _cl_create_pg_node node2 "$pg2" "${pg_ports[1]}" "$monitor_uri"
  _cl_start_pg_autoctl node2 "$pg2"
  _cl_wait_state node1 primary 120
  _cl_wait_state node2 secondary 120
  local formation_sync
  formation_sync=$(_cl_as_pg pg_autoctl get formation number-sync-standbys --pgdata "$pgdata_monitor" 2>/dev/null || echo "?")
  local sync_names
  sync_names=$(_cl_as_pg psql -X -qtA -h 127.0.0.1 -p "${pg_ports[0]}" -d postgres -c "SHOW synchronous_standby_names")
  [[ -n "$sync_names" ]] || {
    _cl_err "the primary has no synchronous standby (synchronous_standby_names is empty)"
    return 1
  }
  _cl_say "synchronous_standby_names = '$sync_names' (formation number-sync-standbys $formation_sync)"

  # --- pgBackRest: the stanza, a check (archive_command works on the primary), a first backup
  _cl_say "pgBackRest stanza '$cluster_stanza' in $_cl_dir/pgbackrest/repo"
  _cl_pgbackrest stanza-create >>"$_cl_dir/logs/pgbackrest.log" 2>&1 || {
    _cl_err "pgbackrest stanza-create failed; see $_cl_dir/logs/pgbackrest.log"
    return 1
  }
  _cl_pgbackrest check >>"$_cl_dir/logs/pgbackrest.log" 2>&1 || {
    _cl_err "pgbackrest check failed; see $_cl_dir/logs/pgbackrest.log"
    return 1
  }

  # --- the hub nodes' shared files: one TLS certificate (HAProxy passes TLS through, so every
  # node shows the client the same one), one ledger signing key, one config
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
    -keyout "$_cl_dir/tls/key.pem" -out "$_cl_dir/tls/cert.pem" >/dev/null 2>&1
  chmod 600 "$_cl_dir/tls/key.pem"
  (umask 077 && openssl genpkey -algorithm ed25519 -out "$_cl_dir/secrets/ledger-signing-key.pem")
  # The hub's shared secrets (cursors, record references) as a file every node is given: the
  # database keeps only their SHA-256, and a node with other secrets refuses to start.
  "$hubctl" secrets init "$_cl_dir/secrets/hub-secrets.json" >/dev/null
  # HAProxy passes TCP through from 127.0.0.2 and names each connection's client in a PROXY
  # header, which the nodes believe from that address only (docs/operations.md, "Client
  # addresses").
  cat >"$_cl_dir/hub/hub.json" <<'EOF'
{
  "limits": { "trusted_proxies": ["127.0.0.2"] }
}
EOF

  local i hub_url_hosts="127.0.0.1:${pg_ports[0]},127.0.0.1:${pg_ports[1]}"
  local q="target_session_attrs=read-write&connect_timeout=2&application_name=hubd"
  HUB_DATABASE_URL="postgresql://hub_app:$app_pw@$hub_url_hosts/hub?$q"
  HUB_MIGRATE_DATABASE_URL="postgresql://hub_owner:$owner_pw@$hub_url_hosts/hub?$q"
  HAPROXY_PORT=$haproxy_port

  # --- DIR/env: what tests, scripts/cluster and a user source
  local node_logs=() pid_files=()
  for ((i = 1; i <= n; i++)); do
    node_logs+=("$_cl_dir/logs/hub$i.log")
    pid_files+=("$_cl_dir/run/hub$i.pid")
  done
  {
    echo "# The Hub cluster in $_cl_dir (scripts/cluster up). Source it: . $_cl_dir/env"
    _cl_export HUB_CLUSTER_DIR "$_cl_dir"
    _cl_export HUB_CLUSTER_NODES "$n"
    _cl_export HUB_CLUSTER_URL "https://localhost:$haproxy_port"
    _cl_export HUB_CLUSTER_CA "$_cl_dir/tls/cert.pem"
    _cl_export HUB_URL "https://localhost:$haproxy_port"
    _cl_export HUB_CA "$_cl_dir/tls/cert.pem"
    _cl_export ADMIN_TOKEN "$admin_token"
    _cl_export ADMIN_TOKEN_FILE "$_cl_dir/secrets/admin-token"
    _cl_export HUB_TOKEN_FILE "$_cl_dir/secrets/admin-token"
    _cl_export HAPROXY_PORT "$haproxy_port"
    _cl_export HAPROXY_STATS_SOCKET "$_cl_dir/haproxy/stats.sock"
    _cl_export HAPROXY_CONFIG "$_cl_dir/haproxy/haproxy.cfg"
    _cl_export NODE_PORTS "${node_ports[*]}"
    _cl_export NODE_URLS "$(for p in "${node_ports[@]}"; do printf 'https://localhost:%s ' "$p"; done | sed 's/ $//')"
    _cl_export NODE_DATA_DIRS "$(for ((i = 1; i <= n; i++)); do printf '%s ' "$_cl_dir/hub/node$i"; done | sed 's/ $//')"
    _cl_export NODE_LOGS "${node_logs[*]}"
    _cl_export NODE_PID_FILES "${pid_files[*]}"
    _cl_export PG_MONITOR_PORT "$monitor_port"
    _cl_export PG_MONITOR_URI "$monitor_uri"
    _cl_export PG_MONITOR_PGDATA "$pgdata_monitor"
    _cl_export PG_NODE_NAMES "node1 node2"
    _cl_export PG_NODE_PORTS "${pg_ports[*]}"
    _cl_export PG_NODE_PGDATAS "$pg1 $pg2"
    _cl_export PG_BIN "$cluster_pg_bin"
    _cl_export HUB_DATABASE_URL "$HUB_DATABASE_URL"
    _cl_export HUB_MIGRATE_DATABASE_URL "$HUB_MIGRATE_DATABASE_URL"
    _cl_export HUB_OWNER_PASSWORD_FILE "$_cl_dir/secrets/hub_owner.password"
    _cl_export HUB_APP_PASSWORD_FILE "$_cl_dir/secrets/hub_app.password"
    _cl_export HUB_LEDGER_KEY_FILE "$_cl_dir/secrets/ledger-signing-key.pem"
    _cl_export HUB_SECRETS_FILE "$_cl_dir/secrets/hub-secrets.json"
    _cl_export HUB_TLS_CERT "$_cl_dir/tls/cert.pem"
    _cl_export HUB_TLS_KEY "$_cl_dir/tls/key.pem"
    _cl_export HUB_CLUSTER_CONFIG "$_cl_dir/hub/hub.json"
    _cl_export HUB_DEMO_TOKENS "$_cl_dir/hub/demo-tokens.json"
    _cl_export PGBACKREST_CONFIG "$_cl_dir/pgbackrest/pgbackrest.conf"
    _cl_export PGBACKREST_STANZA "$cluster_stanza"
    _cl_export PGBACKREST_REPO "$_cl_dir/pgbackrest/repo"
    _cl_export HUB_CLUSTER_LOG_DIR "$_cl_dir/logs"
    _cl_export HAPROXY_LOG "$_cl_dir/logs/haproxy.log"
    _cl_export PG_MONITOR_LOG "$_cl_dir/logs/monitor.log"
    _cl_export PG_NODE_LOGS "$_cl_dir/logs/node1.log $_cl_dir/logs/node2.log"
    _cl_export PG_NODE_SERVER_LOG_DIRS "$pg1/log $pg2/log"
    _cl_export PGBACKREST_LOG_DIR "$_cl_dir/pgbackrest/log"
    _cl_export HUBD "$hubd"
    _cl_export HUBCTL "$hubctl"
  } >"$_cl_dir/env"
  chmod 600 "$_cl_dir/env"
  # shellcheck source=/dev/null
  source "$_cl_dir/env"

  # --- the hub nodes, one at a time the first time (the first migrates; the others find it done)
  for ((i = 1; i <= n; i++)); do
    _cl_say "hub node $i on https://localhost:${node_ports[i - 1]}"
    _cl_start_hub "$i"
    _cl_wait_ready "$i" 90 || return 1
  done

  # --- HAProxy
  _cl_say "HAProxy on https://localhost:$haproxy_port (TLS passthrough, checks on /readyz)"
  _cl_write_haproxy_cfg "$haproxy_port" "${node_ports[@]}"
  haproxy -c -q -f "$_cl_dir/haproxy/haproxy.cfg" >>"$_cl_dir/logs/haproxy.log" 2>&1 || {
    _cl_err "haproxy -c refused the configuration; see $_cl_dir/logs/haproxy.log"
    return 1
  }
  _cl_start haproxy "$_cl_dir/logs/haproxy.log" haproxy -db -f "$_cl_dir/haproxy/haproxy.cfg"
  local deadline=$((SECONDS + 30))
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$_cl_dir/tls/cert.pem" \
    "https://localhost:$haproxy_port/readyz" 2>/dev/null)" == 200 ]]; do
    _cl_pid haproxy >/dev/null || {
      _cl_err "haproxy exited; see $_cl_dir/logs/haproxy.log"
      return 1
    }
    ((SECONDS < deadline)) || {
      _cl_err "HAProxy did not answer /readyz 200 within 30 s"
      return 1
    }
    sleep 0.3
  done

  # --- the demo, through HAProxy
  _cl_say "loading the demo through HAProxy (hubctl demo)"
  HUB_URL="https://localhost:$haproxy_port" HUB_CA="$_cl_dir/tls/cert.pem" \
    HUB_TOKEN_FILE="$_cl_dir/secrets/admin-token" \
    "$hubctl" --data-dir "$_cl_dir/hub" demo >"$_cl_dir/logs/demo.log" 2>&1 || {
    _cl_err "hubctl demo failed; see $_cl_dir/logs/demo.log"
    return 1
  }

  # --- a first full backup, so that a restore is possible from the start
  _cl_say "first pgBackRest backup (full)"
  _cl_pgbackrest --type=full backup >>"$_cl_dir/logs/pgbackrest.log" 2>&1 || {
    _cl_err "pgbackrest backup failed; see $_cl_dir/logs/pgbackrest.log"
    return 1
  }
  _cl_say "up in $((SECONDS - t0)) s"
}

_cl_export() { printf 'export %s=%q\n' "$1" "$2"; }

# _cl_tune_pg PGDATA monitor|data: our settings, in a file included last in postgresql.conf.
_cl_tune_pg() {
  local pgdata=$1 kind=$2 conf
  conf="# Written by scripts/lib/cluster.bash: a small test cluster on one machine.
listen_addresses = '127.0.0.1'
shared_buffers = '128MB'
effective_cache_size = '1GB'
work_mem = '8MB'
maintenance_work_mem = '64MB'
max_connections = 200
"
  if [[ "$kind" == data ]]; then
    # pgBackRest's archive-push wants pg1-path to be the server's own data directory. Both nodes
    # share this file (pg_basebackup and pg_rewind copy it), so the path is the archiver's
    # working directory, which PostgreSQL sets to its data directory: "\$PWD" in the shell
    # that runs archive_command. (On separate machines each node's pgbackrest.conf names its
    # own pg1-path: deploy/pgbackrest.conf.)
    conf+="# WAL archiving to pgBackRest's repository, from whichever node is primary.
archive_mode = on
archive_command = 'pgbackrest --config=$_cl_dir/pgbackrest/pgbackrest.conf --stanza=$cluster_stanza --pg1-path=\"\$PWD\" archive-push %p'
archive_timeout = '60s'
wal_keep_size = '512MB'
"
  fi
  _cl_as_pg bash -c 'printf "%s" "$1" >"$2/hub-cluster.conf" && echo "include '"'"'hub-cluster.conf'"'"'" >>"$2/postgresql.conf"' _ "$conf" "$pgdata"
}

# _cl_hba_hub_roles PGDATA: the hub's roles authenticate with their passwords (SCRAM), before
# pg_autoctl's own trust lines for its replication and monitor users on loopback.
_cl_hba_hub_roles() {
  local pgdata=$1
  _cl_as_pg bash -c '{ echo "# hub roles: passwords (scripts/lib/cluster.bash)"
    echo "host hub hub_owner,hub_app 127.0.0.1/32 scram-sha-256"
    echo "host all hub_owner,hub_app 0.0.0.0/0 reject"
    cat "$1/pg_hba.conf"; } >"$1/pg_hba.conf.new" && mv "$1/pg_hba.conf.new" "$1/pg_hba.conf"' _ "$pgdata"
}

_cl_create_pg_node() {
  local name=$1 pgdata=$2 port=$3 monitor_uri=$4
  _cl_as_pg pg_autoctl create postgres --pgdata "$pgdata" --pgport "$port" --listen 127.0.0.1 \
    --pgctl "$cluster_pg_bin/pg_ctl" --hostname 127.0.0.1 --name "$name" --monitor "$monitor_uri" \
    --auth trust --no-ssl --candidate-priority 50 --replication-quorum true \
    >>"$_cl_dir/logs/$name.log" 2>&1 || {
    _cl_err "pg_autoctl create postgres ($name) failed; see $_cl_dir/logs/$name.log"
    return 1
  }
  local setting
  for setting in "${cluster_keeper_settings[@]}"; do
    _cl_as_pg pg_autoctl config set --pgdata "$pgdata" "${setting%%=*}" "${setting#*=}" >/dev/null
  done
}

_cl_start_pg_autoctl() { # NAME PGDATA
  _cl_pg_argv
  (cd "$_cl_dir" && _cl_start "$1" "$_cl_dir/logs/$1.log" "${_cl_pg_argv_[@]}" pg_autoctl run --pgdata "$2")
}

_cl_wait_pg() { # PORT TIMEOUT_S: accepts connections
  local deadline=$((SECONDS + $2))
  until "$cluster_pg_bin/pg_isready" -q -h 127.0.0.1 -p "$1" -t 1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}

# _cl_wait_state NAME STATE TIMEOUT_S: the monitor reports NAME in STATE (reported = goal).
_cl_wait_state() {
  local name=$1 state=$2 deadline=$((SECONDS + $3)) now
  while :; do
    now=$(_cl_monitor_psql "SELECT reportedstate || '/' || goalstate FROM pgautofailover.node WHERE nodename = '$name'" 2>/dev/null || true)
    [[ "$now" == "$state/$state" ]] && return 0
    if ((SECONDS >= deadline)); then
      _cl_err "$name is '$now' (reported/goal), not '$state', after $3 s; see $_cl_dir/logs/$name.log"
      return 1
    fi
    sleep 0.5
  done
}

_cl_write_pgbackrest_conf() { # PGDATA1 PORT1 PGDATA2 PORT2
  _cl_as_pg bash -c 'cat >"$1"' _ "$_cl_dir/pgbackrest/pgbackrest.conf" <<EOF
# pgBackRest for the test cluster (scripts/lib/cluster.bash); deploy/pgbackrest.conf is the
# operator's version. Both PostgreSQL nodes are listed: pgBackRest finds the primary itself.
[global]
repo1-path=$_cl_dir/pgbackrest/repo
repo1-retention-full=2
log-path=$_cl_dir/pgbackrest/log
lock-path=$_cl_dir/pgbackrest/lock
spool-path=$_cl_dir/pgbackrest/spool
log-level-console=info
log-level-file=detail
compress-type=zst
start-fast=y
process-max=2

[$cluster_stanza]
pg1-path=$1
pg1-port=$2
pg2-path=$3
pg2-port=$4
EOF
}

_cl_pgbackrest() {
  _cl_as_pg pgbackrest --config="$_cl_dir/pgbackrest/pgbackrest.conf" --stanza="$cluster_stanza" "$@"
}

_cl_write_haproxy_cfg() { # HAPROXY_PORT NODE_PORT...
  local port=$1 i p
  shift
  {
    cat <<EOF
# HAProxy for the test cluster (scripts/lib/cluster.bash); deploy/haproxy.cfg is the commented
# operator's version. TLS passes through to the hub nodes (mode tcp); the health check is an
# HTTPS GET /readyz, fast for the test cluster (a dead node is out within about 1 s). When no
# node is ready (the database is failing over), connections go to the live nodes, which answer
# 503 unavailable themselves, rather than being closed by HAProxy. HAProxy connects to the nodes
# from 127.0.0.2, the nodes' only trusted proxy, and says which client each connection is for
# with a PROXY protocol v2 header (send-proxy-v2; its checks too): the nodes' per-address limits
# and loopback checks see the client, while anything else on loopback (tests, hubctl) still
# reaches a node directly from 127.0.0.1.
global
    log stdout format raw local0 info
    stats socket $_cl_dir/haproxy/stats.sock mode 600 level admin
    maxconn 4000

defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    timeout connect 2s
    timeout client 70s
    timeout server 70s
    timeout check 2s
    retries 2
    option redispatch 1
    source 127.0.0.2
    default-server send-proxy-v2 check-send-proxy check check-ssl verify none inter 500ms fastinter 250ms downinter 1s fall 2 rise 2

frontend hub
    bind 127.0.0.1:$port
    use_backend hub_ready if { nbsrv(hub_ready) gt 0 }
    default_backend hub_live
EOF
    # Two backends of the same nodes: those ready (/readyz), and those alive (/healthz).
    local backend check
    for backend in hub_ready:/readyz hub_live:/healthz; do
      check=${backend#*:}
      printf '\nbackend %s\n    balance leastconn\n    option httpchk\n' "${backend%%:*}"
      printf '    http-check send meth GET uri %s ver HTTP/1.1 hdr Host localhost\n' "$check"
      printf '    http-check expect status 200\n'
      i=0
      for p in "$@"; do
        i=$((i + 1))
        echo "    server hub$i 127.0.0.1:$p"
      done
    done
  } >"$_cl_dir/haproxy/haproxy.cfg"
}

# --- hub nodes ------------------------------------------------------------------------------------

_cl_node_port() { # I
  local ports
  read -r -a ports <<<"$NODE_PORTS"
  local p=${ports[$1 - 1]:-}
  [[ -n "$p" ]] || {
    _cl_err "no hub node $1 (the cluster has ${#ports[@]})"
    return 1
  }
  echo "$p"
}

_cl_start_hub() { # I (with DIR/env sourced or the up-time variables set)
  local i=$1 port data
  port=$(_cl_node_port "$i") || return 1
  data=$_cl_dir/hub/node$i
  mkdir -p "$data"
  [[ -f "$_cl_dir/logs/hub$i.log" ]] && echo "----- start $(date -u +%FT%T.%3NZ)" >>"$_cl_dir/logs/hub$i.log"
  _cl_start "hub$i" "$_cl_dir/logs/hub$i.log" env \
    HUB_LISTEN="127.0.0.1:$port" HUB_DATA_DIR="$data" \
    HUB_DATABASE_URL="$HUB_DATABASE_URL" HUB_MIGRATE_DATABASE_URL="$HUB_MIGRATE_DATABASE_URL" \
    HUB_LEDGER_KEY_FILE="$_cl_dir/secrets/ledger-signing-key.pem" \
    HUB_SECRETS_FILE="$_cl_dir/secrets/hub-secrets.json" \
    HUB_TLS_CERT="$_cl_dir/tls/cert.pem" HUB_TLS_KEY="$_cl_dir/tls/key.pem" \
    HUB_BOOTSTRAP_ADMIN_TOKEN="$(<"$_cl_dir/secrets/admin-token")" \
    HUB_CONSOLE_DIR="$cluster_lib_root/build/console" \
    "$HUBD" --config "$_cl_dir/hub/hub.json"
}

cluster_node_ready() { # DIR I
  _cl_set_dir "$1" || return 1
  cluster_env "$1" || return 1
  local port
  port=$(_cl_node_port "$2") || return 1
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$_cl_dir/tls/cert.pem" \
    "https://localhost:$port/readyz" 2>/dev/null)" == 200 ]]
}

_cl_wait_ready() { # I TIMEOUT_S
  local i=$1 deadline=$((SECONDS + $2)) port
  port=$(_cl_node_port "$i") || return 1
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$_cl_dir/tls/cert.pem" \
    "https://localhost:$port/readyz" 2>/dev/null)" == 200 ]]; do
    if ! _cl_pid "hub$i" >/dev/null; then
      _cl_err "hub node $i exited; the end of $_cl_dir/logs/hub$i.log:"
      tail -n 20 "$_cl_dir/logs/hub$i.log" | sed 's/^/  /' >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      _cl_err "hub node $i was not ready (/readyz) within $2 s; see $_cl_dir/logs/hub$i.log"
      return 1
    fi
    sleep 0.2
  done
}

cluster_kill_node() { # DIR I
  cluster_env "$1" || return 1
  local pid
  pid=$(_cl_pid "hub$2") || {
    _cl_err "hub node $2 is not running"
    return 1
  }
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$_cl_dir/run/hub$2.pid"
}

cluster_start_node() { # DIR I
  cluster_env "$1" || return 1
  if _cl_pid "hub$2" >/dev/null; then
    _cl_err "hub node $2 is already running"
    return 1
  fi
  _cl_start_hub "$2" || return 1
  _cl_wait_ready "$2" 60
}

cluster_restart_node() { # DIR I
  cluster_env "$1" || return 1
  local pid
  if pid=$(_cl_pid "hub$2"); then
    kill -TERM "$pid"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        _cl_err "hub node $2 did not exit within 30 s of SIGTERM"
        return 1
      fi
      sleep 0.05
    done
    rm -f "$_cl_dir/run/hub$2.pid"
  fi
  _cl_start_hub "$2" || return 1
  _cl_wait_ready "$2" 60
}

# --- PostgreSQL -----------------------------------------------------------------------------------

cluster_pg_primary() { # DIR: NAME:PORT of the node the monitor holds primary (writable goal)
  cluster_env "$1" || return 1
  local out
  out=$(_cl_monitor_psql "SELECT nodename || ':' || nodeport FROM pgautofailover.node
     WHERE goalstate IN ('primary', 'wait_primary', 'single') AND reportedstate = goalstate
     ORDER BY nodeid LIMIT 1") || return 1
  [[ -n "$out" ]] || {
    _cl_err "the monitor names no primary now"
    return 1
  }
  echo "$out"
}

_cl_pg_name_pgdata() { # NAME: its PGDATA
  local names pgdatas k
  read -r -a names <<<"$PG_NODE_NAMES"
  read -r -a pgdatas <<<"$PG_NODE_PGDATAS"
  for k in "${!names[@]}"; do
    [[ "${names[k]}" == "$1" ]] && {
      echo "${pgdatas[k]}"
      return 0
    }
  done
  _cl_err "no PostgreSQL node '$1' (the nodes are $PG_NODE_NAMES)"
  return 1
}

# The primary's loss as a machine's loss: kill -9 its whole pg_autoctl process group (the
# supervisor, its keeper and postgres-controller services, and the postmaster they started);
# the backends exit when they see the postmaster gone. Killing the postmaster alone would not
# do: pg_autoctl restarts it within a second and no failover happens.
cluster_kill_pg_primary() { # DIR: prints the killed node's NAME:PORT
  cluster_env "$1" || return 1
  local primary name pgdata pid pm
  primary=$(cluster_pg_primary "$1") || return 1
  name=${primary%%:*}
  pgdata=$(_cl_pg_name_pgdata "$name") || return 1
  pm=$(_cl_postmaster_pid "$pgdata" || true)
  pid=$(_cl_pid "$name") || {
    _cl_err "pg_autoctl of $name is not running"
    return 1
  }
  _cl_now_ms >"$_cl_dir/run/pg-kill.ms"
  kill -KILL -- "-$pid" 2>/dev/null || true
  if [[ -n "$pm" ]]; then kill -KILL "$pm" 2>/dev/null || true; fi
  rm -f "$_cl_dir/run/$name.pid"
  _cl_say "killed PostgreSQL $primary (pg_autoctl process group $pid, postmaster ${pm:-none}) at $(date -u +%T.%3N)"
  echo "$primary"
}

# cluster_wait_pg_primary DIR OLD TIMEOUT_S: until the monitor names a primary other than OLD
# (NAME or NAME:PORT) and that node commits a write; prints it; the time since the kill (when
# cluster_kill_pg_primary recorded one) goes to stderr and DIR/run/pg-failover.ms.
cluster_wait_pg_primary() {
  cluster_env "$1" || return 1
  local old=${2%%:*} timeout=${3:-60} deadline now name port t_kill t
  deadline=$((SECONDS + timeout))
  while :; do
    now=$(cluster_pg_primary "$1" 2>/dev/null || true)
    name=${now%%:*}
    port=${now##*:}
    if [[ -n "$now" && "$name" != "$old" ]] &&
      timeout 5 "$cluster_pg_bin/psql" -X -qtA \
        "postgresql://hub_owner:$(<"$HUB_OWNER_PASSWORD_FILE")@127.0.0.1:$port/hub?target_session_attrs=read-write&connect_timeout=2" \
        -c "SELECT txid_current()" >/dev/null 2>&1; then
      t=$(_cl_now_ms)
      if [[ -s "$_cl_dir/run/pg-kill.ms" ]]; then
        t_kill=$(<"$_cl_dir/run/pg-kill.ms")
        echo $((t - t_kill)) >"$_cl_dir/run/pg-failover.ms"
        _cl_say "failover: $now is primary and commits writes $(awk -v ms=$((t - t_kill)) 'BEGIN{printf "%.1f", ms/1000}') s after the kill"
      fi
      echo "$now"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      _cl_err "no primary other than $old accepting writes within $timeout s (monitor: '${now:-none}')"
      _cl_as_pg pg_autoctl show state --pgdata "$PG_MONITOR_PGDATA" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

cluster_start_pg_node() { # DIR NAME: start a stopped node's pg_autoctl; it rejoins as secondary
  cluster_env "$1" || return 1
  local pgdata
  pgdata=$(_cl_pg_name_pgdata "$2") || return 1
  if _cl_pid "$2" >/dev/null; then
    _cl_err "$2 is already running"
    return 1
  fi
  _cl_start_pg_autoctl "$2" "$pgdata"
}

cluster_wait_pg_secondary() { # DIR TIMEOUT_S: both nodes back: one primary, one secondary
  cluster_env "$1" || return 1
  local deadline=$((SECONDS + ${2:-120})) now
  while :; do
    now=$(_cl_monitor_psql "SELECT string_agg(reportedstate || '/' || goalstate, ' ' ORDER BY reportedstate) FROM pgautofailover.node" 2>/dev/null || true)
    [[ "$now" == "primary/primary secondary/secondary" ]] && return 0
    if ((SECONDS >= deadline)); then
      _cl_err "the formation is '$now', not a primary and a secondary, after ${2:-120} s"
      return 1
    fi
    sleep 0.5
  done
}

cluster_psql() { # DIR SQL: on the current primary as hub_owner, -qtA
  cluster_env "$1" || return 1
  PGCONNECT_TIMEOUT=3 "$cluster_pg_bin/psql" -X -qtA -v ON_ERROR_STOP=1 "$HUB_MIGRATE_DATABASE_URL" -c "$2"
}

# --- pgBackRest -----------------------------------------------------------------------------------

cluster_backup() { # DIR [full|incr|diff]
  cluster_env "$1" || return 1
  local type=${2:-}
  if [[ -z "$type" ]]; then
    if _cl_pgbackrest info --output=json 2>/dev/null | grep -q '"type":"full"'; then type=incr; else type=full; fi
  fi
  _cl_pgbackrest --type="$type" backup >>"$_cl_dir/logs/pgbackrest.log" 2>&1 || {
    _cl_err "pgbackrest --type=$type backup failed; see $_cl_dir/logs/pgbackrest.log"
    return 1
  }
  _cl_say "pgbackrest $type backup done"
}

# cluster_restore_pitr DIR TARGET_TIME NEWDIR PORT: the repository's newest backup before
# TARGET_TIME, replayed to TARGET_TIME, promoted, on 127.0.0.1:PORT as its own standalone server.
cluster_restore_pitr() {
  cluster_env "$1" || return 1
  local target=$2 newdir port=$4
  newdir=$(realpath -m -- "$3")
  [[ -n "$target" && -n "$port" ]] || {
    _cl_err "usage: cluster_restore_pitr DIR TARGET_TIME NEWDIR PORT"
    return 1
  }
  if [[ -e "$newdir" && -n "$(ls -A "$newdir" 2>/dev/null)" ]]; then
    _cl_err "$newdir exists and is not empty"
    return 1
  fi
  # The replay stops at the first commit after TARGET_TIME, and refuses to end without one
  # ("recovery ended before configured recovery target was reached"): make one (txid_current
  # commits a transaction id), then close the current segment (as the superuser: pg_switch_wal
  # is theirs) and wait for it to be archived, so that the repository holds it.
  local primary_port="" seg=""
  primary_port=$(cluster_pg_primary "$1") && primary_port=${primary_port##*:}
  if [[ -n "$primary_port" ]]; then
    seg=$(_cl_as_pg psql -X -qtA -h 127.0.0.1 -p "$primary_port" -d postgres \
      -c "SELECT txid_current()" -c "SELECT pg_walfile_name(pg_switch_wal())" 2>/dev/null | tail -n 1 || true)
    local deadline=$((SECONDS + 30))
    until [[ -n "$seg" ]] && _cl_as_pg psql -X -qtA -h 127.0.0.1 -p "$primary_port" -d postgres -c \
      "SELECT last_archived_wal >= '$seg' FROM pg_stat_archiver" 2>/dev/null | grep -q t; do
      ((SECONDS < deadline)) || {
        _cl_say "warning: the last WAL segment is not archived after 30 s"
        break
      }
      sleep 0.3
    done
  fi
  mkdir -p "$newdir"
  chmod 700 "$newdir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$newdir"
  _cl_as_pg pgbackrest --config="$_cl_dir/pgbackrest/pgbackrest.conf" --stanza="$cluster_stanza" \
    --pg1-path="$newdir" --type=time --target="$target" --target-action=promote restore >>"$_cl_dir/logs/pgbackrest.log" 2>&1 || {
    _cl_err "pgbackrest restore failed; see $_cl_dir/logs/pgbackrest.log"
    return 1
  }
  # A standalone server: its own port, loopback, no archiving into the cluster's repository, no
  # synchronous standby to wait for, no pg_auto_failover settings of the node it came from.
  _cl_as_pg bash -c 'cat >>"$1/postgresql.auto.conf"' _ "$newdir" <<EOF
# cluster_restore_pitr: a standalone restored copy
port = $port
listen_addresses = '127.0.0.1'
archive_mode = off
synchronous_standby_names = ''
primary_conninfo = ''
primary_slot_name = ''
EOF
  _cl_as_pg "$cluster_pg_bin/pg_ctl" -D "$newdir" -l "$newdir/startup.log" -w -t 120 start >/dev/null || {
    _cl_err "the restored PostgreSQL did not start; see $newdir/startup.log and $newdir/log/"
    return 1
  }
  local deadline=$((SECONDS + 120))
  until [[ "$(_cl_as_pg psql -X -qtA -h 127.0.0.1 -p "$port" -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" == f ]]; do
    ((SECONDS < deadline)) || {
      _cl_err "the restored PostgreSQL is still in recovery after 120 s"
      return 1
    }
    sleep 0.3
  done
  echo "postgresql://hub_owner:$(<"$HUB_OWNER_PASSWORD_FILE")@127.0.0.1:$port/hub"
}

cluster_stop_restored() { # NEWDIR
  local newdir
  newdir=$(realpath -m -- "$1")
  [[ -f "$newdir/postmaster.pid" ]] || return 0
  _cl_dir=$newdir _cl_pg_home=$newdir _cl_as_pg "$cluster_pg_bin/pg_ctl" -D "$newdir" -m fast -w stop >/dev/null 2>&1 || {
    local pm
    pm=$(_cl_postmaster_pid "$newdir") && kill -KILL "$pm"
  }
}

# --- status and down ------------------------------------------------------------------------------

cluster_status() { # DIR
  cluster_env "$1" || return 1
  local rc=0 i pid port code
  echo "Hub cluster in $_cl_dir"
  echo "  clients:  $HUB_CLUSTER_URL   (CA $HUB_CLUSTER_CA)"
  echo "hub nodes:"
  for ((i = 1; i <= HUB_CLUSTER_NODES; i++)); do
    port=$(_cl_node_port "$i")
    if pid=$(_cl_pid "hub$i"); then
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$HUB_CLUSTER_CA" "https://localhost:$port/readyz" 2>/dev/null || true)
      printf '  hub%-2s https://localhost:%-6s pid %-8s /readyz %s\n' "$i" "$port" "$pid" "${code:-none}"
      [[ "$code" == 200 ]] || rc=1
    else
      printf '  hub%-2s https://localhost:%-6s down\n' "$i" "$port"
      rc=1
    fi
  done
  echo "HAProxy (127.0.0.1:$HAPROXY_PORT):"
  if pid=$(_cl_pid haproxy); then
    if [[ -S "$HAPROXY_STATS_SOCKET" ]]; then
      python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
for line in data.decode().splitlines():
    if not line or line.startswith("#"): continue
    f = line.split(",")
    if f[0] in ("hub_ready", "hub_live") and f[1] not in ("BACKEND",):
        print("  %-18s %-6s %s %s  sessions %s" % (f[0] + "/" + f[1], f[17], f[36], f[37], f[7]))
    elif f[1] in ("FRONTEND", "BACKEND"):
        print("  %-18s %-6s sessions %s" % (f[0] + "/" + f[1].lower(), f[17], f[7]))
' "$HAPROXY_STATS_SOCKET" || rc=1
    fi
  else
    echo "  down"
    rc=1
  fi
  echo "PostgreSQL (pg_autoctl show state):"
  if _cl_as_pg pg_autoctl show state --pgdata "$PG_MONITOR_PGDATA" 2>/dev/null | sed 's/^/  /'; then :; else
    echo "  the monitor does not answer"
    rc=1
  fi
  echo "pgBackRest (stanza $PGBACKREST_STANZA):"
  _cl_pgbackrest info 2>/dev/null | sed 's/^/  /' || echo "  pgbackrest info failed"
  return "$rc"
}

cluster_down() { # DIR
  _cl_set_dir "${1:-}" || return 1
  [[ -d "$_cl_dir/run" ]] || return 0
  local f name i
  # HAProxy first (no new client connections), then the hub nodes, then PostgreSQL: the data
  # nodes (pg_autoctl stops its postgres with a fast shutdown on SIGTERM), the monitor last.
  _cl_stop 5 haproxy
  local hubs=()
  for f in "$_cl_dir"/run/hub*.pid; do
    [[ -e "$f" ]] && hubs+=("$(basename "$f" .pid)")
  done
  ((${#hubs[@]} == 0)) || _cl_stop 20 "${hubs[@]}"
  _cl_stop 30 node1 node2
  _cl_stop 30 monitor
  # A postmaster whose pg_autoctl was killed (cluster_kill_pg_primary) or that outlived it.
  for f in "$_cl_dir"/pg/monitor "$_cl_dir"/pg/node1 "$_cl_dir"/pg/node2; do
    local pm
    if pm=$(_cl_postmaster_pid "$f"); then
      kill -TERM "$pm" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        kill -0 "$pm" 2>/dev/null || break
        sleep 0.2
      done
      kill -KILL "$pm" 2>/dev/null || true
    fi
  done
  # Anything else recorded.
  for f in "$_cl_dir"/run/*.pid; do
    [[ -e "$f" ]] || continue
    _cl_stop 5 "$(basename "$f" .pid)"
  done
  return 0
}
