/**
 * NBL and NB pools (ndis-core digest §3.3, anchors §6.5): fixed capacity, exhaustion as a value, refused
 * frees reported to the observer, DataSize slabs in a SharedArrayBuffer, state reset on free.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MdlOrigin } from '../../../src/ndis/buffers/mdl.js';
import {
  chainNetBufferLists, countNetBufferLists, netBufferListsToArray, type NetBufferList,
} from '../../../src/ndis/buffers/net-buffer-list.js';
import type { NetBuffer } from '../../../src/ndis/buffers/net-buffer.js';
import { NetBufferListPool, NetBufferPool } from '../../../src/ndis/buffers/pools.js';
import { NDIS_STATUS_SUCCESS, NDIS_STATUS_PAUSED } from '../../../src/ndis/status.js';
import { assertAllocatorFree, assertPoolsFull, buildChain, dataOf, hex, newAllocator, RecordingObserver, seq } from './support.js';

function fixture() {
  const allocator = newAllocator();
  const observer = new RecordingObserver();
  return { allocator, observer };
}

// --- Exhaustion and cycles ----------------------------------------------------------------------------------

test('NBL pool exhaustion returns null and bumps exhaustedCount without throwing or growing', () => {
  const { allocator, observer } = fixture();
  const pool = new NetBufferListPool({ name: 'p', capacity: 2 }, allocator, observer);
  const a = pool.allocate()!;
  const b = pool.allocate()!;
  assert.ok(a !== b);
  assert.equal(pool.allocate(), null);
  assert.equal(pool.allocate(), null);
  assert.deepEqual([pool.exhaustedCount, pool.inUse, pool.available, pool.capacity], [2, 2, 0, 2]);
  assert.ok(pool.free(a) && pool.free(b));
  assert.deepEqual([pool.inUse, pool.available, pool.capacity], [0, 2, 2]);
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
  assert.equal(observer.events.length, 0);
});

test('NB pool exhaustion returns null and bumps exhaustedCount without throwing or growing', () => {
  const { allocator } = fixture();
  const pool = new NetBufferPool({ name: 'p', capacity: 1 }, allocator);
  const nb = pool.allocate()!;
  assert.equal(pool.allocate(), null);
  assert.deepEqual([pool.exhaustedCount, pool.inUse, pool.capacity], [1, 1, 1]);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

type PoolOp = { kind: 'alloc' } | { kind: 'free'; pick: number };
const poolOpArb: fc.Arbitrary<PoolOp> = fc.oneof(
  fc.constant({ kind: 'alloc' as const }),
  fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
);

test('property: allocate/free cycles keep capacity, hand out distinct objects and count every refusal', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.array(poolOpArb, { maxLength: 60 }), (capacity, withNb, ops) => {
      const { allocator, observer } = fixture();
      const pool = new NetBufferListPool({ name: 'p', capacity, allocateNetBuffer: withNb }, allocator, observer);
      const live: NetBufferList[] = [];
      const seen = new Set<NetBufferList>();
      let refused = 0;
      for (const op of ops) {
        if (op.kind === 'alloc') {
          const nbl = pool.allocate();
          if (live.length === capacity) {
            assert.equal(nbl, null);
            refused++;
          } else {
            assert.ok(nbl !== null && !live.includes(nbl));
            assert.equal(nbl.allocated, true);
            assert.equal(nbl.firstNetBuffer !== null, withNb);
            live.push(nbl);
            seen.add(nbl);
          }
        } else if (live.length > 0) {
          const [nbl] = live.splice(op.pick % live.length, 1);
          assert.ok(pool.free(nbl!));
          assert.equal(nbl!.allocated, false);
        }
        assert.deepEqual([pool.inUse, pool.available, pool.exhaustedCount], [live.length, capacity - live.length, refused]);
      }
      assert.ok(seen.size <= capacity, 'never more objects than the capacity');
      for (const nbl of live) assert.ok(pool.free(nbl));
      assertPoolsFull(pool);
      assertAllocatorFree(allocator);
      assert.equal(observer.events.length, 0);
    }),
    { numRuns: 200 },
  );
});

// --- Refused frees --------------------------------------------------------------------------------------------

test('a double free of an NBL is refused and reported as double-free', () => {
  const { allocator, observer } = fixture();
  const pool = new NetBufferListPool({ name: 'p', capacity: 2 }, allocator, observer);
  const nbl = pool.allocate()!;
  const other = pool.allocate()!;
  assert.ok(pool.free(nbl));
  assert.equal(pool.free(nbl), false);
  assert.equal(pool.inUse, 1, 'the refused free did not push the slot twice');
  assert.deepEqual(observer.events.map((e) => [e.pool, e.error]), [['p', 'double-free']]);
  assert.ok(observer.events[0]!.item === nbl);
  const again = pool.allocate()!;
  assert.equal(pool.allocate(), null, 'still only two slots');
  assert.ok(pool.free(again) && pool.free(other));
  assertPoolsFull(pool);
});

test('freeing an NBL to another pool is refused and reported as wrong-pool', () => {
  const { allocator, observer } = fixture();
  const a = new NetBufferListPool({ name: 'a', capacity: 1 }, allocator, observer);
  const b = new NetBufferListPool({ name: 'b', capacity: 1 }, allocator, observer);
  const nbl = a.allocate()!;
  assert.equal(b.free(nbl), false);
  assert.deepEqual(observer.events.map((e) => [e.pool, e.error]), [['b', 'wrong-pool']]);
  assert.ok(nbl.allocated);
  assert.deepEqual([a.inUse, b.inUse, b.available], [1, 0, 1]);
  assert.ok(a.free(nbl));
  assertPoolsFull(a, b);
});

test('a double free or wrong-pool free of an NB is refused and reported', () => {
  const { allocator, observer } = fixture();
  const a = new NetBufferPool({ name: 'a', capacity: 1 }, allocator, observer);
  const b = new NetBufferPool({ name: 'b', capacity: 1 }, allocator, observer);
  const nb = a.allocate()!;
  assert.equal(b.free(nb), false);
  assert.ok(a.free(nb));
  assert.equal(a.free(nb), false);
  assert.deepEqual(observer.events.map((e) => [e.pool, e.error]), [['b', 'wrong-pool'], ['a', 'double-free']]);
  assertPoolsFull(a, b);
});

test('refused frees without an observer return false and do not throw', () => {
  const { allocator } = fixture();
  const pool = new NetBufferListPool({ name: 'p', capacity: 1 }, allocator);
  const nbl = pool.allocate()!;
  assert.ok(pool.free(nbl));
  assert.equal(pool.free(nbl), false);
  assertPoolsFull(pool);
});

// --- What a pool hands out ----------------------------------------------------------------------------------

test('free resets every NBL field a driver may have written', () => {
  const { allocator } = fixture();
  const pool = new NetBufferListPool({ name: 'p', capacity: 1, allocateNetBuffer: true }, allocator);
  const nbl = pool.allocate()!;
  const nb = nbl.firstNetBuffer!;
  nbl.sourceHandle = {};
  nbl.setFlag(0x201);
  nbl.flags = 0x00100000;
  nbl.status = NDIS_STATUS_PAUSED;
  nbl.scratch = 'x';
  nbl.protocolReserved[3] = 1;
  nbl.miniportReserved[1] = 2;
  nbl.info.frameType = 0x0008;
  nbl.info.cancelId = 7;
  nbl.next = nbl;
  nb.checksumBias = 5;
  nb.protocolReserved[5] = 3;
  nb.miniportReserved[0] = 4;
  nb.setData(buildChain([{ pad: 0, content: seq(0, 4) }])[0]!, 1, 2);
  assert.ok(pool.free(nbl));

  const again = pool.allocate()!;
  assert.ok(again === nbl && again.firstNetBuffer === nb);
  assert.deepEqual(
    [again.sourceHandle, again.nblFlags, again.flags, again.status, again.scratch, again.next, again.info.frameType, again.info.cancelId],
    [null, 0, 0, NDIS_STATUS_SUCCESS, null, null, 0, 0],
  );
  assert.deepEqual([...again.protocolReserved, ...again.miniportReserved], [null, null, null, null, null, null]);
  assert.deepEqual([nb.mdlChain, nb.currentMdl, nb.dataOffset, nb.dataLength, nb.checksumBias, nb.next], [null, null, 0, 0, 0, null]);
  assert.ok(nb.protocolReserved.every((v) => v === null) && nb.miniportReserved.every((v) => v === null));
  assert.ok(pool.free(again));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('a DataSize pool hands out NBLs whose NB and MDL lie in one SharedArrayBuffer slab, one slot each', () => {
  const { allocator } = fixture();
  const pool = new NetBufferListPool({ name: 'rx', capacity: 3, dataSize: 128 }, allocator);
  assert.equal(pool.allocateNetBuffer, true, 'DataSize implies fAllocateNetBuffer');
  const nbls = [pool.allocate()!, pool.allocate()!, pool.allocate()!];
  const mdls = nbls.map((n) => n.firstNetBuffer!.mdlChain!);
  const slab = mdls[0]!.bytes;
  assert.ok(slab.buffer instanceof SharedArrayBuffer);
  assert.equal(slab.buffer.byteLength, 3 * 128);
  for (const m of mdls) {
    assert.ok(m.bytes === slab, 'one slab');
    assert.equal(m.origin, MdlOrigin.Pool);
    assert.equal(m.byteCount, 128);
    assert.equal(m.next, null);
  }
  assert.deepEqual(mdls.map((m) => m.byteOffset).sort((x, y) => x - y), [0, 128, 256], 'disjoint slots');
  for (const n of nbls) assert.deepEqual([n.firstNetBuffer!.dataOffset, n.firstNetBuffer!.dataLength], [0, 128]);

  nbls[0]!.firstNetBuffer!.copyIn(new Uint8Array(128).fill(0x11));
  nbls[1]!.firstNetBuffer!.copyIn(new Uint8Array(128).fill(0x22));
  assert.ok(dataOf(nbls[0]!.firstNetBuffer!).every((b) => b === 0x11), 'writes stay in their slot');
  for (const n of nbls) assert.ok(pool.free(n));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('a DataSize NB gets its full slot back after free, whatever window and retreats it had', () => {
  const { allocator } = fixture();
  const pool = new NetBufferListPool({ name: 'rx', capacity: 1, dataSize: 64 }, allocator);
  const nbl = pool.allocate()!;
  const nb = nbl.firstNetBuffer!;
  const slot = nb.mdlChain!;
  nb.dataLength = 60;                                   // a received 60-byte frame
  nb.advance(14);                                       // a layer strips the Ethernet header
  assert.equal(nb.retreat(30, 8), NDIS_STATUS_SUCCESS); // and another prepends more than the backfill
  assert.equal(allocator.usage().small, 1);
  assert.ok(pool.free(nbl));
  assertAllocatorFree(allocator);

  const again = pool.allocate()!;
  const nb2 = again.firstNetBuffer!;
  assert.ok(nb2 === nb && nb2.mdlChain === slot && nb2.currentMdl === slot);
  assert.deepEqual([nb2.dataOffset, nb2.dataLength, nb2.currentMdlOffset, slot.byteCount], [0, 64, 0, 64]);
  assert.equal(nb2.checkInvariants(), null);
  assert.ok(pool.free(again));
  assertPoolsFull(pool);
});

test('allocateWithNetBuffer points the preallocated NB at the caller\'s MDL chain', () => {
  const { allocator } = fixture();
  const pool = new NetBufferListPool({ name: 'tx', capacity: 1, allocateNetBuffer: true }, allocator);
  const [a, b] = buildChain([{ pad: 1, content: hex('00010203') }, { pad: 0, content: hex('0405') }]);
  const nbl = pool.allocateWithNetBuffer(a!, 3, 3)!;
  const nb = nbl.firstNetBuffer!;
  assert.ok(nb.mdlChain === a && nb.currentMdl === a);
  assert.deepEqual([nb.dataOffset, nb.dataLength, nb.currentMdlOffset], [3, 3, 3]);
  assert.deepEqual(dataOf(nb), [3, 4, 5]);
  assert.equal(pool.allocateWithNetBuffer(b!, 0, 2), null, 'exhausted');
  assert.equal(pool.exhaustedCount, 1);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('allocateWithNetBuffer with a window outside the chain throws RangeError and leaves the pool full', () => {
  const { allocator } = fixture();
  const pool = new NetBufferListPool({ name: 'tx', capacity: 1, allocateNetBuffer: true, contextSize: 16 }, allocator);
  const [a] = buildChain([{ pad: 0, content: seq(0, 4) }]);
  assert.throws(() => pool.allocateWithNetBuffer(a!, 2, 3, 32), RangeError);
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
  assert.ok(pool.allocateWithNetBuffer(a!, 2, 2) !== null, 'the slot is still there');
  pool.free(pool.allocatedNetBufferLists()[0]!);
  assertPoolsFull(pool);
});

test('allocateWithNetBuffer needs fAllocateNetBuffer and no DataSize', () => {
  const { allocator } = fixture();
  const plain = new NetBufferListPool({ name: 'plain', capacity: 1 }, allocator);
  const data = new NetBufferListPool({ name: 'data', capacity: 1, dataSize: 32 }, allocator);
  assert.throws(() => plain.allocateWithNetBuffer(null, 0, 0), TypeError);
  assert.throws(() => data.allocateWithNetBuffer(null, 0, 0), TypeError);
  assertPoolsFull(plain, data);
});

test('NetBufferPool.allocate describes the given chain, and free forgets it', () => {
  const { allocator } = fixture();
  const pool = new NetBufferPool({ name: 'nb', capacity: 2 }, allocator);
  const [a] = buildChain([{ pad: 0, content: hex('0a0b0c0d') }]);
  const nb = pool.allocate(a!, 1, 2)!;
  assert.equal(nb.allocated, true);
  assert.deepEqual(dataOf(nb), [0x0b, 0x0c]);
  const bare = pool.allocate()!;
  assert.deepEqual([bare.mdlChain, bare.dataLength], [null, 0]);
  assert.ok(pool.free(nb) && pool.free(bare));
  assert.deepEqual([nb.allocated, nb.mdlChain, nb.dataLength], [false, null, 0]);
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('NetBufferPool with a DataSize hands out NBs over their own slab slot', () => {
  const { allocator } = fixture();
  const pool = new NetBufferPool({ name: 'nb', capacity: 2, dataSize: 32 }, allocator);
  const x = pool.allocate()!;
  const y = pool.allocate()!;
  assert.ok(x.mdlChain!.bytes.buffer instanceof SharedArrayBuffer);
  assert.ok(x.mdlChain!.bytes === y.mdlChain!.bytes && x.mdlChain !== y.mdlChain);
  assert.deepEqual([x.dataLength, y.dataLength], [32, 32]);
  x.dataLength = 10;
  assert.ok(pool.free(x) && pool.free(y));
  const z = pool.allocate()!;
  assert.equal(z.dataLength, 32);
  assert.ok(pool.free(z));
  assertPoolsFull(pool);
});

test('NetBufferPool.allocate with a window outside the chain throws RangeError and leaves the pool full', () => {
  const { allocator } = fixture();
  const pool = new NetBufferPool({ name: 'nb', capacity: 1 }, allocator);
  const [a] = buildChain([{ pad: 0, content: seq(0, 4) }]);
  assert.throws(() => pool.allocate(a!, 3, 2), RangeError);
  assertPoolsFull(pool);
  const nb = pool.allocate(a!, 0, 4);
  assert.ok(nb !== null, 'the slot is still there');
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('pool parameters are validated at creation', () => {
  const { allocator } = fixture();
  assert.throws(() => new NetBufferListPool({ capacity: 0 }, allocator), RangeError);
  assert.throws(() => new NetBufferListPool({ capacity: 1.5 }, allocator), RangeError);
  assert.throws(() => new NetBufferListPool({ capacity: 1, dataSize: 64, allocateNetBuffer: false }, allocator), RangeError);
  assert.throws(() => new NetBufferListPool({ capacity: 1, contextSize: 24 }, allocator), RangeError);
  assert.throws(() => new NetBufferListPool({ capacity: 1, dataSize: -1 }, allocator), RangeError);
  assert.throws(() => new NetBufferPool({ capacity: 0 }, allocator), RangeError);
  const p = new NetBufferListPool({ capacity: 1, protocolId: 0x02, poolTag: 'tsnd' }, allocator);
  assert.deepEqual([p.protocolId, p.poolTag, p.allocateNetBuffer, p.contextSize, p.dataSize], [0x02, 'tsnd', false, 0, 0]);
  assertPoolsFull(p);
  assertAllocatorFree(allocator);
});

test('allocatedNetBufferLists and forEachAllocated list exactly the NBLs lent out', () => {
  const { allocator } = fixture();
  const pool = new NetBufferListPool({ name: 'p', capacity: 3 }, allocator);
  const a = pool.allocate()!;
  const b = pool.allocate()!;
  const c = pool.allocate()!;
  assert.ok(pool.free(b));
  const seen: NetBufferList[] = [];
  pool.forEachAllocated((n) => seen.push(n));
  assert.deepEqual(new Set(seen), new Set([a, c]));
  assert.deepEqual(new Set(pool.allocatedNetBufferLists()), new Set([a, c]));
  assert.ok(pool.free(a) && pool.free(c));
  let visits = 0;
  pool.forEachAllocated(() => visits++);
  assert.equal(visits, 0);
  assertPoolsFull(pool);
});

// --- NBL basics -----------------------------------------------------------------------------------------------

test('NBL chain helpers link, count and list in order', () => {
  const { allocator } = fixture();
  const pool = new NetBufferListPool({ name: 'p', capacity: 3 }, allocator);
  const nbls = [pool.allocate()!, pool.allocate()!, pool.allocate()!];
  const head = chainNetBufferLists(nbls);
  assert.ok(head === nbls[0] && nbls[0]!.next === nbls[1] && nbls[1]!.next === nbls[2] && nbls[2]!.next === null);
  assert.equal(countNetBufferLists(head), 3);
  assert.deepEqual(netBufferListsToArray(head), nbls);
  assert.equal(chainNetBufferLists([]), null);
  assert.equal(countNetBufferLists(null), 0);
  for (const n of nbls) assert.ok(pool.free(n));
  assertPoolsFull(pool);
});

test('NBL netBufferCount and dataLength sum over its NetBuffers', () => {
  const { allocator } = fixture();
  const nblPool = new NetBufferListPool({ name: 'p', capacity: 1 }, allocator);
  const nbPool = new NetBufferPool({ name: 'nb', capacity: 2 }, allocator);
  const nbl = nblPool.allocate()!;
  const x: NetBuffer = nbPool.allocate(buildChain([{ pad: 0, content: seq(0, 10) }])[0]!, 2, 5)!;
  const y: NetBuffer = nbPool.allocate(buildChain([{ pad: 0, content: seq(0, 10) }])[0]!, 0, 7)!;
  nbl.firstNetBuffer = x;
  x.next = y;
  assert.deepEqual([nbl.netBufferCount, nbl.dataLength], [2, 12]);
  nbl.firstNetBuffer = null;
  assert.ok(nbPool.free(x) && nbPool.free(y) && nblPool.free(nbl));
  assertPoolsFull(nblPool, nbPool);
});

test('NBL flag helpers set, test and clear single NDIS_NBL_FLAGS bits', () => {
  const { allocator } = fixture();
  const pool = new NetBufferListPool({ name: 'p', capacity: 1 }, allocator);
  const nbl = pool.allocate()!;
  nbl.setFlag(0x200);   // NDIS_NBL_FLAGS_IS_IPV4
  nbl.setFlag(0x800);   // NDIS_NBL_FLAGS_IS_TCP
  assert.ok(nbl.testFlag(0x200) && nbl.testFlag(0x800) && !nbl.testFlag(0x400));
  nbl.clearFlag(0x200);
  assert.equal(nbl.nblFlags, 0x800);
  assert.ok(pool.free(nbl));
  assertPoolsFull(pool);
});
