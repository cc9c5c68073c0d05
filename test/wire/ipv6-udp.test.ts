/**
 * IPv6 (fixed header and extension headers) and UDP against frames Linux sent through a TAP
 * (test/fuzz/corpus/wire/linux-*.bin) and hand-written chains, each written out with a comment per
 * field. UDP is checked over both pseudo-headers, with the anchors' 192.0.2.1 "ping" vector too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  IPV6_HEADER_LEN,
  IPV6_MAX_EXTENSION_HEADERS,
  IpProtocol,
  Ipv6ExtHeaderView,
  Ipv6ExtensionWalk,
  Ipv6FragmentView,
  Ipv6View,
  UdpView,
  WireError,
  emitIpv6,
  emitIpv6Fragment,
  emitIpv6OptionsHeader,
  emitIpv6Routing,
  emitUdp,
  ipv4,
  ipv4PseudoHeaderSum,
  ipv6,
  ipv6PseudoHeaderSum,
  onesComplementSum,
  parseIpv6,
  parseIpv6Fragment,
  parseIpv6OptionsHeader,
  parseIpv6Routing,
  parseUdp,
  verifyUdpChecksum,
  walkIpv6Extensions,
  type Ipv6Repr,
  type PseudoHeader,
  type UdpRepr,
} from '../../src/wire/index.js';
import { assertBytes, concat, corpusFrame, hex, junk } from './helpers.js';

const ETH = 14;
const K6 = ipv6('fd00:7::1');
const MY6 = ipv6('fd00:7::2');

/** A UDP datagram Linux sent from fd00:7::1 to fd00:7::2 port 7. */
const UDP6_IP = hex(
  '6', '00', 'e40b0', // version 6, traffic class 0, flow label 0xe40b0
  '000c', //           payload length 12
  '11', //             next header UDP
  '40', //             hop limit 64
  'fd00 0007 0000 0000 0000 0000 0000 0001', // source fd00:7::1
  'fd00 0007 0000 0000 0000 0000 0000 0002', // destination fd00:7::2
);
const UDP6_UDP = hex(
  'ed9c', //           source port 60828
  '0007', //           destination port 7 (echo)
  '000c', //           length 12
  '394f', //           checksum over the IPv6 pseudo-header
  '7069 6e67', //      "ping"
);
const UDP6_PSEUDO: PseudoHeader = { version: 6, src: K6, dst: MY6 };

/** The same from Linux over IPv4, 198.18.7.1 > 198.18.7.2. */
const UDP4_UDP = hex('a10e', '0007', '000c', 'e5c7', '7069 6e67'); // port 41230 > 7, length 12, checksum, "ping"
const UDP4_PSEUDO: PseudoHeader = { version: 4, src: ipv4(198, 18, 7, 1), dst: ipv4(198, 18, 7, 2) };

/** The anchors' example (shared/style/anchors.md §6.9): 192.0.2.1 > 192.0.2.2. */
const UDP_PING = hex('9c40 0007', '000c 00ba', '7069 6e67'); // ports 40000 > 7, length 12, checksum 0x00ba, "ping"

/** Linux's MLDv2 report: a hop-by-hop header carrying Router Alert (RFC 2711). */
const MLD_HBH = hex(
  '3a', //     next header ICMPv6
  '00', //     header extension length 0 (8 bytes)
  '05 02 0000', // option: Router Alert, length 2, value 0 (MLD)
  '01 00', //  option: PadN, length 0
);

/** The fragment headers of `ping -6 -s 1600` over MTU 1500. */
const FIRST_FRAGMENT_HDR = hex('3a', '00', '0001', 'e27a 0861'); // next ICMPv6, reserved, offset 0 + M, identification
const LAST_FRAGMENT_HDR = hex('3a', '00', '05a8', 'e27a 0861'); //  next ICMPv6, reserved, offset 181 × 8 = 1448, M clear

/** Hand-written: hop-by-hop, destination options, routing, fragment, then UDP. */
const CHAIN = hex(
  '3c 00 01 04 0000 0000', //           hop-by-hop: next DstOpts (60), 8 bytes, PadN of 4
  '2b 01 01 0c', '00'.repeat(12), //    destination options: next Routing (43), 16 bytes, PadN of 12
  '2c 00 04 00 0000 0000', //           routing: next Fragment (44), 8 bytes, type 4 (SRH), segments left 0, data
  '11 00 0001 1234 5678', //            fragment: next UDP, offset 0, M set, identification 0x12345678
  'd431 0035 0008 0000', //             UDP 54321 > 53, length 8 (checksum not checked here)
);

