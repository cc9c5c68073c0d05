/**
 * Software encapsulated-packet task offload (offload digest §6.3–§6.5): what an NVGRE/VXLAN-capable NIC
 * does with an encapsulated send, for miniports whose wire (or kernel) cannot do it.
 *
 * An encapsulated frame is: outer Ethernet (+ one 802.1Q tag) | outer IPv4/IPv6 | GRE (RFC 2784/2890,
 * protocol 0x6558) or UDP to the VXLAN port + VXLAN header | inner Ethernet | inner IPv4/IPv6 | TCP/UDP.
 * `locateEncapsulated` parses all of it and checks it against the protocol's
 * NDIS_TCP_SEND_OFFLOADS_SUPPLEMENTAL_NET_BUFFER_LIST_INFO: when EncapsulatedPacketOffsetsValid is set,
 * InnerFrameOffset, TransportIpHeaderRelativeOffset and TcpHeaderRelativeOffset must name the headers
 * that are really there, and IsInnerIPv6 the inner IP version. A frame that lies is refused (the caller
 * fails the NBL and counts it), never put on the wire half-understood.
 *
 * Checksums (§6.4): IpHeaderChecksum → the outer IPv4 header and the inner IPv4 header (under an IPv6
 * outer header, whose info cannot say IpHeaderChecksum, the inner IPv4 header always); TcpChecksum /
 * UdpChecksum → the inner TCP/UDP checksum (from the pseudo-header sum the protocol left in the field).
 * The outer UDP checksum of VXLAN: **zero over IPv4** (RFC 7348 §5 "SHOULD be transmitted as zero", and
 * what Linux's vxlan device sends by default), **computed over IPv6** (RFC 8200 requires it; Linux drops
 * zero-checksum IPv6 UDP unless udp6zerocsumrx). A GRE checksum (C bit) is computed when present.
 *
 * LSOv2 (§6.5): the template's outer ETH/IP/GRE-or-UDP/VXLAN and inner ETH/IP/TCP are replicated for each
 * segment; full-MSS segments and one shorter final one; per segment the outer and inner IP lengths and
 * IPv4 header checksums, the outer UDP length (VXLAN), outer and inner IPv4 IDs each +1 from their own
 * template value (inner: the LSOv2 0x0000–0x7FFF range, §2.4 rule 4; outer: 16-bit wrap — the outer ID
 * belongs to the encapsulator, not to the TCP/IP stack's range), TCP sequence, PSH/FIN only on the last,
 * CWR only on the first, and the inner TCP checksum from the LSO seed (no length, §2.4) plus the
 * segment's TCP length. Memory comes from the caller (SegmentTarget / SegmentAllocator as LsoSegmenter).
 */
import {
  CHECKSUM_RX_IP_CHECKSUM_FAILED,
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_TCP_CHECKSUM_FAILED,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_UDP_CHECKSUM_FAILED,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED,
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_IS_IPV6,
  CHECKSUM_TX_TCP_CHECKSUM,
  CHECKSUM_TX_UDP_CHECKSUM,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  lsoMss,
  lsoType,
  supplementalInnerFrameOffset,
  supplementalIsEncapsulated,
  supplementalIsInnerIPv6,
  supplementalOffsetsValid,
  supplementalTcpHeaderRelativeOffset,
  supplementalTransportIpHeaderRelativeOffset,
} from '../../ndis/index.js';
import { read16, write16 } from '../../wire/bytes.js';
import { finishChecksum, onesComplementSum } from '../../wire/checksum.js';
import { Ipv4Field } from '../../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../../wire/ipv6.js';
import { IpProtocol } from '../../wire/numbers.js';
import { TCP_HEADER_LEN, TcpField } from '../../wire/tcp.js';
import { UDP_HEADER_LEN, UdpField } from '../../wire/udp.js';
import { FrameLayout, locateHeaders } from './frame-layout.js';
import { SegmentTarget, fixTcpSegment, type SegmentAllocator, type SegmentDone } from './lso-segment.js';

