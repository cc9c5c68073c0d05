/**
 * Encapsulated (NVGRE / VXLAN) sends on the TAP, §6.3–§6.5. The virtio-net header has no GRE GSO at
 * all, and its UDP-tunnel GSO (Linux 6.17+: TUN_F_UDP_TUNNEL_GSO / _CSUM, the 24-byte
 * virtio_net_hdr_v1_hash_tunnel, gso_type VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4/6 = 0x20/0x40) would also
 * make the kernel hand us tunnel GSO super-frames on receive, which NDIS has no receive form for. So
 * every encapsulated send takes the software path here, on every kernel: the frame is checked against
 * its supplemental info (lying offsets fail the NBL, counted), then either its checksums are finished
 * (outer IPv4, inner IPv4, inner TCP/UDP, VXLAN outer UDP) or it is cut into MTU-sized encapsulated
 * segments (encap-segment.ts), each written with an empty virtio-net header. Whether the kernel would
 * take the tunnel GSO path is probed once at initialization and shown (`kernelUdpTunnelGso`).
 *
 * No allocation per frame: the gather buffer, the segment buffer and the callbacks are the sender's.
 */
import {
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_INVALID_PACKET,
  NDIS_STATUS_SUCCESS,
  NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
  ByteSpan,
  encapsulatedOffloadOf,
  lsoMss,
  lsoType,
  lsoV2IpVersion,
  NDIS_ENCAPSULATION_TYPE_GRE_MAC,
  NDIS_ENCAPSULATION_TYPE_VXLAN,
  type NdisOffload,
  type NdisStatus,
  type NetBuffer,
  type NetBufferList,
} from '../../../ndis/index.js';
import { writeEmptyVnetHeader } from '../../../io/tun/vnet-header.js';
import { ENCAP_BAD_LSO, ENCAP_HEADERS_TOO_LONG, ENCAP_NOT_ENCAPSULATED, ENCAP_OK, EncapSegmenter } from '../../common/encap-segment.js';
import { MAX_GSO_FRAME } from '../../common/frame-layout.js';
import type { SegmentTarget } from '../../common/lso-segment.js';

/** TUNSETOFFLOAD bits of UDP-tunnel GSO (Linux 6.17+; not in older uapi headers). */
export const TUN_F_UDP_TUNNEL_GSO = 0x080;
export const TUN_F_UDP_TUNNEL_GSO_CSUM = 0x100;

/** Writes `n` bytes of `b` (virtio-net header first) to the TAP; the write(2) result. */
export type TapWrite = (b: Uint8Array, n: number) => number;

export class TapEncapSender {
  readonly engine = new EncapSegmenter();
  /** Which path encapsulated sends take: always 'software' (see the module comment). */
  readonly path = 'software';
  /** Encapsulated frames written (segments included), and LSO frames segmented here. */
  framesWritten = 0;
  writeErrors = 0;
  #greOn = false;
  #vxlanPort = 0;
  #maxHeader = 0;
  #lso4 = false;
  #lso6 = false;
  readonly #gather = new Uint8Array(MAX_GSO_FRAME);
  readonly #span = new ByteSpan();
  #out: Uint8Array;
  #vnet = 0;
  #maxLen = 0;
  #write: TapWrite = () => -1;
  #failed = false;

  constructor(vnet: number, maxFrame: number) {
    this.#vnet = vnet;
    this.#maxLen = maxFrame;
    this.#out = new Uint8Array(vnet + maxFrame);
  }

  /** The current configuration: which tunnels are on, on which VXLAN port, and LSOv2 per IP version. */
  configure(o: NdisOffload): void {
    const e = encapsulatedOffloadOf(o);
    this.#greOn = (e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_GRE_MAC) !== 0;
    this.#vxlanPort = (e.encapsulationTypes & NDIS_ENCAPSULATION_TYPE_VXLAN) !== 0 ? e.encapsulatedPacketTaskOffloadVxlan.vxlanUdpPortNumber : 0;
    this.#maxHeader = Math.max(e.encapsulatedPacketTaskOffloadGre.maxHeaderSizeSupported, e.encapsulatedPacketTaskOffloadVxlan.maxHeaderSizeSupported);
    this.#lso4 = o.lsoV2.ipv4.encapsulation !== 0;
    this.#lso6 = o.lsoV2.ipv6.encapsulation !== 0;
  }