test('ipv6/udp: the captured frames are the vectors written out above', () => {
  assertBytes(corpusFrame('linux-udp-ipv6').subarray(ETH), concat(UDP6_IP, UDP6_UDP));
  assertBytes(corpusFrame('linux-udp-ipv4').subarray(ETH + 20), UDP4_UDP);
  assertBytes(corpusFrame('linux-mldv2-report-hbh').subarray(ETH + 40, ETH + 48), MLD_HBH);
  assertBytes(corpusFrame('linux-ipv6-fragment-first').subarray(ETH + 40, ETH + 48), FIRST_FRAGMENT_HDR);
  assertBytes(corpusFrame('linux-ipv6-fragment-last').subarray(ETH + 40, ETH + 48), LAST_FRAGMENT_HDR);
});

test('ipv6: view reads every field of the fixed header', () => {
  const p = concat(UDP6_IP, UDP6_UDP);
  assert.equal(Ipv6View.check(p, 0, p.length), 0);
  const v = new Ipv6View().bind(p, 0);
  assert.deepEqual([v.version, v.trafficClass, v.flowLabel, v.payloadLength, v.nextHeader, v.hopLimit], [6, 0, 0xe40b0, 12, 17, 64]);
  assert.ok(v.srcAddrEquals(K6) && v.dstAddrEquals(MY6));
  assert.deepEqual([v.srcAddrOffset, v.dstAddrOffset, v.payloadOffset], [8, 24, 40]);
  const out = new Uint8Array(16);
  v.copyDstAddr(out);
  assertBytes(out, MY6);
  v.copySrcAddr(out);
  assertBytes(out, K6);
});

test('ipv6: setters write only their own bits', () => {
  const p = Uint8Array.from(UDP6_IP);
  const v = new Ipv6View().bind(p, 0);
  v.trafficClass = 0xb8;
  assert.deepEqual([v.version, v.trafficClass, v.flowLabel], [6, 0xb8, 0xe40b0]);
  v.flowLabel = 0xfffff;
  assert.deepEqual([v.version, v.trafficClass, v.flowLabel], [6, 0xb8, 0xfffff]);
  v.version = 4;
  assert.deepEqual([v.version, v.trafficClass, v.flowLabel], [4, 0xb8, 0xfffff]);
  v.payloadLength = 0xffff;
  v.nextHeader = 59;
  v.hopLimit = 255;
  v.setSrcAddr(MY6);
  v.setDstAddr(K6);
  assertBytes(p, hex('4b8f ffff ffff 3b ff', 'fd00 0007 0000 0000 0000 0000 0000 0002', 'fd00 0007 0000 0000 0000 0000 0000 0001'));
});

test('ipv6: parse and emit (into 0xa5 junk) match the fixed header byte for byte', () => {
  const repr: Ipv6Repr = { trafficClass: 0, flowLabel: 0xe40b0, nextHeader: 17, hopLimit: 64, src: K6, dst: MY6, payloadLength: 12 };
  const p = concat(UDP6_IP, UDP6_UDP);
  assert.deepEqual(parseIpv6(p, 0, p.length), repr);
  const buf = junk(42);
  assert.equal(emitIpv6(repr, buf, 1), IPV6_HEADER_LEN);
  assertBytes(buf, concat(hex('a5'), UDP6_IP, hex('a5')));
});

test('ipv6: Truncated up to the payload length, BadVersion otherwise', () => {
  const p = concat(UDP6_IP, UDP6_UDP);
  for (let n = 0; n < 52; n++) assert.equal(Ipv6View.check(p, 0, n), WireError.Truncated);
  assert.equal(Ipv6View.checkHeader(p, 0, 40), 0, 'a quoted header needs only its 40 bytes');
  const v4 = Uint8Array.from(p);
  v4[0] = 0x45;
  assert.equal(parseIpv6(v4, 0, v4.length), WireError.BadVersion);
});