/** IP protocol number of GRE. */
export const IP_PROTOCOL_GRE = 47;
/** GRE Protocol Type of NVGRE: Transparent Ethernet Bridging. */
export const GRE_PROTOCOL_TEB = 0x6558;
export const GRE_FLAG_C = 0x8000;
export const GRE_FLAG_K = 0x2000;
export const GRE_FLAG_S = 0x1000;
export const VXLAN_HEADER_LEN = 8;
/** VXLAN flags byte: the I bit (a valid VNI follows). */
export const VXLAN_FLAG_I = 0x08;

/** `vxlanPort` for a receiver re-locating a frame its sender already checked: any UDP port with a VXLAN header. */
export const VXLAN_ANY_PORT = 0x10000;

/** Which tunnel a frame uses (EncapLayout.tunnel). */
export const TUNNEL_NONE = 0;
export const TUNNEL_GRE = 1;
export const TUNNEL_VXLAN = 2;

/** Results of `locateEncapsulated` / the engine (negative = refused). */
export const ENCAP_OK = 0;
/** The outer frame is not IP, or not GRE (0x6558) / UDP to the VXLAN port with a VXLAN header. */
export const ENCAP_NOT_ENCAPSULATED = -1;
/** The inner frame is not Ethernet + IPv4/IPv6 + a transport header, or is truncated. */
export const ENCAP_BAD_INNER = -2;
/** The supplemental info's offsets or IsInnerIPv6 do not match the frame (lying offsets). */
export const ENCAP_OFFSETS_MISMATCH = -3;
/** The headers exceed what the adapter advertised (MaxHeaderSizeSupported) or the bytes available. */
export const ENCAP_HEADERS_TOO_LONG = -4;
/** LSO on something that is not TCP, not LSOv2, MSS 0, or more segments than allowed. */
export const ENCAP_BAD_LSO = -5;

/** Where every header of an encapsulated frame is (offsets from the frame's first byte). */
export class EncapLayout {
  tunnel = TUNNEL_NONE;
  outerIpVersion = 0;
  outerIpOffset = 0;
  outerIpHeaderLength = 0;
  /** The GRE header, or the outer UDP header of VXLAN. */
  tunnelOffset = 0;
  /** GRE header length (4 + 4 per C/K/S bit); 8 + 8 for UDP + VXLAN. */
  tunnelLength = 0;
  innerFrameOffset = 0;
  innerIpVersion = 0;
  innerIpOffset = 0;
  innerIpHeaderLength = 0;
  innerL4Protocol = -1;
  innerL4Offset = 0;
  /** Bytes from the frame start to the end of the inner TCP/UDP header. */
  headerLength = 0;
}

const outer = new FrameLayout();
const inner = new FrameLayout();

/**
 * Parses the encapsulated frame `b[f, f + len)` (at least its headers must be present) into `out` and
 * checks it against the supplemental info `supp`. `vxlanPort` is the adapter's VXLAN UDP port (0: VXLAN
 * off); `greOn`: NVGRE accepted. Returns ENCAP_OK or a negative ENCAP_* reason.
 */
export function locateEncapsulated(b: Uint8Array, f: number, len: number, supp: number, greOn: boolean, vxlanPort: number, maxHeader: number, out: EncapLayout): number {
  const r = parseEncapsulated(b, f, len, greOn, vxlanPort, maxHeader, out);
  if (r !== ENCAP_OK) return r;
  if (!supplementalIsEncapsulated(supp)) return ENCAP_OFFSETS_MISMATCH;
  if ((out.innerIpVersion === 6) !== supplementalIsInnerIPv6(supp)) return ENCAP_OFFSETS_MISMATCH;
  if (supplementalOffsetsValid(supp)) {
    if (
      supplementalInnerFrameOffset(supp) !== out.innerFrameOffset ||
      supplementalTransportIpHeaderRelativeOffset(supp) !== out.innerIpOffset - out.innerFrameOffset ||
      supplementalTcpHeaderRelativeOffset(supp) !== out.innerL4Offset - out.innerIpOffset
    ) {
      return ENCAP_OFFSETS_MISMATCH;
    }
  }
  return ENCAP_OK;
}

