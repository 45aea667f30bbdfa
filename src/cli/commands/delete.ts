// pgward delete [--confirm] retain N | before NAME (wal-e's syntax): without --confirm it only says
// what it would delete.
import { listBackups } from '../../backup/catalog.js';
import { planRetention, RetentionError, type RetentionRule } from '../../backup/retention.js';
import { UsageError } from '../../errors/errors.js';
import { sweepIncompleteWrites } from '../../repo/incomplete-writes.js';
import { BACKUP_PREFIX, backupPrefix, sentinelKey } from '../../repo/layout.js';
import { listArchivedWal } from '../../wal/wal-listing.js';
import type { CommandContext } from '../context.js';
import { printJson, printLines } from '../output.js';
import { withStorage } from '../repository.js';

function ruleOf(args: { rule?: string; target?: string }): RetentionRule {
  if (args.rule === 'retain' && args.target && /^\d+$/.test(args.target)) return { kind: 'retain', count: Number(args.target) };
  if (args.rule === 'before' && args.target) return { kind: 'before', name: args.target };
  throw new UsageError('delete needs "retain N" or "before BACKUP_NAME"', { hint: 'e.g. pgward delete --confirm retain 7' });
}

export const deleteCommand = {
  async handler(ctx: CommandContext, args: { rule?: string; target?: string; confirm?: boolean }): Promise<void> {
    const rule = ruleOf(args);
    await withStorage(ctx, async (storage, config) => {
      const listing = await listBackups(storage);
      const wal = await listArchivedWal(storage);
      let plan;
      try {
        plan = planRetention(listing, wal.allKeys, rule, wal.segmentSize);
      } catch (err) {
        if (err instanceof RetentionError) throw new UsageError(err.message, { hint: 'pgward backup-list shows the backups' });
        throw err;
      }
      if (args.confirm) {
        for (const name of plan.deleteBackups) {
          // The sentinel first: from here on the backup no longer lists as complete.
          await storage.deleteMany([sentinelKey(name)]);
          const keys: string[] = [];
          for await (const item of storage.list(backupPrefix(name))) keys.push(item.key);
          await storage.deleteMany(keys);
        }
        await storage.deleteMany(plan.deleteWal);
        // Retention is the repository's maintenance run, and the sweep for installations without a daemon.
        await sweepIncompleteWrites(storage, ctx.log);
        ctx.log.info({ repository: config.url, backups: plan.deleteBackups.length, walObjects: plan.deleteWal.length, walBoundary: plan.walBoundary }, 'deleted');
      }
      const result = { repository: config.url, dryRun: !args.confirm, ...plan };
      if (ctx.json) return printJson(result);
      printLines([
        `${args.confirm ? 'deleted' : 'would delete (dry run; add --confirm)'}: ${plan.deleteBackups.length} backup(s), ${plan.deleteWal.length} WAL object(s) before ${plan.walBoundary ?? '-'}`,
        ...plan.deleteBackups.map((name) => `  backup ${name}`),
        `kept: ${plan.keep.join(', ') || 'none'} (under ${BACKUP_PREFIX})`,
      ]);
    }, 'read');
  },
};
