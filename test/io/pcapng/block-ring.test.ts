/**
 * BlockRing against a model: random interleavings of producers (reserve/commit) and a drainer that
 * takes a region, lets producers run, checks the region is intact and releases it. Blocks come out in
 * order and unchanged, bounds hold, and an empty ring always accepts a block that fits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BlockRing, putU32LE } from '../../../src/io/pcapng/index.js';

type Op = { kind: 'produce'; words: number } | { kind: 'take' } | { kind: 'release' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 2, max: 40 }).map((words) => ({ kind: 'produce' as const, words })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'take' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
);

test('BlockRing: FIFO, intact while in flight, bounded by bytes and blocks', () => {
  fc.assert(
    fc.property(fc.integer({ min: 16, max: 600 }), fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 200 }), (capacity, maxBlocks, ops) => {
      const ring = new BlockRing(capacity, maxBlocks);
      const queued: number[] = []; // sequence numbers in ring order
      let seq = 0;
      let inFlight: { start: number; len: number; seqs: number[] } | null = null;
      const blockAt = (p: number): [number, number] => {
        const b = ring.bytes;
        return [(b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0, (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0];
      };
      const check = (start: number, len: number, seqs: number[]): void => {
        let p = start;
        for (const s of seqs) {
          const [blen, got] = blockAt(p);
          assert.equal(got, s, 'block content intact and in order');
          for (let i = 8; i < blen; i++) assert.equal(ring.bytes[p + i], (s + i) & 0xff);
          p += blen;
        }
        assert.equal(p, start + len);
      };
      for (const o of ops) {
        if (o.kind === 'produce') {
          const n = o.words * 4;
          const wasEmpty = ring.blocks === 0 && inFlight === null;
          const at = ring.reserve(n);
          if (at < 0) {
            assert.ok(!wasEmpty || n > ring.capacityBytes, 'an empty ring accepts any block that fits');
            continue;
          }
          assert.ok(at % 4 === 0 && at + n <= ring.capacityBytes);
          putU32LE(ring.bytes, at, seq);
          putU32LE(ring.bytes, at + 4, n);
          for (let i = 8; i < n; i++) ring.bytes[at + i] = (seq + i) & 0xff;
          ring.commit(n);
          queued.push(seq++);
          assert.ok(ring.blocks <= maxBlocks);
          assert.ok(ring.usedBytes <= ring.capacityBytes);
        } else if (o.kind === 'take') {
          if (inFlight !== null) continue;
          const len = ring.readable();
          if (len === 0) {
            assert.equal(queued.length, 0);
            continue;
          }
          const start = ring.readOffset;
          const seqs: number[] = [];
          for (let p = start; p < start + len; p += blockAt(p)[0]) seqs.push(queued.shift()!);
          check(start, len, seqs);
          inFlight = { start, len, seqs };
        } else if (inFlight !== null) {
          check(inFlight.start, inFlight.len, inFlight.seqs); // producers did not overwrite it
          ring.release(inFlight.len, inFlight.seqs.length);
          inFlight = null;
        }
      }
      assert.equal(ring.committedTotal - ring.releasedTotal, ring.usedBytes);
    }),
    { numRuns: 500 },
  );
});

test('BlockRing: refuses a block larger than the ring, and a commit without a reserve is a bug', () => {
  const ring = new BlockRing(64, 4);
  assert.equal(ring.reserve(68), -1);
  assert.throws(() => ring.commit(8), RangeError);
  assert.throws(() => new BlockRing(8, 1), RangeError);
});
