/**
 * The gateway's send path: one tenant NBL in, one underlay NBL out (its NetBuffers from the gateway's own
 * pools), every frame behind fresh outer headers. Two ways, chosen per NBL from the lower adapter's
 * current configuration (`LowerEncapOffload`, offload digest §6.3–6.5):
 *
 *   - offload: the adapter below does LSOv2 / checksums across our encapsulation. An LSO NBL goes down
 *     whole as ONE frame (outer headers + the large inner frame) with LsoV2 info (MSS reduced so every
 *     segment fits the underlay MTU; IPVersion and the legacy TcpHeaderOffset name the outer IPv4 header
 *     and the inner TCP header — §6.5 says the miniport must not use that offset), checksum info for the
 *     outer IPv4 header (IsIPv4, IpHeaderChecksum, TcpChecksum/UdpChecksum for the inner transport) and the
 *     supplemental info (IsEncapsulatedPacket, offsets valid, InnerFrameOffset, the inner IP and transport
 *     header offsets, IsInnerIPv6, TcpOptionsPresent);
 *   - software: LSO NBLs are segmented here (LsoSegmenter: inner IP ID, sequence numbers, PSH/FIN, inner
 *     checksums), checksum requests are completed here, and each resulting frame gets its outer headers
 *     with the outer IPv4 checksum. The underlay NBL then carries one NetBuffer per segment and no offload
 *     info at all.
 *
 * A frame whose offload info does not match it (an LSO TcpHeaderOffset that is not where the TCP header
 * is, LSO on something that is not TCP, a header past the frame) is refused (`TxResult.Malformed`), never
 * sent half-formed.
 */
import {
  ByteSpan,
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_IS_IPV6,
  CHECKSUM_TX_TCP_CHECKSUM,
  CHECKSUM_TX_UDP_CHECKSUM,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  checksumTxTcpHeaderOffset,
  checksumTxValue,
  lsoMss,
  lsoTcpHeaderOffset,
  lsoTransmitValue,
  lsoType,
  lsoV2IpVersion,
  type NetBuffer,
  type NetBufferList,
  type NetBufferPool,
} from '../../../ndis/index.js';
import { write16 } from '../../../wire/bytes.js';
import { finishChecksum, onesComplementSum } from '../../../wire/checksum.js';
import { ETHERNET_HEADER_LEN } from '../../../wire/ethernet.js';
import { Ipv4Field } from '../../../wire/ipv4.js';
import { IpProtocol } from '../../../wire/numbers.js';
import { TCP_HEADER_LEN, TcpField } from '../../../wire/tcp.js';
import { UdpField } from '../../../wire/udp.js';
import { FrameLayout, locateHeaders, MAX_GSO_FRAME } from '../../common/frame-layout.js';
import { LsoSegmenter, type SegmentTarget } from '../../common/lso-segment.js';
import { flowSourcePort, overheadOf, OverlayKind, TunnelHeader, writeOuterHeaders } from './encap.js';
import { encapsulatedPacketOffsets, LowerEncapOffload } from './encap-offload.js';
import type { OverlayCounters } from './shared.js';

/** Why a tenant NBL was not encapsulated (0 = it was). */
export const TxResult = { Ok: 0, Malformed: 1, Oversize: 2, Resources: 3 } as const;
export type TxResult = (typeof TxResult)[keyof typeof TxResult];

/** Which path the last NBL took (bench / tests print it). */
export const TxPath = { None: 0, Software: 1, Offload: 2 } as const;
export type TxPath = (typeof TxPath)[keyof typeof TxPath];

export class OverlayTransmit {
  readonly tunnel = new TunnelHeader();
  readonly lowerOffload = new LowerEncapOffload();
  /** The lower adapter's backfill (left free in front of every frame) and IP MTU. */
  backfill = 0;
  lowerMtu = 1500;
  /** Pools for single frames / segments, and for whole LSO frames going down with offload info. */
  small: NetBufferPool | null = null;
  large: NetBufferPool | null = null;
  lastPath: TxPath = TxPath.None;
  #ipId = 0;
  readonly #segmenter = new LsoSegmenter(1024);
  readonly #layout = new FrameLayout();
  readonly #scratch = new Uint8Array(MAX_GSO_FRAME);
  readonly #span = new ByteSpan();
  // Segmentation state shared with the allocator / done callbacks (bound once, no closure per frame).
  #segHead: NetBuffer | null = null;
  #segTail: NetBuffer | null = null;
  #segNb: NetBuffer | null = null;
  #segOversize = false;
  #segPort = 0;
  readonly #nextSegment = (length: number, _index: number, target: SegmentTarget): boolean => this.#allocSegment(length, target);
  readonly #segmentDone = (length: number): void => this.#finishSegment(length);

