/**
 * Shared fixtures for the NET_BUFFER tests: MDL chains over caller memory, NB snapshots, byte models and
 * fast-check arbitraries. Not a test file (run-tests only picks up *.test.js).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BufferAllocator, type BufferAllocatorOptions } from '../../../src/ndis/buffers/allocator.js';
import { Mdl } from '../../../src/ndis/buffers/mdl.js';
import type { NetBuffer } from '../../../src/ndis/buffers/net-buffer.js';
import type { NetBufferList } from '../../../src/ndis/buffers/net-buffer-list.js';
import type { NetBufferListPool, NetBufferPool, PoolFreeError, PoolObserver } from '../../../src/ndis/buffers/pools.js';

/** Bytes from hex groups: hex('0102', '03 04') → [1, 2, 3, 4]. */
export function hex(...groups: string[]): Uint8Array {
  const s = groups.join('').replace(/\s+/g, '');
  if (s.length % 2 !== 0) throw new Error(`odd hex string ${s}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A run of bytes start, start+1, … (mod 256): easy to read in failure output. */
export function seq(start: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (start + i) & 0xff;
  return out;
}

/** One MDL segment of a generated chain: `pad` bytes before it in its backing buffer, `content` its bytes. */
export interface SegmentSpec {
  readonly pad: number;
  readonly content: Uint8Array;
}

/**
 * Builds a caller-owned MDL chain, each MDL over its own backing array at byte offset `pad` (so MDL byte
 * offsets are not all 0) with `0xee` guard bytes around it. Returns the MDLs in order (empty ⇒ null chain).
 */
export function buildChain(segments: readonly SegmentSpec[]): Mdl[] {
  const mdls = segments.map((s) => {
    const backing = new Uint8Array(s.pad + s.content.length + 3).fill(0xee);
    backing.set(s.content, s.pad);
    return Mdl.over(backing, s.pad, s.content.length);
  });
  for (let i = 0; i < mdls.length - 1; i++) mdls[i]!.next = mdls[i + 1]!;
  return mdls;
}

export function chainArray(head: Mdl | null): Mdl[] {
  const out: Mdl[] = [];
  for (let m = head; m !== null; m = m.next) out.push(m);
  return out;
}

/** The whole chain's bytes (backfill + data + slack). */
export function chainBytes(head: Mdl | null): number[] {
  const out: number[] = [];
  for (let m = head; m !== null; m = m.next) for (let i = 0; i < m.byteCount; i++) out.push(m.bytes[m.byteOffset + i]!);
  return out;
}

/** The NB's used data, read through copyOut. */
export function dataOf(nb: NetBuffer): number[] {
  const out = new Uint8Array(nb.dataLength);
  assert.equal(nb.copyOut(out, 0), nb.dataLength, 'copyOut copies the whole window');
  return [...out];
}

/** Everything retreat/advance may change, with MDL identities, for exact before/after comparison. */
export interface NbSnapshot {
  readonly mdls: readonly Mdl[];
  readonly regions: readonly (readonly [number, number])[];
  readonly dataOffset: number;
  readonly dataLength: number;
  readonly currentMdl: Mdl | null;
  readonly currentMdlOffset: number;
}

export function snapshot(nb: NetBuffer): NbSnapshot {
  const mdls = chainArray(nb.mdlChain);
  return {
    mdls,
    regions: mdls.map((m) => [m.byteOffset, m.byteCount] as const),
    dataOffset: nb.dataOffset,
    dataLength: nb.dataLength,
    currentMdl: nb.currentMdl,
    currentMdlOffset: nb.currentMdlOffset,
  };
}

/** Asserts the NB is exactly as snapshotted: same Mdl objects (by identity), regions and window. */
export function assertSameNb(nb: NetBuffer, before: NbSnapshot, what = 'NB'): void {
  const now = snapshot(nb);
  assert.equal(now.mdls.length, before.mdls.length, `${what}: MDL count`);
  for (const [i, m] of now.mdls.entries()) assert.ok(m === before.mdls[i], `${what}: MDL ${i} is the original object`);
  assert.deepEqual(now.regions, before.regions, `${what}: MDL regions`);
  assert.equal(now.dataOffset, before.dataOffset, `${what}: dataOffset`);
  assert.equal(now.dataLength, before.dataLength, `${what}: dataLength`);
  assert.ok(now.currentMdl === before.currentMdl, `${what}: currentMdl`);
  assert.equal(now.currentMdlOffset, before.currentMdlOffset, `${what}: currentMdlOffset`);
}

export function assertConsistent(nb: NetBuffer, what = 'NB'): void {
  assert.equal(nb.checkInvariants(), null, `${what}: invariants`);
}

export function newAllocator(o: BufferAllocatorOptions = {}): BufferAllocator {
  return new BufferAllocator(o);
}

export function assertAllocatorFree(a: BufferAllocator): void {
  assert.deepEqual(a.usage(), { mappings: 0, small: 0, large: 0, contextBlocks: 0 }, 'allocator lends nothing out');
  assert.ok(a.allFree);
}

export function assertPoolsFull(...pools: (NetBufferListPool | NetBufferPool)[]): void {
  for (const p of pools) assert.equal(p.inUse, 0, `pool ${p.name} is full`);
}

/** A PoolObserver that records every refused free. */
export class RecordingObserver implements PoolObserver {
  readonly events: { pool: string; error: PoolFreeError; item: NetBufferList | NetBuffer }[] = [];
  badFree(pool: NetBufferListPool | NetBufferPool, error: PoolFreeError, item: NetBufferList | NetBuffer): void {
    this.events.push({ pool: pool.name, error, item });
  }
}

// --- fast-check arbitraries ------------------------------------------------------------------------------

/** An MDL segment: 0–24 bytes (zero-length MDLs included, often), 0–5 bytes of offset in its backing. */
export const segmentArb: fc.Arbitrary<SegmentSpec> = fc.record({
  pad: fc.nat({ max: 5 }),
  content: fc.oneof(
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }) },
  ),
});

/** A chain of 0–6 segments (0 ⇒ an NB with no MDLs) plus a data window inside it. */
export interface NbSpec {
  readonly segments: readonly SegmentSpec[];
  readonly dataOffset: number;
  readonly dataLength: number;
}

export const nbSpecArb: fc.Arbitrary<NbSpec> = fc
  .tuple(fc.array(segmentArb, { minLength: 0, maxLength: 6 }), fc.nat(), fc.nat())
  .map(([segments, a, b]) => {
    const total = segments.reduce((n, s) => n + s.content.length, 0);
    const dataOffset = a % (total + 1);
    const dataLength = b % (total - dataOffset + 1);
    return { segments, dataOffset, dataLength };
  });

/** The data window of a spec, computed from the segments (independently of NetBuffer). */
export function specData(spec: NbSpec): number[] {
  const all: number[] = [];
  for (const s of spec.segments) all.push(...s.content);
  return all.slice(spec.dataOffset, spec.dataOffset + spec.dataLength);
}

/** Allocates an NB from `pool` over a fresh chain built from `spec`. */
export function nbFromSpec(pool: NetBufferPool, spec: NbSpec): NetBuffer {
  const mdls = buildChain(spec.segments);
  const nb = pool.allocate(mdls[0] ?? null, spec.dataOffset, spec.dataLength);
  assert.ok(nb !== null, 'NB pool has room');
  return nb;
}
