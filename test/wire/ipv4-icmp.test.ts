/**
 * IPv4 and ICMPv4 against frames Linux sent through a TAP (test/fuzz/corpus/wire/linux-*.bin), each
 * written out below with a comment per field: an echo request, a header with 40 bytes of options
 * (ping -R), a last fragment, and the errors Linux sends (port unreachable, time exceeded,
 * fragmentation needed with the next-hop MTU), each quoting the datagram that caused it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ICMPV4_HEADER_LEN,
  IPV4_HEADER_LEN,
  Icmpv4Type,
  Icmpv4Unreachable,
  Icmpv4View,
  IpProtocol,
  Ipv4View,
  WireError,
  emitIcmpv4,
  emitIpv4,
  ipv4,
  parseIcmpv4,
  parseIpv4,
  verifyIcmpv4Checksum,
  verifyIpv4HeaderChecksum,
  type Icmpv4Repr,
  type Ipv4Repr,
} from '../../src/wire/index.js';
import { assertBytes, concat, corpusFrame, hex, junk } from './helpers.js';

const ETH = 14;
const SRC = ipv4(198, 18, 7, 1);
const DST = ipv4(198, 18, 7, 2);

/** `ping -p … 198.18.7.2` from Linux: IPv4 header + ICMP echo request with 56 bytes of data. */
const ECHO_REQUEST_IP = hex(
  '45', //         version 4, IHL 5 (20 bytes)
  '00', //         DSCP 0, ECN 0
  '0054', //       total length 84
  '8f22', //       identification 36642
  '4000', //       flags DF, fragment offset 0
  '40', //         TTL 64
  '01', //         protocol ICMP
  '115f', //       header checksum
  'c612 0701', //  source 198.18.7.1
  'c612 0702', //  destination 198.18.7.2
);
const ECHO_REQUEST_ICMP = hex(
  '08 00', //      type 8 echo request, code 0
  'f5d9', //       checksum
  '26a4', //       identifier 9892
  '0001', //       sequence number 1
  '6b3d046b 00000000 a4050900 00000000', // ping's timestamp (struct timeval)
  '1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637', // pattern
);

const ECHO_REQUEST_IP_REPR: Ipv4Repr = {
  dscp: 0,
  ecn: 0,
  identification: 0x8f22,
  dontFragment: true,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 64,
  protocol: IpProtocol.Icmp,
  src: SRC,
  dst: DST,
  options: new Uint8Array(0),
  payloadLength: 64,
};

/** `ping -R`: the record-route option fills the header to its 60-byte maximum. */
const RECORD_ROUTE_IP = hex(
  '4f', //         version 4, IHL 15 (60 bytes)
  '00', //         DSCP 0, ECN 0
  '007c', //       total length 124
  '9011', //       identification
  '4000', //       DF
  '40 01', //      TTL 64, ICMP
  '1125', //       header checksum
  'c612 0701', //  source
  'c612 0702', //  destination
  '01', //         option: NOP
  '07 27 08', //   option: record route, length 39, pointer 8
  'c612 0701', //  recorded: 198.18.7.1
  '00'.repeat(32), // eight empty slots
);

/** The second fragment of a 1628-byte ICMP datagram (ping -s 1600 over MTU 1500). */
const LAST_FRAGMENT_IP = hex(
  '45 00', //      version 4, IHL 5, DSCP/ECN 0
  '0094', //       total length 148
  '8f92', //       identification
  '00b9', //       no flags, fragment offset 185 × 8 = 1480
  '40 01', //      TTL 64, ICMP
  '4ff6', //       header checksum
  'c612 0701 c612 0702', // source, destination
);

/** Port unreachable for a UDP datagram to 198.18.7.1:9 (the quote is the whole datagram). */
const PORT_UNREACHABLE_IP = hex('45 c0 003c 8fe0 0000 40 01 4ff9 c612 0701 c612 0702'); // DSCP 48 (CS6), length 60, no DF
const PORT_UNREACHABLE_ICMP = hex(
  '03 03', //       type 3 destination unreachable, code 3 port
  '9742', //        checksum
  '0000 0000', //   unused
  '4500 0020 4242 4000 4011 5e63 c612 0702 c612 0701', // quoted IPv4 header: UDP 198.18.7.2 > 198.18.7.1
  '9c40 0009 000c ea93', // quoted UDP header: 40000 > 9, length 12
  '7069 6e67', //   quoted payload "ping"
);

