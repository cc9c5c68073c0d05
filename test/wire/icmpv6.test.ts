/**
 * ICMPv6 and Neighbor Discovery against messages Linux sent through a TAP
 * (test/fuzz/corpus/wire/linux-*.bin): a neighbor solicitation with a source link-layer address, a
 * neighbor advertisement, a router solicitation, a DAD probe with a nonce option, an echo reply,
 * port unreachable, time exceeded and packet too big; plus a hand-written router advertisement (its
 * checksum computed by an independent Python implementation). Then NDP options that lie.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ICMPV6_HEADER_LEN,
  Icmpv6Type,
  Icmpv6Unreachable,
  Icmpv6View,
  IpProtocol,
  NdpOptionReader,
  NdpOptionType,
  WireError,
  emitIcmpv6,
  icmpv6FixedLength,
  ipv6,
  ipv6PseudoHeaderSum,
  mac,
  parseIcmpv6,
  verifyIcmpv6Checksum,
  type Icmpv6Repr,
  type Ipv6PseudoHeader,
} from '../../src/wire/index.js';
import { assertBytes, concat, corpusFrame, hex, junk } from './helpers.js';

const ETH_IP = 14 + 40;
const K6 = ipv6('fd00:7::1');
const MY6 = ipv6('fd00:7::2');
const KMAC = mac('02:00:00:00:07:01');
const ph = (src: string | Uint8Array, dst: string | Uint8Array): Ipv6PseudoHeader => ({
  version: 6,
  src: typeof src === 'string' ? ipv6(src) : src,
  dst: typeof dst === 'string' ? ipv6(dst) : dst,
});

/** Linux resolving fd00:7::3: fd00:7::1 > ff02::1:ff00:3 (the solicited-node group). */
const NS = hex(
  '87', //    type 135 neighbor solicitation
  '00', //    code 0
  '7687', //  checksum over the IPv6 pseudo-header
  '0000 0000', // reserved
  'fd00 0007 0000 0000 0000 0000 0000 0003', // target fd00:7::3
  '01 01', // option: source link-layer address, length 1 (8 bytes)
  '0200 0000 0701', // 02:00:00:00:07:01
);
const NS_PSEUDO = ph('fd00:7::1', 'ff02::1:ff00:3');

/** Linux answering our solicitation for fd00:7::1: fd00:7::1 > fd00:7::2. */
const NA = hex(
  '88 00', // type 136 neighbor advertisement, code 0
  '1587', //  checksum
  '60 000000', // flags: solicited, override (router clear); reserved
  'fd00 0007 0000 0000 0000 0000 0000 0001', // target fd00:7::1
  '02 01 0200 0000 0701', // option: target link-layer address 02:00:00:00:07:01
);
const NA_PSEUDO = ph(K6, MY6);

/** Linux looking for routers when the link came up: fe80::ff:fe00:701 > ff02::2. */
const RS = hex(
  '85 00', // type 133 router solicitation, code 0
  '6d2c', //  checksum
  '0000 0000', // reserved
  '01 01 0200 0000 0701', // option: source link-layer address
);
const RS_PSEUDO = ph('fe80::ff:fe00:701', 'ff02::2');

/** Linux's duplicate address detection for its link-local address: :: > ff02::1:ff00:701. */
const DAD_NS = hex(
  '87 00 0b50 0000 0000', // NS, checksum, reserved
  'fe80 0000 0000 0000 0000 00ff fe00 0701', // target fe80::ff:fe00:701
  '0e 01 faf9 9db4 bd1d', // option 14: nonce (RFC 7527), 6 bytes; not interpreted
);
const DAD_PSEUDO = ph('::', 'ff02::1:ff00:701');

/** Hand-written router advertisement: fe80::1 > ff02::1. */
const RA = hex(
  '86 00', // type 134 router advertisement, code 0
  'dab4', //  checksum (independent Python implementation)
  '40', //    current hop limit 64
  'c0', //    flags: managed, other
  '0708', //  router lifetime 1800 s
  '0000 7530', // reachable time 30000 ms
  '0000 03e8', // retrans timer 1000 ms
  '01 01 0200 0000 07fe', // option: source link-layer address 02:00:00:00:07:fe
  '05 01 0000 0000 05dc', // option: MTU 1500
  '03 04', // option: prefix information, length 4 (32 bytes)
  '40', //    prefix length 64
  'c0', //    flags: on-link, autonomous
  '0001 5180', // valid lifetime 86400 s
  '0000 3840', // preferred lifetime 14400 s
  '0000 0000', // reserved
  'fd00 0007 0000 0000 0000 0000 0000 0000', // prefix fd00:7::
);
const RA_PSEUDO = ph('fe80::1', 'ff02::1');
const RA_REPR: Icmpv6Repr = {
  type: Icmpv6Type.RouterAdvertisement,
  curHopLimit: 64,
  managed: true,
  other: true,
  routerLifetimeSeconds: 1800,
  reachableTimeMs: 30000,
  retransTimerMs: 1000,
  sourceLinkLayerAddr: mac('02:00:00:00:07:fe'),
  mtu: 1500,
  prefixes: [{ prefixLength: 64, onLink: true, autonomous: true, validLifetimeSeconds: 86400, preferredLifetimeSeconds: 14400, prefix: ipv6('fd00:7::') }],
};

