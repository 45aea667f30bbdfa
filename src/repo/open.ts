// Opens the storage behind a repository. The S3 implementation (and with it the AWS SDK, ~100 ms to
// load) is imported only when the repository is on S3.
import type { RepositoryConfig } from '../config/repository.js';
import type { Storage } from '../storage/storage.js';

export async function openStorage(config: RepositoryConfig): Promise<Storage> {
  if (config.s3) {
    const { S3Storage } = await import('../storage/s3.js');
    return new S3Storage(config.s3);
  }
  const { FsStorage } = await import('../storage/fs.js');
  if (config.location.kind !== 'fs') throw new TypeError('repository without storage options');
  return new FsStorage(config.location.path);
}
