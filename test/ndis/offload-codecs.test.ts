/**
 * Task-offload OID codecs: byte vectors for NDIS_OFFLOAD (revision 3, and reading revisions 1 and 2),
 * NDIS_OFFLOAD_PARAMETERS, NDIS_OFFLOAD_ENCAPSULATION and NDIS_RSC_STATISTICS_INFO; header checks per
 * claimed revision; round trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { OidCodec } from '../../src/ndis/oid-codec-types.js';
import {
  OID_CODECS,
  encodeToBytes,
  offloadCurrentConfigCodec,
  offloadEncapsulationCodec,
  offloadHardwareCapabilitiesCodec,
  offloadParametersCodec,
  rscStatisticsCodec,
} from '../../src/ndis/oid-codecs.js';
import * as O from '../../src/ndis/oids.js';
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_NONE,
  NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED,
  NDIS_OFFLOAD_PARAMETERS_SKIP_REGISTRY_UPDATE,
  NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
  NDIS_OFFLOAD_SET_ON,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_1,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_2,
  NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3,
} from '../../src/ndis/offload.js';
import { NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_UNSUPPORTED_REVISION } from '../../src/ndis/status.js';
import { FULL_OFFLOAD, arbitraryOffload } from '../support/offload.js';

function hex(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/\s+/g, '');
  assert.equal(s.length % 2, 0, 'odd number of hex digits');
  return Uint8Array.from({ length: s.length / 2 }, (_, i) => parseInt(s.slice(2 * i, 2 * i + 2), 16));
}

/** Encodes at an odd offset into junk, compares every byte, decodes back. */
function checkVector<T>(codec: OidCodec<T>, value: T, bytes: Uint8Array): void {
  assert.equal(codec.encodedLength(value), bytes.length, `${codec.name} encodedLength`);
  const buf = new Uint8Array(3 + bytes.length + 3).fill(0xa5);
  assert.equal(codec.encode(value, buf, 3), bytes.length);
  const expected = new Uint8Array(buf.length).fill(0xa5);
  expected.set(bytes, 3);
  assert.deepEqual(buf, expected, `${codec.name} bytes`);
  const r = codec.decode(buf, 3, bytes.length);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.deepEqual(r.value, value);
}

const FULL_OFFLOAD_BYTES = hex(
  'a7 03 9c00',                            // Header: NDIS_OBJECT_TYPE_OFFLOAD, Revision 3, Size 156
  '02000000 55010000',                     // IPv4Transmit: 802.3; IpOptions|TcpOptions|Tcp|Udp|Ip = 1|1<<2|1<<4|1<<6|1<<8
  '02000000 55010000',                     // IPv4Receive
  '02000000 55000000',                     // IPv6Transmit: ExtHeaders|TcpOptions|Tcp|Udp
  '02000000 55000000',                     // IPv6Receive
  '00000000 00000000 00000000 00000000',   // LsoV1.IPv4: not supported
  '00'.repeat(28),                         // IPsecV1
  '02000000 00fa0000 02000000',            // LsoV2.IPv4: 802.3, MaxOffLoadSize 64000, MinSegmentCount 2
  '02000000 00fa0000 02000000 05000000',   // LsoV2.IPv6: … , IpExtensionHeadersSupported | TcpOptionsSupported << 2
  '00000000',                              // Flags (end of revision 1 at 112)
  '00'.repeat(32),                         // IPsecV2 (end of revision 2 at 144)
  '01 01 0000',                            // Rsc.IPv4.Enabled, Rsc.IPv6.Enabled, padding
  '00000000 00000000',                     // EncapsulatedPacketTaskOffloadGre (end of revision 3 at 156)
);

