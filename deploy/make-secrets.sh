#!/usr/bin/env bash
# Makes the files deploy/compose.yaml needs, once: deploy/.env (the database and admin secrets)
# and deploy/secrets/ (the ledger signing key, the hub's secrets file and the TLS certificate that
# every hub node shares). Run as root so that the hub's files belong to the image's `hub` user (uid 10001).
# Never commit them (.gitignore lists them). For machines of their own, the same files go to
# /etc/hub/ (deploy/systemd/hubd.service).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [[ -e .env || -e secrets ]]; then
  echo "make-secrets: deploy/.env or deploy/secrets/ exists already; remove them to start over" >&2
  exit 1
fi
umask 077
mkdir secrets
rand() { openssl rand -hex 24; }
cat >.env <<ENV
MONITOR_PASSWORD=$(rand)
REPLICATION_PASSWORD=$(rand)
HUB_OWNER_PASSWORD=$(rand)
HUB_APP_PASSWORD=$(rand)
HUB_BOOTSTRAP_ADMIN_TOKEN=$(openssl rand -hex 32)
ENV
# One Ed25519 key signs the ledger's checkpoints, whichever node seals.
openssl genpkey -algorithm ed25519 -out secrets/ledger-signing-key.pem
# The hub's shared secrets (list cursors, record references), the same on every node, kept out of
# the database: secrets.file. The format is hubctl's (`hubctl secrets init FILE` makes the same).
printf '{\n  "cursor": "%s",\n  "record_ref": "%s"\n}\n' "$(openssl rand -hex 32)" \
  "$(openssl rand -hex 64)" >secrets/hub-secrets.json
# One certificate for every node: HAProxy passes TLS through, so clients see the nodes' own.
# Self-signed here; a city's CA signs the real one (names: the public one and `hub`, which
# HAProxy's health checks verify).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
  -subj "/CN=hub" -addext "subjectAltName=DNS:hub,DNS:localhost,IP:127.0.0.1" \
  -keyout secrets/tls-key.pem -out secrets/tls-cert.pem 2>/dev/null
chmod 644 secrets/tls-cert.pem
if [[ $(id -u) -eq 0 ]]; then
  chown 10001 secrets/ledger-signing-key.pem secrets/hub-secrets.json secrets/tls-key.pem
else
  echo "make-secrets: not root: chown 10001 deploy/secrets/{ledger-signing-key.pem,hub-secrets.json,tls-key.pem} yourself" >&2
fi
echo "make-secrets: wrote deploy/.env and deploy/secrets/ (the admin token is HUB_BOOTSTRAP_ADMIN_TOKEN in deploy/.env)"
