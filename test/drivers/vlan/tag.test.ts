/**
 * The 802.1Q tag as bytes (tsndis.vlan's tag.ts): a fixed vector, tag/untag as inverses over arbitrary
 * frames, VLAN IDs and priorities, and the classification of every malformed shape the MUX drops.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { classifyFrame, tagFrame, TagInfo, TagKind, untagFrame, writeTaggedHeader, writeUntaggedHeader } from '../../../src/drivers/intermediate/vlan/index.js';
import { shiftChecksumInfo, shiftLsoInfo } from '../../../src/drivers/intermediate/vlan/shared.js';
import { checksumTxTcpHeaderOffset, checksumTxValue, CHECKSUM_TX_IS_IPV4, CHECKSUM_TX_TCP_CHECKSUM, lsoMss, lsoTcpHeaderOffset, lsoTransmitValue, lsoType, lsoV2IpVersion } from '../../../src/ndis/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

test('tag: a fixed vector — VLAN 100, priority 5 goes in as 81 00 a0 64 before the EtherType', () => {
  const untagged = hex('ffffffffffff 020000000001 0806 0001080006040001');
  const tagged = hex('ffffffffffff 020000000001 8100 a064 0806 0001080006040001');
  assert.deepEqual(tagFrame(untagged, 100, 5), tagged);
  assert.deepEqual(untagFrame(tagged), untagged);
  const info = new TagInfo();
  assert.equal(classifyFrame(tagged, tagged.length, info), TagKind.Tagged);
  assert.deepEqual([info.vlanId, info.priority, info.innerType], [100, 5, 0x0806]);
  // VLAN 4094, priority 7: TCI ef fe.
  assert.deepEqual(tagFrame(untagged, 4094, 7).subarray(12, 16), hex('8100effe'));
});

test('tag: untag(tag(frame)) is the frame, and the tag carries exactly the VLAN and priority (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 14, maxLength: 200 }), fc.integer({ min: 1, max: 4094 }), fc.integer({ min: 0, max: 7 }), (frame, vlan, prio) => {
      // Keep the EtherType an ordinary one (a TPID there would be a tag inside the tag).
      frame[12] = 0x08;
      frame[13] = 0x00;
      const tagged = tagFrame(frame, vlan, prio);
      assert.equal(tagged.length, frame.length + 4);
      assert.deepEqual(tagged.subarray(0, 12), frame.subarray(0, 12));
      assert.deepEqual(tagged.subarray(16), frame.subarray(12));
      const info = new TagInfo();
      assert.equal(classifyFrame(tagged, tagged.length, info), TagKind.Tagged);
      assert.equal(info.vlanId, vlan);
      assert.equal(info.priority, prio);
      assert.deepEqual(untagFrame(tagged), frame);
      // The in-place header writers agree with the whole-frame forms.
      const h18 = new Uint8Array(18);
      writeTaggedHeader(frame, vlan, prio, h18);
      assert.deepEqual(h18, tagged.subarray(0, 18));
      const h14 = new Uint8Array(14);
      writeUntaggedHeader(tagged, h14);
      assert.deepEqual(h14, frame.subarray(0, 14));
    }),
  );
});

test('tag: untagged, double-tagged (802.1Q in 802.1Q, 802.1ad outer) and truncated frames are told apart', () => {
  const info = new TagInfo();
  const base = hex('ffffffffffff 020000000001 0800 4500');
  assert.equal(classifyFrame(base, base.length, info), TagKind.Untagged);
  const inner = tagFrame(tagFrame(base, 10, 0), 20, 0);
  assert.equal(classifyFrame(inner, inner.length, info), TagKind.DoubleTagged);
  const ad = tagFrame(base, 10, 0);
  ad[12] = 0x88;
  ad[13] = 0xa8;
  assert.equal(classifyFrame(ad, ad.length, info), TagKind.DoubleTagged);
  const tagged = tagFrame(base, 10, 0);
  for (let len = 0; len < 18; len++) {
    // Shorter than an Ethernet header, or ending inside the tag / the EtherType behind it.
    assert.equal(classifyFrame(tagged, len, info), TagKind.Truncated, `length ${len}`);
  }
  assert.equal(classifyFrame(tagged, 18, info), TagKind.Tagged);
});

test('tag: send info header offsets move by the 4 tag bytes (checksum and LSO), other fields kept', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 0x3ff - 4 }), fc.integer({ min: 1, max: 0xfffff }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), (off, mss, type, ipv) => {
      const cs = checksumTxValue(CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_TCP_CHECKSUM, off);
      const moved = shiftChecksumInfo(cs, 4);
      assert.equal(checksumTxTcpHeaderOffset(moved), off + 4);
      assert.equal(moved & 0x1f, cs & 0x1f);
      const lso = lsoTransmitValue(type, mss, off, type === 1 ? ipv : 0);
      const l2 = shiftLsoInfo(lso, 4);
      assert.equal(lsoTcpHeaderOffset(l2), off + 4);
      assert.deepEqual([lsoMss(l2), lsoType(l2), lsoV2IpVersion(l2)], [mss, type, type === 1 ? ipv : 0]);
    }),
  );
  assert.equal(shiftChecksumInfo(0, 4), 0, 'no info stays no info');
  assert.equal(shiftLsoInfo(0, 4), 0);
});
