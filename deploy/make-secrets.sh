#!/bin/sh
# Writes the secrets docker-compose.yml reads (deploy/secrets/*, git-ignored). Existing files are
# kept, so re-running never rotates a secret behind a running stack. Then edit sources.json.
set -eu
cd "$(dirname "$0")/secrets"
umask 022  # readable by the containers' non-root users (uid 10001, prometheus' nobody); keep the dir private
chmod 700 . 2>/dev/null || true
rand() { python3 -c 'import secrets; print(secrets.token_urlsafe(48))'; }
[ -s secret_key ] || rand > secret_key
[ -s postgres_password ] || rand > postgres_password
[ -s database_url ] || echo "postgresql://triage:$(cat postgres_password)@postgres:5432/triage" > database_url
[ -s metrics_token ] || rand > metrics_token
[ -s grafana_admin_password ] || rand > grafana_admin_password
if [ ! -s sources.json ]; then
  printf '{"shop": {"channel": "generic", "secret": "%s"}}\n' "$(rand)" > sources.json
  echo "wrote deploy/secrets/sources.json with one generic webhook source 'shop': edit it (README: Channel setup)"
fi
echo "secrets in $(pwd); the Grafana admin password is in grafana_admin_password"
