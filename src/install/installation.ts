// What a bug report needs to know about this pgward: its version, the Node.js running it (the bundled
// runtime of the Debian package or the host's), the platform, where it is installed, how it was built
// (the package records its build in dist/build-info.json; a source checkout has no such record), and
// whether the per-segment client pgward-wal is there.
import { access, constants, readFile } from 'node:fs/promises';
import { arch, platform, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGWARD_VERSION } from '../version.js';

export interface BuildRecord {
  commit?: string;
  date?: string;
  /** how this copy was made: 'debian-package', or absent for a source build */
  source?: string;
}

export interface Installation {
  version: string;
  node: { version: string; path: string; v8: string; openssl?: string };
  platform: { os: string; kernel: string; arch: string; libc?: string };
  installedIn: string;
  build: BuildRecord | null;
  walClient: string | null;
}

// dist/src/install/ -> the installation's root (the checkout, or /usr/lib/pgward in the package)
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

async function readBuildRecord(): Promise<BuildRecord | null> {
  try {
    return JSON.parse(await readFile(join(ROOT, 'dist', 'build-info.json'), 'utf8')) as BuildRecord;
  } catch {
    return null;
  }
}

async function executable(path: string): Promise<string | null> {
  return access(path, constants.X_OK).then(() => path, () => null);
}

export async function describeInstallation(): Promise<Installation> {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const libc = report?.header?.glibcVersionRuntime;
  return {
    version: PGWARD_VERSION,
    node: { version: process.versions.node, path: process.execPath, v8: process.versions.v8, ...(process.versions.openssl ? { openssl: process.versions.openssl } : {}) },
    platform: { os: platform(), kernel: release(), arch: arch(), ...(libc ? { libc: `glibc ${libc}` } : {}) },
    installedIn: ROOT,
    build: await readBuildRecord(),
    walClient: await executable(join(ROOT, 'dist', 'native', 'pgward-wal')),
  };
}
