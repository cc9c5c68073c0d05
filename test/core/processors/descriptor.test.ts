/**
 * NBL descriptors: the documented layout word for word, encode → validate → shell round trips over random
 * NBL shapes (the shell's bytes are the original's memory, not a copy), the NBLs that must not cross, and
 * a fuzz of corrupted descriptors: whatever the validator accepts can be turned into a shell safely.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  BadDescriptor,
  DescriptorKind,
  DescriptorView,
  NotCrossed,
  decodeDescriptor,
  descriptorSlots,
  encodeNetBufferList,
  type DescriptorHeader,
} from '../../../src/core/processors/descriptor.js';
import { NBL_SLOT_WORDS, RingConsumer, RingProducer, SpscRing } from '../../../src/core/processors/nbl-ring.js';
import { ShellPool } from '../../../src/core/processors/shell.js';
import { SlabRegistry } from '../../../src/core/processors/slab-registry.js';
import { BufferAllocator } from '../../../src/ndis/buffers/allocator.js';
import { Mdl } from '../../../src/ndis/buffers/mdl.js';
import type { NetBuffer } from '../../../src/ndis/buffers/net-buffer.js';
import type { NetBufferList } from '../../../src/ndis/buffers/net-buffer-list.js';
import { NetBufferListPool, NetBufferPool } from '../../../src/ndis/buffers/pools.js';

/** A producer-side and a consumer-side registry, the consumer adopting what the producer announces. */
function registries(): { producer: SlabRegistry; consumer: SlabRegistry } {
  const counter = SlabRegistry.createCounter();
  const consumer = new SlabRegistry(counter, () => {});
  const producer = new SlabRegistry(counter, (id, slab) => consumer.adopt(id, slab));
  return { producer, consumer };
}

function header(over: Partial<DescriptorHeader> = {}): DescriptorHeader {
  return { kind: DescriptorKind.Receive, edge: 7, home: 1, ref: 0x00500003, pathFlags: 0x100, portNumber: 2, queueTag: 9, ...over };
}

function shellPools(capacity = 8): ShellPool {
  const allocator = new BufferAllocator();
  const nbls = new NetBufferListPool({ capacity, allocateNetBuffer: true }, allocator);
  const nbs = new NetBufferPool({ capacity: capacity * 16 }, allocator);
  return new ShellPool(nbls, nbs, registries().consumer);
}

test('descriptor: the layout of a one-NB receive, word for word', () => {
  const { producer } = registries();
  const allocator = new BufferAllocator();
  const pool = new NetBufferListPool({ capacity: 4, dataSize: 2048 }, allocator);
  pool.allocate(); // slot 0 taken: the NBL below is slot 1, at byte 2048 of the slab
  const nbl = pool.allocate()!;
  const nb = nbl.firstNetBuffer!;
  nb.advance(64, false); // 64 bytes of backfill
  nb.dataLength = 60;
  nb.checksumBias = 0x1234;
  nbl.nblFlags = 0x40;
  Object.assign(nbl.info, {
    hashValue: 0xdeadbeef,
    hashInfo: 0x00000101,
    tcpIpChecksum: 3,
    tcpLargeSend: 4,
    ieee8021Q: 5,
    frameType: 0x0008,
    tcpRecvSegCoalesceInfo: 6,
    rscTcpTimestampDelta: 7,
    filteringInfo: 8,
  });
  const ring = SpscRing.create(4, NBL_SLOT_WORDS);
  assert.equal(descriptorSlots(nbl), 2);
  assert.equal(encodeNetBufferList(ring, 0, 2, nbl, header(), producer), 0);
  const slab = producer.idOf(nb.currentMdl!.bytes.buffer);
  assert.equal(slab, 1);
  const words = [...ring.words.subarray(ring.slotBase(0), ring.slotBase(0) + 32)];
  assert.deepEqual(words, [
    // header: kind 2 · 2 slots · 1 NB · no flags; edge; home; ref; NblFlags; receive flags; port 2 · tag 9
    0x00010202, 7, 1, 0x00500003, 0x40, 0x100, 2 | (9 << 16),
    0xdeadbeef | 0, 0x101, 3, 4, 5, 0x0008, 6, 7, 8,
    // NB: DataOffset 64 (backfill kept), DataLength 60, bias 0x1234 · 1 MDL, 0, then (slab, offset, count)
    64, 60, 0x1234 | (1 << 16), 0, slab, 2048, 2048, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ]);
  const d = decodeDescriptor(ring, 0);
  assert.equal(d.info.hashValue, 0xdeadbeef, 'numeric slots come back unsigned');
  assert.deepEqual(d.netBuffers, [{ dataOffset: 64, dataLength: 60, checksumBias: 0x1234, extents: [{ slab, offset: 2048, count: 2048 }] }]);
});

