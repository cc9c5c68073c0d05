/**
 * copyBytes (the one copy primitive under copyIn/copyOut/getDataBuffer): exact for every length and overlap.
 * copyBytesWords (slab to slab, the receive copy of the data path): exact for every alignment and length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { copyBytes, copyBytesWords } from '../../../src/ndis/buffers/bytes.js';
import { hex } from './support.js';

test('copyBytes copies a short run between arrays', () => {
  const dst = new Uint8Array(6).fill(0xa5);
  copyBytes(hex('01020304'), 1, dst, 2, 3);
  assert.deepEqual([...dst], [...hex('a5a5', '020304', 'a5')]);
});

test('copyBytes shifting a short run forward inside one array does not smear', () => {
  const a = hex('0102030405', '000000');
  copyBytes(a, 0, a, 2, 5);
  assert.deepEqual([...a], [...hex('0102', '0102030405', '00')]);
});

test('copyBytes shifting a short run between two views of one buffer does not smear', () => {
  const buffer = new ArrayBuffer(8);
  const whole = new Uint8Array(buffer);
  whole.set(hex('0102030405'));
  copyBytes(new Uint8Array(buffer, 0, 5), 0, new Uint8Array(buffer, 1, 7), 0, 5);
  assert.deepEqual([...whole], [...hex('01', '0102030405', '0000')]);
});

test('property: copyBytes behaves like memmove for any lengths and overlaps', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (init, a, b, c, sameArray) => {
      const src = Uint8Array.from(init);
      const dst = sameArray ? src : new Uint8Array(init.length).fill(0xa5);
      const srcOffset = a % init.length;
      const dstOffset = b % init.length;
      const n = c % (Math.min(init.length - srcOffset, init.length - dstOffset) + 1);
      const expected = [...dst];
      const moved = [...src.subarray(srcOffset, srcOffset + n)];
      expected.splice(dstOffset, n, ...moved);
      copyBytes(src, srcOffset, dst, dstOffset, n);
      assert.deepEqual([...dst], expected);
    }),
    { numRuns: 300 },
  );
});

test('property: copyBytesWords copies exactly n bytes between slabs at any alignment and touches nothing else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 256, maxLength: 256 }), fc.nat(191), fc.nat(191), fc.nat(64), (init, srcIndex, dstIndex, n) => {
      const src = new Uint8Array(new SharedArrayBuffer(256));
      src.set(init);
      const dst = new Uint8Array(new SharedArrayBuffer(256)).fill(0xa5);
      const expected = [...dst];
      expected.splice(dstIndex, n, ...src.subarray(srcIndex, srcIndex + n));
      copyBytesWords(src, new Int32Array(src.buffer), srcIndex, dst, new Int32Array(dst.buffer), dstIndex, n);
      assert.deepEqual([...dst], expected);
    }),
    { numRuns: 500 },
  );
});
