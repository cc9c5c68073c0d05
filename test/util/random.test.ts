/**
 * SeededRandom (xoshiro128** seeded by splitmix32): the streams are part of what a seed means — a
 * recorded seed must replay the same wire losses and impairments after any refactoring — so the first
 * outputs for a few seeds are pinned here, and the derived draws are checked against them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SeededRandom } from '../../src/util/random.js';

const GOLDEN: Record<number, number[]> = {
  0: [3809008728, 1133695204, 53579671, 2891528803, 139681546, 2203266335],
  1: [2442144158, 3238099751, 3819917871, 2104621829, 2021136066, 4223536128],
  42: [2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290],
};

test('random: the first outputs of seeds 0, 1 and 42 never change', () => {
  for (const [seed, expected] of Object.entries(GOLDEN)) {
    const r = new SeededRandom(Number(seed));
    assert.deepEqual(Array.from({ length: expected.length }, () => r.nextU32()), expected, `seed ${seed}`);
  }
});

test('random: next, draw30, below and chance are views of the same stream', () => {
  const u = GOLDEN[42]!;
  const r = new SeededRandom(42);
  assert.equal(r.next(), u[0]! / 2 ** 32);
  assert.equal(r.draw30(), u[1]! >>> 2);
  assert.equal(r.below(1000), Math.floor((u[2]! / 2 ** 32) * 1000));
  assert.equal(r.chance(0.5), u[3]! / 2 ** 32 < 0.5);
  assert.equal(r.chance(0), false, 'no draw for probability 0 …');
  assert.equal(r.nextU32(), u[4], '… so the stream did not move');
});

test('random: draws stay in their ranges', () => {
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: 2 ** 30 }), (seed, n) => {
      const r = new SeededRandom(seed);
      for (let i = 0; i < 20; i++) {
        const x = r.next();
        const d = r.draw30();
        const b = r.below(n);
        assert.ok(x >= 0 && x < 1 && d >= 0 && d < 2 ** 30 && Number.isInteger(b) && b >= 0 && b < n);
      }
    }),
    { numRuns: 200, seed: 11 },
  );
});
