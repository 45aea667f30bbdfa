// Uploads a stream to S3 with every request body checked by the store: each part is buffered (the
// memory bound is partSize x (queueSize + 1)), its MD5 computed in-process and sent as Content-MD5,
// so a byte changed on the way is refused by any store that verifies it, and the ETag the store
// answers (the MD5 of what it stored, for objects not encrypted with KMS or a customer key) is
// compared as well, for stores that do not. lib-storage's Upload offers neither without the
// aws-chunked trailer some stores reject or store verbatim. A stream shorter than one part is one
// PutObject.
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface UploadTarget {
  client: S3Client;
  bucket: string;
  key: string;
  metadata?: Record<string, string>;
  partSizeBytes: number;
  queueSize: number;
  /** called with the upload id as soon as it exists, so a failure can abort it */
  onUploadId?: (uploadId: string) => void;
}

/** A store's answer that does not match what was sent: the stored bytes differ from ours. */
export class StoredDigestMismatch extends Error {
  override readonly name = 'BadDigest';
}

export function md5(data: Buffer): { hex: string; base64: string } {
  const digest = createHash('md5').update(data).digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64') };
}

/**
 * Whether the store's ETag, where it is an MD5 at all, names other bytes than these. KMS and
 * customer-key encrypted objects have ETags that are not MD5s of the content.
 */
export function etagContradicts(etag: string | undefined, expectedHex: string, answer: { ServerSideEncryption?: string; SSECustomerAlgorithm?: string }): boolean {
  if (!etag || answer.SSECustomerAlgorithm || (answer.ServerSideEncryption ?? '').startsWith('aws:kms')) return false;
  const value = etag.replace(/"/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(value) && value !== expectedHex;
}

/** The store's words for a body that does not match its checksums (Content-MD5, the signed sha256). */
const DAMAGED_IN_TRANSIT = ['BadDigest', 'InvalidDigest', 'XAmzContentSHA256Mismatch'];

/**
 * Sends a body whose MD5 is known, and checks the store's answer against it. A body refused for its
 * digest (or stored with another one) is sent again once: the buffer is still here, nothing was
 * acknowledged, and one damaged transfer should not fail a whole backup.
 */
async function sendChecked(what: string, body: Buffer, send: (contentMd5: string) => Promise<ChecksummedAnswer>): Promise<string> {
  const digest = md5(body);
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await send(digest.base64);
      if (etagContradicts(out.ETag, digest.hex, out)) {
        throw new StoredDigestMismatch(`the store answered ETag ${out.ETag} for ${what} (${body.length} bytes) whose MD5 is ${digest.hex}: it stored other bytes than were sent`);
      }
      return out.ETag ?? `"${digest.hex}"`;
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (attempt >= 2 || !DAMAGED_IN_TRANSIT.includes(name ?? '')) throw err;
    }
  }
}

interface ChecksummedAnswer {
  ETag?: string;
  ServerSideEncryption?: string;
  SSECustomerAlgorithm?: string;
}

/** One PutObject of a buffer, with Content-MD5 and the answer's ETag checked. */
export async function putChecked(client: S3Client, params: { Bucket: string; Key: string; Metadata?: Record<string, string>; IfNoneMatch?: string; IfMatch?: string }, body: Buffer): Promise<void> {
  await sendChecked(params.Key, body, (contentMd5) => client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.length, ContentMD5: contentMd5 })));
}

function uploadPart(target: UploadTarget, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
  return sendChecked(`part ${partNumber} of ${target.key}`, body, (contentMd5) =>
    target.client.send(new UploadPartCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length, ContentMD5: contentMd5 })),
  );
}

/** Reads the stream into parts of partSize and uploads up to queueSize of them at once. */
export async function uploadStream(target: UploadTarget, body: Readable): Promise<void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let uploadId: string | undefined;
  const parts: Array<{ PartNumber: number; ETag: string }> = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  const start = async (data: Buffer): Promise<void> => {
    if (!uploadId) {
      const created = await target.client.send(new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, Metadata: target.metadata }));
      if (!created.UploadId) throw new Error('the store answered CreateMultipartUpload without an UploadId');
      uploadId = created.UploadId;
      target.onUploadId?.(uploadId);
    }
    const partNumber = parts.length + 1;
    const slot = { PartNumber: partNumber, ETag: '' };
    parts.push(slot);
    const running: Promise<void> = uploadPart(target, uploadId, partNumber, data).then(
      (etag) => {
        slot.ETag = etag;
        inFlight.delete(running);
      },
      (err: unknown) => {
        failure ??= err;
        inFlight.delete(running);
      },
    );
    inFlight.add(running);
    if (inFlight.size >= target.queueSize) await Promise.race(inFlight);
  };

  const takePart = (): Buffer => {
    const all = Buffer.concat(pending);
    const part = all.subarray(0, target.partSizeBytes);
    const rest = all.subarray(target.partSizeBytes);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    return part;
  };

  for await (const chunk of body) {
    // After a failure the rest is read and dropped, as lib-storage did: the writer feeding the stream
    // (the tar partitions) learns of the failure from the rejected upload when it closes the stream,
    // and a stream torn down under it mid-entry left it waiting.
    if (failure !== undefined) continue;
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    pending.push(data);
    pendingBytes += data.length;
    while (pendingBytes >= target.partSizeBytes && failure === undefined) {
      // The first part waits until a second begins, so a stream of at most one part stays one PUT.
      if (!uploadId && pendingBytes === target.partSizeBytes) break;
      await start(takePart()).catch((err: unknown) => (failure ??= err));
    }
    if (failure !== undefined) {
      pending = [];
      pendingBytes = 0;
    }
  }
  if (failure === undefined && !uploadId) {
    await putChecked(target.client, { Bucket: target.bucket, Key: target.key, Metadata: target.metadata }, Buffer.concat(pending));
    return;
  }
  if (failure === undefined && pendingBytes > 0) await start(takePart());
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  await target.client.send(
    new CompleteMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
  );
}
