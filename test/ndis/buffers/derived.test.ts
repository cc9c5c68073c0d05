/**
 * Derived NBLs (ndis-core digest §3.5): NdisAllocateCloneNetBufferList, NdisAllocateFragmentNetBufferList,
 * NdisAllocateReassembledNetBufferList and their Free calls. Byte vectors, then byte-exact properties.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS } from '../../../src/ndis/constants.js';
import {
  allocateCloneNetBufferList, allocateFragmentNetBufferList, allocateReassembledNetBufferList,
  freeCloneNetBufferList, freeFragmentNetBufferList, freeReassembledNetBufferList,
} from '../../../src/ndis/buffers/derived.js';
import { MdlOrigin } from '../../../src/ndis/buffers/mdl.js';
import type { NetBuffer } from '../../../src/ndis/buffers/net-buffer.js';
import type { NetBufferList } from '../../../src/ndis/buffers/net-buffer-list.js';
import { NetBufferListPool, NetBufferPool } from '../../../src/ndis/buffers/pools.js';
import { NDIS_STATUS_SUCCESS } from '../../../src/ndis/status.js';
import {
  assertAllocatorFree, assertConsistent, assertPoolsFull, chainArray, dataOf, hex, nbFromSpec,
  nbSpecArb, newAllocator, RecordingObserver, seq, specData, type NbSpec,
} from './support.js';

function fixture(opts: Parameters<typeof newAllocator>[0] = {}, derivedNbs = 1024) {
  const allocator = newAllocator(opts);
  const observer = new RecordingObserver();
  const nblPool = new NetBufferListPool({ name: 'orig-nbl', capacity: 4 }, allocator, observer);
  const nbPool = new NetBufferPool({ name: 'orig-nb', capacity: 16 }, allocator, observer);
  const derivedNblPool = new NetBufferListPool({ name: 'derived-nbl', capacity: 4 }, allocator, observer);
  const derivedNbPool = new NetBufferPool({ name: 'derived-nb', capacity: derivedNbs }, allocator, observer);
  const reassemblyPool = new NetBufferListPool({ name: 'reassembly', capacity: 2, allocateNetBuffer: true }, allocator, observer);
  const pools = [nblPool, nbPool, derivedNblPool, derivedNbPool, reassemblyPool];
  /** Every test ends here: all pools full, the allocator lends nothing, no refused frees unless expected. */
  const assertClean = (expectedBadFrees = 0): void => {
    assertPoolsFull(...pools);
    assertAllocatorFree(allocator);
    assert.equal(observer.events.length, expectedBadFrees, 'observer saw only the expected refused frees');
  };
  return { allocator, observer, nblPool, nbPool, derivedNblPool, derivedNbPool, reassemblyPool, assertClean };
}
type Fixture = ReturnType<typeof fixture>;

function originalNbl(f: Fixture, specs: readonly NbSpec[]): NetBufferList {
  const nbl = f.nblPool.allocate()!;
  let tail: NetBuffer | null = null;
  for (const s of specs) {
    const nb = nbFromSpec(f.nbPool, s);
    if (tail === null) nbl.firstNetBuffer = nb;
    else tail.next = nb;
    tail = nb;
  }
  return nbl;
}

function netBuffers(nbl: NetBufferList): NetBuffer[] {
  const out: NetBuffer[] = [];
  for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) out.push(nb);
  return out;
}

function freeOriginal(f: Fixture, nbl: NetBufferList): void {
  for (let nb = nbl.firstNetBuffer; nb !== null; ) {
    const next: NetBuffer | null = nb.next;
    assert.ok(f.nbPool.free(nb));
    nb = next;
  }
  nbl.firstNetBuffer = null;
  assert.ok(f.nblPool.free(nbl));
}

/** A two-MDL, one-NB original: [00 01 | 02 03] [04 05 06 07 08 09], 2 bytes of backfill. */
function twoMdlOriginal(f: Fixture): NetBufferList {
  return originalNbl(f, [{ segments: [{ pad: 1, content: seq(0, 4) }, { pad: 0, content: seq(4, 6) }], dataOffset: 2, dataLength: 8 }]);
}

// --- Clone ------------------------------------------------------------------------------------------------

