// S3 storage over any S3-compatible endpoint. Streams go through lib-storage's multipart Upload with an
// explicit part size (its 5 MiB default caps a stream near 49 GiB) and a bounded queue, so memory is
// partSize x queueSize whatever the object size. Request checksums are configurable because custom
// endpoints mishandle the SDK's aws-chunked trailers (see README, "S3-compatible stores").
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListMultipartUploadsCommandOutput,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { StorageError } from '../errors/errors.js';
import { isNotFound, isNotImplemented, isPreconditionFailed, s3StorageError } from './s3-errors.js';
import { validateKey, validateMetadata, type CreateResult, type IncompleteWrite, type ObjectInfo, type PutOptions, type Storage } from './storage.js';

export interface S3StorageOptions {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  checksum: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  maxAttempts: number;
  partSizeBytes: number;
  uploadQueueSize: number;
  listPageSize?: number;
}

export class S3Storage implements Storage {
  readonly location: string;
  private readonly client: S3Client;
  private readonly endpointText: string;

  constructor(private readonly options: S3StorageOptions) {
    this.location = `s3://${options.bucket}${options.prefix ? `/${options.prefix}` : ''}`;
    this.endpointText = options.endpoint ?? `AWS S3 (${options.region})`;
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      requestChecksumCalculation: options.checksum,
      responseChecksumValidation: options.checksum,
      maxAttempts: options.maxAttempts,
      retryMode: 'standard',
      // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes and keeps
      // waiting: a hung endpoint would hang archive_command, and PostgreSQL's shutdown with it.
      requestHandler: {
        requestTimeout: options.requestTimeoutMs,
        connectionTimeout: options.connectTimeoutMs,
        throwOnRequestTimeout: true,
      },
    });
  }

  private objectKey(key: string): string {
    validateKey(key);
    return this.options.prefix ? `${this.options.prefix}/${key}` : key;
  }

  private fail(action: string, key: string, err: unknown): StorageError {
    return s3StorageError(action, `${this.location}/${key}`, err, this.endpointText);
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<void> {
    validateMetadata(options.metadata);
    const params = { Bucket: this.options.bucket, Key: this.objectKey(key), Metadata: options.metadata };
    try {
      if (Buffer.isBuffer(body)) {
        await this.client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.length }));
        return;
      }
      const upload = new Upload({
        client: this.client,
        params: { ...params, Body: body },
        partSize: this.options.partSizeBytes,
        queueSize: this.options.uploadQueueSize,
        // lib-storage's own abort replaces the upload's error with the abort's when the abort fails
        // too; abortUpload below aborts itself and keeps the original error.
        leavePartsOnError: true,
      });
      try {
        await upload.done();
      } catch (err) {
        throw await this.abortUpload(key, upload.uploadId, this.fail('put', key, err));
      }
    } catch (err) {
      throw err instanceof StorageError ? err : this.fail('put', key, err);
    }
  }

  /**
   * A failed multipart upload's parts stay stored, and billed, until the upload is aborted. The
   * upload's own error is what the caller needs to see; an abort that fails too is added to its hint
   * so the leftover is not forgotten.
   */
  private async abortUpload(key: string, uploadId: string | undefined, failure: StorageError): Promise<StorageError> {
    if (!uploadId) return failure;
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), UploadId: uploadId }));
      return failure;
    } catch (abortErr) {
      const why = (abortErr as { name?: string }).name ?? String(abortErr);
      const leftover = `the incomplete multipart upload ${uploadId} of ${this.location}/${key} could not be aborted (${why}) and still holds its parts: the daemon and delete --confirm abort uploads older than a day on stores that list them; otherwise set an AbortIncompleteMultipartUpload lifecycle rule on the bucket`;
      return new StorageError(failure.message, { hint: `${failure.hint ?? 'retry'}; ${leftover}`, cause: failure.cause });
    }
  }

  async putIfAbsent(key: string, body: Buffer, options: PutOptions = {}): Promise<CreateResult> {
    validateMetadata(options.metadata);
    // The head narrows the window on stores that ignore If-None-Match; the condition closes it on
    // those that honour it (AWS, recent MinIO, R2).
    if (await this.head(key)) return 'exists';
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: this.objectKey(key),
          Body: body,
          ContentLength: body.length,
          Metadata: options.metadata,
          IfNoneMatch: '*',
        }),
      );
      return 'created';
    } catch (err) {
      if (isPreconditionFailed(err)) return 'exists';
      throw this.fail('create', key, err);
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      return out.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.fail('get', key, err);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified, metadata: out.Metadata ?? {} };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.fail('head', key, err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const root = this.options.prefix ? `${this.options.prefix}/` : '';
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: root + prefix,
            ContinuationToken: token,
            MaxKeys: this.options.listPageSize,
          }),
        );
      } catch (err) {
        throw this.fail('list', prefix, err);
      }
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        yield { key: item.Key.slice(root.length), size: item.Size ?? 0, lastModified: item.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      try {
        const out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.options.bucket,
            Delete: { Objects: batch.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
          }),
        );
        const failed = out.Errors?.[0];
        if (failed) throw Object.assign(new Error(failed.Message ?? 'delete failed'), { name: failed.Code ?? 'DeleteFailed' });
      } catch (err) {
        throw this.fail('delete', batch[0] ?? '', err);
      }
    }
  }

  /** Incomplete multipart uploads under the prefix; undefined where the store has no such listing. */
  async listIncomplete(): Promise<IncompleteWrite[] | undefined> {
    const root = this.options.prefix ? `${this.options.prefix}/` : '';
    const found: IncompleteWrite[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page: ListMultipartUploadsCommandOutput;
      try {
        page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.options.bucket, Prefix: root, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      } catch (err) {
        if (isNotImplemented(err)) return undefined;
        throw this.fail('list incomplete uploads', '', err);
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId) continue;
        found.push({ key: upload.Key.slice(root.length), since: upload.Initiated ?? new Date(0), id: upload.UploadId });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return found.sort((a, b) => a.since.getTime() - b.since.getTime());
  }

  async removeIncomplete(writes: readonly IncompleteWrite[]): Promise<void> {
    for (const write of writes) {
      try {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: this.objectKey(write.key), UploadId: write.id }));
      } catch (err) {
        if (isNotFound(err)) continue;
        throw this.fail('abort the incomplete upload of', write.key, err);
      }
    }
  }

  close(): void {
    this.client.destroy();
  }
}
