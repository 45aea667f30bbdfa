#!/bin/sh
# Entry point of the demo images: writes pgward's settings from the container's environment, starts
# `pgward daemon` for the cluster as soon as its data directory exists, then hands over to the
# official image's entry point (which initialises and runs PostgreSQL).
set -eu
conf=${PGWARD_CONFIG_FILE:-/etc/pgward/pgward.conf}
mkdir -p "$(dirname "$conf")" /run/pgward
env | grep -E '^(PGWARD_|AWS_)' | grep -v '^PGWARD_CONFIG_FILE=' > "$conf" || true
chown postgres:postgres "$conf" /run/pgward
chmod 0600 "$conf"
(
  until [ -s "$PGDATA/PG_VERSION" ] && [ -s "$PGDATA/global/pg_control" ]; do sleep 1; done
  exec gosu postgres pgward --config "$conf" daemon "$PGDATA"
) &
exec docker-entrypoint.sh "$@"
