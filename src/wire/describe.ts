/**
 * A tcpdump-like one-line-per-layer decoder: Ethernet → 802.1Q → ARP / IPv4 / IPv6 (+ extension
 * headers) → ICMP / ICMPv6 / UDP / TCP (+ options), and the datagram quoted in ICMP errors.
 *
 * It is the wire layer's fuzz entry point (it reaches every view, the extension-header walker and
 * both option readers) and the inspector's frame decoder, so it must hold for *any* input:
 * - it never throws: every read goes through a view whose `check()` passed, or a bounds-checked reader;
 * - it terminates quickly: every loop is bounded (extension headers by `IPV6_MAX_EXTENSION_HEADERS`,
 *   options by the bytes they cover), and an ICMP quote is decoded one level deep only;
 * - its output is bounded: at most `DESCRIBE_MAX_LINES` lines, option lists cut at `DESCRIBE_MAX_OPTIONS`.
 *
 * Checksums are reported (`cksum 0x1234 ok|bad`), never enforced, so a fuzzer gets past them. When a
 * layer fails its check, its line names the `WireError` and decoding stops there.
 */
import { formatIpv4, formatIpv6, formatMac } from './address.js';
import { ARP_LEN, ArpOperation, ArpView } from './arp.js';
import { ipv4PseudoHeaderSum, ipv6PseudoHeaderSum } from './checksum.js';
import { WireError, wireErrorName } from './error.js';
import { EthernetView } from './ethernet.js';
import { Icmpv4Type, Icmpv4Unreachable, Icmpv4View } from './icmpv4.js';
import { Icmpv6Type, Icmpv6View, icmpv6FixedLength } from './icmpv6.js';
import { Ipv4View } from './ipv4.js';
import { Ipv6View } from './ipv6.js';
import { IPV6_FRAGMENT_HEADER_LEN, Ipv6ExtHeaderView, Ipv6ExtensionWalk, Ipv6FragmentView, walkIpv6Extensions } from './ipv6-ext.js';
import { NdpOptionReader, NdpOptionType } from './ndp.js';
import { ETHERTYPE_MIN, EtherType, IpProtocol, etherTypeName, ipProtocolName } from './numbers.js';
import { TcpFlags, TcpOptionKind, TcpOptionReader, TcpView } from './tcp.js';
import { UDP_HEADER_LEN, UdpView } from './udp.js';

export const DESCRIBE_MAX_LINES = 32;
export const DESCRIBE_MAX_OPTIONS = 12;

const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;
const proto = (p: number): string => `${ipProtocolName(p)} (${String(p)})`;
const fail = (layer: string, e: WireError | 0, length: number): string => `${layer} [${wireErrorName(e)}] ${String(length)} bytes`;

const ICMPV4_UNREACHABLE_NAMES: readonly string[] = Object.keys(Icmpv4Unreachable).map((k) => k.replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase()));
const ICMPV6_UNREACHABLE_NAMES: readonly string[] = ['no-route', 'admin-prohibited', 'beyond-scope', 'address', 'port', 'source-policy', 'reject-route'];

/** Decodes one frame; see the module comment. Reuses its views, so one instance serves many frames. */
export class FrameDescriber {
  readonly #eth = new EthernetView();
  readonly #arp = new ArpView();
  readonly #ip4 = new Ipv4View();
  readonly #ip6 = new Ipv6View();
  readonly #ext = new Ipv6ExtHeaderView();
  readonly #frag = new Ipv6FragmentView();
  readonly #walk = new Ipv6ExtensionWalk();
  readonly #icmp4 = new Icmpv4View();
  readonly #icmp6 = new Icmpv6View();
  readonly #udp = new UdpView();
  readonly #tcp = new TcpView();
  readonly #tcpOpts = new TcpOptionReader();
  readonly #ndpOpts = new NdpOptionReader();
  #out: string[] = [];

  describe(bytes: Uint8Array, offset: number, length: number): string[] {
    this.#out = [];
    this.#ethernet(bytes, offset, length);
    const out = this.#out;
    this.#out = [];
    return out.length > DESCRIBE_MAX_LINES ? [...out.slice(0, DESCRIBE_MAX_LINES - 1), `… ${String(out.length - DESCRIBE_MAX_LINES + 1)} more lines`] : out;
  }

