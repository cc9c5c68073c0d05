/**
 * The address-hash transmit hash: a property test that frames of one flow (same MACs, addresses, ports,
 * any payload) hash alike and that flows spread over two members; vectors for what it reads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { flowHash } from '../../../src/drivers/intermediate/lbfo/index.js';
import { NetBufferListPool } from '../../../src/ndis/index.js';
import { BufferAllocator } from '../../../src/ndis/buffers/allocator.js';

const pool = new NetBufferListPool({ capacity: 4, dataSize: 256 }, new BufferAllocator());

function hashOf(frame: Uint8Array): number {
  const nbl = pool.allocate()!;
  nbl.firstNetBuffer!.dataLength = frame.length;
  nbl.firstNetBuffer!.copyIn(frame, 0, frame.length, 0);
  const h = flowHash(nbl);
  pool.free(nbl);
  return h;
}

function tcp4(src: number, dst: number, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(54 + payload.length);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  f[14] = 0x45;
  f[23] = 6;
  new DataView(f.buffer).setUint32(26, src);
  new DataView(f.buffer).setUint32(30, dst);
  new DataView(f.buffer).setUint16(34, sport);
  new DataView(f.buffer).setUint16(36, dport);
  f[46] = 0x50;
  f.set(payload, 54);
  return f;
}

test('flow hash: one flow, one hash, whatever the payload and TCP flags', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }), fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 150 }), (s, d, sp, dp, p1, p2) => {
      const a = tcp4(s, d, sp, dp, p1);
      const b = tcp4(s, d, sp, dp, p2);
      b[47] = 0x18; // other TCP flags, other payload: same flow
      assert.equal(hashOf(a), hashOf(b));
    }),
  );
});

test('flow hash: ports and addresses matter; 64 flows split over two members', () => {
  assert.notEqual(hashOf(tcp4(1, 2, 1000, 80, new Uint8Array(0))), hashOf(tcp4(1, 2, 1001, 80, new Uint8Array(0))));
  assert.notEqual(hashOf(tcp4(1, 2, 1000, 80, new Uint8Array(0))), hashOf(tcp4(1, 3, 1000, 80, new Uint8Array(0))));
  let odd = 0;
  for (let i = 0; i < 64; i++) odd += hashOf(tcp4(0xc6120001, 0xc6120002, 40000 + i, 5001, new Uint8Array(0))) % 2;
  assert.ok(odd > 16 && odd < 48, `64 flows: ${odd} on one member, ${64 - odd} on the other`);
  // A runt (shorter than an Ethernet header) hashes to 0 instead of reading past its end.
  assert.equal(hashOf(new Uint8Array(10)), 0);
});
