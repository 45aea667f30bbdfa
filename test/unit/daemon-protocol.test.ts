import { describe, expect, test } from '@jest/globals';
import { encodeFrame, FrameReader, MAX_FRAME, parseRequest, ProtocolError } from '../../src/daemon/protocol.js';
import { defaultSocketPath, instanceName } from '../../src/daemon/socket-path.js';

describe('daemon frames', () => {
  test('frames split across and joined within chunks', () => {
    const a = encodeFrame({ v: 1, id: 1, op: 'ping' });
    const b = encodeFrame({ v: 1, id: 2, op: 'ping' });
    const all = Buffer.concat([a, b]);
    const reader = new FrameReader();
    expect(reader.push(all.subarray(0, 3))).toEqual([]);
    const frames = [...reader.push(all.subarray(3, a.length + 2)), ...reader.push(all.subarray(a.length + 2))];
    expect(frames.map((f) => parseRequest(f).id)).toEqual([1, 2]);
    expect(reader.pendingBytes).toBe(0);
  });

  test('an oversized frame is refused from its header alone', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME + 1, 0);
    expect(() => new FrameReader().push(header)).toThrow(ProtocolError);
  });

  test.each([
    ['not json', Buffer.from('{nope')],
    ['wrong version', Buffer.from('{"v":2,"id":1,"op":"ping"}')],
    ['unknown op', Buffer.from('{"v":1,"id":1,"op":"rm -rf"}')],
    ['missing fields', Buffer.from('{"v":1,"id":1,"op":"wal-push","dataDirectory":"/d"}')],
    ['not an object', Buffer.from('42')],
  ])('%s is a protocol error', (_what, frame) => {
    expect(() => parseRequest(frame)).toThrow(ProtocolError);
  });

  test('requests are typed', () => {
    expect(parseRequest(Buffer.from('{"v":1,"id":7,"op":"wal-fetch","dataDirectory":"/d","segment":"000000010000000000000001","destination":"/d/pg_wal/RECOVERYXLOG"}'))).toEqual({
      v: 1, id: 7, op: 'wal-fetch', dataDirectory: '/d', segment: '000000010000000000000001', destination: '/d/pg_wal/RECOVERYXLOG',
    });
  });
});

describe('socket path', () => {
  test('Debian instance names', () => {
    expect(instanceName('/var/lib/postgresql/15/main')).toBe('15-main');
    expect(defaultSocketPath('/var/lib/postgresql/17/main', {})).toBe('/run/pgward/17-main.sock');
  });
  test('other data directories get a stable short hash', () => {
    expect(instanceName('/srv/pg/data')).toMatch(/^pgdata-[0-9a-f]{12}$/);
    expect(instanceName('/srv/pg/data')).toBe(instanceName('/srv/pg/data'));
  });
  test('PGWARD_DAEMON_SOCKET overrides', () => {
    expect(defaultSocketPath('/srv/pg/data', { PGWARD_DAEMON_SOCKET: '/tmp/x.sock' })).toBe('/tmp/x.sock');
  });
});
