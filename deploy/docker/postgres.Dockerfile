# PostgreSQL 15 with pg_auto_failover and pgBackRest, from Debian 12's packages: the monitor and
# the data nodes of deploy/compose.yaml (the entrypoint's argument says which).
#   docker build -f deploy/docker/postgres.Dockerfile -t hub-postgres .
FROM debian:12
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      postgresql-15 postgresql-15-auto-failover pgbackrest ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres /var/lib/pgbackrest /var/log/pgbackrest /var/spool/pgbackrest
COPY deploy/pg_auto_failover/postgresql-hub.conf deploy/pg_auto_failover/monitor-settings.sql \
     deploy/pg_auto_failover/pg_hba-hub.conf /etc/hub-postgres/
COPY deploy/pgbackrest/compose.conf /etc/pgbackrest/pgbackrest.conf
COPY deploy/docker/postgres-entrypoint.sh /usr/local/bin/hub-postgres
USER postgres
# PGDATA and pg_autoctl's own files (XDG directories under HOME) in the one volume.
ENV HOME=/var/lib/postgresql PGDATA=/var/lib/postgresql/hub \
    PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
VOLUME /var/lib/postgresql
EXPOSE 5432
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/hub-postgres"]