test('clone without flags maps the same bytes with new MDLs starting at the data start', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  const src = orig.firstNetBuffer!;
  const clone = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool)!;
  const nb = clone.firstNetBuffer!;
  assert.equal(nb.next, null);
  assert.deepEqual([nb.dataOffset, nb.dataLength], [0, 8]);
  assert.deepEqual(dataOf(nb), [...hex('0203', '040506070809')]);
  const mdls = chainArray(nb.mdlChain);
  assert.equal(mdls.length, 2);
  for (const m of mdls) assert.equal(m.origin, MdlOrigin.Mapping);
  assert.ok(mdls[0]!.bytes === src.mdlChain!.bytes && mdls[1]!.bytes === src.mdlChain!.next!.bytes, 'same memory');
  assert.equal(f.allocator.usage().mappings, 2);
  assertConsistent(nb);
  assert.ok(clone.parentNetBufferList === orig);
  assert.equal(orig.childRefCount, 1);

  freeCloneNetBufferList(clone);
  assert.equal(orig.childRefCount, 0);
  freeOriginal(f, orig);
  f.assertClean();
});

test('clone with NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS shares the MDLs from the current MDL on', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  const src = orig.firstNetBuffer!;
  const clone = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS)!;
  const nb = clone.firstNetBuffer!;
  assert.ok(nb.mdlChain === src.currentMdl && nb.currentMdl === src.currentMdl);
  assert.deepEqual([nb.dataOffset, nb.currentMdlOffset, nb.dataLength], [2, 2, 8]);
  assert.deepEqual(dataOf(nb), dataOf(src));
  assert.equal(f.allocator.usage().mappings, 0, 'no descriptors allocated');
  assertConsistent(nb);
  freeCloneNetBufferList(clone);
  assert.ok(src.mdlChain!.next !== null, 'original chain intact');
  freeOriginal(f, orig);
  f.assertClean();
});

test('clones see writes to the original and the original sees writes to clones (no copy)', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  const mapped = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool)!;
  const shared = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS)!;
  assert.equal(orig.childRefCount, 2);
  orig.firstNetBuffer!.copyIn(hex('a0a1a2a3a4a5a6a7'));
  assert.deepEqual(dataOf(mapped.firstNetBuffer!), [...hex('a0a1a2a3a4a5a6a7')]);
  assert.deepEqual(dataOf(shared.firstNetBuffer!), [...hex('a0a1a2a3a4a5a6a7')]);
  mapped.firstNetBuffer!.copyIn(hex('b0b1b2'), 0, 3, 1);
  assert.deepEqual(dataOf(orig.firstNetBuffer!), [...hex('a0b0b1b2a4a5a6a7')]);
  freeCloneNetBufferList(shared);
  freeCloneNetBufferList(mapped);
  assert.equal(orig.childRefCount, 0);
  freeOriginal(f, orig);
  f.assertClean();
});

test('freeing a parent while clones are outstanding is refused and reported as children-outstanding', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  const clone = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool)!;
  const nbs = netBuffers(orig);
  assert.equal(f.nblPool.free(orig), false);
  assert.equal(f.observer.events.length, 1);
  assert.deepEqual([f.observer.events[0]!.pool, f.observer.events[0]!.error], ['orig-nbl', 'children-outstanding']);
  assert.ok(f.observer.events[0]!.item === orig);
  assert.ok(orig.allocated && orig.firstNetBuffer === nbs[0], 'the refused free changed nothing');
  assert.equal(orig.childRefCount, 1);
  freeCloneNetBufferList(clone);
  freeOriginal(f, orig);
  f.assertClean(1);
});

test('freeing a clone that has clones of its own is refused and changes nothing', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  const clone = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool)!;
  const grandchild = allocateCloneNetBufferList(clone, f.derivedNblPool, f.derivedNbPool)!;
  const cloneNb = clone.firstNetBuffer!;
  const lent = f.allocator.usage();

  freeCloneNetBufferList(clone);
  assert.deepEqual(f.observer.events.map((e) => e.error), ['children-outstanding']);
  assert.ok(clone.allocated && clone.firstNetBuffer === cloneNb && clone.parentNetBufferList === orig);
  assert.equal(orig.childRefCount, 1, 'the parent still counts the refused clone');
  assert.deepEqual(f.allocator.usage(), lent, 'no MDL was given back');
  assert.deepEqual(dataOf(cloneNb), [...hex('0203040506070809')]);

  freeCloneNetBufferList(grandchild);
  freeCloneNetBufferList(clone);
  freeOriginal(f, orig);
  f.assertClean(1);
});

