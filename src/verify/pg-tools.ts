// The PostgreSQL tools a verification runs on the copy, as its owner: pg_amcheck on the running server
// (B-tree and heap consistency, PG >= 14) and pg_checksums --check on the stopped data directory. Their
// findings name the relation and its file; those lines are what the verdict quotes.
import { execa } from 'execa';
import { VerificationFailedError } from '../errors/errors.js';
import type { Owner } from '../backup/extract.js';
import type { PgBinaries } from './pg-binaries.js';

const findings = (output: string): string =>
  output
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, 3)
    .join(' | ');

/** A tool of the copy's major, as the copy's owner, within the verification's deadline. */
async function runTool(bin: PgBinaries, tool: string, args: string[], owner: Owner | undefined, deadline: number) {
  const result = await execa(bin.path(tool), args, {
    reject: false,
    all: true,
    timeout: Math.max(1000, deadline - Date.now()),
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    env: { LANG: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' },
    extendEnv: false,
  });
  // Running out of time is not a finding about the backup: say which it was.
  if (result.timedOut) {
    throw new VerificationFailedError(`${tool} did not finish before the verification's --timeout`, {
      hint: 'give backup-verify a longer --timeout (a large cluster takes longer to check), or skip amcheck with --no-amcheck',
    });
  }
  return result;
}

export async function runAmcheck(bin: PgBinaries, host: string, port: number, role: string, owner: Owner | undefined, deadline: number): Promise<string> {
  const result = await runTool(bin, 'pg_amcheck', ['--all', '--install-missing', '--heapallindexed', '-h', host, '-p', String(port), '-U', role], owner, deadline);
  if (result.exitCode !== 0) {
    throw new VerificationFailedError(`pg_amcheck found corruption: ${findings(result.all ?? '') || `exit ${result.exitCode}`}`, {
      hint: 'the backup holds corrupt relations (or the source does): check the source with pg_amcheck and take a new backup',
    });
  }
  return 'no corruption found';
}

export async function runChecksums(bin: PgBinaries, dataDirectory: string, owner: Owner | undefined, deadline: number): Promise<string> {
  const result = await runTool(bin, 'pg_checksums', ['--check', '-D', dataDirectory], owner, deadline);
  if (result.exitCode !== 0) {
    const bad = (result.all ?? '').split('\n').filter((l) => /checksum verification failed|invalid/i.test(l));
    throw new VerificationFailedError(`pg_checksums found bad pages: ${findings(bad.join('\n') || result.all || '') || `exit ${result.exitCode}`}`, {
      hint: 'a data page of the backup fails its checksum: the source may be corrupt too; check it with pg_checksums or pg_amcheck and take a new backup',
    });
  }
  return /Bad checksums:\s*0/.test(result.all ?? '') ? 'no bad checksum' : 'ok';
}
