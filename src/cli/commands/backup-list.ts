// pgward backup-list [--all] [--json]: complete backups (with a sentinel), oldest first; --all adds
// incomplete ones, marked as such. Each complete backup shows its newest verification: the date it was
// verified, FAILED, or never.
import { listBackups } from '../../backup/catalog.js';
import { IntegrityError } from '../../errors/errors.js';
import { newestVerification, type VerificationRecord } from '../../verify/record.js';
import { formatBytes } from '../../log/progress.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { withStorage } from '../repository.js';

export const backupListCommand = {
  async handler(ctx: CommandContext, args: { all?: boolean }): Promise<void> {
    await withStorage(ctx, async (storage, config) => {
      const { complete, incomplete } = await listBackups(storage);
      const verifications = new Map<string, VerificationRecord | undefined>();
      const unreadable = new Set<string>();
      for (const b of complete) {
        // A damaged record must not hide the list of backups: it shows as unreadable, with a warning.
        try {
          verifications.set(b.name, await newestVerification(storage, b.name));
        } catch (err) {
          if (!(err instanceof IntegrityError)) throw err;
          unreadable.add(b.name);
          ctx.log.warn({ backup: b.name }, err.message);
        }
      }
      const verified = (name: string): string => {
        const v = verifications.get(name);
        if (unreadable.has(name)) return 'unreadable';
        return !v ? 'never' : v.result === 'verified' ? `${v.finishedAt.replace('T', ' ').slice(0, 16)} (${v.level})` : `FAILED ${v.finishedAt.slice(0, 10)}`;
      };
      if (ctx.json) {
        const backups = complete.map((b) => {
          const v = verifications.get(b.name);
          const verification = unreadable.has(b.name) ? { result: 'unreadable' } : v ? { result: v.result, level: v.level, finishedAt: v.finishedAt, failedCheck: v.failedCheck, message: v.message } : null;
          return { ...b, complete: true, verification };
        });
        return printJson({ repository: config.url, backups: args.all ? [...backups, ...incomplete.map((i) => ({ ...i, complete: false }))] : backups });
      }
      const rows = complete.map((b) => [b.name, b.finishedAt.replace('T', ' ').slice(0, 19), formatBytes(b.rawSize), formatBytes(b.storedSize), b.walStart, b.walStop, b.pgVersion.split(' ')[0]!, b.systemIdentifier, verified(b.name), 'complete']);
      if (args.all) for (const i of incomplete) rows.push([i.name, '', '', formatBytes(i.bytes), '', '', '', '', '', 'INCOMPLETE']);
      printTable(['Name', 'Finished', 'Size', 'Stored', 'WAL start', 'WAL stop', 'Version', 'System identifier', 'Verified', 'State'], rows);
    }, 'read');
  },
};
