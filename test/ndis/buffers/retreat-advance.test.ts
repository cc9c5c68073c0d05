/**
 * NdisRetreatNetBufferDataStart / NdisAdvanceNetBufferDataStart (ndis-core digest §3.2) on NetBuffer:
 * byte vectors for each case, then a model-based property over random MDL chains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MdlOrigin } from '../../../src/ndis/buffers/mdl.js';
import { NetBufferPool } from '../../../src/ndis/buffers/pools.js';
import { NDIS_STATUS_FAILURE, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS } from '../../../src/ndis/status.js';
import {
  assertAllocatorFree, assertConsistent, assertPoolsFull, assertSameNb, buildChain, chainArray, dataOf, hex,
  nbFromSpec, nbSpecArb, newAllocator, seq, snapshot, specData,
} from './support.js';

function fixture(opts: Parameters<typeof newAllocator>[0] = {}) {
  const allocator = newAllocator(opts);
  const pool = new NetBufferPool({ name: 'nb', capacity: 4 }, allocator);
  return { allocator, pool };
}

// --- Byte vectors -----------------------------------------------------------------------------------------

test('retreat within the backfill moves the data start back inside the same MDL and allocates nothing', () => {
  const { allocator, pool } = fixture();
  const [a] = buildChain([{ pad: 2, content: seq(0x10, 8) }]);   // 10 11 12 13 | 14 15 16 17
  const nb = pool.allocate(a!, 4, 4)!;
  assert.deepEqual(dataOf(nb), [...hex('14151617')]);

  assert.equal(nb.retreat(3, 0), NDIS_STATUS_SUCCESS);
  assert.deepEqual([nb.dataOffset, nb.dataLength, nb.currentMdlOffset], [1, 7, 1]);
  assert.ok(nb.mdlChain === a && nb.currentMdl === a);
  assert.deepEqual(dataOf(nb), [...hex('111213', '14151617')]);
  assertAllocatorFree(allocator);
  assertConsistent(nb);

  nb.advance(3, true);
  assert.deepEqual(dataOf(nb), [...hex('14151617')]);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('retreat within the backfill across an MDL boundary moves currentMdl to the earlier MDL', () => {
  const { allocator, pool } = fixture();
  const [a, b] = buildChain([
    { pad: 0, content: hex('10111213') },   // A: wholly backfill before the retreat
    { pad: 1, content: hex('20212223') },   // B: 20 21 backfill, 22 23 data
  ]);
  const nb = pool.allocate(a!, 6, 2)!;
  assert.ok(nb.currentMdl === b);
  assert.equal(nb.currentMdlOffset, 2);

  assert.equal(nb.retreat(3), NDIS_STATUS_SUCCESS);
  assert.ok(nb.currentMdl === a);
  assert.deepEqual([nb.dataOffset, nb.dataLength, nb.currentMdlOffset], [3, 5, 3]);
  assert.deepEqual(dataOf(nb), [...hex('13 20212223')]);
  assertConsistent(nb);
  assertAllocatorFree(allocator);

  nb.advance(3);
  assert.ok(nb.currentMdl === b);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('retreat past the backfill prepends exactly one MDL of (missing + backfill) bytes', () => {
  const { allocator, pool } = fixture();
  const [a] = buildChain([{ pad: 3, content: hex('a0a1 a2a3a4a5a6a7') }]);   // 2 bytes backfill, 6 data
  const nb = pool.allocate(a!, 2, 6)!;

  assert.equal(nb.retreat(5, 16), NDIS_STATUS_SUCCESS);   // 2 from the backfill, 3 missing
  const head = nb.mdlChain!;
  assert.ok(head !== a && head.next === a, 'one new MDL in front of the original chain');
  assert.equal(head.origin, MdlOrigin.Retreat);
  assert.equal(head.byteCount, 3 + 16);
  assert.deepEqual([nb.dataOffset, nb.dataLength], [16, 11]);
  assert.ok(nb.currentMdl === head);
  assert.equal(nb.currentMdlOffset, 16);
  assert.deepEqual(allocator.usage(), { mappings: 0, small: 1, large: 0, contextBlocks: 0 });
  assertConsistent(nb);

  assert.equal(nb.copyIn(hex('e0e1e2e3e4'), 0, 5, 0), 5);   // the new header
  assert.deepEqual(dataOf(nb), [...hex('e0e1e2', 'e3e4', 'a2a3a4a5a6a7')]);
  assert.deepEqual([...a!.bytes.subarray(3, 5)], [...hex('e3e4')], 'the old backfill now holds header bytes');

  nb.advance(5, true);
  assert.ok(nb.mdlChain === a && nb.currentMdl === a);
  assert.deepEqual([nb.dataOffset, nb.dataLength, nb.currentMdlOffset], [2, 6, 2]);
  assert.deepEqual(dataOf(nb), [...hex('a2a3a4a5a6a7')]);
  assertAllocatorFree(allocator);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('retreat past the backfill takes a large chunk when the small class is too small', () => {
  const { allocator, pool } = fixture({ smallChunkSize: 64, largeChunkSize: 1024 });
  const [a] = buildChain([{ pad: 0, content: seq(0, 10) }]);
  const nb = pool.allocate(a!, 0, 10)!;
  assert.equal(nb.retreat(40, 100), NDIS_STATUS_SUCCESS);
  assert.deepEqual(allocator.usage(), { mappings: 0, small: 0, large: 1, contextBlocks: 0 });
  assert.equal(nb.mdlChain!.byteCount, 140);
  nb.advance(40, true);
  assertAllocatorFree(allocator);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('advance with freeMdl = false keeps the retreat MDL, and the next retreat reuses it without allocating', () => {
  const { allocator, pool } = fixture();
  const [a] = buildChain([{ pad: 0, content: seq(0x40, 6) }]);
  const nb = pool.allocate(a!, 0, 6)!;
  assert.equal(nb.retreat(4, 8), NDIS_STATUS_SUCCESS);
  const r = nb.mdlChain!;
  nb.advance(4, false);
  assert.ok(nb.mdlChain === r && r.next === a, 'the retreat MDL stays in the chain');
  assert.ok(nb.currentMdl === a);
  assert.deepEqual([nb.dataOffset, nb.dataLength], [12, 6]);
  assert.equal(allocator.usage().small, 1);
  assertConsistent(nb);

  assert.equal(nb.retreat(10, 0), NDIS_STATUS_SUCCESS);   // fits in the kept 12 bytes
  assert.ok(nb.mdlChain === r);
  assert.equal(allocator.usage().small, 1, 'no second allocation');
  assert.deepEqual([nb.dataOffset, nb.currentMdlOffset], [2, 2]);
  nb.advance(10, true);
  assert.ok(nb.mdlChain === a, 'advance with freeMdl frees it now');
  assert.deepEqual([nb.dataOffset, nb.dataLength], [0, 6]);
  assertAllocatorFree(allocator);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('retreat on an NB with no MDLs builds a one-MDL chain, and advance gives it back', () => {
  const { allocator, pool } = fixture();
  const nb = pool.allocate(null, 0, 0)!;
  assert.equal(nb.retreat(6, 2), NDIS_STATUS_SUCCESS);
  assert.equal(nb.mdlChain!.next, null);
  assert.deepEqual([nb.dataOffset, nb.dataLength], [2, 6]);
  nb.copyIn(hex('0102030405 06'));
  assert.deepEqual(dataOf(nb), [1, 2, 3, 4, 5, 6]);

  nb.advance(6, true);
  assert.equal(nb.mdlChain, null);
  assert.equal(nb.currentMdl, null);
  assert.deepEqual([nb.dataOffset, nb.dataLength, nb.currentMdlOffset], [0, 0, 0]);
  assertConsistent(nb);
  assertAllocatorFree(allocator);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('retreat returns RESOURCES when the allocator is exhausted and leaves the NB unchanged', () => {
  const { allocator, pool } = fixture({ smallChunks: 1, smallChunkSize: 16, largeChunks: 0 });
  const first = pool.allocate(buildChain([{ pad: 0, content: seq(0, 4) }])[0]!, 0, 4)!;
  const second = pool.allocate(buildChain([{ pad: 0, content: seq(9, 4) }])[0]!, 1, 3)!;
  assert.equal(first.retreat(8), NDIS_STATUS_SUCCESS);   // takes the only chunk

  const before = snapshot(second);
  assert.equal(second.retreat(8), NDIS_STATUS_RESOURCES);
  assertSameNb(second, before);
  assert.deepEqual(dataOf(second), [10, 11, 12]);
  first.advance(8, true);

  assert.equal(second.retreat(18), NDIS_STATUS_RESOURCES, 'missing 17 bytes: bigger than every chunk class');
  assertSameNb(second, before);
  assert.equal(second.retreat(1), NDIS_STATUS_SUCCESS, 'the backfill still works');
  second.advance(1);

  assert.ok(pool.free(first) && pool.free(second));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('retreat with a negative delta or backfill returns FAILURE and changes nothing', () => {
  const { allocator, pool } = fixture();
  const nb = pool.allocate(buildChain([{ pad: 0, content: seq(0, 8) }])[0]!, 4, 4)!;
  const before = snapshot(nb);
  assert.equal(nb.retreat(-1), NDIS_STATUS_FAILURE);
  assert.equal(nb.retreat(2, -1), NDIS_STATUS_FAILURE);
  assertSameNb(nb, before);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('advance past the data window throws RangeError and changes nothing', () => {
  const { allocator, pool } = fixture();
  const nb = pool.allocate(buildChain([{ pad: 0, content: seq(0, 8) }])[0]!, 4, 4)!;
  const before = snapshot(nb);
  assert.throws(() => nb.advance(5), RangeError);
  assert.throws(() => nb.advance(-1), RangeError);
  assertSameNb(nb, before);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('freeing an NB to its pool gives back retreat MDLs nobody advanced over', () => {
  const { allocator, pool } = fixture();
  const nb = pool.allocate(buildChain([{ pad: 0, content: seq(0, 4) }])[0]!, 0, 4)!;
  assert.equal(nb.retreat(8, 4), NDIS_STATUS_SUCCESS);
  assert.equal(nb.retreat(300, 0), NDIS_STATUS_SUCCESS);   // small then large
  assert.deepEqual(allocator.usage(), { mappings: 0, small: 1, large: 1, contextBlocks: 0 });
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('checkInvariants reports a currentMdl that does not match dataOffset', () => {
  const { pool } = fixture();
  const [a, b] = buildChain([{ pad: 0, content: seq(0, 4) }, { pad: 0, content: seq(4, 4) }]);
  const nb = pool.allocate(a!, 2, 4)!;
  assert.equal(nb.checkInvariants(), null);
  nb.currentMdlOffset = 3;
  assert.match(nb.checkInvariants()!, /currentMdl/);
  nb.currentMdlOffset = 2;
  nb.currentMdl = b!;
  assert.match(nb.checkInvariants()!, /currentMdl/);
  nb.locate();
  nb.dataLength = 7;
  assert.match(nb.checkInvariants()!, /exceeds chain/);
  nb.dataLength = 4;
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('copyOut, copyIn and byteAt see the window, not the backfill or slack', () => {
  const { pool } = fixture();
  const [a] = buildChain([
    { pad: 1, content: hex('00 01', '02') },   // 2 backfill, 1 data
    { pad: 0, content: hex('') },              // zero-length MDL in the middle
    { pad: 2, content: hex('03 04', '05') },   // 2 data, 1 slack
  ]);
  const nb = pool.allocate(a!, 2, 3)!;
  assert.deepEqual(dataOf(nb), [2, 3, 4]);
  assert.deepEqual([nb.byteAt(-1), nb.byteAt(0), nb.byteAt(1), nb.byteAt(2), nb.byteAt(3)], [-1, 2, 3, 4, -1]);
  const dst = new Uint8Array(4).fill(0xa5);
  assert.equal(nb.copyOut(dst, 1, 1), 2);
  assert.deepEqual([...dst], [0xa5, 3, 4, 0xa5]);
  assert.equal(nb.copyIn(hex('aabbccdd'), 0, 4, 1), 2, 'copyIn stops at the end of the window');
  assert.deepEqual(dataOf(nb), [2, 0xaa, 0xbb]);
  assert.equal(chainArray(nb.mdlChain)[2]!.bytes[2 + 2], 5, 'slack untouched');
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

// --- Properties -------------------------------------------------------------------------------------------

type Op = { kind: 'retreat'; n: number; backfill: number; header: Uint8Array } | { kind: 'advance' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('retreat' as const),
    n: fc.nat({ max: 40 }),
    backfill: fc.nat({ max: 32 }),
    header: fc.uint8Array({ minLength: 40, maxLength: 40 }),
  }),
  fc.constant({ kind: 'advance' as const }),
);

test('property: balanced retreat/advance keeps the bytes equal to the model and restores the exact chain', () => {
  fc.assert(
    fc.property(nbSpecArb, fc.array(opArb, { maxLength: 24 }), (spec, ops) => {
      const { allocator, pool } = fixture();
      const nb = nbFromSpec(pool, spec);
      const original = snapshot(nb);
      let model = specData(spec);
      const stack: number[] = [];
      const check = (): void => {
        assertConsistent(nb);
        assert.equal(nb.dataLength, model.length);
        assert.deepEqual(dataOf(nb), model);
      };
      const undo = (): void => {
        const n = stack.pop()!;
        nb.advance(n, true);
        model = model.slice(n);
        check();
      };
      check();
      for (const op of ops) {
        if (op.kind === 'advance') {
          if (stack.length > 0) undo();
          continue;
        }
        const before = snapshot(nb);
        const lent = allocator.usage();
        assert.equal(nb.retreat(op.n, op.backfill), NDIS_STATUS_SUCCESS);
        const after = snapshot(nb);
        if (op.n <= before.dataOffset) {
          assert.deepEqual(allocator.usage(), lent, 'retreat within the backfill allocates nothing');
          assert.equal(after.mdls.length, before.mdls.length);
          assert.equal(after.dataOffset, before.dataOffset - op.n);
        } else {
          assert.equal(allocator.usage().small + allocator.usage().large, lent.small + lent.large + 1, 'one chunk');
          assert.equal(after.mdls.length, before.mdls.length + 1, 'one leading MDL');
          assert.ok(after.mdls[0]!.next === (before.mdls[0] ?? null));
          assert.equal(after.mdls[0]!.byteCount, op.n - before.dataOffset + op.backfill);
          assert.equal(after.dataOffset, op.backfill);
        }
        assert.equal(nb.copyIn(op.header, 0, op.n, 0), op.n);
        model = [...op.header.subarray(0, op.n), ...model];
        stack.push(op.n);
        check();
      }
      while (stack.length > 0) undo();
      assertSameNb(nb, original, 'after undoing everything');
      assert.deepEqual(dataOf(nb), specData(spec));
      assertAllocatorFree(allocator);
      assert.ok(pool.free(nb));
      assertPoolsFull(pool);
    }),
    { numRuns: 300 },
  );
});

test('property: with freeMdl = false the data still round-trips and the kept MDLs sit wholly in the backfill', () => {
  fc.assert(
    fc.property(nbSpecArb, fc.array(opArb, { maxLength: 16 }), fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }), (spec, ops, frees) => {
      const { allocator, pool } = fixture();
      const nb = nbFromSpec(pool, spec);
      const original = snapshot(nb);
      let model = specData(spec);
      const stack: number[] = [];
      let i = 0;
      const undo = (): void => {
        const n = stack.pop()!;
        nb.advance(n, frees[i++ % frees.length]!);
        model = model.slice(n);
        assertConsistent(nb);
        assert.deepEqual(dataOf(nb), model);
      };
      for (const op of ops) {
        if (op.kind === 'advance') {
          if (stack.length > 0) undo();
          continue;
        }
        assert.equal(nb.retreat(op.n, op.backfill), NDIS_STATUS_SUCCESS);
        nb.copyIn(op.header, 0, op.n, 0);
        model = [...op.header.subarray(0, op.n), ...model];
        stack.push(op.n);
        assertConsistent(nb);
        assert.deepEqual(dataOf(nb), model);
      }
      while (stack.length > 0) undo();
      const now = chainArray(nb.mdlChain);
      const extra = now.slice(0, now.length - original.mdls.length);
      for (const [k, m] of now.slice(extra.length).entries()) assert.ok(m === original.mdls[k], 'original MDLs form the tail');
      for (const m of extra) assert.equal(m.origin, MdlOrigin.Retreat);
      assert.equal(nb.dataOffset, original.dataOffset + extra.reduce((n, m) => n + m.byteCount, 0));
      assert.equal(nb.dataLength, original.dataLength);
      assert.deepEqual(dataOf(nb), specData(spec));
      assert.ok(pool.free(nb));
      assertPoolsFull(pool);
      assertAllocatorFree(allocator);
    }),
    { numRuns: 200 },
  );
});
