import { expect, test } from '@jest/globals';
import { PeriodicReadBack } from '../../src/wal/read-back.js';

test('the daemon reads back its first upload, then once per interval, and again until one passes', () => {
  let now = 1_000;
  const policy = new PeriodicReadBack(60_000, () => now);
  expect(policy.due()).toBe(true);
  // A failed read-back does not call passed(): the next upload is checked too.
  now += 5;
  expect(policy.due()).toBe(true);
  policy.passed();
  now += 59_999;
  expect(policy.due()).toBe(false);
  now += 1;
  expect(policy.due()).toBe(true);
  policy.passed();
  policy.reset();
  expect(policy.due()).toBe(true);
});
