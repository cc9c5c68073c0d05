/**
 * Properties over every Repr (fast-check): emitting into a junk-filled buffer at any offset and
 * parsing back gives the same Repr; and cutting the emitted bytes anywhere before the end of what
 * the header (or its length field) claims gives `Truncated` from `check()` and from the parser,
 * never a throw.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ArpView,
  EtherType,
  EthernetView,
  Icmpv4Type,
  Icmpv4View,
  Icmpv6Type,
  Icmpv6View,
  Ipv4View,
  Ipv6ExtHeaderView,
  Ipv6FragmentView,
  Ipv6View,
  TcpView,
  UdpView,
  WireError,
  emitArp,
  emitEthernet,
  emitIcmpv4,
  emitIcmpv6,
  emitIpv4,
  emitIpv6,
  emitIpv6Fragment,
  emitIpv6OptionsHeader,
  emitIpv6Routing,
  emitTcp,
  emitUdp,
  ethernetHeaderLength,
  icmpv4Length,
  icmpv6FixedLength,
  icmpv6Length,
  ipv4HeaderLength,
  ipv6OptionsHeaderLength,
  ipv6RoutingLength,
  parseArp,
  parseEthernet,
  parseIcmpv4,
  parseIcmpv6,
  parseIpv4,
  parseIpv6,
  parseIpv6Fragment,
  parseIpv6OptionsHeader,
  parseIpv6Routing,
  parseTcp,
  parseUdp,
  tcpHeaderLength,
  tcpOptionsLength,
  type ArpRepr,
  type EthernetRepr,
  type Icmpv4Repr,
  type Icmpv6Repr,
  type Ipv4Repr,
  type Ipv6FragmentRepr,
  type Ipv6OptionsHeaderRepr,
  type Ipv6PseudoHeader,
  type Ipv6Repr,
  type Ipv6RoutingRepr,
  type PseudoHeader,
  type TcpOptions,
  type TcpRepr,
  type UdpRepr,
} from '../../src/wire/index.js';
import { junk } from './helpers.js';

/** fast-check may build records with a null prototype, which deepStrictEqual tells apart from parse results. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

const RUNS = Number(process.env['TSNDIS_PROPERTY_RUNS'] ?? 200);

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.tuple(u16, u16).map(([h, l]) => h * 0x10000 + l);
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const macAddr = bytes(6);
const ip6Addr = bytes(16);
const blob = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
/** 0, 8, 16, … multiples of 8 up to `max` bytes. */
const units = (maxUnits: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: maxUnits });

const pseudo6: fc.Arbitrary<Ipv6PseudoHeader> = rec({ version: fc.constant(6 as const), src: ip6Addr, dst: ip6Addr });
const pseudo: fc.Arbitrary<PseudoHeader> = fc.oneof(rec({ version: fc.constant(4 as const), src: u32, dst: u32 }), pseudo6);

/**
 * One header kind under test. `emit` returns the total bytes the message occupies (header and, for
 * transport headers, the payload that must be in place); `claimed` is how many bytes the header
 * announces (`check()` is `Truncated` below it); `parse` is the Repr parser with the same context.
 */
interface Codec<R, C = null> {
  name: string;
  arb: fc.Arbitrary<{ repr: R; ctx: C }>;
  total(repr: R): number;
  claimed(repr: R): number;
  emit(repr: R, b: Uint8Array, o: number, ctx: C): number;
  parse(b: Uint8Array, o: number, len: number, ctx: C): R | WireError;
  check(b: Uint8Array, o: number, len: number): WireError | 0;
}

const noCtx = <R>(arb: fc.Arbitrary<R>): fc.Arbitrary<{ repr: R; ctx: null }> => arb.map((repr) => ({ repr, ctx: null }));

const ethernet: Codec<EthernetRepr> = {
  name: 'ethernet',
  arb: noCtx(
    rec<EthernetRepr>({
      dst: macAddr,
      src: macAddr,
      vlan: fc.option(rec({ pcp: fc.integer({ min: 0, max: 7 }), dei: fc.boolean(), id: fc.integer({ min: 0, max: 4095 }) })),
      etherType: u16,
    }).filter((r) => r.vlan !== null || r.etherType !== EtherType.Vlan),
  ),
  total: ethernetHeaderLength,
  claimed: ethernetHeaderLength,
  emit: (r, b, o) => emitEthernet(r, b, o),
  parse: parseEthernet,
  check: EthernetView.check,
};

