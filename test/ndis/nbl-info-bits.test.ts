import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as B from '../../src/ndis/nbl-info-bits.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

// --- Checksum -----------------------------------------------------------------------------------------

test('checksum tx: TCP checksum on IPv4 with TcpHeaderOffset 34 (Ethernet 14 + IPv4 20)', () => {
  // bit 0 IsIPv4, bit 2 TcpChecksum, bits 16–25 TcpHeaderOffset = 34 = 0x22
  assert.equal(B.checksumTx({ isIPv4: true, tcpChecksum: true, tcpHeaderOffset: 34 }), 0x00220005);
  assert.equal(B.checksumTxValue(B.CHECKSUM_TX_IS_IPV4 | B.CHECKSUM_TX_TCP_CHECKSUM, 34), 0x00220005);
  assert.equal(B.checksumTxTcpHeaderOffset(0x00220005), 34);
});

test('checksum tx: each field at its documented bit', () => {
  assert.equal(B.checksumTx({ isIPv4: true }), 1 << 0);
  assert.equal(B.checksumTx({ isIPv6: true }), 1 << 1);
  assert.equal(B.checksumTx({ tcpChecksum: true }), 1 << 2);
  assert.equal(B.checksumTx({ udpChecksum: true }), 1 << 3);
  assert.equal(B.checksumTx({ ipHeaderChecksum: true }), 1 << 4);
  assert.equal(B.checksumTx({ tcpHeaderOffset: 0x3ff }), 0x03ff0000);
  // IPv6 + UDP, UDP header at 14 + 40 = 54
  assert.equal(B.checksumTx({ isIPv6: true, udpChecksum: true, tcpHeaderOffset: 54 }), 0x0036000a);
  assert.throws(() => B.checksumTx({ tcpHeaderOffset: 1024 }), RangeError);
  assert.throws(() => B.checksumTx({ tcpHeaderOffset: -1 }), RangeError);
});

test('checksum rx: each field at its documented bit', () => {
  const names = [
    'tcpChecksumFailed', 'udpChecksumFailed', 'ipChecksumFailed', 'tcpChecksumSucceeded',
    'udpChecksumSucceeded', 'ipChecksumSucceeded', 'loopback', 'tcpChecksumValueInvalid', 'ipChecksumValueInvalid',
  ] as const;
  names.forEach((name, bit) => {
    assert.equal(B.checksumRx({ [name]: true }), 1 << bit, name);
    const read = B.readChecksumRx(1 << bit);
    for (const other of names) assert.equal(read[other], other === name, `${name} → ${other}`);
  });
});

const checksumTxArb = fc.record({
  isIPv4: fc.boolean(), isIPv6: fc.boolean(), tcpChecksum: fc.boolean(), udpChecksum: fc.boolean(),
  ipHeaderChecksum: fc.boolean(), tcpHeaderOffset: fc.integer({ min: 0, max: 0x3ff }),
}, { noNullPrototype: true });
const checksumRxArb = fc.record({
  tcpChecksumFailed: fc.boolean(), udpChecksumFailed: fc.boolean(), ipChecksumFailed: fc.boolean(),
  tcpChecksumSucceeded: fc.boolean(), udpChecksumSucceeded: fc.boolean(), ipChecksumSucceeded: fc.boolean(),
  loopback: fc.boolean(), tcpChecksumValueInvalid: fc.boolean(), ipChecksumValueInvalid: fc.boolean(),
}, { noNullPrototype: true });

test('checksum: read(pack(x)) = x; pack(read(v)) keeps exactly the defined bits', () => {
  fc.assert(fc.property(checksumTxArb, (x) => assert.deepEqual(B.readChecksumTx(B.checksumTx(x)), x)));
  fc.assert(fc.property(checksumRxArb, (x) => assert.deepEqual(B.readChecksumRx(B.checksumRx(x)), x)));
  fc.assert(
    fc.property(u32, (v) => {
      assert.equal(B.checksumTx(B.readChecksumTx(v)), (v & 0x03ff001f) >>> 0);
      assert.equal(B.checksumRx(B.readChecksumRx(v)), v & B.CHECKSUM_RX_FLAGS_MASK);
    }),
  );
});

// --- LSO ----------------------------------------------------------------------------------------------