/** The parse of `locateEncapsulated` without the supplemental info (a received frame has none). */
export function parseEncapsulated(b: Uint8Array, f: number, len: number, greOn: boolean, vxlanPort: number, maxHeader: number, out: EncapLayout): number {
  out.tunnel = TUNNEL_NONE;
  if (f < 0 || len < 0 || f + len > b.length) return ENCAP_HEADERS_TOO_LONG;
  if (!locateHeaders(b, f, len, outer)) return ENCAP_NOT_ENCAPSULATED;
  out.outerIpVersion = outer.ipVersion;
  out.outerIpOffset = outer.ipOffset;
  out.outerIpHeaderLength = outer.ipHeaderLength;
  const t = outer.l4Offset;
  out.tunnelOffset = t;
  let innerFrame: number;
  if (outer.l4Protocol === IP_PROTOCOL_GRE && greOn) {
    if (t + 4 > len) return ENCAP_HEADERS_TOO_LONG;
    const flags = read16(b, f + t);
    // Version 0, no routing / recursion / reserved bits: only C, K and S may be set (RFC 2784, 2890).
    if ((flags & ~(GRE_FLAG_C | GRE_FLAG_K | GRE_FLAG_S)) !== 0 || read16(b, f + t + 2) !== GRE_PROTOCOL_TEB) return ENCAP_NOT_ENCAPSULATED;
    out.tunnel = TUNNEL_GRE;
    out.tunnelLength = 4 + ((flags & GRE_FLAG_C) !== 0 ? 4 : 0) + ((flags & GRE_FLAG_K) !== 0 ? 4 : 0) + ((flags & GRE_FLAG_S) !== 0 ? 4 : 0);
    innerFrame = t + out.tunnelLength;
  } else if (outer.l4Protocol === IpProtocol.Udp && vxlanPort !== 0) {
    if (t + UDP_HEADER_LEN + VXLAN_HEADER_LEN > len) return ENCAP_HEADERS_TOO_LONG;
    const port = read16(b, f + t + UdpField.DstPort);
    if ((port !== vxlanPort && vxlanPort !== VXLAN_ANY_PORT) || (b[f + t + UDP_HEADER_LEN]! & VXLAN_FLAG_I) === 0) return ENCAP_NOT_ENCAPSULATED;
    out.tunnel = TUNNEL_VXLAN;
    out.tunnelLength = UDP_HEADER_LEN + VXLAN_HEADER_LEN;
    innerFrame = t + out.tunnelLength;
  } else {
    return ENCAP_NOT_ENCAPSULATED;
  }
  out.innerFrameOffset = innerFrame;
  if (innerFrame >= len || !locateHeaders(b, f + innerFrame, len - innerFrame, inner)) return ENCAP_BAD_INNER;
  const p = inner.l4Protocol;
  if (p !== IpProtocol.Tcp && p !== IpProtocol.Udp) return ENCAP_BAD_INNER;
  out.innerIpVersion = inner.ipVersion;
  out.innerIpOffset = innerFrame + inner.ipOffset;
  out.innerIpHeaderLength = inner.ipHeaderLength;
  out.innerL4Protocol = p;
  out.innerL4Offset = innerFrame + inner.l4Offset;
  const l4 = f + out.innerL4Offset;
  let l4Len = UDP_HEADER_LEN;
  if (p === IpProtocol.Tcp) {
    if (out.innerL4Offset + TCP_HEADER_LEN > len) return ENCAP_HEADERS_TOO_LONG;
    l4Len = (b[l4 + TcpField.DataOffsetFlags]! >> 4) * 4;
    if (l4Len < TCP_HEADER_LEN) return ENCAP_BAD_INNER;
  }
  out.headerLength = out.innerL4Offset + l4Len;
  if (out.headerLength > len || out.headerLength > maxHeader) return ENCAP_HEADERS_TOO_LONG;
  return ENCAP_OK;
}

