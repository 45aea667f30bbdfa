#!/usr/bin/env bash
# Base backup and restore benchmark: pgward against the machine's limit, pg_basebackup and pgBackRest.
# Usage: bench/backup.sh [SCALE...]   (pgbench scale, default 100 = about 1.5 GB; e.g. 100 200)
# Needs root, Debian's postgresql-15, pgbackrest, lz4 and GNU time (apt-get install pgbackrest lz4 time).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in pgbackrest lz4 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install pgbackrest lz4 time)" >&2; exit 2; }
done
npm run --silent build
exec node_modules/.bin/node dist/bench/backup.js "$@"
