// What every fault probe shares: a seed (PGWARD_FAULT_SEED replays a run, otherwise one is drawn and
// printed), bounded runs of bin/pgward that count exit 70 instead of throwing, the repository read
// directly from s3rver (never through the proxy), and the one summary line each probe prints.
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { PGWARD_BIN } from '../harness/paths.js';
import { osUser } from '../harness/os-user.js';
import { postgresOwnedDir } from '../harness/postgres.js';
import type { Fault } from '../harness/s3-fault-proxy.js';

export function probeSeed(): number {
  const given = process.env.PGWARD_FAULT_SEED;
  return given !== undefined && given !== '' ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

/** The ordinary faults of a busy S3: errors, SlowDown, dropped connections and slow answers. */
export const ORDINARY_FAULTS: readonly Fault[] = [
  { kind: 'status', status: 500 },
  { kind: 'status', status: 503, code: 'SlowDown' },
  { kind: 'reset' },
  { kind: 'delay', ms: 1500 },
];

export interface Figures {
  trials: number;
  'faults injected': number;
  [figure: string]: number;
}

/** Prints the probe's one summary line to stderr and returns it (assert messages quote it with the seed). */
export function summary(probe: string, seed: number | undefined, figures: Figures): string {
  const line = `fault probe ${probe}: ${Object.entries(figures).map(([name, value]) => `${name} ${value}`).join(', ')}${seed === undefined ? '' : ` (seed ${seed})`}`;
  process.stderr.write(`${line}\n`);
  return line;
}

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** killed at the bound: a hang */
  hung: boolean;
}

/** bin/pgward with a clean environment, killed at `boundMs` (a hang is a figure, not a crash of the probe). */
export async function runBounded(args: string[], boundMs: number, env: Record<string, string> = {}): Promise<Run> {
  const started = Date.now();
  const result = await execa(process.execPath, [PGWARD_BIN, ...args], {
    reject: false,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', LANG: 'C', ...env },
    extendEnv: false,
    cwd: '/',
    timeout: boundMs,
    killSignal: 'SIGKILL',
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), ms: Date.now() - started, hung: result.timedOut === true };
}

/**
 * An archive_command that records each attempt (segment, exit status, milliseconds) in a file before
 * passing the status on to PostgreSQL, so a probe counts attempts, exit 70s and slow pushes itself.
 */
export function recordingArchiveCommand(configFile: string): { command: string; attempts: () => Array<{ segment: string; exitCode: number; ms: number }> } {
  const dir = postgresOwnedDir('attempts-');
  const script = join(dir, 'push.sh');
  const record = join(dir, 'attempts.log');
  writeFileSync(
    script,
    `#!/bin/sh\nstart=$(date +%s%3N)\n'${process.execPath}' '${PGWARD_BIN}' --config '${configFile}' wal-push "$1"\nrc=$?\necho "$(basename "$1") $rc $(( $(date +%s%3N) - start ))" >> '${record}'\nexit $rc\n`,
  );
  chmodSync(script, 0o755);
  const user = osUser('postgres');
  writeFileSync(record, '');
  chownSync(record, user.uid, user.gid);
  return {
    command: `${script} %p`,
    attempts: () =>
      readFileSync(record, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const [segment, exitCode, ms] = line.split(' ');
          return { segment: segment!, exitCode: Number(exitCode), ms: Number(ms) };
        }),
  };
}

/** Segments PostgreSQL holds as archived (`.done`), oldest first. */
export function doneSegments(dataDirectory: string): string[] {
  return readdirSync(join(dataDirectory, 'pg_wal', 'archive_status'))
    .filter((name) => name.endsWith('.done'))
    .map((name) => name.slice(0, -'.done'.length))
    .filter((name) => /^[0-9A-F]{24}$/.test(name))
    .sort();
}

export { listKeys } from '../harness/s3-client.js';

export type Verdict = 'exact' | 'different' | 'missing' | 'unreadable';

/**
 * Each segment fetched from the repository with `wal-fetch` on a configuration that reaches s3rver
 * directly, compared byte for byte with the copy PostgreSQL still keeps in pg_wal.
 */
export async function verifySegments(dataDirectory: string, segments: string[], directConfig: string): Promise<Record<string, Verdict>> {
  const scratch = postgresOwnedDir('fetched-');
  const verdicts: Record<string, Verdict> = {};
  for (const segment of segments) {
    const target = join(scratch, segment);
    const run = await runBounded(['--config', directConfig, 'wal-fetch', segment, target], 60_000, { PGWARD_NO_DAEMON: 'true', PGDATA: dataDirectory });
    if (run.exitCode === 1) verdicts[segment] = 'missing';
    else if (run.exitCode !== 0) {
      verdicts[segment] = 'unreadable';
      process.stderr.write(`wal-fetch ${segment} exited ${run.exitCode}: ${run.stderr}\n`);
    }
    else verdicts[segment] = readFileSync(target).equals(readFileSync(join(dataDirectory, 'pg_wal', segment))) ? 'exact' : 'different';
  }
  return verdicts;
}

/** The pgward output PostgreSQL logged before each archive/restore command that exited 70, for the report. */
export function exit70InServerLog(logFile: string): string[] {
  if (!existsSync(logFile)) return [];
  const lines = readFileSync(logFile, 'utf8').split('\n');
  const found: string[] = [];
  lines.forEach((line, i) => {
    if (!/exit code 70\b/.test(line)) return;
    const context = lines.slice(Math.max(0, i - 6), i).filter((l) => /pgward|ERROR|HINT|Error|at /.test(l));
    found.push([...context, line].join('\n'));
  });
  return found;
}