test('lso: v1 and v2 transmit, v1/v2 transmit-complete bit positions', () => {
  // MSS 1460 = 0x5B4 in bits 0–19, TcpHeaderOffset 34 in bits 20–29, Type 0
  assert.equal(B.lsoV1Transmit({ mss: 1460, tcpHeaderOffset: 34 }), 0x022005b4);
  // MSS 1460, offset 54 (IPv6), Type 1 (bit 30), IPVersion IPv6 (bit 31)
  const v2 = B.lsoV2Transmit({ mss: 1460, tcpHeaderOffset: 54, ipVersion: B.NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 });
  assert.equal(v2, 0xc36005b4);
  assert.equal(B.lsoType(v2), B.NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE);
  assert.equal(B.lsoV2IpVersion(v2), 1);
  assert.equal(B.lsoMss(v2), 1460);
  assert.equal(B.lsoTcpHeaderOffset(v2), 54);
  assert.equal(B.lsoV2Transmit({ mss: 1460, tcpHeaderOffset: 34, ipVersion: B.NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 }), 0x422005b4);
  // the spec's worked example: 4000 payload bytes in 3 segments
  assert.equal(B.lsoV1TransmitComplete({ tcpPayload: 4000 }), 0x00000fa0);
  assert.equal(B.lsoV1TransmitCompleteValue(4000), 0x00000fa0);
  assert.equal(B.lsoType(B.lsoV1TransmitCompleteValue(4000)), B.NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE);
  assert.equal(B.LSO_V2_TRANSMIT_COMPLETE, 0x40000000);
  assert.equal(B.lsoType(B.LSO_V2_TRANSMIT_COMPLETE), 1);
  assert.equal(B.lsoTransmitValue(1, 1460, 54, 1), v2);
  assert.throws(() => B.lsoV1Transmit({ mss: 0x100000, tcpHeaderOffset: 0 }), RangeError);
  assert.throws(() => B.lsoV2Transmit({ mss: 1, tcpHeaderOffset: 0, ipVersion: 2 }), RangeError);
  assert.throws(() => B.lsoV1TransmitComplete({ tcpPayload: 0x40000000 }), RangeError);
});

test('lso: round trips', () => {
  const mss = fc.integer({ min: 0, max: B.LSO_MSS_MAX });
  const off = fc.integer({ min: 0, max: B.LSO_TCP_HEADER_OFFSET_MAX });
  fc.assert(fc.property(fc.record({ mss, tcpHeaderOffset: off }, { noNullPrototype: true }), (x) => {
    const v = B.lsoV1Transmit(x);
    assert.deepEqual(B.readLsoV1Transmit(v), x);
    assert.equal(B.lsoType(v), 0);
    assert.equal(v, B.lsoTransmitValue(0, x.mss, x.tcpHeaderOffset, 0));
  }));
  fc.assert(fc.property(fc.record({ mss, tcpHeaderOffset: off, ipVersion: fc.integer({ min: 0, max: 1 }) }, { noNullPrototype: true }), (x) => {
    const v = B.lsoV2Transmit(x);
    assert.deepEqual(B.readLsoV2Transmit(v), x);
    assert.equal(B.lsoType(v), 1);
    assert.ok(v >= 0 && v <= 0xffffffff);
  }));
  fc.assert(fc.property(fc.integer({ min: 0, max: B.LSO_V1_TCP_PAYLOAD_MAX }), (tcpPayload) => {
    assert.deepEqual(B.readLsoV1TransmitComplete(B.lsoV1TransmitComplete({ tcpPayload })), { tcpPayload });
  }));
  fc.assert(fc.property(u32, (v) => {
    // every bit of a v2 transmit word belongs to some field
    assert.equal(B.lsoTransmitValue(B.lsoType(v), B.lsoMss(v), B.lsoTcpHeaderOffset(v), B.lsoV2IpVersion(v)), v);
  }));
});

// --- 802.1Q -------------------------------------------------------------------------------------------