test('ipv6-ext: the MLD hop-by-hop header: view, parse and emit', () => {
  assert.equal(Ipv6ExtHeaderView.check(MLD_HBH, 0, 8), 0);
  const v = new Ipv6ExtHeaderView().bind(MLD_HBH, 0);
  assert.deepEqual([v.nextHeader, v.hdrExtLen, v.headerLength, v.dataOffset, v.dataLength], [58, 0, 8, 2, 6]);
  const r = parseIpv6OptionsHeader(MLD_HBH, 0, 8);
  assert.deepEqual(r, { nextHeader: 58, options: hex('05 02 0000 01 00') });
  const buf = junk(8);
  assert.ok(typeof r === 'object');
  assert.equal(emitIpv6OptionsHeader(r, buf, 0), 8);
  assertBytes(buf, MLD_HBH);
  for (let n = 0; n < 8; n++) assert.equal(parseIpv6OptionsHeader(MLD_HBH, 0, n), WireError.Truncated);
});

test('ipv6-ext: fragment headers: offset in bytes, M flag, identification', () => {
  const f = new Ipv6FragmentView();
  assert.equal(Ipv6FragmentView.check(FIRST_FRAGMENT_HDR, 0, 8), 0);
  f.bind(FIRST_FRAGMENT_HDR, 0);
  assert.deepEqual([f.nextHeader, f.reserved, f.fragmentOffset, f.moreFragments, f.identification], [58, 0, 0, true, 0xe27a0861]);
  f.bind(LAST_FRAGMENT_HDR, 0);
  assert.deepEqual([f.fragmentOffset, f.moreFragments], [1448, false]);
  const r = parseIpv6Fragment(LAST_FRAGMENT_HDR, 0, 8);
  assert.deepEqual(r, { nextHeader: 58, fragmentOffset: 1448, moreFragments: false, identification: 0xe27a0861 });
  const buf = junk(8);
  assert.ok(typeof r === 'object');
  assert.equal(emitIpv6Fragment(r, buf, 0), 8);
  assertBytes(buf, LAST_FRAGMENT_HDR);
  const w = Uint8Array.from(LAST_FRAGMENT_HDR);
  f.bind(w, 0);
  f.moreFragments = true;
  f.fragmentOffset = 8;
  f.identification = 1;
  f.nextHeader = 17;
  f.reserved = 0;
  assertBytes(w, hex('11 00 0009 0000 0001'));
});

test('ipv6-ext: a hand-written chain: each header parses and emits back to its bytes', () => {
  const hbh = parseIpv6OptionsHeader(CHAIN, 0, CHAIN.length);
  assert.deepEqual(hbh, { nextHeader: 60, options: hex('01 04 0000 0000') });
  const dst = parseIpv6OptionsHeader(CHAIN, 8, CHAIN.length - 8);
  assert.deepEqual(dst, { nextHeader: 43, options: hex('01 0c', '00'.repeat(12)) });
  const rt = parseIpv6Routing(CHAIN, 24, CHAIN.length - 24);
  assert.deepEqual(rt, { nextHeader: 44, routingType: 4, segmentsLeft: 0, data: hex('0000 0000') });
  const v = new Ipv6ExtHeaderView().bind(CHAIN, 24);
  assert.deepEqual([v.routingType, v.segmentsLeft], [4, 0]);
  const frag = parseIpv6Fragment(CHAIN, 32, CHAIN.length - 32);
  assert.deepEqual(frag, { nextHeader: 17, fragmentOffset: 0, moreFragments: true, identification: 0x12345678 });
  assert.ok(typeof hbh === 'object' && typeof dst === 'object' && typeof rt === 'object' && typeof frag === 'object');
  const buf = junk(40);
  let at = emitIpv6OptionsHeader(hbh, buf, 0);
  at += emitIpv6OptionsHeader(dst, buf, at);
  at += emitIpv6Routing(rt, buf, at);
  at += emitIpv6Fragment(frag, buf, at);
  assert.equal(at, 40);
  assertBytes(buf, CHAIN.subarray(0, 40));
});

