/**
 * The gateway's side of the encapsulated-packet task offload contract (offload digest §6.2–6.5): reading
 * whether the adapter below does checksum / LSOv2 across our encapsulation (its current NDIS_OFFLOAD's
 * EncapsulatedPacketTaskOffloadGre / …Vxlan and EncapsulationTypes), and the per-packet
 * NDIS_TCP_SEND_OFFLOADS_SUPPLEMENTAL_NET_BUFFER_LIST_INFO word that tells it where the inner headers are.
 */
import {
  NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4,
  NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6,
  NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV4,
  NDIS_ENCAPSULATION_TYPE_GRE_MAC,
  NDIS_ENCAPSULATION_TYPE_VXLAN,
  SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX,
  SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_MAX,
  SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_MAX,
  encapsulatedOffloadOf,
  sendOffloadsSupplementalValue,
  type NdisOffload,
} from '../../../ndis/index.js';
import { OverlayKind } from './encap.js';

/** What the lower adapter does for our encapsulation right now (its current configuration). */
export class LowerEncapOffload {
  /** Inner checksums (and the outer IPv4 header checksum) for inner IPv4 / IPv6. */
  checksum4 = false;
  checksum6 = false;
  /** LSOv2 across the encapsulation for inner IPv4 / IPv6. */
  lso4 = false;
  lso6 = false;
  maxHeaderSize = 0;

  get any(): boolean {
    return this.checksum4 || this.checksum6 || this.lso4 || this.lso6;
  }

  /** Reads `current` for `kind` over an IPv4 underlay using VXLAN port `udpPort`. */
  update(current: NdisOffload | null, kind: OverlayKind, udpPort: number): void {
    this.checksum4 = this.checksum6 = this.lso4 = this.lso6 = false;
    this.maxHeaderSize = 0;
    if (current === null) return;
    const e = encapsulatedOffloadOf(current);
    const type = kind === OverlayKind.Nvgre ? NDIS_ENCAPSULATION_TYPE_GRE_MAC : NDIS_ENCAPSULATION_TYPE_VXLAN;
    if ((e.encapsulationTypes & type) === 0) return;
    const t = kind === OverlayKind.Nvgre ? e.encapsulatedPacketTaskOffloadGre : e.encapsulatedPacketTaskOffloadVxlan;
    // A VXLAN offload bound to another UDP port does not recognize our frames.
    if (kind === OverlayKind.Vxlan && e.encapsulatedPacketTaskOffloadVxlan.vxlanUdpPortNumber !== udpPort) return;
    const outer = NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV4;
    const has = (mask: number, inner: number): boolean => (mask & outer) !== 0 && (mask & inner) !== 0;
    this.checksum4 = has(t.transmitChecksumOffloadSupported, NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4);
    this.checksum6 = has(t.transmitChecksumOffloadSupported, NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6);
    this.lso4 = has(t.lsoV2Supported, NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4);
    this.lso6 = has(t.lsoV2Supported, NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6);
    this.maxHeaderSize = t.maxHeaderSizeSupported;
  }
}

/**
 * The supplemental info word of an encapsulated packet whose inner frame starts `innerFrameOffset` bytes
 * into the packet, with its IP header `ipRelative` bytes into the inner frame and its transport header
 * `l4Relative` bytes after that. -1 when an offset does not fit its field (the caller then does the work
 * in software instead).
 */
export function encapsulatedPacketOffsets(innerFrameOffset: number, ipRelative: number, l4Relative: number, innerIpv6: boolean, tcpOptions: boolean): number {
  if (innerFrameOffset < 0 || innerFrameOffset > SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX) return -1;
  if (ipRelative < 0 || ipRelative > SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_MAX) return -1;
  if (l4Relative < 0 || l4Relative > SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_MAX) return -1;
  return sendOffloadsSupplementalValue(innerFrameOffset, ipRelative, l4Relative, innerIpv6, tcpOptions);
}
