// An S3 server the harness does not spawn per test (the run's RGW, see rgw-server.ts): tests talk to
// it like to s3rver, but its buckets are shared by the whole run, so tests name them uniquely.
import type { S3Client } from '@aws-sdk/client-s3';
import { createTestBucket, testS3Client, type S3Credentials } from './s3-client.js';
import { RGW_ACCESS_KEY as ACCESS_KEY, RGW_ENDPOINT_ENV, RGW_SECRET_KEY as SECRET_KEY } from './rgw-server.js';

/** The RGW of this run, for tests; undefined when the run did not start one. */
export function runningRgw(): ExternalS3 | undefined {
  const endpoint = process.env[RGW_ENDPOINT_ENV];
  return endpoint ? new ExternalS3(endpoint) : undefined;
}

/** An S3 server the harness did not spawn per test: buckets are shared by the run, so name them uniquely. */
export class ExternalS3 {
  constructor(readonly endpoint: string) {}

  env(bucket: string, prefix: string): Record<string, string> {
    return {
      PGWARD_REPO: `s3://${bucket}/${prefix}`,
      PGWARD_S3_ENDPOINT: this.endpoint,
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: SECRET_KEY,
      PGWARD_STORAGE_RETRIES: '1',
      PGWARD_STORAGE_TIMEOUT: '20',
    };
  }

  private get credentials(): S3Credentials {
    return { endpoint: this.endpoint, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY };
  }

  client(): S3Client {
    return testS3Client(this.credentials);
  }

  createBucket(name: string): Promise<void> {
    return createTestBucket(this.credentials, name);
  }
}
