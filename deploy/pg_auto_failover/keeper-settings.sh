#!/usr/bin/env bash
# The keepers' timeouts (seconds), on each PostgreSQL node as postgres, then restart pg_autoctl:
#   PGDATA=/var/lib/postgresql/15/hub ./keeper-settings.sh && systemctl restart pgautofailover
# network_partition_timeout stays below the monitor's primary_demote_timeout (8 s,
# monitor-settings.sql): a primary that sees neither the monitor nor a standby for this long
# demotes itself, before the monitor promotes another node.
set -euo pipefail
: "${PGDATA:?set PGDATA to the data directory of this node}"
pg_autoctl config set --pgdata "$PGDATA" timeout.network_partition_timeout 5
pg_autoctl config set --pgdata "$PGDATA" timeout.prepare_promotion_walreceiver 2
pg_autoctl config set --pgdata "$PGDATA" timeout.postgresql_restart_failure_timeout 10
