// An HTTP proxy on 127.0.0.1 between pgward and a real S3 server (s3rver): a fake only at the process
// edge. It records every request (with the S3 operation it is) and injects faults by rule: per
// operation, per key pattern, on the n-th matching request or at a rate drawn from a seeded random
// generator, as an error status, a connection reset, a stall, or a canned answer. Requests no rule
// takes are forwarded unchanged. Rules are matched in the order they were added; the first that fires
// decides. Fault suites build on `addRule` and `requests`.
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
  | { kind: 'respond'; status: number; body?: string; headers?: Record<string, string> };

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
  fault: Fault;
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
  fault?: Fault['kind'];
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
      return rule.fault;
    }
    return undefined;
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

  private forward(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    const upstream = httpRequest(
      { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        record.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
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
