import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { OidCodec } from '../../src/ndis/oid-codec-types.js';
import {
  COUNTER_BYTES_NEEDED,
  COUNTER_OIDS,
  OID_CODECS,
  OID_INFO,
  counterCodec,
  driverVersionCodec,
  encodeCounter,
  encodeToBytes,
  interruptModerationCodec,
  linkParametersCodec,
  linkStateCodec,
  maxLinkSpeedCodec,
  multicastListCodec,
  packetFilterCodec,
  setPowerCodec,
  statisticsCodec,
  supportedListCodec,
  ulongCodec,
  vendorDescriptionCodec,
  macAddressCodec,
} from '../../src/ndis/oid-codecs.js';
import * as C from '../../src/ndis/constants.js';
import * as O from '../../src/ndis/oids.js';
import { oidName } from '../../src/ndis/oids.js';
import {
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_UNSUPPORTED_REVISION,
  statusName,
} from '../../src/ndis/status.js';
import { NDIS_STATISTICS_COUNTERS, type NdisStatisticsInfo } from '../../src/ndis/structures.js';
import { arbitraryOffload, arbitraryOffloadParameters } from '../support/offload.js';
import { arbitraryRssCapabilities, arbitraryRssParameters } from '../support/rss.js';

/** Bytes from hex groups; whitespace is ignored so each field can sit on its own line. */
function hex(...parts: string[]): Uint8Array {
  const s = parts.join('').replace(/\s+/g, '');
  assert.equal(s.length % 2, 0, 'odd number of hex digits');
  return Uint8Array.from({ length: s.length / 2 }, (_, i) => parseInt(s.slice(2 * i, 2 * i + 2), 16));
}

const JUNK = 0xa5;
const PAD = 3;

/** Encodes at an odd offset into a junk-filled buffer, compares every byte (guards too), decodes back. */
function checkVector<T>(codec: OidCodec<T>, value: T, bytes: Uint8Array): void {
  assert.equal(codec.encodedLength(value), bytes.length, `${codec.name} encodedLength`);
  const buf = new Uint8Array(PAD + bytes.length + PAD).fill(JUNK);
  assert.equal(codec.encode(value, buf, PAD), bytes.length, `${codec.name} encode return`);
  const expected = new Uint8Array(buf.length).fill(JUNK);
  expected.set(bytes, PAD);
  assert.deepEqual(buf, expected, `${codec.name} bytes`);
  const r = codec.decode(buf, PAD, bytes.length);
  assert.ok(r.ok, `${codec.name} decode: ${r.ok ? '' : r.reason}`);
  assert.deepEqual(r.value, value);
}

// ======================================================================================================
// Byte vectors
// ======================================================================================================

test('OID_GEN_LINK_STATE: 1 Gb/s transmit, 10 Gb/s receive, full duplex, all auto-negotiated', () => {
  const bytes = hex(
    '80 01 2800',         // Header: Type NDIS_OBJECT_TYPE_DEFAULT, Revision 1, Size 40
    '01000000',           // MediaConnectState = MediaConnectStateConnected
    '02000000',           // MediaDuplexState = MediaDuplexStateFull
    '00000000',           // padding: the ULONG64s start on an 8-byte boundary
    '00ca9a3b 00000000',  // XmitLinkSpeed = 1 000 000 000
    '00e40b54 02000000',  // RcvLinkSpeed = 10 000 000 000
    '03000000',           // PauseFunctions = NdisPauseFunctionsSendAndReceive
    '0f000000',           // AutoNegotiationFlags = XMIT | RCV | DUPLEX | PAUSE_FUNCTIONS
  );
  assert.equal(bytes.length, 40);
  checkVector(linkStateCodec, {
    mediaConnectState: C.MediaConnectStateConnected,
    mediaDuplexState: C.MediaDuplexStateFull,
    xmitLinkSpeed: 1_000_000_000n,
    rcvLinkSpeed: 10_000_000_000n,
    pauseFunctions: C.NdisPauseFunctionsSendAndReceive,
    autoNegotiationFlags: 0xf,
  }, bytes);
});