/**
 * Receive validation across the tunnel (§2.1, §6.4): checks the outer and inner IPv4 header checksums
 * and the inner TCP/UDP checksum of the parsed frame `b[f, f + len)` and returns the receive checksum
 * info — IpChecksumSucceeded only when every IPv4 header passed (and there is one), IpChecksumFailed when
 * either failed; Tcp/Udp Succeeded or Failed for the inner transport (an inner UDP checksum of zero over
 * IPv4 means "none": not reported).
 */
export function validateEncapsulatedChecksums(b: Uint8Array, f: number, len: number, L: EncapLayout): number {
  let ipSeen = false;
  let ipBad = false;
  if (L.outerIpVersion === 4) {
    ipSeen = true;
    if (finishChecksum(onesComplementSum(b, f + L.outerIpOffset, L.outerIpHeaderLength)) !== 0) ipBad = true;
  }
  if (L.innerIpVersion === 4) {
    ipSeen = true;
    if (finishChecksum(onesComplementSum(b, f + L.innerIpOffset, L.innerIpHeaderLength)) !== 0) ipBad = true;
  }
  let info = ipBad ? CHECKSUM_RX_IP_CHECKSUM_FAILED : ipSeen ? CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED : 0;
  const l4 = f + L.innerL4Offset;
  const l4Len = len - L.innerL4Offset;
  const tcp = L.innerL4Protocol === IpProtocol.Tcp;
  if (!tcp && L.innerIpVersion === 4 && read16(b, l4 + UdpField.Checksum) === 0) return info;
  const ip = f + L.innerIpOffset;
  const pseudo =
    L.innerIpVersion === 4
      ? onesComplementSum(b, ip + Ipv4Field.SrcAddr, 8, L.innerL4Protocol + l4Len)
      : onesComplementSum(b, ip + Ipv6Field.SrcAddr, 32, L.innerL4Protocol + l4Len);
  const ok = finishChecksum(onesComplementSum(b, l4, l4Len, pseudo)) === 0;
  if (tcp) info |= ok ? CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED : CHECKSUM_RX_TCP_CHECKSUM_FAILED;
  else info |= ok ? CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED : CHECKSUM_RX_UDP_CHECKSUM_FAILED;
  return info;
}

/** RFC 768: a computed UDP checksum of zero goes out as 0xffff. */
function udpSum(c: number): number {
  return c === 0 ? 0xffff : c;
}

/** Outer UDP checksum of VXLAN: zero over IPv4, full (pseudo-header + datagram) over IPv6. */
function outerUdpChecksum(b: Uint8Array, o: number, L: EncapLayout, frameLen: number): void {
  const u = o + L.tunnelOffset;
  write16(b, u + UdpField.Checksum, 0);
  if (L.outerIpVersion === 4) return;
  const udpLen = frameLen - L.tunnelOffset;
  const ip = o + L.outerIpOffset;
  // Pseudo-header: source and destination (32 bytes from offset 8), length, next header 17.
  const pseudo = onesComplementSum(b, ip + Ipv6Field.SrcAddr, 32, udpLen + IpProtocol.Udp);
  write16(b, u + UdpField.Checksum, udpSum(finishChecksum(onesComplementSum(b, u, udpLen, pseudo))));
}

function ipv4HeaderChecksum(b: Uint8Array, ip: number, hl: number): void {
  write16(b, ip + Ipv4Field.Checksum, 0);
  write16(b, ip + Ipv4Field.Checksum, finishChecksum(onesComplementSum(b, ip, hl)));
}

/** GRE checksum (C bit): over the GRE header and everything after it. */
function greChecksum(b: Uint8Array, o: number, L: EncapLayout, frameLen: number): void {
  const g = o + L.tunnelOffset;
  if ((read16(b, g) & GRE_FLAG_C) === 0) return;
  write16(b, g + 4, 0);
  write16(b, g + 4, finishChecksum(onesComplementSum(b, g, frameLen - L.tunnelOffset)));
}

