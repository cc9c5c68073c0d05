/**
 * NdisGetDataBuffer (ndis-core digest §3.2) as NetBuffer.getDataBuffer: the packet's own memory when the
 * bytes are contiguous and aligned, a copy into caller storage otherwise, false when neither works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteSpan } from '../../../src/ndis/buffers/bytes.js';
import { Mdl } from '../../../src/ndis/buffers/mdl.js';
import { NetBufferPool } from '../../../src/ndis/buffers/pools.js';
import {
  assertAllocatorFree, assertPoolsFull, buildChain, chainBytes, dataOf, hex, nbFromSpec, nbSpecArb, newAllocator, specData,
  type NbSpec,
} from './support.js';

function fixture() {
  const allocator = newAllocator();
  const pool = new NetBufferPool({ name: 'nb', capacity: 2 }, allocator);
  return { allocator, pool };
}

function spanBytes(span: ByteSpan): number[] {
  return [...span.bytes.subarray(span.offset, span.offset + span.length)];
}

test('getDataBuffer returns the packet\'s own memory when the bytes lie in one MDL', () => {
  const { allocator, pool } = fixture();
  const [a] = buildChain([{ pad: 4, content: hex('0001', '0203040506070809') }]);
  const nb = pool.allocate(a!, 2, 8)!;
  const span = new ByteSpan();
  assert.ok(nb.getDataBuffer(6, null, span));
  assert.ok(span.bytes === a!.bytes, 'same backing array: no copy');
  assert.deepEqual([span.offset, span.length], [4 + 2, 6]);
  assert.deepEqual(spanBytes(span), [...hex('020304050607')]);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
  assertAllocatorFree(allocator);
});

test('getDataBuffer copies into storage when the bytes span two MDLs', () => {
  const { pool } = fixture();
  const [a] = buildChain([{ pad: 0, content: hex('00 01', '0203') }, { pad: 1, content: hex('04050607') }]);
  const nb = pool.allocate(a!, 2, 6)!;
  const storage = new Uint8Array(8).fill(0xa5);
  const span = new ByteSpan();
  assert.ok(nb.getDataBuffer(5, storage, span));
  assert.ok(span.bytes === storage);
  assert.deepEqual([span.offset, span.length], [0, 5]);
  assert.deepEqual([...storage], [...hex('0203040506', 'a5a5a5')]);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('getDataBuffer fails without storage when the bytes span two MDLs', () => {
  const { pool } = fixture();
  const [a] = buildChain([{ pad: 0, content: hex('0001') }, { pad: 0, content: hex('0203') }]);
  const nb = pool.allocate(a!, 0, 4)!;
  const span = new ByteSpan();
  assert.equal(nb.getDataBuffer(3, null, span), false);
  assert.equal(nb.getDataBuffer(3, new Uint8Array(2), span), false, 'storage too small');
  assert.ok(nb.getDataBuffer(2, null, span), 'the first two are contiguous');
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('getDataBuffer fails when bytesNeeded exceeds dataLength, even with storage', () => {
  const { pool } = fixture();
  const [a] = buildChain([{ pad: 0, content: hex('00010203') }]);
  const nb = pool.allocate(a!, 1, 2)!;
  const span = new ByteSpan();
  assert.equal(nb.getDataBuffer(3, new Uint8Array(16), span), false);
  assert.equal(nb.getDataBuffer(-1, new Uint8Array(16), span), false);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('getDataBuffer honours alignMultiple/alignOffset on the address within the ArrayBuffer', () => {
  const { pool } = fixture();
  const buffer = new ArrayBuffer(32);
  const view = new Uint8Array(buffer, 3, 20);                // view starts at address 3
  view.set(hex('00', '0102030405060708090a0b0c0d0e0f10111213'));
  const nb = pool.allocate(Mdl.over(view, 1, 16), 2, 8)!;     // data at view index 3 = address 6
  const span = new ByteSpan();

  assert.ok(nb.getDataBuffer(4, null, span, 4, 2), '6 % 4 == 2: in place');
  assert.ok(span.bytes === view);
  assert.equal(span.offset, 3);

  assert.equal(nb.getDataBuffer(4, null, span, 4, 0), false, '6 % 4 != 0 and no storage');
  const storage = new Uint8Array(4);
  assert.ok(nb.getDataBuffer(4, storage, span, 4, 0));
  assert.ok(span.bytes === storage, 'misaligned: copied');
  assert.deepEqual(spanBytes(span), [...hex('03040506')]);

  assert.ok(nb.getDataBuffer(4, null, span, 2, 0), '6 % 2 == 0');
  assert.ok(nb.getDataBuffer(4, null, span, 1, 0), 'alignMultiple 1 = no requirement');
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

test('getDataBuffer never writes into the packet', () => {
  const { pool } = fixture();
  const [a] = buildChain([{ pad: 0, content: hex('0001') }, { pad: 0, content: hex('0203') }]);
  const nb = pool.allocate(a!, 0, 4)!;
  const before = chainBytes(nb.mdlChain);
  nb.getDataBuffer(4, new Uint8Array(4), new ByteSpan());
  assert.deepEqual(chainBytes(nb.mdlChain), before);
  assert.ok(pool.free(nb));
  assertPoolsFull(pool);
});

/** Where the data starts, computed from the spec: segment index and offset (skipping wholly-unused MDLs). */
function dataStart(spec: NbSpec): { seg: number; off: number } | null {
  let rest = spec.dataOffset;
  for (let i = 0; i < spec.segments.length; i++) {
    const len = spec.segments[i]!.content.length;
    if (rest < len) return { seg: i, off: rest };
    rest -= len;
  }
  return null;
}

test('property: getDataBuffer yields the first n data bytes, in place exactly when contiguous and aligned', () => {
  fc.assert(
    fc.property(
      nbSpecArb.filter((s) => s.dataLength > 0),
      fc.nat(),
      fc.boolean(),
      fc.constantFrom(1, 2, 4, 8),
      fc.nat(),
      (spec, k, withStorage, alignMultiple, o) => {
        const { allocator, pool } = fixture();
        const nb = nbFromSpec(pool, spec);
        const n = 1 + (k % spec.dataLength);
        const alignOffset = o % alignMultiple;
        const storage = withStorage ? new Uint8Array(n + 2).fill(0xa5) : null;
        const span = new ByteSpan();
        const ok = nb.getDataBuffer(n, storage, span, alignMultiple, alignOffset);

        const start = dataStart(spec)!;
        const seg = spec.segments[start.seg]!;
        const address = seg.pad + start.off;   // each MDL's backing array starts at address 0
        const contiguous = start.off + n <= seg.content.length;
        const inPlace = contiguous && address % alignMultiple === alignOffset;
        assert.equal(ok, inPlace || withStorage);
        if (ok) {
          assert.deepEqual(spanBytes(span), specData(spec).slice(0, n));
          assert.equal(span.length, n);
          if (inPlace) assert.ok(span.bytes !== storage && span.offset === address);
          else assert.ok(span.bytes === storage && span.offset === 0);
        }
        assert.deepEqual(dataOf(nb), specData(spec), 'data unchanged');
        assert.ok(pool.free(nb));
        assertPoolsFull(pool);
        assertAllocatorFree(allocator);
      },
    ),
    { numRuns: 300 },
  );
});
