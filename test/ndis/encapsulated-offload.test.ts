/**
 * Encapsulated-packet task offload (NVGRE / VXLAN): NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD(_V2) inside
 * NDIS_OFFLOAD revision 4 and NDIS_OFFLOAD_PARAMETERS revision 4 byte for byte, the supplemental send
 * info bits, and the control-path rules (apply, refuse, intersect).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as B from '../../src/ndis/nbl-info-bits.js';
import * as E from '../../src/ndis/encapsulated-offload.js';
import { encodeToBytes, offloadCurrentConfigCodec, offloadParametersCodec } from '../../src/ndis/oid-codecs.js';
import * as O from '../../src/ndis/offload.js';
import { NDIS_OFFLOAD_NONE, NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3, type NdisOffload } from '../../src/ndis/offload.js';
import { applyOffloadParameters, describeOffload, intersectOffload, offloadEquals } from '../../src/ndis/offload-config.js';
import { FULL_OFFLOAD, arbitraryOffload } from '../support/offload.js';

function hex(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/\s+/g, '');
  return Uint8Array.from({ length: s.length / 2 }, (_, i) => parseInt(s.slice(2 * i, 2 * i + 2), 16));
}

const ALL = E.NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_ALL;
const GRE: E.EncapsulatedPacketTaskOffload = {
  transmitChecksumOffloadSupported: ALL,
  receiveChecksumOffloadSupported: E.NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4 | E.NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV4,
  lsoV2Supported: ALL,
  rssSupported: E.NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6,
  vmqSupported: 0,
  usoSupported: E.NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV6,
  maxHeaderSizeSupported: 256,
};
const VXLAN: E.EncapsulatedPacketTaskOffloadV2 = { ...GRE, rssSupported: ALL, usoSupported: 0, maxHeaderSizeSupported: 0x1234, vxlanUdpPortNumber: 4789, vxlanUdpPortNumberConfigurable: true };
const WITH_ENCAP: NdisOffload = {
  ...FULL_OFFLOAD,
  encapsulatedPacketTaskOffloadGre: GRE,
  encapsulatedPacketTaskOffloadVxlan: VXLAN,
  encapsulationTypes: E.NDIS_ENCAPSULATION_TYPE_GRE_MAC | E.NDIS_ENCAPSULATION_TYPE_VXLAN,
};

test('NDIS_OFFLOAD revision 4: GRE at 148, VXLAN at 156, EncapsulationTypes at 176, Size 177', () => {
  assert.equal(O.NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_4, 177);
  assert.equal(offloadCurrentConfigCodec.encodedLength(WITH_ENCAP), 177);
  const b = encodeToBytes(offloadCurrentConfigCodec, WITH_ENCAP);
  assert.equal(b.length, 177);
  assert.deepEqual([...b.subarray(0, 4)], [0xa7, 4, 177, 0]);
  // Everything before 148 is the revision-3 encoding of the same configuration.
  const r3 = encodeToBytes(offloadCurrentConfigCodec, FULL_OFFLOAD);
  assert.deepEqual([...b.subarray(4, 148)], [...r3.subarray(4, 148)]);
  assert.deepEqual(
    [...b.subarray(148, 177)],
    [
      ...hex(
        // Gre: Tx 0xf | Rx 0x3<<4 | Lso 0xf<<8 | Rss 0x4<<12 | Vmq 0 | Uso 0x8<<20 = 0x00804f3f; MaxHeaderSizeSupported 256
        '3f4f8000 00010000',
        // Vxlan: Tx 0xf | Rx 0x3<<4 | Lso 0xf<<8 | Rss 0xf<<12 = 0x0000ff3f; Max 0x1234; port 4789 = 0x12b5; Configurable bit 0; Reserved1, Reserved2
        '3fff0000 34120000 b512 0100 00000000 00000000',
        '03', // EncapsulationTypes: GRE_MAC | VXLAN
      ),
    ],
  );
  const d = offloadCurrentConfigCodec.decode(b, 0, b.length);
  assert.ok(d.ok);
  assert.deepEqual(d.value, WITH_ENCAP);
  // Revision 3 buffers carry GRE only; a GRE block that offers something reads as GRE_MAC enabled.
  const r3b = b.slice(0, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3);
  r3b[1] = 3;
  r3b[2] = 156;
  const d3 = offloadCurrentConfigCodec.decode(r3b, 0, r3b.length);
  assert.ok(d3.ok);
  assert.deepEqual(d3.value, {
    ...FULL_OFFLOAD,
    encapsulatedPacketTaskOffloadGre: GRE,
    encapsulatedPacketTaskOffloadVxlan: E.NO_ENCAPSULATED_PACKET_TASK_OFFLOAD_V2,
    encapsulationTypes: E.NDIS_ENCAPSULATION_TYPE_GRE_MAC,
  });
  // Claiming revision 4 with the revision-3 size is a length error.
  r3b[1] = 4;
  const bad = offloadCurrentConfigCodec.decode(r3b, 0, r3b.length);
  assert.ok(!bad.ok && bad.bytesNeeded === 177);
});

const block = fc.record(
  {
    transmitChecksumOffloadSupported: fc.integer({ min: 0, max: 15 }),
    receiveChecksumOffloadSupported: fc.integer({ min: 0, max: 15 }),
    lsoV2Supported: fc.integer({ min: 0, max: 15 }),
    rssSupported: fc.integer({ min: 0, max: 15 }),
    vmqSupported: fc.integer({ min: 0, max: 15 }),
    usoSupported: fc.integer({ min: 0, max: 15 }),
    maxHeaderSizeSupported: fc.integer({ min: 1, max: 0xffffffff }),
  },
  { noNullPrototype: true },
);

test('NDIS_OFFLOAD revision 4: round trip of any encapsulated capability', () => {
  fc.assert(
    fc.property(arbitraryOffload, block, block, fc.integer({ min: 0, max: 0xffff }), fc.boolean(), fc.integer({ min: 0, max: 255 }), (o, g, v, port, conf, types) => {
      const value: NdisOffload = { ...o, encapsulatedPacketTaskOffloadGre: g, encapsulatedPacketTaskOffloadVxlan: { ...v, vxlanUdpPortNumber: port, vxlanUdpPortNumberConfigurable: conf }, encapsulationTypes: types };
      const b = encodeToBytes(offloadCurrentConfigCodec, value);
      const r = offloadCurrentConfigCodec.decode(b, 0, b.length);
      assert.ok(r.ok);
      assert.deepEqual(r.value, value);
    }),
    { numRuns: 200 },
  );
});

test('NDIS_OFFLOAD_PARAMETERS revision 4: VxlanUDPPortNumber at 28, Size 32; without a port revision 3 is written', () => {
  const value = { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, encapsulatedPacketTaskOffload: 1, encapsulationTypes: 2, vxlanUdpPortNumber: 8472 };
  const b = encodeToBytes(offloadParametersCodec, value);
  assert.deepEqual(
    [...b],
    [
      ...hex(
        '80 04 2000', // Header: DEFAULT, Revision 4, Size 32
        '00'.repeat(11), // the checksum / LSO / IPsec / connection bytes: no change
        '00', // padding
        '00000000', // Flags
        '00 00 00 00', // IPsecV2, IPsecV2IPv4, RscIPv4, RscIPv6
        '01 02', // EncapsulatedPacketTaskOffload SET_ON, EncapsulationTypes VXLAN
        '0000', // padding before the ULONG union
        '1821 0000', // EncapsulationProtocolParameters: VxlanUDPPortNumber 8472 = 0x2118
      ),
    ],
  );
  const d = offloadParametersCodec.decode(b, 0, b.length);
  assert.ok(d.ok);
  assert.deepEqual(d.value, value);
  const r3 = encodeToBytes(offloadParametersCodec, { ...value, vxlanUdpPortNumber: 0 });
  assert.equal(r3.length, 26);
  assert.equal(r3[1], 3);
});

test('supplemental send info: each field at its bit (0, 1, 2–9, 10–15, 16–25, 26, 27)', () => {
  assert.equal(B.sendOffloadsSupplemental({ isEncapsulatedPacket: true }), 1 << 0);
  assert.equal(B.sendOffloadsSupplemental({ encapsulatedPacketOffsetsValid: true }), 1 << 1);
  assert.equal(B.sendOffloadsSupplemental({ innerFrameOffset: 0xff }), 0xff << 2);
  assert.equal(B.sendOffloadsSupplemental({ transportIpHeaderRelativeOffset: 0x3f }), 0x3f << 10);
  assert.equal(B.sendOffloadsSupplemental({ tcpHeaderRelativeOffset: 0x3ff }), 0x3ff << 16);
  assert.equal(B.sendOffloadsSupplemental({ isInnerIPv6: true }), 1 << 26);
  assert.equal(B.sendOffloadsSupplemental({ tcpOptionsPresent: true }), 1 << 27);
  // VXLAN over IPv4: inner frame at 14 + 20 + 8 + 8 = 50, inner IPv4 at +14, TCP at +20.
  const v = B.sendOffloadsSupplemental({ isEncapsulatedPacket: true, encapsulatedPacketOffsetsValid: true, innerFrameOffset: 50, transportIpHeaderRelativeOffset: 14, tcpHeaderRelativeOffset: 20 });
  assert.equal(v, 1 | 2 | (50 << 2) | (14 << 10) | (20 << 16));
  assert.equal(v, 0x0014_38cb);
  assert.equal(B.sendOffloadsSupplementalValue(50, 14, 20, false, false), v);
  assert.throws(() => B.sendOffloadsSupplemental({ innerFrameOffset: 256 }), RangeError);
  assert.throws(() => B.sendOffloadsSupplemental({ transportIpHeaderRelativeOffset: 64 }), RangeError);
  assert.throws(() => B.sendOffloadsSupplemental({ tcpHeaderRelativeOffset: 1024 }), RangeError);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (w) => {
      const masked = w & 0x0fffffff;
      assert.equal(B.sendOffloadsSupplemental(B.readSendOffloadsSupplemental(w)), masked >>> 0);
    }),
  );
});

const HW: NdisOffload = {
  ...FULL_OFFLOAD,
  encapsulatedPacketTaskOffloadGre: GRE,
  encapsulatedPacketTaskOffloadVxlan: { ...VXLAN, vxlanUdpPortNumberConfigurable: false },
  encapsulationTypes: E.NDIS_ENCAPSULATION_TYPE_GRE_MAC | E.NDIS_ENCAPSULATION_TYPE_VXLAN,
};

test('parameters: SET_ON / SET_OFF per type, what the hardware does not advertise is refused', () => {
  const set = (cur: NdisOffload, setting: number, types: number, port = 0) => applyOffloadParameters(cur, HW, { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, encapsulatedPacketTaskOffload: setting, encapsulationTypes: types, vxlanUdpPortNumber: port });
  const off = set(HW, 2, 3);
  assert.equal(off.encapsulationTypes, undefined, 'all off: the fields are left out');
  assert.ok(offloadEquals(off, FULL_OFFLOAD));
  const gre = set(off, 1, E.NDIS_ENCAPSULATION_TYPE_GRE_MAC);
  assert.equal(gre.encapsulationTypes, 1);
  assert.deepEqual(gre.encapsulatedPacketTaskOffloadGre, GRE);
  assert.deepEqual(gre.encapsulatedPacketTaskOffloadVxlan, E.NO_ENCAPSULATED_PACKET_TASK_OFFLOAD_V2);
  const both = set(gre, 1, E.NDIS_ENCAPSULATION_TYPE_VXLAN);
  assert.equal(both.encapsulationTypes, 3);
  assert.equal(both.encapsulatedPacketTaskOffloadVxlan?.vxlanUdpPortNumber, 4789);
  assert.equal(describeOffload(both).endsWith('encap gre vxlan:4789 ≤4660'), true);
  // NO_CHANGE keeps; an out-of-range setting reads as NO_CHANGE in apply (the miniport refuses it first).
  assert.ok(offloadEquals(set(both, 0, 0), both));
  assert.ok(offloadEquals(set(both, 7, 3), both));
  // Refusals.
  assert.equal(E.checkEncapsulatedParameters(HW, 1, 3, 0), null);
  assert.equal(E.checkEncapsulatedParameters(HW, 3, 1, 0), 'bad-value');
  assert.equal(E.checkEncapsulatedParameters(HW, 1, 0, 0), 'bad-value');
  assert.equal(E.checkEncapsulatedParameters(HW, 1, 4, 0), 'type-not-supported');
  assert.equal(E.checkEncapsulatedParameters(FULL_OFFLOAD, 1, 1, 0), 'type-not-supported');
  assert.equal(E.checkEncapsulatedParameters(HW, 0, 0, 8472), 'port-not-configurable');
  assert.equal(E.checkEncapsulatedParameters(HW, 0, 0, 4789), null);
  const conf = { ...HW, encapsulatedPacketTaskOffloadVxlan: VXLAN };
  assert.equal(E.checkEncapsulatedParameters(conf, 0, 0, 8472), null);
  const moved = applyOffloadParameters(both, conf, { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, vxlanUdpPortNumber: 8472 });
  assert.equal(moved.encapsulatedPacketTaskOffloadVxlan?.vxlanUdpPortNumber, 8472);
});

test('intersection (§1.7): masks AND, MaxHeaderSizeSupported min, VXLAN only on the same port', () => {
  const other: NdisOffload = {
    ...FULL_OFFLOAD,
    encapsulatedPacketTaskOffloadGre: { ...GRE, lsoV2Supported: E.NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4 | E.NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV4, maxHeaderSizeSupported: 128 },
    encapsulatedPacketTaskOffloadVxlan: VXLAN,
    encapsulationTypes: 3,
  };
  const x = intersectOffload(HW, other);
  assert.equal(x.encapsulationTypes, 3);
  assert.equal(x.encapsulatedPacketTaskOffloadGre?.lsoV2Supported, 3);
  assert.equal(x.encapsulatedPacketTaskOffloadGre?.maxHeaderSizeSupported, 128);
  assert.equal(x.encapsulatedPacketTaskOffloadVxlan?.vxlanUdpPortNumberConfigurable, false);
  const otherPort = intersectOffload(HW, { ...other, encapsulatedPacketTaskOffloadVxlan: { ...VXLAN, vxlanUdpPortNumber: 8472 } });
  assert.equal(otherPort.encapsulationTypes, 1);
  const none = intersectOffload(HW, FULL_OFFLOAD);
  assert.ok(offloadEquals(none, FULL_OFFLOAD));
  assert.ok(offloadEquals(intersectOffload(NDIS_OFFLOAD_NONE, NDIS_OFFLOAD_NONE), NDIS_OFFLOAD_NONE));
});
