// pgward repo-info: the repository's identity stamp (which cluster it belongs to).
import { repositoryConfig } from '../../config/repository.js';
import { STAMP_KEY } from '../../repo/layout.js';
import { openStorage } from '../../repo/open.js';
import { readStamp } from '../../repo/stamp.js';
import type { CommandContext } from '../context.js';
import { printFields, printJson } from '../output.js';

export const repoInfoCommand = {
  async handler(ctx: CommandContext): Promise<void> {
    const config = repositoryConfig(ctx.settings);
    const storage = await openStorage(config);
    try {
      const stamp = await readStamp(storage);
      if (ctx.json) return printJson({ repository: config.url, stamp: stamp ?? null });
      if (!stamp) {
        printFields([
          ['repository', config.url],
          ['stamp', `none yet (${STAMP_KEY} is written by the first write from a cluster, e.g. pgward check)`],
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
      ]);
    } finally {
      storage.close();
    }
  },
};
