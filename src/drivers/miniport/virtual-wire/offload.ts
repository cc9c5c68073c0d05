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
  lsoMss,
  lsoTcpHeaderOffset,
  lsoV2IpVersion,
  rscInfoValue,
  type NdisOffload,
  type NetBufferList,
} from '../../../ndis/index.js';
import { read16, write16 } from '../../../wire/bytes.js';
import { finishChecksum, onesComplementSum } from '../../../wire/checksum.js';
import { Ipv4Field } from '../../../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../../../wire/ipv6.js';
import { IpProtocol } from '../../../wire/numbers.js';
import { TCP_HEADER_LEN, TcpField } from '../../../wire/tcp.js';
import { UdpField } from '../../../wire/udp.js';
import { FrameLayout, locateHeaders } from '../../common/frame-layout.js';
import { RX_TCP4, RX_UDP4, RX_IP4, RX_TCP6, RX_UDP6, RSC4, RSC6, TX_IP4, TX_TCP4, TX_TCP6, TX_UDP4, TX_UDP6, offloadMask, txChecksumMask } from '../../common/offload-mask.js';
import { enabledChecksumRequest, honouredChecksumRequest } from '../../common/offload-requests.js';

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
}


export class WireOffload {
  readonly counters = new WireOffloadCounters();
  readonly #layout = new FrameLayout();
  #mask = 0;
  #tx = 0;

  /** The current configuration; `v4` / `v6`: OID_OFFLOAD_ENCAPSULATION enabled receive offloads for the family. */
  configure(o: NdisOffload, v4: boolean, v6: boolean): void {
    this.#mask = offloadMask(o, v4, v6);
    this.#tx = txChecksumMask(o);
  }

  /**
   * Sender: the checksum request `cs` without the checksums this adapter's current configuration does
   * not enable (§2.2: they are not performed), 0 when nothing is left; contradictory requests (both IP
   * versions, both transports) keep nothing of what they contradict. The receiver checks the frame.
   */
  txChecksumRequest(cs: number): number {
    return enabledChecksumRequest(cs, this.#tx);
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
