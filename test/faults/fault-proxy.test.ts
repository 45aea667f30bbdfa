// The fault proxy itself, against a real s3rver: each fault kind does to the bytes what it says, rules
// match by operation, key and count, and one seed replays the same choices. The probes trust these
// faults, so they are proven here first.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { request } from 'node:http';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startS3FaultProxy, type Fault, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

let s3: TestS3Server;
let proxy: S3FaultProxy;
const body = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('proxy');
  proxy = await startS3FaultProxy(s3.endpoint, { seed: 42 });
  const client = s3.client();
  await client.send(new PutObjectCommand({ Bucket: 'proxy', Key: 'object', Body: body }));
  client.destroy();
});

afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

interface Raw {
  status?: number;
  body: Buffer;
  error?: string;
  ms: number;
}

/** A plain HTTP exchange through the proxy (s3rver does not check signatures), bounded by `limitMs`. */
function exchange(method: string, path: string, payload?: Buffer, limitMs = 3000): Promise<Raw> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status: number | undefined;
    const done = (error?: string): void => resolve({ status, body: Buffer.concat(chunks), ms: Date.now() - started, ...(error ? { error } : {}) });
    const req = request(`${proxy.endpoint}${path}`, { method, headers: payload ? { 'content-length': String(payload.length) } : {} }, (res) => {
      status = res.statusCode;
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done());
      res.on('error', (err) => done(err.message));
      res.on('aborted', () => done('aborted'));
    });
    req.setTimeout(limitMs, () => {
      req.destroy();
      done('timeout');
    });
    req.on('error', (err) => done(err.message));
    req.end(payload);
  });
}

async function stored(key: string): Promise<Buffer | undefined> {
  const client = s3.client();
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: 'proxy', Key: key }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

function once(fault: Fault): void {
  proxy.clearRules();
  proxy.addRule({ operation: ['GetObject', 'PutObject'], key: /^object|^put-/, times: 1, fault });
}

test('a rule fires by operation, key and count; other requests pass', async () => {
  proxy.clearRules();
  proxy.addRule({ operation: 'GetObject', key: /^object$/, nth: [2], fault: { kind: 'status', status: 500 } });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await exchange('GET', '/proxy/object')).status);
  expect(statuses).toEqual([200, 500, 200]);
  expect((await exchange('HEAD', '/proxy/object')).status).toBe(200);
  expect(proxy.requests.at(-1)?.operation).toBe('HeadObject');
});

test('SlowDown is a 503 with the S3 code', async () => {
  once({ kind: 'status', status: 503, code: 'SlowDown' });
  const answer = await exchange('GET', '/proxy/object');
  expect(answer.status).toBe(503);
  expect(answer.body.toString()).toMatch(/<Code>SlowDown<\/Code>/);
});

test('flip-response changes exactly one byte of an intact-length body', async () => {
  once({ kind: 'flip-response' });
  const answer = await exchange('GET', '/proxy/object');
  expect(answer.body.length).toBe(body.length);
  expect([...answer.body].filter((b, i) => b !== body[i]).length).toBe(1);
});

test('truncate ends a well-formed answer early', async () => {
  once({ kind: 'truncate', fraction: 0.25 });
  const answer = await exchange('GET', '/proxy/object');
  expect(answer.error).toBeUndefined();
  expect(answer.body).toEqual(body.subarray(0, 1024));
});

test('reset-response cuts the connection inside the body', async () => {
  once({ kind: 'reset-response' });
  const answer = await exchange('GET', '/proxy/object');
  expect(answer.status).toBe(200);
  expect(answer.error).toBeDefined();
  expect(answer.body.length).toBeLessThan(body.length);
});

test('stall-body sends the headers and part of the body, then nothing', async () => {
  once({ kind: 'stall-body', fraction: 0.5 });
  const answer = await exchange('GET', '/proxy/object', undefined, 1500);
  expect(answer.status).toBe(200);
  expect(answer.error).toBe('timeout');
  expect(answer.body.length).toBe(2048);
});

test('trickle delivers the whole body slowly; delay holds the answer', async () => {
  once({ kind: 'trickle', bytes: 1024, everyMs: 200 });
  const trickled = await exchange('GET', '/proxy/object');
  expect(trickled.body).toEqual(body);
  expect(trickled.ms).toBeGreaterThanOrEqual(600);
  once({ kind: 'delay', ms: 500 });
  const delayed = await exchange('GET', '/proxy/object');
  expect(delayed.body).toEqual(body);
  expect(delayed.ms).toBeGreaterThanOrEqual(450);
});

test('flip-request stores a body one byte off what was sent', async () => {
  once({ kind: 'flip-request' });
  const answer = await exchange('PUT', '/proxy/put-flipped', body);
  expect(answer.status).toBe(200);
  const kept = await stored('put-flipped');
  expect(kept?.length).toBe(body.length);
  expect([...kept!].filter((b, i) => b !== body[i]).length).toBe(1);
});

test('reset-request cuts the upload: the client sees no answer', async () => {
  once({ kind: 'reset-request', fraction: 0.5 });
  const answer = await exchange('PUT', '/proxy/put-cut', body);
  expect(answer.status).toBeUndefined();
  expect(answer.error).toBeDefined();
  // s3rver may keep the cut-off object (the partial-object hazard) or nothing: never the whole body.
  const kept = await stored('put-cut');
  if (kept) expect(kept.length).toBeLessThan(body.length);
});

test('the same seed draws the same faults', async () => {
  const draws = async (seed: number): Promise<string[]> => {
    const replay = await startS3FaultProxy(s3.endpoint, { seed });
    replay.addRule({ operation: 'GetObject', rate: 0.5, fault: [{ kind: 'status', status: 500 }, { kind: 'status', status: 503, code: 'SlowDown' }, { kind: 'delay', ms: 1 }] });
    const saved = proxy;
    proxy = replay;
    try {
      for (let i = 0; i < 12; i++) await exchange('GET', '/proxy/object');
      return replay.requests.map((r) => `${r.fault ?? '-'}:${r.status ?? ''}`);
    } finally {
      proxy = saved;
      await replay.close();
    }
  };
  const first = await draws(7);
  expect(await draws(7)).toEqual(first);
  expect(first.some((d) => d.startsWith('-'))).toBe(true);
  expect(first.some((d) => !d.startsWith('-'))).toBe(true);
});
