// Hostile clients on the daemon's socket (issue 9, item 4): a truncated frame, garbage, huge length
// prefixes, a client that sends nothing and one that trickles half a frame each get exactly one error
// frame (id 0, code USAGE, with a hint) while the socket is still open, within the documented 10 s
// bound, and the daemon keeps answering afterwards.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { callDaemon } from '../../src/daemon/client.js';
import { FrameReader } from '../../src/daemon/protocol.js';

let cluster: TestCluster;
let socket: string;
let daemon: TestDaemon | undefined;

beforeAll(async () => {
  const dir = postgresOwnedDir('frames-');
  chmodSync(dir, 0o755);
  socket = join(dir, 'd.sock');
  const configFile = writePgwardConfig({ PGWARD_REPO: `file://${join(dir, 'repo')}`, PGWARD_DAEMON_SOCKET: socket });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  daemon = await startDaemon(cluster.dataDirectory, configFile, socket);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await cluster?.destroy();
});

interface Exchange {
  frames: Array<Record<string, unknown>>;
  /** bytes that did not form a whole frame */
  rest: number;
  ms: number;
}

/** Sends `payload` (optionally half-closing), then reads until the daemon closes, within `boundMs`. */
function exchange(payload: Buffer, halfClose: boolean, boundMs: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const client = connect(socket);
    const reader = new FrameReader();
    const frames: Array<Record<string, unknown>> = [];
    const timer = setTimeout(() => {
      client.destroy();
      reject(new Error(`the daemon did not answer and close within ${boundMs} ms (frames so far: ${JSON.stringify(frames)})`));
    }, boundMs);
    client.on('connect', () => {
      if (payload.length > 0) client.write(payload);
      if (halfClose) client.end();
    });
    client.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk).map((f) => JSON.parse(f.toString('utf8')) as Record<string, unknown>)));
    client.on('error', () => undefined);
    client.on('close', () => {
      clearTimeout(timer);
      resolve({ frames, rest: reader.pendingBytes, ms: Date.now() - started });
    });
  });
}

const length = (n: number): Buffer => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(n, 0);
  return header;
};

const protocolError = (message: RegExp) => ({ v: 1, id: 0, ok: false, code: 'USAGE', exitCode: 2, message: expect.stringMatching(message), hint: expect.stringMatching(/\S/) });

const CASES: Array<{ what: string; payload: Buffer; halfClose: boolean; message: RegExp }> = [
  { what: 'a truncated frame, then end of stream', payload: Buffer.concat([length(100), Buffer.from('{"v":1,"id":1')]), halfClose: true, message: /truncated frame: the stream ended after 17 bytes/ },
  { what: 'a length prefix alone, then end of stream', payload: length(10), halfClose: true, message: /truncated frame/ },
  { what: 'a huge length prefix (4 GiB)', payload: Buffer.concat([length(0xffffffff), randomBytes(64)]), halfClose: false, message: /frame of 4294967295 bytes exceeds 65536/ },
  { what: 'an HTTP request', payload: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), halfClose: false, message: /exceeds 65536/ },
  { what: 'a frame that is not JSON', payload: Buffer.concat([length(8), Buffer.from([0xff, 0xfe, 0, 1, 2, 3, 4, 5])]), halfClose: false, message: /frame is not JSON/ },
  { what: 'JSON that is not a request', payload: Buffer.concat([length(4), Buffer.from('null')]), halfClose: false, message: /not a version 1 request/ },
  { what: 'a request with a missing field', payload: Buffer.concat([length(33), Buffer.from('{"v":1,"id":2,"op":"wal-push"}   ')]), halfClose: false, message: /unknown operation or missing fields/ },
];

test.each(CASES)('$what: one error frame, then closed', async ({ payload, halfClose, message }) => {
  const reply = await exchange(payload, halfClose, 5000);
  expect(reply.frames).toEqual([protocolError(message)]);
  expect(reply.rest).toBe(0);
});

test('a client that sends nothing, and one that trickles half a frame and stops: an error frame after 10 s', async () => {
  const trickle = new Promise<Exchange>((resolve, reject) => {
    const started = Date.now();
    const client = connect(socket);
    const reader = new FrameReader();
    const frames: Array<Record<string, unknown>> = [];
    const half = Buffer.concat([length(40), Buffer.from('{"v":1,"id":3,"op":"ping"')]);
    let sent = 0;
    // One byte every 500 ms: the bound counts from the start of the request, not from the last byte.
    const drip = setInterval(() => (sent < half.length ? client.write(half.subarray(sent, ++sent)) : undefined), 500);
    const timer = setTimeout(() => reject(new Error('no answer to a trickling client within 20 s')), 20_000);
    client.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk).map((f) => JSON.parse(f.toString('utf8')) as Record<string, unknown>)));
    client.on('error', () => undefined);
    client.on('close', () => {
      clearInterval(drip);
      clearTimeout(timer);
      resolve({ frames, rest: reader.pendingBytes, ms: Date.now() - started });
    });
  });
  const [silent, trickled] = await Promise.all([exchange(Buffer.alloc(0), false, 20_000), trickle]);
  expect(silent.frames).toEqual([protocolError(/^protocol error: no complete request within 10 s$/)]);
  expect(silent.ms).toBeGreaterThanOrEqual(9_500);
  expect(trickled.frames).toEqual([protocolError(/no complete request within 10 s \(\d+ bytes of a frame received\)/)]);
  expect(trickled.ms).toBeLessThan(15_000);
}, 40_000);

test('after all of it the daemon answers at once, and a well-formed request on the same connection as garbage is never acknowledged', async () => {
  const ping = Buffer.from(JSON.stringify({ v: 1, id: 7, op: 'ping' }));
  const reply = await exchange(Buffer.concat([length(3), Buffer.from('xyz'), length(ping.length), ping]), false, 5000);
  expect(reply.frames).toEqual([protocolError(/frame is not JSON/)]);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => callDaemon(socket, { v: 1, id: 100 + i, op: 'ping' }, 5000)));
  expect(answers.every((a) => a?.ok === true)).toBe(true);
  expect(daemon!.child.exitCode).toBeNull();
});
