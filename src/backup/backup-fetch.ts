// Restoring a backup: into an absent or empty target (and empty tablespace locations, remappable),
// partitions downloaded and extracted in parallel, everything verified against the manifest, then
// backup_label, tablespace_map and the recovery settings written, ownership and 0700 mode set. A
// copy does not archive unless asked to (it would write WAL into the source's repository), and a
// failed restore removes what it wrote.
import { chmod, chown, lchown, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WriteMethod } from '../codec/compression.js';
import { IntegrityError, RestoreTargetError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { formatBytes, ProgressReporter } from '../log/progress.js';
import { backupObjectKey } from '../repo/layout.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import { explainRecoveryTimeline } from '../wal/recovery-timeline.js';
import { currentHost, registerLocation } from '../repo/locations.js';
import { readManifest } from './catalog.js';
import { extractPartition, type Owner } from './extract.js';
import { BufferReleaser } from './memory.js';
import { RestoreWriter } from './restore-writer.js';
import type { BackupManifest, BackupSentinel } from './manifest.js';
import { checkManifest } from './record-check.js';
import { chooseLocations, remapHint } from './tablespace-locations.js';
import { checkRestoredVersion } from './restored-version.js';
import { recoverySettings, writeRecoveryConfig, type RecoveryTarget } from './recovery-config.js';
import { findPortClash } from './port-clash.js';
import { onTarget, pathInside, prepareEmptyDirectory, removeRestored, unreachableParent, type PreparedDirectory } from './restore-target.js';

export interface BackupFetchOptions {
  storage: Storage;
  sentinel: BackupSentinel;
  target: string;
  /** tablespace oid or original location -> new location */
  tablespaceRemap: Map<string, string>;
  restoreCommand: string;
  recoveryTarget: RecoveryTarget;
  /** true: keep the source's archive_mode (a restore that replaces the source); false: archive_mode = off */
  keepArchiving: boolean;
  owner?: Owner;
  parallel: number;
  progressIntervalMs: number;
  log: Logger;
}

/** Runs `work` on the items, `limit` at a time; `lane` tells which of the `limit` runners does it. */
async function runPool<T>(items: T[], limit: number, work: (item: T, lane: number) => Promise<void>): Promise<void> {
  const queue = [...items];
  let failure: unknown;
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async (_, lane) => {
    while (queue.length && failure === undefined) {
      try {
        await work(queue.shift()!, lane);
      } catch (err) {
        failure ??= err;
      }
    }
  });
  await Promise.all(workers);
  if (failure !== undefined) throw failure;
}

export interface BackupFetchOutcome {
  files: number;
  bytes: number;
  /** 'off': archive_mode = off was written into the copy */
  archiving: 'off' | 'kept';
}

