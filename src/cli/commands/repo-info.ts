// pgward repo-info: the repository's identity stamp (which cluster it belongs to), how much it holds
// (WAL and backups), and the leftovers of writes that never finished.
import { repositoryConfig } from '../../config/repository.js';
import { STAMP_KEY } from '../../repo/layout.js';
import { summarizeIncompleteWrites, type IncompleteWritesSummary } from '../../repo/incomplete-writes.js';
import { openStorage } from '../../repo/open.js';
import { repositorySize } from '../../repo/repository-size.js';
import { readStamp } from '../../repo/stamp.js';
import type { CommandContext } from '../context.js';
import { printFields, printJson } from '../output.js';

function describeIncomplete(summary: IncompleteWritesSummary | undefined): string {
  if (!summary) return 'unknown (the store cannot list incomplete uploads)';
  if (summary.count === 0) return 'none';
  const size = summary.bytes ? `, ${summary.bytes} bytes` : '';
  return `${summary.count}${size}, ${summary.stale} older than a day (removed by the daemon's next sweep), oldest ${summary.oldest}`;
}

export const repoInfoCommand = {
  async handler(ctx: CommandContext): Promise<void> {
    const config = repositoryConfig(ctx.settings);
    const storage = await openStorage(config, 'read');
    try {
      const stamp = await readStamp(storage);
      const incomplete = await summarizeIncompleteWrites(storage);
      const size = await repositorySize(storage);
      if (ctx.json) return printJson({ repository: config.url, stamp: stamp ?? null, size, incompleteWrites: incomplete ?? null });
      const sizes: Array<[string, string]> = [
        ['WAL', `${size.wal.objects} objects, ${size.wal.bytes} bytes`],
        ['backups', `${size.backups.objects} objects, ${size.backups.bytes} bytes`],
      ];
      if (!stamp) {
        printFields([
          ['repository', config.url],
          ['stamp', `none yet (${STAMP_KEY} is written by the first write from a cluster, e.g. pgward check)`],
          ...sizes,
          ['incomplete writes', describeIncomplete(incomplete)],
        ]);
        return;
      }
      printFields([
        ['repository', config.url],
        ['cluster', stamp.clusterName],
        ['PostgreSQL', stamp.pgMajor],
        ['system identifier', stamp.systemIdentifier],
        ['data directory', stamp.dataDirectory],
        ['host', stamp.host],
        ['stamped at', stamp.createdAt],
        ['format', stamp.format],
        ['earlier identities', stamp.history.length ? stamp.history.map((h) => `${h.pgMajor}/${h.systemIdentifier}`).join(', ') : undefined],
        ...sizes,
        ['incomplete writes', describeIncomplete(incomplete)],
      ]);
    } finally {
      storage.close();
    }
  },
};