test('NDIS_OFFLOAD revision 3: a full TAP-like configuration, byte for byte', () => {
  assert.equal(FULL_OFFLOAD_BYTES.length, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3);
  checkVector(offloadCurrentConfigCodec, FULL_OFFLOAD, FULL_OFFLOAD_BYTES);
  checkVector(offloadHardwareCapabilitiesCodec, FULL_OFFLOAD, FULL_OFFLOAD_BYTES);
});

test('NDIS_OFFLOAD: revision 1 and 2 buffers are read, without RSC', () => {
  for (const [rev, size] of [[1, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_1], [2, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_2]] as const) {
    const b = FULL_OFFLOAD_BYTES.slice(0, size);
    b[1] = rev;
    b[2] = size;
    b[3] = 0;
    const r = offloadCurrentConfigCodec.decode(b, 0, b.length);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual(r.value, { ...FULL_OFFLOAD, rsc: { ipv4Enabled: false, ipv6Enabled: false } });
  }
});

test('NDIS_OFFLOAD: the header is checked against the size of the revision it claims', () => {
  const variant = (type: number, rev: number, size: number, length: number) => {
    const b = new Uint8Array(200);
    b.set(FULL_OFFLOAD_BYTES);
    b[0] = type;
    b[1] = rev;
    b[2] = size & 0xff;
    b[3] = size >> 8;
    return offloadCurrentConfigCodec.decode(b, 0, length);
  };
  const bad = (r: ReturnType<typeof variant>, status: number, needed?: number) => {
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.status, status);
    if (needed !== undefined) assert.equal(r.bytesNeeded, needed);
  };
  bad(variant(0xa7, 3, 156, 111), NDIS_STATUS_INVALID_LENGTH, 112);
  bad(variant(0x80, 3, 156, 156), NDIS_STATUS_INVALID_PARAMETER);
  bad(variant(0xa7, 0, 156, 156), NDIS_STATUS_UNSUPPORTED_REVISION);
  bad(variant(0xa7, 3, 144, 156), NDIS_STATUS_INVALID_LENGTH, 156); // Size of revision 2 but claims 3
  bad(variant(0xa7, 3, 156, 150), NDIS_STATUS_INVALID_LENGTH, 156); // the buffer ends before RSC
  bad(variant(0xa7, 1, 100, 156), NDIS_STATUS_INVALID_LENGTH, 112);
  // Revision 5 (through Rfc6877Xlat, 188 bytes) is read without USO.
  const later = variant(0xa7, 5, 188, 188);
  assert.ok(later.ok);
  assert.deepEqual(later.value, FULL_OFFLOAD);
});

test('NDIS_OFFLOAD: round trip of any value, and NDIS_OFFLOAD_NONE is all zeros but the header', () => {
  fc.assert(
    fc.property(arbitraryOffload, (v) => {
      const r = offloadCurrentConfigCodec.decode(encodeToBytes(offloadCurrentConfigCodec, v), 0, NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3);
      assert.ok(r.ok);
      assert.deepEqual(r.value, v);
    }),
    { numRuns: 200 },
  );
  const none = encodeToBytes(offloadCurrentConfigCodec, NDIS_OFFLOAD_NONE);
  assert.deepEqual([...none.subarray(0, 4)], [0xa7, 3, 156, 0]);
  assert.ok(none.subarray(4).every((b) => b === 0));
});