test('OID_GEN_LINK_PARAMETERS: half duplex, 1 Mb/s transmit, unknown receive speed', () => {
  const bytes = hex(
    '80 01 2000',         // Header: Type DEFAULT, Revision 1, Size 32
    '01000000',           // MediaDuplexState = MediaDuplexStateHalf
    '40420f00 00000000',  // XmitLinkSpeed = 1 000 000 (already 8-aligned: no padding)
    'ffffffff ffffffff',  // RcvLinkSpeed = NDIS_LINK_SPEED_UNKNOWN
    '00000000',           // PauseFunctions = NdisPauseFunctionsUnsupported
    '05000000',           // AutoNegotiationFlags = XMIT_LINK_SPEED | DUPLEX
  );
  assert.equal(bytes.length, 32);
  checkVector(linkParametersCodec, {
    mediaDuplexState: C.MediaDuplexStateHalf,
    xmitLinkSpeed: 1_000_000n,
    rcvLinkSpeed: C.NDIS_LINK_SPEED_UNKNOWN,
    pauseFunctions: C.NdisPauseFunctionsUnsupported,
    autoNegotiationFlags: C.NDIS_LINK_STATE_XMIT_LINK_SPEED_AUTO_NEGOTIATED | C.NDIS_LINK_STATE_DUPLEX_AUTO_NEGOTIATED,
  }, bytes);
});

test('OID_GEN_MAX_LINK_SPEED: NDIS_LINK_SPEED has no header', () => {
  const bytes = hex(
    '00e87648 17000000',  // XmitLinkSpeed = 100 000 000 000
    '00ba1dd2 05000000',  // RcvLinkSpeed = 25 000 000 000
  );
  checkVector(maxLinkSpeedCodec, { xmitLinkSpeed: 100_000_000_000n, rcvLinkSpeed: 25_000_000_000n }, bytes);
});

test('OID_GEN_INTERRUPT_MODERATION', () => {
  const bytes = hex(
    '80 01 0c00',         // Header: Type DEFAULT, Revision 1, Size 12
    '01000000',           // Flags = NDIS_INTERRUPT_MODERATION_CHANGE_NEEDS_RESET
    '02000000',           // InterruptModeration = NdisInterruptModerationEnabled
  );
  checkVector(interruptModerationCodec, {
    flags: C.NDIS_INTERRUPT_MODERATION_CHANGE_NEEDS_RESET,
    interruptModeration: C.NdisInterruptModerationEnabled,
  }, bytes);
});

test('OID_GEN_STATISTICS: header, SupportedStatistics, 18 counters in order', () => {
  const bytes = hex(
    '80 01 9800',                 // Header: Type DEFAULT, Revision 1, Size 152
    '0f020000',                   // SupportedStatistics = DIRECTED/MULTICAST/BROADCAST_FRAMES_RCV | BYTES_RCV | BYTES_XMIT
    '01000000 00000000',          // ifInDiscards = 1
    '02000000 00000000',          // ifInErrors = 2
    'f0debc9a 78563412',          // ifHCInOctets = 0x123456789ABCDEF0
    '04000000 00000000',          // ifHCInUcastPkts = 4
    '05000000 00000000',          // ifHCInMulticastPkts = 5
    '06000000 00000000',          // ifHCInBroadcastPkts = 6
    '00000000 01000000',          // ifHCOutOctets = 2^32
    '08000000 00000000',          // ifHCOutUcastPkts = 8
    '09000000 00000000',          // ifHCOutMulticastPkts = 9
    '0a000000 00000000',          // ifHCOutBroadcastPkts = 10
    '0b000000 00000000',          // ifOutErrors = 11
    '0c000000 00000000',          // ifOutDiscards = 12
    '0d000000 00000000',          // ifHCInUcastOctets = 13
    '0e000000 00000000',          // ifHCInMulticastOctets = 14
    '0f000000 00000000',          // ifHCInBroadcastOctets = 15
    '10000000 00000000',          // ifHCOutUcastOctets = 16
    '11000000 00000000',          // ifHCOutMulticastOctets = 17
    'ffffffff ffffffff',          // ifHCOutBroadcastOctets = 2^64 - 1
  );
  assert.equal(bytes.length, 152);
  checkVector(statisticsCodec, {
    supportedStatistics:
      C.NDIS_STATISTICS_FLAGS_VALID_DIRECTED_FRAMES_RCV | C.NDIS_STATISTICS_FLAGS_VALID_MULTICAST_FRAMES_RCV |
      C.NDIS_STATISTICS_FLAGS_VALID_BROADCAST_FRAMES_RCV | C.NDIS_STATISTICS_FLAGS_VALID_BYTES_RCV |
      C.NDIS_STATISTICS_FLAGS_VALID_BYTES_XMIT,
    ifInDiscards: 1n,
    ifInErrors: 2n,
    ifHCInOctets: 0x123456789abcdef0n,
    ifHCInUcastPkts: 4n,
    ifHCInMulticastPkts: 5n,
    ifHCInBroadcastPkts: 6n,
    ifHCOutOctets: 1n << 32n,
    ifHCOutUcastPkts: 8n,
    ifHCOutMulticastPkts: 9n,
    ifHCOutBroadcastPkts: 10n,
    ifOutErrors: 11n,
    ifOutDiscards: 12n,
    ifHCInUcastOctets: 13n,
    ifHCInMulticastOctets: 14n,
    ifHCInBroadcastOctets: 15n,
    ifHCOutUcastOctets: 16n,
    ifHCOutMulticastOctets: 17n,
    ifHCOutBroadcastOctets: (1n << 64n) - 1n,
  }, bytes);
});

