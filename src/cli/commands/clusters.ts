// pgward clusters: every cluster on this host (pg_lsclusters plus identity).
import { discoverClusters } from '../../cluster/discover.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable } from '../output.js';

export const clustersCommand = {
  async handler(ctx: CommandContext): Promise<void> {
    const clusters = await discoverClusters();
    if (ctx.json) return printJson(clusters);
    printTable(
      ['Ver', 'Cluster', 'Port', 'Status', 'System identifier', 'Data directory'],
      clusters.map((c) => [
        c.pgMajor ?? '?',
        c.name,
        c.port === undefined ? '' : String(c.port),
        c.problem ? `${c.status}: ${c.problem}` : c.status,
        c.systemIdentifier ?? '',
        c.dataDirectory,
      ]),
    );
  },
};
