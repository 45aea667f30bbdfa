// Opens the storage behind a repository. The S3 implementation (and with it the AWS SDK, ~100 ms to
// load) is imported only when the repository is on S3.
import { stat } from 'node:fs/promises';
import type { RepositoryConfig } from '../config/repository.js';
import { StorageError } from '../errors/errors.js';
import type { Storage } from '../storage/storage.js';

/**
 * What a command does with the repository. A command that writes creates a new filesystem repository
 * on first use; one that only reads must not take a missing folder for an empty repository: a typo in
 * the URL would make backup-list print nothing and exit 0, and a monitoring check stay green.
 */
export type RepositoryUse = 'read' | 'write';

async function requireFolder(path: string, url: string): Promise<void> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) {
    if (info.code === 'ENOENT' || info.code === 'ENOTDIR') {
      throw new StorageError(`the repository ${url} does not exist`, {
        hint: 'check the repository URL (--repo, PGWARD_REPO); a new repository is created by its first write, e.g. pgward check PGDATA',
      });
    }
    throw new StorageError(`cannot open the repository ${url}: ${info.code ?? info.message}`, {
      hint: `run pgward as a user who may read ${path}`,
      cause: info,
    });
  }
  if (!info.isDirectory()) {
    throw new StorageError(`the repository ${url} is not a folder`, { hint: 'a file:// repository URL names a folder' });
  }
}

export async function openStorage(config: RepositoryConfig, use: RepositoryUse = 'write'): Promise<Storage> {
  if (config.s3) {
    const { S3Storage } = await import('../storage/s3.js');
    return new S3Storage(config.s3);
  }
  const { FsStorage } = await import('../storage/fs.js');
  if (config.location.kind !== 'fs') throw new TypeError('repository without storage options');
  if (use === 'read') await requireFolder(config.location.path, config.url);
  return new FsStorage(config.location.path);
}
