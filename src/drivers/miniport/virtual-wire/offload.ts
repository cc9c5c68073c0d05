/**
 * Task offloads on a virtual wire. The "hardware" of both ends is this process, so the work happens
 * where the frame is copied into the receiving adapter's buffer:
 *
 *   - checksum offload: the receiver finishes the checksums the sender's NBL info asked for (the IPv4
 *     header checksum, the TCP/UDP checksum from the pseudo-header sum the protocol left in the field);
 *   - LSOv2: a receiver with RSC on for that IP version takes the large frame whole, as one RSC unit
 *     (like veth handing GRO packets on): lengths and checksums filled in, CoalescedSegCount =
 *     ceil(payload / MSS); any other receiver gets the MSS-sized segments the sender's NIC would have
 *     put on the wire (LsoSegmenter).
 *
 *   - encapsulated offload (NVGRE / VXLAN, §6): the sender checks the frame against its supplemental
 *     info (lying offsets fail the NBL, counted); the receiver finishes the outer / inner / tunnel
 *     checksums (encap-segment.ts) or cuts an encapsulated LSO frame into MSS-sized encapsulated
 *     segments — never taken whole as an RSC unit.
 *
 * Receive checksum bits are reported only for offloads the receiver has enabled (after
 * OID_OFFLOAD_ENCAPSULATION); the frames themselves are always complete and correct.
 */
import {
  CHECKSUM_RX_IP_CHECKSUM_FAILED,
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED,
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_IS_IPV6,
  CHECKSUM_TX_TCP_CHECKSUM,
  CHECKSUM_TX_UDP_CHECKSUM,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6,
  usoIpVersion,
  usoMss,
  lsoMss,
  lsoType,
  lsoTcpHeaderOffset,
  lsoV2IpVersion,
  NDIS_ENCAPSULATION_TYPE_GRE_MAC,
  NDIS_ENCAPSULATION_TYPE_VXLAN,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_SUCCESS,
  SUPPLEMENTAL_IS_ENCAPSULATED_PACKET,
  encapsulatedOffloadOf,
  rscInfoValue,
  type NdisOffload,
  type NetBuffer,
  type NetBufferList,
} from '../../../ndis/index.js';
import { read16, write16 } from '../../../wire/bytes.js';
import { finishChecksum, onesComplementSum } from '../../../wire/checksum.js';
import { Ipv4Field } from '../../../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../../../wire/ipv6.js';
import { IpProtocol } from '../../../wire/numbers.js';
import { TCP_HEADER_LEN, TcpField } from '../../../wire/tcp.js';
import { UdpField } from '../../../wire/udp.js';
import { ENCAP_HEADERS_TOO_LONG, ENCAP_NOT_ENCAPSULATED, ENCAP_OK, EncapSegmenter, VXLAN_ANY_PORT, locateEncapsulated, type EncapLayout } from '../../common/encap-segment.js';
import { FrameLayout, locateHeaders } from '../../common/frame-layout.js';
import { RX_TCP4, RX_UDP4, RX_IP4, RX_TCP6, RX_UDP6, RSC4, RSC6, LSO4, LSO6, LSOV1, USO4, USO6, TX_IP4, TX_TCP4, TX_TCP6, TX_UDP4, TX_UDP6, offloadMask, txChecksumMask } from '../../common/offload-mask.js';
import { enabledChecksumRequest, honouredChecksumRequest } from '../../common/offload-requests.js';
import { UDP_HEADER_LEN } from '../../common/uso-segment.js';

/** The sender already removed what its configuration does not enable: the receiver checks only the frame. */
const ANY_TX = TX_IP4 | TX_TCP4 | TX_TCP6 | TX_UDP4 | TX_UDP6;

