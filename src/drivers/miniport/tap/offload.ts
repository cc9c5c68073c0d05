/**
 * Task offloads of the TAP miniport: NDIS per-packet offload info ↔ the virtio-net header.
 *
 * Transmit (NDIS → kernel): checksum NBL info becomes VIRTIO_NET_HDR_F_NEEDS_CSUM with csum_start /
 * csum_offset (the protocol left the pseudo-header sum, length included, in the field, which is what
 * the kernel expects too); LSOv2 NBL info becomes gso_type TCPV4/TCPV6 + gso_size = MSS. Three header
 * fields differ between the two worlds and are patched just for the write, then restored: the IP length
 * (LSOv2 leaves it 0; the kernel checks it), the IPv4 header checksum (the kernel never computes it, but
 * verifies it), and the LSO pseudo-header seed (NDIS leaves the TCP length out, Linux wants it in).
 *
 * Receive (kernel → NDIS): DATA_VALID / NEEDS_CSUM become checksum-succeeded bits for the right
 * protocol (a partial TCP checksum is reported as TcpChecksumValueInvalid; a partial one NDIS has no
 * such bit for, or one for an offload the protocol switched off, is finished in software); a GSO frame
 * (gso_type TCPV4/TCPV6) becomes one RSC unit with CoalescedSegCount = ceil(payload / gso_size).
 *
 * Nothing here allocates per frame: one parse result and the patch record are reused.
 */
import {
  CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED,
  CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID,
  CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED,
  CHECKSUM_TX_IP_HEADER_CHECKSUM,
  CHECKSUM_TX_IS_IPV4,
  CHECKSUM_TX_IS_IPV6,
  CHECKSUM_TX_TCP_CHECKSUM,
  CHECKSUM_TX_UDP_CHECKSUM,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_SUCCESS,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE,
  NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6,
  usoIpVersion,
  usoMss,
  lsoMss,
  lsoTcpHeaderOffset,
  lsoType,
  lsoV2IpVersion,
  rscInfoValue,
  NDIS_ENCAPSULATION_TYPE_GRE_MAC,
  NDIS_ENCAPSULATION_TYPE_VXLAN,
  encapsulatedOffloadOf,
  type NdisOffload,
  type NdisStatus,
  type NetBufferList,
} from '../../../ndis/index.js';
import { TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN } from '../../../io/tun/tap-device.js';
import {
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_ECN,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VIRTIO_NET_HDR_GSO_UDP_L4,
  VIRTIO_NET_HDR_SIZE,
} from '../../../io/tun/vnet-header.js';
import { read16, write16 } from '../../../wire/bytes.js';
import { finishChecksum, foldChecksum, internetChecksum, onesComplementSum } from '../../../wire/checksum.js';
import { Ipv4Field } from '../../../wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Field } from '../../../wire/ipv6.js';
import { IpProtocol } from '../../../wire/numbers.js';
import { ENCAP_OK, EncapLayout, parseEncapsulated, validateEncapsulatedChecksums } from '../../common/encap-segment.js';
import { FrameLayout, MAX_GSO_FRAME, locateHeaders } from '../../common/frame-layout.js';

export { FrameLayout, MAX_GSO_FRAME, locateHeaders };
import { TCP_HEADER_LEN, TcpField, TcpFlags } from '../../../wire/tcp.js';
import { UdpField } from '../../../wire/udp.js';
import { RX_TCP4, RX_UDP4, RX_IP4, RX_TCP6, RX_UDP6, RSC4, RSC6, LSO4, LSO6, LSOV1, USO4, USO6, offloadMask, txChecksumMask } from '../../common/offload-mask.js';
import { USO_SEGMENT_BAD_MSS, USO_SEGMENT_TOO_LARGE, UDP_HEADER_LEN, UsoSegmenter, type UsoLimits } from '../../common/uso-segment.js';
import { honouredChecksumRequest } from '../../common/offload-requests.js';