test('ULONG / USHORT / string / array OIDs', () => {
  // NDIS_PACKET_TYPE_DIRECTED | MULTICAST | BROADCAST
  checkVector(packetFilterCodec, 0x0b, hex('0b000000'));
  // 10 Gb/s in the legacy 100 b/s units = 100 000 000
  checkVector(ulongCodec(O.OID_GEN_LINK_SPEED), 100_000_000, hex('00e1f505'));
  // NDIS_MAC_OPTION_RESERVED: the top bit must survive as an unsigned value
  checkVector(ulongCodec(O.OID_GEN_MAC_OPTIONS), 0x80000000, hex('00000080'));
  // NDIS 6.50 = (6 << 8) | 50
  checkVector(driverVersionCodec, 0x0632, hex('3206'));
  // NdisDeviceStateD3
  checkVector(setPowerCodec, C.NdisDeviceStateD3, hex('04000000'));
  // "tsndis" + NUL
  checkVector(vendorDescriptionCodec, 'tsndis', hex('74 73 6e 64 69 73', '00'));
  checkVector(vendorDescriptionCodec, '', hex('00'));
  checkVector(supportedListCodec, [O.OID_GEN_SUPPORTED_LIST, O.OID_GEN_LINK_STATE, O.OID_802_3_MULTICAST_LIST], hex(
    '01010100',           // OID_GEN_SUPPORTED_LIST
    '07020100',           // OID_GEN_LINK_STATE
    '03010101',           // OID_802_3_MULTICAST_LIST
  ));
  checkVector(supportedListCodec, [], hex(''));
  checkVector(macAddressCodec(O.OID_802_3_CURRENT_ADDRESS), hex('02005e100001'), hex('02 00 5e 10 00 01'));
  checkVector(multicastListCodec, [hex('01005e000001'), hex('333300000001')], hex(
    '01 00 5e 00 00 01',  // 224.0.0.1
    '33 33 00 00 00 01',  // ff02::1
  ));
});

test('statistics counters: 8 bytes when offered, else the low 32 bits', () => {
  const codec = counterCodec(O.OID_GEN_BYTES_RCV);
  checkVector(codec, 0x123456789n, hex('89674523 01000000'));
  const buf = new Uint8Array(12).fill(JUNK);
  assert.equal(encodeCounter(0x123456789n, buf, 1, 4), 4);
  assert.deepEqual(buf, hex('a5', '89674523', 'a5a5a5a5 a5a5a5'));
  assert.equal(encodeCounter(0x123456789n, buf, 1, 3), 0);
  assert.equal(encodeCounter(5n, buf, 0, 7), 4);
  assert.equal(encodeCounter(5n, buf, 0, 9), 8);
  const r = codec.decode(hex('89674523 01'), 0, 5);
  assert.ok(r.ok);
  assert.equal(r.value, 0x23456789n);
});