  constructor(readonly counters: OverlayCounters) {}

  get overhead(): number {
    return overheadOf(this.tunnel.kind);
  }

  /** The largest inner frame (Ethernet header included, no FCS) the underlay carries. */
  get innerFrameMax(): number {
    return this.lowerMtu + ETHERNET_HEADER_LEN - this.overhead;
  }

  /** Encapsulates every NetBuffer of `src` into `out` (an NBL without NetBuffers). On failure `out` holds none. */
  encapsulate(src: NetBufferList, out: NetBufferList): TxResult {
    const lso = src.info.tcpLargeSend;
    const cs = src.info.tcpIpChecksum;
    let result: TxResult = TxResult.Ok;
    let tail: NetBuffer | null = null;
    const single = src.firstNetBuffer !== null && src.firstNetBuffer.next === null;
    for (let nb = src.firstNetBuffer; nb !== null && result === TxResult.Ok; nb = nb.next) {
      const len = nb.dataLength;
      if (len < ETHERNET_HEADER_LEN || len > MAX_GSO_FRAME) {
        result = TxResult.Malformed;
        break;
      }
      const span = this.#span;
      if (!nb.getDataBuffer(len, this.#scratch, span)) {
        result = TxResult.Malformed;
        break;
      }
      const b = span.bytes;
      const f = span.offset;
      let head: NetBuffer | null = null;
      let last: NetBuffer | null = null;
      if (lso !== 0) {
        if (single && this.#offloadLso(lso, b, f, len)) {
          const r = this.#sendLsoWhole(lso, b, f, len, out);
          if (typeof r === 'number') result = r;
          else head = last = r;
        } else {
          const r = this.#segment(lso, b, f, len);
          if (typeof r === 'number') result = r;
          else {
            head = r;
            last = this.#segTail;
          }
        }
      } else {
        if (len > this.innerFrameMax) {
          result = TxResult.Oversize;
          break;
        }
        const r = this.#frame(b, f, len, cs, single, out);
        if (typeof r === 'number') result = r;
        else head = last = r;
      }
      if (head !== null) {
        if (tail === null) out.firstNetBuffer = head;
        else tail.next = head;
        tail = last;
      }
    }
    if (result !== TxResult.Ok) {
      releaseNetBuffers(out);
      out.info.tcpLargeSend = 0;
      out.info.tcpIpChecksum = 0;
      out.info.tcpSendOffloadsSupplemental = 0;
    }
    return result;
  }

  /** The offload path applies to this LSO frame: the adapter below segments for this inner IP version. */
  #offloadLso(lso: number, b: Uint8Array, f: number, len: number): boolean {
    const lo = this.lowerOffload;
    if (!lo.lso4 && !lo.lso6) return false;
    const L = this.#layout;
    if (lsoType(lso) !== NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE || !locateHeaders(b, f, len, L)) return false;
    return L.ipVersion === 6 ? lo.lso6 : lo.lso4;
  }

