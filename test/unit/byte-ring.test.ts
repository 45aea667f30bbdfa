import { expect, test } from '@jest/globals';
import { ByteRing } from '../../src/backup/byte-ring.js';

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
};

test('regions are contiguous, grow in place, and come back only when every user released them, in order', async () => {
  const ring = new ByteRing(100);
  const a = await ring.reserve(30, 2);
  expect(a).toMatchObject({ start: 0, length: 30 });
  expect(ring.grow(a, 10)).toBe(true);
  const b = await ring.reserve(40, 1);
  expect(b.start).toBe(40);
  // Only the newest region grows.
  expect(ring.grow(a, 1)).toBe(false);
  // 20 bytes are left at the end; 30 do not fit there and the start is taken: it waits.
  const c = ring.reserve(30, 1);
  expect(await settled(c)).toBe(false);
  ring.release(a);
  expect(await settled(c)).toBe(false);
  ring.release(a);
  // c wrapped to the start; its cost holds the skipped tail.
  expect(await c).toMatchObject({ start: 0, length: 30, cost: 50 });
  // b is done, but c (released later, reserved later) is not: b is freed, c still holds its bytes.
  const d = ring.reserve(40, 1);
  expect(await settled(d)).toBe(false);
  ring.release(b);
  expect(await d).toMatchObject({ start: 30, length: 40 });
});

test('a younger region released first is freed only with the older ones before it', async () => {
  const ring = new ByteRing(100);
  const a = await ring.reserve(50, 1);
  const b = await ring.reserve(50, 1);
  ring.release(b);
  const c = ring.reserve(10, 1);
  expect(await settled(c)).toBe(false);
  ring.release(a);
  expect(await c).toMatchObject({ start: 0, length: 10 });
});

test('a region larger than half the ring is a bug, and a failed ring refuses waiting and later reservations', async () => {
  const ring = new ByteRing(100);
  await expect(ring.reserve(51, 1)).rejects.toThrow(/ring region of 51 bytes/);
  await ring.reserve(50, 1);
  await ring.reserve(50, 1);
  const waiting = ring.reserve(10, 1);
  ring.fail(new Error('hashing thread gone'));
  await expect(waiting).rejects.toThrow('hashing thread gone');
  await expect(ring.reserve(1, 1)).rejects.toThrow('hashing thread gone');
});

test('releasing a region more often than it has users is a bug', async () => {
  const ring = new ByteRing(100);
  const a = await ring.reserve(10, 1);
  ring.release(a);
  expect(() => ring.release(a)).toThrow(/more often/);
});

test('rings dividing one buffer hand out regions only inside their own part, and never wait on each other', async () => {
  const shared = new SharedArrayBuffer(200);
  const first = new ByteRing(100, shared, 0);
  const second = new ByteRing(100, shared, 100);
  expect(() => new ByteRing(100, shared, 150)).toThrow(/outside/);
  const a = await first.reserve(50, 1);
  const b = await first.reserve(50, 1);
  expect([a.start, b.start]).toEqual([0, 50]);
  // The first ring is full; the second still gives its own bytes at once.
  expect(await settled(first.reserve(10, 1))).toBe(false);
  const c = await second.reserve(50, 1);
  expect(c.start).toBe(100);
  expect(second.grow(c, 30)).toBe(true);
  expect(c).toMatchObject({ start: 100, length: 80 });
  const d = await second.reserve(20, 1);
  expect(d.start).toBe(180);
  second.release(c);
  // Wrapping stays inside the second ring's part.
  const e = await second.reserve(30, 1);
  expect(e.start).toBe(100);
  expect(first.bytes.length).toBe(200);
});