export class WireOffloadCounters {
  /** Frames whose checksums this receiver finished for the sender. */
  rxChecksumFinished = 0;
  /** LSO frames taken whole as RSC units. */
  rxCoalescedFrames = 0;
  rxCoalescedSegments = 0;
  /** LSO frames cut into segments here, and the segments made. */
  rxSegmentedFrames = 0;
  rxSegments = 0;
  /** LSO frames (or segments) lost: malformed, or no receive buffer. */
  rxOffloadDropped = 0;
  /** LSO sends refused by the sender: LSO not enabled for that IP version (§2.4 rule 10), LSOv1, or outside the limits (MSS, MinSegmentCount, MaxOffLoadSize, headers not in the first MDL). */
  txLsoRefused = 0;
  /** LSO/USO sends refused by the sender's checks (`checkLargeSend`): headers not all in the first MDL (or malformed), an MSS above the MTU, fewer segments than MinSegmentCount. */
  txLargeSendHeadersSplit = 0;
  txLargeSendBadMss = 0;
  txLargeSendTooFewSegments = 0;
  /** USO: sends refused (not enabled, or the checks above); large datagrams cut at the receiver, and the datagrams made. */
  txUsoRefused = 0;
  rxUsoSegmentedFrames = 0;
  rxUsoDatagrams = 0;
}

/** `checkLargeSend` refusals. */
export const LARGE_SEND_HEADERS = -1;
export const LARGE_SEND_BAD_MSS = -2;
export const LARGE_SEND_TOO_FEW = -3;


export class WireOffload {
  readonly counters = new WireOffloadCounters();
  readonly #layout = new FrameLayout();
  #mask = 0;
  /** Encapsulated offload (NVGRE / VXLAN, §6): the software engine and what is enabled. */
  readonly encap = new EncapSegmenter();
  #greOn = false;
  #vxlanPort = 0;
  #maxHeader = 0;
  /** Receive checksum bits reported for encapsulated frames (0: not validated, the stack checks). */
  #encapRxBits = 0;
  #tx = 0;

  /** The current configuration; `v4` / `v6`: OID_OFFLOAD_ENCAPSULATION enabled receive offloads for the family. */
  configure(o: NdisOffload, v4: boolean, v6: boolean): void {
    this.#mask = offloadMask(o, v4, v6);
    this.#lsoV1MinSegments = o.lsoV1.ipv4.minSegmentCount;
    const u = o.uso?.ipv4.encapsulation ? o.uso.ipv4 : o.uso?.ipv6;
    this.#usoMinSegments = u?.minSegmentCount ?? 0;
    const e = encapsulatedOffloadOf(o);
    this.#greOn = (e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_GRE_MAC) !== 0;
    this.#vxlanPort = (e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_VXLAN) !== 0 ? e.encapsulatedPacketTaskOffloadVxlan.vxlanUdpPortNumber : 0;
    this.#maxHeader = Math.max(e.encapsulatedPacketTaskOffloadGre.maxHeaderSizeSupported, e.encapsulatedPacketTaskOffloadVxlan.maxHeaderSizeSupported);
    const rx = e.encapsulatedPacketTaskOffloadGre.receiveChecksumOffloadSupported | e.encapsulatedPacketTaskOffloadVxlan.receiveChecksumOffloadSupported;
    this.#encapRxBits = rx !== 0 && (v4 || v6) ? CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED : 0;
    this.#tx = txChecksumMask(o);
  }

  /** Encapsulated offload is enabled for at least one tunnel type. */
  get encapOn(): boolean {
    return this.#greOn || this.#vxlanPort !== 0;
  }

  /** The largest header template an encapsulated send may have (MaxHeaderSizeSupported). */
  get encapMaxHeader(): number {
    return this.#maxHeader;
  }

