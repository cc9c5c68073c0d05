/**
 * Software UDP segmentation offload (USO, NDIS 6.83; offload digest §1.3, the USO design page): what a
 * USO-capable NIC does with one large UDP datagram whose NBL carries UdpSegmentationOffloadInfo.
 *
 * The large frame is a template: Ethernet + IP (+ IPv4 options / IPv6 extension headers) + UDP header +
 * payload. Each segment gets the template's headers and its MSS slice of the payload (only the last may
 * be shorter), then per segment: the IP length (IPv4 total length / IPv6 payload length), the IPv4
 * identification (template ID, then +1 per segment, wrapping 0xFFFF → 0x0000), the IPv4 header checksum,
 * the UDP length, and the UDP checksum from the protocol's pseudo-header seed (source, destination and
 * protocol, without the length: the NIC adds each datagram's UDP length). A zero seed over IPv4 means "no
 * UDP checksum" and stays zero; a computed 0x0000 goes out as 0xFFFF (RFC 768).
 *
 * Sends the NIC cannot perform are refused before anything is written (the design page: drivers must
 * fail any send they cannot do — size, segment count, options): malformed headers, an MSS of 0 or above
 * the largest the link carries, a payload above MaxOffLoadSize, fewer segments than MinSegmentCount.
 *
 * The caller provides every segment's memory (`next`), so nothing is allocated per datagram.
 */
import { NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6, usoIpVersion, usoMss, usoUdpHeaderOffset } from '../../ndis/index.js';
import { read16, write16 } from '../../wire/bytes.js';
import { finishChecksum, onesComplementSum } from '../../wire/checksum.js';
import { Ipv4Field } from '../../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../../wire/ipv6.js';
import { IpProtocol } from '../../wire/numbers.js';
import { UdpField } from '../../wire/udp.js';
import { FrameLayout, locateHeaders } from './frame-layout.js';
import { SegmentTarget, type SegmentAllocator, type SegmentDone } from './lso-segment.js';

export const UDP_HEADER_LEN = 8;

/** Why a USO send was refused (negative results of `check` / `segment`). */
export const USO_SEGMENT_MALFORMED = -1;
/** MSS 0, or more than `maxMss` (the payload a link-sized datagram carries). */
export const USO_SEGMENT_BAD_MSS = -2;
/** Payload above MaxOffLoadSize, or a datagram whose segments would exceed 64 KB of IP. */
export const USO_SEGMENT_TOO_LARGE = -3;
/** Fewer segments than MinSegmentCount. */
export const USO_SEGMENT_TOO_FEW = -4;

/** What the segmenter may accept: the adapter's NDIS_UDP_SEGMENTATION_OFFLOAD and its link. */
export interface UsoLimits {
  /** Largest UDP payload per segment (MTU − IP header − options − 8); 0 = no limit. */
  maxMss: number;
  /** MaxOffLoadSize; 0 = no limit. */
  maxOffLoadSize: number;
  minSegmentCount: number;
}

export class UsoSegmenter {
  readonly layout = new FrameLayout();
  readonly #target = new SegmentTarget();
  /** After `check`: the UDP payload bytes and the segment count of the send. */
  payload = 0;
  count = 0;

  constructor(readonly maxSegments = 1024) {}

  /**
   * Validates the USO frame `src[f, f + len)` with info `uso` against `limits` (the link MTU is
   * `maxMss` relative to this frame's own headers: the caller passes the link's largest IP datagram in
   * `mtu`). Returns the number of segments or a USO_SEGMENT_* code.
   */
  check(src: Uint8Array, f: number, len: number, uso: number, limits: UsoLimits, mtu = 0): number {
    const L = this.layout;
    const udp = usoUdpHeaderOffset(uso);
    const mss = usoMss(uso);
    const v6 = usoIpVersion(uso) === NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6;
    if (f < 0 || len < 0 || f + len > src.length || !locateHeaders(src, f, len, L)) return USO_SEGMENT_MALFORMED;
    if (L.ipVersion !== (v6 ? 6 : 4) || L.l4Protocol !== IpProtocol.Udp || L.l4Offset !== udp || udp + UDP_HEADER_LEN > len) return USO_SEGMENT_MALFORMED;
    // A fragment cannot be segmented (MF set, or any fragment offset).
    if (!v6 && (read16(src, f + L.ipOffset + Ipv4Field.FlagsFragmentOffset) & 0x3fff) !== 0) return USO_SEGMENT_MALFORMED;
    const hdr = udp + UDP_HEADER_LEN;
    const payload = len - hdr;
    const ipHeaders = hdr - L.ipOffset;
    if (mss === 0 || (limits.maxMss > 0 && mss > limits.maxMss) || (mtu > 0 && ipHeaders + mss > mtu)) return USO_SEGMENT_BAD_MSS;
    if ((limits.maxOffLoadSize > 0 && payload > limits.maxOffLoadSize) || ipHeaders + Math.min(mss, payload) > 0xffff) return USO_SEGMENT_TOO_LARGE;
    const count = payload === 0 ? 1 : Math.ceil(payload / mss);
    if (count > this.maxSegments) return USO_SEGMENT_TOO_LARGE;
    if (count < limits.minSegmentCount) return USO_SEGMENT_TOO_FEW;
    this.payload = payload;
    this.count = count;
    return count;
  }

  /**
   * Checks, then writes every segment through `next` / `done`. Returns the number of segments completed
   * (fewer when `next` ran out of memory) or a USO_SEGMENT_* code. Never throws on hostile input.
   */
  segment(src: Uint8Array, f: number, len: number, uso: number, limits: UsoLimits, next: SegmentAllocator, done: SegmentDone, mtu = 0): number {
    const count = this.check(src, f, len, uso, limits, mtu);
    if (count < 0) return count;
    const L = this.layout;
    const mss = usoMss(uso);
    const udp = L.l4Offset;
    const hdr = udp + UDP_HEADER_LEN;
    const payload = this.payload;
    const v4 = L.ipVersion === 4;
    const ip = L.ipOffset;
    const id0 = v4 ? read16(src, f + ip + Ipv4Field.Identification) : 0;
    const seed = read16(src, f + udp + UdpField.Checksum);
    const noChecksum = v4 && seed === 0;
    const t = this.#target;
    for (let i = 0; i < count; i++) {
      const chunk = Math.min(mss, payload - i * mss);
      const segLen = hdr + chunk;
      if (!next(segLen, i, t)) return i;
      const b = t.bytes;
      const o = t.offset;
      b.set(src.subarray(f, f + hdr), o);
      b.set(src.subarray(f + hdr + i * mss, f + hdr + i * mss + chunk), o + hdr);
      if (v4) {
        write16(b, o + ip + Ipv4Field.TotalLength, segLen - ip);
        write16(b, o + ip + Ipv4Field.Identification, (id0 + i) & 0xffff);
        write16(b, o + ip + Ipv4Field.Checksum, 0);
        write16(b, o + ip + Ipv4Field.Checksum, finishChecksum(onesComplementSum(b, o + ip, L.ipHeaderLength)));
      } else {
        write16(b, o + ip + Ipv6Field.PayloadLength, segLen - ip - IPV6_HEADER_LEN);
      }
      const udpLen = segLen - udp;
      write16(b, o + udp + UdpField.Length, udpLen);
      write16(b, o + udp + UdpField.Checksum, 0);
      if (!noChecksum) {
        let c = finishChecksum(onesComplementSum(b, o + udp, udpLen, seed + udpLen));
        if (c === 0) c = 0xffff;
        write16(b, o + udp + UdpField.Checksum, c);
      }
      done(segLen, i);
    }
    return count;
  }
}
