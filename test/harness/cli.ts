// Runs bin/pgward as a separate process, the way PostgreSQL or a DBA would: a clean environment (no
// PG* or AWS* leaking in from the test runner), optionally as another OS user.
import { execa } from 'execa';
import { PGWARD_BIN } from './paths.js';
import { osUser } from './os-user.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  asUser?: string;
  cwd?: string;
  /** kill the run after this long (default 60 s); a killed run reports exit -1 */
  timeoutMs?: number;
}

export async function runPgward(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const user = options.asUser ? osUser(options.asUser) : undefined;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', LANG: 'C' };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  const result = await execa(process.execPath, [PGWARD_BIN, ...args], {
    reject: false,
    env,
    extendEnv: false,
    cwd: options.cwd ?? '/',
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    timeout: options.timeoutMs ?? 60_000,
  });
  // Exit 70 means a bug in pgward, whatever the test expected: no test may pass with one.
  if (result.exitCode === 70) throw new Error(`pgward ${args.join(' ')} exited 70 (a bug):\n${result.stderr}`);
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The JSON lines pgward wrote to stderr (logs and --json errors). */
export function stderrJson(result: CliResult): Array<Record<string, unknown>> {
  return result.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface ListedBackup {
  name: string;
  complete: boolean;
  [field: string]: unknown;
}

/** `pgward backup-list --json [--all]` with a config file, as the backups array. */
export async function listBackupsJson(configFile: string, all = false): Promise<ListedBackup[]> {
  const result = await runPgward(['backup-list', '--json', ...(all ? ['--all'] : []), '--config', configFile]);
  return (JSON.parse(result.stdout) as { backups: ListedBackup[] }).backups;
}