/** Linux's echo reply to our request (id 0x1234, "ping"). */
const ECHO_REPLY = hex('81 00', '93a0', '1234', '0001', '7069 6e67'); // type 129, code 0, checksum, id, seq 1, data

/** Port unreachable for our UDP datagram to fd00:7::1 port 9: the quote is the whole datagram. */
const PORT_UNREACHABLE = hex(
  '01 04', // type 1 destination unreachable, code 4 port unreachable
  '9343', //  checksum
  '0000 0000', // unused
  '6000 0000 000c 1140', // quoted IPv6 header: payload length 12, UDP, hop limit 64
  'fd00 0007 0000 0000 0000 0000 0000 0002 fd00 0007 0000 0000 0000 0000 0000 0001', // fd00:7::2 > fd00:7::1
  '9c45 0009 000c 8aa4 7069 6e67', // quoted UDP 40005 > 9 and "ping"
);

/** Time exceeded for our hop-limit-1 datagram that Linux would have forwarded to fd00:8::5. */
const TIME_EXCEEDED = hex(
  '03 00 9186 0000 0000', // type 3, code 0 hop limit exceeded, checksum, unused
  '6000 0000 000c 1101', //  quoted IPv6 header, hop limit 1
  'fd00 0007 0000 0000 0000 0000 0000 0002 fd00 0008 0000 0000 0000 0000 0000 0005',
  '9c46 829a 000c 080d 7069 6e67',
);

/** Packet too big: our 1400-byte datagram met a 1280 route; Linux quotes as much as fits in 1280. */
const PACKET_TOO_BIG = hex(
  '02 00', // type 2 packet too big, code 0
  '88ab', //  checksum
  '0000 0500', // MTU 1280
  '6000 0000 0550 1140', // quoted IPv6 header: payload length 1360, UDP, hop limit 64
  'fd00 0007 0000 0000 0000 0000 0000 0002 fd00 0008 0000 0000 0000 0000 0000 0005',
  '9c47 0009 0550 5ee6', // quoted UDP 40007 > 9, length 1360
  '00'.repeat(1184), // the start of the zero payload
);

test('icmpv6: the captured messages are the vectors written out above', () => {
  assertBytes(corpusFrame('linux-ns-src-ll').subarray(ETH_IP), NS);
  assertBytes(corpusFrame('linux-na').subarray(ETH_IP), NA);
  assertBytes(corpusFrame('linux-router-solicitation').subarray(ETH_IP), RS);
  assertBytes(corpusFrame('linux-ns-dad-nonce').subarray(ETH_IP), DAD_NS);
  assertBytes(corpusFrame('linux-icmp6-echo-reply').subarray(ETH_IP), ECHO_REPLY);
  assertBytes(corpusFrame('linux-icmp6-port-unreachable').subarray(ETH_IP), PORT_UNREACHABLE);
  assertBytes(corpusFrame('linux-icmp6-time-exceeded').subarray(ETH_IP), TIME_EXCEEDED);
  assertBytes(corpusFrame('linux-icmp6-packet-too-big').subarray(ETH_IP), PACKET_TOO_BIG);
});

test('icmpv6: NS: view fields, source link-layer option, checksum over the pseudo-header', () => {
  assert.equal(Icmpv6View.check(NS, 0, NS.length), 0);
  const v = new Icmpv6View().bind(NS, 0);
  assert.deepEqual([v.type, v.code, v.checksum, v.restOfHeader, v.targetAddrOffset, v.ndpOptionsOffset, v.isError], [135, 0, 0x7687, 0, 8, 24, false]);
  assert.ok(v.targetAddrEquals(ipv6('fd00:7::3')));
  assert.ok(v.verifyChecksum(NS.length, ipv6PseudoHeaderSum(NS_PSEUDO.src, NS_PSEUDO.dst, IpProtocol.Icmpv6, NS.length)));
  assert.ok(verifyIcmpv6Checksum(NS, 0, NS.length, NS_PSEUDO));
  const r = new NdpOptionReader().reset(NS, v.ndpOptionsOffset, NS.length - 24);
  assert.ok(r.next());
  assert.deepEqual([r.type, r.offset, r.length, r.linkLayerAddrOffset], [NdpOptionType.SourceLinkLayerAddress, 24, 8, 26]);
  const ll = new Uint8Array(6);
  r.copyLinkLayerAddr(ll);
  assertBytes(ll, KMAC);
  assert.ok(!r.next());
  assert.equal(r.error, 0);
});

