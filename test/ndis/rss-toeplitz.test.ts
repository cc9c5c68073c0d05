/**
 * The Toeplitz hash (offload digest §3.2, §3.3): every Microsoft verification vector, IPv4 and IPv6,
 * with and without ports; agreement with a bit-by-bit reference for random keys and inputs; the per-key
 * tables are the key's, not the caller's array's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ToeplitzHasher, toeplitzHash, toeplitzHasherFor } from '../../src/ndis/rss/toeplitz.js';
import { IPV4_VECTORS, IPV6_VECTORS, MS_KEY, referenceToeplitz, vectorInput } from '../support/rss.js';

const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

test('toeplitzHash: the IPv4 verification vectors, addresses only and with ports', () => {
  for (const v of IPV4_VECTORS) {
    assert.equal(hex(toeplitzHash(MS_KEY, vectorInput(v, false))), hex(v.twoTuple), `${v.src} → ${v.dst}`);
    assert.equal(hex(toeplitzHash(MS_KEY, vectorInput(v, true))), hex(v.fourTuple), `${v.src}:${v.sport} → ${v.dst}:${v.dport}`);
  }
});

test('toeplitzHash: the IPv6 verification vectors, addresses only and with ports', () => {
  for (const v of IPV6_VECTORS) {
    assert.equal(hex(toeplitzHash(MS_KEY, vectorInput(v, false))), hex(v.twoTuple), `${v.src} → ${v.dst}`);
    assert.equal(hex(toeplitzHash(MS_KEY, vectorInput(v, true))), hex(v.fourTuple), `[${v.src}]:${v.sport} → [${v.dst}]:${v.dport}`);
  }
});

test('toeplitzHash: the spelled-out input of the first IPv4 vector with TCP', () => {
  // source 66.9.149.187, destination 161.142.100.80, ports 2794 and 1766: source first, whatever the table's column order
  assert.equal(hex(toeplitzHash(MS_KEY, Uint8Array.of(0x42, 0x09, 0x95, 0xbb, 0xa1, 0x8e, 0x64, 0x50, 0x0a, 0xea, 0x06, 0xe6))), '0x51ccc178');
  // destination first gives something else
  assert.notEqual(hex(toeplitzHash(MS_KEY, Uint8Array.of(0xa1, 0x8e, 0x64, 0x50, 0x42, 0x09, 0x95, 0xbb, 0x06, 0xe6, 0x0a, 0xea))), '0x51ccc178');
});

test('the reference agrees with the published vectors (so the property below compares against something right)', () => {
  for (const v of [...IPV4_VECTORS, ...IPV6_VECTORS]) {
    assert.equal(hex(referenceToeplitz(MS_KEY, vectorInput(v, false))), hex(v.twoTuple));
    assert.equal(hex(referenceToeplitz(MS_KEY, vectorInput(v, true))), hex(v.fourTuple));
  }
});

test('toeplitzHash equals the bit-by-bit reference for random 40-byte keys and inputs up to 36 bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.uint8Array({ maxLength: 36 }), (key, input) => {
      assert.equal(toeplitzHash(key, input), referenceToeplitz(key, input));
    }),
    { numRuns: 300 },
  );
});

test('toeplitzHash equals the reference for keys of other lengths and inputs longer than the key', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 80 }), (key, input) => {
      assert.equal(toeplitzHash(key, input), referenceToeplitz(key, input), `key ${key.length} bytes, input ${input.length}`);
    }),
    { numRuns: 300 },
  );
});

test('ToeplitzHasher: hash of a window, and hashByte contributions XOR to the hash', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 48 }), fc.uint8Array({ maxLength: 40 }), fc.nat(8), fc.nat(8), (key, input, before, after) => {
      const h = new ToeplitzHasher(key);
      const padded = new Uint8Array(before + input.length + after).fill(0xa5);
      padded.set(input, before);
      assert.equal(h.hash(padded, before, input.length), referenceToeplitz(key, input));
      let x = 0;
      for (let p = 0; p < input.length; p++) x ^= h.hashByte(p, input[p]!);
      assert.equal(x >>> 0, referenceToeplitz(key, input));
    }),
    { numRuns: 200 },
  );
});

test('ToeplitzHasher keeps its own copy of the key', () => {
  const key = MS_KEY.slice();
  const h = new ToeplitzHasher(key);
  const input = vectorInput(IPV4_VECTORS[0]!, true);
  key.fill(0);
  assert.equal(hex(h.hash(input)), '0x51ccc178');
  assert.ok(h.hasKey(MS_KEY));
  assert.ok(!h.hasKey(key));
});

test('the plain function reuses its tables while the key bytes stay the same, and notices a changed key', () => {
  const key = MS_KEY.slice();
  const a = toeplitzHasherFor(key);
  assert.equal(toeplitzHasherFor(MS_KEY), a, 'same bytes, another array: same tables');
  const input = vectorInput(IPV4_VECTORS[1]!, true);
  assert.equal(hex(toeplitzHash(key, input)), hex(IPV4_VECTORS[1]!.fourTuple));
  key[0] = key[0]! ^ 0xff; // the caller changes its key in place
  assert.notEqual(toeplitzHasherFor(key), a);
  assert.equal(toeplitzHash(key, input), referenceToeplitz(key, input));
});