test('freeing a clone twice is refused as double-free and leaves the parent\'s count alone', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  const first = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool)!;
  const second = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool)!;
  assert.ok(freeCloneNetBufferList(first));
  assert.equal(freeCloneNetBufferList(first), false);
  assert.deepEqual(f.observer.events.map((e) => [e.pool, e.error]), [['derived-nbl', 'double-free']]);
  assert.equal(orig.childRefCount, 1, 'only the first free counted');
  assert.ok(freeCloneNetBufferList(second));
  assert.equal(orig.childRefCount, 0);
  freeOriginal(f, orig);
  f.assertClean(1);
});

test('freeing a USE_ORIGINAL_MDLS clone leaves the original\'s retreat MDL in place', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  const src = orig.firstNetBuffer!;
  assert.equal(src.retreat(6, 4), NDIS_STATUS_SUCCESS);   // 2 from backfill, 4 in a new leading MDL
  src.copyIn(hex('e0e1e2e3'));
  const r = src.mdlChain!;
  const clone = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS)!;
  assert.ok(clone.firstNetBuffer!.mdlChain === r, 'the clone starts at the original\'s retreat MDL');

  freeCloneNetBufferList(clone);
  assert.equal(f.allocator.usage().small, 1, 'the retreat MDL still belongs to the original');
  assert.ok(src.mdlChain === r && r.allocated);
  assert.deepEqual(dataOf(src), [...hex('e0e1e2e3', '0001', '0203040506070809')]);

  src.advance(6, true);
  freeOriginal(f, orig);
  f.assertClean();
});

test('advancing a USE_ORIGINAL_MDLS clone past the original\'s retreat MDL does not free it', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  const src = orig.firstNetBuffer!;
  assert.equal(src.retreat(6, 4), NDIS_STATUS_SUCCESS);
  const r = src.mdlChain!;
  const clone = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS)!;
  const cnb = clone.firstNetBuffer!;
  cnb.advance(6, true);   // the clone skips the header the original added
  assert.ok(r.allocated, 'still allocated');
  assert.equal(f.allocator.usage().small, 1);
  assert.ok(src.mdlChain === r);
  assertConsistent(cnb);
  assert.deepEqual(dataOf(cnb), [...hex('0203040506070809')]);

  freeCloneNetBufferList(clone);
  src.advance(6, true);
  freeOriginal(f, orig);
  f.assertClean();
});

test('a clone retreated past its backfill frees only its own leading MDL', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  for (const flags of [0, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS]) {
    const clone = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, flags)!;
    const cnb = clone.firstNetBuffer!;
    assert.equal(cnb.retreat(14, 0), NDIS_STATUS_SUCCESS);
    cnb.copyIn(seq(0xc0, 14));
    assert.equal(f.allocator.usage().small, 1);
    freeCloneNetBufferList(clone);   // without advancing first
    assert.equal(f.allocator.usage().small, 0);
  }
  assert.deepEqual(dataOf(orig.firstNetBuffer!), [...hex('0203040506070809')]);
  freeOriginal(f, orig);
  f.assertClean();
});

test('clone returns null when the NB pool runs dry, leaving the parent and pools untouched', () => {
  const f = fixture({}, 1);
  const orig = originalNbl(f, [
    { segments: [{ pad: 0, content: seq(0, 4) }], dataOffset: 0, dataLength: 4 },
    { segments: [{ pad: 0, content: seq(4, 4) }], dataOffset: 0, dataLength: 4 },
  ]);
  assert.equal(allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool), null);
  assert.equal(f.derivedNbPool.exhaustedCount, 1);
  assert.equal(orig.childRefCount, 0);
  assertPoolsFull(f.derivedNblPool, f.derivedNbPool);
  assertAllocatorFree(f.allocator);
  freeOriginal(f, orig);
  f.assertClean();
});

