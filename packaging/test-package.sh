#!/usr/bin/env bash
# The Debian package as a DBA uses it (issue 13), run by CI after the test suite, as root:
#   bash packaging/test-package.sh dist/package/pgward_<version>_<arch>.deb
# lintian; dpkg -i; then, with the host's Node.js (Debian's, too old for pgward) first on PATH:
# pgward --version; a PostgreSQL 15 cluster whose archive_command is plain `pgward wal-push %p`
# archives a pgbench run with failed_count = 0; `pgward daemon` started by hand as postgres listens in
# /run/pgward and serves archive_command; systemd-analyze verify passes on the installed units; dpkg -r
# leaves only the conffile, dpkg --purge removes it too. The cluster and its repository live under a
# fresh directory on a free port; the package is removed again on every exit. A lock keeps two
# checkouts on one host from installing at once, and an already installed pgward is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(realpath "${1:?usage: test-package.sh DEB}")
exec 9>/tmp/pgward-package-test.lock
flock 9
if dpkg-query -W -f='${Status}' pgward 2>/dev/null | grep -q installed; then
  echo "test-package: a pgward package is already installed on this host; not touching it" >&2
  exit 1
fi

pg=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/pgward-pkgtest.XXXXXX)
chmod 0755 "$work"
chown postgres:postgres "$work"
pgdata=$work/data
repo=$work/repo
conf=$work/pgward.conf
socket=/run/pgward/pkgtest-$$.sock
daemon_pid=
step() { printf '\n== %s\n' "$*"; }
as_postgres() { runuser -u postgres -- env PATH="$PATH" "$@"; }
cleanup() {
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [[ -f $pgdata/postmaster.pid ]] && as_postgres "$pg/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
  dpkg-query -W pgward >/dev/null 2>&1 && dpkg --purge pgward >/dev/null 2>&1 || true
  rm -f "$socket"
  rm -rf "$work"
}
trap cleanup EXIT
# Poll until the command succeeds, at most $1 seconds.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < deadline)) || { echo "test-package: timed out waiting for: $*" >&2; return 1; }
    sleep 0.2
  done
}

step "lintian"
lintian --fail-on error,warning "$deb"

step "dpkg -i"
started=$EPOCHREALTIME
dpkg -i "$deb"
echo "installed in $(printf '%.1f' "$(awk "BEGIN {print $EPOCHREALTIME - $started}")") s; package $(du -h "$deb" | cut -f1), installed size $(dpkg-query -W -f='${Installed-Size}' pgward) KiB"

# What PostgreSQL's archive_command sees: /usr/bin first, where Debian's node is.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
step "pgward --version with $(command -v node || echo 'no node') $(node --version 2>/dev/null || true) first on PATH"
test "$(pgward --version)" = "pgward $(dpkg-query -W -f='${Version}' pgward)"
pgward -V
pgward version --json | grep -q '"source": "debian-package"'
test -s /usr/share/man/man1/pgward.1.gz
test -f /etc/pgward/pgward.conf
test "$(stat -c %U /run/pgward)" = postgres

step "archive_command = 'pgward wal-push %p' under pgbench"
install -d -o postgres -g postgres "$pgdata" "$repo"
printf 'PGWARD_REPO=file://%s\nPGWARD_DAEMON_SOCKET=%s\n' "$repo" "$socket" >"$conf"
chown postgres "$conf"
# No TCP listener: the port only names the socket file in this run's own directory, so it cannot clash.
port=54329
as_postgres "$pg/initdb" -D "$pgdata" -U postgres --auth=trust >/dev/null
cat >>"$pgdata/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$work'
archive_mode = on
archive_command = 'PGWARD_CONFIG=$conf pgward wal-push %p'
CONF
as_postgres "$pg/pg_ctl" -D "$pgdata" -l "$work/postgres.log" -w start >/dev/null
psql_() { as_postgres "$pg/psql" -h "$work" -p "$port" -U postgres -XAtq -c "$1"; }
as_postgres "$pg/pgbench" -h "$work" -p "$port" -U postgres -i -s 5 -q postgres
as_postgres "$pg/pgbench" -h "$work" -p "$port" -U postgres -t 2000 -c 2 postgres >/dev/null
last=$(psql_ "SELECT pg_walfile_name(pg_switch_wal())")
archived() { [[ $(psql_ "SELECT coalesce(last_archived_wal >= '$last', false) FROM pg_stat_archiver") == t ]]; }
wait_for 120 archived
read -r count failed < <(psql_ "SELECT archived_count, failed_count FROM pg_stat_archiver" | tr '|' ' ')
echo "archived $count WAL files, failed_count $failed"
test "$failed" = 0
test -n "$(ls "$repo"/wal_005/)"

step "pgward daemon by hand, as postgres, listening in /run/pgward"
# setpriv execs (runuser would fork and not pass the SIGTERM below on), so $! is the daemon itself.
setpriv --reuid=postgres --regid=postgres --init-groups pgward daemon "$pgdata" --config "$conf" >/dev/null 2>"$work/daemon.log" &
daemon_pid=$!
wait_for 30 test -S "$socket"
for _ in 1 2 3; do psql_ "CREATE TABLE IF NOT EXISTS t AS SELECT 1; INSERT INTO t SELECT 1" ; last=$(psql_ "SELECT pg_walfile_name(pg_switch_wal())"); done
wait_for 60 archived
test "$(psql_ "SELECT failed_count FROM pg_stat_archiver")" = 0
grep -q "serving cluster" "$work/daemon.log"
kill "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=
# archive_command reached it (pgward-wal's request, answered by the daemon), not only its uploads ahead.
served=$(grep -o '"served":[0-9]*' "$work/daemon.log" | cut -d: -f2)
echo "the daemon answered $served archive_command requests"
((served > 0))

step "reinstalling (an upgrade's path) keeps the administrator's configuration"
echo '# changed by the administrator' >>/etc/pgward/pgward.conf
dpkg -i "$deb" >/dev/null
grep -q 'changed by the administrator' /etc/pgward/pgward.conf
pgward --version >/dev/null

step "systemd-analyze verify on the installed units"
units=$work/units
mkdir "$units"
for unit in pgward@.service pgward-backup@.service pgward-backup@.timer pgward-verify@.service pgward-verify@.timer; do
  cp "/lib/systemd/system/$unit" "$units/${unit/@/@15-main}"
done
systemd-analyze verify "$units"/*

step "dpkg -r keeps the conffile only; dpkg --purge removes it"
as_postgres "$pg/pg_ctl" -D "$pgdata" -m fast stop >/dev/null
dpkg -r pgward
left=$(dpkg-query -L pgward 2>/dev/null | while read -r path; do [[ -f $path ]] && echo "$path"; done || true)
test "$left" = /etc/pgward/pgward.conf || { echo "after dpkg -r: $left" >&2; exit 1; }
test ! -e /usr/bin/pgward && test ! -e /usr/lib/pgward && test ! -e /lib/systemd/system/pgward@.service
dpkg --purge pgward
test ! -e /etc/pgward
! dpkg-query -W pgward >/dev/null 2>&1
echo "test-package: all checks passed"