// ======================================================================================================
// Per-OID arbitraries: every codec in OID_CODECS gets one
// ======================================================================================================

const ulong = fc.integer({ min: 0, max: 0xffffffff });
const ulong64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const ascii = fc.string({ unit: fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const linkState = fc.record({
  mediaConnectState: ulong, mediaDuplexState: ulong, xmitLinkSpeed: ulong64, rcvLinkSpeed: ulong64,
  pauseFunctions: ulong, autoNegotiationFlags: ulong,
}, { noNullPrototype: true });
const linkParameters = fc.record({
  mediaDuplexState: ulong, xmitLinkSpeed: ulong64, rcvLinkSpeed: ulong64, pauseFunctions: ulong, autoNegotiationFlags: ulong,
}, { noNullPrototype: true });
const statistics: fc.Arbitrary<NdisStatisticsInfo> = fc.record({
  supportedStatistics: ulong,
  ...Object.fromEntries(NDIS_STATISTICS_COUNTERS.map((k) => [k, ulong64])),
}, { noNullPrototype: true }) as fc.Arbitrary<NdisStatisticsInfo>;

const STRUCT_ARBS = new Map<number, fc.Arbitrary<unknown>>([
  [O.OID_GEN_LINK_STATE, linkState],
  [O.OID_GEN_LINK_PARAMETERS, linkParameters],
  [O.OID_GEN_MAX_LINK_SPEED, fc.record({ xmitLinkSpeed: ulong64, rcvLinkSpeed: ulong64 }, { noNullPrototype: true })],
  [O.OID_GEN_INTERRUPT_MODERATION, fc.record({ flags: ulong, interruptModeration: ulong }, { noNullPrototype: true })],
  [O.OID_GEN_STATISTICS, statistics],
  [O.OID_GEN_VENDOR_DESCRIPTION, ascii],
  [O.OID_GEN_SUPPORTED_LIST, fc.array(ulong, { maxLength: 40 })],
  [O.OID_802_3_MULTICAST_LIST, fc.array(mac, { maxLength: 32 })],
  [O.OID_GEN_DRIVER_VERSION, fc.integer({ min: 0, max: 0xffff })],
  [O.OID_GEN_MAC_ADDRESS, mac],
  [O.OID_802_3_PERMANENT_ADDRESS, mac],
  [O.OID_802_3_CURRENT_ADDRESS, mac],
  [O.OID_802_3_ADD_MULTICAST_ADDRESS, mac],
  [O.OID_802_3_DELETE_MULTICAST_ADDRESS, mac],
  [O.OID_TCP_OFFLOAD_CURRENT_CONFIG, arbitraryOffload],
  [O.OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, arbitraryOffload],
  [O.OID_TCP_OFFLOAD_PARAMETERS, arbitraryOffloadParameters],
  [O.OID_OFFLOAD_ENCAPSULATION, fc.record({
    ipv4: fc.record({ enabled: ulong, encapsulationType: ulong, headerSize: ulong }, { noNullPrototype: true }),
    ipv6: fc.record({ enabled: ulong, encapsulationType: ulong, headerSize: ulong }, { noNullPrototype: true }),
  }, { noNullPrototype: true })],
  [O.OID_TCP_RSC_STATISTICS, fc.record({ coalescedPkts: ulong64, coalescedOctets: ulong64, coalesceEvents: ulong64, aborts: ulong64 }, { noNullPrototype: true })],
  [O.OID_GEN_HD_SPLIT_PARAMETERS, fc.record({ hdSplitCombineFlags: ulong }, { noNullPrototype: true })],
  [
    O.OID_GEN_HD_SPLIT_CURRENT_CONFIG,
    fc.record({ hardwareCapabilities: ulong, currentCapabilities: ulong, hdSplitFlags: ulong, hdSplitCombineFlags: ulong, backfillSize: ulong, maxHeaderSize: ulong }, { noNullPrototype: true }),
  ],
  [O.OID_GEN_RECEIVE_SCALE_CAPABILITIES, arbitraryRssCapabilities],
  [O.OID_GEN_RECEIVE_SCALE_PARAMETERS, arbitraryRssParameters],
]);
const COUNTERS = new Set<number>(COUNTER_OIDS);
const HEADER_CODECS = [linkStateCodec, linkParametersCodec, interruptModerationCodec, statisticsCodec] as OidCodec<unknown>[];

function arbitraryFor(codec: OidCodec<unknown>): fc.Arbitrary<unknown> {
  if (COUNTERS.has(codec.oid)) return ulong64;
  const a = STRUCT_ARBS.get(codec.oid);
  if (a) return a;
  // everything else must be a plain ULONG codec
  assert.equal(codec.minLength, 4, codec.name);
  assert.equal(codec.encodedLength(0), 4, codec.name);
  return ulong;
}

test('OID_CODECS: keys, names and OID_INFO agree', () => {
  assert.ok(OID_CODECS.size >= 70);
  for (const [oid, codec] of OID_CODECS) {
    assert.equal(codec.oid, oid);
    assert.equal(codec.name, oidName(oid));
    assert.ok(!codec.name.startsWith('0x'), `${codec.name} has a constant in oids.ts`);
    const info = OID_INFO.get(oid);
    assert.ok(info, `OID_INFO lacks ${codec.name}`);
    assert.equal(info.name, codec.name);
  }
  for (const [oid, info] of OID_INFO) {
    assert.equal(info.name, oidName(oid));
    assert.ok(info.query || info.set || info.method, info.name);
  }
});

test('OID_INFO: spot checks against §4.3', () => {
  const get = (oid: number) => OID_INFO.get(oid)!;
  assert.deepEqual(get(O.OID_GEN_LINK_STATE), {
    name: 'OID_GEN_LINK_STATE', query: true, set: false, method: false, answeredByNdis: true, mandatory: false,
  });
  assert.equal(get(O.OID_GEN_LINK_PARAMETERS).set, true);
  assert.equal(get(O.OID_GEN_LINK_PARAMETERS).query, false);
  assert.equal(get(O.OID_GEN_LINK_PARAMETERS).mandatory, true);
  assert.equal(get(O.OID_GEN_INTERRUPT_MODERATION).mandatory, true);
  assert.equal(get(O.OID_GEN_STATISTICS).mandatory, true);
  assert.equal(get(O.OID_802_3_MULTICAST_LIST).set && get(O.OID_802_3_MULTICAST_LIST).query, true);
  assert.equal(get(O.OID_GEN_SUPPORTED_LIST).answeredByNdis, true);
  assert.equal(get(O.OID_GEN_CURRENT_PACKET_FILTER).answeredByNdis, false);
  assert.equal(get(O.OID_GEN_MAC_ADDRESS).set, true);
  assert.equal(get(O.OID_PNP_SET_POWER).set, true);
  assert.equal(get(O.OID_GEN_RSS_SET_INDIRECTION_TABLE_ENTRIES).method, true);
  const ndisAnswered = [...OID_INFO.values()].filter((i) => i.answeredByNdis).map((i) => i.name).sort();
  assert.deepEqual(ndisAnswered, [
    'OID_GEN_ENUMERATE_PORTS', 'OID_GEN_LINK_SPEED', 'OID_GEN_LINK_STATE', 'OID_GEN_MAC_ADDRESS', 'OID_GEN_MAC_OPTIONS',
    'OID_GEN_MAXIMUM_FRAME_SIZE', 'OID_GEN_MAXIMUM_LOOKAHEAD', 'OID_GEN_MAX_LINK_SPEED', 'OID_GEN_MEDIA_CONNECT_STATUS',
    'OID_GEN_MEDIA_IN_USE', 'OID_GEN_MEDIA_SUPPORTED', 'OID_GEN_PHYSICAL_MEDIUM', 'OID_GEN_PHYSICAL_MEDIUM_EX',
    'OID_GEN_PORT_STATE', 'OID_GEN_SUPPORTED_LIST', 'OID_TCP_OFFLOAD_CURRENT_CONFIG',
  ]);
});

// ======================================================================================================
// Properties
// ======================================================================================================

test('every codec: decode(encode(v)) deep-equals v, at any offset, with junk around it', () => {
  for (const codec of OID_CODECS.values()) {
    fc.assert(
      fc.property(arbitraryFor(codec), fc.nat(16), fc.nat(16), (value, before, after) => {
        const n = codec.encodedLength(value);
        assert.ok(n >= codec.minLength, codec.name);
        const buf = new Uint8Array(before + n + after).fill(JUNK);
        assert.equal(codec.encode(value, buf, before), n);
        assert.ok(buf.subarray(0, before).every((b) => b === JUNK), `${codec.name} wrote before offset`);
        assert.ok(buf.subarray(before + n).every((b) => b === JUNK), `${codec.name} wrote past encodedLength`);
        const r = codec.decode(buf, before, n);
        assert.ok(r.ok, `${codec.name}: ${r.ok ? '' : r.reason}`);
        assert.deepEqual(r.value, value);
        // a longer InformationBuffer than needed is fine for fixed-size values
        if (n === codec.minLength && n > 0) {
          const r2 = codec.decode(buf, before, n + after);
          assert.ok(r2.ok);
          assert.deepEqual(r2.value, value);
        }
      }),
      { numRuns: 60 },
    );
  }
});

test('fixed-size codecs reject every shorter length with INVALID_LENGTH and the right bytesNeeded', () => {
  for (const codec of OID_CODECS.values()) {
    if (codec.minLength === 0) continue;
    const sample = fc.sample(arbitraryFor(codec), { numRuns: 1, seed: 42 })[0];
    const bytes = encodeToBytes(codec, sample);
    const needed = COUNTERS.has(codec.oid) ? COUNTER_BYTES_NEEDED : codec.minLength;
    for (let len = 0; len < codec.minLength; len++) {
      const r = codec.decode(bytes, 0, len);
      assert.equal(r.ok, false, `${codec.name} accepted ${len} bytes`);
      if (r.ok) continue;
      assert.equal(r.status, NDIS_STATUS_INVALID_LENGTH, `${codec.name} len ${len}: ${statusName(r.status)}`);
      assert.equal(r.bytesNeeded, needed, `${codec.name} len ${len}`);
      // the same answer when the bytes are really missing, not just excluded by `length`
      const r2 = codec.decode(bytes.slice(0, len), 0, codec.minLength);
      assert.ok(!r2.ok && r2.status === NDIS_STATUS_INVALID_LENGTH && r2.bytesNeeded === needed, codec.name);
    }
  }
});

test('array codecs: a length that is not a whole number of elements is INVALID_LENGTH', () => {
  for (const [codec, size] of [[supportedListCodec, 4], [multicastListCodec, 6]] as const) {
    const bytes = new Uint8Array(4 * size).fill(1);
    for (let len = 1; len < bytes.length; len++) {
      const r = codec.decode(bytes, 0, len);
      if (len % size === 0) {
        assert.ok(r.ok && r.value.length === len / size);
      } else {
        assert.ok(!r.ok && r.status === NDIS_STATUS_INVALID_LENGTH, `${codec.name} ${len}`);
        assert.equal(r.bytesNeeded, Math.ceil(len / size) * size);
      }
    }
  }
});

test('object header validation: Type, Revision, Size', () => {
  for (const codec of HEADER_CODECS) {
    const size = codec.minLength;
    const good = encodeToBytes(codec, fc.sample(arbitraryFor(codec), { numRuns: 1, seed: 7 })[0]);
    assert.deepEqual([...good.subarray(0, 4)], [C.NDIS_OBJECT_TYPE_DEFAULT, 1, size & 0xff, size >> 8]);
    const expected = codec.decode(good, 0, size);
    assert.ok(expected.ok);
    const variant = (type: number, revision: number, hdrSize: number, extra = 0) => {
      const b = new Uint8Array(size + extra);
      b.set(good);
      b[0] = type;
      b[1] = revision;
      b[2] = hdrSize & 0xff;
      b[3] = hdrSize >> 8;
      return codec.decode(b, 0, b.length);
    };
    for (const type of [0x00, 0x7f, 0x81, 0x96, 0xff]) {
      const r = variant(type, 1, size);
      assert.ok(!r.ok && r.status === NDIS_STATUS_INVALID_PARAMETER, `${codec.name} type 0x${type.toString(16)}`);
    }
    const r0 = variant(C.NDIS_OBJECT_TYPE_DEFAULT, 0, size);
    assert.ok(!r0.ok && r0.status === NDIS_STATUS_UNSUPPORTED_REVISION, `${codec.name} revision 0`);
    for (const small of [0, 4, size - 1]) {
      const r = variant(C.NDIS_OBJECT_TYPE_DEFAULT, 1, small);
      assert.ok(!r.ok && r.status === NDIS_STATUS_INVALID_LENGTH && r.bytesNeeded === size, `${codec.name} Size ${small}`);
    }
    // later revisions only append fields: read through the revision-1 prefix
    assert.deepEqual(variant(C.NDIS_OBJECT_TYPE_DEFAULT, 2, size + 8, 8), expected);
    assert.deepEqual(variant(C.NDIS_OBJECT_TYPE_DEFAULT, 1, size, 16), expected);
  }
});

/** A view that records every element read outside [lo, hi), including through slice/subarray. */
function guarded(bytes: Uint8Array, lo: number, hi: number, bad: string[]): Uint8Array {
  const check = (a: number, b: number) => {
    if (a < lo || b > hi) bad.push(`range [${a}, ${b})`);
  };
  return new Proxy(bytes, {
    get(target, prop) {
      if (typeof prop === 'string' && /^-?\d+$/.test(prop)) {
        const i = Number(prop);
        if (i < lo || i >= hi) bad.push(`index ${i}`);
        return target[i];
      }
      if (prop === 'slice' || prop === 'subarray') {
        return (a = 0, b = target.length) => {
          check(a, b);
          return target[prop](a, b);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('decode of random bytes never throws, never reads outside the window, fails only with length/header statuses', () => {
  const allowed = new Set([NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_INVALID_PARAMETER, NDIS_STATUS_UNSUPPORTED_REVISION]);
  const lengthArb = fc.oneof(fc.integer({ min: -8, max: 400 }), fc.constantFrom(NaN, Infinity, -Infinity, 2.5));
  const offsetArb = fc.oneof(fc.integer({ min: -8, max: 320 }), fc.constantFrom(NaN, 1.5));
  for (const codec of OID_CODECS.values()) {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), offsetArb, lengthArb, (bytes, offset, length) => {
        const valid = Number.isInteger(offset) && offset >= 0 && offset <= bytes.length && length > 0;
        const n = valid ? Math.min(Math.floor(length), bytes.length - offset) : 0;
        const bad: string[] = [];
        const r = codec.decode(guarded(bytes, offset, offset + n, bad), offset, length);
        assert.deepEqual(bad, [], codec.name);
        if (!r.ok) {
          assert.ok(allowed.has(r.status), `${codec.name}: ${statusName(r.status)}`);
          assert.ok(Number.isInteger(r.bytesNeeded) && r.bytesNeeded >= 0);
          assert.equal(typeof r.reason, 'string');
        }
      }),
      { numRuns: 80 },
    );
  }
});

test('encode rejects impossible values', () => {
  assert.throws(() => encodeToBytes(vendorDescriptionCodec, 'caf\u00e9'), RangeError);
  assert.throws(() => encodeToBytes(vendorDescriptionCodec, 'a\u0000b'), RangeError);
  assert.throws(() => encodeToBytes(macAddressCodec(O.OID_GEN_MAC_ADDRESS), new Uint8Array(5)), RangeError);
  assert.throws(() => encodeToBytes(multicastListCodec, [new Uint8Array(6), new Uint8Array(7)]), RangeError);
});

test('decoded MAC addresses are copies, not views of the InformationBuffer', () => {
  const buf = hex('02005e100001');
  const r = macAddressCodec(O.OID_GEN_MAC_ADDRESS).decode(buf, 0, 6);
  assert.ok(r.ok);
  buf[0] = 0xff;
  assert.equal(r.value[0], 0x02);
});

test('vendor description: stops at NUL, tolerates a missing NUL', () => {
  const r1 = vendorDescriptionCodec.decode(hex('41 42 00 43'), 0, 4);
  assert.ok(r1.ok && r1.value === 'AB');
  const r2 = vendorDescriptionCodec.decode(hex('41 42 43'), 0, 3);
  assert.ok(r2.ok && r2.value === 'ABC');
});
