// backup-verify in tests: its scratch under this run's root (never the host's /var/tmp), the
// embedded 13 and 17 binaries named as a DBA would name them (PGWARD_PG_BIN_<major>), and what a
// verification must leave behind: no server and no scratch.
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { runPgward, type CliResult } from './cli.js';
import { osUser } from './os-user.js';
import { PG_BIN_DIRS } from './paths.js';

/** `scratchBase`: a folder of the test file's own (test files run in parallel under one run root). */
export function verifyEnv(scratchBase: string): Record<string, string> {
  const base = scratchBase;
  mkdirSync(base, { recursive: true });
  // backup-verify started as root runs as postgres: the scratch base must be postgres's to write.
  const user = osUser('postgres');
  chownSync(base, user.uid, user.gid);
  return { PGWARD_VERIFY_DIR: base, PGWARD_PG_BIN_13: PG_BIN_DIRS['13']!, PGWARD_PG_BIN_17: PG_BIN_DIRS['17']! };
}

export function runVerify(configFile: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return runPgward(['backup-verify', ...args, '--config', configFile], { env });
}

/** Postmasters whose working directory is under `base` (the scratch servers of a verification). */
export function serversUnder(base: string): Array<{ pid: number; uid: number; cwd: string }> {
  const found: Array<{ pid: number; uid: number; cwd: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const exe = readlinkSync(`/proc/${entry}/exe`);
      if (!cwd.startsWith(`${base}/`) || !/postgres$/.test(exe)) continue;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))![1]);
      found.push({ pid: Number(entry), uid, cwd });
    } catch {
      // the process ended while being read
    }
  }
  return found;
}

export function scratchEntries(base: string): string[] {
  return existsSync(base) ? readdirSync(base) : [];
}