test('clone returns null when mapping MDLs run out, giving back the ones it took', () => {
  const f = fixture({ mappingMdls: 1 });
  const orig = twoMdlOriginal(f);   // its data spans two MDLs
  assert.equal(allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool), null);
  assert.equal(orig.childRefCount, 0);
  freeOriginal(f, orig);
  f.assertClean();
});

test('clone and fragment refuse an NBL pool that preallocates NetBuffers', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  assert.throws(() => allocateCloneNetBufferList(orig, f.reassemblyPool, f.derivedNbPool), TypeError);
  assert.throws(() => allocateFragmentNetBufferList(orig, f.reassemblyPool, f.derivedNbPool, 0, 4, 0, 0), TypeError);
  assert.throws(() => allocateReassembledNetBufferList(orig, f.derivedNblPool, 0, 0, 0), TypeError);
  assert.throws(() => allocateFragmentNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, 0, 0, 0, 0), RangeError);
  assert.throws(() => allocateFragmentNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, -1, 4, 0, 0), RangeError);
  freeOriginal(f, orig);
  f.assertClean();
});

// --- Fragment and reassemble --------------------------------------------------------------------------------

test('fragment cuts after startOffset into maximumLength pieces, each retreated by dataOffsetDelta', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);   // data 02 03 | 04 05 06 07 08 09
  const frag = allocateFragmentNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, 1, 3, 4, 2)!;
  const nbs = netBuffers(frag);
  assert.deepEqual(nbs.map((nb) => nb.dataLength), [7, 7, 5]);
  nbs.forEach((nb, i) => {
    assertConsistent(nb);
    assert.equal(nb.mdlChain!.origin, MdlOrigin.Retreat);
    assert.equal(nb.mdlChain!.byteCount, 4 + 2);
    assert.equal(nb.dataOffset, 2);
    nb.copyIn(hex('f0f1f2', `f${i + 3}`));   // a 4-byte header per fragment
  });
  assert.deepEqual(dataOf(nbs[0]!), [...hex('f0f1f2f3', '03', '0405')]);   // payload spans both source MDLs
  assert.deepEqual(dataOf(nbs[1]!), [...hex('f0f1f2f4', '060708')]);
  assert.deepEqual(dataOf(nbs[2]!), [...hex('f0f1f2f5', '09')]);
  assert.equal(chainArray(nbs[0]!.mdlChain).length, 3, 'retreat MDL + one mapping per source MDL');
  assert.ok(frag.parentNetBufferList === orig);
  assert.equal(orig.childRefCount, 1);

  freeFragmentNetBufferList(frag, 4);
  assert.equal(orig.childRefCount, 0);
  assert.deepEqual(dataOf(orig.firstNetBuffer!), [...hex('0203040506070809')], 'source untouched');
  freeOriginal(f, orig);
  f.assertClean();
});

test('fragment of NBs shorter than startOffset yields an NBL with no NetBuffers', () => {
  const f = fixture();
  const orig = twoMdlOriginal(f);
  const frag = allocateFragmentNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, 8, 4, 2, 0)!;
  assert.equal(frag.firstNetBuffer, null);
  assert.equal(orig.childRefCount, 1);
  freeFragmentNetBufferList(frag, 2);
  freeOriginal(f, orig);
  f.assertClean();
});

test('fragment returns null when retreat chunks run out, releasing every fragment it built', () => {
  const f = fixture({ smallChunks: 2, largeChunks: 0 });
  const orig = twoMdlOriginal(f);
  assert.equal(allocateFragmentNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, 0, 2, 8, 0), null);   // needs 4 chunks
  assert.equal(orig.childRefCount, 0);
  freeOriginal(f, orig);
  f.assertClean();
});

