// The repository is a URL: s3://bucket/prefix or file:///path. wal-e's WALE_FILE_PREFIX form
// file://localhost/path is accepted too.
import { ConfigError } from '../errors/errors.js';
import type { Sourced } from './settings.js';
import { withoutUrlCredentials } from './url-credentials.js';

export type RepoLocation = { kind: 's3'; bucket: string; prefix: string } | { kind: 'fs'; path: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseRepoUrl(setting: Sourced<string>): RepoLocation {
  const text = setting.value.trim();
  const bad = (why: string): ConfigError =>
    new ConfigError(`repository ${JSON.stringify(withoutUrlCredentials(text))} (${setting.source}) ${why}`, {
      hint: 'write the repository as s3://bucket/prefix or file:///absolute/path',
    });
  const s3 = /^s3:\/\/([^/]+)(\/.*)?$/.exec(text);
  if (s3?.[1]!.includes('@')) {
    throw new ConfigError(`repository (${setting.source}) must not contain credentials`, {
      hint: 'write it as s3://bucket/prefix and give keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    });
  }
  if (s3) {
    const bucket = s3[1]!;
    if (!BUCKET.test(bucket)) throw bad(`has an invalid bucket name ${JSON.stringify(bucket)}`);
    const prefix = (s3[2] ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix.split('/').some((part) => part === '.' || part === '..')) throw bad('has . or .. in its prefix');
    return { kind: 's3', bucket, prefix };
  }
  const file = /^file:\/\/(localhost)?(\/.*)$/.exec(text);
  if (file) {
    const path = decodeURIComponent(file[2]!).replace(/\/+$/, '') || '/';
    if (path.split('/').some((part) => part === '..')) throw bad('has .. in its path');
    return { kind: 'fs', path };
  }
  if (text.startsWith('/')) throw bad('is a bare path, not a URL (write file:// before it)');
  throw bad('is neither an s3:// nor a file:// URL');
}

/** The repository as text for messages and logs (never holds credentials). */
export function describeRepo(location: RepoLocation): string {
  return location.kind === 's3'
    ? `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`
    : `file://${location.path}`;
}
