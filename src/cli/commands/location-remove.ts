// pgward location-remove DATA_DIRECTORY [--location-host HOST]: retire a location, e.g. the old
// primary after a disaster-recovery restore replaced it, so that it is refused if it comes back.
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../errors/errors.js';
import { currentHost, describeLocation, removeLocation } from '../../repo/locations.js';
import type { CommandContext } from '../context.js';
import { printJson } from '../output.js';
import { withStorage } from '../repository.js';

export const locationRemoveCommand = {
  async handler(ctx: CommandContext, args: { directory?: string; 'location-host'?: string }): Promise<void> {
    const host = args['location-host'] ?? currentHost();
    // On this host the directory is named as it was registered (realpath); elsewhere it is taken as given.
    const given = resolve(String(args.directory));
    const dataDirectory = host === currentHost() ? await realpath(given).catch(() => given) : given;
    const { removed } = await withStorage(ctx, (storage) => removeLocation(storage, host, dataDirectory));
    const where = describeLocation({ host, dataDirectory });
    if (!removed) {
      throw new UsageError(`${where} is not a registered location`, { hint: 'pgward location-list shows the registered locations, with their host and data directory' });
    }
    ctx.log.info({ host, dataDirectory }, `removed ${where}: it can no longer write into the repository`);
    if (ctx.json) return printJson({ host, dataDirectory, removed });
    process.stdout.write(`removed ${where}\n`);
  },
};
