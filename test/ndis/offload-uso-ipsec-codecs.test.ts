/**
 * The USO revisions of the task-offload structures (NDIS_OFFLOAD revision 6, NDIS_OFFLOAD_PARAMETERS
 * revision 5, NDIS_UDP_SEGMENTATION_OFFLOAD) and the IPsec sub-structures (NDIS_IPSEC_OFFLOAD_V1 / _V2),
 * byte for byte with their offsets and sizes; tsndis always writes IPsec as NOT_SUPPORTED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeToBytes,
  offloadCurrentConfigCodec,
  offloadParametersCodec,
  readIpsecOffloadV1,
  readIpsecOffloadV2,
  readUdpSegmentationOffload,
  writeIpsecOffloadV1,
  writeIpsecOffloadV2,
  writeUdpSegmentationOffload,
} from '../../src/ndis/oid-codecs.js';
import {
  IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256,
  IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_IPSEC_OFFLOAD_V1_NONE,
  NDIS_IPSEC_OFFLOAD_V2_NONE,
  NDIS_OFFLOAD_IPSEC_V1_OFFSET,
  NDIS_OFFLOAD_IPSEC_V2_OFFSET,
  NDIS_OFFLOAD_NONE,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_OFFLOAD_PARAMETERS_USO_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_USO_ENABLED,
  NDIS_OFFLOAD_UDP_SEGMENTATION_OFFSET,
  NDIS_SIZEOF_IPSEC_OFFLOAD_V1,
  NDIS_SIZEOF_IPSEC_OFFLOAD_V2,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_4,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_5,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_6,
  NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_5,
  NDIS_SIZEOF_UDP_SEGMENTATION_OFFLOAD,
  NDIS_UDP_SEGMENTATION_OFFLOAD_NONE,
  type IpsecOffloadV1,
  type IpsecOffloadV2,
  type NdisOffload,
  type UdpSegmentationOffload,
} from '../../src/ndis/offload.js';
import { NDIS_STATUS_INVALID_LENGTH } from '../../src/ndis/status.js';
import { FULL_OFFLOAD, arbitraryOffload } from '../support/offload.js';

function hex(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/\s+/g, '');
  assert.equal(s.length % 2, 0, 'odd number of hex digits');
  return Uint8Array.from({ length: s.length / 2 }, (_, i) => parseInt(s.slice(2 * i, 2 * i + 2), 16));
}

const USO: UdpSegmentationOffload = {
  ipv4: { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: 64000, minSegmentCount: 2, subMssFinalSegmentSupported: true },
  ipv6: { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: 64000, minSegmentCount: 2, subMssFinalSegmentSupported: true, ipExtensionHeadersSupported: true },
};

const USO_BYTES = hex(
  '02000000 00fa0000 42000000',           // IPv4: 802.3, MaxOffLoadSize 64000, MinSegmentCount 2 | SubMssFinalSegmentSupported << 6
  '02000000 00fa0000 42000000 01000000',  // IPv6: the same, then IpExtensionHeadersSupported:2 in its own ULONG
);

test('NDIS_UDP_SEGMENTATION_OFFLOAD: 28 bytes, bit fields LSB first', () => {
  assert.equal(USO_BYTES.length, NDIS_SIZEOF_UDP_SEGMENTATION_OFFLOAD);
  const b = new Uint8Array(30).fill(0xa5);
  writeUdpSegmentationOffload(b, 1, USO);
  assert.deepEqual(b.subarray(1, 29), USO_BYTES);
  assert.equal(b[0], 0xa5);
  assert.equal(b[29], 0xa5);
  assert.deepEqual(readUdpSegmentationOffload(b, 1), USO);
  // MinSegmentCount is 6 bits: 63 fits, the reserved bits above SubMss are ignored on read.
  const w = hex('00000000 00000000 ffffff7f 00000000 00000000 3f000000 fcffffff');
  const r = readUdpSegmentationOffload(w, 0);
  assert.deepEqual(r.ipv4, { encapsulation: 0, maxOffLoadSize: 0, minSegmentCount: 63, subMssFinalSegmentSupported: true });
  assert.deepEqual(r.ipv6, { encapsulation: 0, maxOffLoadSize: 0, minSegmentCount: 63, subMssFinalSegmentSupported: false, ipExtensionHeadersSupported: false });
});

test('NDIS_OFFLOAD revision 6: a value with USO is written through UdpSegmentation (216 bytes)', () => {
  const v: NdisOffload = { ...FULL_OFFLOAD, uso: USO };
  const b = encodeToBytes(offloadCurrentConfigCodec, v);
  assert.equal(b.length, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_6);
  assert.deepEqual([...b.subarray(0, 4)], [0xa7, 6, 0xd8, 0x00]); // Type OFFLOAD, Revision 6, Size 216
  // The revision-3 part is what revision 3 writes (apart from the header).
  const r3 = encodeToBytes(offloadCurrentConfigCodec, FULL_OFFLOAD);
  assert.equal(r3.length, 156);
  assert.deepEqual(b.subarray(4, 156), r3.subarray(4));
  // 156 EncapsulatedPacketTaskOffloadVxlan (20), 176 EncapsulationTypes, 3 padding, 180 Rfc6877Xlat (8): zeros.
  assert.ok(b.subarray(156, 188).every((x) => x === 0));
  assert.equal(NDIS_OFFLOAD_UDP_SEGMENTATION_OFFSET, 188);
  assert.deepEqual(b.subarray(188, 216), USO_BYTES);
  const d = offloadCurrentConfigCodec.decode(b, 0, b.length);
  assert.ok(d.ok);
  assert.deepEqual(d.value, v);
});

test('NDIS_OFFLOAD: revisions 4 and 5 are read without USO; revision 6 must be 216 bytes', () => {
  const full = encodeToBytes(offloadCurrentConfigCodec, { ...FULL_OFFLOAD, uso: USO });
  for (const [rev, size] of [[4, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_4], [5, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_5]] as const) {
    assert.deepEqual([rev, size], [rev, rev === 4 ? 177 : 188]);
    const b = full.slice(0, size);
    b[1] = rev;
    b[2] = size;
    const d = offloadCurrentConfigCodec.decode(b, 0, size);
    assert.ok(d.ok, d.ok ? '' : d.reason);
    assert.deepEqual(d.value, FULL_OFFLOAD);
    assert.equal('uso' in d.value, false);
  }
  // Claims revision 6 with the size of revision 5: a length error asking for 216.
  const short = full.slice();
  short[2] = 188;
  const bad = offloadCurrentConfigCodec.decode(short, 0, short.length);
  assert.ok(!bad.ok && bad.status === NDIS_STATUS_INVALID_LENGTH && bad.bytesNeeded === 216);
  // Revision 7 has the size of revision 6.
  const r7 = full.slice();
  r7[1] = 7;
  const d7 = offloadCurrentConfigCodec.decode(r7, 0, r7.length);
  assert.ok(d7.ok);
  assert.deepEqual(d7.value.uso, USO);
});

test('NDIS_OFFLOAD revision 6: round trip of any value with any USO the layout carries', () => {
  const ulong = fc.integer({ min: 0, max: 0xffffffff });
  const fam = { encapsulation: ulong, maxOffLoadSize: ulong, minSegmentCount: fc.integer({ min: 0, max: 63 }), subMssFinalSegmentSupported: fc.boolean() };
  const uso = fc.record({ ipv4: fc.record(fam, { noNullPrototype: true }), ipv6: fc.record({ ...fam, ipExtensionHeadersSupported: fc.boolean() }, { noNullPrototype: true }) }, { noNullPrototype: true });
  fc.assert(
    fc.property(arbitraryOffload, uso, (o, u) => {
      const v = { ...o, uso: u };
      const r = offloadCurrentConfigCodec.decode(encodeToBytes(offloadCurrentConfigCodec, v), 0, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_6);
      assert.ok(r.ok);
      assert.deepEqual(r.value, v);
    }),
    { numRuns: 200 },
  );
  // USO present but NONE is still revision 6 (an adapter that reports "no USO" in the USO revision).
  const none = encodeToBytes(offloadCurrentConfigCodec, { ...NDIS_OFFLOAD_NONE, uso: NDIS_UDP_SEGMENTATION_OFFLOAD_NONE });
  assert.deepEqual([...none.subarray(0, 4)], [0xa7, 6, 216, 0]);
  assert.ok(none.subarray(4).every((x) => x === 0));
});

test('NDIS_OFFLOAD_PARAMETERS revision 5: UdpSegmentation.IPv4/IPv6 at 32/33 (34 bytes)', () => {
  const value = { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, lsoV1: 2, udpSegmentationIPv4: NDIS_OFFLOAD_PARAMETERS_USO_ENABLED, udpSegmentationIPv6: NDIS_OFFLOAD_PARAMETERS_USO_DISABLED };
  const bytes = hex(
    '80 05 2200',          // Header: DEFAULT, Revision 5, Size 34
    '00 00 00 00 00',      // checksums: no change
    '02 00 00 00 00 00',   // LsoV1: LSOV1_ENABLED, IPsecV1, LsoV2IPv4/IPv6, TcpConnectionIPv4/IPv6
    '00',                  // padding
    '00000000',            // Flags (end of revision 1)
    '00 00',               // IPsecV2, IPsecV2IPv4 (end of revision 2)
    '00 00 00 00',         // RscIPv4/IPv6, EncapsulatedPacketTaskOffload, EncapsulationTypes (end of revision 3)
    '0000',                // padding before the ULONG union
    '00000000',            // EncapsulationProtocolParameters (end of revision 4 at 32)
    '02 01',               // UdpSegmentation.IPv4 ENABLED, .IPv6 DISABLED (end of revision 5 at 34)
  );
  assert.equal(bytes.length, NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_5);
  assert.equal(offloadParametersCodec.encodedLength(value), 34);
  const b = encodeToBytes(offloadParametersCodec, value);
  assert.deepEqual(b, bytes);
  const d = offloadParametersCodec.decode(b, 0, b.length);
  assert.ok(d.ok);
  assert.deepEqual(d.value, value);
  // Without a USO field the codec still writes revision 3 (26 bytes), read back without USO fields.
  assert.equal(offloadParametersCodec.encodedLength(NDIS_OFFLOAD_PARAMETERS_NO_CHANGES), 26);
  // Revision 4 (32 bytes) is read with USO absent (NO_CHANGE).
  const r4 = bytes.slice(0, 32);
  r4[1] = 4;
  r4[2] = 32;
  const d4 = offloadParametersCodec.decode(r4, 0, 32);
  assert.ok(d4.ok);
  assert.equal(d4.value.udpSegmentationIPv4, undefined);
  // Claiming revision 5 in 32 bytes is a length error.
  const short = bytes.slice(0, 32);
  const bad = offloadParametersCodec.decode(short, 0, 32);
  assert.ok(!bad.ok && bad.status === NDIS_STATUS_INVALID_LENGTH && bad.bytesNeeded === 34);
});

const IPSEC_V1: IpsecOffloadV1 = {
  supported: { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, ahEspCombined: 1, transportTunnelCombined: 0, ipv4Options: 1, flags: 0x10 },
  ipv4Ah: { md5: 1, sha1: 1, transport: 1, tunnel: 0, send: 1, receive: 1 },
  ipv4Esp: { des: 1, reserved: 0, tripleDes: 1, nullEsp: 0, transport: 1, tunnel: 1, send: 1, receive: 0 },
};

test('NDIS_IPSEC_OFFLOAD_V1: 28 bytes, AH and ESP as 2-bit fields', () => {
  const bytes = hex(
    '02000000 01000000 00000000 01000000 10000000', // Supported {Encapsulation, AhEspCombined, TransportTunnelCombined, IPv4Options, Flags}
    '15050000',  // IPv4AH: Md5 1 | Sha_1 1<<2 | Transport 1<<4 | Tunnel 0 | Send 1<<8 | Receive 1<<10 = 0x515
    '11150000',  // IPv4ESP: Des 1 | TripleDes 1<<4 | Transport 1<<8 | Tunnel 1<<10 | Send 1<<12 = 0x1511
  );
  assert.equal(bytes.length, NDIS_SIZEOF_IPSEC_OFFLOAD_V1);
  const b = new Uint8Array(28);
  writeIpsecOffloadV1(b, 0, IPSEC_V1);
  assert.deepEqual(b, bytes);
  assert.deepEqual(readIpsecOffloadV1(b, 0), IPSEC_V1);
});

const IPSEC_V2: IpsecOffloadV2 = {
  ...NDIS_IPSEC_OFFLOAD_V2_NONE,
  encapsulation: NDIS_ENCAPSULATION_IEEE_802_3,
  ipv6Supported: true,
  esp: true,
  transport: true,
  lsoSupported: true,
  extendedSequenceNumbers: true,
  udpEsp: 1,
  authenticationAlgorithms: IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256,
  encryptionAlgorithms: IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128,
  saOffloadCapacity: 1024,
};

test('NDIS_IPSEC_OFFLOAD_V2: 32 bytes, eleven BOOLEANs then four ULONGs', () => {
  const bytes = hex(
    '02000000',                               // Encapsulation
    '01 00 00 00 01 00 01 00 00 01 01',       // IPv6Supported … ExtendedSequenceNumbers (Esp, Transport, LsoSupported, ESN)
    '00',                                     // padding
    '01000000 04000000 08000000 00040000',    // UdpEsp, Authentication SHA_256, Encryption AES_GCM_128, SaOffloadCapacity 1024
  );
  assert.equal(bytes.length, NDIS_SIZEOF_IPSEC_OFFLOAD_V2);
  const b = new Uint8Array(32).fill(0xee);
  writeIpsecOffloadV2(b, 0, IPSEC_V2);
  assert.deepEqual(b, bytes);
  assert.deepEqual(readIpsecOffloadV2(b, 0), IPSEC_V2);
});

test('every NDIS_OFFLOAD tsndis writes reports IPsec v1 and v2 as NOT_SUPPORTED (all zeros at 52 and 112)', () => {
  fc.assert(
    fc.property(arbitraryOffload, fc.boolean(), (o, withUso) => {
      const b = encodeToBytes(offloadCurrentConfigCodec, withUso ? { ...o, uso: USO } : o);
      assert.ok(b.subarray(NDIS_OFFLOAD_IPSEC_V1_OFFSET, NDIS_OFFLOAD_IPSEC_V1_OFFSET + 28).every((x) => x === 0));
      assert.ok(b.subarray(NDIS_OFFLOAD_IPSEC_V2_OFFSET, NDIS_OFFLOAD_IPSEC_V2_OFFSET + 32).every((x) => x === 0));
      assert.deepEqual(readIpsecOffloadV1(b, NDIS_OFFLOAD_IPSEC_V1_OFFSET), NDIS_IPSEC_OFFLOAD_V1_NONE);
      assert.deepEqual(readIpsecOffloadV2(b, NDIS_OFFLOAD_IPSEC_V2_OFFSET), NDIS_IPSEC_OFFLOAD_V2_NONE);
    }),
    { numRuns: 100 },
  );
});