  /**
   * Sends every frame of the encapsulated NBL `nbl` (its supplemental info `supp`) through `write`.
   * NDIS_STATUS_SUCCESS, or the status to fail the NBL with (refusals counted in `engine.counters`).
   */
  send(nbl: NetBufferList, supp: number, write: TapWrite): NdisStatus {
    const e = this.engine;
    if (!this.#greOn && this.#vxlanPort === 0) {
      e.refused(ENCAP_NOT_ENCAPSULATED);
      return NDIS_STATUS_FAILURE;
    }
    const lso = nbl.info.tcpLargeSend;
    const cs = nbl.info.tcpIpChecksum;
    if (lso !== 0) {
      // §2.4 rule 10 and §6.5: LSOv2 only, and only while enabled for the IP version it names.
      const on = lsoV2IpVersion(lso) === NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 ? this.#lso6 : this.#lso4;
      if (lsoType(lso) !== NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE || !on) {
        e.refused(ENCAP_BAD_LSO);
        return NDIS_STATUS_FAILURE;
      }
    }
    this.#write = write;
    for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
      const status = this.#frame(nb, supp, lso, cs);
      if (status !== NDIS_STATUS_SUCCESS) return status;
    }
    return NDIS_STATUS_SUCCESS;
  }

  #frame(nb: NetBuffer, supp: number, lso: number, cs: number): NdisStatus {
    const e = this.engine;
    const len = nb.dataLength;
    const m = nb.currentMdl;
    const span = this.#span;
    if (m === null || len > MAX_GSO_FRAME || (lso === 0 && len > this.#maxLen)) return NDIS_STATUS_INVALID_LENGTH;
    if (!nb.getDataBuffer(len, this.#gather, span)) return NDIS_STATUS_INVALID_PACKET;
    if (e.locate(span.bytes, span.offset, len, supp, this.#greOn, this.#vxlanPort, this.#maxHeader) !== ENCAP_OK) return NDIS_STATUS_INVALID_PACKET;
    // §6.3: the encapsulation headers lie in the first MDL.
    if (e.layout.innerFrameOffset > m.byteCount - nb.currentMdlOffset) {
      e.refused(ENCAP_HEADERS_TOO_LONG);
      return NDIS_STATUS_INVALID_PACKET;
    }
    const vnet = this.#vnet;
    const out = this.#out;
    if (lso === 0) {
      // A copy: the NBL's memory is the protocol's.
      out.set(span.bytes.subarray(span.offset, span.offset + len), vnet);
      e.checksum(cs, out, vnet, len);
      return this.#emit(vnet + len) ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
    }
    // An MSS that would make segments larger than the MTU: refused whole, nothing written.
    if (e.layout.headerLength + lsoMss(lso) > this.#maxLen) {
      e.refused(ENCAP_BAD_LSO);
      return NDIS_STATUS_INVALID_LENGTH;
    }
    this.#failed = false;
    const made = e.segment(span.bytes, span.offset, len, lso, this.#next, this.#done);
    if (made < 0) return NDIS_STATUS_INVALID_PACKET;
    return this.#failed ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS;
  }

  readonly #next = (length: number, _i: number, t: SegmentTarget): boolean => {
    if (this.#failed || length > this.#maxLen) return false;
    t.bytes = this.#out;
    t.offset = this.#vnet;
    return true;
  };

  readonly #done = (length: number): void => {
    if (!this.#emit(this.#vnet + length)) this.#failed = true;
  };

  #emit(n: number): boolean {
    if (this.#vnet > 0) writeEmptyVnetHeader(this.#out, 0);
    if (this.#write(this.#out, n) < 0) {
      this.writeErrors++;
      return false;
    }
    this.framesWritten++;
    return true;
  }
}