function writeLe16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

function readLe16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

/** What the offload paths did, for `inspect()` and OID_TCP_RSC_STATISTICS. */
export class TapOffloadCounters {
  txChecksumOffloaded = 0;
  txLsoFrames = 0;
  /** Segments the kernel will cut the LSO frames into. */
  txLsoSegments = 0;
  txLsoPayloadBytes = 0;
  /** Sends with offload info the TAP could not honour (malformed headers, LSO/USO while switched off, the reasons below). */
  txOffloadRefused = 0;
  /** LSOv1 NBLs handed to the kernel (IPv4 only), and their TCP payload (written back as TcpPayload). */
  txLsoV1Frames = 0;
  /** LSO/USO refused: MSS above what one link-sized frame carries, or fewer segments than MinSegmentCount. */
  txLargeSendBadMss = 0;
  txLargeSendTooFewSegments = 0;
  /** LSO/USO refused: the headers were not all in the first MDL (the stack guarantees they are). */
  txLargeSendHeadersSplit = 0;
  /** USO NBLs: cut by the kernel (VIRTIO_NET_HDR_GSO_UDP_L4), or by the software engine; datagrams made. */
  txUsoKernelFrames = 0;
  txUsoSoftwareFrames = 0;
  txUsoDatagrams = 0;
  txUsoPayloadBytes = 0;
  txUsoRefused = 0;
  rxChecksumValidated = 0;
  /** Partial checksums finished in software (the protocol did not enable that receive offload). */
  rxChecksumCompleted = 0;
  rxCoalescedFrames = 0;
  rxCoalescedSegments = 0;
  rxCoalescedBytes = 0;
  /** Received frames dropped: a GSO frame with RSC off for its IP version, or a malformed virtio-net header. */
  rxOffloadDropped = 0;
  /** NVGRE / VXLAN frames whose outer and inner checksums were checked here (encapsulated offload on). */
  rxEncapsulatedValidated = 0;
}


/** Header fields one write may patch: USO over IPv4 patches four (total length, header checksum, UDP length, seed). */
export const TAP_MAX_PATCHES = 4;

export class TapOffload {
  readonly counters = new TapOffloadCounters();
  readonly #layout = new FrameLayout();
  #mask = 0;
  /** Transmit checksum offloads enabled (TX_* bits). */
  #tx = 0;
  // Header fields patched for the write in progress: (offset, original value) pairs.
  readonly #patchAt = new Int32Array(TAP_MAX_PATCHES);
  readonly #patchWas = new Int32Array(TAP_MAX_PATCHES);
  #patches = 0;
  /** The link's largest IP datagram (the MTU); 0 leaves MSS unchecked. Set by the adapter. */
  mtu = 0;
  /** The kernel takes VIRTIO_NET_HDR_GSO_UDP_L4 frames (probed with TUNSETOFFLOAD USO4|USO6 at start). */
  kernelUso = false;
  /** After `transmit` returned SUCCESS: the USO send must be written as software-made datagrams (`segmentUso`). */
  softwareUso = false;
  /** After `transmit` returned SUCCESS for an LSO/USO send: its TCP/UDP payload bytes. */
  largeSendPayload = 0;
  readonly uso = new UsoSegmenter();
  readonly #usoLimits: UsoLimits = { maxMss: 0, maxOffLoadSize: 0, minSegmentCount: 0 };
  #lsoV1MinSegments = 0;
  #rxGre = false;
  #rxVxlanPort = 0;
  readonly #encap = new EncapLayout();

