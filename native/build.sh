#!/usr/bin/env bash
# Builds pgward-wal, the per-segment client (native/pgward-wal.c), when a C compiler is there; without
# one pgward works the same, with the Node client only. The Node binary and launcher it falls back to
# are fixed at build time (as install-units fixes them in the units): by default this checkout's
# (dist/native/pgward-wal); the Debian package passes its own paths:
#   native/build.sh OUT NODE LAUNCHER
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cc >/dev/null; then
  echo "native: no C compiler (cc): pgward-wal not built; archive_command keeps using pgward itself" >&2
  exit 0
fi
out=${1:-dist/native/pgward-wal}
node=${2:-$(node -p process.execPath)}
script=${3:-$(realpath bin/pgward.js)}
mkdir -p "$(dirname "$out")"
cc -O2 -Wall -Wextra -Werror -std=c99 ${CFLAGS:-} ${LDFLAGS:-} -DPGWARD_NODE="\"$node\"" -DPGWARD_SCRIPT="\"$script\"" -o "$out" native/pgward-wal.c
