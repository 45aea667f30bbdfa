#!/bin/sh
# pgward as the Debian package installs it: run with the Node.js runtime the package carries, so the
# host's Node.js (Debian 12 has 18) never decides whether archiving works. wal-push and wal-fetch,
# which PostgreSQL runs once per WAL file, go to pgward-wal first: it hands the file to the cluster's
# daemon in a few milliseconds, and runs pgward itself when no daemon answers (or the command line is
# one it does not handle alone), so handing it any command line that names them is safe.
for arg; do
  case "$arg" in
    wal-push | wal-fetch) exec /usr/lib/pgward/dist/native/pgward-wal "$@" ;;
  esac
done
exec /usr/lib/pgward/node/bin/node /usr/lib/pgward/bin/pgward.js "$@"