const arp: Codec<ArpRepr> = {
  name: 'arp',
  arb: noCtx(rec({ operation: u16, senderHardwareAddr: macAddr, senderProtocolAddr: u32, targetHardwareAddr: macAddr, targetProtocolAddr: u32 })),
  total: () => 28,
  claimed: () => 28,
  emit: (r, b, o) => emitArp(r, b, o),
  parse: parseArp,
  check: ArpView.check,
};

/** Well-formed IPv4 options (parseIpv4 checks the walk): NOPs, router alerts, record routes with a valid pointer, unknown kinds; EOL-padded to a multiple of 4. */
const ipv4Option: fc.Arbitrary<number[]> = fc.oneof(
  fc.constant<number[]>([1]),
  fc.tuple(u8, u8).map(([a, b]) => [0x94, 4, a, b]),
  fc.tuple(fc.integer({ min: 3, max: 11 }), fc.integer({ min: 4, max: 255 })).chain(([len, ptr]) => bytes(len - 3).map((d) => [7, len, ptr, ...d])),
  fc.tuple(fc.constantFrom(2, 30, 130, 136, 255), fc.integer({ min: 2, max: 10 })).chain(([kind, len]) => bytes(len - 2).map((d) => [kind, len, ...d])),
);
const ipv4Options: fc.Arbitrary<Uint8Array> = fc.array(ipv4Option, { maxLength: 8 }).map((list) => {
  const out: number[] = [];
  for (const o of list) if (out.length + o.length <= 40) out.push(...o);
  while (out.length % 4 !== 0) out.push(0);
  return Uint8Array.from(out);
});

const ipv4Codec: Codec<Ipv4Repr> = {
  name: 'ipv4',
  arb: noCtx(
    rec({
      dscp: fc.integer({ min: 0, max: 63 }),
      ecn: fc.integer({ min: 0, max: 3 }),
      identification: u16,
      dontFragment: fc.boolean(),
      moreFragments: fc.boolean(),
      fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((n) => n * 8),
      ttl: u8,
      protocol: u8,
      src: u32,
      dst: u32,
      options: ipv4Options,
      payloadLength: fc.integer({ min: 0, max: 600 }),
    }),
  ),
  total: (r) => ipv4HeaderLength(r) + r.payloadLength,
  claimed: (r) => ipv4HeaderLength(r) + r.payloadLength,
  emit: (r, b, o) => emitIpv4(r, b, o) + r.payloadLength,
  parse: parseIpv4,
  check: Ipv4View.check,
};

const ipv6Codec: Codec<Ipv6Repr> = {
  name: 'ipv6',
  arb: noCtx(
    rec({
      trafficClass: u8,
      flowLabel: fc.integer({ min: 0, max: 0xfffff }),
      nextHeader: u8,
      hopLimit: u8,
      src: ip6Addr,
      dst: ip6Addr,
      payloadLength: fc.integer({ min: 0, max: 600 }),
    }),
  ),
  total: (r) => 40 + r.payloadLength,
  claimed: (r) => 40 + r.payloadLength,
  emit: (r, b, o) => emitIpv6(r, b, o) + r.payloadLength,
  parse: parseIpv6,
  check: Ipv6View.check,
};

const ipv6Options: Codec<Ipv6OptionsHeaderRepr> = {
  name: 'ipv6 options header',
  arb: noCtx(rec({ nextHeader: u8, options: units(6).chain((k) => bytes(6 + 8 * k)) })),
  total: ipv6OptionsHeaderLength,
  claimed: ipv6OptionsHeaderLength,
  emit: (r, b, o) => emitIpv6OptionsHeader(r, b, o),
  parse: parseIpv6OptionsHeader,
  check: Ipv6ExtHeaderView.check,
};

