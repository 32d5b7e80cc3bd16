-- The pg_auto_failover monitor's failure detection (pgautofailover.* settings, milliseconds).
-- Run once on the monitor as the superuser, then they persist (postgresql.auto.conf):
--   psql -h monitor.hub.internal -d pg_auto_failover -f monitor-settings.sql
-- A failover takes about node_considered_unhealthy_timeout + health checks + primary_demote_timeout
-- + the promotion itself. The defaults (20 s, 5 s checks with 2 retries, 30 s demote
-- timeout) give about a minute. These give about 15 s (not measured on a LAN; 7-8 s measured
-- on one machine with the test cluster's shorter values: docs/operations.md, "Failover").
-- Keep primary_demote_timeout above the keepers' timeout.network_partition_timeout (keeper-settings.sh):
-- an old primary cut off from the monitor and its standby demotes itself after that timeout,
-- and only then may the monitor give its role away.
ALTER SYSTEM SET pgautofailover.health_check_period = 2000;
ALTER SYSTEM SET pgautofailover.health_check_timeout = 2000;
ALTER SYSTEM SET pgautofailover.health_check_max_retries = 2;
ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 1000;
ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 5000;
ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 8000;
ALTER SYSTEM SET pgautofailover.startup_grace_period = 10000;
SELECT pg_reload_conf();