test('descriptor: the extension slot carries the rarer numeric slots; MDLs before the current one and after the data do not cross', () => {
  const { producer } = registries();
  const allocator = new BufferAllocator();
  const sab = new SharedArrayBuffer(4096);
  const view = new Uint8Array(sab, 1024, 2048); // a view that does not start at the slab's first byte
  const m1 = Mdl.over(view, 0, 100); // all backfill, skipped
  const m2 = Mdl.over(view, 100, 50);
  const m3 = Mdl.over(view, 300, 200);
  const m4 = Mdl.over(view, 600, 10); // after the data: not described
  m1.next = m2;
  m2.next = m3;
  m3.next = m4;
  const pool = new NetBufferListPool({ capacity: 1, allocateNetBuffer: true }, allocator);
  const nbl = pool.allocateWithNetBuffer(m1, 110, 120)!; // 10 bytes into m2 … 80 bytes into m3
  nbl.info.cancelId = 0x81000000;
  nbl.info.gftFlowEntryId = 5;
  assert.equal(descriptorSlots(nbl), 3);
  const ring = SpscRing.create(4, NBL_SLOT_WORDS);
  assert.equal(encodeNetBufferList(ring, 1, 3, nbl, header({ kind: DescriptorKind.Send }), producer), 0, 'wraps around the end of a 4-slot ring');
  const slab = producer.idOf(sab);
  const ext = [...ring.words.subarray(ring.slotBase(2), ring.slotBase(2) + 16)];
  assert.deepEqual(ext, [0x81000000 | 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const nbSlot = [...ring.words.subarray(ring.slotBase(3), ring.slotBase(3) + 16)];
  assert.deepEqual(nbSlot, [10, 120, 2 << 16, 0, slab, 1024 + 100, 50, slab, 1024 + 300, 200, 0, 0, 0, 0, 0, 0]);
  assert.equal(ring.words[ring.slotBase(1)]! & 0xffffff, 0x010301, 'kind 1 · 3 slots · 1 NB');
  assert.equal(ring.words[ring.slotBase(1)]! >>> 24, 1, 'extension flag');
});

test('descriptor: what does not cross — no NB, more than 15 NBs, more than four MDLs, memory that is not shared', () => {
  const { producer } = registries();
  const allocator = new BufferAllocator();
  const ring = SpscRing.create(16, NBL_SLOT_WORDS);
  const bare = new NetBufferListPool({ capacity: 4 }, allocator);
  const empty = bare.allocate()!;
  assert.equal(descriptorSlots(empty), NotCrossed.NoNetBuffer);

  const nbs = new NetBufferPool({ capacity: 32, dataSize: 64 }, allocator);
  const many = bare.allocate()!;
  let tail: NetBuffer | null = null;
  for (let i = 0; i < 16; i++) {
    const nb = nbs.allocate()!;
    if (tail === null) many.firstNetBuffer = nb;
    else tail.next = nb;
    tail = nb;
  }
  assert.equal(descriptorSlots(many), NotCrossed.TooManyNetBuffers);

  const sab = new SharedArrayBuffer(1024);
  const chain = [0, 1, 2, 3, 4].map((i) => Mdl.over(new Uint8Array(sab), i * 100, 100));
  for (let i = 0; i < 4; i++) chain[i]!.next = chain[i + 1]!;
  const withNb = new NetBufferListPool({ capacity: 2, allocateNetBuffer: true }, allocator);
  const five = withNb.allocateWithNetBuffer(chain[0]!, 0, 500)!;
  assert.equal(encodeNetBufferList(ring, 0, 2, five, header(), producer), NotCrossed.TooManyMdls);
  const private_ = withNb.allocateWithNetBuffer(Mdl.over(new Uint8Array(100)), 0, 100)!;
  assert.equal(encodeNetBufferList(ring, 0, 2, private_, header(), producer), NotCrossed.NotShared);
});

interface NbShape {
  mdls: { gap: number; size: number }[];
  dataOffset: number;
  dataLength: number;
  bias: number;
}

const nbShape: fc.Arbitrary<NbShape> = fc
  .array(fc.record({ gap: fc.integer({ min: 0, max: 40 }), size: fc.integer({ min: 1, max: 300 }) }), { minLength: 1, maxLength: 4 })
  .chain((mdls) => {
    const total = mdls.reduce((a, m) => a + m.size, 0);
    return fc.integer({ min: 0, max: total }).chain((dataOffset) =>
      fc.record({ mdls: fc.constant(mdls), dataOffset: fc.constant(dataOffset), dataLength: fc.integer({ min: 0, max: total - dataOffset }), bias: fc.integer({ min: 0, max: 0xffff }) }),
    );
  });

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const infoArb = fc.record({
  hashValue: u32, hashInfo: u32, tcpIpChecksum: u32, tcpLargeSend: u32, ieee8021Q: u32, frameType: u32,
  tcpRecvSegCoalesceInfo: u32, rscTcpTimestampDelta: u32, filteringInfo: u32,
  cancelId: fc.oneof(fc.constant(0), u32), correlationId: fc.oneof(fc.constant(0), u32), virtualSubnetInfo: fc.oneof(fc.constant(0), u32),
  nblOriginalInterfaceIfIndex: fc.oneof(fc.constant(0), u32), tcpReceiveBytesTransferred: fc.oneof(fc.constant(0), u32), gftFlowEntryId: fc.oneof(fc.constant(0), u32),
});

/** Builds an NBL of the given shape over one shared slab (each MDL its own region, gaps between), data filled with a pattern. */
function buildNbl(shapes: NbShape[], info: Record<string, number>, nblFlags: number): { nbl: NetBufferList; slab: Uint8Array } {
  const allocator = new BufferAllocator();
  const slab = new Uint8Array(new SharedArrayBuffer(16 * 4 * 400));
  for (let i = 0; i < slab.length; i++) slab[i] = (i * 13 + 7) & 0xff;
  const nblPool = new NetBufferListPool({ capacity: 1 }, allocator);
  const nbPool = new NetBufferPool({ capacity: 16 }, allocator);
  const nbl = nblPool.allocate()!;
  let at = 0;
  let tail: NetBuffer | null = null;
  for (const s of shapes) {
    let head: Mdl | null = null;
    let last: Mdl | null = null;
    for (const m of s.mdls) {
      at += m.gap;
      const mdl = Mdl.over(slab, at, m.size);
      at += m.size;
      if (last === null) head = mdl;
      else last.next = mdl;
      last = mdl;
    }
    const nb = nbPool.allocate(head, s.dataOffset, s.dataLength)!;
    nb.checksumBias = s.bias;
    if (tail === null) nbl.firstNetBuffer = nb;
    else tail.next = nb;
    tail = nb;
  }
  Object.assign(nbl.info, info);
  nbl.nblFlags = nblFlags;
  return { nbl, slab };
}

function nbBytes(nb: NetBuffer): number[] {
  const out = new Uint8Array(nb.dataLength);
  nb.copyOut(out, 0, 0, nb.dataLength);
  return [...out];
}

test('descriptor: encode → validate → shell is the same NBL over the same memory, for random shapes, positions and info', () => {
  fc.assert(
    fc.property(fc.array(nbShape, { minLength: 1, maxLength: 14 }), infoArb, fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 0, max: 63 }), (shapes, info, nblFlags, start) => {
      const { nbl } = buildNbl(shapes, info, nblFlags);
      const { producer, consumer } = registries();
      const slots = descriptorSlots(nbl);
      assert.ok(slots >= 2 && slots <= 16);
      const ring = SpscRing.create(64, NBL_SLOT_WORDS);
      const p = new RingProducer(ring);
      const c = new RingConsumer(ring);
      // Start anywhere in the ring, so descriptors wrap.
      p.commit(start);
      p.publish();
      c.release(start);
      c.commit();
      const pos = p.reserve(slots);
      assert.equal(encodeNetBufferList(p, pos, slots, nbl, header(), producer), 0);
      p.commit(slots);
      p.publish();
      const view = new DescriptorView();
      assert.equal(view.read(c, c.head, c.available(), consumer), BadDescriptor.None);
      const shells = new ShellPool(new NetBufferListPool({ capacity: 1, allocateNetBuffer: true }, new BufferAllocator()), new NetBufferPool({ capacity: 16 }, new BufferAllocator()), consumer);
      const shell = shells.build(c, c.head, view)!;
      assert.notEqual(shell, null);
      for (const [k, v] of Object.entries(info)) assert.equal((shell.info as unknown as Record<string, number>)[k], v, k);
      assert.equal(shell.nblFlags, nblFlags);
      let a: NetBuffer | null = nbl.firstNetBuffer;
      let b: NetBuffer | null = shell.firstNetBuffer;
      for (; a !== null && b !== null; a = a.next, b = b.next) {
        assert.equal(b.dataLength, a.dataLength);
        assert.equal(b.checksumBias, a.checksumBias);
        assert.equal(b.checkInvariants(), null);
        assert.deepEqual(nbBytes(b), nbBytes(a));
        if (a.dataLength > 0) {
          // The same memory, not a copy: a write through the shell is seen by the original.
          b.copyIn(Uint8Array.of(0xee ^ nbBytes(a)[0]!), 0, 1, 0);
          assert.equal(a.byteAt(0), b.byteAt(0));
          // The backfill in front of the data in the current MDL crossed too.
          assert.equal(b.dataOffset, a.currentMdlOffset);
        }
      }
      assert.equal(a, null, 'as many NBs');
      assert.equal(b, null);
      shells.free(shell);
      assert.equal(shells.inUse, 0);
      assert.equal(shells.mdls.inUse, 0, 'every mapping MDL back');
    }),
    { numRuns: 300 },
  );
});

