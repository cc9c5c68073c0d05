/**
 * The send path below the transports: `begin` hands out a TxBuffer along a route, the transport writes
 * its header and payload at `tx.offset`, and `send` finishes the packet:
 *
 *   transport checksum  — in software, or the pseudo-header sum plus TcpIpChecksumNetBufferListInfo when
 *                         the adapter offloads it (ndis-offloads §2.2);
 *   large TCP sends     — LSOv2 info (§2.3/2.4: IP length 0, pseudo sum without length, MSS and header
 *                         offset) when the adapter can, else cut into MSS segments here;
 *   IP header           — TTL/hop limit, identification, DF; fragmentation when larger than the path
 *                         MTU (IPv4 without DF, IPv6 with a fragment header);
 *   link                — Ethernet header, neighbour resolution or multicast/broadcast MAC, then the
 *                         binding's send chain (flushed at the end of the current batch);
 *   loopback            — own addresses, 127/8 and ::1 never reach an adapter: the packet is queued and
 *                         delivered to our own receive path on a later turn.
 *
 * Nothing here allocates per packet: TxBuffers belong to pool slots, headers are written in place.
 */
import {
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_IS_IPV6,
  CHECKSUM_TX_TCP_CHECKSUM,
  CHECKSUM_TX_UDP_CHECKSUM,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  checksumTxValue,
  lsoTransmitValue,
  usoTransmitValue,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6,
  type NetBufferList,
} from '../../../ndis/index.js';
import {
  EtherType,
  IPV4_HEADER_LEN,
  IPV6_FRAGMENT_HEADER_LEN,
  IPV6_HEADER_LEN,
  IpProtocol,
  MAC_BROADCAST,
  finishChecksum,
  foldChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  onesComplementSum,
} from '../../../wire/index.js';
import { copy6, multicastMac4, multicastMac6, type IpFamily } from './addr.js';
import { IpInterface } from './interface.js';
import { Cast, type RouteResult, TxBuffer, TxKind } from './packet.js';
import type { TcpIpStack } from './stack.js';

/** Loopback MTU: any datagram fits (no fragmentation on loopback). */
export const LOOPBACK_MTU = 65535;
/** Loopback packets in flight at once; beyond that sends are dropped and counted. */
export const LOOPBACK_SLOTS = 64;
/** Room in front of a transport header for the largest IP header we write (IPv6 + fragment header). */
export const IP_HEADROOM = IPV6_HEADER_LEN + IPV6_FRAGMENT_HEADER_LEN;
/** Room in front of the IP header: Ethernet with one 802.1Q tag. */
export const LINK_HEADROOM = 18;

const TCP_FLAG_FIN = 0x01;
const TCP_FLAG_PSH = 0x08;
const TCP_FLAG_CWR = 0x80;

export class IpOutput {
  readonly #stack: TcpIpStack;
  #ipId: number;
  #fragId6: number;
  readonly #scratch: TxBuffer;
  readonly #loopback: TxBuffer[] = [];
  readonly #mac = new Uint8Array(6);

  constructor(stack: TcpIpStack) {
    this.#stack = stack;
    this.#ipId = stack.random.nextU32() & 0x7fff;
    this.#fragId6 = stack.random.nextU32();
    // Up to a whole 64 KiB datagram (an IPv6 payload may be 65535 bytes: its header is not counted).
    this.#scratch = new TxBuffer(TxKind.Scratch, new Uint8Array(IP_HEADROOM + 65535), IP_HEADROOM, 65535);
  }