test('802.1Q: priority 5, VLAN 100; WLAN WMMInfo at 16–19', () => {
  // UserPriority bits 0–2 = 5, CanonicalFormatId bit 3 = 0, VlanId bits 4–15 = 100 = 0x064
  assert.equal(B.ieee8021Q({ userPriority: 5, canonicalFormatId: 0, vlanId: 100 }), 0x00000645);
  assert.equal(B.ieee8021QValue(5, 100), 0x00000645);
  assert.equal(B.ieee8021Q({ userPriority: 0, canonicalFormatId: 1, vlanId: 0 }), 0x8);
  assert.equal(B.ieee8021Q({ userPriority: 7, canonicalFormatId: 0, vlanId: 4095 }), 0xfff7);
  assert.equal(B.ieee8021QWlan({ userPriority: 5, canonicalFormatId: 0, vlanId: 100, wmmInfo: 3 }), 0x00030645);
  assert.equal(B.ieee8021QVlanId(0x00030645), 100);
  assert.equal(B.ieee8021QUserPriority(0x00030645), 5);
  assert.throws(() => B.ieee8021Q({ userPriority: 8, canonicalFormatId: 0, vlanId: 0 }), RangeError);
  assert.throws(() => B.ieee8021Q({ userPriority: 0, canonicalFormatId: 0, vlanId: 4096 }), RangeError);
});

test('802.1Q: round trips', () => {
  const tag = fc.record({
    userPriority: fc.integer({ min: 0, max: 7 }),
    canonicalFormatId: fc.integer({ min: 0, max: 1 }),
    vlanId: fc.integer({ min: 0, max: 0xfff }),
  }, { noNullPrototype: true });
  fc.assert(fc.property(tag, (x) => assert.deepEqual(B.readIeee8021Q(B.ieee8021Q(x)), x)));
  fc.assert(fc.property(tag, fc.integer({ min: 0, max: 0xf }), (x, wmmInfo) => {
    const w = { ...x, wmmInfo };
    assert.deepEqual(B.readIeee8021QWlan(B.ieee8021QWlan(w)), w);
  }));
  fc.assert(fc.property(u32, (v) => assert.equal(B.ieee8021Q(B.readIeee8021Q(v)), v & 0xffff)));
});

// --- Hash info, RSC -----------------------------------------------------------------------------------

test('hash info: type | function, masks and macros', () => {
  const h = B.hashInfo({ hashType: B.NDIS_HASH_TCP_IPV4, hashFunction: B.NdisHashFunctionToeplitz });
  assert.equal(h, 0x00000201);
  assert.equal(B.rssHashTypeFromHashInfo(h), B.NDIS_HASH_TCP_IPV4);
  assert.equal(B.rssHashFuncFromHashInfo(h), B.NdisHashFunctionToeplitz);
  assert.equal(B.rssHashInfoFromTypeAndFunc(B.NDIS_HASH_UDP_IPV6_EX, 1), 0x00010001);
  assert.equal(B.NDIS_HASH_FUNCTION_MASK, 0xff);
  assert.equal(B.NDIS_HASH_TYPE_MASK, 0x00ffff00);
  assert.throws(() => B.hashInfo({ hashType: 0x01000000, hashFunction: 1 }), RangeError);
  assert.throws(() => B.hashInfo({ hashType: 0x100, hashFunction: 0x100 }), RangeError);
  const types = [B.NDIS_HASH_IPV4, B.NDIS_HASH_TCP_IPV4, B.NDIS_HASH_IPV6, B.NDIS_HASH_IPV6_EX, B.NDIS_HASH_TCP_IPV6,
    B.NDIS_HASH_TCP_IPV6_EX, B.NDIS_HASH_UDP_IPV4, B.NDIS_HASH_UDP_IPV6, B.NDIS_HASH_UDP_IPV6_EX];
  assert.deepEqual(types, [0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000, 0x10000]);
  for (const t of types) assert.equal(t & ~B.NDIS_HASH_TYPE_MASK, 0);
});

test('hash info and RSC info: round trips', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xff }), (t, f) => {
    const x = { hashType: t << 8, hashFunction: f };
    assert.deepEqual(B.readHashInfo(B.hashInfo(x)), x);
  }));
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (c, d) => {
    const x = { coalescedSegCount: c, dupAckCount: d };
    const v = B.rscInfo(x);
    assert.deepEqual(B.readRscInfo(v), x);
    assert.equal(B.rscInfoValue(c, d), v);
  }));
  // the spec's RSC worked example: 3 segments, no dup ACKs
  assert.equal(B.rscInfo({ coalescedSegCount: 3, dupAckCount: 0 }), 3);
  assert.equal(B.rscInfo({ coalescedSegCount: 3, dupAckCount: 2 }), 0x00020003);
});
