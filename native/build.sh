#!/usr/bin/env bash
# Builds dist/native/pgward-wal, the per-segment client (native/pgward-wal.c), when a C compiler is
# there; without one pgward works the same, with the Node client only. The Node binary and launcher
# it falls back to are this checkout's, fixed at build time (as install-units fixes them in the units).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cc >/dev/null; then
  echo "native: no C compiler (cc): pgward-wal not built; archive_command keeps using pgward itself" >&2
  exit 0
fi
node=$(node -p process.execPath)
script=$(realpath bin/pgward.js)
mkdir -p dist/native
cc -O2 -Wall -Wextra -Werror -std=c99 -DPGWARD_NODE="\"$node\"" -DPGWARD_SCRIPT="\"$script\"" -o dist/native/pgward-wal native/pgward-wal.c