  /**
   * Takes in the current configuration; `v4` / `v6`: OID_OFFLOAD_ENCAPSULATION enabled that family.
   * Receive offloads run only for enabled families; transmit checksums only where enabled (§2.2).
   */
  configure(o: NdisOffload, v4: boolean, v6: boolean): void {
    this.#mask = offloadMask(o, v4, v6);
    this.#lsoV1MinSegments = o.lsoV1.ipv4.minSegmentCount;
    // One MinSegmentCount/MaxOffLoadSize for both IP versions: the TAP reports the same for each.
    const u = o.uso?.ipv4.encapsulation ? o.uso.ipv4 : o.uso?.ipv6;
    this.#usoLimits.maxOffLoadSize = u?.maxOffLoadSize ?? 0;
    this.#usoLimits.minSegmentCount = u?.minSegmentCount ?? 0;
    // Receive checksums across NVGRE / VXLAN (§6.4): for the enabled types whose block offers them.
    const e = encapsulatedOffloadOf(o);
    const on = v4 || v6;
    this.#rxGre = on && (e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_GRE_MAC) !== 0 && e.encapsulatedPacketTaskOffloadGre.receiveChecksumOffloadSupported !== 0;
    const vx = e.encapsulatedPacketTaskOffloadVxlan;
    this.#rxVxlanPort = on && (e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_VXLAN) !== 0 && vx.receiveChecksumOffloadSupported !== 0 ? vx.vxlanUdpPortNumber : 0;
    this.#tx = txChecksumMask(o);
  }

  /**
   * TUNSETOFFLOAD bits for the configuration: what the kernel may hand us unfinished. Partial checksums
   * once any receive checksum offload or RSC is on; GSO frames per IP version with RSC.
   */
  get tunFlags(): number {
    const m = this.#mask;
    if ((m & (RX_TCP4 | RX_UDP4 | RX_TCP6 | RX_UDP6 | RSC4 | RSC6)) === 0) return 0;
    let f = TUN_F_CSUM;
    if ((m & RSC4) !== 0) f |= TUN_F_TSO4;
    if ((m & RSC6) !== 0) f |= TUN_F_TSO6;
    if ((m & (RSC4 | RSC6)) !== 0) f |= TUN_F_TSO_ECN;
    return f;
  }

  // -------------------------------------------------------------------------------------------------
  // Receive

