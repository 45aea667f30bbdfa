// pgward backup-list [--all] [--json]: complete backups (with a sentinel), oldest first; --all adds
// incomplete ones, marked as such.
import { listBackups } from '../../backup/catalog.js';
import { formatBytes } from '../../log/progress.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { withStorage } from '../repository.js';

export const backupListCommand = {
  async handler(ctx: CommandContext, args: { all?: boolean }): Promise<void> {
    await withStorage(ctx, async (storage, config) => {
      const { complete, incomplete } = await listBackups(storage);
      if (ctx.json) {
        const backups = complete.map((b) => ({ ...b, complete: true }));
        return printJson({ repository: config.url, backups: args.all ? [...backups, ...incomplete.map((i) => ({ ...i, complete: false }))] : backups });
      }
      const rows = complete.map((b) => [b.name, b.finishedAt.replace('T', ' ').slice(0, 19), formatBytes(b.rawSize), formatBytes(b.storedSize), b.walStart, b.walStop, b.pgVersion.split(' ')[0]!, b.systemIdentifier, 'complete']);
      if (args.all) for (const i of incomplete) rows.push([i.name, '', '', formatBytes(i.bytes), '', '', '', '', 'INCOMPLETE']);
      printTable(['Name', 'Finished', 'Size', 'Stored', 'WAL start', 'WAL stop', 'Version', 'System identifier', 'State'], rows);
    }, 'read');
  },
};