/** Time exceeded for a TTL-1 datagram Linux would have forwarded to 198.18.8.5. */
const TIME_EXCEEDED_ICMP = hex(
  '0b 00', //       type 11 time exceeded, code 0 TTL exceeded in transit
  '9049', //        checksum
  '0000 0000', //   unused
  '4500 0020 4242 4000 0111 9c5f c612 0702 c612 0805', // quoted IPv4 header, TTL 1
  '9c41 829a 000c 66fd 7069 6e67', // quoted UDP 40001 > 33434 and "ping"
);

/** Fragmentation needed: a 1400-byte DF datagram met a route with MTU 1280; Linux quotes 548 bytes. */
const FRAG_NEEDED_ICMP = hex(
  '03 04', //       type 3 destination unreachable, code 4 fragmentation needed
  '989d', //        checksum
  '0000', //        unused
  '0500', //        next-hop MTU 1280
  '4500 0578 4242 4000 4011 5807 c612 0702 c612 0805', // quoted IPv4 header: total length 1400, DF
  '9c42 0009 0564 bdae', // quoted UDP header 40002 > 9, length 1380
  '00'.repeat(520), // the start of the zero payload
);

test('ipv4/icmp: the captured frames are the vectors written out above', () => {
  assertBytes(corpusFrame('linux-icmp-echo-request').subarray(ETH), concat(ECHO_REQUEST_IP, ECHO_REQUEST_ICMP));
  assertBytes(corpusFrame('linux-icmp-echo-request-record-route').subarray(ETH, ETH + 60), RECORD_ROUTE_IP);
  assertBytes(corpusFrame('linux-ipv4-fragment-last').subarray(ETH, ETH + 20), LAST_FRAGMENT_IP);
  assertBytes(corpusFrame('linux-icmp-port-unreachable').subarray(ETH), concat(PORT_UNREACHABLE_IP, PORT_UNREACHABLE_ICMP));
  assertBytes(corpusFrame('linux-icmp-time-exceeded').subarray(ETH + 20), TIME_EXCEEDED_ICMP);
  assertBytes(corpusFrame('linux-icmp-fragmentation-needed').subarray(ETH + 20), FRAG_NEEDED_ICMP);
});

test('ipv4: view reads every field of the echo request header', () => {
  const p = concat(ECHO_REQUEST_IP, ECHO_REQUEST_ICMP);
  assert.equal(Ipv4View.check(p, 0, p.length), 0);
  const v = new Ipv4View().bind(p, 0);
  assert.deepEqual(
    [v.version, v.headerLength, v.dscp, v.ecn, v.totalLength, v.identification, v.reservedFlag, v.dontFragment, v.moreFragments, v.fragmentOffset, v.isFragment],
    [4, 20, 0, 0, 84, 0x8f22, false, true, false, 0, false],
  );
  assert.deepEqual([v.ttl, v.protocol, v.checksum, v.srcAddr, v.dstAddr], [64, 1, 0x115f, SRC, DST]);
  assert.deepEqual([v.optionsOffset, v.optionsLength, v.payloadOffset, v.payloadLength], [20, 0, 20, 64]);
  assert.ok(v.verifyChecksum());
  assert.ok(verifyIpv4HeaderChecksum(p, 0, p.length));
});

test('ipv4: options are located and carried, never interpreted', () => {
  const p = concat(RECORD_ROUTE_IP, new Uint8Array(64));
  assert.equal(Ipv4View.check(p, 0, p.length), 0);
  const v = new Ipv4View().bind(p, 0);
  assert.deepEqual([v.headerLength, v.optionsOffset, v.optionsLength, v.payloadOffset, v.payloadLength], [60, 20, 40, 60, 64]);
  assert.ok(v.verifyChecksum());
  const r = parseIpv4(p, 0, p.length);
  assert.ok(typeof r === 'object');
  assertBytes(r.options, RECORD_ROUTE_IP.subarray(20));
  const buf = junk(61);
  assert.equal(emitIpv4(r, buf, 1), 60);
  assertBytes(buf.subarray(1), RECORD_ROUTE_IP);
});

