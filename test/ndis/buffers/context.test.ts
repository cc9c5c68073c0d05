/**
 * NET_BUFFER_LIST_CONTEXT (ndis-core digest §3.4): NdisAllocateNetBufferListContext /
 * NdisFreeNetBufferListContext as a LIFO stack over the pool's preallocated ContextSize area and then
 * allocator blocks, plus the per-layer pointer slots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NetBufferListPool } from '../../../src/ndis/buffers/pools.js';
import { NDIS_STATUS_FAILURE, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS } from '../../../src/ndis/status.js';
import { assertAllocatorFree, assertPoolsFull, newAllocator } from './support.js';

/** ContextSize 32 preallocated per NBL; the allocator has `blocks` blocks of 64 bytes. */
function fixture(blocks = 2, contextSize = 32) {
  const allocator = newAllocator({ contextBlocks: blocks, contextBlockSize: 64 });
  const pool = new NetBufferListPool({ name: 'ctx', capacity: 2, contextSize }, allocator);
  return { allocator, pool };
}

test('allocateContext takes room from the preallocated ContextSize area first', () => {
  const { allocator, pool } = fixture();
  const nbl = pool.allocate()!;
  const area = nbl.context!;
  assert.ok(area === nbl.poolContext);
  assert.equal(nbl.contextDataSize, 0);
  assert.equal(nbl.allocateContext(16), NDIS_STATUS_SUCCESS);
  assert.equal(nbl.allocateContext(16), NDIS_STATUS_SUCCESS);
  assert.ok(nbl.context === area);
  assert.deepEqual([area.offset, nbl.contextDataSize], [0, 32]);
  assert.equal(allocator.usage().contextBlocks, 0);
  nbl.freeContext(16);
  nbl.freeContext(16);
  assert.equal(nbl.contextDataSize, 0);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('allocateContext links a new block when the top has no room, and freeContext unlinks it LIFO', () => {
  const { allocator, pool } = fixture();
  const nbl = pool.allocate()!;
  const area = nbl.context!;
  assert.equal(nbl.allocateContext(16), NDIS_STATUS_SUCCESS);       // area: 16 used, 16 left
  assert.equal(nbl.allocateContext(32), NDIS_STATUS_SUCCESS);       // does not fit: block 1
  const block = nbl.context!;
  assert.ok(block !== area && block.next === area);
  assert.deepEqual([block.size, block.offset, nbl.contextDataSize], [64, 32, 32]);
  assert.equal(allocator.usage().contextBlocks, 1);
  assert.equal(nbl.allocateContext(16, 0), NDIS_STATUS_SUCCESS);    // fits in block 1's remaining 32
  assert.ok(nbl.context === block);
  assert.equal(allocator.usage().contextBlocks, 1);

  nbl.freeContext(16);
  assert.ok(nbl.context === block);
  nbl.freeContext(32);                                              // block 1 empties: back to the allocator
  assert.ok(nbl.context === area);
  assert.equal(allocator.usage().contextBlocks, 0);
  assert.equal(nbl.contextDataSize, 16);
  nbl.freeContext(16);
  assert.ok(nbl.context === area, 'the preallocated area stays');
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('allocateContext on a pool without ContextSize starts with an allocator block', () => {
  const { allocator, pool } = fixture(2, 0);
  const nbl = pool.allocate()!;
  assert.equal(nbl.context, null);
  assert.equal(nbl.allocateContext(16, 16), NDIS_STATUS_SUCCESS);
  assert.equal(allocator.usage().contextBlocks, 1);
  nbl.freeContext(16);
  assert.equal(nbl.context, null);
  assertAllocatorFree(allocator);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
});

test('allocateContext returns FAILURE for sizes that are not positive multiples of 16, changing nothing', () => {
  const { allocator, pool } = fixture();
  const nbl = pool.allocate()!;
  for (const size of [0, 8, 24, -16, 17]) assert.equal(nbl.allocateContext(size), NDIS_STATUS_FAILURE, `size ${size}`);
  assert.equal(nbl.allocateContext(16, -1), NDIS_STATUS_FAILURE, 'negative backfill');
  assert.equal(nbl.contextDataSize, 0);
  assert.equal(nbl.context!.offset, 32);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('allocateContext returns RESOURCES when blocks run out or a request exceeds a block, changing nothing', () => {
  const { allocator, pool } = fixture(1);
  const nbl = pool.allocate()!;
  assert.equal(nbl.allocateContext(32), NDIS_STATUS_SUCCESS);   // the preallocated area
  assert.equal(nbl.allocateContext(64), NDIS_STATUS_SUCCESS);   // the only block, full
  const top = nbl.context!;
  assert.equal(nbl.allocateContext(16), NDIS_STATUS_RESOURCES);
  assert.equal(nbl.allocateContext(48, 32), NDIS_STATUS_RESOURCES, '48 + 32 > 64');
  assert.ok(nbl.context === top && top.offset === 0);
  nbl.freeContext(64);
  assert.equal(nbl.allocateContext(80), NDIS_STATUS_RESOURCES, 'bigger than a block');
  assert.equal(nbl.contextDataSize, 32);
  nbl.freeContext(32);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('pool allocate with a contextSize it cannot satisfy returns null and keeps the NBL in the pool', () => {
  const { allocator, pool } = fixture(0);
  assert.equal(pool.allocate(48), null);
  assertPoolsFull(pool);
  const nbl = pool.allocate(32)!;   // fits the preallocated area
  assert.equal(nbl.contextDataSize, 32);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('freeContext of more than the top area holds throws RangeError', () => {
  const { allocator, pool } = fixture();
  const nbl = pool.allocate()!;
  assert.throws(() => nbl.freeContext(16), RangeError);
  assert.equal(nbl.allocateContext(16), NDIS_STATUS_SUCCESS);
  assert.equal(nbl.allocateContext(32), NDIS_STATUS_SUCCESS);   // new block
  assert.throws(() => nbl.freeContext(48), RangeError, 'a free never spans blocks');
  nbl.freeContext(32);
  nbl.freeContext(16);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('context pointer slots are private to each layer, across block boundaries', () => {
  const { allocator, pool } = fixture();
  const nbl = pool.allocate()!;
  const objA0 = { layer: 'A0' };
  const objA1 = { layer: 'A1' };
  const objB = { layer: 'B' };
  const objC = { layer: 'C' };
  assert.equal(nbl.allocateContext(16), NDIS_STATUS_SUCCESS);   // layer A (area)
  nbl.setContextPointer(0, objA0);
  nbl.setContextPointer(1, objA1);
  assert.equal(nbl.allocateContext(16), NDIS_STATUS_SUCCESS);   // layer B (area)
  assert.equal(nbl.getContextPointer(0), null, 'B does not see A\'s slots');
  nbl.setContextPointer(0, objB);
  assert.equal(nbl.allocateContext(32), NDIS_STATUS_SUCCESS);   // layer C (new block)
  assert.equal(nbl.getContextPointer(0), null);
  nbl.setContextPointer(3, objC);
  assert.throws(() => nbl.setContextPointer(4, objC), RangeError, 'slot 4 lies outside C\'s 32 bytes');

  nbl.freeContext(32);
  assert.equal(nbl.getContextPointer(0), objB);
  nbl.freeContext(16);
  assert.equal(nbl.getContextPointer(0), objA0);
  assert.equal(nbl.getContextPointer(1), objA1);
  nbl.freeContext(16);

  assert.equal(nbl.allocateContext(32), NDIS_STATUS_SUCCESS);
  assert.deepEqual([0, 1, 2, 3].map((i) => nbl.getContextPointer(i)), [null, null, null, null], 'freed slots are cleared');
  nbl.freeContext(32);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('setContextPointer without an allocated context area throws RangeError', () => {
  const { pool } = fixture(2, 0);
  const nbl = pool.allocate()!;
  assert.throws(() => nbl.setContextPointer(0, 1), RangeError);
  assert.equal(nbl.getContextPointer(0), undefined);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
});

test('pool free unwinds context blocks a driver forgot to free and resets the preallocated area', () => {
  const { allocator, pool } = fixture(2);
  const nbl = pool.allocate()!;
  assert.equal(nbl.allocateContext(32), NDIS_STATUS_SUCCESS);
  nbl.setContextPointer(0, 'stale');
  assert.equal(nbl.allocateContext(64), NDIS_STATUS_SUCCESS);
  assert.equal(nbl.allocateContext(64), NDIS_STATUS_SUCCESS);
  assert.equal(allocator.usage().contextBlocks, 2);
  assert.ok(pool.free(nbl));
  assertAllocatorFree(allocator);

  const again = pool.allocate()!;
  assert.ok(again.context === again.poolContext);
  assert.deepEqual([again.contextDataSize, again.context!.next], [0, null]);
  assert.equal(again.allocateContext(32), NDIS_STATUS_SUCCESS);
  assert.equal(again.getContextPointer(0), null, 'no stale pointer');
  assert.ok(pool.free(again));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('property: any LIFO sequence of context allocations and frees leaves the allocator full', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.record({ size: fc.integer({ min: 1, max: 4 }).map((n) => n * 16), backfill: fc.nat({ max: 48 }) }), fc.constant(null)), { maxLength: 30 }),
      fc.boolean(),
      (ops, forget) => {
        const { allocator, pool } = fixture(3);
        const nbl = pool.allocate()!;
        const stack: { size: number; tag: object }[] = [];
        for (const op of ops) {
          if (op === null) {
            const top = stack.pop();
            if (top !== undefined) {
              assert.equal(nbl.getContextPointer(0), top.tag, 'the top layer sees its own slot');
              nbl.freeContext(top.size);
            }
          } else {
            const before = nbl.contextDataSize;
            const blocks = allocator.usage().contextBlocks;
            const status = nbl.allocateContext(op.size, op.backfill);
            if (status === NDIS_STATUS_SUCCESS) {
              const tag = { n: stack.length };
              nbl.setContextPointer(0, tag);
              stack.push({ size: op.size, tag });
            } else {
              assert.equal(status, NDIS_STATUS_RESOURCES);
              assert.deepEqual([nbl.contextDataSize, allocator.usage().contextBlocks], [before, blocks], 'unchanged');
            }
          }
        }
        if (!forget) while (stack.length > 0) nbl.freeContext(stack.pop()!.size);
        if (!forget) assert.equal(allocator.usage().contextBlocks, 0);
        assert.ok(pool.free(nbl));
        assertPoolsFull(pool);
        assertAllocatorFree(allocator);
      },
    ),
    { numRuns: 200 },
  );
});