export async function fetchBackup(options: BackupFetchOptions): Promise<BackupFetchOutcome> {
  const { storage, sentinel, target, log } = options;
  const manifest = await readManifest(storage, sentinel.name);
  const method = checkManifest(manifest, sentinel, `${storage.location}/${backupObjectKey(sentinel.name, 'manifest.json')}`);
  const chosen = chooseLocations(manifest.tablespaces, options.tablespaceRemap, target);
  for (const ts of chosen.filter((t) => t.recorded)) {
    log.warn(
      { tablespace: ts.oid, location: ts.location, from: 'manifest' },
      `tablespace ${ts.oid} will be restored into ${ts.location}, the location recorded in the backup (it must be absent or empty); to restore it elsewhere, ${remapHint(ts.oid)}`,
    );
  }

  const prepared: PreparedDirectory[] = [];
  try {
    prepared.push(await prepareEmptyDirectory(target, 'restore target', options.owner));
    const locations = new Map<string, string>();
    for (const ts of chosen) {
      const dir = await prepareEmptyDirectory(ts.location, `tablespace ${ts.oid} location`, options.owner).catch((err: unknown) => {
        if (!(err instanceof RestoreTargetError)) throw err;
        throw new RestoreTargetError(err.message, { hint: `${err.hint ?? 'give an absent or empty directory'}; or ${remapHint(ts.oid)}`, cause: err });
      });
      prepared.push(dir);
      locations.set(ts.oid, ts.location);
    }
    if (options.owner) {
      for (const dir of [target, ...locations.values()]) {
        const blocked = await unreachableParent(dir, options.owner);
        if (blocked) {
          log.warn(
            { path: dir, parent: blocked.path, mode: `0${blocked.mode.toString(8)}`, parentUid: blocked.uid, ownerUid: options.owner.uid },
            `the owner of the restored files (uid ${options.owner.uid}) may not reach ${dir}: ${blocked.path} is mode 0${blocked.mode.toString(8)} owned by uid ${blocked.uid}; PostgreSQL would not start there (grant search permission, or restore elsewhere)`,
          );
        }
      }
    }
    return await restoreInto(options, manifest, method, locations);
  } catch (err) {
    // Only what this restore created or filled is removed: every directory was absent or empty before.
    if (prepared.length > 0) {
      const left = await removeRestored(prepared);
      if (left.length === 0) log.info({ phase: 'failed', removed: prepared.map((p) => p.created ?? p.path) }, `restore failed; removed what it had written under ${prepared.map((p) => p.path).join(', ')}`);
      else log.warn({ phase: 'failed', left }, `restore failed; could not remove ${left.length} partly restored path(s), e.g. ${left[0]}: remove them before restoring there again`);
    }
    throw err;
  }
}

