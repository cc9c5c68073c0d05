/**
 * Typed forms of the NDIS structures carried by the OIDs and status indications in oid-codecs.ts.
 *
 * Field names are camelCase of the NDIS field names; ULONG64 fields are bigint; enum fields hold the
 * numeric values from constants.ts. The leading NDIS_OBJECT_HEADER is not part of these types: the codec
 * writes Type/Revision/Size on encode and validates them on decode, so callers never handle it.
 * Link speeds are bits per second, NDIS_LINK_SPEED_UNKNOWN when not known.
 */
import type {
  NdisInterruptModeration,
  NdisMediaConnectState,
  NdisMediaDuplexState,
  NdisSupportedPauseFunctions,
} from './constants.js';

/** NDIS_LINK_STATE: OID_GEN_LINK_STATE and the NDIS_STATUS_LINK_STATE indication. */
export interface NdisLinkState {
  mediaConnectState: NdisMediaConnectState;
  mediaDuplexState: NdisMediaDuplexState;
  /** Bits per second. */
  xmitLinkSpeed: bigint;
  /** Bits per second. */
  rcvLinkSpeed: bigint;
  pauseFunctions: NdisSupportedPauseFunctions;
  /** NDIS_LINK_STATE_*_AUTO_NEGOTIATED bits. */
  autoNegotiationFlags: number;
}

/** NDIS_LINK_PARAMETERS: OID_GEN_LINK_PARAMETERS (set). NDIS_LINK_STATE without MediaConnectState. */
export interface NdisLinkParameters {
  mediaDuplexState: NdisMediaDuplexState;
  xmitLinkSpeed: bigint;
  rcvLinkSpeed: bigint;
  pauseFunctions: NdisSupportedPauseFunctions;
  autoNegotiationFlags: number;
}

/** NDIS_LINK_SPEED: OID_GEN_MAX_LINK_SPEED. No object header. */
export interface NdisLinkSpeed {
  xmitLinkSpeed: bigint;
  rcvLinkSpeed: bigint;
}

/** NDIS_STATISTICS_INFO: OID_GEN_STATISTICS. Counters whose NDIS_STATISTICS_FLAGS_VALID_* bit is clear are meaningless. */
export interface NdisStatisticsInfo {
  supportedStatistics: number;
  ifInDiscards: bigint;
  ifInErrors: bigint;
  ifHCInOctets: bigint;
  ifHCInUcastPkts: bigint;
  ifHCInMulticastPkts: bigint;
  ifHCInBroadcastPkts: bigint;
  ifHCOutOctets: bigint;
  ifHCOutUcastPkts: bigint;
  ifHCOutMulticastPkts: bigint;
  ifHCOutBroadcastPkts: bigint;
  ifOutErrors: bigint;
  ifOutDiscards: bigint;
  ifHCInUcastOctets: bigint;
  ifHCInMulticastOctets: bigint;
  ifHCInBroadcastOctets: bigint;
  ifHCOutUcastOctets: bigint;
  ifHCOutMulticastOctets: bigint;
  ifHCOutBroadcastOctets: bigint;
}

/** The 18 ULONG64 counters of NDIS_STATISTICS_INFO in structure order (after SupportedStatistics). */
export const NDIS_STATISTICS_COUNTERS = [
  'ifInDiscards',
  'ifInErrors',
  'ifHCInOctets',
  'ifHCInUcastPkts',
  'ifHCInMulticastPkts',
  'ifHCInBroadcastPkts',
  'ifHCOutOctets',
  'ifHCOutUcastPkts',
  'ifHCOutMulticastPkts',
  'ifHCOutBroadcastPkts',
  'ifOutErrors',
  'ifOutDiscards',
  'ifHCInUcastOctets',
  'ifHCInMulticastOctets',
  'ifHCInBroadcastOctets',
  'ifHCOutUcastOctets',
  'ifHCOutMulticastOctets',
  'ifHCOutBroadcastOctets',
] as const satisfies ReadonlyArray<keyof NdisStatisticsInfo>;
export type NdisStatisticsCounter = (typeof NDIS_STATISTICS_COUNTERS)[number];

/** NDIS_INTERRUPT_MODERATION_PARAMETERS: OID_GEN_INTERRUPT_MODERATION. */
export interface NdisInterruptModerationParameters {
  /** NDIS_INTERRUPT_MODERATION_CHANGE_NEEDS_* bits (query result only). */
  flags: number;
  interruptModeration: NdisInterruptModeration;
}
