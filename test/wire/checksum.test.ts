/**
 * The Internet checksum: RFC 1071 and RFC 1624 worked examples, pseudo-header sums against
 * materialised pseudo-headers, and properties (verify-with-checksum, incremental = recompute,
 * sums compose across pieces).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  finishChecksum,
  foldChecksum,
  internetChecksum,
  ipv4,
  ipv4PseudoHeaderSum,
  ipv6,
  ipv6PseudoHeaderSum,
  onesComplementSum,
  pseudoHeaderSum,
  updateChecksum16,
  updateChecksum32,
  verifyChecksum,
} from '../../src/wire/index.js';
import { hex } from './helpers.js';

test('checksum: RFC 1071 §3 example sums to 0xddf2, checksum 0x220d', () => {
  const b = hex('0001 f203 f4f5 f6f7');
  assert.equal(onesComplementSum(b, 0, b.length), 0xddf2);
  assert.equal(internetChecksum(b, 0, b.length), 0x220d);
  assert.ok(verifyChecksum(hex('0001 f203 f4f5 f6f7 220d'), 0, 10));
  assert.ok(!verifyChecksum(hex('0001 f203 f4f5 f6f7 220c'), 0, 10));
});

test('checksum: an odd length pads the last byte with zero on the right', () => {
  assert.equal(onesComplementSum(hex('0102 03'), 0, 3), 0x0102 + 0x0300);
  assert.equal(onesComplementSum(hex('ff 0102 03 ff'), 1, 3), 0x0102 + 0x0300, 'offset and length are honoured');
});

test('checksum: fold handles carries beyond 32 bits; finish complements', () => {
  assert.equal(foldChecksum(0x1_0000), 1);
  assert.equal(foldChecksum(0xffff), 0xffff);
  assert.equal(foldChecksum(0x3_fffc), 0xffff);
  assert.equal(foldChecksum(0x1_0000_0000 + 5), 6);
  assert.equal(finishChecksum(0xddf2), 0x220d);
  assert.equal(finishChecksum(0), 0xffff);
});

test('checksum: RFC 1624 §4 example: 0xdd2f with 0x5555 -> 0x3285 becomes 0x0000 (eqn. 3)', () => {
  assert.equal(updateChecksum16(0xdd2f, 0x5555, 0x3285), 0x0000);
});

test('checksum: IPv4 pseudo-header sum equals the sum over the 12-byte pseudo-header', () => {
  const pseudo = hex(
    'c612 0701', // source 198.18.7.1
    'c612 0702', // destination 198.18.7.2
    '00 06', //     zero, protocol TCP
    '0028', //      TCP length 40
  );
  assert.equal(ipv4PseudoHeaderSum(ipv4(198, 18, 7, 1), ipv4(198, 18, 7, 2), 6, 40), onesComplementSum(pseudo, 0, 12));
  assert.equal(pseudoHeaderSum({ version: 4, src: ipv4(198, 18, 7, 1), dst: ipv4(198, 18, 7, 2) }, 6, 40), onesComplementSum(pseudo, 0, 12));
});

test('checksum: IPv6 pseudo-header sum equals the sum over the 40-byte pseudo-header, addresses at any offset', () => {
  const src = ipv6('fd00:7::1');
  const dst = ipv6('ff02::1:ff00:3');
  const pseudo = hex(
    'fd00 0007 0000 0000 0000 0000 0000 0001', // source
    'ff02 0000 0000 0000 0000 0001 ff00 0003', // destination
    '0001 0020', //                               upper-layer length 65568 (above 16 bits on purpose)
    '0000 00 3a', //                              zero, next header ICMPv6
  );
  const expected = onesComplementSum(pseudo, 0, 40);
  assert.equal(ipv6PseudoHeaderSum(src, dst, 58, 0x1_0020), expected);
  const both = new Uint8Array(40);
  both.set(src, 3);
  both.set(dst, 21);
  assert.equal(ipv6PseudoHeaderSum(both, both, 58, 0x1_0020, 3, 21), expected);
  assert.equal(pseudoHeaderSum({ version: 6, src, dst }, 58, 0x1_0020), expected);
});

/** Random data with a checksum field (at an even offset), the checksum filled in. */
const withChecksum = fc
  .tuple(fc.uint8Array({ minLength: 2, maxLength: 300 }), fc.nat())
  .map(([data, at]) => {
    const b = data.length % 2 ? Uint8Array.of(...data, 0) : Uint8Array.from(data);
    const field = 2 * (at % (b.length / 2));
    b[field] = 0;
    b[field + 1] = 0;
    const c = internetChecksum(b, 0, b.length);
    b[field] = c >>> 8;
    b[field + 1] = c & 0xff;
    return { b, field };
  });

test('checksum (property): a buffer including its own checksum verifies; flipping one bit breaks it', () => {
  fc.assert(
    fc.property(withChecksum, fc.nat(), ({ b }, bit) => {
      assert.ok(verifyChecksum(b, 0, b.length));
      const i = bit % (b.length * 8);
      const flipped = Uint8Array.from(b);
      flipped[i >>> 3]! ^= 1 << (i & 7);
      // One flipped bit moves the sum by ±2^k (k < 16), never by a multiple of 0xffff.
      assert.ok(!verifyChecksum(flipped, 0, flipped.length));
    }),
  );
});

test('checksum (property): RFC 1624 incremental update equals a full recompute', () => {
  fc.assert(
    fc.property(withChecksum, fc.nat(), fc.integer({ min: 0, max: 0xffff }), ({ b, field }, pick, value) => {
      const words = b.length / 2;
      fc.pre(words >= 2);
      let w = 2 * (pick % words);
      if (w === field) w = (w + 2) % b.length;
      const old = (b[w]! << 8) | b[w + 1]!;
      const oldChecksum = (b[field]! << 8) | b[field + 1]!;
      b[w] = value >>> 8;
      b[w + 1] = value & 0xff;
      b[field] = 0;
      b[field + 1] = 0;
      // All-zero data is the one case where eqn. 3 gives the other zero (0x0000 instead of 0xffff).
      fc.pre(b.some((x) => x !== 0));
      assert.equal(updateChecksum16(oldChecksum, old, value), internetChecksum(b, 0, b.length));
    }),
  );
});

test('checksum (property): the 32-bit update equals two 16-bit updates and a recompute', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat({ max: 0xffffffff }), (data, value) => {
      const b = data.length % 2 ? Uint8Array.of(...data, 1) : Uint8Array.from(data);
      b[0] = 0;
      b[1] = 0;
      const c = internetChecksum(b, 0, b.length);
      const old = ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0;
      b.set([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff], 2);
      fc.pre(b.some((x) => x !== 0));
      const expected = internetChecksum(b, 0, b.length);
      assert.equal(updateChecksum32(c, old, value), expected);
      assert.equal(updateChecksum16(updateChecksum16(c, old >>> 16, value >>> 16), old & 0xffff, value & 0xffff), expected);
    }),
  );
});

test('checksum (property): sums compose: a sum fed back as `initial` over the rest equals the whole', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(), (b, cut) => {
      const k = 2 * (cut % (Math.floor(b.length / 2) + 1));
      assert.equal(onesComplementSum(b, k, b.length - k, onesComplementSum(b, 0, k)), onesComplementSum(b, 0, b.length));
    }),
  );
});
