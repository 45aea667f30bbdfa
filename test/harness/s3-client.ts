// The S3 client tests use to look into a real S3 server behind pgward's back (s3rver or the run's
// RGW): path-style, checksums only where the API requires them, as pgward's own client is set up.
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

export interface S3Credentials {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function testS3Client({ endpoint, accessKeyId, secretAccessKey }: S3Credentials): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function createTestBucket(server: S3Credentials, name: string): Promise<void> {
  const client = testS3Client(server);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
}

/** Every key under `prefix`, sorted, read page by page through the server's own listing. */
export async function listKeys(server: { client(): S3Client }, bucket: string, prefix: string): Promise<string[]> {
  const client = server.client();
  const out: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      out.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    client.destroy();
  }
  return out.sort();
}
