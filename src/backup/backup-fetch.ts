// Restoring a backup: into an absent or empty target (and empty tablespace locations, remappable),
// partitions downloaded and extracted in parallel, everything verified against the manifest, then
// backup_label, tablespace_map and the recovery settings written, ownership and 0700 mode set.
import { chmod, chown, lchown, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WRITE_METHODS, type WriteMethod } from '../codec/compression.js';
import { IntegrityError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { formatBytes, ProgressReporter } from '../log/progress.js';
import { backupObjectKey } from '../repo/layout.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import { explainRecoveryTimeline } from '../wal/recovery-timeline.js';
import { readManifest } from './catalog.js';
import { extractPartition, type Owner } from './extract.js';
import { BufferReleaser } from './memory.js';
import type { BackupSentinel } from './manifest.js';
import { recoverySettings, writeRecoveryConfig, type RecoveryTarget } from './recovery-config.js';
import { pathInside, prepareEmptyDirectory } from './restore-target.js';

export interface BackupFetchOptions {
  storage: Storage;
  sentinel: BackupSentinel;
  target: string;
  /** tablespace oid or original location -> new location */
  tablespaceRemap: Map<string, string>;
  restoreCommand: string;
  recoveryTarget: RecoveryTarget;
  disableArchiving: boolean;
  owner?: Owner;
  parallel: number;
  progressIntervalMs: number;
  log: Logger;
}

async function runPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  let failure: unknown;
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length && failure === undefined) {
      try {
        await work(queue.shift()!);
      } catch (err) {
        failure ??= err;
      }
    }
  });
  await Promise.all(workers);
  if (failure !== undefined) throw failure;
}

export async function fetchBackup(options: BackupFetchOptions): Promise<{ files: number; bytes: number }> {
  const { storage, sentinel, target, log } = options;
  const manifest = await readManifest(storage, sentinel.name);
  const method = manifest.compression as WriteMethod;
  if (!WRITE_METHODS.includes(method)) throw new IntegrityError(`backup ${sentinel.name} uses unknown compression ${manifest.compression}`);

  await prepareEmptyDirectory(target, 'restore target');
  const locations = new Map<string, string>();
  for (const ts of manifest.tablespaces) {
    const location = options.tablespaceRemap.get(ts.oid) ?? options.tablespaceRemap.get(ts.location) ?? ts.location;
    await prepareEmptyDirectory(location, `tablespace ${ts.oid} location`);
    locations.set(ts.oid, location);
  }
  const destinationOf = (name: string): { path: string; root: string } => {
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
  progress.start(options.progressIntervalMs);
  log.info({ phase: 'restoring', backup: sentinel.name, partitions: manifest.partitions.length, bytesTotal: total, target }, `restoring ${sentinel.name} (${formatBytes(total)}) into ${target}`);
  try {
    await runPool(manifest.partitions, options.parallel, async (partition) => {
      const where = `${storage.location}/${partition.key}`;
      const body = await storage.get(partition.key);
      if (!body) throw new IntegrityError(`${where} is missing`, { hint: 'the backup is incomplete; use another backup' });
      await extractPartition(body, partition, method, { destinationOf, files, restored, owner: options.owner, releaser, onBytes: (n) => progress.add(n) }, where);
    });
  } finally {
    progress.stop();
  }
  const missing = manifest.files.filter((f) => !restored.has(f.name));
  if (missing.length) {
    throw new IntegrityError(`${missing.length} file(s) of the manifest were not in any partition, e.g. ${missing[0]!.name}`, { hint: 'the backup is damaged; use another backup' });
  }

  // Tablespace links, then the files the stop returned, then recovery settings.
  for (const [oid, location] of locations) {
    const link = join(target, 'pg_tblspc', oid);
    await mkdir(join(target, 'pg_tblspc'), { recursive: true, mode: 0o700 });
    await symlink(location, link);
    if (options.owner) {
      await lchown(link, options.owner.uid, options.owner.gid);
      await chown(location, options.owner.uid, options.owner.gid);
    }
    await chmod(location, 0o700);
  }
  const label = await getBuffer(storage, backupObjectKey(sentinel.name, 'backup_label'));
  if (!label) throw new IntegrityError(`backup_label of ${sentinel.name} is missing`, { hint: 'the backup cannot be restored without it' });
  const written = ['backup_label'];
  await writeFile(join(target, 'backup_label'), label, { mode: 0o600 });
  if (locations.size > 0) {
    await writeFile(join(target, 'tablespace_map'), [...locations].map(([oid, location]) => `${oid} ${location}\n`).join(''), { mode: 0o600 });
    written.push('tablespace_map');
  }
  written.push(...(await writeRecoveryConfig(target, sentinel.pgVersionNum, recoverySettings(options.restoreCommand, options.recoveryTarget, options.disableArchiving))));
  if (options.owner) for (const name of written) await chown(join(target, name), options.owner.uid, options.owner.gid);
  await mkdir(join(target, 'pg_wal', 'archive_status'), { recursive: true, mode: 0o700 });
  if (options.owner) {
    await chown(target, options.owner.uid, options.owner.gid);
    await chown(join(target, 'pg_wal'), options.owner.uid, options.owner.gid);
    await chown(join(target, 'pg_wal', 'archive_status'), options.owner.uid, options.owner.gid);
  }
  await chmod(target, 0o700);
  log.info({ phase: 'complete', files: restored.size, bytes: total }, `restored ${restored.size} files; start the server to recover through restore_command`);
  const timeline = await explainRecoveryTimeline(storage, sentinel.timeline, sentinel.pgVersionNum);
  log[timeline.warning ? 'warn' : 'info']({ timeline: timeline.timeline, backupTimeline: sentinel.timeline }, `recovery will follow timeline ${timeline.timeline}: ${timeline.reason}${timeline.warning ? `; WARNING: ${timeline.warning}` : ''}`);
  return { files: restored.size, bytes: total };
}
