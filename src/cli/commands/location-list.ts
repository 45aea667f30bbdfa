// pgward location-list [--json]: the locations allowed to write into the repository.
import { UsageError } from '../../errors/errors.js';
import { allowedLocations } from '../../repo/locations.js';
import { readStamp } from '../../repo/stamp.js';
import type { CommandContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { withStorage } from '../repository.js';

export const locationListCommand = {
  async handler(ctx: CommandContext): Promise<void> {
    await withStorage(ctx, async (storage, config) => {
      const stamp = await readStamp(storage);
      if (!stamp) throw new UsageError(`repository ${config.url} has no stamp yet, so it has no locations`, { hint: 'run pgward check on the primary: it stamps the repository and registers the primary' });
      const locations = await allowedLocations(storage, stamp);
      if (ctx.json) return printJson({ repository: config.url, systemIdentifier: stamp.systemIdentifier, locations });
      printTable(
        ['HOST', 'DATA DIRECTORY', 'ROLE', 'REGISTERED'],
        locations.map((l) => [l.host, l.dataDirectory, l.role, l.registeredAt ? `${l.registeredAt} by ${l.registeredBy}` : `stamped ${stamp.createdAt}`]),
      );
    });
  },
};
