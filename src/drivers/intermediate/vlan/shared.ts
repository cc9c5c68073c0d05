/** What the two edges of tsndis.vlan share: one record per virtual miniport, counters, and the NBL-info rewrites. */
import {
  SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX,
  SUPPLEMENTAL_INNER_FRAME_OFFSET_SHIFT,
  checksumTxTcpHeaderOffset,
  supplementalInnerFrameOffset,
  supplementalIsEncapsulated,
  supplementalOffsetsValid,
  checksumTxValue,
  CHECKSUM_TX_FLAGS_MASK,
  lsoMss,
  lsoTcpHeaderOffset,
  lsoTransmitValue,
  lsoType,
  lsoV2IpVersion,
  NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
} from '../../../ndis/index.js';
import type { VlanLowerBinding } from './lower-binding.js';
import type { VlanUpperAdapter } from './upper-miniport.js';

/** One virtual miniport the lower binding asked NDIS for (the device context of NdisIMInitializeDeviceInstanceEx). */
export interface VlanPort {
  readonly instanceName: string;
  readonly lower: VlanLowerBinding;
  upper: VlanUpperAdapter | null;
}

/** Bytes the tag adds to a frame; the MUX adds it to the backfill the adapter below asks for. */
export const VLAN_BACKFILL = 4;

/** Per-VLAN counters, kept by the virtual miniport (stack tree: its `inspect()`). */
export class VlanPortCounters {
  /** Frames tagged and sent down / completed with an error status. */
  txFrames = 0;
  txBytes = 0;
  txFailed = 0;
  /** Sends refused before tagging: NBL info naming another VLAN, a frame shorter than its header, no pool entry. */
  txVlanMismatch = 0;
  txMalformed = 0;
  /** Sends asking for an offload this virtual miniport does not advertise (LSO), failed (offload digest §1.6, §2.4 rule 10). */
  txOffloadRefused = 0;
  txResources = 0;
  /** Frames of this VLAN untagged and indicated up. */
  rxFrames = 0;
  rxBytes = 0;
  /** Frames of this VLAN dropped because the virtual miniport was not running. */
  rxNotRunning = 0;
}

/** Drops of the demultiplexer (lower binding), by cause. */
export class VlanMuxCounters {
  rxFrames = 0;
  /** Tagged with a VLAN no virtual miniport has (VID 0 priority tags included). */
  rxUnknownVlan = 0;
  rxUntagged = 0;
  rxDoubleTagged = 0;
  /** Shorter than the tag they announce (or than an Ethernet header), or an NBL without a NetBuffer. */
  rxTruncated = 0;
  /** No NBL / NB / mapping left to describe the untagged frame. */
  rxResources = 0;
}

/** The TCP header offsets of checksum and LSO send info count from the frame start: 4 more once tagged. */
export function shiftChecksumInfo(v: number, by: number): number {
  const off = checksumTxTcpHeaderOffset(v);
  return off === 0 ? v : checksumTxValue(v & CHECKSUM_TX_FLAGS_MASK, off + by);
}

/**
 * The supplemental send info of an encapsulated frame: InnerFrameOffset counts from the frame start too.
 * -1 when the shifted offset no longer fits its 8 bits (the send must fail).
 */
export function shiftSupplementalInfo(v: number, by: number): number {
  if (!supplementalIsEncapsulated(v) || !supplementalOffsetsValid(v)) return v;
  const off = supplementalInnerFrameOffset(v) + by;
  if (off > SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX) return -1;
  return ((v & ~(SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX << SUPPLEMENTAL_INNER_FRAME_OFFSET_SHIFT)) | (off << SUPPLEMENTAL_INNER_FRAME_OFFSET_SHIFT)) >>> 0;
}

export function shiftLsoInfo(v: number, by: number): number {
  if (v === 0) return 0;
  const off = lsoTcpHeaderOffset(v);
  if (off === 0) return v;
  const type = lsoType(v);
  return lsoTransmitValue(type, lsoMss(v), off + by, type === NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE ? lsoV2IpVersion(v) : 0);
}