test('ipv6-ext: the walk reaches the upper layer and reports the fragment header', () => {
  const w = new Ipv6ExtensionWalk();
  assert.equal(walkIpv6Extensions(CHAIN, 0, CHAIN.length, IpProtocol.HopByHop, w), 0);
  assert.deepEqual([w.protocol, w.offset, w.headerCount, w.fragmentHeaderOffset, w.fragmentOffset, w.moreFragments], [17, 40, 4, 32, 0, true]);
  // No extension headers at all: the fixed header's next header is the answer.
  assert.equal(walkIpv6Extensions(UDP6_UDP, 0, 12, IpProtocol.Udp, w), 0);
  assert.deepEqual([w.protocol, w.offset, w.headerCount, w.fragmentHeaderOffset], [17, 0, 0, -1]);
  // A later fragment: the walk stops after the fragment header, the rest is not a header.
  const last = corpusFrame('linux-ipv6-fragment-last');
  assert.equal(walkIpv6Extensions(last, ETH + 40, last.length - ETH - 40, IpProtocol.Ipv6Fragment, w), 0);
  assert.deepEqual([w.protocol, w.offset, w.headerCount, w.fragmentHeaderOffset, w.fragmentOffset, w.moreFragments], [58, ETH + 48, 1, ETH + 40, 1448, false]);
  // AH, ESP and No Next Header end the walk like an upper layer.
  assert.equal(walkIpv6Extensions(hex('3b00 0000 0000 0000'), 0, 8, IpProtocol.Ipv6DestinationOptions, w), 0);
  assert.deepEqual([w.protocol, w.offset], [IpProtocol.Ipv6NoNext, 8]);
});

test('ipv6-ext: the walk fails with Truncated, Malformed (hop-by-hop not first) and TooManyHeaders', () => {
  const w = new Ipv6ExtensionWalk();
  for (let n = 0; n < 40; n++) {
    const e = walkIpv6Extensions(CHAIN, 0, n, IpProtocol.HopByHop, w);
    assert.equal(e, WireError.Truncated, `length ${String(n)}`);
    assert.ok(w.headerCount <= 4);
  }
  assert.equal(walkIpv6Extensions(CHAIN, 0, 41, IpProtocol.HopByHop, w), 0, 'the walk does not look into the upper layer');
  const hbhSecond = hex('00 00 0104 0000 0000', '11 00 0104 0000 0000');
  assert.equal(walkIpv6Extensions(hbhSecond, 0, 16, IpProtocol.Ipv6DestinationOptions, w), WireError.Malformed);
  assert.equal(w.headerCount, 1);
  const chainOf = (n: number): Uint8Array => {
    const b = new Uint8Array(8 * n + 8);
    for (let i = 0; i < n; i++) b.set([i === n - 1 ? IpProtocol.Udp : IpProtocol.Ipv6DestinationOptions, 0, 1, 4], 8 * i);
    return b;
  };
  assert.equal(walkIpv6Extensions(chainOf(IPV6_MAX_EXTENSION_HEADERS), 0, 8 * IPV6_MAX_EXTENSION_HEADERS + 8, 60, w), 0);
  assert.equal(w.headerCount, IPV6_MAX_EXTENSION_HEADERS);
  assert.equal(walkIpv6Extensions(chainOf(IPV6_MAX_EXTENSION_HEADERS + 1), 0, 8 * IPV6_MAX_EXTENSION_HEADERS + 16, 60, w), WireError.TooManyHeaders);
});

test('udp: view reads every field; the checksum verifies over both pseudo-headers', () => {
  const v = new UdpView();
  assert.equal(UdpView.check(UDP6_UDP, 0, 12), 0);
  v.bind(UDP6_UDP, 0);
  assert.deepEqual([v.srcPort, v.dstPort, v.length, v.checksum, v.payloadOffset, v.payloadLength], [60828, 7, 12, 0x394f, 8, 4]);
  assert.ok(v.verifyChecksum(ipv6PseudoHeaderSum(K6, MY6, 17, 12)));
  assert.ok(verifyUdpChecksum(UDP6_UDP, 0, 12, UDP6_PSEUDO));
  assert.ok(verifyUdpChecksum(UDP4_UDP, 0, 12, UDP4_PSEUDO));
  assert.ok(!verifyUdpChecksum(UDP4_UDP, 0, 12, { ...UDP4_PSEUDO, dst: ipv4(198, 18, 7, 3) }));
  assert.ok(verifyUdpChecksum(UDP_PING, 0, 12, { version: 4, src: ipv4(192, 0, 2, 1), dst: ipv4(192, 0, 2, 2) }));
  assert.ok(new UdpView().bind(UDP_PING, 0).verifyChecksum(ipv4PseudoHeaderSum(ipv4(192, 0, 2, 1), ipv4(192, 0, 2, 2), 17, 12)));
});