test('reassemble concatenates every NB\'s data after startOffset into one NB, then retreats it', () => {
  const f = fixture();
  const frags = originalNbl(f, [
    { segments: [{ pad: 0, content: hex('4848', '6162') }], dataOffset: 0, dataLength: 4 },          // hdr "HH", "ab"
    { segments: [{ pad: 2, content: hex('4848') }, { pad: 0, content: hex('63') }], dataOffset: 0, dataLength: 3 },   // "HH", "c"
    { segments: [{ pad: 0, content: hex('00', '4848', '646566', '99') }], dataOffset: 1, dataLength: 5 },   // "HH", "def"
  ]);
  const r = allocateReassembledNetBufferList(frags, f.reassemblyPool, 2, 3, 1)!;
  assert.equal(r.netBufferCount, 1);
  const nb = r.firstNetBuffer!;
  assertConsistent(nb);
  assert.equal(nb.dataLength, 3 + 6);
  nb.copyIn(hex('545454'));
  assert.deepEqual(dataOf(nb), [...hex('545454', '616263646566')]);   // "TTT" + "abcdef"
  assert.ok(r.parentNetBufferList === frags);
  assert.equal(frags.childRefCount, 1);

  freeReassembledNetBufferList(r, 3);
  assert.equal(frags.childRefCount, 0);
  freeOriginal(f, frags);
  f.assertClean();
});

test('reassemble returns null when mapping MDLs run out, giving back the ones it took', () => {
  const f = fixture({ mappingMdls: 2 });
  const frags = originalNbl(f, [
    { segments: [{ pad: 0, content: seq(0, 4) }], dataOffset: 0, dataLength: 4 },
    { segments: [{ pad: 0, content: seq(4, 4) }], dataOffset: 0, dataLength: 4 },
    { segments: [{ pad: 0, content: seq(8, 4) }], dataOffset: 0, dataLength: 4 },
  ]);
  assert.equal(allocateReassembledNetBufferList(frags, f.reassemblyPool, 0, 0, 0), null);
  assert.equal(frags.childRefCount, 0);
  freeOriginal(f, frags);
  f.assertClean();
});

// --- Properties -------------------------------------------------------------------------------------------

const sourcesArb = fc.array(nbSpecArb, { minLength: 1, maxLength: 3 });

/** How many non-empty MDL pieces the data window of `spec` touches (= mapping MDLs a clone needs). */
function piecesIn(spec: NbSpec): number {
  let pos = 0;
  let n = 0;
  for (const s of spec.segments) {
    const lo = Math.max(pos, spec.dataOffset);
    const hi = Math.min(pos + s.content.length, spec.dataOffset + spec.dataLength);
    if (hi > lo) n++;
    pos += s.content.length;
  }
  return n;
}

test('property: clones have the source\'s bytes, share its memory and each count as one child', () => {
  fc.assert(
    fc.property(
      sourcesArb,
      fc.array(fc.constantFrom(0, NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS), { minLength: 1, maxLength: 3 }),
      fc.uint8Array({ minLength: 144, maxLength: 144 }),
      (specs, cloneFlags, fill) => {
        const f = fixture();
        const orig = originalNbl(f, specs);
        const srcs = netBuffers(orig);
        const clones = cloneFlags.map((flags, k) => {
          const clone = allocateCloneNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, flags)!;
          assert.ok(clone !== null);
          assert.ok(clone.parentNetBufferList === orig);
          assert.equal(orig.childRefCount, k + 1);
          return clone;
        });
        const perMappedClone = specs.reduce((n, s) => n + piecesIn(s), 0);
        assert.equal(f.allocator.usage().mappings, perMappedClone * cloneFlags.filter((x) => x === 0).length);
        clones.forEach((clone, k) => {
          const cnbs = netBuffers(clone);
          assert.equal(cnbs.length, srcs.length);
          cnbs.forEach((cnb, i) => {
            const src = srcs[i]!;
            assertConsistent(cnb);
            assert.deepEqual(dataOf(cnb), dataOf(src));
            if (cloneFlags[k] !== 0) assert.ok(cnb.currentMdl === src.currentMdl && cnb.currentMdlOffset === src.currentMdlOffset);
            else assert.equal(cnb.dataOffset, 0);
            // shared memory both ways
            const n = src.dataLength;
            const there = fill.map((b) => b ^ k);
            src.copyIn(there, 0, n);
            assert.deepEqual(dataOf(cnb), [...there.subarray(0, n)]);
            const back = fill.map((b) => b ^ 0xff);
            cnb.copyIn(back, 0, n);
            assert.deepEqual(dataOf(src), [...back.subarray(0, n)]);
          });
        });
        clones.forEach((clone, k) => {
          assert.ok(freeCloneNetBufferList(clone));
          assert.equal(orig.childRefCount, clones.length - k - 1);
          assert.equal(clone.parentNetBufferList, null);
        });
        freeOriginal(f, orig);
        f.assertClean();
      },
    ),
    { numRuns: 200 },
  );
});

