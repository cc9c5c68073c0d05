/**
 * Software large-send segmentation (offload digest §2.4): what an LSO-capable NIC does with an LSO
 * NBL, for miniports whose wire (or peer) takes only MTU-sized frames.
 *
 * The large frame is a template: Ethernet + IP (+ options / extension headers) + TCP (+ options) +
 * payload. Each segment gets the template's headers, then per segment: its MSS slice of the payload, the
 * IP length (IPv4 total length / IPv6 payload length), IPv4 identification (template ID, then +1 per
 * segment; LSOv2 stays in 0x0000–0x7FFF, LSOv1 wraps at 16 bits), the IPv4 header checksum, sequence
 * number = template + offset, PSH and FIN only on the last segment, CWR only on the first, options
 * unchanged (timestamps are not advanced), and the TCP checksum from the protocol's pseudo-header seed
 * (source, destination and protocol, without the length, §2.4) plus the segment's TCP length.
 *
 * The caller provides every segment's memory through `next` (its own receive buffer, or a scratch
 * buffer it then writes out), so nothing is allocated per frame.
 */
import {
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  lsoMss,
  lsoTcpHeaderOffset,
  lsoType,
  lsoV2IpVersion,
} from '../../ndis/index.js';
import { read16, write16 } from '../../wire/bytes.js';
import { finishChecksum, onesComplementSum } from '../../wire/checksum.js';
import { Ipv4Field } from '../../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../../wire/ipv6.js';
import { IpProtocol } from '../../wire/numbers.js';
import { TCP_HEADER_LEN, TcpField, TcpFlags } from '../../wire/tcp.js';
import { FrameLayout, locateHeaders } from './frame-layout.js';

/** Where the caller wants the next segment written: filled in by the caller's `next`. */
export class SegmentTarget {
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
}

/**
 * Gives memory for segment `index` of `length` bytes (sets `target.bytes` / `target.offset`), or false
 * when there is none (segmentation stops there).
 */
export type SegmentAllocator = (length: number, index: number, target: SegmentTarget) => boolean;
/** Segment `index` is complete in the memory `next` gave. */
export type SegmentDone = (length: number, index: number) => void;

/** Why a frame could not be segmented (negative results of `segmentLargeSend`). */
export const LSO_SEGMENT_MALFORMED = -1;
/** MSS of 0, or a payload that would need more than `maxSegments` segments. */
export const LSO_SEGMENT_BAD_MSS = -2;

const PSH_FIN = TcpFlags.Psh | TcpFlags.Fin;

/**
 * The TCP header of segment `index` of `count` (§2.4), written at `b[tcp]`: sequence number `seq`, the
 * template's `flags` with PSH and FIN only on the last segment and CWR only on the first, and the checksum
 * over its `tcpLen` bytes from the protocol's pseudo-header `seed` (without the length) plus that length.
 * Shared by the plain and the encapsulated LSO engines.
 */
export function fixTcpSegment(b: Uint8Array, tcp: number, seq: number, flags: number, index: number, count: number, tcpLen: number, seed: number): void {
  b[tcp + 4] = seq >>> 24;
  b[tcp + 5] = (seq >>> 16) & 0xff;
  b[tcp + 6] = (seq >>> 8) & 0xff;
  b[tcp + 7] = seq & 0xff;
  let fl = flags;
  if (index !== count - 1) fl &= ~PSH_FIN;
  if (index !== 0) fl &= ~TcpFlags.Cwr;
  b[tcp + TcpField.Flags] = fl;
  write16(b, tcp + TcpField.Checksum, 0);
  write16(b, tcp + TcpField.Checksum, finishChecksum(onesComplementSum(b, tcp, tcpLen, seed + tcpLen)));
}

export class LsoSegmenter {
  readonly #layout = new FrameLayout();
  readonly #target = new SegmentTarget();

  constructor(readonly maxSegments = 1024) {}

  /**
   * Segments the LSO frame `src[f, f + len)` described by the TcpLargeSendNetBufferListInfo value `lso`.
   * Returns the number of segments completed (fewer than needed when `next` ran out of memory), or
   * LSO_SEGMENT_MALFORMED / LSO_SEGMENT_BAD_MSS. Never throws on hostile input.
   */
  segment(src: Uint8Array, f: number, len: number, lso: number, next: SegmentAllocator, done: SegmentDone): number {
    const L = this.#layout;
    const mss = lsoMss(lso);
    const tcp = lsoTcpHeaderOffset(lso);
    const v2 = lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE;
    if (f < 0 || len < 0 || f + len > src.length || !locateHeaders(src, f, len, L)) return LSO_SEGMENT_MALFORMED;
    if (L.l4Protocol !== IpProtocol.Tcp || L.l4Offset !== tcp || tcp + TCP_HEADER_LEN > len) return LSO_SEGMENT_MALFORMED;
    if (v2 && L.ipVersion !== (lsoV2IpVersion(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 ? 6 : 4)) return LSO_SEGMENT_MALFORMED;
    if (!v2 && L.ipVersion !== 4) return LSO_SEGMENT_MALFORMED;
    const thl = (src[f + tcp + TcpField.DataOffsetFlags]! >> 4) * 4;
    const hdr = tcp + thl;
    if (thl < TCP_HEADER_LEN || hdr > len) return LSO_SEGMENT_MALFORMED;
    const payload = len - hdr;
    const count = payload === 0 ? 1 : Math.ceil(payload / Math.max(mss, 1));
    if (mss === 0 || count > this.maxSegments) return LSO_SEGMENT_BAD_MSS;

    const v4 = L.ipVersion === 4;
    const ip = L.ipOffset;
    const id0 = v4 ? read16(src, f + ip + Ipv4Field.Identification) : 0;
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
      if (v4) {
        write16(b, o + ip + Ipv4Field.TotalLength, segLen - ip);
        write16(b, o + ip + Ipv4Field.Identification, i === 0 ? id0 : v2 ? (id0 + i) & 0x7fff : (id0 + i) & 0xffff);
        write16(b, o + ip + Ipv4Field.Checksum, 0);
        write16(b, o + ip + Ipv4Field.Checksum, finishChecksum(onesComplementSum(b, o + ip, L.ipHeaderLength)));
      } else {
        write16(b, o + ip + Ipv6Field.PayloadLength, segLen - ip - IPV6_HEADER_LEN);
      }
      fixTcpSegment(b, o + tcp, (seq0 + i * mss) >>> 0, flags, i, count, segLen - tcp, seed);
      done(segLen, i);
    }
    return count;
  }
}