test('icmpv6: NS, NA and RS parse and emit (into 0xa5 junk) byte for byte', () => {
  const cases: Array<[Icmpv6Repr, Uint8Array, Ipv6PseudoHeader]> = [
    [{ type: Icmpv6Type.NeighborSolicitation, targetAddr: ipv6('fd00:7::3'), sourceLinkLayerAddr: KMAC }, NS, NS_PSEUDO],
    [{ type: Icmpv6Type.NeighborAdvertisement, router: false, solicited: true, override: true, targetAddr: K6, targetLinkLayerAddr: KMAC }, NA, NA_PSEUDO],
    [{ type: Icmpv6Type.RouterSolicitation, sourceLinkLayerAddr: KMAC }, RS, RS_PSEUDO],
  ];
  for (const [repr, bytes, pseudo] of cases) {
    assert.deepEqual(parseIcmpv6(bytes, 0, bytes.length, pseudo), repr, `type ${String(repr.type)}`);
    const buf = junk(bytes.length + 2);
    assert.equal(emitIcmpv6(repr, buf, 1, pseudo), bytes.length);
    assertBytes(buf, concat(hex('a5'), bytes, hex('a5')), `type ${String(repr.type)}`);
  }
  const na = new Icmpv6View().bind(NA, 0);
  assert.deepEqual([na.routerFlag, na.solicitedFlag, na.overrideFlag], [false, true, true]);
});

test('icmpv6: the DAD probe: unknown options (the nonce) are skipped, no link-layer address', () => {
  assert.deepEqual(parseIcmpv6(DAD_NS, 0, DAD_NS.length, DAD_PSEUDO), {
    type: Icmpv6Type.NeighborSolicitation,
    targetAddr: ipv6('fe80::ff:fe00:701'),
    sourceLinkLayerAddr: null,
  });
});

test('icmpv6: RA: view fields, options (link-layer, MTU, prefix), parse and emit byte for byte', () => {
  assert.equal(Icmpv6View.check(RA, 0, RA.length), 0);
  const v = new Icmpv6View().bind(RA, 0);
  assert.deepEqual(
    [v.curHopLimit, v.managedFlag, v.otherFlag, v.routerLifetimeSeconds, v.reachableTimeMs, v.retransTimerMs, v.ndpOptionsOffset],
    [64, true, true, 1800, 30000, 1000, 16],
  );
  const r = new NdpOptionReader().reset(RA, 16, RA.length - 16);
  const seen: string[] = [];
  while (r.next()) {
    if (r.type === NdpOptionType.Mtu) seen.push(`mtu ${String(r.mtu)}`);
    else if (r.type === NdpOptionType.PrefixInformation) {
      seen.push(`prefix /${String(r.prefixLength)} ${String(r.prefixOnLink)} ${String(r.prefixAutonomous)} ${String(r.validLifetimeSeconds)} ${String(r.preferredLifetimeSeconds)} @${String(r.prefixOffset)}`);
    } else seen.push(`type ${String(r.type)}`);
  }
  assert.deepEqual(seen, ['type 1', 'mtu 1500', 'prefix /64 true true 86400 14400 @48']);
  assert.deepEqual(parseIcmpv6(RA, 0, RA.length, RA_PSEUDO), RA_REPR);
  const buf = junk(RA.length);
  assert.equal(emitIcmpv6(RA_REPR, buf, 0, RA_PSEUDO), 64);
  assertBytes(buf, RA);
});

test('icmpv6: view setters for NDP fields touch only their bits', () => {
  const b = Uint8Array.from(RA);
  const v = new Icmpv6View().bind(b, 0);
  v.managedFlag = false;
  v.otherFlag = true;
  v.curHopLimit = 255;
  v.routerLifetimeSeconds = 0;
  v.reachableTimeMs = 1;
  v.retransTimerMs = 2;
  assertBytes(b.subarray(4, 16), hex('ff 40 0000 0000 0001 0000 0002'));
  const n = Uint8Array.from(NA);
  const w = new Icmpv6View().bind(n, 0);
  w.routerFlag = true;
  w.solicitedFlag = false;
  w.overrideFlag = false;
  w.setTargetAddr(MY6);
  assert.equal(n[4], 0x80);
  assert.ok(w.targetAddrEquals(MY6));
  const out = new Uint8Array(16);
  w.copyTargetAddr(out);
  assertBytes(out, MY6);
});

