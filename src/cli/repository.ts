// Opening the configured repository for a command, and closing it whatever happens.
import { repositoryConfig, type RepositoryConfig } from '../config/repository.js';
import { openStorage, type RepositoryUse } from '../repo/open.js';
import type { Storage } from '../storage/storage.js';
import type { CommandContext } from './context.js';

/** `use` 'read': a filesystem repository that does not exist is an error, not an empty repository. */
export async function withStorage<T>(ctx: CommandContext, use: (storage: Storage, config: RepositoryConfig) => Promise<T>, purpose: RepositoryUse = 'write'): Promise<T> {
  const config = repositoryConfig(ctx.settings);
  const storage = await openStorage(config, purpose);
  try {
    return await use(storage, config);
  } finally {
    storage.close();
  }
}

/** The data directory for commands PostgreSQL runs: --pgdata/PGDATA, else the working directory. */
export function dataDirectoryOf(ctx: CommandContext): string {
  return ctx.settings.get('pgData')?.value ?? process.cwd();
}
