/**
 * Neighbor Discovery for a host (RFC 4861) and Duplicate Address Detection (RFC 4862 §5.4):
 * - neighbour solicitations for our addresses are answered with a solicited advertisement (to the
 *   solicitor, or to all-nodes when it is doing DAD for an address we own) and teach us the solicitor;
 * - advertisements update the neighbour cache (§7.2.5) through the shared state machine;
 * - solicitations go to the target's solicited-node group while resolving, unicast while probing;
 * - DAD sends solicitations from :: for each tentative address; an advertisement for it, or another
 *   node's DAD solicitation for it, marks it duplicate (interface.ts).
 * Every ND message must arrive with hop limit 255 (§6.1.1, §7.1.1) or it is dropped.
 *
 * Router solicitations/advertisements and redirects are counted and ignored: addresses and routes are
 * configured (no SLAAC). Not supported: the DAD nonce option (RFC 7527), proxy and anycast NAs.
 */
import {
  IPV6_ADDRESS_LEN,
  Icmpv6Type,
  Icmpv6View,
  IpProtocol,
  NdpNeighborFlag,
  NdpOptionReader,
  NdpOptionType,
} from '../../../wire/index.js';
import { IPV6_ALL_NODES, IPV6_UNSPECIFIED, copy6, isMulticast6, isUnspecified6, solicitedNode6 } from './addr.js';
import { AddressState, type IpInterface, type Ipv6AddressEntry } from './interface.js';
import type { NeighborUpdate } from './neighbor.js';
import { Cast, type Datagram, type TxBuffer } from './packet.js';
import type { TcpIpStack } from './stack.js';

const ND_HOP_LIMIT = 255;
const NS_LENGTH = 24;
const LL_OPTION_LENGTH = 8;

export class NdLayer {
  readonly #stack: TcpIpStack;
  readonly #view = new Icmpv6View();
  readonly #options = new NdpOptionReader();
  readonly #update: NeighborUpdate = { mac: null, macOffset: 0, solicited: false, override: true, create: false, isRouter: null };
  readonly #target = new Uint8Array(16);
  readonly #group = new Uint8Array(16);

  constructor(stack: TcpIpStack) {
    this.#stack = stack;
  }

  /** An ND message (types 133–137) whose ICMPv6 checksum verified; counts exactly one outcome. */
  input(dg: Datagram): void {
    const c = this.#stack.counters.icmp6;
    const iface = dg.iface!;
    const v = this.#view.bind(dg.bytes, dg.offset);
    const type = v.type;
    if (dg.hopLimit !== ND_HOP_LIMIT || v.code !== 0 || iface.isLoopback) {
      c.inInvalidNd++;
      return;
    }
    if (type !== Icmpv6Type.NeighborSolicitation && type !== Icmpv6Type.NeighborAdvertisement) {
      // RS, RA, redirect: valid, but a configured host has no use for them.
      c.inMsgs++;
      c.inByType[type]! += 1;
      return;
    }
    // One link-layer address option of the kind this message may carry; anything malformed drops it.
    const r = this.#options.reset(dg.bytes, v.ndpOptionsOffset, dg.offset + dg.length - v.ndpOptionsOffset);
    const want = type === Icmpv6Type.NeighborSolicitation ? NdpOptionType.SourceLinkLayerAddress : NdpOptionType.TargetLinkLayerAddress;
    let llOff = -1;
    while (r.next()) if (r.type === want) llOff = r.linkLayerAddrOffset;
    if (r.error !== 0 || isMulticast6(dg.bytes, v.targetAddrOffset)) {
      c.inInvalidNd++;
      return;
    }
    if (type === Icmpv6Type.NeighborSolicitation) this.#solicitation(dg, iface, v, llOff);
    else this.#advertisement(dg, iface, v, llOff);
  }

