// An HTTP proxy on 127.0.0.1 between pgward and a real S3 server (s3rver): a fake only at the process
// edge. It records every request (with the S3 operation it is) and injects faults by rule: per
// operation, per key pattern, on the n-th matching request or at a rate drawn from a seeded random
// generator, as an error status (500, 503 SlowDown...), a connection reset before, during the request
// body or during the response body, a stall before the answer or after its headers, a delay, a
// trickled or truncated response body, or a flipped byte in the request or response body. Requests no
// rule takes are forwarded unchanged. Rules are matched in the order they were added; the first that
// fires decides. One seed drives every random choice (which request, which byte), so a failing run is
// replayed by its seed; concurrent requests can still arrive in another order. Fault suites build on
// `addRule`, `requests` and `injected`.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type S3Operation =
  | 'CreateBucket'
  | 'HeadBucket'
  | 'ListObjectsV2'
  | 'ListMultipartUploads'
  | 'DeleteObjects'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'Other';

export type Fault =
  /** answer with this status and an S3 XML error (the request body is read and dropped) */
  | { kind: 'status'; status: number; code?: string }
  /** destroy the client's connection without an answer */
  | { kind: 'reset' }
  /** hold the request unanswered for ms (default: until the proxy closes) */
  | { kind: 'stall'; ms?: number }
  /** answer on the server's behalf */
  | { kind: 'respond'; status: number; body?: string; headers?: Record<string, string> }
  /** forward after ms */
  | { kind: 'delay'; ms: number }
  /** forward with one byte of the request body inverted (at a seeded position): what the store receives differs from what was sent */
  | { kind: 'flip-request' }
  /** forward, then answer with one byte of the response body inverted (at a seeded position) */
  | { kind: 'flip-response' }
  /** forward, then answer a well-formed but short body: the Content-Length is dropped and the answer ends cleanly after `fraction` of it (default 0.5) */
  | { kind: 'truncate'; fraction?: number }
  /** forward `fraction` of the request body to the server (default 0.5), then destroy both connections: the store may keep a cut-off object */
  | { kind: 'reset-request'; fraction?: number }
  /** forward, send the headers and `fraction` of the response body (default 0.5), then destroy the connection */
  | { kind: 'reset-response'; fraction?: number }
  /** forward, send the headers and `fraction` of the response body (default 0.5), then send nothing more for ms (default: until the proxy closes) and finish the body */
  | { kind: 'stall-body'; fraction?: number; ms?: number }
  /** forward, send the headers at once, then the body `bytes` at a time every `everyMs` */
  | { kind: 'trickle'; bytes: number; everyMs: number };

export type FaultKind = Fault['kind'];

/** 503 SlowDown, the answer S3 gives when it wants fewer requests per second. */
export const SLOW_DOWN: Fault = { kind: 'status', status: 503, code: 'SlowDown' };

export interface FaultRule {
  /** the operations this rule applies to (default: all) */
  operation?: S3Operation | readonly S3Operation[];
  /** the object key (without the bucket) must match */
  key?: RegExp;
  /** fire on these 1-based counts of matching requests only */
  nth?: number | readonly number[];
  /** fire with this probability (seeded generator), after nth */
  rate?: number;
  /** fire at most this many times */
  times?: number;
  /** the fault, or several: each firing draws one of them with the seeded generator */
  fault: Fault | readonly Fault[];
}

export interface RecordedRequest {
  seq: number;
  method: string;
  /** path and query as received */
  url: string;
  operation: S3Operation;
  bucket?: string;
  key?: string;
  query: Record<string, string>;
  /** the fault injected, if a rule fired */
  fault?: FaultKind;
  /** the status sent back (undefined for a reset or a stall) */
  status?: number;
}

/** mulberry32: a small seeded generator, so a rate-based run can be replayed exactly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The S3 operation of a path-style request, from its method, path and query. */
/** The byte position a body fault acts on, drawn from the seeded generator, inside [0, length). */
function position(random: () => number, length: number): number {
  return Math.min(length - 1, Math.floor(random() * length));
}

function cut(length: number, fraction: number | undefined): number {
  return Math.max(0, Math.min(length, Math.floor(length * (fraction ?? 0.5))));
}

export function classify(method: string, url: URL): { operation: S3Operation; bucket?: string; key?: string } {
  const parts = url.pathname.split('/').filter((part, i) => i > 0 || part !== '');
  const bucket = parts[0] ? decodeURIComponent(parts[0]) : undefined;
  // The SDK writes bucket-level requests as /bucket/ (a trailing slash): no key.
  const rest = parts.slice(1).join('/');
  const key = rest !== '' ? decodeURIComponent(rest) : undefined;
  const q = url.searchParams;
  const op = ((): S3Operation => {
    if (!bucket) return 'Other';
    if (key === undefined) {
      if (method === 'PUT') return 'CreateBucket';
      if (method === 'HEAD') return 'HeadBucket';
      if (method === 'POST' && q.has('delete')) return 'DeleteObjects';
      if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads';
      if (method === 'GET') return 'ListObjectsV2';
      return 'Other';
    }
    switch (method) {
      case 'PUT':
        return q.has('uploadId') ? 'UploadPart' : 'PutObject';
      case 'POST':
        return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'Other';
      case 'DELETE':
        return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
      case 'GET':
        return q.has('uploadId') ? 'ListParts' : 'GetObject';
      case 'HEAD':
        return 'HeadObject';
      default:
        return 'Other';
    }
  })();
  return { operation: op, bucket, key };
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;
}

