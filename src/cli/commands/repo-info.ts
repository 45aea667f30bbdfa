// pgward repo-info: the repository's identity stamp (which cluster it belongs to) and the leftovers of
// writes that never finished.
import { repositoryConfig } from '../../config/repository.js';
import { STAMP_KEY } from '../../repo/layout.js';
import { summarizeIncompleteWrites, type IncompleteWritesSummary } from '../../repo/incomplete-writes.js';
import { openStorage } from '../../repo/open.js';
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
      if (ctx.json) return printJson({ repository: config.url, stamp: stamp ?? null, incompleteWrites: incomplete ?? null });
      if (!stamp) {
        printFields([
          ['repository', config.url],
          ['stamp', `none yet (${STAMP_KEY} is written by the first write from a cluster, e.g. pgward check)`],
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
        ['incomplete writes', describeIncomplete(incomplete)],
      ]);
    } finally {
      storage.close();
    }
  },
};
