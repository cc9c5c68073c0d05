// Writes the tsndis.tcpip fuzz corpus: valid frames addressed to the fuzz target host
// (02:00:00:00:1a:01, 198.18.0.2, fd00::2) from its peer (02:00:00:00:0a:01, 198.18.0.1, fd00::1), one per
// path through the stack, so mutations reach every layer. Built with the src/wire emitters.
//
//   npx tsc -p . && node test/fuzz/corpus/tcpip/make-corpus.mjs
import { writeFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const w = await import(new URL('../../../../dist/src/wire/index.js', here).href);

const ME = w.mac('02:00:00:00:1a:01');
const PEER = w.mac('02:00:00:00:0a:01');
const ME4 = w.parseIpv4Address('198.18.0.2');
const PEER4 = w.parseIpv4Address('198.18.0.1');
const ME6 = w.ipv6('fd00::2');
const PEER6 = w.ipv6('fd00::1');
const { IpProtocol: P, EtherType: E } = w;

function eth(payload, etherType, dst = ME, vlan = null) {
  const hl = vlan ? 18 : 14;
  const f = new Uint8Array(hl + payload.length);
  w.emitEthernet({ dst, src: PEER, vlan, etherType }, f, 0);
  f.set(payload, hl);
  return f;
}

function ip4(protocol, payload, extra = {}) {
  const options = extra.options ?? new Uint8Array(0);
  const b = new Uint8Array(20 + options.length + payload.length);
  b.set(payload, 20 + options.length);
  w.emitIpv4({ dscp: 0, ecn: 0, identification: extra.id ?? 0x1234, dontFragment: extra.df ?? true, moreFragments: extra.mf ?? false, fragmentOffset: extra.offset ?? 0, ttl: 64, protocol, src: extra.src ?? PEER4, dst: extra.dst ?? ME4, options, payloadLength: extra.payloadLength ?? payload.length }, b, 0);
  return b;
}

function ip6(nextHeader, payload, src = PEER6, dst = ME6, hopLimit = 64) {
  const b = new Uint8Array(40 + payload.length);
  w.emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader, hopLimit, src, dst, payloadLength: payload.length }, b, 0);
  b.set(payload, 40);
  return b;
}

function udp(srcPort, dstPort, data, pseudo) {
  const b = new Uint8Array(8 + data.length);
  b.set(data, 8);
  w.emitUdp({ srcPort, dstPort, payloadLength: data.length }, b, 0, pseudo);
  return b;
}

function tcp(repr, pseudo) {
  const b = new Uint8Array(w.tcpHeaderLength(repr) + repr.payloadLength);
  w.emitTcp(repr, b, 0, pseudo);
  return b;
}

function icmp4(repr) {
  const b = new Uint8Array(w.icmpv4Length(repr));
  w.emitIcmpv4(repr, b, 0);
  return b;
}

function icmp6(repr, src = PEER6, dst = ME6) {
  const b = new Uint8Array(w.icmpv6Length(repr));
  w.emitIcmpv6(repr, b, 0, { version: 6, src, dst });
  return b;
}

const pseudo4 = { version: 4, src: PEER4, dst: ME4 };
const pseudo6 = { version: 6, src: PEER6, dst: ME6 };
const data = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 13) & 0xff);
const synOptions = { mss: 1460, windowScale: 7, sackPermitted: true, sackBlocks: [], timestamps: { value: 1, echo: 0 } };
const syn = { srcPort: 40000, dstPort: 80, seqNumber: 1000, ackNumber: 0, flags: w.TcpFlags.Syn, windowSize: 65535, urgentPointer: 0, options: synOptions, payloadLength: 0 };

