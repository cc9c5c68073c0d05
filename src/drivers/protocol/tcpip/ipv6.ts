/**
 * IPv6 receive (RFC 8200): fixed header, destination filtering (our preferred addresses on any
 * interface, all-nodes and our solicited-node groups, ::1 on loopback; packets to a tentative address
 * are dropped, RFC 4862 §5.4), the extension-header walk of src/wire (hop-by-hop options are skipped,
 * a routing header with segments left is dropped: a host does not forward), fragment reassembly (RFC
 * 5722 overlaps discard the datagram; atomic fragments, RFC 6946, are processed as whole datagrams),
 * then delivery by upper-layer protocol. Sending lives in output.ts.
 */
import {
  IPV6_FRAGMENT_HEADER_LEN,
  IPV6_HEADER_LEN,
  Icmpv6TimeExceeded,
  Icmpv6Type,
  IpProtocol,
  Ipv6ExtHeaderView,
  Ipv6ExtensionWalk,
  Ipv6FragmentView,
  Ipv6View,
  WireError,
  walkIpv6Extensions,
} from '../../../wire/index.js';
import { copy6, isLoopback6, isMulticast6, isUnspecified6 } from './addr.js';
import { AddressState, type IpInterface } from './interface.js';
import { Cast, Datagram } from './packet.js';
import { FragmentKey, Reassembler, type ReassemblyOwner, type ReassemblySlot } from './reassembly.js';
import type { TcpIpStack } from './stack.js';

/** ICMPv6 parameter problem code 1: unrecognized Next Header. */
const PARAM_PROBLEM_NEXT_HEADER = 1;

export class Ipv6Layer implements ReassemblyOwner {
  readonly #stack: TcpIpStack;
  readonly #view = new Ipv6View();
  readonly #ext = new Ipv6ExtHeaderView();
  readonly #frag = new Ipv6FragmentView();
  readonly #walk = new Ipv6ExtensionWalk();
  readonly #dg = new Datagram();
  readonly #reassembled = new Datagram();
  readonly #key = new FragmentKey();
  readonly reassembler: Reassembler;

  constructor(stack: TcpIpStack) {
    this.#stack = stack;
    this.reassembler = new Reassembler(stack.options.reassembly, stack.counters.reassembly, stack.timers, this);
  }

  input(iface: IpInterface, bytes: Uint8Array, off: number, len: number, checksum: number, segments: number, linkCast: Cast): void {
    const s = this.#stack;
    const c = s.counters.ipv6;
    c.inReceives++;
    const err = Ipv6View.check(bytes, off, len);
    if (err !== 0) {
      if (err === WireError.BadVersion) c.inBadVersion++;
      else c.inTruncated++;
      return;
    }
    const v = this.#view.bind(bytes, off);
    const srcOff = v.srcAddrOffset;
    const dstOff = v.dstAddrOffset;
    if (isMulticast6(bytes, srcOff) || (!iface.isLoopback && isLoopback6(bytes, srcOff))) {
      c.inBadSource++;
      return;
    }
    let cast: Cast;
    if (isMulticast6(bytes, dstOff)) {
      if (!iface.isMulticastMember6(bytes, dstOff)) {
        c.inNotForUs++;
        return;
      }
      cast = Cast.Multicast;
    } else if (iface.isLoopback && isLoopback6(bytes, dstOff)) {
      cast = Cast.Unicast;
    } else {
      const a = s.findLocal6(bytes, dstOff);
      if (a === null || a.state === AddressState.Duplicate) {
        c.inNotForUs++;
        return;
      }
      if (a.state === AddressState.Tentative) {
        c.inTentative++;
        return;
      }
      cast = linkCast;
    }
    const payloadOff = v.payloadOffset;
    const payloadLength = v.payloadLength;
    const w = this.#walk;
    if (walkIpv6Extensions(bytes, payloadOff, payloadLength, v.nextHeader, w) !== 0) {
      c.inBadExtensions++;
      return;
    }
    if (w.headerCount > 0 && !this.#routingOk(bytes, payloadOff, v.nextHeader, w.headerCount)) {
      c.inRoutingHeader++;
      return;
    }
    const end = payloadOff + payloadLength;
    if (w.fragmentHeaderOffset >= 0) {
      const f = this.#frag.bind(bytes, w.fragmentHeaderOffset);
      if (f.fragmentOffset !== 0 || f.moreFragments) {
        c.inFragments++;
        const k = this.#key;
        k.family = 6;
        k.iface = iface;
        copy6(k.src6, 0, bytes, srcOff);
        copy6(k.dst6, 0, bytes, dstOff);
        k.id = f.identification;
        k.protocol = 0;
        const dataOff = w.fragmentHeaderOffset + IPV6_FRAGMENT_HEADER_LEN;
        const slot = this.reassembler.offer(k, f.fragmentOffset, f.moreFragments, bytes, dataOff, end - dataOff, bytes, off, IPV6_HEADER_LEN, f.nextHeader);
        if (slot !== null) this.#deliverReassembled(slot, cast);
        return;
      }
      c.atomicFragments++;
    }
    const dg = this.#dg;
    this.#fill(dg, iface, bytes, srcOff, dstOff, cast, v.hopLimit);
    dg.protocol = w.protocol;
    dg.bytes = bytes;
    dg.offset = w.offset;
    dg.length = end - w.offset;
    dg.hdrBytes = bytes;
    dg.hdrOffset = off;
    dg.hdrLength = IPV6_HEADER_LEN;
    dg.checksum = checksum;
    dg.segments = segments;
    this.deliver(dg);
  }

