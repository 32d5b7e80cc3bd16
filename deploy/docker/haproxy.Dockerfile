# HAProxy from Debian 12's package, for deploy/compose.yaml (which mounts deploy/haproxy.cfg).
FROM debian:12
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      haproxy ca-certificates && rm -rf /var/lib/apt/lists/* && install -d /run/haproxy
EXPOSE 443
STOPSIGNAL SIGUSR1
# -db: in the foreground (the configuration's `daemon` is overridden); -W: master-worker, so that
# `docker compose kill -s HUP haproxy` reloads the configuration.
ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