async function restoreInto(options: BackupFetchOptions, manifest: BackupManifest, method: WriteMethod, locations: Map<string, string>): Promise<BackupFetchOutcome> {
  const { storage, sentinel, target, log } = options;
  const destinationOf = (name: string): { path: string; root: string } => {
    // pg_tblspc/<oid> itself becomes the link made after extraction, never an entry of the tar.
    const linkName = /^pg_tblspc\/(\d+)\/*$/.exec(name);
    if (linkName && locations.has(linkName[1]!)) {
      throw new IntegrityError(`backup entry ${name} stands where tablespace ${linkName[1]} is linked`, { hint: 'the backup is damaged or was not written by pgward; use another backup' });
    }
    const match = /^pg_tblspc\/(\d+)\/(.+)$/.exec(name);
    if (match && locations.has(match[1]!)) {
      const root = locations.get(match[1]!)!;
      return { path: pathInside(root, match[2]!), root };
    }
    return { path: pathInside(target, name), root: target };
  };

  const files = new Map(manifest.files.map((f) => [f.name, f]));
  const restored = new Set<string>();
  const releaser = new BufferReleaser();
  const total = manifest.files.reduce((sum, f) => sum + f.size, 0);
  const progress = new ProgressReporter(log, total);
  const writer = new RestoreWriter(options.owner, options.parallel);
  progress.start(options.progressIntervalMs);
  log.info({ phase: 'restoring', backup: sentinel.name, partitions: manifest.partitions.length, bytesTotal: total, target }, `restoring ${sentinel.name} (${formatBytes(total)}) into ${target}`);
  try {
    await runPool(manifest.partitions, options.parallel, async (partition, lane) => {
      const where = `${storage.location}/${partition.key}`;
      const body = await storage.get(partition.key);
      if (!body) throw new IntegrityError(`${where} is missing`, { hint: 'the backup is incomplete; use another backup' });
      await extractPartition(body, partition, method, { writer, lane, destinationOf, files, restored, releaser, onBytes: (n) => progress.add(n) }, where);
    });
  } finally {
    progress.stop();
    await writer.close();
  }
  const missing = manifest.files.filter((f) => !restored.has(f.name));
  if (missing.length) {
    throw new IntegrityError(`${missing.length} file(s) of the manifest were not in any partition, e.g. ${missing[0]!.name}`, { hint: 'the backup is damaged; use another backup' });
  }

  // The recovery settings depend on the major: one that the restored files contradict would give
  // a configuration the server rejects.
  await checkRestoredVersion(target, sentinel);

  // Tablespace links, then the files the stop returned, then recovery settings.
  const owner = options.owner;
  for (const [oid, location] of locations) {
    const link = join(target, 'pg_tblspc', oid);
    await onTarget(link, async () => {
      await mkdir(join(target, 'pg_tblspc'), { recursive: true, mode: 0o700 });
      await symlink(location, link);
      if (owner) {
        await lchown(link, owner.uid, owner.gid);
        await chown(location, owner.uid, owner.gid);
      }
      await chmod(location, 0o700);
    });
  }
  const label = await getBuffer(storage, backupObjectKey(sentinel.name, 'backup_label'));
  if (!label) throw new IntegrityError(`backup_label of ${sentinel.name} is missing`, { hint: 'the backup cannot be restored without it' });
  const written = ['backup_label'];
  await onTarget(join(target, 'backup_label'), () => writeFile(join(target, 'backup_label'), label, { mode: 0o600 }));
  if (locations.size > 0) {
    await onTarget(join(target, 'tablespace_map'), () => writeFile(join(target, 'tablespace_map'), [...locations].map(([oid, location]) => `${oid} ${location}\n`).join(''), { mode: 0o600 }));
    written.push('tablespace_map');
  }
  const settings = recoverySettings(options.restoreCommand, options.recoveryTarget, !options.keepArchiving);
  written.push(...(await onTarget(target, () => writeRecoveryConfig(target, sentinel.pgVersionNum, settings))));
  await onTarget(target, async () => {
    if (owner) for (const name of written) await chown(join(target, name), owner.uid, owner.gid);
    await mkdir(join(target, 'pg_wal', 'archive_status'), { recursive: true, mode: 0o700 });
    if (owner) {
      await chown(target, owner.uid, owner.gid);
      await chown(join(target, 'pg_wal'), owner.uid, owner.gid);
      await chown(join(target, 'pg_wal', 'archive_status'), owner.uid, owner.gid);
    }
    await chmod(target, 0o700);
  });
  if (options.keepArchiving) {
    // The operator said this copy replaces the source: its location may write into the repository
    // (ensureWriter refuses every unregistered one).
    const dataDirectory = await realpath(target);
    await registerLocation(storage, { host: currentHost(), dataDirectory, systemIdentifier: sentinel.systemIdentifier, pgMajor: sentinel.pgMajor }, 'restore', 'pgward backup-fetch --archive');
    log.warn(
      { archiveMode: 'kept', repository: storage.location, location: `${currentHost()}:${dataDirectory}` },
      `archiving stays as the source had it (--archive): ${currentHost()}:${dataDirectory} is registered to write into ${storage.location}; once promoted, this copy archives there. If it replaces the source for good, retire the old location: pgward location-remove ${sentinel.dataDirectory}${sentinel.host === currentHost() ? '' : ` --location-host ${sentinel.host}`}`,
    );
  } else {
    log.info({ archiveMode: 'off', repository: storage.location }, `archiving is off in the copy (archive_mode = off): it will not write WAL into ${storage.location}; restore with --archive only when the copy replaces the source`);
  }
  const clash = await findPortClash(target, sentinel);
  if (clash) {
    log.warn(
      { setting: 'port', port: clash.port, sourcePort: clash.sourcePort, sourceDataDirectory: clash.sourceDataDirectory, socketDirectory: clash.socketDirectory },
      `the copy would use port ${clash.port}${clash.socketDirectory ? ` and socket directory ${clash.socketDirectory}` : ''}, like its source ${clash.sourceDataDirectory} on this host: set port in ${clash.setIn} (or start it with -p) before starting it`,
    );
  }
  log.info({ phase: 'complete', files: restored.size, bytes: total }, `restored ${restored.size} files; start the server to recover through restore_command`);
  const timeline = await explainRecoveryTimeline(storage, sentinel.timeline, sentinel.pgVersionNum);
  log[timeline.warning ? 'warn' : 'info']({ timeline: timeline.timeline, backupTimeline: sentinel.timeline }, `recovery will follow timeline ${timeline.timeline}: ${timeline.reason}${timeline.warning ? `; WARNING: ${timeline.warning}` : ''}`);
  return { files: restored.size, bytes: total, archiving: options.keepArchiving ? 'kept' : 'off' };
}
