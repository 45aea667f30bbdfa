#!/usr/bin/env bash
# npm run package: builds dist/package/pgward_<version>_<arch>.deb with Debian's own tools (dpkg-deb),
# from the built tree (npm run build) and this checkout's lock file. Runs as any user; the package's
# files are owned by root through dpkg-deb --root-owner-group.
#   bash packaging/build-deb.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=$(realpath -m "${1:-dist/package}")
# PGWARD_PACKAGE_NODE: another official Node.js >= 22 binary (the demo images use their build stage's).
# The generators below run on it too: the host's node may be too old to run pgward.
runtime=${PGWARD_PACKAGE_NODE:-$repo/node_modules/node/bin/node}
[[ -x $runtime ]] || { echo "package: $runtime is missing: run npm ci first" >&2; exit 1; }
version=$("$runtime" -p "require('./package.json').version")
arch=$(dpkg --print-architecture)
[[ -f dist/src/cli/main.js ]] || { echo "package: dist/ is missing: run npm run build first" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/pgward-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
lib=$root/usr/lib/pgward
doc=$root/usr/share/doc/pgward
install -d "$lib/bin" "$lib/dist" "$lib/node/bin" "$root/usr/bin" "$root/lib/systemd/system" \
  "$root/usr/lib/tmpfiles.d" "$root/etc/pgward" "$doc" "$root/usr/share/man/man1" \
  "$root/usr/share/lintian/overrides" "$root/DEBIAN"

# The application: the compiled sources only (no tests, benchmarks or source maps), the launcher it
# has in a checkout, and the unit templates install-units reads.
cp -r dist/src "$lib/dist/src"
find "$lib/dist" -name '*.map' -delete
install -m 0755 bin/pgward.js "$lib/bin/pgward.js"
cp -r systemd "$lib/systemd"
cp package.json package-lock.json "$lib/"
printf '{"source":"debian-package","commit":"%s","date":"%s"}\n' \
  "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$lib/dist/build-info.json"

# Production dependencies only, from the lock file; no install scripts run (none is needed: lz4-napi's
# native code comes prebuilt in its per-platform package). Only this platform's build is kept.
(cd "$lib" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
rm -f "$lib/package-lock.json"
find "$lib/node_modules/@antoniomuso" -maxdepth 1 -name 'lz4-napi-*' ! -name "lz4-napi-linux-x64-gnu" -exec rm -rf {} +
# What only a library's developers use goes: tests, docs, source maps, type declarations, VCS files,
# and the prebuilt binaries of other platforms (the bare-* modules carry builds for the Bare runtime of
# every platform; under Node.js they are never loaded).
find "$lib/node_modules" -type d \( -name test -o -name tests -o -name __tests__ -o -name docs -o -name example -o -name examples -o -name .github -o -name .husky \) -prune -exec rm -rf {} +
find "$lib/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.ts' -o -name '*.html' \
  -o -name '*.md' -o -name '.npmignore' -o -name '.git*' -o -name '.eslintrc*' -o -name '.travis.yml' -o -name '.editorconfig' -o -name '.prettierrc*' \) -delete
find "$lib/node_modules" -type d -path '*/prebuilds/*' ! -name linux-x64 -prune -exec rm -rf {} +
find "$lib/node_modules" -type f \( -name '*.node' -o -name '*.bare' \) -exec strip --strip-unneeded --remove-section=.comment {} +
# Executable bits only where the file is a program (npm leaves some on plain modules and JSON).
find "$lib/node_modules" -type f -perm /111 ! -name '*.node' ! -name '*.bare' | while read -r file; do
  [[ $(head -c2 "$file") == '#!' ]] || chmod a-x "$file"
done
find "$lib/node_modules" -type d -empty -delete

# The runtime: the npm package "node" (a devDependency, Node.js 24, the version the tests run on),
# an official nodejs.org Linux build, stripped as Debian ships binaries (127 MB become 109 MB; what is
# lost is native symbol names in post-mortem stack traces, which Debian's own nodejs lacks too).
install -m 0755 "$runtime" "$lib/node/bin/node"
strip --strip-unneeded --remove-section=.comment "$lib/node/bin/node"

# The per-segment client, with the package's own runtime and launcher as its fallback, built with
# Debian's hardening flags.
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
  bash native/build.sh "$lib/dist/native/pgward-wal" /usr/lib/pgward/node/bin/node /usr/lib/pgward/bin/pgward.js
strip --strip-unneeded --remove-section=.comment "$lib/dist/native/pgward-wal"

install -m 0755 packaging/pgward.sh "$root/usr/bin/pgward"

# The units, from the templates install-units fills in, with the package's paths.
for unit in systemd/*.service systemd/*.timer; do
  sed -e 's|@NODE@|/usr/lib/pgward/node/bin/node|g' -e 's|@PGWARD@|/usr/lib/pgward/bin/pgward.js|g' \
    -e 's|^# Installed by `pgward install-units`.*|# Installed by the pgward Debian package.|' "$unit" >"$root/lib/systemd/system/$(basename "$unit")"
  chmod 0644 "$root/lib/systemd/system/$(basename "$unit")"
done
install -m 0644 packaging/tmpfiles.conf "$root/usr/lib/tmpfiles.d/pgward.conf"

"$runtime" dist/packaging/example-config.js "$root/etc/pgward/pgward.conf"
chmod 0644 "$root/etc/pgward/pgward.conf"
"$runtime" dist/packaging/man-page.js "$stage/pgward.1" "$(date -u +%Y-%m-%d)"
gzip -9n <"$stage/pgward.1" >"$root/usr/share/man/man1/pgward.1.gz"

install -m 0644 README.md "$doc/README.md"
install -m 0644 packaging/copyright "$doc/copyright"
gzip -9n <packaging/changelog >"$doc/changelog.gz"
install -m 0644 packaging/lintian-overrides "$root/usr/share/lintian/overrides/pgward"

for script in postinst prerm postrm; do install -m 0755 "packaging/$script" "$root/DEBIAN/$script"; done
printf '/etc/pgward/pgward.conf\n' >"$root/DEBIAN/conffiles"

# Depends: the shared libraries the two binaries link against, as Debian package names.
shlibs=$(for lib in $(ldd "$lib/node/bin/node" "$lib/dist/native/pgward-wal" | awk '/=>/ {print $3}' | sort -u); do
  dpkg -S "$(realpath "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null
done | cut -d: -f1 | sort -u)
depends=$(for p in $shlibs; do printf '%s (>= %s)\n' "$p" "$(dpkg-query -W -f='${Version}' "$p" | sed 's/-[^-]*$//')"; done | paste -sd, | sed 's/,/, /g')
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SHLIBS@/$depends/" \
  -e "s/@INSTALLED_SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" packaging/control.in >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/pgward_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb ($(du -h "$deb" | cut -f1), installed $(du -sh --exclude=DEBIAN "$root" | cut -f1))"
