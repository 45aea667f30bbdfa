#!/bin/sh
# Run once when the cluster is created (the official image runs /docker-entrypoint-initdb.d/*):
# archive through pgward. archive_mode takes effect at the server start that follows initialisation.
# The integration tests run this same script against a real cluster.
set -eu
conf=${PGWARD_CONFIG_FILE:-/etc/pgward/pgward.conf}
pgward=${PGWARD_COMMAND:-pgward}
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -c "ALTER SYSTEM SET archive_mode = on" \
  -c "ALTER SYSTEM SET archive_command = '$pgward wal-push %p --config $conf'" \
  -c "ALTER SYSTEM SET restore_command = '$pgward wal-fetch %f %p --config $conf'"