const ipv6Routing: Codec<Ipv6RoutingRepr> = {
  name: 'ipv6 routing header',
  arb: noCtx(rec({ nextHeader: u8, routingType: u8, segmentsLeft: u8, data: units(6).chain((k) => bytes(4 + 8 * k)) })),
  total: ipv6RoutingLength,
  claimed: ipv6RoutingLength,
  emit: (r, b, o) => emitIpv6Routing(r, b, o),
  parse: parseIpv6Routing,
  check: Ipv6ExtHeaderView.check,
};

const ipv6Fragment: Codec<Ipv6FragmentRepr> = {
  name: 'ipv6 fragment header',
  arb: noCtx(rec({ nextHeader: u8, fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((n) => n * 8), moreFragments: fc.boolean(), identification: u32 })),
  total: () => 8,
  claimed: () => 8,
  emit: (r, b, o) => emitIpv6Fragment(r, b, o),
  parse: parseIpv6Fragment,
  check: Ipv6FragmentView.check,
};

const icmpv4: Codec<Icmpv4Repr> = {
  name: 'icmpv4',
  arb: noCtx(
    fc.oneof(
      rec({ type: fc.constantFrom(Icmpv4Type.EchoRequest, Icmpv4Type.EchoReply), identifier: u16, sequenceNumber: u16, data: blob(100) }),
      rec({ type: fc.constant(Icmpv4Type.DestinationUnreachable), code: u8, nextHopMtu: u16, quoted: blob(100) }),
      rec({ type: fc.constant(Icmpv4Type.TimeExceeded), code: u8, quoted: blob(100) }),
    ),
  ),
  total: icmpv4Length,
  claimed: () => 8,
  emit: (r, b, o) => emitIcmpv4(r, b, o),
  parse: parseIcmpv4,
  check: Icmpv4View.check,
};

const prefix = rec({
  prefixLength: fc.integer({ min: 0, max: 128 }),
  onLink: fc.boolean(),
  autonomous: fc.boolean(),
  validLifetimeSeconds: u32,
  preferredLifetimeSeconds: u32,
  prefix: ip6Addr,
});
const icmpv6Repr: fc.Arbitrary<Icmpv6Repr> = fc.oneof(
  rec({ type: fc.constantFrom(Icmpv6Type.EchoRequest, Icmpv6Type.EchoReply), identifier: u16, sequenceNumber: u16, data: blob(100) }),
  rec({ type: fc.constant(Icmpv6Type.DestinationUnreachable), code: u8, quoted: blob(100) }),
  rec({ type: fc.constant(Icmpv6Type.PacketTooBig), mtu: u32, quoted: blob(100) }),
  rec({ type: fc.constant(Icmpv6Type.TimeExceeded), code: u8, quoted: blob(100) }),
  rec({ type: fc.constant(Icmpv6Type.RouterSolicitation), sourceLinkLayerAddr: fc.option(macAddr) }),
  rec({
    type: fc.constant(Icmpv6Type.RouterAdvertisement),
    curHopLimit: u8,
    managed: fc.boolean(),
    other: fc.boolean(),
    routerLifetimeSeconds: u16,
    reachableTimeMs: u32,
    retransTimerMs: u32,
    sourceLinkLayerAddr: fc.option(macAddr),
    mtu: fc.option(u32),
    prefixes: fc.array(prefix, { maxLength: 4 }),
  }),
  rec({ type: fc.constant(Icmpv6Type.NeighborSolicitation), targetAddr: ip6Addr, sourceLinkLayerAddr: fc.option(macAddr) }),
  rec({
    type: fc.constant(Icmpv6Type.NeighborAdvertisement),
    router: fc.boolean(),
    solicited: fc.boolean(),
    override: fc.boolean(),
    targetAddr: ip6Addr,
    targetLinkLayerAddr: fc.option(macAddr),
  }),
);

const icmpv6: Codec<Icmpv6Repr, Ipv6PseudoHeader> = {
  name: 'icmpv6',
  arb: rec({ repr: icmpv6Repr, ctx: pseudo6 }),
  total: icmpv6Length,
  claimed: (r) => icmpv6FixedLength(r.type),
  emit: (r, b, o, ph) => emitIcmpv6(r, b, o, ph),
  parse: parseIcmpv6,
  check: Icmpv6View.check,
};

