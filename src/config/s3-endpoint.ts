// S3 endpoint settings. wal-e writes WALE_S3_ENDPOINT as protocol+calling_format://host:port, e.g.
// https+path://minio.local:9000 (path-style) or https+virtualhost://s3.example.com; plain URLs work too.
import { ConfigError } from '../errors/errors.js';
import type { Sourced } from './settings.js';
import { withoutUrlCredentials } from './url-credentials.js';

export interface S3Endpoint {
  url: string;
  /** set when the wal-e form says which addressing style to use */
  forcePathStyle?: boolean;
}

export function parseS3Endpoint(setting: Sourced<string>): S3Endpoint {
  const text = setting.value.trim();
  const wale = /^(https?)\+(path|virtualhost\w*):\/\/(.+)$/.exec(text);
  const candidate = wale ? `${wale[1]}://${wale[3]}` : text;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    url = new URL('invalid:');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new ConfigError(`S3 endpoint ${JSON.stringify(withoutUrlCredentials(text))} (${setting.source}) is not an http(s) URL`, {
      hint: 'write it as https://host:port, or in wal-e form https+path://host:port',
    });
  }
  if (url.username || url.password) {
    throw new ConfigError(`S3 endpoint (${setting.source}) must not contain credentials`, {
      hint: 'give keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead',
    });
  }
  const endpoint: S3Endpoint = { url: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}` };
  if (wale) endpoint.forcePathStyle = wale[2] === 'path';
  return endpoint;
}
