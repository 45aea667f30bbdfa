// pgward backup-fetch TARGET NAME|LATEST: wal-e's syntax. The restore_command written for the
// restored server calls this same pgward with the same repository settings (non-secret ones on the
// command line; credentials only through --config/--envdir files, never into postgresql.auto.conf).
// A recovery target is parsed before the repository is opened, so a bad one writes nothing.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fetchBackup } from '../../backup/backup-fetch.js';
import { findBackupFor } from '../../backup/catalog.js';
import { resolveTarget, type ResolvedTarget } from '../../backup/recovery-target.js';
import { UsageError } from '../../errors/errors.js';
import type { CommandContext } from '../context.js';
import { printJson } from '../output.js';
import { withStorage } from '../repository.js';
import { walFetchCommand } from '../restore-command.js';

interface FetchArgs {
  target?: string;
  backup?: string;
  'restore-command'?: string;
  'target-time'?: string;
  'target-lsn'?: string;
  'target-name'?: string;
  'target-action'?: string;
  'tablespace-map'?: string[] | string;
  archive?: boolean;
  owner?: string;
  envdir?: string;
  config?: string;
}


function ownerFor(name: string | undefined): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const wanted = name ?? 'postgres';
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${wanted}:`));
  if (!line) {
    if (name) throw new UsageError(`OS user ${name} (--owner) does not exist`, { hint: 'name the user the restored cluster will run as' });
    return undefined;
  }
  const fields = line.split(':');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

function tablespaceRemap(value: FetchArgs['tablespace-map']): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of [value ?? []].flat()) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tablespace-map ${JSON.stringify(item)} is not OID=DIR or OLDDIR=NEWDIR`, { hint: 'e.g. --tablespace-map 16384=/srv/restore/ts1' });
    map.set(item.slice(0, eq), resolve(item.slice(eq + 1)));
  }
  return map;
}

function logChoice(log: CommandContext['log'], requested: string, chosen: string, target: ResolvedTarget): void {
  if (target.kind === 'time' || target.kind === 'lsn') {
    const what = target.kind === 'time' ? `finished before ${target.text}` : `ends at or before ${target.text}`;
    if (requested === 'LATEST') log.info({ backup: chosen, recoveryTarget: target.text }, `LATEST with a recovery target: ${chosen}, the newest backup that ${what}`);
  } else if (target.kind === 'name' && requested === 'LATEST') {
    log.warn(
      { backup: chosen, recoveryTarget: target.text },
      `restore point ${target.text} cannot be placed without reading the WAL: LATEST is ${chosen}, the newest backup; if the restore point is older, recovery will not reach it (PostgreSQL 13+ stops with "recovery ended before configured recovery target was reached"): then restore an older backup by name`,
    );
  }
}

export const backupFetchCommand = {
  async handler(ctx: CommandContext, args: FetchArgs): Promise<void> {
    const action = args['target-action'];
    if (action !== undefined && !['promote', 'pause', 'shutdown'].includes(action)) {
      throw new UsageError(`--target-action ${action} is not promote, pause or shutdown`);
    }
    const recoveryTarget = resolveTarget({ time: args['target-time'], lsn: args['target-lsn'], name: args['target-name'] });
    const target = resolve(String(args.target));
    const result = await withStorage(ctx, async (storage) => {
      const sentinel = await findBackupFor(storage, String(args.backup), recoveryTarget);
      const log = ctx.log.child({ cluster: sentinel.clusterName, systemId: sentinel.systemIdentifier });
      logChoice(log, String(args.backup), sentinel.name, recoveryTarget);
      const interval = ctx.settings.int('progressInterval', { min: 1, max: 3600 })?.value ?? 5;
      const outcome = await fetchBackup({
        storage,
        sentinel,
        target,
        tablespaceRemap: tablespaceRemap(args['tablespace-map']),
        restoreCommand: args['restore-command'] ?? walFetchCommand(args, ctx.settings),
        recoveryTarget: { ...(recoveryTarget.kind === 'none' ? {} : { [recoveryTarget.kind]: recoveryTarget.text }), action: action as 'promote' | undefined },
        keepArchiving: args.archive === true,
        owner: ownerFor(args.owner),
        parallel: 2,
        progressIntervalMs: interval * 1000,
        log,
      });
      return { backup: sentinel.name, target, ...outcome, repository: storage.location, pgVersion: sentinel.pgVersion, systemIdentifier: sentinel.systemIdentifier };
    }, 'read');
    if (ctx.json) printJson(result);
    else process.stdout.write(`${result.backup} restored into ${result.target}\n`);
  },
};
