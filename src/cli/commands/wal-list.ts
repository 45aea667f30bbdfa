// pgward wal-list: the archived WAL per timeline: first and last segment, count, gaps.
import { buildCatalog } from '../../wal/wal-catalog.js';
import { listArchivedWal } from '../../wal/wal-listing.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { withStorage } from '../repository.js';

export const walListCommand = {
  async handler(ctx: CommandContext): Promise<void> {
    await withStorage(ctx, async (storage, config) => {
      const listing = await listArchivedWal(storage);
      const catalog = buildCatalog(listing.fileNames, listing.segmentSize);
      if (ctx.json) return printJson({ repository: config.url, segmentSizeKnown: listing.segmentSizeKnown, ...catalog });
      printTable(
        ['Timeline', 'First segment', 'Last segment', 'Segments', 'Gaps', 'History', 'Partial'],
        catalog.timelines.map((t) => [
          String(t.timeline),
          t.first ?? '',
          t.last ?? '',
          String(t.segments),
          t.gaps.length ? t.gaps.map((g) => (g.count === 1 ? g.from : `${g.from}..${g.to}`)).join(', ') : 'none',
          t.timeline === 1 ? '-' : t.hasHistory ? 'yes' : 'MISSING',
          t.partial.join(', '),
        ]),
      );
    }, 'read');
  },
};