  #allocFrom(pool: NetBufferPool | null, frameLength: number): NetBuffer | null {
    if (pool === null) return null;
    const nb = pool.allocate();
    if (nb === null) return null;
    const mdl = nb.poolMdl!;
    if (this.backfill + frameLength > mdl.byteCount) {
      pool.free(nb);
      return null;
    }
    nb.setData(mdl, this.backfill, frameLength);
    return nb;
  }

  /** One frame (no LSO): inner checksums by the adapter below when it can, else here. */
  #frame(b: Uint8Array, f: number, len: number, cs: number, single: boolean, out: NetBufferList): NetBuffer | TxResult {
    const overhead = this.overhead;
    const nb = this.#allocFrom(this.small, overhead + len);
    if (nb === null) return TxResult.Resources;
    const m = nb.poolMdl!;
    const o = m.byteOffset + this.backfill;
    const d = m.bytes;
    d.set(b.subarray(f, f + len), o + overhead);
    let wantCs = (cs & (CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IS_IPV6)) !== 0;
    if (wantCs && single) {
      const L = this.#layout;
      const lo = this.lowerOffload;
      if (locateHeaders(d, o + overhead, len, L) && (L.ipVersion === 6 ? lo.checksum6 : lo.checksum4)) {
        const supp = this.#supplemental(d, o + overhead, len, L, overhead);
        if (supp >= 0) {
          out.info.tcpIpChecksum = checksumTxValue(CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IP_HEADER_CHECKSUM | (cs & (CHECKSUM_TX_TCP_CHECKSUM | CHECKSUM_TX_UDP_CHECKSUM)), 0);
          out.info.tcpSendOffloadsSupplemental = supp;
          this.counters.txOffloadChecksum++;
          this.lastPath = TxPath.Offload;
          wantCs = false;
        }
      }
    }
    if (wantCs) {
      if (!this.#finishChecksums(cs, d, o + overhead, len)) {
        this.#free(nb);
        return TxResult.Malformed;
      }
      this.counters.txSoftwareChecksum++;
      this.lastPath = TxPath.Software;
    }
    writeOuterHeaders(d, o, this.tunnel, len, this.#ipId++, this.#port(d, o + overhead, len));
    this.counters.txFrames++;
    this.counters.txBytes += len;
    return nb;
  }

  /** The offload path for an LSO frame: one underlay frame with LsoV2 + checksum + supplemental info. */
  #sendLsoWhole(lso: number, b: Uint8Array, f: number, len: number, out: NetBufferList): NetBuffer | TxResult {
    const L = this.#layout; // located by #offloadLso
    const tcp = lsoTcpHeaderOffset(lso);
    if (L.l4Protocol !== IpProtocol.Tcp || L.l4Offset !== tcp || tcp + TCP_HEADER_LEN > len) return TxResult.Malformed;
    const thl = (b[f + tcp + TcpField.DataOffsetFlags]! >> 4) * 4;
    if (thl < TCP_HEADER_LEN || tcp + thl > len) return TxResult.Malformed;
    const overhead = this.overhead;
    // §6.5: the protocol (here: the gateway) reduces the MSS by the encapsulation overhead.
    const room = this.innerFrameMax - (tcp + thl);
    const mss = Math.min(lsoMss(lso), room);
    if (mss <= 0) return TxResult.Oversize;
    const supp = this.#supplemental(b, f, len, L, overhead);
    if (supp < 0 || (this.lowerOffload.maxHeaderSize > 0 && overhead + tcp + thl > this.lowerOffload.maxHeaderSize)) return TxResult.Oversize;
    const nb = this.#allocFrom(this.large, overhead + len);
    if (nb === null) return TxResult.Resources;
    const m = nb.poolMdl!;
    const o = m.byteOffset + this.backfill;
    m.bytes.set(b.subarray(f, f + len), o + overhead);
    writeOuterHeaders(m.bytes, o, this.tunnel, len, this.#ipId++, this.#port(b, f, len));
    // The outer IP ID advances once per segment the adapter below makes (§6.5).
    const payload = len - tcp - thl;
    this.#ipId += Math.max(1, Math.ceil(payload / mss)) - 1;
    out.info.tcpLargeSend = lsoTransmitValue(NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE, mss, Math.min(overhead + tcp, 0x3ff), NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4);
    out.info.tcpIpChecksum = checksumTxValue(CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IP_HEADER_CHECKSUM | CHECKSUM_TX_TCP_CHECKSUM, 0);
    out.info.tcpSendOffloadsSupplemental = supp;
    this.counters.txOffloadLso++;
    this.counters.txFrames++;
    this.counters.txBytes += len;
    this.lastPath = TxPath.Offload;
    return nb;
  }

  /** The supplemental info for the inner frame at `b[f…]` (layout `L`) behind `overhead` bytes; -1 if it does not fit. */
  #supplemental(b: Uint8Array, f: number, _len: number, L: FrameLayout, overhead: number): number {
    const v6 = L.ipVersion === 6;
    const tcpOptions = L.l4Protocol === IpProtocol.Tcp && (b[f + L.l4Offset + TcpField.DataOffsetFlags]! >> 4) * 4 > TCP_HEADER_LEN;
    return encapsulatedPacketOffsets(overhead, L.ipOffset, L.l4Offset - L.ipOffset, v6, tcpOptions);
  }

  /** The software path for an LSO frame: segments written straight into underlay NetBuffers behind their outer headers. */
  #segment(lso: number, b: Uint8Array, f: number, len: number): NetBuffer | TxResult {
    this.#segHead = this.#segTail = this.#segNb = null;
    this.#segOversize = false;
    this.#segPort = this.#port(b, f, len);
    // As on the offload path (§6.5), the MSS shrinks to what fits the underlay behind the overhead.
    const tcp = lsoTcpHeaderOffset(lso);
    if (tcp + TCP_HEADER_LEN <= len) {
      const room = this.innerFrameMax - tcp - (b[f + tcp + TcpField.DataOffsetFlags]! >> 4) * 4;
      if (room > 0 && lsoMss(lso) > room) lso = lsoTransmitValue(lsoType(lso), room, tcp, lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE ? lsoV2IpVersion(lso) : 0);
    }
    const n = this.#segmenter.segment(b, f, len, lso, this.#nextSegment, this.#segmentDone);
    const head = this.#segHead as NetBuffer | null;
    if (n < 0 || this.#segOversize || this.#segNb !== null || head === null) {
      if (this.#segNb !== null) this.#free(this.#segNb);
      this.#segNb = null;
      for (let nb: NetBuffer | null = head; nb !== null; ) {
        const next: NetBuffer | null = (nb as NetBuffer).next;
        (nb as NetBuffer).next = null;
        this.#free(nb as NetBuffer);
        nb = next;
      }
      this.#segHead = this.#segTail = null;
      if (this.#segOversize) return TxResult.Oversize;
      return n < 0 ? TxResult.Malformed : TxResult.Resources;
    }
    this.counters.txSoftwareLso++;
    this.counters.txSoftwareSegments += n;
    this.lastPath = TxPath.Software;
    return head;
  }

  #allocSegment(length: number, target: SegmentTarget): boolean {
    if (length > this.innerFrameMax) {
      this.#segOversize = true;
      return false;
    }
    const nb = this.#allocFrom(this.small, this.overhead + length);
    if (nb === null) return false;
    const m = nb.poolMdl!;
    target.bytes = m.bytes;
    target.offset = m.byteOffset + this.backfill + this.overhead;
    this.#segNb = nb;
    return true;
  }

  #finishSegment(length: number): void {
    const nb = this.#segNb!;
    this.#segNb = null;
    const m = nb.poolMdl!;
    writeOuterHeaders(m.bytes, m.byteOffset + this.backfill, this.tunnel, length, this.#ipId++, this.#segPort);
    if (this.#segTail === null) this.#segHead = nb;
    else this.#segTail.next = nb;
    this.#segTail = nb;
    this.counters.txFrames++;
    this.counters.txBytes += length;
  }

  #port(b: Uint8Array, f: number, len: number): number {
    return this.tunnel.kind === OverlayKind.Vxlan ? flowSourcePort(b, f, len) : 0;
  }

  #free(nb: NetBuffer): void {
    (nb.home as NetBufferPool).free(nb);
  }

  /**
   * Completes in `b[f, f + len)` the checksums checksum info `cs` asks for (the transport field holds the
   * protocol's pseudo-header sum). False when the frame does not have the headers the info names.
   */
  #finishChecksums(cs: number, b: Uint8Array, f: number, len: number): boolean {
    const L = this.#layout;
    if (!locateHeaders(b, f, len, L)) return false;
    const v6 = L.ipVersion === 6;
    if ((cs & CHECKSUM_TX_IS_IPV6) !== 0 !== v6) return false;
    if (!v6 && (cs & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0) {
      const at = f + L.ipOffset + Ipv4Field.Checksum;
      write16(b, at, 0);
      write16(b, at, finishChecksum(onesComplementSum(b, f + L.ipOffset, L.ipHeaderLength)));
    }
    let start = -1;
    let off = 0;
    if ((cs & CHECKSUM_TX_TCP_CHECKSUM) !== 0) {
      const given = checksumTxTcpHeaderOffset(cs);
      if (L.l4Protocol !== IpProtocol.Tcp || (given !== 0 && given !== L.l4Offset)) return false;
      start = L.l4Offset;
      off = TcpField.Checksum;
    } else if ((cs & CHECKSUM_TX_UDP_CHECKSUM) !== 0) {
      if (L.l4Protocol !== IpProtocol.Udp) return false;
      start = L.l4Offset;
      off = UdpField.Checksum;
    }
    if (off !== 0) {
      if (start + off + 2 > len) return false;
      let c = finishChecksum(onesComplementSum(b, f + start, len - start));
      if (c === 0 && off === UdpField.Checksum) c = 0xffff;
      write16(b, f + start + off, c);
    }
    return true;
  }
}

/** Gives back every NetBuffer of an underlay NBL to its pool (at completion, or after a failed encapsulation). */
export function releaseNetBuffers(nbl: NetBufferList): void {
  for (let nb = nbl.firstNetBuffer; nb !== null; ) {
    const next: NetBuffer | null = nb.next;
    nb.next = null;
    (nb.home as NetBufferPool).free(nb);
    nb = next;
  }
  nbl.firstNetBuffer = null;
}