/** Fixes the outer lengths of a frame of `frameLen` bytes (IP total/payload length, UDP length of VXLAN). */
function outerLengths(b: Uint8Array, o: number, L: EncapLayout, frameLen: number): void {
  const ip = o + L.outerIpOffset;
  if (L.outerIpVersion === 4) write16(b, ip + Ipv4Field.TotalLength, frameLen - L.outerIpOffset);
  else write16(b, ip + Ipv6Field.PayloadLength, frameLen - L.outerIpOffset - IPV6_HEADER_LEN);
  if (L.tunnel === TUNNEL_VXLAN) write16(b, o + L.tunnelOffset + UdpField.Length, frameLen - L.tunnelOffset);
}

/**
 * Finishes, in place, the checksums the checksum info `cs` asks for on the located encapsulated frame
 * `b[o, o + len)` (§6.4), then the tunnel's own (VXLAN outer UDP, GRE C bit). The outer lengths are left
 * as the encapsulator wrote them. Returns false when `cs` asks for nothing (no IsIPv4/IsIPv6).
 */
export function finishEncapsulatedChecksums(cs: number, b: Uint8Array, o: number, len: number, L: EncapLayout): boolean {
  if ((cs & (CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IS_IPV6)) === 0) return false;
  // The inner IPv4 header: with IpHeaderChecksum, or under an IPv6 outer header (whose checksum info
  // has no IpHeaderChecksum to ask with).
  if (L.innerIpVersion === 4 && ((cs & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0 || L.outerIpVersion === 6)) {
    ipv4HeaderChecksum(b, o + L.innerIpOffset, L.innerIpHeaderLength);
  }
  const l4 = o + L.innerL4Offset;
  if ((cs & CHECKSUM_TX_TCP_CHECKSUM) !== 0 && L.innerL4Protocol === IpProtocol.Tcp) {
    // The field holds the pseudo-header sum (with the length): summing over it gives the checksum.
    write16(b, l4 + TcpField.Checksum, finishChecksum(onesComplementSum(b, l4, len - L.innerL4Offset)));
  } else if ((cs & CHECKSUM_TX_UDP_CHECKSUM) !== 0 && L.innerL4Protocol === IpProtocol.Udp) {
    write16(b, l4 + UdpField.Checksum, udpSum(finishChecksum(onesComplementSum(b, l4, len - L.innerL4Offset))));
  }
  if (L.tunnel === TUNNEL_VXLAN) outerUdpChecksum(b, o, L, len);
  else greChecksum(b, o, L, len);
  // The outer IPv4 header last: nothing after this changes it.
  if ((cs & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0 && L.outerIpVersion === 4) ipv4HeaderChecksum(b, o + L.outerIpOffset, L.outerIpHeaderLength);
  return true;
}


/** Counters of one engine (the miniport shows them). */
export class EncapOffloadCounters {
  /** Encapsulated frames whose checksums were finished in software. */
  checksumFrames = 0;
  /** Encapsulated LSO frames segmented, and the segments made. */
  lsoFrames = 0;
  lsoSegments = 0;
  /** Refused: lying offsets / inner IP version (ENCAP_OFFSETS_MISMATCH). */
  refusedOffsets = 0;
  /** Refused: not a GRE/VXLAN frame this adapter has enabled, or a bad inner frame. */
  refusedNotEncapsulated = 0;
  /** Refused: headers beyond MaxHeaderSizeSupported / not where the rules put them. */
  refusedHeaders = 0;
  /** Refused: bad LSO request (not TCP, not LSOv2, MSS 0 or too many segments). */
  refusedLso = 0;
}

export class EncapSegmenter {
  readonly layout = new EncapLayout();
  readonly counters = new EncapOffloadCounters();
  readonly #target = new SegmentTarget();

  constructor(readonly maxSegments = 1024) {}

  /** Counts a negative result under its reason. */
  refused(reason: number): number {
    const c = this.counters;
    if (reason === ENCAP_OFFSETS_MISMATCH) c.refusedOffsets++;
    else if (reason === ENCAP_HEADERS_TOO_LONG) c.refusedHeaders++;
    else if (reason === ENCAP_BAD_LSO) c.refusedLso++;
    else c.refusedNotEncapsulated++;
    return reason;
  }

  /** `locateEncapsulated` into this engine's layout, counting a refusal. */
  locate(b: Uint8Array, f: number, len: number, supp: number, greOn: boolean, vxlanPort: number, maxHeader: number): number {
    const r = locateEncapsulated(b, f, len, supp, greOn, vxlanPort, maxHeader, this.layout);
    return r === ENCAP_OK ? r : this.refused(r);
  }

  /** Checksums of a located non-LSO frame, in place (see finishEncapsulatedChecksums). */
  checksum(cs: number, b: Uint8Array, f: number, len: number): void {
    if (finishEncapsulatedChecksums(cs, b, f, len, this.layout)) this.counters.checksumFrames++;
  }

  /**
   * Segments the located encapsulated LSO frame `src[f, f + len)` (its layout from `locate`) with the LSO
   * info `lso`. Returns the segments completed (fewer when `next` ran out of memory) or ENCAP_BAD_LSO.
   */
  segment(src: Uint8Array, f: number, len: number, lso: number, next: SegmentAllocator, done: SegmentDone): number {
    const L = this.layout;
    const mss = lsoMss(lso);
    if (lsoType(lso) !== NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE || L.innerL4Protocol !== IpProtocol.Tcp || mss === 0) return this.refused(ENCAP_BAD_LSO);
    const hdr = L.headerLength;
    const payload = len - hdr;
    const count = payload <= 0 ? 1 : Math.ceil(payload / mss);
    if (payload < 0 || count > this.maxSegments) return this.refused(ENCAP_BAD_LSO);
    const oip = L.outerIpOffset;
    const iip = L.innerIpOffset;
    const tcp = L.innerL4Offset;
    const outerId0 = L.outerIpVersion === 4 ? read16(src, f + oip + Ipv4Field.Identification) : 0;
    const innerId0 = L.innerIpVersion === 4 ? read16(src, f + iip + Ipv4Field.Identification) : 0;
    const seq0 = ((src[f + tcp + 4]! << 24) | (src[f + tcp + 5]! << 16) | (src[f + tcp + 6]! << 8) | src[f + tcp + 7]!) >>> 0;
    const flags = src[f + tcp + TcpField.Flags]!;
    const seed = read16(src, f + tcp + TcpField.Checksum);
    const t = this.#target;
    for (let i = 0; i < count; i++) {
      const chunk = Math.min(mss, payload - i * mss);
      const segLen = hdr + chunk;
      if (!next(segLen, i, t)) return i;
      const b = t.bytes;
      const o = t.offset;
      b.set(src.subarray(f, f + hdr), o);
      b.set(src.subarray(f + hdr + i * mss, f + hdr + i * mss + chunk), o + hdr);
      // Inner IP.
      if (L.innerIpVersion === 4) {
        write16(b, o + iip + Ipv4Field.TotalLength, segLen - iip);
        write16(b, o + iip + Ipv4Field.Identification, i === 0 ? innerId0 : (innerId0 + i) & 0x7fff);
        ipv4HeaderChecksum(b, o + iip, L.innerIpHeaderLength);
      } else {
        write16(b, o + iip + Ipv6Field.PayloadLength, segLen - iip - IPV6_HEADER_LEN);
      }
      // Inner TCP.
      fixTcpSegment(b, o + tcp, (seq0 + i * mss) >>> 0, flags, i, count, segLen - tcp, seed);
      // Outer: lengths, the tunnel's checksum, then the outer IPv4 header.
      outerLengths(b, o, L, segLen);
      if (L.tunnel === TUNNEL_VXLAN) outerUdpChecksum(b, o, L, segLen);
      else greChecksum(b, o, L, segLen);
      if (L.outerIpVersion === 4) {
        write16(b, o + oip + Ipv4Field.Identification, (outerId0 + i) & 0xffff);
        ipv4HeaderChecksum(b, o + oip, L.outerIpHeaderLength);
      }
      done(segLen, i);
    }
    this.counters.lsoFrames++;
    this.counters.lsoSegments += count;
    return count;
  }
}