  /**
   * Sender: may the encapsulated send whose first `n` bytes are `b[f, f + n)` go on the wire? (§6.3:
   * encapsulated offload enabled for its tunnel, its headers and the supplemental info `supp` agree, the
   * encapsulation headers lie in the first MDL — `firstMdlBytes` of them there.) NDIS_STATUS_SUCCESS, or
   * the status to fail the NBL with; refusals are counted in `encap.counters`.
   */
  encapSendStatus(supp: number, b: Uint8Array, f: number, n: number, firstMdlBytes: number): number {
    if (!this.encapOn) {
      this.encap.refused(ENCAP_NOT_ENCAPSULATED);
      return NDIS_STATUS_FAILURE;
    }
    if (this.encap.locate(b, f, n, supp, this.#greOn, this.#vxlanPort, this.#maxHeader) !== ENCAP_OK) return NDIS_STATUS_INVALID_PACKET;
    if (this.encap.layout.innerFrameOffset > firstMdlBytes) {
      this.encap.refused(ENCAP_HEADERS_TOO_LONG);
      return NDIS_STATUS_INVALID_PACKET;
    }
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * Receiver: finishes the sender's requested work on its copy `b[f, f + len)` — the encapsulated
   * checksums when `supp` says encapsulated, the plain ones otherwise — and returns the receive checksum
   * info. The sender already checked an encapsulated frame; one that does not parse here is left alone.
   */
  finishFrame(cs: number, supp: number, b: Uint8Array, f: number, len: number): number {
    if ((supp & SUPPLEMENTAL_IS_ENCAPSULATED_PACKET) === 0) return this.finishChecksums(cs, b, f, len);
    if (locateEncapsulated(b, f, len, supp, true, VXLAN_ANY_PORT, len, this.encap.layout) !== ENCAP_OK) return 0;
    this.encap.checksum(cs, b, f, len);
    return this.#encapRxBits & this.#encapRxBitsFor(this.encap.layout);
  }

  /** Receiver: locates an encapsulated LSO frame the sender checked (for `encap.segment`). */
  locateEncapsulatedLso(supp: number, b: Uint8Array, f: number, len: number): boolean {
    return locateEncapsulated(b, f, len, supp, true, VXLAN_ANY_PORT, len, this.encap.layout) === ENCAP_OK;
  }

  /** Receive checksum bits for the segments of an encapsulated TCP frame just located. */
  encapTcpValidBits(): number {
    return this.#encapRxBits & this.#encapRxBitsFor(this.encap.layout);
  }

  /** IP succeeded needs an IPv4 header (outer or inner); the transport bit is the inner one's. */
  #encapRxBitsFor(L: EncapLayout): number {
    const ip = L.outerIpVersion === 4 || L.innerIpVersion === 4 ? CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED : 0;
    return ip | (L.innerL4Protocol === IpProtocol.Tcp ? CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED : CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED);
  }

  /** Sender: may this LSO info go on the wire? (LSOv1, or LSOv2 for the IP version, enabled.) */
  lsoAllowed(lso: number): boolean {
    if (lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE) return (this.#mask & LSOV1) !== 0;
    return (this.#mask & (lsoV2IpVersion(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 ? LSO6 : LSO4)) !== 0;
  }

  /**
   * Sender: the checksum request `cs` without the checksums this adapter's current configuration does
   * not enable (§2.2: they are not performed), 0 when nothing is left; contradictory requests (both IP
   * versions, both transports) keep nothing of what they contradict. The receiver checks the frame.
   */
  txChecksumRequest(cs: number): number {
    return enabledChecksumRequest(cs, this.#tx);
  }

  /** Sender: may this USO info go on the wire? (USO enabled for its IP version.) */
  usoAllowed(uso: number): boolean {
    return (this.#mask & (usoIpVersion(uso) === NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6 ? USO6 : USO4)) !== 0;
  }

  #lsoV1MinSegments = 0;
  #usoMinSegments = 0;
  /** The link's largest IP datagram; 0 leaves the MSS unchecked. */
  mtu = 0;

  /**
   * Sender: what an LSO (`udp` false) or USO send must meet before it goes on the wire, read from the
   * first MDL only (the stack guarantees every header is there): the headers parse and end inside it,
   * the MSS fits one link-sized frame, LSOv1 and USO make at least MinSegmentCount segments. Returns the
   * TCP/UDP payload bytes, or LARGE_SEND_*.
   */
  checkLargeSend(nb: NetBuffer, info: number, udp: boolean): number {
    const m = nb.currentMdl;
    const L = this.#layout;
    const len = nb.dataLength;
    if (m === null) return LARGE_SEND_HEADERS;
    const first = Math.min(len, m.byteCount - nb.currentMdlOffset);
    const b = m.bytes;
    const f = m.byteOffset + nb.currentMdlOffset;
    if (!locateHeaders(b, f, first, L) || L.l4Protocol !== (udp ? IpProtocol.Udp : IpProtocol.Tcp)) return LARGE_SEND_HEADERS;
    const l4 = L.l4Offset;
    const hdr = udp ? l4 + UDP_HEADER_LEN : l4 + TCP_HEADER_LEN <= first ? l4 + (b[f + l4 + TcpField.DataOffsetFlags]! >> 4) * 4 : first + 1;
    if (hdr > first) return LARGE_SEND_HEADERS;
    const mss = udp ? usoMss(info) : lsoMss(info);
    if (mss === 0 || (this.mtu > 0 && hdr - L.ipOffset + mss > this.mtu)) return LARGE_SEND_BAD_MSS;
    const payload = len - hdr;
    const min = udp ? this.#usoMinSegments : lsoType(info) === NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE ? this.#lsoV1MinSegments : 0;
    if (min > 1 && Math.ceil(payload / mss) < min) return LARGE_SEND_TOO_FEW;
    return payload;
  }

  /** Counts a `checkLargeSend` refusal. */
  countRefusal(code: number, udp: boolean): void {
    const c = this.counters;
    if (code === LARGE_SEND_HEADERS) c.txLargeSendHeadersSplit++;
    else if (code === LARGE_SEND_BAD_MSS) c.txLargeSendBadMss++;
    else c.txLargeSendTooFewSegments++;
    if (udp) c.txUsoRefused++;
    else c.txLsoRefused++;
  }

  /** The receive checksum bits for a complete, correct UDP datagram of this IP version. */
  udpValidBits(v6: boolean): number {
    const m = this.#mask;
    return ((m & (v6 ? RX_UDP6 : RX_UDP4)) !== 0 ? CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED : 0) | (!v6 && (m & RX_IP4) !== 0 ? CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED : 0);
  }

  /** Receiver: takes LSOv2 frames of this IP version whole. */
  rscOn(lso: number): boolean {
    return (this.#mask & (lsoV2IpVersion(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 ? RSC6 : RSC4)) !== 0;
  }

  /** The receive checksum bits for a complete, correct TCP frame of this IP version. */
  tcpValidBits(v6: boolean): number {
    const m = this.#mask;
    return ((m & (v6 ? RX_TCP6 : RX_TCP4)) !== 0 ? CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED : 0) | (!v6 && (m & RX_IP4) !== 0 ? CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED : 0);
  }

  /**
   * Receiver: finishes, in its own copy `b[f, f + len)`, the checksums the sender's checksum info `cs`
   * asked for, and returns the receive checksum info to report. Frames it cannot parse are left as they are.
   */
  finishChecksums(cs: number, b: Uint8Array, f: number, len: number): number {
    if ((cs & (CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IS_IPV6)) === 0) return 0;
    const L = this.#layout;
    if (!locateHeaders(b, f, len, L)) return 0;
    // Only what agrees with the frame (§2.1): the right IP version, transport and TCP header offset.
    const work = honouredChecksumRequest(cs, ANY_TX, L);
    const v6 = L.ipVersion === 6;
    const m = this.#mask;
    let info = 0;
    if ((work & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0) {
      const at = f + L.ipOffset + Ipv4Field.Checksum;
      write16(b, at, 0);
      write16(b, at, finishChecksum(onesComplementSum(b, f + L.ipOffset, L.ipHeaderLength)));
    }
    // The receiving NIC validates the IPv4 header it was handed, whoever computed its checksum.
    if (!v6 && (m & RX_IP4) !== 0) {
      info |= (onesComplementSum(b, f + L.ipOffset, L.ipHeaderLength) & 0xffff) === 0xffff ? CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED : CHECKSUM_RX_IP_CHECKSUM_FAILED;
    }
    let off = 0;
    if ((work & CHECKSUM_TX_TCP_CHECKSUM) !== 0) {
      off = TcpField.Checksum;
      if ((m & (v6 ? RX_TCP6 : RX_TCP4)) !== 0) info |= CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED;
    } else if ((work & CHECKSUM_TX_UDP_CHECKSUM) !== 0) {
      off = UdpField.Checksum;
      if ((m & (v6 ? RX_UDP6 : RX_UDP4)) !== 0) info |= CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED;
    }
    if (off !== 0) {
      const start = L.l4Offset;
      if (start + off + 2 > len) return info & ~(CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED);
      // The field holds the pseudo-header sum: summing over it gives the whole checksum.
      let c = finishChecksum(onesComplementSum(b, f + start, len - start));
      if (c === 0 && off === UdpField.Checksum) c = 0xffff;
      write16(b, f + start + off, c);
    }
    this.counters.rxChecksumFinished++;
    return info;
  }

  /**
   * Receiver with RSC on: turns its copy of an LSOv2 frame into a complete RSC unit (IP length, IPv4
   * header checksum, TCP checksum from the seed) and fills `nbl`'s RSC and checksum info. False when the
   * frame is malformed (the caller drops it).
   */
  finishSuperFrame(lso: number, nbl: NetBufferList, b: Uint8Array, f: number, len: number): boolean {
    const L = this.#layout;
    const tcp = lsoTcpHeaderOffset(lso);
    const mss = lsoMss(lso);
    if (!locateHeaders(b, f, len, L) || L.l4Protocol !== IpProtocol.Tcp || L.l4Offset !== tcp || mss === 0 || tcp + TCP_HEADER_LEN > len) {
      this.counters.rxOffloadDropped++;
      return false;
    }
    const v6 = L.ipVersion === 6;
    const thl = (b[f + tcp + TcpField.DataOffsetFlags]! >> 4) * 4;
    const payload = len - tcp - thl;
    const ipLength = v6 ? len - L.ipOffset - IPV6_HEADER_LEN : len - L.ipOffset;
    if (thl < TCP_HEADER_LEN || payload < 0 || ipLength > 0xffff) {
      this.counters.rxOffloadDropped++;
      return false;
    }
    const ip = f + L.ipOffset;
    if (v6) {
      write16(b, ip + Ipv6Field.PayloadLength, ipLength);
    } else {
      write16(b, ip + Ipv4Field.TotalLength, ipLength);
      write16(b, ip + Ipv4Field.Checksum, 0);
      write16(b, ip + Ipv4Field.Checksum, finishChecksum(onesComplementSum(b, ip, L.ipHeaderLength)));
    }
    const at = f + tcp + TcpField.Checksum;
    const seed = read16(b, at);
    write16(b, at, 0);
    write16(b, at, finishChecksum(onesComplementSum(b, f + tcp, len - tcp, seed + (len - tcp))));
    const segments = Math.max(1, Math.ceil(payload / mss));
    nbl.info.tcpRecvSegCoalesceInfo = rscInfoValue(segments, 0);
    // §4.4: an SCU always reports the IP and TCP checksums succeeded (and here they are also correct).
    nbl.info.tcpIpChecksum = CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | (v6 ? 0 : CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED);
    this.counters.rxCoalescedFrames++;
    this.counters.rxCoalescedSegments += segments;
    return true;
  }
}