  #line(s: string): void {
    this.#out.push(s);
  }

  #ethernet(b: Uint8Array, o: number, len: number): void {
    const err = EthernetView.check(b, o, len);
    if (err !== 0) return this.#line(fail('ether', err, len));
    const e = this.#eth.bind(b, o);
    const outer = e.outerEtherType;
    const head = `ether ${formatMac(b, e.srcOffset)} > ${formatMac(b, e.dstOffset)}`;
    if (outer < ETHERTYPE_MIN) return this.#line(`${head}, 802.3 length ${String(outer)}, frame length ${String(len)}`);
    const type = e.etherType;
    if (e.hasVlanTag) {
      this.#line(`${head}, type 802.1Q (0x8100), length ${String(len)}`);
      this.#line(`vlan ${String(e.vlanId)}, p ${String(e.vlanPcp)}${e.vlanDei ? ', DEI' : ''}, type ${etherTypeName(type)} (${hex(type, 4)})`);
    } else {
      this.#line(`${head}, type ${etherTypeName(type)} (${hex(type, 4)}), length ${String(len)}`);
    }
    const p = e.payloadOffset;
    const plen = o + len - p;
    if (type === EtherType.Arp) this.#arpLayer(b, p, plen);
    else if (type === EtherType.Ipv4) this.#ipv4(b, p, plen);
    else if (type === EtherType.Ipv6) this.#ipv6(b, p, plen);
  }

  #arpLayer(b: Uint8Array, o: number, len: number): void {
    const err = ArpView.check(b, o, len);
    if (err !== 0) return this.#line(fail('arp', err, len));
    const a = this.#arp.bind(b, o);
    const spa = formatIpv4(a.senderProtocolAddr);
    const tpa = formatIpv4(a.targetProtocolAddr);
    const pad = len > ARP_LEN ? `, ${String(len - ARP_LEN)} bytes padding` : '';
    if (a.operation === ArpOperation.Request) {
      const gratuitous = a.senderProtocolAddr === a.targetProtocolAddr ? ' (gratuitous)' : '';
      this.#line(`arp who-has ${tpa} tell ${spa}${gratuitous}, sender ${formatMac(b, a.senderHardwareAddrOffset)}${pad}`);
    } else if (a.operation === ArpOperation.Reply) {
      this.#line(`arp reply ${spa} is-at ${formatMac(b, a.senderHardwareAddrOffset)}, to ${tpa} (${formatMac(b, a.targetHardwareAddrOffset)})${pad}`);
    } else {
      this.#line(`arp op ${String(a.operation)}, sender ${formatMac(b, a.senderHardwareAddrOffset)} ${spa}, target ${formatMac(b, a.targetHardwareAddrOffset)} ${tpa}${pad}`);
    }
  }

  #ipv4(b: Uint8Array, o: number, len: number): void {
    const err = Ipv4View.check(b, o, len);
    if (err !== 0) return this.#line(fail('ipv4', err, len));
    const ip = this.#ip4.bind(b, o);
    const flags = [ip.reservedFlag ? 'evil' : '', ip.dontFragment ? 'DF' : '', ip.moreFragments ? 'MF' : ''].filter(Boolean).join(' ');
    const opts = ip.optionsLength > 0 ? `, options ${String(ip.optionsLength)} bytes` : '';
    const tos = ip.dscp || ip.ecn ? `, dscp ${String(ip.dscp)} ecn ${String(ip.ecn)}` : '';
    this.#line(
      `ipv4 ${formatIpv4(ip.srcAddr)} > ${formatIpv4(ip.dstAddr)}: ${proto(ip.protocol)}, ttl ${String(ip.ttl)}, id ${String(ip.identification)}` +
        `${flags ? `, flags [${flags}]` : ''}, offset ${String(ip.fragmentOffset)}${tos}, length ${String(ip.totalLength)}${opts}` +
        `, cksum ${hex(ip.checksum, 4)} ${ip.verifyChecksum() ? 'ok' : 'bad'}`,
    );
    if (ip.fragmentOffset !== 0) return; // the middle of a datagram: no transport header here
    const p = ip.payloadOffset;
    const plen = ip.payloadLength;
    const pseudo = (protocol: number): number => ipv4PseudoHeaderSum(ip.srcAddr, ip.dstAddr, protocol, plen);
    const partial = ip.moreFragments;
    switch (ip.protocol) {
      case IpProtocol.Icmp:
        return this.#icmpv4(b, p, plen, partial);
      case IpProtocol.Udp:
        return this.#udpLayer(b, p, plen, pseudo(IpProtocol.Udp), partial);
      case IpProtocol.Tcp:
        return this.#tcpLayer(b, p, plen, pseudo(IpProtocol.Tcp), partial);
      default:
        return;
    }
  }

  #ipv6(b: Uint8Array, o: number, len: number): void {
    const err = Ipv6View.check(b, o, len);
    if (err !== 0) return this.#line(fail('ipv6', err, len));
    const ip = this.#ip6.bind(b, o);
    this.#line(
      `ipv6 ${formatIpv6(b, ip.srcAddrOffset)} > ${formatIpv6(b, ip.dstAddrOffset)}: next ${proto(ip.nextHeader)}, hlim ${String(ip.hopLimit)}` +
        `${ip.trafficClass ? `, class ${hex(ip.trafficClass, 2)}` : ''}${ip.flowLabel ? `, flow ${hex(ip.flowLabel, 5)}` : ''}, payload length ${String(ip.payloadLength)}`,
    );
    const p = ip.payloadOffset;
    const plen = ip.payloadLength;
    const w = this.#walk;
    const werr = walkIpv6Extensions(b, p, plen, ip.nextHeader, w);
    // Print the headers the walk passed (each one checked again by its own view).
    let nh = ip.nextHeader;
    let at = p;
    for (let i = 0; i < w.headerCount; i++) {
      if (nh === IpProtocol.Ipv6Fragment) {
        if (Ipv6FragmentView.check(b, at, p + plen - at) !== 0) break;
        const f = this.#frag.bind(b, at);
        this.#line(`ipv6-frag offset ${String(f.fragmentOffset)}${f.moreFragments ? ', flags [MF]' : ''}, id ${hex(f.identification, 8)}, next ${proto(f.nextHeader)}`);
        nh = f.nextHeader;
        at += IPV6_FRAGMENT_HEADER_LEN;
      } else {
        if (Ipv6ExtHeaderView.check(b, at, p + plen - at) !== 0) break;
        const h = this.#ext.bind(b, at);
        const name = nh === IpProtocol.HopByHop ? 'ipv6-hbh' : nh === IpProtocol.Ipv6Routing ? 'ipv6-routing' : 'ipv6-dstopts';
        const routing = nh === IpProtocol.Ipv6Routing ? ` type ${String(h.routingType)}, segments left ${String(h.segmentsLeft)},` : '';
        this.#line(`${name}${routing} next ${proto(h.nextHeader)}, length ${String(h.headerLength)}`);
        nh = h.nextHeader;
        at += h.headerLength;
      }
    }
    if (werr !== 0) return this.#line(fail('ipv6-ext', werr, p + plen - at));
    if (w.fragmentOffset !== 0) return;
    const ulen = p + plen - w.offset;
    const partial = w.moreFragments;
    const pseudo = (protocol: number): number => ipv6PseudoHeaderSum(b, b, protocol, ulen, ip.srcAddrOffset, ip.dstAddrOffset);
    switch (w.protocol) {
      case IpProtocol.Icmpv6:
        return this.#icmpv6(b, w.offset, ulen, pseudo(IpProtocol.Icmpv6), partial);
      case IpProtocol.Udp:
        return this.#udpLayer(b, w.offset, ulen, pseudo(IpProtocol.Udp), partial);
      case IpProtocol.Tcp:
        return this.#tcpLayer(b, w.offset, ulen, pseudo(IpProtocol.Tcp), partial);
      default:
        return;
    }
  }

  /** `partial`: the first fragment of a datagram, so the checksum cannot be checked here. */
  #cksum(value: number, partial: boolean, verify: () => boolean): string {
    return `cksum ${hex(value, 4)} ${partial ? 'unchecked (fragment)' : verify() ? 'ok' : 'bad'}`;
  }

  #udpLayer(b: Uint8Array, o: number, len: number, pseudoSum: number, partial: boolean): void {
    const err = UdpView.check(b, o, len);
    // A first fragment holds the header but not the `length` bytes it announces: still worth a line.
    if (err !== 0 && !(partial && err === WireError.Truncated && len >= UDP_HEADER_LEN)) return this.#line(fail('udp', err, len));
    const u = this.#udp.bind(b, o);
    const ck = u.checksum === 0 ? 'cksum none' : this.#cksum(u.checksum, partial, () => u.verifyChecksum(pseudoSum));
    this.#line(`udp ${String(u.srcPort)} > ${String(u.dstPort)}, length ${String(u.length)}, ${ck}`);
  }

  #tcpLayer(b: Uint8Array, o: number, len: number, pseudoSum: number, partial: boolean): void {
    const err = TcpView.check(b, o, len);
    if (err !== 0) return this.#line(fail('tcp', err, len));
    const t = this.#tcp.bind(b, o);
    const f = t.flags;
    const flags =
      (f & TcpFlags.Syn ? 'S' : '') +
      (f & TcpFlags.Fin ? 'F' : '') +
      (f & TcpFlags.Rst ? 'R' : '') +
      (f & TcpFlags.Psh ? 'P' : '') +
      (f & TcpFlags.Urg ? 'U' : '') +
      (f & TcpFlags.Ece ? 'E' : '') +
      (f & TcpFlags.Cwr ? 'W' : '') +
      (f & TcpFlags.Ae ? 'N' : '') +
      (f & TcpFlags.Ack ? '.' : '');
    const ack = f & TcpFlags.Ack ? `, ack ${String(t.ackNumber)}` : '';
    const urg = f & TcpFlags.Urg ? `, urg ${String(t.urgentPointer)}` : '';
    const opts = t.optionsLength > 0 ? `, options [${this.#tcpOptions(b, t.optionsOffset, t.optionsLength)}]` : '';
    this.#line(
      `tcp ${String(t.srcPort)} > ${String(t.dstPort)}, flags [${flags || 'none'}], seq ${String(t.seqNumber)}${ack}, win ${String(t.windowSize)}${urg}` +
        `${opts}, length ${String(len - t.headerLength)}, ${this.#cksum(t.checksum, partial, () => t.verifyChecksum(len, pseudoSum))}`,
    );
  }

  #tcpOptions(b: Uint8Array, o: number, len: number): string {
    const r = this.#tcpOpts.reset(b, o, len);
    const parts: string[] = [];
    let more = 0;
    while (r.next()) {
      if (parts.length === DESCRIBE_MAX_OPTIONS) {
        more++;
        continue;
      }
      switch (r.kind) {
        case TcpOptionKind.EndOfList:
          parts.push('eol');
          break;
        case TcpOptionKind.Nop:
          parts.push('nop');
          break;
        case TcpOptionKind.Mss:
          parts.push(`mss ${String(r.mss)}`);
          break;
        case TcpOptionKind.WindowScale:
          parts.push(`wscale ${String(r.windowScale)}`);
          break;
        case TcpOptionKind.SackPermitted:
          parts.push('sackOK');
          break;
        case TcpOptionKind.Sack: {
          const blocks: string[] = [];
          for (let i = 0; i < r.sackBlockCount; i++) blocks.push(`${String(r.sackLeft(i))}:${String(r.sackRight(i))}`);
          parts.push(`sack ${String(r.sackBlockCount)} {${blocks.join(' ')}}`);
          break;
        }
        case TcpOptionKind.Timestamps:
          parts.push(`TS val ${String(r.tsValue)} ecr ${String(r.tsEcho)}`);
          break;
        default:
          parts.push(`opt-${String(r.kind)} length ${String(r.length)}`);
      }
    }
    if (more > 0) parts.push(`… ${String(more)} more`);
    if (r.error !== 0) parts.push(`[${wireErrorName(r.error)}]`);
    return parts.join(',');
  }

  #icmpv4(b: Uint8Array, o: number, len: number, partial: boolean): void {
    const err = Icmpv4View.check(b, o, len);
    if (err !== 0) return this.#line(fail('icmp', err, len));
    const m = this.#icmp4.bind(b, o);
    const ck = this.#cksum(m.checksum, partial, () => m.verifyChecksum(len));
    switch (m.type) {
      case Icmpv4Type.EchoRequest:
      case Icmpv4Type.EchoReply:
        return this.#line(
          `icmp echo ${m.type === Icmpv4Type.EchoRequest ? 'request' : 'reply'}, id ${String(m.identifier)}, seq ${String(m.sequenceNumber)}, length ${String(len)}, ${ck}`,
        );
      case Icmpv4Type.DestinationUnreachable: {
        const why = ICMPV4_UNREACHABLE_NAMES[m.code] ?? `code ${String(m.code)}`;
        const mtu = m.code === Icmpv4Unreachable.FragmentationNeeded ? `, next-hop mtu ${String(m.nextHopMtu)}` : '';
        this.#line(`icmp unreachable ${why}${mtu}, length ${String(len)}, ${ck}`);
        return this.#quotedIpv4(b, m.dataOffset, len - 8);
      }
      case Icmpv4Type.TimeExceeded:
        this.#line(`icmp time exceeded ${m.code === 0 ? 'in-transit' : m.code === 1 ? 'reassembly' : `code ${String(m.code)}`}, length ${String(len)}, ${ck}`);
        return this.#quotedIpv4(b, m.dataOffset, len - 8);
      default:
        return this.#line(`icmp type ${String(m.type)}, code ${String(m.code)}, length ${String(len)}, ${ck}`);
    }
  }

  /** One level: the quoted IP header and the ports (or ICMP type) of what it carried. */
  #quotedIpv4(b: Uint8Array, o: number, len: number): void {
    const err = Ipv4View.checkHeader(b, o, len);
    if (err !== 0) return this.#line(`  quoted ${fail('ipv4', err, len)}`);
    const ip = this.#ip4.bind(b, o);
    this.#line(
      `  quoted ipv4 ${formatIpv4(ip.srcAddr)} > ${formatIpv4(ip.dstAddr)}: ${proto(ip.protocol)}, id ${String(ip.identification)}, length ${String(ip.totalLength)}`,
    );
    this.#quotedTransport(b, ip.payloadOffset, o + len - ip.payloadOffset, ip.protocol, ip.fragmentOffset === 0);
  }

  #quotedIpv6(b: Uint8Array, o: number, len: number): void {
    const err = Ipv6View.checkHeader(b, o, len);
    if (err !== 0) return this.#line(`  quoted ${fail('ipv6', err, len)}`);
    const ip = this.#ip6.bind(b, o);
    this.#line(`  quoted ipv6 ${formatIpv6(b, ip.srcAddrOffset)} > ${formatIpv6(b, ip.dstAddrOffset)}: next ${proto(ip.nextHeader)}, payload length ${String(ip.payloadLength)}`);
    const w = this.#walk;
    const p = ip.payloadOffset;
    if (walkIpv6Extensions(b, p, o + len - p, ip.nextHeader, w) !== 0) return;
    this.#quotedTransport(b, w.offset, o + len - w.offset, w.protocol, w.fragmentOffset === 0);
  }

  #quotedTransport(b: Uint8Array, o: number, len: number, protocol: number, first: boolean): void {
    if (!first || len < 4) return;
    const ports = `${String((b[o]! << 8) | b[o + 1]!)} > ${String((b[o + 2]! << 8) | b[o + 3]!)}`;
    if (protocol === IpProtocol.Udp) this.#line(`  quoted udp ${ports}`);
    else if (protocol === IpProtocol.Tcp) this.#line(`  quoted tcp ${ports}`);
    else if (protocol === IpProtocol.Icmp || protocol === IpProtocol.Icmpv6) this.#line(`  quoted ${protocol === IpProtocol.Icmp ? 'icmp' : 'icmp6'} type ${String(b[o]!)}, code ${String(b[o + 1]!)}`);
  }

  #icmpv6(b: Uint8Array, o: number, len: number, pseudoSum: number, partial: boolean): void {
    const err = Icmpv6View.check(b, o, len);
    if (err !== 0) return this.#line(fail('icmp6', err, len));
    const m = this.#icmp6.bind(b, o);
    const tail = `length ${String(len)}, ${this.#cksum(m.checksum, partial, () => m.verifyChecksum(len, pseudoSum))}`;
    switch (m.type) {
      case Icmpv6Type.EchoRequest:
      case Icmpv6Type.EchoReply:
        return this.#line(`icmp6 echo ${m.type === Icmpv6Type.EchoRequest ? 'request' : 'reply'}, id ${String(m.identifier)}, seq ${String(m.sequenceNumber)}, ${tail}`);
      case Icmpv6Type.DestinationUnreachable:
        this.#line(`icmp6 unreachable ${ICMPV6_UNREACHABLE_NAMES[m.code] ?? `code ${String(m.code)}`}, ${tail}`);
        return this.#quotedIpv6(b, m.dataOffset, len - 8);
      case Icmpv6Type.PacketTooBig:
        this.#line(`icmp6 packet too big, mtu ${String(m.mtu)}, ${tail}`);
        return this.#quotedIpv6(b, m.dataOffset, len - 8);
      case Icmpv6Type.TimeExceeded:
        this.#line(`icmp6 time exceeded ${m.code === 0 ? 'in-transit' : m.code === 1 ? 'reassembly' : `code ${String(m.code)}`}, ${tail}`);
        return this.#quotedIpv6(b, m.dataOffset, len - 8);
      case Icmpv6Type.ParameterProblem:
        this.#line(`icmp6 parameter problem code ${String(m.code)}, pointer ${String(m.restOfHeader)}, ${tail}`);
        return this.#quotedIpv6(b, m.dataOffset, len - 8);
      case Icmpv6Type.RouterSolicitation:
        return this.#line(`icmp6 router solicitation, ${tail}${this.#ndpOptions(b, o, len, m.type)}`);
      case Icmpv6Type.RouterAdvertisement: {
        const flags = [m.managedFlag ? 'M' : '', m.otherFlag ? 'O' : ''].filter(Boolean).join(' ');
        return this.#line(
          `icmp6 router advertisement, hop limit ${String(m.curHopLimit)}, flags [${flags}], router lifetime ${String(m.routerLifetimeSeconds)}s` +
            `, reachable ${String(m.reachableTimeMs)}ms, retrans ${String(m.retransTimerMs)}ms, ${tail}${this.#ndpOptions(b, o, len, m.type)}`,
        );
      }
      case Icmpv6Type.NeighborSolicitation:
        return this.#line(`icmp6 neighbor solicitation, who has ${formatIpv6(b, m.targetAddrOffset)}, ${tail}${this.#ndpOptions(b, o, len, m.type)}`);
      case Icmpv6Type.NeighborAdvertisement: {
        const flags = [m.routerFlag ? 'router' : '', m.solicitedFlag ? 'solicited' : '', m.overrideFlag ? 'override' : ''].filter(Boolean).join(' ');
        return this.#line(`icmp6 neighbor advertisement, tgt is ${formatIpv6(b, m.targetAddrOffset)}, flags [${flags}], ${tail}${this.#ndpOptions(b, o, len, m.type)}`);
      }
      case Icmpv6Type.Redirect:
        return this.#line(`icmp6 redirect, target ${formatIpv6(b, m.targetAddrOffset)}, ${tail}${this.#ndpOptions(b, o, len, m.type)}`);
      default:
        return this.#line(`icmp6 type ${String(m.type)}, code ${String(m.code)}, ${tail}`);
    }
  }

  #ndpOptions(b: Uint8Array, o: number, len: number, type: number): string {
    const fixed = icmpv6FixedLength(type);
    if (len <= fixed) return '';
    const r = this.#ndpOpts.reset(b, o + fixed, len - fixed);
    const parts: string[] = [];
    let more = 0;
    while (r.next()) {
      if (parts.length === DESCRIBE_MAX_OPTIONS) {
        more++;
        continue;
      }
      switch (r.type) {
        case NdpOptionType.SourceLinkLayerAddress:
          parts.push(`src-ll ${formatMac(b, r.linkLayerAddrOffset)}`);
          break;
        case NdpOptionType.TargetLinkLayerAddress:
          parts.push(`tgt-ll ${formatMac(b, r.linkLayerAddrOffset)}`);
          break;
        case NdpOptionType.PrefixInformation: {
          const flags = [r.prefixOnLink ? 'L' : '', r.prefixAutonomous ? 'A' : ''].filter(Boolean).join(' ');
          parts.push(
            `prefix ${formatIpv6(b, r.prefixOffset)}/${String(r.prefixLength)} [${flags}] valid ${String(r.validLifetimeSeconds)}s pref ${String(r.preferredLifetimeSeconds)}s`,
          );
          break;
        }
        case NdpOptionType.Mtu:
          parts.push(`mtu ${String(r.mtu)}`);
          break;
        default:
          parts.push(`opt-${String(r.type)} length ${String(r.length)}`);
      }
    }
    if (more > 0) parts.push(`… ${String(more)} more`);
    if (r.error !== 0) parts.push(`[${wireErrorName(r.error)}]`);
    return `, options [${parts.join(', ')}]`;
  }
}

const shared = new FrameDescriber();

/** One line per layer for the Ethernet frame of `length` bytes at `offset`; never throws (see the module comment). */
export function describeFrame(bytes: Uint8Array, offset: number, length: number): string[] {
  return shared.describe(bytes, offset, length);
}