const frames = {};
const arp = (operation, tha, tpa) => {
  const b = new Uint8Array(28);
  w.emitArp({ operation, senderHardwareAddr: PEER, senderProtocolAddr: PEER4, targetHardwareAddr: tha, targetProtocolAddr: tpa }, b, 0);
  return b;
};
frames['arp-request'] = eth(arp(1, new Uint8Array(6), ME4), E.Arp, w.MAC_BROADCAST);
frames['arp-reply'] = eth(arp(2, ME, ME4), E.Arp);
frames['ipv4-echo-request'] = eth(ip4(P.Icmp, icmp4({ type: 8, identifier: 7, sequenceNumber: 1, data: data(32) })), E.Ipv4);
frames['ipv6-echo-request'] = eth(ip6(P.Icmpv6, icmp6({ type: 128, identifier: 7, sequenceNumber: 1, data: data(32) })), E.Ipv6);
const sn = w.ipv6('ff02::1:ff00:2');
frames['ipv6-neighbor-solicitation'] = eth(ip6(P.Icmpv6, icmp6({ type: 135, targetAddr: ME6, sourceLinkLayerAddr: PEER }, PEER6, sn), PEER6, sn, 255), E.Ipv6, w.mac('33:33:ff:00:00:02'));
frames['ipv6-neighbor-advertisement'] = eth(ip6(P.Icmpv6, icmp6({ type: 136, router: false, solicited: true, override: true, targetAddr: PEER6, targetLinkLayerAddr: PEER }), PEER6, ME6, 255), E.Ipv6);
frames['ipv6-router-advertisement'] = eth(ip6(P.Icmpv6, icmp6({ type: 134, curHopLimit: 64, managed: false, other: false, routerLifetimeSeconds: 1800, reachableTimeMs: 0, retransTimerMs: 0, sourceLinkLayerAddr: PEER, mtu: 1500, prefixes: [{ prefixLength: 64, onLink: true, autonomous: true, validLifetimeSeconds: 86400, preferredLifetimeSeconds: 14400, prefix: w.ipv6('fd00::') }] }, PEER6, w.ipv6('ff02::1')), PEER6, w.ipv6('ff02::1'), 255), E.Ipv6, w.mac('33:33:00:00:00:01'));
frames['ipv4-udp'] = eth(ip4(P.Udp, udp(5353, 7, data(40), pseudo4)), E.Ipv4);
frames['ipv4-udp-closed-port'] = eth(ip4(P.Udp, udp(5353, 9, data(40), pseudo4)), E.Ipv4);
frames['ipv6-udp'] = eth(ip6(P.Udp, udp(5353, 7, data(40), pseudo6)), E.Ipv6);
frames['ipv4-tcp-syn'] = eth(ip4(P.Tcp, tcp(syn, pseudo4)), E.Ipv4);
frames['ipv6-tcp-syn'] = eth(ip6(P.Tcp, tcp(syn, pseudo6)), E.Ipv6);
// A 2000-byte UDP datagram in two fragments (IPv4 and IPv6).
const big4 = udp(5353, 7, data(1992), pseudo4);
frames['ipv4-fragment-first'] = eth(ip4(P.Udp, big4.subarray(0, 1480), { id: 0x777, df: false, mf: true }), E.Ipv4);
frames['ipv4-fragment-last'] = eth(ip4(P.Udp, big4.subarray(1480), { id: 0x777, df: false, offset: 1480 }), E.Ipv4);
const big6 = udp(5353, 7, data(1992), pseudo6);
const frag6 = (at, n, more) => {
  const b = new Uint8Array(8 + n);
  w.emitIpv6Fragment({ nextHeader: P.Udp, fragmentOffset: at, moreFragments: more, identification: 0xabcdef }, b, 0);
  b.set(big6.subarray(at, at + n), 8);
  return b;
};
frames['ipv6-fragment-first'] = eth(ip6(P.Ipv6Fragment, frag6(0, 1448, true)), E.Ipv6);
frames['ipv6-fragment-last'] = eth(ip6(P.Ipv6Fragment, frag6(1448, 2000 - 1448, false)), E.Ipv6);
// Hop-by-hop and destination options before UDP.
{
  const u = udp(5353, 7, data(16), pseudo6);
  const ext = new Uint8Array(16 + u.length);
  w.emitIpv6OptionsHeader({ nextHeader: P.Ipv6DestinationOptions, options: Uint8Array.of(1, 4, 0, 0, 0, 0) }, ext, 0);
  w.emitIpv6OptionsHeader({ nextHeader: P.Udp, options: Uint8Array.of(1, 4, 0, 0, 0, 0) }, ext, 8);
  ext.set(u, 16);
  frames['ipv6-hbh-dstopts-udp'] = eth(ip6(P.HopByHop, ext), E.Ipv6);
}
frames['ipv4-options-udp'] = eth(ip4(P.Udp, udp(5353, 7, data(8), pseudo4), { options: Uint8Array.of(1, 1, 1, 0) }), E.Ipv4);
// The same with a router alert of length 1: the option walk fails, the datagram is dropped (ipv4.inBadOptions).
frames['ipv4-options-malformed-udp'] = eth(ip4(P.Udp, udp(5353, 7, data(8), pseudo4), { options: Uint8Array.of(1, 0x94, 1, 0) }), E.Ipv4);
frames['vlan0-ipv4-echo-request'] = eth(ip4(P.Icmp, icmp4({ type: 8, identifier: 8, sequenceNumber: 2, data: data(8) })), E.Ipv4, ME, { pcp: 5, dei: false, id: 0 });
// Errors quoting what the target sent: UDP 198.18.0.2:5000 → .1:9, TCP fd00::2:80 → fd00::1:40000.
{
  const ours = ip4(P.Udp, udp(5000, 9, data(8), { version: 4, src: ME4, dst: PEER4 }), { src: ME4, dst: PEER4 });
  frames['ipv4-icmp-port-unreachable'] = eth(ip4(P.Icmp, icmp4({ type: 3, code: 3, nextHopMtu: 0, quoted: ours })), E.Ipv4);
  const t = ip4(P.Tcp, tcp({ ...syn, srcPort: 80, dstPort: 40000, options: w.NO_TCP_OPTIONS }, { version: 4, src: ME4, dst: PEER4 }), { src: ME4, dst: PEER4 });
  frames['ipv4-icmp-fragmentation-needed'] = eth(ip4(P.Icmp, icmp4({ type: 3, code: 4, nextHopMtu: 1400, quoted: t })), E.Ipv4);
  const t6 = ip6(P.Tcp, tcp({ ...syn, srcPort: 80, dstPort: 40000, options: w.NO_TCP_OPTIONS }, { version: 6, src: ME6, dst: PEER6 }), ME6, PEER6);
  frames['ipv6-icmp-packet-too-big'] = eth(ip6(P.Icmpv6, icmp6({ type: 2, mtu: 1400, quoted: t6 })), E.Ipv6);
}

for (const [name, f] of Object.entries(frames)) writeFileSync(new URL(`${name}.bin`, here), f);
console.log(`${Object.keys(frames).length} frames written`);