  /**
   * Room for a `length`-byte transport message towards the destination of `rr` (`large`: a TCP buffer
   * that may exceed the MTU, from the LSO pool). Null when out of buffers or too large (counted).
   */
  begin(family: IpFamily, rr: RouteResult, dst4: number, dst6: Uint8Array | null, dst6Off: number, protocol: number, length: number, large = false): TxBuffer | null {
    const ipHeader = family === 4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
    const iface = rr.iface!;
    let tx: TxBuffer | null = null;
    if (rr.local) {
      if (length + ipHeader <= LOOPBACK_MTU) tx = this.#loopbackSlot();
      if (tx === null) this.#stack.counters.loopback.queueFull++;
    } else {
      const port = iface.port!;
      if (length + ipHeader <= rr.mtu && length <= port.transportCapacity) tx = port.allocateTx(false);
      else if (large) tx = length <= port.largeTransportCapacity ? port.allocateTx(true) : null;
      else if (length <= this.#scratch.capacity && !this.#scratch.inUse) tx = this.#scratch;
    }
    if (tx === null) {
      if (family === 4) this.#stack.counters.ipv4.outDiscards++;
      else this.#stack.counters.ipv6.outDiscards++;
      return null;
    }
    tx.inUse = true;
    tx.family = family;
    tx.protocol = protocol;
    tx.iface = iface;
    tx.cast = rr.cast;
    tx.mtu = rr.local ? LOOPBACK_MTU : rr.mtu;
    tx.hopLimit = 64;
    tx.dontFragment = false;
    if (family === 4) {
      tx.src4 = rr.src4 | 0;
      tx.dst4 = dst4 | 0;
      tx.nextHop4 = rr.nextHop4 | 0;
    } else {
      copy6(tx.src6, 0, rr.src6, 0);
      copy6(tx.dst6, 0, dst6!, dst6Off);
      copy6(tx.nextHop6, 0, rr.nextHop6, 0);
    }
    return tx;
  }

  /** Gives back a TxBuffer that will not be sent. */
  release(tx: TxBuffer): void {
    if (!tx.inUse) return;
    tx.inUse = false;
    if (tx.nbl !== null) {
      const nbl = tx.nbl;
      tx.nbl = null;
      tx.iface!.freeFrame(nbl);
    }
  }

  #loopbackSlot(): TxBuffer | null {
    for (const t of this.#loopback) if (!t.inUse) return t;
    if (this.#loopback.length === LOOPBACK_SLOTS) return null;
    const t = new TxBuffer(TxKind.Loopback, new Uint8Array(IP_HEADROOM + LOOPBACK_MTU), IP_HEADROOM, LOOPBACK_MTU - IPV6_HEADER_LEN);
    this.#loopback.push(t);
    return t;
  }

  /**
   * Sends the `length` transport bytes written at `tx.offset`. For TCP, `tcpHeaderLength` and `mss`
   * follow TcpHost.transmit: with `mss` > 0 and more payload than that, the send is segmented (by the
   * adapter with LSOv2, else here). Ownership of `tx` passes to the stack.
   */
  send(tx: TxBuffer, length: number, tcpHeaderLength = 0, mss = 0): void {
    const s = this.#stack;
    const family = tx.family;
    const ipHeader = family === 4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
    if (family === 4) s.counters.ipv4.outRequests++;
    else s.counters.ipv6.outRequests++;
    if (tx.kind === TxKind.Loopback) {
      this.#transportChecksum(tx, tx.bytes, tx.offset, length, false);
      const start = tx.offset - ipHeader;
      this.#writeIpHeader(tx, start, length, 0, false, false, true);
      tx.packetStart = start;
      tx.packetLength = ipHeader + length;
      s.queueLoopback(tx);
      return;
    }
    const iface = tx.iface!;
    if (!iface.usable) {
      s.counters.link.txLinkDown++;
      this.#discard(tx);
      return;
    }
    if (tx.kind === TxKind.Scratch) {
      this.#transportChecksum(tx, tx.bytes, tx.offset, length, false);
      this.#fragment(tx, tx.bytes, tx.offset, length);
      tx.inUse = false;
      return;
    }
    if (tx.protocol === IpProtocol.Tcp && mss > 0 && length - tcpHeaderLength > mss) {
      if (this.#lsoUsable(tx, length - tcpHeaderLength, tcpHeaderLength, mss)) this.#sendLso(tx, length, tcpHeaderLength, mss);
      else this.#segment(tx, length, tcpHeaderLength, mss);
      return;
    }
    if (ipHeader + length > tx.mtu) {
      // Only a TCP buffer can get here (the path MTU shrank after it was allocated).
      if (family === 4 && tx.dontFragment) {
        s.counters.ipv4.fragFails++;
        this.#discard(tx);
        return;
      }
      this.#transportChecksum(tx, tx.bytes, tx.offset, length, false);
      this.#fragment(tx, tx.bytes, tx.offset, length);
      this.release(tx);
      return;
    }
    const nbl = tx.nbl!;
    tx.nbl = null;
    tx.inUse = false;
    const offloaded = this.#transportChecksum(tx, tx.bytes, tx.offset, length, true, tcpHeaderLength);
    const ipStart = tx.offset - ipHeader;
    const ipOffload = family === 4 && iface.offload.txIp4;
    this.#writeIpHeader(tx, ipStart, length, 0, false, false, !ipOffload);
    let csumInfo = offloaded;
    if (ipOffload) csumInfo |= CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IP_HEADER_CHECKSUM;
    const frameStart = iface.writeLinkHeader(tx.bytes, ipStart, family === 4 ? EtherType.Ipv4 : EtherType.Ipv6);
    IpInterface.frame(nbl, frameStart, iface.linkHeaderLength + ipHeader + length);
    if (csumInfo !== 0) {
      const tcpOffset = tx.protocol === IpProtocol.Tcp && (offloaded & CHECKSUM_TX_TCP_CHECKSUM) !== 0 ? iface.linkHeaderLength + ipHeader : 0;
      nbl.info.tcpIpChecksum = checksumTxValue(csumInfo, tcpOffset);
    }
    this.#dispatch(tx, nbl);
  }

  #discard(tx: TxBuffer): void {
    if (tx.family === 4) this.#stack.counters.ipv4.outDiscards++;
    else this.#stack.counters.ipv6.outDiscards++;
    this.release(tx);
  }

  /**
   * Fills the transport checksum of `length` bytes at `bytes[off]`. With `offloadOk` and an adapter
   * that does it, writes the pseudo-header sum and returns the CHECKSUM_TX_* bits to set; else computes
   * it and returns 0. `tcpHeaderLength` decides whether TCP options may be offloaded.
   */
  #transportChecksum(tx: TxBuffer, bytes: Uint8Array, off: number, length: number, offloadOk: boolean, tcpHeaderLength = 20): number {
    const p = tx.protocol;
    let field: number;
    if (p === IpProtocol.Tcp) field = 16;
    else if (p === IpProtocol.Udp) field = 6;
    else if (p === IpProtocol.Icmp || p === IpProtocol.Icmpv6) field = 2;
    else return 0;
    if (length < field + 2) return 0;
    const at = off + field;
    if (p === IpProtocol.Icmp) {
      bytes[at] = 0;
      bytes[at + 1] = 0;
      const c = internetChecksum(bytes, off, length);
      bytes[at] = c >>> 8;
      bytes[at + 1] = c;
      return 0;
    }
    const pseudo = tx.family === 4 ? ipv4PseudoHeaderSum(tx.src4, tx.dst4, p, length) : ipv6PseudoHeaderSum(tx.src6, tx.dst6, p, length);
    if (offloadOk) {
      const o = tx.iface!.offload;
      let bits = 0;
      if (tx.family === 4) {
        if (p === IpProtocol.Tcp && o.txTcp4 && (tcpHeaderLength === 20 || o.txTcpOptions4)) bits = CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_TCP_CHECKSUM;
        else if (p === IpProtocol.Udp && o.txUdp4) bits = CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_UDP_CHECKSUM;
      } else if (p === IpProtocol.Tcp && o.txTcp6 && (tcpHeaderLength === 20 || o.txTcpOptions6)) {
        bits = CHECKSUM_TX_IS_IPV6 | CHECKSUM_TX_TCP_CHECKSUM;
      } else if (p === IpProtocol.Udp && o.txUdp6) {
        bits = CHECKSUM_TX_IS_IPV6 | CHECKSUM_TX_UDP_CHECKSUM;
      }
      if (bits !== 0) {
        // §2.2: the one's-complement pseudo-header sum (with the length), not complemented.
        const seed = foldChecksum(pseudo);
        bytes[at] = seed >>> 8;
        bytes[at + 1] = seed;
        return bits;
      }
    }
    bytes[at] = 0;
    bytes[at + 1] = 0;
    let c = finishChecksum(onesComplementSum(bytes, off, length, pseudo));
    if (c === 0 && p === IpProtocol.Udp) c = 0xffff;
    bytes[at] = c >>> 8;
    bytes[at + 1] = c;
    return 0;
  }

  /** Writes the IP header in front of a transport message; `payloadLength` = 0 writes a zero length (LSOv2). */
  #writeIpHeader(tx: TxBuffer, at: number, payloadLength: number, fragOffset: number, more: boolean, lsoTemplate: boolean, ipChecksum: boolean, id = -1): void {
    const b = tx.bytes;
    if (tx.family === 4) {
      const total = lsoTemplate ? 0 : IPV4_HEADER_LEN + payloadLength;
      const ident = id >= 0 ? id : this.nextIpId();
      b[at] = 0x45;
      b[at + 1] = 0;
      b[at + 2] = total >>> 8;
      b[at + 3] = total;
      b[at + 4] = ident >>> 8;
      b[at + 5] = ident;
      const ff = (tx.dontFragment ? 0x4000 : 0) | (more ? 0x2000 : 0) | (fragOffset >>> 3);
      b[at + 6] = ff >>> 8;
      b[at + 7] = ff;
      b[at + 8] = tx.hopLimit;
      b[at + 9] = tx.protocol;
      b[at + 10] = 0;
      b[at + 11] = 0;
      const s = tx.src4;
      const d = tx.dst4;
      b[at + 12] = s >>> 24;
      b[at + 13] = s >>> 16;
      b[at + 14] = s >>> 8;
      b[at + 15] = s;
      b[at + 16] = d >>> 24;
      b[at + 17] = d >>> 16;
      b[at + 18] = d >>> 8;
      b[at + 19] = d;
      if (ipChecksum) {
        const c = internetChecksum(b, at, IPV4_HEADER_LEN);
        b[at + 10] = c >>> 8;
        b[at + 11] = c;
      }
      return;
    }
    const len = lsoTemplate ? 0 : payloadLength;
    b[at] = 0x60;
    b[at + 1] = 0;
    b[at + 2] = 0;
    b[at + 3] = 0;
    b[at + 4] = len >>> 8;
    b[at + 5] = len;
    b[at + 6] = tx.protocol;
    b[at + 7] = tx.hopLimit;
    copy6(b, at + 8, tx.src6, 0);
    copy6(b, at + 24, tx.dst6, 0);
  }

