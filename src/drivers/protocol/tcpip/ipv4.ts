/**
 * IPv4 receive (RFC 791, RFC 1122 §3.2.1): header checks (the adapter's checksum verdict is used when it
 * gave one), options walked and skipped (a datagram whose options do not walk is dropped unanswered, as
 * Linux does), destination filtering for a host (our addresses on any interface — the weak host model —,
 * subnet and limited broadcast, all-hosts multicast, 127/8 on loopback), fragments reassembled, then
 * delivery by protocol. A host does not forward: other destinations are dropped.
 * Sending lives in output.ts.
 */
import { Icmpv4TimeExceeded, Icmpv4Type, Icmpv4Unreachable, Ipv4Field, Ipv4View, WireError, checkIpv4Options } from '../../../wire/index.js';
import { IPV4_ALL_HOSTS, isBadSource4, isLoopback4, read4 } from './addr.js';
import type { IpInterface } from './interface.js';
import { Cast, Datagram, RxChecksum } from './packet.js';
import { FragmentKey, Reassembler, type ReassemblyOwner, type ReassemblySlot } from './reassembly.js';
import type { TcpIpStack } from './stack.js';

export class Ipv4Layer implements ReassemblyOwner {
  readonly #stack: TcpIpStack;
  readonly #view = new Ipv4View();
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
    const c = s.counters.ipv4;
    c.inReceives++;
    const err = Ipv4View.check(bytes, off, len);
    if (err !== 0) {
      if (err === WireError.BadVersion) c.inBadVersion++;
      else if (err === WireError.BadHeaderLength) c.inBadHeaderLength++;
      else if (err === WireError.BadLength) c.inBadLength++;
      else c.inTruncated++;
      return;
    }
    const v = this.#view.bind(bytes, off);
    if ((checksum & RxChecksum.IpFailed) !== 0) {
      c.inHwChecksumFailed++;
      return;
    }
    if ((checksum & RxChecksum.IpOk) === 0 && !v.verifyChecksum()) {
      c.inBadChecksum++;
      return;
    }
    // Options are not acted on, but a broken walk means a broken header: drop it whole, unanswered
    // (no parameter problem either: nothing about this datagram can be trusted).
    if (v.optionsLength > 0 && checkIpv4Options(bytes, v.optionsOffset, v.optionsLength) !== 0) {
      c.inBadOptions++;
      return;
    }
    const src = read4(bytes, off + Ipv4Field.SrcAddr);
    const dst = read4(bytes, off + Ipv4Field.DstAddr);
    if (isBadSource4(src) || (!iface.isLoopback && (isLoopback4(src) || s.findLocal4(src) !== null))) {
      c.inBadSource++;
      return;
    }
    let cast: Cast;
    if (iface.isLoopback ? isLoopback4(dst) || s.findLocal4(dst) !== null : s.findLocal4(dst) !== null) cast = linkCast;
    else if (iface.isBroadcast4(dst)) cast = Cast.Broadcast;
    else if (dst === IPV4_ALL_HOSTS) cast = Cast.Multicast;
    else {
      c.inNotForUs++;
      return;
    }
    const hl = v.headerLength;
    const payloadLength = v.payloadLength;
    if (v.isFragment) {
      c.inFragments++;
      const k = this.#key;
      k.family = 4;
      k.iface = iface;
      k.src4 = src;
      k.dst4 = dst;
      k.id = v.identification;
      k.protocol = v.protocol;
      const slot = this.reassembler.offer(k, v.fragmentOffset, v.moreFragments, bytes, off + hl, payloadLength, bytes, off, hl, 0);
      if (slot !== null) this.#deliverReassembled(slot, cast);
      return;
    }
    const dg = this.#dg;
    dg.family = 4;
    dg.iface = iface;
    dg.src4 = src;
    dg.dst4 = dst;
    dg.protocol = v.protocol;
    dg.bytes = bytes;
    dg.offset = off + hl;
    dg.length = payloadLength;
    dg.hdrBytes = bytes;
    dg.hdrOffset = off;
    dg.hdrLength = hl;
    dg.cast = cast;
    dg.hopLimit = v.ttl;
    dg.checksum = checksum;
    dg.segments = segments;
    this.deliver(dg);
  }

  #deliverReassembled(slot: ReassemblySlot, cast: Cast): void {
    const dg = this.#reassembled;
    // The first fragment's header, as if the datagram had never been fragmented.
    const h = slot.header;
    const total = slot.headerLength + slot.totalLength;
    h[2] = total >>> 8;
    h[3] = total;
    h[6] = 0;
    h[7] = 0;
    slot.toDatagram(dg, slot.totalLength);
    dg.protocol = slot.key.protocol;
    dg.cast = cast;
    dg.hopLimit = h[8]!;
    try {
      this.deliver(dg);
    } finally {
      this.reassembler.release(slot);
    }
  }

  /** Hands a datagram to its transport (or answers "protocol unreachable"). */
  deliver(dg: Datagram): void {
    const s = this.#stack;
    const c = s.counters.ipv4;
    switch (dg.protocol) {
      case 1:
        c.inDelivers++;
        s.icmp.input4(dg);
        return;
      case 17:
        c.inDelivers++;
        s.udp.input(dg);
        return;
      case 6:
        c.inDelivers++;
        s.tcpHost.input(dg);
        return;
      default:
        c.inUnknownProtocol++;
        s.icmp.sendError(dg, Icmpv4Type.DestinationUnreachable, Icmpv4Unreachable.Protocol, 0);
    }
  }

  onTimeout(slot: ReassemblySlot): void {
    // RFC 792/1122: time exceeded (reassembly) only when the first fragment arrived.
    if (!slot.haveFirst || slot.key.iface === null) return;
    const dg = this.#reassembled;
    // Quote only what arrived contiguously from offset 0.
    slot.toDatagram(dg, slot.ranges[1]!);
    dg.protocol = slot.key.protocol;
    dg.cast = this.#stack.findLocal4(slot.key.dst4) !== null ? Cast.Unicast : Cast.Broadcast;
    // (Timer callbacks run inside a stack batch: the error is flushed with the rest.)
    this.#stack.icmp.sendError(dg, Icmpv4Type.TimeExceeded, Icmpv4TimeExceeded.FragmentReassembly, 0);
  }
}