test('icmpv6: echo, port unreachable, time exceeded, packet too big: parse and emit byte for byte', () => {
  const cases: Array<[Icmpv6Repr, Uint8Array]> = [
    [{ type: Icmpv6Type.EchoReply, identifier: 0x1234, sequenceNumber: 1, data: hex('7069 6e67') }, ECHO_REPLY],
    [{ type: Icmpv6Type.DestinationUnreachable, code: Icmpv6Unreachable.Port, quoted: PORT_UNREACHABLE.slice(8) }, PORT_UNREACHABLE],
    [{ type: Icmpv6Type.TimeExceeded, code: 0, quoted: TIME_EXCEEDED.slice(8) }, TIME_EXCEEDED],
    [{ type: Icmpv6Type.PacketTooBig, mtu: 1280, quoted: PACKET_TOO_BIG.slice(8) }, PACKET_TOO_BIG],
  ];
  for (const [repr, bytes] of cases) {
    assert.deepEqual(parseIcmpv6(bytes, 0, bytes.length, NA_PSEUDO), repr, `type ${String(repr.type)}`);
    const buf = junk(bytes.length);
    assert.equal(emitIcmpv6(repr, buf, 0, NA_PSEUDO), bytes.length);
    assertBytes(buf, bytes, `type ${String(repr.type)}`);
  }
  const v = new Icmpv6View().bind(PACKET_TOO_BIG, 0);
  assert.deepEqual([v.mtu, v.isError, v.dataOffset], [1280, true, 8]);
  const e = new Icmpv6View().bind(ECHO_REPLY, 0);
  assert.deepEqual([e.identifier, e.sequenceNumber], [0x1234, 1]);
});

test('icmpv6: Truncated below each type’s fixed part; BadChecksum; Unsupported types', () => {
  for (const [type, fixed] of [[128, 8], [133, 8], [134, 16], [135, 24], [136, 24], [137, 40]] as const) {
    assert.equal(icmpv6FixedLength(type), fixed);
    const b = new Uint8Array(fixed);
    b[0] = type;
    for (let n = 0; n < fixed; n++) assert.equal(Icmpv6View.check(b, 0, n), WireError.Truncated, `type ${String(type)} length ${String(n)}`);
    assert.equal(Icmpv6View.check(b, 0, fixed), 0);
  }
  assert.equal(ICMPV6_HEADER_LEN, 8);
  const bad = Uint8Array.from(NS);
  bad[30]! ^= 4;
  assert.equal(parseIcmpv6(bad, 0, bad.length, NS_PSEUDO), WireError.BadChecksum);
  assert.equal(typeof parseIcmpv6(bad, 0, bad.length, null), 'object', 'null: checksum already verified by the miniport');
  const param = hex('04 00 0000 0000 0006', '00'.repeat(40));
  assert.equal(parseIcmpv6(param, 0, param.length, null), WireError.Unsupported);
});

test('ndp options: a zero length is Malformed, overruns are Truncated, odd sizes are rejected', () => {
  const withOptions = (options: string): Uint8Array => concat(NS.subarray(0, 24), hex(options));
  const cases: Array<[string, string, WireError]> = [
    ['length 0', '01 00 0000 0000 0000', WireError.Malformed],
    ['length past the end', '01 02 0200 0000 0701', WireError.Truncated],
    ['one byte left', '01 01 0200 0000 0701 01', WireError.Truncated],
    ['prefix information of length 1', '03 01 0000 0000 0000', WireError.Malformed],
    ['MTU of length 2', '05 02 0000 0000 0000 0000 0000 0000 0000', WireError.Malformed],
    ['link-layer address of length 2 (not Ethernet)', '01 02 0000 0000 0000 0000 0000 0000 0000', WireError.Unsupported],
  ];
  for (const [what, options, err] of cases) {
    const m = withOptions(options);
    assert.equal(parseIcmpv6(m, 0, m.length, null), err, what);
    const r = new NdpOptionReader().reset(m, 24, m.length - 24);
    let steps = 0;
    while (r.next()) {
      assert.ok(r.offset + r.length <= m.length, what);
      assert.ok(++steps <= m.length / 8, what);
    }
    assert.equal(r.error, err, what);
  }
  // Truncating an NS inside its option: Truncated; at the option boundary: a valid NS without it.
  for (let n = 25; n < NS.length; n++) assert.equal(parseIcmpv6(NS, 0, n, null), WireError.Truncated, `length ${String(n)}`);
  assert.deepEqual(parseIcmpv6(NS, 0, 24, null), { type: Icmpv6Type.NeighborSolicitation, targetAddr: ipv6('fd00:7::3'), sourceLinkLayerAddr: null });
});