test('ipv4: a fragment: offset in bytes, no flags', () => {
  const p = concat(LAST_FRAGMENT_IP, new Uint8Array(128));
  const v = new Ipv4View().bind(p, 0);
  assert.equal(Ipv4View.check(p, 0, p.length), 0);
  assert.deepEqual([v.fragmentOffset, v.moreFragments, v.dontFragment, v.isFragment], [1480, false, false, true]);
  assert.deepEqual(parseIpv4(p, 0, p.length), {
    ...ECHO_REQUEST_IP_REPR,
    identification: 0x8f92,
    dontFragment: false,
    fragmentOffset: 1480,
    payloadLength: 128,
  });
});

test('ipv4: parse and emit (into 0xa5 junk) match the echo request header byte for byte', () => {
  const p = concat(ECHO_REQUEST_IP, ECHO_REQUEST_ICMP);
  assert.deepEqual(parseIpv4(p, 0, p.length), ECHO_REQUEST_IP_REPR);
  const buf = junk(22);
  assert.equal(emitIpv4(ECHO_REQUEST_IP_REPR, buf, 1), IPV4_HEADER_LEN);
  assertBytes(buf, concat(hex('a5'), ECHO_REQUEST_IP, hex('a5')));
});

test('ipv4: setters write only their own bits, and fillChecksum repairs the header', () => {
  const p = Uint8Array.from(ECHO_REQUEST_IP);
  const v = new Ipv4View().bind(p, 0);
  v.dscp = 46;
  v.ecn = 1;
  v.ttl = 63;
  v.moreFragments = true;
  v.fragmentOffset = 8 * 0x1fff;
  v.reservedFlag = true;
  v.identification = 1;
  v.protocol = IpProtocol.Udp;
  v.srcAddr = ipv4(10, 0, 0, 1);
  v.dstAddr = ipv4(255, 255, 255, 255);
  v.totalLength = 20;
  assert.ok(!v.verifyChecksum());
  v.fillChecksum();
  assert.ok(v.verifyChecksum());
  assert.deepEqual([v.dscp, v.ecn, v.dontFragment, v.moreFragments, v.reservedFlag, v.fragmentOffset], [46, 1, true, true, true, 0xfff8]);
  v.dontFragment = false;
  v.reservedFlag = false;
  v.version = 4;
  v.headerLength = 24;
  assert.deepEqual([v.version, v.headerLength, p[6]], [4, 24, 0x3f]);
});

test('ipv4: check errors: Truncated, BadVersion, BadHeaderLength, BadLength; parse adds BadChecksum', () => {
  const p = concat(ECHO_REQUEST_IP, ECHO_REQUEST_ICMP);
  for (let n = 0; n < 84; n++) assert.equal(Ipv4View.check(p, 0, n), WireError.Truncated, `length ${String(n)}`);
  const with_ = (i: number, v: number): Uint8Array => {
    const b = Uint8Array.from(p);
    b[i] = v;
    return b;
  };
  assert.equal(Ipv4View.check(with_(0, 0x65), 0, 84), WireError.BadVersion);
  assert.equal(Ipv4View.check(with_(0, 0x44), 0, 84), WireError.BadHeaderLength);
  assert.equal(Ipv4View.check(with_(0, 0x40), 0, 84), WireError.BadHeaderLength);
  assert.equal(Ipv4View.check(with_(3, 19), 0, 84), WireError.BadLength);
  assert.equal(Ipv4View.check(with_(0, 0x4f), 0, 40), WireError.Truncated, 'IHL 15 needs 60 bytes');
  assert.equal(parseIpv4(with_(8, 63), 0, 84), WireError.BadChecksum);
  assert.equal(Ipv4View.check(concat(p, new Uint8Array(6)), 0, 90), 0, 'Ethernet padding after the datagram is accepted');
  assert.equal(Ipv4View.checkHeader(p, 0, 20), 0, 'a quoted header needs only its own bytes');
});

test('icmp: view reads every field of the echo request; checksum over the whole message', () => {
  const m = ECHO_REQUEST_ICMP;
  assert.equal(Icmpv4View.check(m, 0, m.length), 0);
  const v = new Icmpv4View().bind(m, 0);
  assert.deepEqual([v.type, v.code, v.checksum, v.identifier, v.sequenceNumber, v.restOfHeader, v.dataOffset, v.isError], [8, 0, 0xf5d9, 9892, 1, 0x26a40001, 8, false]);
  assert.ok(v.verifyChecksum(m.length));
  assert.ok(verifyIcmpv4Checksum(m, 0, m.length));
  assert.ok(!v.verifyChecksum(m.length - 1));
});

