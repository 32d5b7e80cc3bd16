#!/usr/bin/env bash
# The entrypoint of deploy/docker/postgres.Dockerfile:
#   hub-postgres monitor     the pg_auto_failover monitor
#   hub-postgres node NAME   a data node: the first to register is the primary, the next its
#                            synchronous secondary (compose starts pg2 once pg1 is healthy)
# The first start creates the node (pg_autoctl create), later ones only run it. Passwords come
# from the environment (deploy/make-secrets.sh writes them into deploy/.env). The steps are
# those of deploy/pg_auto_failover/README.md, and those scripts/cluster runs on one machine.
set -euo pipefail

monitor_uri="postgres://autoctl_node:${MONITOR_PASSWORD:?}@monitor:5432/pg_auto_failover?sslmode=require"

case "${1:-}" in
  monitor)
    if [[ ! -f "$PGDATA/postgresql.conf" ]]; then
      pg_autoctl create monitor --pgdata "$PGDATA" --pgport 5432 --hostname monitor \
        --auth scram-sha-256 --ssl-self-signed --ssl-mode require
      pg_ctl -D "$PGDATA" -w start
      psql -X -q -d pg_auto_failover -v ON_ERROR_STOP=1 -v pw="$MONITOR_PASSWORD" \
        -c "ALTER USER autoctl_node PASSWORD :'pw'"
      psql -X -q -d pg_auto_failover -v ON_ERROR_STOP=1 -f /etc/hub-postgres/monitor-settings.sql
      pg_ctl -D "$PGDATA" -w -m fast stop
    fi
    exec pg_autoctl run --pgdata "$PGDATA"
    ;;
  node)
    name=${2:?hub-postgres node NAME}
    if [[ ! -f "$PGDATA/postgresql.conf" ]]; then
      # The secondary's pg_basebackup needs the replication password at create time.
      PGPASSWORD=${REPLICATION_PASSWORD:?} pg_autoctl create postgres --pgdata "$PGDATA" \
        --pgport 5432 --hostname "$name" --name "$name" --monitor "$monitor_uri" \
        --auth scram-sha-256 --ssl-self-signed --ssl-mode require \
        --candidate-priority 50 --replication-quorum true
      pg_autoctl config set --pgdata "$PGDATA" replication.password "$REPLICATION_PASSWORD"
      pg_autoctl config set --pgdata "$PGDATA" timeout.network_partition_timeout 5
      pg_autoctl config set --pgdata "$PGDATA" timeout.prepare_promotion_walreceiver 2
      pg_autoctl config set --pgdata "$PGDATA" timeout.postgresql_restart_failure_timeout 10
      if [[ ! -f "$PGDATA/standby.signal" ]]; then
        # The first node, the primary: the hub's settings (archiving), its roles' pg_hba lines
        # (for the compose network, not 10.20.0.0/24), the roles and the database, the
        # pgBackRest stanza. The secondary is cloned from it with all of that.
        cp /etc/hub-postgres/postgresql-hub.conf "$PGDATA/"
        echo "include 'postgresql-hub.conf'" >>"$PGDATA/postgresql.conf"
        { sed 's#10.20.0.0/24#0.0.0.0/0#' /etc/hub-postgres/pg_hba-hub.conf | grep -v reject
          cat "$PGDATA/pg_hba.conf"; } >"$PGDATA/pg_hba.conf.new"
        mv "$PGDATA/pg_hba.conf.new" "$PGDATA/pg_hba.conf"
        pg_ctl -D "$PGDATA" -w start
        psql -X -q -d postgres -v ON_ERROR_STOP=1 -v owner_pw="${HUB_OWNER_PASSWORD:?}" \
          -v app_pw="${HUB_APP_PASSWORD:?}" <<'SQL'
CREATE ROLE hub_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE hub_app LOGIN PASSWORD :'app_pw';
CREATE DATABASE hub OWNER hub_owner ENCODING 'UTF8' TEMPLATE template0 LOCALE 'C.UTF-8';
CHECKPOINT;
SQL
        pgbackrest --stanza=hub stanza-create
        pg_ctl -D "$PGDATA" -w -m fast stop
      fi
    fi
    exec pg_autoctl run --pgdata "$PGDATA"
    ;;
  *)
    echo "usage: hub-postgres monitor | hub-postgres node NAME" >&2
    exit 2
    ;;
esac
