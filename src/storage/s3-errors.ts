// Turns AWS SDK failures into StorageError with a hint a DBA can act on. The SDK has already retried
// (with backoff) whatever it considers transient by the time an error arrives here.
import { StorageError } from '../errors/errors.js';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function hintFor(name: string, status: number | undefined, endpoint: string): string {
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'CredentialsProviderError'].includes(name)) {
    return 'check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) for this repository';
  }
  if (name === 'AccessDenied' || status === 403) return 'the credentials lack permission on this bucket and prefix';
  if (name === 'NoSuchBucket') return 'create the bucket first, or fix the bucket name in the repository URL';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH'].includes(name)) {
    return `is the S3 endpoint ${endpoint} reachable? check PGWARD_S3_ENDPOINT and the network`;
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'ETIMEDOUT') {
    return `the S3 endpoint ${endpoint} did not answer in time; PGWARD_STORAGE_TIMEOUT sets the limit`;
  }
  if (name === 'BadDigest' || name === 'InvalidDigest' || name === 'XAmzContentSHA256Mismatch') {
    return `the bytes ${endpoint} received or stored differ from what pgward sent (damaged in transit or by the store); nothing was acknowledged, retry`;
  }
  if (name === 'TruncatedBody' || name === 'MalformedAnswer') return `the answer from ${endpoint} was cut short or garbled in transit; retry, and check the network or proxy in between`;
  if (status !== undefined && status >= 500) return `the S3 service at ${endpoint} is failing; retry later`;
  return `check the repository settings for ${endpoint}`;
}

const ERRNO = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT|EPIPE)\b/;

// Network failures arrive as Node errors with an errno code, or (when the SDK could not recognise the
// error object, e.g. across VM realms) wrapped as "AWS SDK error wrapper for Error: connect ...".
function errorName(e: SdkError): string {
  if (e.code && /^E[A-Z_]+$/.test(e.code)) return e.code;
  const errno = ERRNO.exec(e.message ?? '');
  if (errno && (e.name === 'Error' || e.name === undefined)) return errno[1]!;
  return e.name ?? 'Error';
}

export function s3StorageError(action: string, target: string, err: unknown, endpoint: string): StorageError {
  const e = err as SdkError;
  const name = errorName(e);
  const status = e.$metadata?.httpStatusCode;
  const detail = e.message && e.message !== name ? `${name}: ${e.message}` : name;
  return new StorageError(`S3 ${action} ${target} failed: ${detail}${status ? ` (HTTP ${status})` : ''}`, {
    hint: hintFor(name, status, endpoint),
    cause: err,
  });
}

export function isNotFound(err: unknown): boolean {
  const e = err as SdkError;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

export function isPreconditionFailed(err: unknown): boolean {
  const e = err as SdkError;
  return e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412;
}

/** The store does not offer the operation (s3rver and some gateways lack multipart listings). */
export function isNotImplemented(err: unknown): boolean {
  const e = err as SdkError;
  return e.name === 'NotImplemented' || e.name === 'MethodNotAllowed' || e.$metadata?.httpStatusCode === 501 || e.$metadata?.httpStatusCode === 405;
}

/**
 * An answer the SDK could not parse (cut short or garbled on the way): its deserializer marks these
 * with a note in the message. The server did not refuse anything, so asking again is safe.
 */
export function isMalformedAnswer(err: unknown): boolean {
  const e = err as SdkError;
  const status = e.$metadata?.httpStatusCode;
  return /Deserialization error/i.test(e.message ?? '') && (status === undefined || status < 300);
}