test('udp: parse and emit (into 0xa5 junk, payload in place) match the captured datagrams', () => {
  const repr6: UdpRepr = { srcPort: 60828, dstPort: 7, payloadLength: 4 };
  assert.deepEqual(parseUdp(UDP6_UDP, 0, 12, UDP6_PSEUDO), repr6);
  assert.deepEqual(parseUdp(UDP4_UDP, 0, 12, UDP4_PSEUDO), { srcPort: 41230, dstPort: 7, payloadLength: 4 });
  for (const [repr, bytes, pseudo] of [
    [repr6, UDP6_UDP, UDP6_PSEUDO],
    [{ srcPort: 41230, dstPort: 7, payloadLength: 4 }, UDP4_UDP, UDP4_PSEUDO],
  ] as const) {
    const buf = junk(14);
    buf.set(bytes.subarray(8), 9); // the payload goes first
    assert.equal(emitUdp(repr, buf, 1, pseudo), 8);
    assertBytes(buf, concat(hex('a5'), bytes, hex('a5')));
  }
});

test('udp: a zero checksum means none over IPv4 and is invalid over IPv6; a computed zero is sent as 0xffff', () => {
  const none = Uint8Array.from(UDP4_UDP);
  none[6] = 0;
  none[7] = 0;
  assert.deepEqual(parseUdp(none, 0, 12, UDP4_PSEUDO), { srcPort: 41230, dstPort: 7, payloadLength: 4 });
  assert.ok(verifyUdpChecksum(none, 0, 12, UDP4_PSEUDO));
  assert.equal(parseUdp(none, 0, 12, UDP6_PSEUDO), WireError.BadChecksum);
  assert.ok(!verifyUdpChecksum(none, 0, 12, UDP6_PSEUDO));
  // Choose the last payload word so that the sum is 0xffff: the checksum field must then read 0xffff.
  const d = hex('1234 5678 000c 0000', 'abcd 0000'); // ports, length 12, checksum to come; payload with its last word to choose
  const partial = onesComplementSum(d, 0, 12, ipv4PseudoHeaderSum(ipv4(192, 0, 2, 1), ipv4(192, 0, 2, 2), 17, 12));
  const word = 0xffff - partial;
  d[10] = word >>> 8;
  d[11] = word & 0xff;
  assert.equal(onesComplementSum(d, 0, 12, ipv4PseudoHeaderSum(ipv4(192, 0, 2, 1), ipv4(192, 0, 2, 2), 17, 12)), 0xffff);
  emitUdp({ srcPort: 0x1234, dstPort: 0x5678, payloadLength: 4 }, d, 0, { version: 4, src: ipv4(192, 0, 2, 1), dst: ipv4(192, 0, 2, 2) });
  assert.equal(new UdpView().bind(d, 0).checksum, 0xffff);
  assert.ok(verifyUdpChecksum(d, 0, 12, { version: 4, src: ipv4(192, 0, 2, 1), dst: ipv4(192, 0, 2, 2) }));
});

test('udp: Truncated up to the length field, BadLength below 8, BadChecksum; trailing bytes are not UDP', () => {
  for (let n = 0; n < 12; n++) assert.equal(parseUdp(UDP6_UDP, 0, n, null), WireError.Truncated);
  const short = Uint8Array.from(UDP6_UDP);
  short[5] = 7;
  assert.equal(UdpView.check(short, 0, 12), WireError.BadLength);
  const bad = Uint8Array.from(UDP6_UDP);
  bad[9]! ^= 0x20;
  assert.equal(parseUdp(bad, 0, 12, UDP6_PSEUDO), WireError.BadChecksum);
  assert.deepEqual(parseUdp(bad, 0, 12, null), { srcPort: 60828, dstPort: 7, payloadLength: 4 }, 'null: the miniport verified it');
  assert.deepEqual(parseUdp(concat(UDP6_UDP, hex('ffff')), 0, 14, UDP6_PSEUDO), { srcPort: 60828, dstPort: 7, payloadLength: 4 });
});