const DEFAULT_CODES: Record<number, string> = { 500: 'InternalError', 503: 'SlowDown', 403: 'AccessDenied', 404: 'NoSuchKey' };

interface ActiveRule extends FaultRule {
  matched: number;
  fired: number;
}

export class S3FaultProxy {
  readonly requests: RecordedRequest[] = [];
  private rules: ActiveRule[] = [];
  private readonly random: () => number;
  private readonly sockets = new Set<Socket>();
  private readonly stalls = new Set<NodeJS.Timeout>();

  constructor(
    private readonly server: Server,
    private readonly upstream: URL,
    seed: number,
  ) {
    this.random = seededRandom(seed);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Adds a rule; the function returned removes it. */
  addRule(rule: FaultRule): () => void {
    const active: ActiveRule = { ...rule, matched: 0, fired: 0 };
    this.rules.push(active);
    return () => {
      this.rules = this.rules.filter((r) => r !== active);
    };
  }

  clearRules(): void {
    this.rules = [];
  }

  /** Runs with only `rule` in place; the proxy is left clean for the next test whatever happens. */
  async withRule<T>(rule: FaultRule, run: () => Promise<T>): Promise<T> {
    this.clearRules();
    this.addRule(rule);
    try {
      return await run();
    } finally {
      this.clearRules();
    }
  }

  /** The recorded requests of these operations. */
  seen(...operations: S3Operation[]): RecordedRequest[] {
    return this.requests.filter((r) => operations.includes(r.operation));
  }

  /** Settings for pgward pointing at the proxy instead of the server. */
  env(base: Record<string, string>): Record<string, string> {
    return { ...base, PGWARD_S3_ENDPOINT: this.endpoint };
  }

  private pick(record: RecordedRequest): Fault | undefined {
    for (const rule of this.rules) {
      const operations = rule.operation === undefined ? undefined : ([] as S3Operation[]).concat(rule.operation as S3Operation[]);
      if (operations && !operations.includes(record.operation)) continue;
      if (rule.key && !(record.key !== undefined && rule.key.test(record.key))) continue;
      rule.matched++;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      if (rule.nth !== undefined && !([] as number[]).concat(rule.nth as number[]).includes(rule.matched)) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      rule.fired++;
      if (!Array.isArray(rule.fault)) return rule.fault as Fault;
      const choices = rule.fault as readonly Fault[];
      return choices[Math.min(choices.length - 1, Math.floor(this.random() * choices.length))];
    }
    return undefined;
  }

  /** The requests a fault was injected into (all of them, or of these kinds). */
  injected(...kinds: FaultKind[]): RecordedRequest[] {
    return this.requests.filter((r) => r.fault !== undefined && (kinds.length === 0 || kinds.includes(r.fault)));
  }

  /** How many requests each fault kind was injected into, for a probe's summary line. */
  injectedByKind(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.injected()) counts[r.fault as string] = (counts[r.fault as string] ?? 0) + 1;
    return counts;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const { operation, bucket, key } = classify(req.method ?? 'GET', url);
    const record: RecordedRequest = {
      seq: this.requests.length + 1,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      operation,
      ...(bucket !== undefined ? { bucket } : {}),
      ...(key !== undefined ? { key } : {}),
      query: Object.fromEntries(url.searchParams),
    };
    this.requests.push(record);
    const fault = this.pick(record);
    if (fault) record.fault = fault.kind;
    switch (fault?.kind) {
      case undefined:
        return this.forward(req, res, record);
      case 'delay': {
        const timer = setTimeout(() => {
          this.stalls.delete(timer);
          this.forward(req, res, record);
        }, fault.ms);
        this.stalls.add(timer);
        return;
      }
      case 'flip-request':
        return this.forwardFlipped(req, res, record);
      case 'reset-request':
        return this.forwardCut(req, record, fault.fraction);
      case 'flip-response':
      case 'truncate':
      case 'reset-response':
      case 'stall-body':
      case 'trickle':
        return this.forward(req, res, record, fault);
      case 'reset':
        req.socket.destroy();
        return;
      case 'stall': {
        req.resume();
        if (fault.ms !== undefined) {
          const timer = setTimeout(() => {
            this.stalls.delete(timer);
            this.forward(req, res, record);
          }, fault.ms);
          this.stalls.add(timer);
        }
        return;
      }
      case 'status': {
        const code = fault.code ?? DEFAULT_CODES[fault.status] ?? 'InternalError';
        req.resume();
        req.on('end', () => {
          record.status = fault.status;
          res.writeHead(fault.status, { 'content-type': 'application/xml' }).end(errorXml(code, `injected by the fault proxy (${operation})`));
        });
        return;
      }
      case 'respond':
        req.resume();
        req.on('end', () => {
          record.status = fault.status;
          res.writeHead(fault.status, fault.headers ?? {}).end(fault.body ?? '');
        });
        return;
    }
  }