test('NDIS_OFFLOAD_PARAMETERS revision 3, byte for byte; revisions 1 and 2 read with NO_CHANGE for the rest', () => {
  const value = {
    ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
    tcpIpv4Checksum: NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED,
    udpIpv4Checksum: NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED,
    lsoV2IPv4: NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED,
    flags: NDIS_OFFLOAD_PARAMETERS_SKIP_REGISTRY_UPDATE,
    ipsecV2IPv4: 3,
    rscIPv6: NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED,
    encapsulationTypes: 2,
  };
  const bytes = hex(
    '80 03 1a00',       // Header: DEFAULT, Revision 3, Size 26
    '00',               // IPv4Checksum: no change
    '04',               // TCPIPv4Checksum: TX_RX_ENABLED
    '02',               // UDPIPv4Checksum: TX_ENABLED_RX_DISABLED
    '00 00',            // TCPIPv6Checksum, UDPIPv6Checksum
    '00 00',            // LsoV1, IPsecV1
    '01 00',            // LsoV2IPv4: LSOV2_DISABLED, LsoV2IPv6
    '00 00',            // TcpConnectionIPv4/IPv6
    '00',               // padding before the ULONG
    '01000000',         // Flags: SKIP_REGISTRY_UPDATE (end of revision 1 at 20)
    '00 03',            // IPsecV2, IPsecV2IPv4 (end of revision 2 at 22)
    '00 02',            // RscIPv4, RscIPv6: RSC_ENABLED
    '00 02',            // EncapsulatedPacketTaskOffload, EncapsulationTypes (end of revision 3 at 26)
  );
  checkVector(offloadParametersCodec, value, bytes);
  const r1 = bytes.slice(0, 20);
  r1[1] = 1;
  r1[2] = 20;
  const d1 = offloadParametersCodec.decode(r1, 0, 20);
  assert.ok(d1.ok);
  assert.deepEqual(d1.value, { ...value, ipsecV2IPv4: 0, rscIPv6: 0, encapsulationTypes: 0 });
  const r2 = bytes.slice(0, 22);
  r2[1] = 2;
  r2[2] = 22;
  const d2 = offloadParametersCodec.decode(r2, 0, 22);
  assert.ok(d2.ok);
  assert.deepEqual(d2.value, { ...value, rscIPv6: 0, encapsulationTypes: 0 });
  // Claiming revision 3 with the revision-2 size is a length error.
  r2[1] = 3;
  const bad = offloadParametersCodec.decode(r2, 0, 22);
  assert.ok(!bad.ok && bad.status === NDIS_STATUS_INVALID_LENGTH && bad.bytesNeeded === 26);
});

test('NDIS_OFFLOAD_ENCAPSULATION: 802.3 on for both IP versions', () => {
  const fam = { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: 14 };
  checkVector(offloadEncapsulationCodec, { ipv4: fam, ipv6: { ...fam, enabled: 2 } }, hex(
    'a8 01 1c00',                  // Header: NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION, Revision 1, Size 28
    '01000000 02000000 0e000000',  // IPv4: SET_ON, IEEE_802_3, 14
    '02000000 02000000 0e000000',  // IPv6: SET_OFF, IEEE_802_3, 14
  ));
});

test('NDIS_RSC_STATISTICS_INFO: header, padding, four ULONG64 counters', () => {
  checkVector(rscStatisticsCodec, { coalescedPkts: 3n, coalescedOctets: 0x1_0000_0000n, coalesceEvents: 1n, aborts: 0n }, hex(
    '80 01 2800',          // Header: DEFAULT, Revision 1, Size 40
    '00000000',            // padding: the ULONG64s are 8-aligned
    '03000000 00000000',   // CoalescedPkts
    '00000000 01000000',   // CoalescedOctets = 2^32
    '01000000 00000000',   // CoalesceEvents
    '00000000 00000000',   // Aborts
  ));
});

test('the offload codecs are registered for their OIDs', () => {
  assert.equal(OID_CODECS.get(O.OID_TCP_OFFLOAD_CURRENT_CONFIG), offloadCurrentConfigCodec);
  assert.equal(OID_CODECS.get(O.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES), offloadHardwareCapabilitiesCodec);
  assert.equal(OID_CODECS.get(O.OID_TCP_OFFLOAD_PARAMETERS), offloadParametersCodec);
  assert.equal(OID_CODECS.get(O.OID_OFFLOAD_ENCAPSULATION), offloadEncapsulationCodec);
  assert.equal(OID_CODECS.get(O.OID_TCP_RSC_STATISTICS), rscStatisticsCodec);
});
