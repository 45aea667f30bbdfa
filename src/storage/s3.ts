// S3 storage over any S3-compatible endpoint. Every upload carries a Content-MD5 computed in-process
// (s3-upload.ts: streams in parts of an explicit size with a bounded queue, so memory stays bounded
// whatever the object size), every response body is under a low-speed limit (s3-body-guard.ts), and
// every failure, a stream that breaks mid-body included, is a StorageError. The SDK's own request
// checksums are configurable because custom endpoints mishandle its aws-chunked trailers (see README,
// "S3-compatible stores").
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListMultipartUploadsCommandOutput,
  S3Client,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { StorageError } from '../errors/errors.js';
import { installBodyGuard } from './s3-body-guard.js';
import { isMalformedAnswer, isNotFound, isNotImplemented, isPreconditionFailed, s3StorageError } from './s3-errors.js';
import { putChecked, uploadStream } from './s3-upload.js';
import { validateKey, validateMetadata, type CreateOptions, type CreateResult, type IncompleteWrite, type ObjectInfo, type PutOptions, type ReplaceResult, type Storage } from './storage.js';

/** A body must bring this much per window (or end) to count as moving: about 1.6 KiB/s at 10 s. */
const BODY_MIN_BYTES = 16 * 1024;
const BODY_WINDOW_MAX_MS = 10_000;

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
    installBodyGuard(this.client, { windowMs: Math.min(options.requestTimeoutMs, BODY_WINDOW_MAX_MS), minBytes: BODY_MIN_BYTES });
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
    const objectKey = this.objectKey(key);
    try {
      if (Buffer.isBuffer(body)) {
        await putChecked(this.client, { Bucket: this.options.bucket, Key: objectKey, Metadata: options.metadata }, body);
        return;
      }
      let uploadId: string | undefined;
      try {
        await uploadStream(
          {
            client: this.client,
            bucket: this.options.bucket,
            key: objectKey,
            metadata: options.metadata,
            partSizeBytes: this.options.partSizeBytes,
            queueSize: this.options.uploadQueueSize,
            onUploadId: (id) => (uploadId = id),
          },
          body,
        );
      } catch (err) {
        throw await this.abortUpload(key, uploadId, err instanceof StorageError ? err : this.fail('put', key, err));
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

  async putIfAbsent(key: string, body: Buffer, options: CreateOptions = {}): Promise<CreateResult> {
    validateMetadata(options.metadata);
    // The head narrows the window on stores that ignore If-None-Match; the condition closes it on
    // those that honour it (AWS, recent MinIO, R2).
    if (!options.checkedAbsent && (await this.head(key))) return 'exists';
    try {
      await putChecked(this.client, { Bucket: this.options.bucket, Key: this.objectKey(key), Metadata: options.metadata, IfNoneMatch: '*' }, body);
      return 'created';
    } catch (err) {
      if (isPreconditionFailed(err)) return 'exists';
      throw this.fail('create', key, err);
    }
  }

  async replace(key: string, body: Buffer, etag: string, options: PutOptions = {}): Promise<ReplaceResult> {
    validateMetadata(options.metadata);
    const params = { Bucket: this.options.bucket, Key: this.objectKey(key), Metadata: options.metadata };
    // The quoted form is the standard one; Ceph RGW 16 compares If-Match with the bare tag and answers
    // 412 to the quoted one. Both forms name the same version, so a 412 to both means it changed.
    const forms = [...new Set([etag, etag.replace(/"/g, '')])];
    for (const form of forms) {
      try {
        await putChecked(this.client, { ...params, IfMatch: form }, body);
        return 'replaced';
      } catch (err) {
        if (isNotFound(err)) return 'changed';
        if (!isPreconditionFailed(err)) throw this.fail('replace', key, err);
      }
    }
    return 'changed';
  }

  async get(key: string): Promise<Readable | undefined> {
    let out;
    try {
      out = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.fail('get', key, err);
    }
    return this.checkedBody(key, out.Body as Readable, out.ContentLength);
  }

  /**
   * The object's stream as its readers see it: a break in the middle (reset, stall, a body shorter
   * than its Content-Length) is a StorageError naming the object, never a bare socket error.
   */
  private checkedBody(key: string, source: Readable, expected: number | undefined): Readable {
    let received = 0;
    const where = `${this.location}/${key}`;
    const fail = (err: unknown): StorageError => {
      if (err instanceof StorageError) return err;
      const e = err as NodeJS.ErrnoException;
      return new StorageError(`reading ${where} failed: ${e.code ?? e.name ?? 'error'}${e.message ? ` (${e.message})` : ''}`, {
        hint: 'the repository connection or storage failed mid-stream (reset, stalled or cut short), not the stored object itself; check the repository and retry',
        cause: err,
      });
    };
    const checked = new Transform({
      readableHighWaterMark: 1024 * 1024,
      transform(chunk: Buffer, _encoding, done: TransformCallback) {
        received += chunk.length;
        done(null, chunk);
      },
      flush: (done: TransformCallback) => {
        if (expected !== undefined && received !== expected) {
          done(fail(Object.assign(new Error(`the body ended after ${received} of ${expected} bytes`), { code: 'ETRUNCATED' })));
          return;
        }
        done();
      },
    });
    source.on('error', (err) => checked.destroy(fail(err)));
    checked.on('close', () => {
      if (!source.readableEnded) source.destroy();
    });
    source.pipe(checked);
    return checked;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified, metadata: out.Metadata ?? {}, ...(out.ETag ? { etag: out.ETag } : {}) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.fail('head', key, err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const root = this.options.prefix ? `${this.options.prefix}/` : '';
    let token: string | undefined;
    do {
      const input = { Bucket: this.options.bucket, Prefix: root + prefix, ContinuationToken: token, MaxKeys: this.options.listPageSize };
      const page: ListObjectsV2CommandOutput = await this.sendParsed(() => this.client.send(new ListObjectsV2Command(input)), 'list', prefix);
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

  /**
   * A request whose answer the SDK could not parse (cut short, garbled in transit) is asked again:
   * the SDK retries only what the server called transient, and one bad page must not abort a
   * backup whose data is all uploaded.
   */
  private async sendParsed<T>(send: () => Promise<T>, action: string, key: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        if (attempt < this.options.maxAttempts && isMalformedAnswer(err)) continue;
        throw this.fail(action, key, err);
      }
    }
  }

  close(): void {
    this.client.destroy();
  }
}
