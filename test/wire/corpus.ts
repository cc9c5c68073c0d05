/**
 * The synthetic part of the wire fuzz corpus (test/fuzz/corpus/wire/): frames built with the
 * emitters (`emit-*`) and hand-written odd ones (`odd-*`) that real stacks do not send but a parser
 * must survive. The `linux-*` frames beside them were captured from Linux (see the corpus README).
 * `corpus.test.ts` keeps the files equal to these builders (TSNDIS_WRITE_CORPUS=1 rewrites them).
 */
import {
  EtherType,
  IpProtocol,
  Icmpv4Type,
  Icmpv6Type,
  Icmpv4Unreachable,
  Icmpv4View,
  Icmpv6View,
  Ipv4View,
  TcpView,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  NO_TCP_OPTIONS,
  TcpFlags,
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
  ipv4,
  ipv6,
  mac,
  tcpHeaderLength,
  type EthernetRepr,
  type Icmpv6Repr,
  type Ipv4Repr,
  type Ipv6Repr,
  type TcpRepr,
} from '../../src/wire/index.js';
import { concat, hex } from './helpers.js';

const A = mac('02:00:00:00:07:01');
const B = mac('02:00:00:00:07:02');
const A4 = ipv4(198, 18, 7, 1);
const B4 = ipv4(198, 18, 7, 2);
const A6 = ipv6('fd00:7::1');
const B6 = ipv6('fd00:7::2');
const PING = hex('7069 6e67');

const eth = (etherType: number, vlan: EthernetRepr['vlan'] = null, dst = B): EthernetRepr => ({ dst, src: A, vlan, etherType });
const ip4 = (protocol: number, payloadLength: number, extra: Partial<Ipv4Repr> = {}): Ipv4Repr => ({
  dscp: 0,
  ecn: 0,
  identification: 1,
  dontFragment: true,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 64,
  protocol,
  src: A4,
  dst: B4,
  options: new Uint8Array(0),
  payloadLength,
  ...extra,
});
const ip6 = (nextHeader: number, payloadLength: number, extra: Partial<Ipv6Repr> = {}): Ipv6Repr => ({
  trafficClass: 0,
  flowLabel: 0,
  nextHeader,
  hopLimit: 64,
  src: A6,
  dst: B6,
  payloadLength,
  ...extra,
});

/** Ethernet + IPv4 + UDP "ping" (optionally tagged, optionally without a checksum). */
function udp4(vlan: EthernetRepr['vlan'], checksum = true): Uint8Array {
  const f = new Uint8Array((vlan ? 18 : 14) + 20 + 12);
  let o = emitEthernet(eth(EtherType.Ipv4, vlan), f, 0);
  o += emitIpv4(ip4(IpProtocol.Udp, 12), f, o);
  f.set(PING, o + 8);
  emitUdp({ srcPort: 40000, dstPort: 7, payloadLength: 4 }, f, o, { version: 4, src: A4, dst: B4 });
  if (!checksum) f.fill(0, o + 6, o + 8);
  return f;
}

/** Ethernet + IPv4 + TCP with `payload`. */
function tcp4(repr: TcpRepr, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const thl = tcpHeaderLength(repr);
  const f = new Uint8Array(14 + 20 + thl + payload.length);
  let o = emitEthernet(eth(EtherType.Ipv4), f, 0);
  o += emitIpv4(ip4(IpProtocol.Tcp, thl + payload.length), f, o);
  f.set(payload, o + thl); // the payload first: the checksum covers it
  emitTcp({ ...repr, payloadLength: payload.length }, f, o, { version: 4, src: A4, dst: B4 });
  return f;
}

/** Ethernet + IPv6 + an ICMPv6 message. */
function icmp6(repr: Icmpv6Repr, src: Uint8Array, dst: Uint8Array, dstMac: Uint8Array, length: number): Uint8Array {
  const f = new Uint8Array(14 + 40 + length);
  let o = emitEthernet(eth(EtherType.Ipv6, null, dstMac), f, 0);
  o += emitIpv6(ip6(IpProtocol.Icmpv6, length, { src, dst, hopLimit: 255 }), f, o);
  emitIcmpv6(repr, f, o, { version: 6, src, dst });
  return f;
}

