/**
 * The small pieces around the headers: WireError names, address text forms, emitters refusing a
 * buffer that is too small (a caller bug, so a RangeError), option readers given a range outside
 * their buffer, and the `bytes`/`offset` a view was bound to.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ArpView,
  EthernetView,
  Icmpv4Type,
  Icmpv4View,
  Icmpv6Type,
  Icmpv6View,
  Ipv4View,
  Ipv6ExtHeaderView,
  Ipv6FragmentView,
  Ipv6View,
  NO_TCP_OPTIONS,
  NdpOptionReader,
  TcpOptionReader,
  TcpView,
  UdpView,
  WireError,
  emitArp,
  emitIcmpv4,
  emitIcmpv6,
  emitIpv4,
  emitIpv6,
  emitIpv6Fragment,
  emitIpv6OptionsHeader,
  emitIpv6Routing,
  emitTcp,
  emitUdp,
  formatIpv4,
  formatIpv6,
  formatMac,
  ipv4,
  ipv6,
  isWireError,
  mac,
  parseIpv4Address,
  wireErrorName,
} from '../../src/wire/index.js';
import { hex, junk } from './helpers.js';

test('errors: names for every code, 0 and unknown values; isWireError tells codes from Reprs', () => {
  assert.deepEqual(Object.values(WireError).map(wireErrorName), Object.keys(WireError));
  assert.equal(wireErrorName(0), 'Ok');
  assert.equal(wireErrorName(42 as WireError), 'Unknown(42)');
  assert.ok(isWireError(WireError.Truncated));
  assert.ok(!isWireError(0) && !isWireError({}) && !isWireError('Truncated'));
});

test('addresses: text forms both ways', () => {
  assert.equal(ipv4(198, 18, 7, 1), 0xc6120701);
  assert.equal(parseIpv4Address('198.18.7.1'), 0xc6120701);
  assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
  for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.x', '']) assert.throws(() => parseIpv4Address(bad), TypeError);
  assert.equal(formatMac(mac('02-00-00-00-07-0A')), '02:00:00:00:07:0a');
  assert.equal(formatMac(hex('00 0102 0304 0506 07'), 1), '01:02:03:04:05:06');
  for (const bad of ['02:00:00:00:07', '02:00:00:00:07:gg', '002:00:00:00:07:01']) assert.throws(() => mac(bad), TypeError);
  const cases: Array<[string, string]> = [
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::1', 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952 §4.2.3: the first of equal runs
    ['2001:db8::0:1', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['FD00:7::ABCD', 'fd00:7::abcd'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
  ];
  for (const [text, canonical] of cases) assert.equal(formatIpv6(ipv6(text)), canonical, text);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '::g', '1:2:3:4:5:6:7::8', '12345::']) assert.throws(() => ipv6(bad), TypeError, bad);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) => {
      assert.deepEqual(ipv6(formatIpv6(a)), a);
    }),
  );
});

test('emitters: a buffer too small for what the Repr needs is a RangeError, and nothing is written', () => {
  const v4 = { version: 4 as const, src: 1, dst: 2 };
  const v6 = { version: 6 as const, src: new Uint8Array(16), dst: new Uint8Array(16) };
  const emits: Array<[string, (b: Uint8Array) => number, number]> = [
    ['arp', (b) => emitArp({ operation: 1, senderHardwareAddr: new Uint8Array(6), senderProtocolAddr: 0, targetHardwareAddr: new Uint8Array(6), targetProtocolAddr: 0 }, b, 0), 28],
    ['ipv4', (b) => emitIpv4({ dscp: 0, ecn: 0, identification: 0, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 1, protocol: 1, src: 0, dst: 0, options: new Uint8Array(4), payloadLength: 0 }, b, 0), 24],
    ['ipv6', (b) => emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: 59, hopLimit: 1, src: new Uint8Array(16), dst: new Uint8Array(16), payloadLength: 0 }, b, 0), 40],
    ['ipv6 options', (b) => emitIpv6OptionsHeader({ nextHeader: 59, options: new Uint8Array(14) }, b, 0), 16],
    ['ipv6 routing', (b) => emitIpv6Routing({ nextHeader: 59, routingType: 0, segmentsLeft: 0, data: new Uint8Array(4) }, b, 0), 8],
    ['ipv6 fragment', (b) => emitIpv6Fragment({ nextHeader: 59, fragmentOffset: 0, moreFragments: false, identification: 0 }, b, 0), 8],
    ['icmpv4', (b) => emitIcmpv4({ type: Icmpv4Type.EchoRequest, identifier: 0, sequenceNumber: 0, data: new Uint8Array(4) }, b, 0), 12],
    ['icmpv6', (b) => emitIcmpv6({ type: Icmpv6Type.NeighborSolicitation, targetAddr: new Uint8Array(16), sourceLinkLayerAddr: new Uint8Array(6) }, b, 0, v6), 32],
    ['udp', (b) => emitUdp({ srcPort: 1, dstPort: 2, payloadLength: 4 }, b, 0, v4), 12],
    ['tcp', (b) => emitTcp({ srcPort: 1, dstPort: 2, seqNumber: 0, ackNumber: 0, flags: 2, windowSize: 0, urgentPointer: 0, options: { ...NO_TCP_OPTIONS, mss: 1 }, payloadLength: 4 }, b, 0, v4), 28],
  ];
  for (const [what, emit, needs] of emits) {
    const small = junk(needs - 1);
    assert.throws(() => emit(small), RangeError, what);
    assert.ok(small.every((x) => x === 0xa5), `${what}: nothing written`);
    assert.ok(emit(junk(needs)) > 0, what);
  }
  assert.throws(() => emitIpv4({ dscp: 0, ecn: 0, identification: 0, dontFragment: false, moreFragments: false, fragmentOffset: 4, ttl: 1, protocol: 1, src: 0, dst: 0, options: new Uint8Array(0), payloadLength: 0 }, junk(20), 0), RangeError);
  assert.throws(() => emitIpv4({ dscp: 0, ecn: 0, identification: 0, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 1, protocol: 1, src: 0, dst: 0, options: new Uint8Array(3), payloadLength: 0 }, junk(24), 0), RangeError);
  assert.throws(() => emitIpv6OptionsHeader({ nextHeader: 59, options: new Uint8Array(8) }, junk(16), 0), RangeError);
  assert.throws(() => emitIpv6Routing({ nextHeader: 59, routingType: 0, segmentsLeft: 0, data: new Uint8Array(8) }, junk(16), 0), RangeError);
  assert.throws(() => emitIpv6Fragment({ nextHeader: 59, fragmentOffset: 12, moreFragments: false, identification: 0 }, junk(8), 0), RangeError);
  assert.throws(() => emitIcmpv4({ type: 5, code: 0, quoted: new Uint8Array(0) } as never, junk(8), 0), TypeError);
});

test('option readers: a range outside the buffer yields nothing and Truncated', () => {
  const b = new Uint8Array(8).fill(1);
  const t = new TcpOptionReader().reset(b, 4, 8);
  assert.equal(t.next(), false);
  assert.equal(t.error, WireError.Truncated);
  const n = new NdpOptionReader().reset(b, -1, 8);
  assert.equal(n.next(), false);
  assert.equal(n.error, WireError.Truncated);
});

test('views: bind() keeps the buffer and offset it was given, SharedArrayBuffer-backed too', () => {
  const b = new Uint8Array(new SharedArrayBuffer(128));
  const views = [new EthernetView(), new ArpView(), new Ipv4View(), new Ipv6View(), new Ipv6ExtHeaderView(), new Ipv6FragmentView(), new Icmpv4View(), new Icmpv6View(), new UdpView(), new TcpView()];
  for (const v of views) {
    assert.equal(v.bind(b, 7), v);
    assert.equal(v.bytes, b);
    assert.equal(v.offset, 7);
  }
  // Views work on SharedArrayBuffer-backed frames like on any other.
  const e = new EthernetView().bind(b, 0);
  e.etherType = 0x86dd;
  e.vlanDei = true;
  assert.equal(b[12], 0x86);
  assert.equal(e.vlanDei, true);
});