  /**
   * Fills the NBL info of a received frame whose virtio-net header (at `h`) is not all zero; the frame
   * is `b[f, f + len)`. False: drop the frame (counted).
   */
  receive(nbl: NetBufferList, b: Uint8Array, h: number, f: number, len: number): boolean {
    const L = this.#layout;
    const ip = locateHeaders(b, f, len, L);
    const flags = b[h]!;
    if (b[h + 1]! !== VIRTIO_NET_HDR_GSO_NONE) return this.#coalesced(nbl, b, h, f, len, ip);
    const m = this.#mask;
    let info = 0;
    if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
      const start = readLe16(b, h + 6);
      const off = readLe16(b, h + 8);
      if (start + off + 2 > len) {
        this.counters.rxOffloadDropped++;
        return false;
      }
      const proto = off === TcpField.Checksum ? IpProtocol.Tcp : off === UdpField.Checksum ? IpProtocol.Udp : -1;
      const v6 = L.ipVersion === 6;
      const tcpOn = (m & (v6 ? RX_TCP6 : RX_TCP4)) !== 0;
      if (ip && proto === IpProtocol.Tcp && tcpOn) {
        // The field holds only the pseudo-header sum: valid data, not a valid checksum value.
        info = CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID;
      } else {
        let c = finishChecksum(onesComplementSum(b, f + start, len - start));
        if (c === 0 && proto === IpProtocol.Udp) c = 0xffff;
        write16(b, f + start + off, c);
        this.counters.rxChecksumCompleted++;
        if (ip && proto === IpProtocol.Udp && (m & (v6 ? RX_UDP6 : RX_UDP4)) !== 0) info = CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED;
      }
      // The kernel built or checked the IPv4 header of any frame it flags.
      if (L.ipVersion === 4 && (m & RX_IP4) !== 0) info |= CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED;
    } else if ((flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0 && ip && (this.#rxGre || this.#rxVxlanPort !== 0) && parseEncapsulated(b, f, len, this.#rxGre, this.#rxVxlanPort, len, this.#encap) === ENCAP_OK) {
      // An NVGRE / VXLAN frame with the offload on: the bits speak for the inner headers (§2.1, §6.4), and
      // the kernel's DATA_VALID covered the outer ones only, so all of them are checked here.
      info = validateEncapsulatedChecksums(b, f, len, this.#encap);
      this.counters.rxEncapsulatedValidated++;
    } else if ((flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0 && ip) {
      const v6 = L.ipVersion === 6;
      if (L.l4Protocol === IpProtocol.Tcp && (m & (v6 ? RX_TCP6 : RX_TCP4)) !== 0) info = CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED;
      else if (L.l4Protocol === IpProtocol.Udp && (m & (v6 ? RX_UDP6 : RX_UDP4)) !== 0) info = CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED;
      if (!v6 && (m & RX_IP4) !== 0) info |= CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED;
    }
    if (info !== 0) this.counters.rxChecksumValidated++;
    nbl.info.tcpIpChecksum = info;
    return true;
  }

  /** A GSO super-frame: one RSC unit, when RSC is on for its IP version. */
  #coalesced(nbl: NetBufferList, b: Uint8Array, h: number, f: number, len: number, ip: boolean): boolean {
    const L = this.#layout;
    const type = b[h + 1]! & ~VIRTIO_NET_HDR_GSO_ECN;
    const gsoSize = readLe16(b, h + 4);
    const want = type === VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : type === VIRTIO_NET_HDR_GSO_TCPV6 ? 6 : 0;
    const on = (this.#mask & (want === 6 ? RSC6 : RSC4)) !== 0;
    const tcp = L.l4Offset;
    const thl = ip && L.l4Protocol === IpProtocol.Tcp && tcp + TCP_HEADER_LEN <= len ? (b[f + tcp + TcpField.DataOffsetFlags]! >> 4) * 4 : 0;
    const payload = len - tcp - thl;
    if (want === 0 || want !== L.ipVersion || !on || gsoSize === 0 || thl < TCP_HEADER_LEN || payload <= 0) {
      this.counters.rxOffloadDropped++;
      return false;
    }
    const segments = Math.ceil(payload / gsoSize);
    nbl.info.tcpRecvSegCoalesceInfo = rscInfoValue(segments, 0);
    // §4.4: an SCU always reports IP and TCP checksums succeeded; the TCP field is not the unit's checksum.
    nbl.info.tcpIpChecksum = CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED | CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID | (want === 4 ? CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED : 0);
    const c = this.counters;
    c.rxCoalescedFrames++;
    c.rxCoalescedSegments += segments;
    c.rxCoalescedBytes += payload;
    return true;
  }

  // -------------------------------------------------------------------------------------------------
  // Transmit

  /**
   * Writes the virtio-net header for `nbl`'s frame `b[f, f + len)` at `h` and patches the header fields
   * the kernel needs (call `restore(b)` after the write). Returns SUCCESS or the status to fail the NBL
   * with (counted in txOffloadRefused).
   */
  transmit(nbl: NetBufferList, b: Uint8Array, h: number, f: number, len: number, firstMdlBytes = len): NdisStatus {
    this.#patches = 0;
    this.softwareUso = false;
    this.largeSendPayload = 0;
    for (let i = 0; i < VIRTIO_NET_HDR_SIZE; i++) b[h + i] = 0;
    const lso = nbl.info.tcpLargeSend;
    if (lso !== 0) return this.#largeSend(lso, b, h, f, len, firstMdlBytes);
    const uso = nbl.info.udpSegmentationOffloadInfo;
    if (uso !== 0) return this.#udpSegmentation(uso, b, h, f, len, firstMdlBytes);
    const cs = nbl.info.tcpIpChecksum;
    if ((cs & (CHECKSUM_TX_IS_IPV4 | CHECKSUM_TX_IS_IPV6)) === 0) return NDIS_STATUS_SUCCESS;
    const L = this.#layout;
    if (!locateHeaders(b, f, len, L)) return this.#refuse(NDIS_STATUS_INVALID_PACKET);
    // §2.2: only the checksums the current configuration enables, where the request agrees with the frame.
    const work = honouredChecksumRequest(cs, this.#tx, L);
    if ((work & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0) this.#ipv4HeaderChecksum(b, f + L.ipOffset, L.ipHeaderLength);
    const off = (work & CHECKSUM_TX_TCP_CHECKSUM) !== 0 ? TcpField.Checksum : (work & CHECKSUM_TX_UDP_CHECKSUM) !== 0 ? UdpField.Checksum : 0;
    if (off !== 0) {
      const start = L.l4Offset;
      if (start + off + 2 > len) return this.#refuse(NDIS_STATUS_INVALID_PACKET);
      b[h] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
      writeLe16(b, h + 6, start);
      writeLe16(b, h + 8, off);
    }
    if (work !== 0) this.counters.txChecksumOffloaded++;
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * LSOv2 and LSOv1 (§2.3, §2.4): the kernel segments; this fixes the length fields and the checksum
   * seed. LSOv1 is IPv4 only and its IP total length is the protocol's (the full large packet: checked,
   * not patched); the kernel's GSO steps the IPv4 ID by one per segment with 16-bit wrap, the LSOv1 rule.
   */
  #largeSend(lso: number, b: Uint8Array, h: number, f: number, len: number, firstMdlBytes: number): NdisStatus {
    const v1 = lsoType(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE;
    const v6 = !v1 && lsoV2IpVersion(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6;
    // §2.4 rule 10: once LSO is switched off, NBLs that still ask for it are dropped.
    if ((this.#mask & (v1 ? LSOV1 : v6 ? LSO6 : LSO4)) === 0) return this.#refuse(NDIS_STATUS_FAILURE);
    const L = this.#layout;
    const mss = lsoMss(lso);
    const tcp = lsoTcpHeaderOffset(lso);
    if (!locateHeaders(b, f, len, L) || L.ipVersion !== (v6 ? 6 : 4) || L.l4Protocol !== IpProtocol.Tcp || L.l4Offset !== tcp || mss === 0 || tcp + TCP_HEADER_LEN > len) {
      return this.#refuse(NDIS_STATUS_INVALID_PACKET);
    }
    const thl = (b[f + tcp + TcpField.DataOffsetFlags]! >> 4) * 4;
    const payload = len - tcp - thl;
    const ipLength = v6 ? len - L.ipOffset - IPV6_HEADER_LEN : len - L.ipOffset;
    if (thl < TCP_HEADER_LEN || payload < 0) return this.#refuse(NDIS_STATUS_INVALID_PACKET);
    if (ipLength > 0xffff) return this.#refuse(NDIS_STATUS_INVALID_LENGTH);
    const refused = this.#largeSendLimits(tcp + thl, mss, payload, v1 ? this.#lsoV1MinSegments : 0, firstMdlBytes, L.ipOffset);
    if (refused !== NDIS_STATUS_SUCCESS) return refused;
    const ipAt = f + L.ipOffset;
    if (v1) {
      // The protocol set the total length of the whole large packet (§2.4); a different one is refused.
      if (read16(b, ipAt + Ipv4Field.TotalLength) !== ipLength) return this.#refuse(NDIS_STATUS_INVALID_PACKET);
      this.#ipv4HeaderChecksum(b, ipAt, L.ipHeaderLength);
      this.counters.txLsoV1Frames++;
    } else if (v6) {
      this.#patch(b, ipAt + Ipv6Field.PayloadLength, ipLength);
    } else {
      this.#patch(b, ipAt + Ipv4Field.TotalLength, ipLength);
      this.#ipv4HeaderChecksum(b, ipAt, L.ipHeaderLength);
    }
    // NDIS's seed leaves the TCP length out (each segment has its own); Linux's has the whole length in.
    const seedAt = f + tcp + TcpField.Checksum;
    this.#patch(b, seedAt, foldChecksum(read16(b, seedAt) + (len - tcp)));
    b[h] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    writeLe16(b, h + 2, tcp + thl);
    writeLe16(b, h + 6, tcp);
    writeLe16(b, h + 8, TcpField.Checksum);
    if (payload > mss) {
      const cwr = (b[f + tcp + TcpField.Flags]! & TcpFlags.Cwr) !== 0;
      b[h + 1] = (v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4) | (cwr ? VIRTIO_NET_HDR_GSO_ECN : 0);
      writeLe16(b, h + 4, mss);
    }
    const c = this.counters;
    c.txLsoFrames++;
    c.txLsoSegments += Math.max(1, Math.ceil(payload / mss));
    c.txLsoPayloadBytes += payload;
    this.largeSendPayload = payload;
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * What every large send must meet before it reaches the kernel: all headers (`hdr` bytes) in the
   * first MDL, an MSS that one link-sized frame can carry, at least `minSegments` segments.
   */
  #largeSendLimits(hdr: number, mss: number, payload: number, minSegments: number, firstMdlBytes: number, ipOffset: number): NdisStatus {
    const c = this.counters;
    if (hdr > firstMdlBytes) {
      c.txLargeSendHeadersSplit++;
      return this.#refuse(NDIS_STATUS_INVALID_PACKET);
    }
    if (this.mtu > 0 && hdr - ipOffset + mss > this.mtu) {
      c.txLargeSendBadMss++;
      return this.#refuse(NDIS_STATUS_INVALID_LENGTH);
    }
    if (minSegments > 1 && Math.ceil(payload / mss) < minSegments) {
      c.txLargeSendTooFewSegments++;
      return this.#refuse(NDIS_STATUS_INVALID_PACKET);
    }
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * USO: checked by the software engine, then either handed to the kernel as one GSO_UDP_L4 frame (when
   * it takes them and the datagram has a checksum: Linux's UDP GSO always finishes one) with the lengths
   * and seed fixed for it, or left to `segmentUso` (`softwareUso` set).
   */
  #udpSegmentation(uso: number, b: Uint8Array, h: number, f: number, len: number, firstMdlBytes: number): NdisStatus {
    const c = this.counters;
    const v6 = usoIpVersion(uso) === NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6;
    if ((this.#mask & (v6 ? USO6 : USO4)) === 0) {
      c.txUsoRefused++;
      return this.#refuse(NDIS_STATUS_FAILURE);
    }
    const n = this.uso.check(b, f, len, uso, this.#usoLimits, this.mtu);
    const L = this.uso.layout;
    if (n < 0) {
      c.txUsoRefused++;
      if (n === USO_SEGMENT_BAD_MSS) c.txLargeSendBadMss++;
      if (n === USO_SEGMENT_TOO_LARGE) return this.#refuse(NDIS_STATUS_INVALID_LENGTH);
      return this.#refuse(n === USO_SEGMENT_BAD_MSS ? NDIS_STATUS_INVALID_LENGTH : NDIS_STATUS_INVALID_PACKET);
    }
    const udp = L.l4Offset;
    if (udp + UDP_HEADER_LEN > firstMdlBytes) {
      c.txUsoRefused++;
      c.txLargeSendHeadersSplit++;
      return this.#refuse(NDIS_STATUS_INVALID_PACKET);
    }
    const payload = this.uso.payload;
    c.txUsoDatagrams += n;
    c.txUsoPayloadBytes += payload;
    this.largeSendPayload = payload;
    const seedAt = f + udp + UdpField.Checksum;
    const seed = read16(b, seedAt);
    if (!this.kernelUso || (!v6 && seed === 0)) {
      c.txUsoSoftwareFrames++;
      this.softwareUso = true;
      return NDIS_STATUS_SUCCESS;
    }
    const ipAt = f + L.ipOffset;
    if (v6) {
      this.#patch(b, ipAt + Ipv6Field.PayloadLength, len - L.ipOffset - IPV6_HEADER_LEN);
    } else {
      this.#patch(b, ipAt + Ipv4Field.TotalLength, len - L.ipOffset);
      this.#ipv4HeaderChecksum(b, ipAt, L.ipHeaderLength);
    }
    // Linux's UDP GSO wants the whole datagram's UDP length and a seed with it in; it rewrites both per segment.
    const udpLen = len - udp;
    this.#patch(b, f + udp + UdpField.Length, udpLen);
    this.#patch(b, seedAt, foldChecksum(seed + udpLen));
    b[h] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    writeLe16(b, h + 2, udp + UDP_HEADER_LEN);
    writeLe16(b, h + 6, udp);
    writeLe16(b, h + 8, UdpField.Checksum);
    if (n > 1) {
      b[h + 1] = VIRTIO_NET_HDR_GSO_UDP_L4;
      writeLe16(b, h + 4, usoMss(uso));
    }
    c.txUsoKernelFrames++;
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * The software half of USO: cuts the frame `src[f, f + len)` (already checked by `transmit`) into
   * datagrams, each written into `scratch` after an empty virtio-net header of `vnet` bytes and handed
   * to `write`. Returns the UDP payload bytes of the datagrams written (all of them unless a write failed).
   */
  segmentUso(uso: number, src: Uint8Array, f: number, len: number, scratch: Uint8Array, vnet: number, write: (length: number) => boolean): number {
    let sent = 0;
    let failed = false;
    const mss = usoMss(uso);
    const n = this.uso.segment(src, f, len, uso, this.#usoLimits, (segLen, _i, t) => {
      if (failed || vnet + segLen > scratch.length) return false;
      scratch.fill(0, 0, vnet);
      t.bytes = scratch;
      t.offset = vnet;
      return true;
    }, (segLen) => {
      if (write(vnet + segLen)) sent += Math.min(mss, segLen - (this.uso.layout.l4Offset + UDP_HEADER_LEN));
      else failed = true;
    }, this.mtu);
    return n < 0 ? 0 : sent;
  }

  /** The kernel verifies IPv4 header checksums and never computes them: do it here (field zeroed first). */
  #ipv4HeaderChecksum(b: Uint8Array, ip: number, ihl: number): void {
    this.#patch(b, ip + Ipv4Field.Checksum, 0);
    write16(b, ip + Ipv4Field.Checksum, internetChecksum(b, ip, ihl));
  }

  #patch(b: Uint8Array, at: number, value: number): void {
    const i = this.#patches++;
    this.#patchAt[i] = at;
    this.#patchWas[i] = read16(b, at);
    write16(b, at, value);
  }

  /** Puts the patched fields back (the NBL's memory belongs to the protocol). */
  restore(b: Uint8Array): void {
    for (let i = this.#patches - 1; i >= 0; i--) write16(b, this.#patchAt[i]!, this.#patchWas[i]!);
    this.#patches = 0;
  }

  /**
   * For a write that completes later (io_uring): moves the patch record to `at`/`was` from `base`
   * (TAP_MAX_PATCHES entries' room) instead of restoring now, and returns how many; the caller restores them (big-endian
   * 16-bit fields) once the kernel has copied the frame.
   */
  movePatches(at: Int32Array, was: Int32Array, base: number): number {
    const n = this.#patches;
    for (let i = 0; i < n; i++) {
      at[base + i] = this.#patchAt[i]!;
      was[base + i] = this.#patchWas[i]!;
    }
    this.#patches = 0;
    return n;
  }

  #refuse(status: NdisStatus): NdisStatus {
    this.counters.txOffloadRefused++;
    return status;
  }
}
