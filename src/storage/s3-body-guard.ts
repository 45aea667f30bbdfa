// A low-speed limit on every S3 response body, the part of a request the SDK's requestTimeout does
// not cover: that timer stops when the headers arrive, so a body that stalls or trickles after them
// would hang its reader for ever (check, wal-fetch and backup-fetch did, for minutes). Like curl's
// --speed-limit/--speed-time: each window must bring minBytes or the end of the body, else the body is
// destroyed with a TimeoutError, which the SDK retries for the answers it parses itself and the
// storage turns into a StorageError for the object streams it hands out.
import type { IncomingMessage } from 'node:http';
import type { S3Client } from '@aws-sdk/client-s3';

export interface BodyGuardOptions {
  /** how long a body may go without bringing minBytes */
  windowMs: number;
  minBytes: number;
}

export class BodyStalledError extends Error {
  // The SDK's retry strategy treats this name as transient, like its own request timeouts.
  override readonly name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
}

/**
 * Watches one response body. Time the reader itself is slow (data waiting unread, the body paused by
 * backpressure) is not the store's fault: the window starts again whenever the reader catches up.
 */
export function guardBody(body: IncomingMessage, options: BodyGuardOptions): void {
  const socket = body.socket;
  const bytesRead = (): number => socket?.bytesRead ?? 0;
  let windowStart = Date.now();
  let seen = bytesRead();
  const restart = (): void => {
    windowStart = Date.now();
    seen = bytesRead();
  };
  const timer = setInterval(() => {
    if (body.complete || body.destroyed) return clearInterval(timer);
    const moved = bytesRead() - seen;
    if (moved >= options.minBytes || body.readableLength > 0 || body.isPaused()) return restart();
    if (Date.now() - windowStart < options.windowMs) return;
    clearInterval(timer);
    body.destroy(new BodyStalledError(`the response body brought ${moved} bytes in ${options.windowMs} ms (at least ${options.minBytes} expected): the store stalled or trickles`));
  }, Math.max(50, Math.floor(options.windowMs / 4)));
  timer.unref();
  body.on('resume', restart);
  body.once('close', () => clearInterval(timer));
}

/**
 * Installs the guard on every response of the client, innermost in the deserialize step: inside the
 * SDK's retries, before its parsers read the body.
 */
export function installBodyGuard(client: S3Client, options: BodyGuardOptions): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const body = (out.response as { body?: unknown }).body;
      if (body && typeof (body as IncomingMessage).on === 'function' && 'socket' in (body as object)) guardBody(body as IncomingMessage, options);
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'pgwardBodyGuard' },
  );
}