  /** False when a routing header with segments left is present (we would have to forward). */
  #routingOk(bytes: Uint8Array, at: number, nh: number, count: number): boolean {
    for (let i = 0; i < count; i++) {
      if (nh === IpProtocol.Ipv6Fragment) {
        // The walk stops after a non-first fragment's header; headers past it are not ours to read.
        const f = this.#frag.bind(bytes, at);
        if (f.fragmentOffset !== 0) return true;
        nh = f.nextHeader;
        at += IPV6_FRAGMENT_HEADER_LEN;
        continue;
      }
      const h = this.#ext.bind(bytes, at);
      if (nh === IpProtocol.Ipv6Routing && h.segmentsLeft !== 0) return false;
      nh = h.nextHeader;
      at += h.headerLength;
    }
    return true;
  }

  #fill(dg: Datagram, iface: IpInterface, bytes: Uint8Array, srcOff: number, dstOff: number, cast: Cast, hopLimit: number): void {
    dg.family = 6;
    dg.iface = iface;
    copy6(dg.src6, 0, bytes, srcOff);
    copy6(dg.dst6, 0, bytes, dstOff);
    dg.cast = cast;
    dg.hopLimit = hopLimit;
  }

  #deliverReassembled(slot: ReassemblySlot, cast: Cast): void {
    const s = this.#stack;
    const dg = this.#reassembled;
    try {
      const buf = slot.buffer!;
      const w = this.#walk;
      // The fragmentable part may start with more extension headers (destination options).
      if (walkIpv6Extensions(buf, 0, slot.totalLength, slot.nextHeader, w) !== 0 || w.fragmentHeaderOffset >= 0) {
        s.counters.ipv6.inBadExtensions++;
        return;
      }
      // The first fragment's header, describing the whole fragmentable part.
      const h = slot.header;
      h[4] = slot.totalLength >>> 8;
      h[5] = slot.totalLength;
      h[6] = slot.nextHeader;
      slot.toDatagram(dg, slot.totalLength - w.offset);
      dg.offset = w.offset;
      dg.protocol = w.protocol;
      dg.cast = cast;
      dg.hopLimit = h[7]!;
      this.deliver(dg);
    } finally {
      this.reassembler.release(slot);
    }
  }

  deliver(dg: Datagram): void {
    const s = this.#stack;
    const c = s.counters.ipv6;
    switch (dg.protocol) {
      case IpProtocol.Icmpv6:
        c.inDelivers++;
        s.icmp.input6(dg);
        return;
      case IpProtocol.Udp:
        c.inDelivers++;
        s.udp.input(dg);
        return;
      case IpProtocol.Tcp:
        c.inDelivers++;
        s.tcpHost.input(dg);
        return;
      case IpProtocol.Ipv6NoNext:
        // Nothing follows (RFC 8200 §4.7): counted with the protocols we do not carry.
        c.inUnknownProtocol++;
        return;
      default: {
        c.inUnknownProtocol++;
        // Pointer to the Next Header field that named the protocol: the fixed header's when no extensions.
        const pointer = dg.hdrBytes === dg.bytes && dg.offset === dg.hdrOffset + IPV6_HEADER_LEN ? 6 : 0;
        s.icmp.sendError(dg, Icmpv6Type.ParameterProblem, PARAM_PROBLEM_NEXT_HEADER, pointer);
      }
    }
  }

  onTimeout(slot: ReassemblySlot): void {
    if (!slot.haveFirst || slot.key.iface === null) return;
    const dg = this.#reassembled;
    // Quote only what arrived contiguously from offset 0.
    slot.toDatagram(dg, slot.ranges[1]!);
    dg.protocol = slot.nextHeader;
    dg.cast = isUnspecified6(slot.key.dst6, 0) || isMulticast6(slot.key.dst6, 0) ? Cast.Multicast : Cast.Unicast;
    this.#stack.icmp.sendError(dg, Icmpv6Type.TimeExceeded, Icmpv6TimeExceeded.FragmentReassembly, 0);
  }
}