/** IPv6 with `count` extension headers (hop-by-hop first, then routing (type 253, experimental)/destination options, one fragment) before UDP. */
function extChain(count: number, hbhSecond = false): Uint8Array {
  const kinds: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i === 0) kinds.push(hbhSecond ? IpProtocol.Ipv6DestinationOptions : IpProtocol.HopByHop);
    else if (i === 1 && hbhSecond) kinds.push(IpProtocol.HopByHop);
    else if (i === count - 2) kinds.push(IpProtocol.Ipv6Fragment);
    else kinds.push(i % 2 ? IpProtocol.Ipv6DestinationOptions : IpProtocol.Ipv6Routing);
  }
  const exts = new Uint8Array(16 * count);
  let at = 0;
  kinds.forEach((k, i) => {
    const next = kinds[i + 1] ?? IpProtocol.Udp;
    if (k === IpProtocol.Ipv6Fragment) at += emitIpv6Fragment({ nextHeader: next, fragmentOffset: 0, moreFragments: false, identification: 7 }, exts, at);
    else if (k === IpProtocol.Ipv6Routing) at += emitIpv6Routing({ nextHeader: next, routingType: 253, segmentsLeft: 0, data: new Uint8Array(4) }, exts, at);
    else at += emitIpv6OptionsHeader({ nextHeader: next, options: i % 3 ? hex('01 04 0000 0000') : hex('01 0c', '00'.repeat(12)) }, exts, at);
  });
  const u = new Uint8Array(12);
  u.set(PING, 8);
  emitUdp({ srcPort: 40000, dstPort: 7, payloadLength: 4 }, u, 0, { version: 6, src: A6, dst: B6 });
  const f = new Uint8Array(14 + 40);
  const o = emitEthernet(eth(EtherType.Ipv6), f, 0);
  emitIpv6(ip6(kinds[0] ?? IpProtocol.Udp, at + 12), f, o);
  return concat(f, exts.subarray(0, at), u);
}

/** A TCP SYN over IPv4 whose option area is `options` (raw, padded by the caller to a multiple of 4). */
function tcpWithRawOptions(options: Uint8Array): Uint8Array {
  const f = tcp4({ srcPort: 40000, dstPort: 80, seqNumber: 1, ackNumber: 0, flags: TcpFlags.Syn, windowSize: 1024, urgentPointer: 0, options: NO_TCP_OPTIONS, payloadLength: 0 });
  const withOptions = concat(f, options);
  withOptions[14 + 32] = ((20 + options.length) / 4) << 4;
  withOptions[14 + 3] = 20 + 20 + options.length;
  new Ipv4View().bind(withOptions, 14).fillChecksum();
  const length = 20 + options.length;
  new TcpView().bind(withOptions, 34).fillChecksum(length, ipv4PseudoHeaderSum(A4, B4, IpProtocol.Tcp, length));
  return withOptions;
}

export interface CorpusEntry {
  name: string;
  why: string;
  bytes: Uint8Array;
}