  #solicitation(dg: Datagram, iface: IpInterface, v: Icmpv6View, llOff: number): void {
    const c = this.#stack.counters.icmp6;
    const fromUnspecified = isUnspecified6(dg.src6, 0);
    // §7.1.1: a DAD solicitation carries no source link-layer option and goes to a solicited-node group.
    if (fromUnspecified && (llOff >= 0 || dg.dst6[0] !== 0xff || dg.dst6[11] !== 0x01 || dg.dst6[12] !== 0xff)) {
      c.inInvalidNd++;
      return;
    }
    c.inMsgs++;
    c.inByType[Icmpv6Type.NeighborSolicitation]! += 1;
    const a = iface.findIpv6(dg.bytes, v.targetAddrOffset);
    if (a === null || a.state === AddressState.Duplicate) return;
    if (a.state === AddressState.Tentative) {
      // Someone else is verifying the address we are verifying: neither may use it (§5.4.3).
      if (fromUnspecified) iface.dadFailed(a);
      return;
    }
    if (fromUnspecified) {
      // Defend our address: advertise to all-nodes, not solicited (§7.2.4).
      this.#sendAdvertisement(iface, a, IPV6_ALL_NODES, false);
      return;
    }
    if (llOff >= 0) {
      const u = this.#update;
      u.mac = dg.bytes;
      u.macOffset = llOff;
      u.solicited = false;
      u.override = true;
      u.create = true;
      u.isRouter = null;
      iface.neighbors6.update(0, dg.src6, 0, u);
      u.mac = null;
    }
    this.#sendAdvertisement(iface, a, dg.src6, true);
  }

  #advertisement(dg: Datagram, iface: IpInterface, v: Icmpv6View, llOff: number): void {
    const c = this.#stack.counters.icmp6;
    const solicited = v.solicitedFlag;
    // §7.1.2: a solicited advertisement is never multicast.
    if (solicited && isMulticast6(dg.dst6, 0)) {
      c.inInvalidNd++;
      return;
    }
    c.inMsgs++;
    c.inByType[Icmpv6Type.NeighborAdvertisement]! += 1;
    const ours = iface.findIpv6(dg.bytes, v.targetAddrOffset);
    if (ours !== null) {
      if (ours.state === AddressState.Tentative) iface.dadFailed(ours);
      else if (ours.state === AddressState.Preferred) iface.log('warn', `another node advertises our address ${ours.text}`);
      return;
    }
    const u = this.#update;
    u.mac = llOff >= 0 ? dg.bytes : null;
    u.macOffset = llOff;
    u.solicited = solicited;
    u.override = v.overrideFlag;
    u.create = false;
    u.isRouter = v.routerFlag;
    copy6(this.#target, 0, dg.bytes, v.targetAddrOffset);
    iface.neighbors6.update(0, this.#target, 0, u);
    u.mac = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  #buffer(iface: IpInterface, src: Uint8Array, dst: Uint8Array, cast: Cast): TxBuffer | null {
    const tx = iface.controlBuffer();
    if (tx === null) return null;
    tx.family = 6;
    tx.protocol = IpProtocol.Icmpv6;
    tx.iface = iface;
    tx.cast = cast;
    tx.mtu = iface.mtu;
    tx.hopLimit = ND_HOP_LIMIT;
    tx.dontFragment = false;
    copy6(tx.src6, 0, src, 0);
    copy6(tx.dst6, 0, dst, 0);
    copy6(tx.nextHop6, 0, dst, 0);
    return tx;
  }

  #writeNs(tx: TxBuffer, target: Uint8Array, withSourceLl: boolean, mac: Uint8Array): number {
    const b = tx.bytes;
    const o = tx.offset;
    b[o] = Icmpv6Type.NeighborSolicitation;
    b.fill(0, o + 1, o + 8);
    copy6(b, o + 8, target, 0);
    if (!withSourceLl) return NS_LENGTH;
    b[o + 24] = NdpOptionType.SourceLinkLayerAddress;
    b[o + 25] = 1;
    b.set(mac, o + 26);
    return NS_LENGTH + LL_OPTION_LENGTH;
  }

  /** Who has `target`? To its solicited-node group, or unicast to `unicastMac`'s owner (NUD probe). */
  sendSolicitation(iface: IpInterface, target: Uint8Array, unicastMac: Uint8Array | null): void {
    const src = iface.sourceFor6(target, 0);
    if (src === null) return;
    let tx: TxBuffer | null;
    if (unicastMac === null) {
      solicitedNode6(target, 0, this.#group, 0);
      tx = this.#buffer(iface, src.address, this.#group, Cast.Multicast);
    } else {
      tx = this.#buffer(iface, src.address, target, Cast.Unicast);
    }
    if (tx === null) return;
    const len = this.#writeNs(tx, target, true, iface.mac);
    this.#stack.counters.icmp6.outMsgs++;
    this.#stack.counters.icmp6.outByType[Icmpv6Type.NeighborSolicitation]! += 1;
    this.#stack.output.send(tx, len);
  }

  /** A DAD probe for tentative `a`: from ::, to its solicited-node group, no link-layer option. */
  sendDadProbe(iface: IpInterface, a: Ipv6AddressEntry): void {
    const tx = this.#buffer(iface, IPV6_UNSPECIFIED, a.solicitedNode, Cast.Multicast);
    if (tx === null) return;
    const len = this.#writeNs(tx, a.address, false, iface.mac);
    this.#stack.counters.icmp6.outMsgs++;
    this.#stack.counters.icmp6.outByType[Icmpv6Type.NeighborSolicitation]! += 1;
    this.#stack.output.send(tx, len);
  }

  #sendAdvertisement(iface: IpInterface, a: Ipv6AddressEntry, dst: Uint8Array, solicited: boolean): void {
    const tx = this.#buffer(iface, a.address, dst, isMulticast6(dst, 0) ? Cast.Multicast : Cast.Unicast);
    if (tx === null) return;
    const b = tx.bytes;
    const o = tx.offset;
    b[o] = Icmpv6Type.NeighborAdvertisement;
    b.fill(0, o + 1, o + 8);
    b[o + 4] = (solicited ? NdpNeighborFlag.Solicited : 0) | NdpNeighborFlag.Override;
    copy6(b, o + 8, a.address, 0);
    b[o + 24] = NdpOptionType.TargetLinkLayerAddress;
    b[o + 25] = 1;
    b.set(iface.mac, o + 26);
    this.#stack.counters.icmp6.outMsgs++;
    this.#stack.counters.icmp6.outByType[Icmpv6Type.NeighborAdvertisement]! += 1;
    this.#stack.output.send(tx, 8 + IPV6_ADDRESS_LEN + LL_OPTION_LENGTH);
  }
}