test('icmp: parse and emit (into 0xa5 junk) match the echo request byte for byte', () => {
  const repr: Icmpv4Repr = { type: Icmpv4Type.EchoRequest, identifier: 9892, sequenceNumber: 1, data: ECHO_REQUEST_ICMP.slice(8) };
  assert.deepEqual(parseIcmpv4(ECHO_REQUEST_ICMP, 0, 64), repr);
  const buf = junk(66);
  assert.equal(emitIcmpv4(repr, buf, 1), 64);
  assertBytes(buf, concat(hex('a5'), ECHO_REQUEST_ICMP, hex('a5')));
});

test('icmp: port unreachable and time exceeded carry the quoted datagram', () => {
  const unreachable = parseIcmpv4(PORT_UNREACHABLE_ICMP, 0, 40);
  assert.deepEqual(unreachable, { type: Icmpv4Type.DestinationUnreachable, code: Icmpv4Unreachable.Port, nextHopMtu: 0, quoted: PORT_UNREACHABLE_ICMP.slice(8) });
  const exceeded = parseIcmpv4(TIME_EXCEEDED_ICMP, 0, 40);
  assert.deepEqual(exceeded, { type: Icmpv4Type.TimeExceeded, code: 0, quoted: TIME_EXCEEDED_ICMP.slice(8) });
  for (const [repr, bytes] of [[unreachable, PORT_UNREACHABLE_ICMP], [exceeded, TIME_EXCEEDED_ICMP]] as const) {
    assert.ok(typeof repr === 'object');
    const buf = junk(40);
    assert.equal(emitIcmpv4(repr, buf, 0), 40);
    assertBytes(buf, bytes);
  }
  // The quote is checked as a header only: the original datagram was longer than what is quoted.
  const q = new Ipv4View();
  assert.equal(Ipv4View.checkHeader(TIME_EXCEEDED_ICMP, 8, 32), 0);
  assert.deepEqual([q.bind(TIME_EXCEEDED_ICMP, 8).ttl, q.dstAddr, q.protocol], [1, ipv4(198, 18, 8, 5), IpProtocol.Udp]);
});

test('icmp: fragmentation needed carries the next-hop MTU (RFC 1191)', () => {
  const m = FRAG_NEEDED_ICMP;
  const v = new Icmpv4View().bind(m, 0);
  assert.deepEqual([v.type, v.code, v.nextHopMtu, v.isError], [3, Icmpv4Unreachable.FragmentationNeeded, 1280, true]);
  const r = parseIcmpv4(m, 0, m.length);
  assert.deepEqual(r, { type: Icmpv4Type.DestinationUnreachable, code: 4, nextHopMtu: 1280, quoted: m.slice(8) });
  const q = new Ipv4View();
  assert.equal(Ipv4View.checkHeader(m, 8, m.length - 8), 0);
  assert.equal(Ipv4View.check(m, 8, m.length - 8), WireError.Truncated, 'only 548 of 1400 bytes are quoted');
  assert.deepEqual([q.bind(m, 8).totalLength, q.dontFragment], [1400, true]);
  const buf = junk(m.length);
  assert.ok(typeof r === 'object');
  assert.equal(emitIcmpv4(r, buf, 0), m.length);
  assertBytes(buf, m);
});

test('icmp: Truncated below 8 bytes, BadChecksum, Unsupported types', () => {
  for (let n = 0; n < ICMPV4_HEADER_LEN; n++) assert.equal(parseIcmpv4(ECHO_REQUEST_ICMP, 0, n), WireError.Truncated);
  const bad = Uint8Array.from(ECHO_REQUEST_ICMP);
  bad[10]! ^= 1;
  assert.equal(parseIcmpv4(bad, 0, bad.length), WireError.BadChecksum);
  const redirect = hex('05 01 0000 c612 07fe 4500 0014 0000 0000 4011 0000 c612 0702 c612 0805');
  new Icmpv4View().bind(redirect, 0).fillChecksum(redirect.length);
  assert.equal(parseIcmpv4(redirect, 0, redirect.length), WireError.Unsupported);
});