const udp: Codec<UdpRepr, PseudoHeader> = {
  name: 'udp',
  arb: rec({ repr: rec({ srcPort: u16, dstPort: u16, payloadLength: fc.integer({ min: 0, max: 300 }) }), ctx: pseudo }),
  total: (r) => 8 + r.payloadLength,
  claimed: (r) => 8 + r.payloadLength,
  emit: (r, b, o, ph) => emitUdp(r, b, o, ph) + r.payloadLength,
  parse: parseUdp,
  check: UdpView.check,
};

const tcpOptions: fc.Arbitrary<TcpOptions> = rec<TcpOptions>({
  mss: fc.option(u16),
  windowScale: fc.option(u8),
  sackPermitted: fc.boolean(),
  sackBlocks: fc.array(rec({ left: u32, right: u32 }), { maxLength: 4 }),
  timestamps: fc.option(rec({ value: u32, echo: u32 })),
}).filter((o) => tcpOptionsLength(o) <= 40);

const tcp: Codec<TcpRepr, PseudoHeader> = {
  name: 'tcp',
  arb: rec({
    repr: rec({
      srcPort: u16,
      dstPort: u16,
      seqNumber: u32,
      ackNumber: u32,
      flags: fc.integer({ min: 0, max: 0x1ff }),
      windowSize: u16,
      urgentPointer: u16,
      options: tcpOptions,
      payloadLength: fc.integer({ min: 0, max: 300 }),
    }),
    ctx: pseudo,
  }),
  total: (r) => tcpHeaderLength(r) + r.payloadLength,
  claimed: tcpHeaderLength,
  emit: (r, b, o, ph) => emitTcp(r, b, o, ph) + r.payloadLength,
  parse: (b, o, len, ph) => parseTcp(b, o, len, ph),
  check: TcpView.check,
};

// `Codec<R, C>` is invariant in R; the list is only iterated generically.
const CODECS = [ethernet, arp, ipv4Codec, ipv6Codec, ipv6Options, ipv6Routing, ipv6Fragment, icmpv4, icmpv6, udp, tcp] as unknown as Array<Codec<unknown, unknown>>;

for (const c of CODECS) {
  test(`${c.name} (property): parse(emit(repr)) equals repr, emitted at any offset of a 0xa5 buffer`, () => {
    fc.assert(
      fc.property(c.arb, fc.integer({ min: 0, max: 5 }), ({ repr, ctx }, at) => {
        const total = c.total(repr);
        const b = junk(at + total + 3);
        assert.equal(c.emit(repr, b, at, ctx), total);
        assert.equal(c.check(b, at, total), 0);
        assert.deepEqual(c.parse(b, at, total, ctx), repr);
        assert.ok(b.subarray(at + total).every((x) => x === 0xa5), 'nothing written past the end');
        assert.ok(b.subarray(0, at).every((x) => x === 0xa5), 'nothing written before the start');
      }),
      { numRuns: RUNS },
    );
  });

  test(`${c.name} (property): every cut before the claimed length is Truncated, never a throw`, () => {
    fc.assert(
      fc.property(c.arb, ({ repr, ctx }) => {
        const total = c.total(repr);
        const b = junk(total);
        c.emit(repr, b, 0, ctx);
        for (let n = 0; n < c.claimed(repr); n++) {
          assert.equal(c.check(b, 0, n), WireError.Truncated, `length ${String(n)}`);
          // The bytes physically cut short too (a buffer that ends early), not only a short `length`.
          assert.equal(c.check(b.slice(0, n), 0, n + 1), WireError.Truncated, `buffer ${String(n)}`);
          assert.equal(c.parse(b, 0, n, ctx), WireError.Truncated, `parse ${String(n)}`);
        }
        for (let n = c.claimed(repr); n < total; n++) {
          const r = c.parse(b, 0, n, ctx);
          assert.ok(typeof r === 'number' ? r > 0 : typeof r === 'object', `parse ${String(n)} returns a Repr or a WireError`);
        }
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });
}