test('property: fragments carry the source bytes after startOffset, and reassembly gives them back', () => {
  fc.assert(
    fc.property(
      sourcesArb,
      fc.record({
        startOffset: fc.nat({ max: 30 }),
        maximumLength: fc.integer({ min: 1, max: 40 }),
        delta: fc.nat({ max: 20 }),
        backfill: fc.nat({ max: 16 }),
        rDelta: fc.nat({ max: 20 }),
        rBackfill: fc.nat({ max: 16 }),
      }),
      (specs, { startOffset, maximumLength, delta, backfill, rDelta, rBackfill }) => {
        const f = fixture();
        const orig = originalNbl(f, specs);
        const frag = allocateFragmentNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, startOffset, maximumLength, delta, backfill)!;
        assert.ok(frag !== null);
        const expected: number[][] = [];
        for (const s of specs) {
          const d = specData(s);
          for (let pos = startOffset; pos < d.length; pos += maximumLength) expected.push(d.slice(pos, pos + maximumLength));
        }
        const fnbs = netBuffers(frag);
        assert.equal(fnbs.length, expected.length);
        fnbs.forEach((nb, i) => {
          assertConsistent(nb);
          assert.equal(nb.dataLength, expected[i]!.length + delta);
          assert.deepEqual(dataOf(nb).slice(delta), expected[i]);
          if (delta > 0) assert.equal(nb.dataOffset, backfill);
        });
        assert.ok(frag.parentNetBufferList === orig);
        assert.equal(orig.childRefCount, 1);

        const joined = specs.flatMap((s) => specData(s).slice(startOffset));
        const r = allocateReassembledNetBufferList(frag, f.reassemblyPool, delta, rDelta, rBackfill)!;
        assert.ok(r !== null);
        const rnb = r.firstNetBuffer!;
        assert.equal(rnb.next, null);
        assertConsistent(rnb);
        assert.equal(rnb.dataLength, joined.length + rDelta);
        assert.deepEqual(dataOf(rnb).slice(rDelta), joined);
        assert.ok(r.parentNetBufferList === frag);
        assert.equal(frag.childRefCount, 1);

        assert.equal(f.nblPool.free(orig), false, 'the original still has a child');
        freeReassembledNetBufferList(r, rDelta);
        assert.equal(frag.childRefCount, 0);
        freeFragmentNetBufferList(frag, delta);
        assert.equal(orig.childRefCount, 0);
        for (const [i, s] of specs.entries()) assert.deepEqual(dataOf(netBuffers(orig)[i]!), specData(s), 'source untouched');
        freeOriginal(f, orig);
        f.assertClean(1);
      },
    ),
    { numRuns: 200 },
  );
});

test('property: fragmenting at a header size and reassembling at the same size gives back the original bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.integer({ min: 1, max: 64 }), fc.nat({ max: 24 }), (payload, mss, header) => {
      const f = fixture();
      const orig = originalNbl(f, [{ segments: [{ pad: 3, content: payload }], dataOffset: 0, dataLength: payload.length }]);
      const frag = allocateFragmentNetBufferList(orig, f.derivedNblPool, f.derivedNbPool, 0, mss, header, 0)!;
      for (const nb of netBuffers(frag)) nb.copyIn(new Uint8Array(header).fill(0x48));   // a header per fragment
      const r = allocateReassembledNetBufferList(frag, f.reassemblyPool, header, 0, 0)!;
      assert.deepEqual(dataOf(r.firstNetBuffer!), [...payload]);
      freeReassembledNetBufferList(r, 0);
      freeFragmentNetBufferList(frag, header);
      freeOriginal(f, orig);
      f.assertClean();
    }),
    { numRuns: 200 },
  );
});
