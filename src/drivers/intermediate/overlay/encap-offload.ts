/**
 * The gateway's side of the encapsulated-packet task offload contract (offload digest §6.2–6.5): reading
 * whether the adapter below does checksum / LSOv2 across our encapsulation, and the per-packet
 * NDIS_TCP_SEND_OFFLOADS_SUPPLEMENTAL_NET_BUFFER_LIST_INFO word that tells it where the inner headers are.
 *
 * Merge note: the NDIS_OFFLOAD fields (EncapsulatedPacketTaskOffloadGre / …Vxlan, EncapsulationTypes) and
 * the supplemental-info accessors land with the miniport side of the offload in src/ndis; until then this
 * module reads them as optional fields and packs the word itself, bit for bit per §6.3.
 */
import type { NdisOffload } from '../../../ndis/index.js';
import { OverlayKind } from './encap.js';

/** NDIS_ENCAPSULATION_TYPE_* (NDIS_OFFLOAD.EncapsulationTypes). */
export const NDIS_ENCAPSULATION_TYPE_GRE_MAC = 0x1;
export const NDIS_ENCAPSULATION_TYPE_VXLAN = 0x2;
/** The 4-bit masks of NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD(_V2). */
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4 = 0x1;
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV4 = 0x2;
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6 = 0x4;
export const NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV6 = 0x8;

/** The fields of NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD(_V2) the gateway reads. */
export interface EncapsulatedTaskOffloadView {
  readonly transmitChecksumOffloadSupported: number;
  readonly lsoV2Supported: number;
  readonly maxHeaderSizeSupported?: number;
  /** _V2 (VXLAN): the UDP port the adapter recognizes as VXLAN. */
  readonly vxlanUdpPortNumber?: number;
}

/** NDIS_OFFLOAD with the revision-4 encapsulation fields, as the adapter below may report them. */
export interface NdisOffloadEncapsulationView {
  readonly encapsulatedPacketTaskOffloadGre?: EncapsulatedTaskOffloadView;
  readonly encapsulatedPacketTaskOffloadVxlan?: EncapsulatedTaskOffloadView;
  readonly encapsulationTypes?: number;
}

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
    const v = current as NdisOffload & NdisOffloadEncapsulationView;
    const type = kind === OverlayKind.Nvgre ? NDIS_ENCAPSULATION_TYPE_GRE_MAC : NDIS_ENCAPSULATION_TYPE_VXLAN;
    if (((v.encapsulationTypes ?? 0) & type) === 0) return;
    const t = kind === OverlayKind.Nvgre ? v.encapsulatedPacketTaskOffloadGre : v.encapsulatedPacketTaskOffloadVxlan;
    if (t === undefined) return;
    // A VXLAN offload bound to another UDP port does not recognize our frames.
    if (kind === OverlayKind.Vxlan && t.vxlanUdpPortNumber !== undefined && t.vxlanUdpPortNumber !== 0 && t.vxlanUdpPortNumber !== udpPort) return;
    const outer = NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV4;
    const has = (mask: number, inner: number): boolean => (mask & outer) !== 0 && (mask & inner) !== 0;
    this.checksum4 = has(t.transmitChecksumOffloadSupported, NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4);
    this.checksum6 = has(t.transmitChecksumOffloadSupported, NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6);
    this.lso4 = has(t.lsoV2Supported, NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4);
    this.lso6 = has(t.lsoV2Supported, NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6);
    this.maxHeaderSize = t.maxHeaderSizeSupported ?? 0;
  }
}

// NDIS_TCP_SEND_OFFLOADS_SUPPLEMENTAL_NET_BUFFER_LIST_INFO, EncapsulatedPacketOffsets view (§6.3)
export const SUPPLEMENTAL_IS_ENCAPSULATED_PACKET = 1 << 0;
export const SUPPLEMENTAL_OFFSETS_VALID = 1 << 1;
export const SUPPLEMENTAL_INNER_FRAME_OFFSET_SHIFT = 2;
export const SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX = 0xff;
export const SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_SHIFT = 10;
export const SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_MAX = 0x3f;
export const SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_SHIFT = 16;
export const SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_MAX = 0x3ff;
export const SUPPLEMENTAL_IS_INNER_IPV6 = 1 << 26;
export const SUPPLEMENTAL_TCP_OPTIONS_PRESENT = 1 << 27;

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
  return (
    (SUPPLEMENTAL_IS_ENCAPSULATED_PACKET |
      SUPPLEMENTAL_OFFSETS_VALID |
      (innerFrameOffset << SUPPLEMENTAL_INNER_FRAME_OFFSET_SHIFT) |
      (ipRelative << SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_SHIFT) |
      (l4Relative << SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_SHIFT) |
      (innerIpv6 ? SUPPLEMENTAL_IS_INNER_IPV6 : 0) |
      (tcpOptions ? SUPPLEMENTAL_TCP_OPTIONS_PRESENT : 0)) >>>
    0
  );
}
