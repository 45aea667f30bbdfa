// pgward wal-push PATH: archive_command = 'pgward wal-push %p'. Quiet on success: PostgreSQL's
// server log receives our stderr, once per segment.
import { parseWriteMethod } from '../../codec/compression.js';
import { readClusterFiles } from '../../cluster/identity.js';
import { StorageError } from '../../errors/errors.js';
import { pushWalFile } from '../../wal/wal-push.js';
import type { CommandContext } from '../context.js';
import { dataDirectoryOf, withStorage } from '../repository.js';

function deadline<T>(work: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StorageError(`${what} did not finish within ${seconds} s`, { hint: 'the repository is slow or unreachable; PostgreSQL will retry (PGWARD_WAL_PUSH_TIMEOUT sets the limit)' })),
      seconds * 1000,
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

export const walPushCommand = {
  async handler(ctx: CommandContext, args: { path?: string }): Promise<void> {
    const path = String(args.path);
    const cluster = await readClusterFiles(dataDirectoryOf(ctx));
    const compressionSetting = ctx.settings.get('compression');
    const compression = compressionSetting ? parseWriteMethod(compressionSetting.value, compressionSetting.source) : 'lz4';
    const seconds = ctx.settings.int('walPushTimeout', { min: 1, max: 3600 })?.value ?? 30;
    const log = ctx.log.child({ cluster: cluster.name, systemId: cluster.systemIdentifier });
    const outcome = await withStorage(ctx, (storage) =>
      deadline(pushWalFile({ storage, cluster, compression, log }, path), seconds, `wal-push of ${path}`),
    );
    if (outcome.status === 'archived') {
      log.info({ segment: path, key: outcome.key, size: outcome.size, storedSize: outcome.storedSize }, 'archived');
    }
  },
};