  private forward(req: IncomingMessage, res: ServerResponse, record: RecordedRequest, answerFault?: Fault, body?: Buffer): void {
    const headers = { ...req.headers };
    if (body) headers['content-length'] = String(body.length);
    const upstream = httpRequest(
      { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        record.status = answer.statusCode;
        if (!answerFault) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', () => req.socket.destroy());
        answer.on('end', () => this.answerWithFault(req, res, answer, Buffer.concat(chunks), answerFault));
      },
    );
    upstream.on('error', () => req.socket.destroy());
    if (body) upstream.end(body);
    else req.pipe(upstream);
  }

  /** Reads the whole request body, inverts one byte and forwards it with the same headers. */
  private forwardFlipped(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.length > 0) {
        const at = position(this.random, body.length);
        body[at] = body[at]! ^ 0xff;
      }
      this.forward(req, res, record, undefined, body);
    });
  }

  /** Forwards part of the request body, then destroys both connections as a dying client or network would. */
  private forwardCut(req: IncomingMessage, record: RecordedRequest, fraction: number | undefined): void {
    const declared = Number(req.headers['content-length'] ?? 0);
    const limit = cut(declared, fraction);
    const upstream = httpRequest({ host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: req.headers });
    upstream.on('response', (answer) => {
      record.status = answer.statusCode;
      answer.resume();
    });
    upstream.on('error', () => undefined);
    let sent = 0;
    const finish = (): void => {
      // Let the server take in what was sent before the connection dies.
      upstream.flushHeaders();
      setTimeout(() => {
        upstream.destroy();
        req.socket.destroy();
      }, 50);
    };
    if (limit === 0) return finish();
    req.on('data', (chunk: Buffer) => {
      if (sent >= limit) return;
      const piece = chunk.subarray(0, limit - sent);
      sent += piece.length;
      upstream.write(piece);
      if (sent >= limit) {
        req.pause();
        finish();
      }
    });
    req.on('end', () => {
      if (sent < limit) finish();
    });
  }

  private answerWithFault(req: IncomingMessage, res: ServerResponse, answer: IncomingMessage, body: Buffer, fault: Fault): void {
    const headers = { ...answer.headers };
    const status = answer.statusCode ?? 502;
    switch (fault.kind) {
      case 'flip-response': {
        if (body.length > 0) {
          const at = position(this.random, body.length);
          body[at] = body[at]! ^ 0xff;
        }
        res.writeHead(status, headers).end(body);
        return;
      }
      case 'truncate': {
        delete headers['content-length'];
        headers['transfer-encoding'] = 'chunked';
        res.writeHead(status, headers).end(body.subarray(0, cut(body.length, fault.fraction)));
        return;
      }
      case 'reset-response': {
        res.writeHead(status, headers);
        res.write(body.subarray(0, cut(body.length, fault.fraction)), () => {
          setTimeout(() => req.socket.destroy(), 20);
        });
        return;
      }
      case 'stall-body': {
        const at = cut(body.length, fault.fraction);
        res.writeHead(status, headers);
        res.write(body.subarray(0, at));
        if (fault.ms !== undefined) {
          const timer = setTimeout(() => {
            this.stalls.delete(timer);
            res.end(body.subarray(at));
          }, fault.ms);
          this.stalls.add(timer);
        }
        return;
      }
      case 'trickle': {
        res.writeHead(status, headers);
        res.flushHeaders();
        let at = 0;
        const next = (): void => {
          if (res.destroyed) return;
          if (at >= body.length) {
            res.end();
            return;
          }
          res.write(body.subarray(at, at + fault.bytes));
          at += fault.bytes;
          const timer = setTimeout(() => {
            this.stalls.delete(timer);
            next();
          }, fault.everyMs);
          this.stalls.add(timer);
        };
        next();
        return;
      }
      default:
        res.writeHead(status, headers).end(body);
    }
  }

  async close(): Promise<void> {
    for (const timer of this.stalls) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A proxy in front of `upstream` (an http://host:port endpoint), listening on a free loopback port. */
export async function startS3FaultProxy(upstream: string, options: { seed?: number } = {}): Promise<S3FaultProxy> {
  const server = createServer();
  const proxy = new S3FaultProxy(server, new URL(upstream), options.seed ?? 1);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return proxy;
}
