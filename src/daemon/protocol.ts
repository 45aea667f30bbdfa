// The daemon's socket protocol: frames of a 4-byte big-endian length followed by that many bytes of
// UTF-8 JSON, one request and one response per frame, any number of requests per connection.
//   request  {"v":1,"id":N,"op":"wal-push","dataDirectory":"/abs","path":"/abs/pg_wal/…"}
//            {"v":1,"id":N,"op":"wal-fetch","dataDirectory":"/abs","segment":"…","destination":"/abs/…"}
//            {"v":1,"id":N,"op":"ping"}
//   response {"v":1,"id":N,"ok":true,"status":"archived"|"already-archived"|"restored"|"pong"}
//            {"v":1,"id":N,"ok":false,"code":"…","exitCode":N,"message":"…","hint":"…"}
// A frame over MAX_FRAME, a frame that is not a JSON object of this shape, a truncated frame at end
// of stream, or no complete request within 10 s is a protocol error: the daemon answers once (id 0,
// code USAGE, with a hint) while the socket is open, and closes the connection.
export const PROTOCOL_VERSION = 1;
export const MAX_FRAME = 64 * 1024;

export type Request =
  | { v: 1; id: number; op: 'ping' }
  | { v: 1; id: number; op: 'wal-push'; dataDirectory: string; path: string }
  | { v: 1; id: number; op: 'wal-fetch'; dataDirectory: string; segment: string; destination: string };

export type Response =
  | { v: 1; id: number; ok: true; status: 'archived' | 'already-archived' | 'restored' | 'pong' }
  | { v: 1; id: number; ok: false; code: string; exitCode: number; message: string; hint?: string };

export class ProtocolError extends Error {}

export function encodeFrame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  if (body.length > MAX_FRAME) throw new ProtocolError(`frame of ${body.length} bytes exceeds ${MAX_FRAME}`);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Splits a byte stream into frames; throws ProtocolError on an oversized frame. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_FRAME) throw new ProtocolError(`frame of ${length} bytes exceeds ${MAX_FRAME}`);
      if (this.buffer.length < 4 + length) break;
      frames.push(this.buffer.subarray(4, 4 + length));
      this.buffer = this.buffer.subarray(4 + length);
    }
    return frames;
  }

  get pendingBytes(): number {
    return this.buffer.length;
  }
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length < 4096;

export function parseRequest(frame: Buffer): Request {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(frame.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ProtocolError('frame is not JSON');
  }
  if (typeof value !== 'object' || value === null || value.v !== PROTOCOL_VERSION || !Number.isSafeInteger(value.id)) {
    throw new ProtocolError('frame is not a version 1 request');
  }
  const id = value.id as number;
  if (value.op === 'ping') return { v: 1, id, op: 'ping' };
  if (value.op === 'wal-push' && isString(value.dataDirectory) && isString(value.path)) {
    return { v: 1, id, op: 'wal-push', dataDirectory: value.dataDirectory, path: value.path };
  }
  if (value.op === 'wal-fetch' && isString(value.dataDirectory) && isString(value.segment) && isString(value.destination)) {
    return { v: 1, id, op: 'wal-fetch', dataDirectory: value.dataDirectory, segment: value.segment, destination: value.destination };
  }
  throw new ProtocolError('unknown operation or missing fields');
}

export function parseResponse(frame: Buffer): Response {
  const value = JSON.parse(frame.toString('utf8')) as Response;
  if (value.v !== PROTOCOL_VERSION || typeof value.ok !== 'boolean') throw new ProtocolError('not a version 1 response');
  return value;
}