test('descriptor: corrupted descriptors are rejected or, if accepted, still build a shell that stays inside its slabs', () => {
  fc.assert(
    fc.property(
      fc.array(nbShape, { minLength: 1, maxLength: 3 }),
      fc.array(fc.record({ word: fc.nat(), value: fc.oneof(fc.integer(), fc.integer({ min: -2, max: 3000 })) }), { minLength: 1, maxLength: 4 }),
      (shapes, damage) => {
        const { nbl } = buildNbl(shapes, {}, 0);
        const { producer, consumer } = registries();
        const slots = descriptorSlots(nbl);
        const ring = SpscRing.create(16, NBL_SLOT_WORDS);
        const p = new RingProducer(ring);
        const c = new RingConsumer(ring);
        assert.equal(encodeNetBufferList(p, 0, slots, nbl, header(), producer), 0);
        p.commit(slots);
        p.publish();
        for (const d of damage) ring.words[ring.slotBase(0) + (d.word % (slots * NBL_SLOT_WORDS))] = d.value;
        const view = new DescriptorView();
        const verdict = view.read(c, 0, c.available(), consumer);
        assert.ok(Object.values(BadDescriptor).includes(verdict as 0));
        if (verdict !== BadDescriptor.None) return;
        const shells = new ShellPool(new NetBufferListPool({ capacity: 1, allocateNetBuffer: true }, new BufferAllocator()), new NetBufferPool({ capacity: 16 }, new BufferAllocator()), consumer);
        const shell = shells.build(c, 0, view)!;
        for (let nb = shell.firstNetBuffer; nb !== null; nb = nb.next) {
          assert.equal(nb.checkInvariants(), null);
          for (let m = nb.mdlChain; m !== null; m = m.next) assert.ok(m.byteOffset >= 0 && m.byteOffset + m.byteCount <= m.bytes.length);
          nbBytes(nb);
        }
        shells.free(shell);
      },
    ),
    { numRuns: 500 },
  );
});

test('descriptor: an id no processor announced is UnknownSlab, an extent past its slab OutOfSlab', () => {
  const { producer, consumer } = registries();
  const { nbl } = buildNbl([{ mdls: [{ gap: 0, size: 100 }], dataOffset: 0, dataLength: 100, bias: 0 }], {}, 0);
  const ring = SpscRing.create(4, NBL_SLOT_WORDS);
  assert.equal(encodeNetBufferList(ring, 0, 2, nbl, header(), producer), 0);
  const view = new DescriptorView();
  const extent = ring.slotBase(1) + 4;
  ring.words[extent] = 99;
  assert.equal(view.read(ring, 0, 2, consumer), BadDescriptor.UnknownSlab);
  assert.equal(view.unknownSlab, 99);
  ring.words[extent] = 1;
  ring.words[extent + 1] = 16 * 4 * 400 - 50;
  assert.equal(view.read(ring, 0, 2, consumer), BadDescriptor.OutOfSlab);
  assert.equal(view.read(ring, 0, 1, consumer), BadDescriptor.Truncated);
  assert.equal(shellPools().inUse, 0);
});
