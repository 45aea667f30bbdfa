// Builds the storage options for the configured repository, validating every setting involved and
// naming the one at fault. Defaults for S3-compatible endpoints differ from AWS's: path-style
// addressing and WHEN_REQUIRED checksums (stores like s3rver, older MinIO, Ceph and R2 mishandle
// the SDK's default aws-chunked checksum trailers; s3rver stores them verbatim, corrupting the object).
import { ConfigError } from '../errors/errors.js';
import { describeRepo, parseRepoUrl, type RepoLocation } from './repo-url.js';
import { parseS3Endpoint } from './s3-endpoint.js';
import type { Settings } from './settings.js';
import type { S3StorageOptions } from '../storage/s3.js';

export interface RepositoryConfig {
  location: RepoLocation;
  url: string;
  s3?: S3StorageOptions;
}

const MIB = 1024 * 1024;

function s3Options(settings: Settings, bucket: string, prefix: string): S3StorageOptions {
  const endpointSetting = settings.get('s3Endpoint');
  const endpoint = endpointSetting ? parseS3Endpoint(endpointSetting) : undefined;
  const checksumSetting = settings.get('s3Checksum');
  let checksum: S3StorageOptions['checksum'] = endpoint ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  if (checksumSetting) {
    const value = checksumSetting.value.trim().toUpperCase();
    if (value !== 'WHEN_REQUIRED' && value !== 'WHEN_SUPPORTED') {
      throw new ConfigError(`S3 checksum mode ${JSON.stringify(checksumSetting.value)} (${checksumSetting.source}) is not valid`, {
        hint: 'use when_required (S3-compatible stores) or when_supported (AWS S3)',
      });
    }
    checksum = value;
  }
  const accessKeyId = settings.get('awsAccessKeyId');
  const secretAccessKey = settings.secret('awsSecretAccessKey');
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new ConfigError(
      `${accessKeyId ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is set but ${accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} is not`,
      { hint: `set both keys, or neither to use the AWS default credential chain (${settings.searched.join(', ')} were searched)` },
    );
  }
  const sessionToken = settings.secret('awsSessionToken');
  const timeoutSeconds = settings.int('storageTimeout', { min: 1, max: 3600 })?.value ?? 30;
  const retries = settings.int('storageRetries', { min: 0, max: 20 })?.value ?? 4;
  const partSizeMb = settings.int('s3PartSize', { min: 5, max: 5120 })?.value ?? 16;
  return {
    bucket,
    prefix,
    region: settings.get('s3Region')?.value ?? 'us-east-1',
    ...(endpoint ? { endpoint: endpoint.url } : {}),
    forcePathStyle: settings.bool('s3ForcePathStyle')?.value ?? endpoint?.forcePathStyle ?? Boolean(endpoint),
    checksum,
    ...(accessKeyId && secretAccessKey
      ? {
          credentials: {
            accessKeyId: accessKeyId.value,
            secretAccessKey: secretAccessKey.reveal(),
            ...(sessionToken ? { sessionToken: sessionToken.reveal() } : {}),
          },
        }
      : {}),
    requestTimeoutMs: timeoutSeconds * 1000,
    connectTimeoutMs: Math.min(timeoutSeconds, 10) * 1000,
    maxAttempts: retries + 1,
    partSizeBytes: partSizeMb * MIB,
    uploadQueueSize: 4,
  };
}

export function repositoryConfig(settings: Settings): RepositoryConfig {
  const repo = settings.get('repo');
  if (!repo) {
    throw new ConfigError(`no repository configured (${settings.describeSearch('repo')})`, {
      hint: 'set PGWARD_REPO=s3://bucket/prefix or file:///path, or pass --repo',
    });
  }
  const location = parseRepoUrl(repo);
  const config: RepositoryConfig = { location, url: describeRepo(location) };
  if (location.kind === 's3') config.s3 = s3Options(settings, location.bucket, location.prefix);
  return config;
}
