import { describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { Lz4FrameDecoder, Lz4FrameEncoder, frameLength } from '../../src/codec/lz4-stream.js';
import { readAll } from '../../src/storage/storage.js';

function input(): Buffer {
  // Mixed content across several 64 KiB chunks: random, zeros, text.
  return Buffer.concat([randomBytes(100_000), Buffer.alloc(150_000), Buffer.from('pgward '.repeat(40_000)), randomBytes(7)]);
}

function chunks(data: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

describe('streaming LZ4 frames', () => {
  test('round trip through many frames, in order', async () => {
    const data = input();
    const packed = await readAll(chunks(data, 10_000).pipe(new Lz4FrameEncoder({ chunkSize: 64 * 1024, parallel: 3 })));
    const back = await readAll(chunks(packed, 777).pipe(new Lz4FrameDecoder()));
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  test('the lz4 tool reads the concatenated frames', async () => {
    const data = input();
    const packed = await readAll(chunks(data, 50_000).pipe(new Lz4FrameEncoder({ chunkSize: 64 * 1024 })));
    const { stdout } = await execa('lz4', ['-d', '-c'], { input: packed, encoding: 'buffer', stripFinalNewline: false });
    expect(Buffer.compare(Buffer.from(stdout), data)).toBe(0);
  });

  test('output of the lz4 tool (one big frame) is decoded', async () => {
    const data = input();
    const { stdout } = await execa('lz4', ['-c'], { input: data, encoding: 'buffer', stripFinalNewline: false });
    const back = await readAll(chunks(Buffer.from(stdout), 4096).pipe(new Lz4FrameDecoder()));
    expect(Buffer.compare(back, data)).toBe(0);
  });

  test('an empty stream', async () => {
    const packed = await readAll(Readable.from([]).pipe(new Lz4FrameEncoder()));
    expect(packed.length).toBe(0);
    expect((await readAll(Readable.from([packed]).pipe(new Lz4FrameDecoder()))).length).toBe(0);
  });

  test('a truncated stream and a damaged frame fail', async () => {
    const packed = await readAll(chunks(input(), 50_000).pipe(new Lz4FrameEncoder({ chunkSize: 64 * 1024 })));
    await expect(readAll(Readable.from([packed.subarray(0, packed.length - 10)]).pipe(new Lz4FrameDecoder()))).rejects.toThrow(/ends inside a frame/);
    const damaged = Buffer.from(packed);
    damaged[200]! ^= 0xff;
    await expect(readAll(Readable.from([damaged]).pipe(new Lz4FrameDecoder()))).rejects.toThrow();
  });

  test('frameLength needs the whole frame', () => {
    expect(frameLength(Buffer.from([0x04, 0x22]))).toBeUndefined();
    expect(() => frameLength(Buffer.from("nope, not lz4"))).toThrow(/not an LZ4 frame/);
  });
});