  /** A 15-bit identification (LSOv2 keeps IP IDs in 0x0000–0x7FFF, so ours stay there too). */
  nextIpId(): number {
    this.#ipId = (this.#ipId + 1) & 0x7fff;
    return this.#ipId;
  }

  #dispatch(tx: TxBuffer, nbl: NetBufferList): void {
    const iface = tx.iface!;
    switch (tx.cast) {
      case Cast.Unicast:
        if (tx.family === 4) iface.resolveAndSend(nbl, tx.nextHop4, null, 0);
        else iface.resolveAndSend(nbl, 0, tx.nextHop6, 0);
        return;
      case Cast.Broadcast:
        iface.sendTo(nbl, MAC_BROADCAST, 0);
        return;
      default:
        if (tx.family === 4) multicastMac4(tx.dst4, this.#mac, 0);
        else multicastMac6(tx.dst6, 0, this.#mac, 0);
        iface.sendTo(nbl, this.#mac, 0);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Fragmentation

  /** Sends `length` transport bytes at `src[srcOff]` as fragments of `tx`'s route (the caller keeps `tx`). */
  #fragment(tx: TxBuffer, src: Uint8Array, srcOff: number, length: number): void {
    const s = this.#stack;
    const iface = tx.iface!;
    const port = iface.port!;
    const v4 = tx.family === 4;
    const counters = v4 ? s.counters.ipv4 : s.counters.ipv6;
    if (v4 && tx.dontFragment) {
      counters.fragFails++;
      return;
    }
    const perFragment = Math.min(((tx.mtu - (v4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN + IPV6_FRAGMENT_HEADER_LEN)) >>> 3) << 3, port.transportCapacity & ~7);
    if (perFragment <= 0) {
      counters.fragFails++;
      return;
    }
    if (!v4) this.#fragId6 = (this.#fragId6 + 1) >>> 0;
    const id = v4 ? this.nextIpId() : this.#fragId6;
    // Allocate every fragment first: a datagram goes out whole or not at all.
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    let count = 0;
    for (let done = 0; done < length; done += perFragment) {
      const f = port.allocateTx(false);
      if (f === null) {
        counters.fragFails++;
        counters.outDiscards++;
        for (let n = head; n !== null; ) {
          const next: NetBufferList | null = n.next;
          n.next = null;
          iface.freeFrame(n);
          n = next;
        }
        return;
      }
      const n = Math.min(perFragment, length - done);
      const more = done + n < length;
      const fb = f.bytes;
      fb.set(src.subarray(srcOff + done, srcOff + done + n), f.offset);
      f.family = tx.family;
      f.protocol = tx.protocol;
      f.hopLimit = tx.hopLimit;
      f.dontFragment = false;
      let ipStart: number;
      if (v4) {
        f.src4 = tx.src4;
        f.dst4 = tx.dst4;
        ipStart = f.offset - IPV4_HEADER_LEN;
        this.#writeIpHeader(f, ipStart, n, done, more, false, true, id);
      } else {
        copy6(f.src6, 0, tx.src6, 0);
        copy6(f.dst6, 0, tx.dst6, 0);
        f.protocol = IpProtocol.Ipv6Fragment;
        ipStart = f.offset - IPV6_FRAGMENT_HEADER_LEN - IPV6_HEADER_LEN;
        this.#writeIpHeader(f, ipStart, IPV6_FRAGMENT_HEADER_LEN + n, 0, false, false, false);
        const h = f.offset - IPV6_FRAGMENT_HEADER_LEN;
        fb[h] = tx.protocol;
        fb[h + 1] = 0;
        const offFlags = done | (more ? 1 : 0);
        fb[h + 2] = offFlags >>> 8;
        fb[h + 3] = offFlags;
        fb[h + 4] = id >>> 24;
        fb[h + 5] = id >>> 16;
        fb[h + 6] = id >>> 8;
        fb[h + 7] = id;
      }
      const frameStart = iface.writeLinkHeader(fb, ipStart, v4 ? EtherType.Ipv4 : EtherType.Ipv6);
      const nbl = f.nbl!;
      f.nbl = null;
      f.inUse = false;
      IpInterface.frame(nbl, frameStart, f.offset + n - frameStart);
      if (tail === null) head = nbl;
      else tail.next = nbl;
      tail = nbl;
      count++;
    }
    counters.fragOks++;
    counters.fragCreates += count;
    for (let n = head; n !== null; ) {
      const next: NetBufferList | null = n.next;
      n.next = null;
      this.#dispatch(tx, n);
      n = next;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Large TCP sends

  #lsoUsable(tx: TxBuffer, payload: number, tcpHeaderLength: number, mss: number): boolean {
    const o = tx.iface!.offload;
    const max = tx.family === 4 ? o.lso4MaxPayload : o.lso6MaxPayload;
    const minSegments = tx.family === 4 ? o.lso4MinSegments : o.lso6MinSegments;
    if (max === 0 || payload > max || Math.ceil(payload / mss) < minSegments) return false;
    if (tx.family === 6 && tcpHeaderLength > 20 && !o.lso6TcpOptions) return false;
    return true;
  }

  /** LSOv2 (§2.4): one NBL, IP length 0, TCP checksum seeded with the pseudo-header sum without length. */
  #sendLso(tx: TxBuffer, length: number, _tcpHeaderLength: number, mss: number): void {
    const s = this.#stack;
    const iface = tx.iface!;
    const b = tx.bytes;
    const off = tx.offset;
    const seed = tx.family === 4 ? ipv4PseudoHeaderSum(tx.src4, tx.dst4, IpProtocol.Tcp, 0) : ipv6PseudoHeaderSum(tx.src6, tx.dst6, IpProtocol.Tcp, 0);
    const f = foldChecksum(seed);
    b[off + 16] = f >>> 8;
    b[off + 17] = f;
    const ipHeader = tx.family === 4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
    const ipStart = off - ipHeader;
    this.#writeIpHeader(tx, ipStart, length, 0, false, true, true);
    const frameStart = iface.writeLinkHeader(b, ipStart, tx.family === 4 ? EtherType.Ipv4 : EtherType.Ipv6);
    const nbl = tx.nbl!;
    tx.nbl = null;
    tx.inUse = false;
    IpInterface.frame(nbl, frameStart, iface.linkHeaderLength + ipHeader + length);
    nbl.info.tcpLargeSend = lsoTransmitValue(
      NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
      mss,
      iface.linkHeaderLength + ipHeader,
      tx.family === 4 ? NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 : NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
    );
    s.counters.tcp.lsoSends++;
    this.#dispatch(tx, nbl);
  }

  /**
   * USO (NDIS 6.83): one large UDP datagram of `length` transport bytes in a large buffer, for the
   * adapter to cut into `mss`-byte datagrams. The UDP checksum field gets the pseudo-header sum over
   * source, destination and protocol only (each datagram's length is the NIC's to add), the IP header is
   * a template (lengths filled in per datagram), and the NBL carries UdpSegmentationOffloadInfo.
   */
  sendUso(tx: TxBuffer, length: number, mss: number): void {
    const s = this.#stack;
    const iface = tx.iface!;
    const b = tx.bytes;
    const off = tx.offset;
    const family = tx.family;
    if (family === 4) s.counters.ipv4.outRequests++;
    else s.counters.ipv6.outRequests++;
    const seed = foldChecksum(family === 4 ? ipv4PseudoHeaderSum(tx.src4, tx.dst4, IpProtocol.Udp, 0) : ipv6PseudoHeaderSum(tx.src6, tx.dst6, IpProtocol.Udp, 0));
    // A seed of 0 would read as "no checksum" over IPv4: 0xFFFF is the same sum.
    const f = seed === 0 ? 0xffff : seed;
    b[off + 6] = f >>> 8;
    b[off + 7] = f;
    const ipHeader = family === 4 ? IPV4_HEADER_LEN : IPV6_HEADER_LEN;
    const ipStart = off - ipHeader;
    this.#writeIpHeader(tx, ipStart, length, 0, false, true, true);
    // The NIC gives the datagrams the template's ID + 0, 1, …: those IDs are taken.
    if (family === 4) this.#ipId = (this.#ipId + Math.ceil((length - 8) / mss) - 1) & 0x7fff;
    const frameStart = iface.writeLinkHeader(b, ipStart, family === 4 ? EtherType.Ipv4 : EtherType.Ipv6);
    const nbl = tx.nbl!;
    tx.nbl = null;
    tx.inUse = false;
    IpInterface.frame(nbl, frameStart, iface.linkHeaderLength + ipHeader + length);
    nbl.info.udpSegmentationOffloadInfo = usoTransmitValue(mss, iface.linkHeaderLength + ipHeader, family === 4 ? NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4 : NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6);
    this.#dispatch(tx, nbl);
  }

  /** No LSO: cut the payload into MSS segments (LSOv2 rules: sequence numbers advance, FIN/PSH last, CWR first). */
  #segment(tx: TxBuffer, length: number, hdr: number, mss: number): void {
    const s = this.#stack;
    const port = tx.iface!.port!;
    const src = tx.bytes;
    const off = tx.offset;
    const payload = length - hdr;
    const seq0 = ((src[off + 4]! << 24) | (src[off + 5]! << 16) | (src[off + 6]! << 8) | src[off + 7]!) >>> 0;
    const flags = src[off + 13]!;
    for (let done = 0, i = 0; done < payload; i++) {
      const n = Math.min(mss, payload - done);
      const seg = port.allocateTx(false);
      if (seg === null || hdr + n > seg.capacity) {
        if (seg !== null) port.free(seg.nbl!);
        s.counters.tcp.allocateFailed++;
        break;
      }
      seg.inUse = true;
      const d = seg.bytes;
      const at = seg.offset;
      d.set(src.subarray(off, off + hdr), at);
      d.set(src.subarray(off + hdr + done, off + hdr + done + n), at + hdr);
      const seq = (seq0 + done) >>> 0;
      d[at + 4] = seq >>> 24;
      d[at + 5] = seq >>> 16;
      d[at + 6] = seq >>> 8;
      d[at + 7] = seq;
      let f = flags;
      if (done + n < payload) f &= ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
      if (i > 0) f &= ~TCP_FLAG_CWR;
      d[at + 13] = f;
      this.#copyRoute(tx, seg);
      s.counters.tcp.softwareSegments++;
      this.send(seg, hdr + n, hdr, 0);
      done += n;
    }
    this.release(tx);
  }

  #copyRoute(from: TxBuffer, to: TxBuffer): void {
    to.family = from.family;
    to.protocol = from.protocol;
    to.iface = from.iface;
    to.cast = from.cast;
    to.mtu = from.mtu;
    to.hopLimit = from.hopLimit;
    to.dontFragment = from.dontFragment;
    to.src4 = from.src4;
    to.dst4 = from.dst4;
    to.nextHop4 = from.nextHop4;
    copy6(to.src6, 0, from.src6, 0);
    copy6(to.dst6, 0, from.dst6, 0);
    copy6(to.nextHop6, 0, from.nextHop6, 0);
  }
}