export function syntheticCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  const add = (name: string, why: string, bytes: Uint8Array): void => {
    out.push({ name, why, bytes });
  };

  add('emit-vlan-udp-ipv4', '802.1Q tag (VLAN 100, PCP 5) before IPv4/UDP', udp4({ pcp: 5, dei: false, id: 100 }));
  add('emit-udp-ipv4-no-checksum', 'UDP over IPv4 with checksum 0 (none)', udp4(null, false));
  {
    const f = new Uint8Array(14 + 28);
    emitEthernet(eth(EtherType.Arp), f, 0);
    emitArp({ operation: 2, senderHardwareAddr: B, senderProtocolAddr: B4, targetHardwareAddr: A, targetProtocolAddr: A4 }, f, 14);
    add('emit-arp-reply', 'ARP reply', f);
  }
  {
    const f = new Uint8Array(60);
    emitEthernet(eth(EtherType.Arp, null, mac('ff:ff:ff:ff:ff:ff')), f, 0);
    emitArp({ operation: 1, senderHardwareAddr: A, senderProtocolAddr: A4, targetHardwareAddr: new Uint8Array(6), targetProtocolAddr: A4 }, f, 14);
    add('emit-arp-gratuitous-padded', 'gratuitous ARP request padded to the 60-byte Ethernet minimum', f);
  }
  add(
    'emit-tcp-fin-urg',
    'TCP FIN with URG and an urgent pointer',
    tcp4({ srcPort: 23, dstPort: 40000, seqNumber: 9, ackNumber: 10, flags: TcpFlags.Fin | TcpFlags.Urg | TcpFlags.Ack, windowSize: 100, urgentPointer: 1, options: NO_TCP_OPTIONS, payloadLength: 0 }, hex('ff')),
  );
  add(
    'emit-tcp-sack-timestamps',
    'TCP ACK with timestamps and three SACK blocks (40 option bytes) and a payload',
    tcp4(
      {
        srcPort: 80,
        dstPort: 40000,
        seqNumber: 1000,
        ackNumber: 2000,
        flags: TcpFlags.Ack | TcpFlags.Psh,
        windowSize: 501,
        urgentPointer: 0,
        options: { ...NO_TCP_OPTIONS, timestamps: { value: 5, echo: 6 }, sackBlocks: [{ left: 3000, right: 3100 }, { left: 3200, right: 3300 }, { left: 3400, right: 3500 }] },
        payloadLength: 0,
      },
      PING,
    ),
  );
  {
    const options = { mss: 1440, windowScale: 7, sackPermitted: true, sackBlocks: [], timestamps: { value: 1, echo: 0 } };
    const t = new Uint8Array(40);
    emitTcp({ srcPort: 40000, dstPort: 443, seqNumber: 7, ackNumber: 0, flags: TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, windowSize: 64800, urgentPointer: 0, options, payloadLength: 0 }, t, 0, {
      version: 6,
      src: A6,
      dst: B6,
    });
    const f = new Uint8Array(54);
    emitEthernet(eth(EtherType.Ipv6), f, 0);
    emitIpv6(ip6(IpProtocol.Tcp, 40, { trafficClass: 0x02, flowLabel: 0x12345 }), f, 14);
    add('emit-tcp-ipv6-syn-ecn', 'TCP SYN over IPv6 with ECE/CWR and the usual options', concat(f, t));
  }
  add(
    'emit-router-advertisement',
    'RA with source link-layer address, MTU and two prefixes',
    icmp6(
      {
        type: Icmpv6Type.RouterAdvertisement,
        curHopLimit: 64,
        managed: false,
        other: true,
        routerLifetimeSeconds: 1800,
        reachableTimeMs: 0,
        retransTimerMs: 0,
        sourceLinkLayerAddr: A,
        mtu: 1500,
        prefixes: [
          { prefixLength: 64, onLink: true, autonomous: true, validLifetimeSeconds: 86400, preferredLifetimeSeconds: 14400, prefix: ipv6('fd00:7::') },
          { prefixLength: 48, onLink: false, autonomous: false, validLifetimeSeconds: 0xffffffff, preferredLifetimeSeconds: 0, prefix: ipv6('fd00:8::') },
        ],
      },
      ipv6('fe80::ff:fe00:701'),
      ipv6('ff02::1'),
      mac('33:33:00:00:00:01'),
      16 + 8 + 8 + 64,
    ),
  );
  {
    const quoted = hex('4500 05dc 0001 4000 4011 0000 c612 0702 c612 0805', 'c350 0035 05c8 0000');
    new Ipv4View().bind(quoted, 0).fillChecksum();
    const f = new Uint8Array(14 + 20 + 8 + quoted.length);
    let o = emitEthernet(eth(EtherType.Ipv4), f, 0);
    o += emitIpv4(ip4(IpProtocol.Icmp, 8 + quoted.length, { dontFragment: false }), f, o);
    emitIcmpv4({ type: Icmpv4Type.DestinationUnreachable, code: Icmpv4Unreachable.FragmentationNeeded, nextHopMtu: 1400, quoted }, f, o);
    add('emit-icmp-fragmentation-needed', 'fragmentation needed (next-hop MTU 1400) quoting a header and 8 bytes', f);
    const g = f.slice(0, 14 + 20 + 8 + 10);
    g[14 + 3] = 38;
    new Ipv4View().bind(g, 14).fillChecksum();
    new Icmpv4View().bind(g, 34).fillChecksum(18);
    add('odd-icmp-quote-cut', 'an ICMP error whose quoted IPv4 header is cut after 10 bytes', g);
  }
  add('emit-ipv6-ext-chain-10', 'IPv6 with ten extension headers (hop-by-hop, routing, fragment, destination options) before UDP', extChain(10));
  add('odd-ipv6-ext-chain-17', 'IPv6 with seventeen extension headers: one more than the walk allows', extChain(17));
  add('odd-ipv6-hbh-not-first', 'a hop-by-hop header after a destination options header', extChain(3, true));
  add('odd-tcp-option-length-0', 'a TCP option of length 0 (would loop for ever without a check)', tcpWithRawOptions(hex('0204 05b4 0800 0000')));
  add('odd-tcp-option-length-1', 'a TCP option of length 1', tcpWithRawOptions(hex('0101 0801 0000 0000')));
  add('odd-tcp-40-nops', 'forty NOP options: more options than the decoder lists', tcpWithRawOptions(new Uint8Array(40).fill(1)));
  add('odd-tcp-option-past-end', 'a TCP timestamps option running past the option area', tcpWithRawOptions(hex('0101 080a 0000 0001')));
  {
    const f = udp4(null);
    f[14] = 0x44;
    add('odd-ipv4-ihl-4', 'IPv4 with IHL 4 (below the 20-byte minimum)', f);
    const g = udp4(null);
    g[14 + 3] = 16;
    add('odd-ipv4-total-length-short', 'IPv4 total length 16, below its own header', g);
    const h = udp4(null);
    h[14 + 2] = 0xff;
    add('odd-ipv4-total-length-long', 'IPv4 total length far beyond the frame', h);
  }
  {
    const f = extChain(1);
    f[14 + 4] = 0x40;
    add('odd-ipv6-payload-length-long', 'IPv6 payload length beyond the frame', f);
  }
  {
    const ns = icmp6({ type: Icmpv6Type.NeighborSolicitation, targetAddr: B6, sourceLinkLayerAddr: A }, A6, ipv6('ff02::1:ff00:2'), mac('33:33:ff:00:00:02'), 32);
    ns[14 + 40 + 25] = 0;
    new Icmpv6View().bind(ns, 54).fillChecksum(32, ipv6PseudoHeaderSum(A6, ipv6('ff02::1:ff00:2'), IpProtocol.Icmpv6, 32));
    add('odd-ndp-option-length-0', 'a neighbor solicitation whose option has length 0', ns);
  }
  {
    const many = new Uint8Array(16 * 8);
    for (let i = 0; i < 16; i++) many.set([14, 1, i, i, i, i, i, i], 8 * i);
    const ns = icmp6({ type: Icmpv6Type.NeighborSolicitation, targetAddr: B6, sourceLinkLayerAddr: null }, A6, B6, B, 24 + many.length);
    ns.set(many, 14 + 40 + 24);
    new Icmpv6View().bind(ns, 54).fillChecksum(24 + many.length, ipv6PseudoHeaderSum(A6, B6, IpProtocol.Icmpv6, 24 + many.length));
    add('odd-ndp-16-options', 'a neighbor solicitation with sixteen unknown options: more than the decoder lists', ns);
  }
  add('odd-ethernet-802.3', 'an IEEE 802.3 frame: a length (38) where the EtherType would be, then LLC', concat(hex('0180 c200 0000', '0200 0000 0701', '0026', '4242 03', '00'.repeat(35))));
  add('odd-qinq', 'an 802.1ad service tag (not decoded: single 802.1Q tags only)', concat(hex('0200 0000 0702 0200 0000 0701', '88a8 0064', '8100 00c8', '0800'), udp4(null).subarray(14)));
  add('odd-vlan-tag-cut', 'an 802.1Q TPID with the frame ending inside the tag', hex('0200 0000 0702 0200 0000 0701', '8100 00'));
  add('odd-icmp6-redirect', 'an ICMPv6 redirect (no Repr; the decoder prints its common fields)', (() => {
    const f = icmp6({ type: Icmpv6Type.EchoRequest, identifier: 1, sequenceNumber: 1, data: new Uint8Array(32) }, A6, B6, B, 40);
    f[54] = Icmpv6Type.Redirect;
    new Icmpv6View().bind(f, 54).fillChecksum(40, ipv6PseudoHeaderSum(A6, B6, IpProtocol.Icmpv6, 40));
    return f;
  })());
  {
    const f = new Uint8Array(14 + 20 + 8);
    let o = emitEthernet(eth(EtherType.Ipv4), f, 0);
    o += emitIpv4(ip4(IpProtocol.Icmp, 8, { moreFragments: true, dontFragment: false }), f, o);
    emitIcmpv4({ type: Icmpv4Type.EchoRequest, identifier: 9, sequenceNumber: 9, data: new Uint8Array(0) }, f, o);
    add('odd-ipv4-first-fragment-8-bytes', 'a first IPv4 fragment carrying only 8 bytes', f);
  }
  return out;
}
