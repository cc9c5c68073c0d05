/**
 * NDIS_OFFLOAD (ndis-offloads §1.3) in typed form: what an adapter can do (hardware capabilities) and
 * what it does now (current configuration). Miniports report both with their offload attributes;
 * protocols receive both in their bind parameters and follow changes through
 * NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG. Every flag is a boolean here (NDIS_OFFLOAD_SUPPORTED = true);
 * the binary layout lives in the OID codecs.
 *
 * Only the task offloads tsndis implements are modelled: checksum, LSOv1, LSOv2, RSC and USO. IPsec and
 * encapsulation offloads are absent, which reads as NDIS_OFFLOAD_NOT_SUPPORTED (tsndis has no IPsec
 * offload at all: the IPsec structures below exist only to be written as zeros and read for checks).
 */

import type { EncapsulatedPacketTaskOffload, EncapsulatedPacketTaskOffloadV2 } from './encapsulated-offload.js';

/** NDIS_ENCAPSULATION_* bits. */
export const NDIS_ENCAPSULATION_NOT_SUPPORTED = 0x00;
export const NDIS_ENCAPSULATION_NULL = 0x01;
export const NDIS_ENCAPSULATION_IEEE_802_3 = 0x02;
export const NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q = 0x04;
export const NDIS_ENCAPSULATION_IEEE_802_3_P_AND_Q_IN_OOB = 0x08;
export const NDIS_ENCAPSULATION_IEEE_LLC_SNAP_ROUTED = 0x10;

/** One direction of NDIS_TCP_IP_CHECKSUM_OFFLOAD for one IP version. */
export interface ChecksumOffloadDirection {
  /** NDIS_ENCAPSULATION_* bits; NOT_SUPPORTED (0) means the whole direction is off. */
  readonly encapsulation: number;
  /** IPv4: IpOptionsSupported; IPv6: IpExtensionHeadersSupported. */
  readonly ipOptionsSupported: boolean;
  readonly tcpOptionsSupported: boolean;
  readonly tcpChecksum: boolean;
  readonly udpChecksum: boolean;
  /** IPv4 only (IPv6 has no header checksum); always false for IPv6. */
  readonly ipChecksum: boolean;
}

export interface TcpIpChecksumOffload {
  readonly ipv4Transmit: ChecksumOffloadDirection;
  readonly ipv4Receive: ChecksumOffloadDirection;
  readonly ipv6Transmit: ChecksumOffloadDirection;
  readonly ipv6Receive: ChecksumOffloadDirection;
}

export interface LargeSendOffloadV1 {
  readonly ipv4: {
    readonly encapsulation: number;
    /** Largest TCP payload the stack may hand down in one NBL (≤ 64 KB). */
    readonly maxOffLoadSize: number;
    readonly minSegmentCount: number;
    readonly tcpOptions: boolean;
    readonly ipOptions: boolean;
  };
}

export interface LargeSendOffloadV2Family {
  readonly encapsulation: number;
  readonly maxOffLoadSize: number;
  readonly minSegmentCount: number;
}

export interface LargeSendOffloadV2 {
  readonly ipv4: LargeSendOffloadV2Family;
  readonly ipv6: LargeSendOffloadV2Family & { readonly ipExtensionHeadersSupported: boolean; readonly tcpOptionsSupported: boolean };
}

/** NDIS_TCP_RECV_SEG_COALESCE_OFFLOAD. */
export interface RecvSegCoalesceOffload {
  readonly ipv4Enabled: boolean;
  readonly ipv6Enabled: boolean;
}

export interface NdisOffload {
  readonly checksum: TcpIpChecksumOffload;
  readonly lsoV1: LargeSendOffloadV1;
  readonly lsoV2: LargeSendOffloadV2;
  readonly rsc: RecvSegCoalesceOffload;
  /** NDIS_OFFLOAD_FLAGS_*. */
  readonly flags: number;
  /** NDIS_UDP_SEGMENTATION_OFFLOAD (NDIS_OFFLOAD revision 6); absent = not supported. */
  readonly uso?: UdpSegmentationOffload;
  // --- encapsulated-packet task offload (NVGRE / VXLAN, encapsulated-offload.ts); absent = NOT_SUPPORTED ---
  readonly encapsulatedPacketTaskOffloadGre?: EncapsulatedPacketTaskOffload;
  readonly encapsulatedPacketTaskOffloadVxlan?: EncapsulatedPacketTaskOffloadV2;
  /** NDIS_ENCAPSULATION_TYPE_* bits: supported (hardware capabilities) / enabled (current configuration). */
  readonly encapsulationTypes?: number;
}

const NO_CHECKSUM: ChecksumOffloadDirection = Object.freeze({
  encapsulation: NDIS_ENCAPSULATION_NOT_SUPPORTED,
  ipOptionsSupported: false,
  tcpOptionsSupported: false,
  tcpChecksum: false,
  udpChecksum: false,
  ipChecksum: false,
});

const NO_LSO_V2: LargeSendOffloadV2Family = Object.freeze({ encapsulation: NDIS_ENCAPSULATION_NOT_SUPPORTED, maxOffLoadSize: 0, minSegmentCount: 0 });

/** An adapter without task offloads (every field NOT_SUPPORTED). */
export const NDIS_OFFLOAD_NONE: NdisOffload = Object.freeze({
  checksum: Object.freeze({ ipv4Transmit: NO_CHECKSUM, ipv4Receive: NO_CHECKSUM, ipv6Transmit: NO_CHECKSUM, ipv6Receive: NO_CHECKSUM }),
  lsoV1: Object.freeze({ ipv4: Object.freeze({ encapsulation: NDIS_ENCAPSULATION_NOT_SUPPORTED, maxOffLoadSize: 0, minSegmentCount: 0, tcpOptions: false, ipOptions: false }) }),
  lsoV2: Object.freeze({ ipv4: NO_LSO_V2, ipv6: Object.freeze({ ...NO_LSO_V2, ipExtensionHeadersSupported: false, tcpOptionsSupported: false }) }),
  rsc: Object.freeze({ ipv4Enabled: false, ipv6Enabled: false }),
  flags: 0,
});

// ======================================================================================================
// Binary revisions of NDIS_OFFLOAD (offload digest §1.3; offsets checked against public x64 type dumps)
// ======================================================================================================

/** NDIS_OFFLOAD_NOT_SUPPORTED / _SUPPORTED (2-bit capability fields). */
export const NDIS_OFFLOAD_NOT_SUPPORTED = 0;
export const NDIS_OFFLOAD_SUPPORTED = 1;
/** Set-style fields (NDIS_OFFLOAD_ENCAPSULATION.Enabled, EncapsulatedPacketTaskOffload). */
export const NDIS_OFFLOAD_SET_NO_CHANGE = 0;
export const NDIS_OFFLOAD_SET_ON = 1;
export const NDIS_OFFLOAD_SET_OFF = 2;

/** NDIS_OFFLOAD.Flags. */
export const NDIS_OFFLOAD_FLAGS_GROUP_CHECKSUM_CAPABILITIES = 0x1;
export const IPSEC_OFFLOAD_V2_AND_TCP_CHECKSUM_COEXISTENCE = 0x2;
export const IPSEC_OFFLOAD_V2_AND_UDP_CHECKSUM_COEXISTENCE = 0x4;

export const NDIS_OFFLOAD_REVISION_1 = 1;
export const NDIS_OFFLOAD_REVISION_2 = 2;
export const NDIS_OFFLOAD_REVISION_3 = 3;
/** Through Flags (NDIS 6.0). */
export const NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_1 = 112;
/** Through IPsecV2 (NDIS 6.1). */
export const NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_2 = 144;
/** Through EncapsulatedPacketTaskOffloadGre (NDIS 6.30): the revision tsndis writes. */
export const NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_3 = 156;

// ======================================================================================================
// NDIS_OFFLOAD_PARAMETERS (§1.4): the payload of OID_TCP_OFFLOAD_PARAMETERS
// ======================================================================================================

/** Every field: 0 keeps the current setting. */
export const NDIS_OFFLOAD_PARAMETERS_NO_CHANGE = 0;
/** IPv4Checksum, TCPIPv4Checksum, UDPIPv4Checksum, TCPIPv6Checksum, UDPIPv6Checksum. */
export const NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED = 1;
export const NDIS_OFFLOAD_PARAMETERS_TX_ENABLED_RX_DISABLED = 2;
export const NDIS_OFFLOAD_PARAMETERS_RX_ENABLED_TX_DISABLED = 3;
export const NDIS_OFFLOAD_PARAMETERS_TX_RX_ENABLED = 4;
export const NDIS_OFFLOAD_PARAMETERS_LSOV1_DISABLED = 1;
export const NDIS_OFFLOAD_PARAMETERS_LSOV1_ENABLED = 2;
export const NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED = 1;
export const NDIS_OFFLOAD_PARAMETERS_LSOV2_ENABLED = 2;
export const NDIS_OFFLOAD_PARAMETERS_IPSECV1_DISABLED = 1;
export const NDIS_OFFLOAD_PARAMETERS_IPSECV1_AH_ENABLED = 2;
export const NDIS_OFFLOAD_PARAMETERS_IPSECV1_ESP_ENABLED = 3;
export const NDIS_OFFLOAD_PARAMETERS_IPSECV1_AH_AND_ESP_ENABLED = 4;
export const NDIS_OFFLOAD_PARAMETERS_IPSECV2_DISABLED = 1;
export const NDIS_OFFLOAD_PARAMETERS_IPSECV2_AH_ENABLED = 2;
export const NDIS_OFFLOAD_PARAMETERS_IPSECV2_ESP_ENABLED = 3;
export const NDIS_OFFLOAD_PARAMETERS_IPSECV2_AH_AND_ESP_ENABLED = 4;
export const NDIS_OFFLOAD_PARAMETERS_CONNECTION_OFFLOAD_DISABLED = 1;
export const NDIS_OFFLOAD_PARAMETERS_CONNECTION_OFFLOAD_ENABLED = 2;
export const NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED = 1;
export const NDIS_OFFLOAD_PARAMETERS_RSC_ENABLED = 2;
/** Flags (6.30+): apply without writing the standardized keywords back. */
export const NDIS_OFFLOAD_PARAMETERS_SKIP_REGISTRY_UPDATE = 0x1;

export const NDIS_OFFLOAD_PARAMETERS_REVISION_1 = 1;
export const NDIS_OFFLOAD_PARAMETERS_REVISION_2 = 2;
export const NDIS_OFFLOAD_PARAMETERS_REVISION_3 = 3;
/** Through Flags. */
export const NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_1 = 20;
/** Through IPsecV2IPv4. */
export const NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_2 = 22;
/** Through EncapsulationTypes: the revision tsndis writes. */
export const NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_3 = 26;

/** NDIS_OFFLOAD_PARAMETERS. Each field holds one of the NDIS_OFFLOAD_PARAMETERS_* values above (0 = no change). */
export interface NdisOffloadParameters {
  readonly ipv4Checksum: number;
  readonly tcpIpv4Checksum: number;
  readonly udpIpv4Checksum: number;
  readonly tcpIpv6Checksum: number;
  readonly udpIpv6Checksum: number;
  readonly lsoV1: number;
  readonly ipsecV1: number;
  readonly lsoV2IPv4: number;
  readonly lsoV2IPv6: number;
  readonly tcpConnectionIPv4: number;
  readonly tcpConnectionIPv6: number;
  /** NDIS_OFFLOAD_PARAMETERS_SKIP_REGISTRY_UPDATE. */
  readonly flags: number;
  readonly ipsecV2: number;
  readonly ipsecV2IPv4: number;
  readonly rscIPv4: number;
  readonly rscIPv6: number;
  /** NDIS_OFFLOAD_SET_* for NVGRE/VXLAN task offload. */
  readonly encapsulatedPacketTaskOffload: number;
  /** NDIS_ENCAPSULATION_TYPE_* bits. */
  readonly encapsulationTypes: number;
  /** Revision 5 (USO): NDIS_OFFLOAD_PARAMETERS_USO_* for UdpSegmentation.IPv4 / .IPv6; absent = NO_CHANGE. */
  readonly udpSegmentationIPv4?: number;
  readonly udpSegmentationIPv6?: number;
  /** EncapsulationProtocolParameters.VxlanParameters.VxlanUDPPortNumber (revision 4); absent or 0 = no change. */
  readonly vxlanUdpPortNumber?: number;
}

/** Every field NO_CHANGE: spread it and name only what should change. */
export const NDIS_OFFLOAD_PARAMETERS_NO_CHANGES: NdisOffloadParameters = Object.freeze({
  ipv4Checksum: 0,
  tcpIpv4Checksum: 0,
  udpIpv4Checksum: 0,
  tcpIpv6Checksum: 0,
  udpIpv6Checksum: 0,
  lsoV1: 0,
  ipsecV1: 0,
  lsoV2IPv4: 0,
  lsoV2IPv6: 0,
  tcpConnectionIPv4: 0,
  tcpConnectionIPv6: 0,
  flags: 0,
  ipsecV2: 0,
  ipsecV2IPv4: 0,
  rscIPv4: 0,
  rscIPv6: 0,
  encapsulatedPacketTaskOffload: 0,
  encapsulationTypes: 0,
});

// ======================================================================================================
// NDIS_OFFLOAD_ENCAPSULATION (§1.5): the payload of OID_OFFLOAD_ENCAPSULATION
// ======================================================================================================

export const NDIS_OFFLOAD_ENCAPSULATION_REVISION_1 = 1;
export const NDIS_SIZEOF_OFFLOAD_ENCAPSULATION_REVISION_1 = 28;

export interface OffloadEncapsulationFamily {
  /** NDIS_OFFLOAD_SET_NO_CHANGE / _ON / _OFF. */
  readonly enabled: number;
  /** One NDIS_ENCAPSULATION_* value. */
  readonly encapsulationType: number;
  /** Bytes of MAC header (14 for Ethernet II). */
  readonly headerSize: number;
}

export interface NdisOffloadEncapsulation {
  readonly ipv4: OffloadEncapsulationFamily;
  readonly ipv6: OffloadEncapsulationFamily;
}

// ======================================================================================================
// NDIS_RSC_STATISTICS_INFO (§4.5): the answer to OID_TCP_RSC_STATISTICS
// ======================================================================================================

export const NDIS_RSC_STATISTICS_REVISION_1 = 1;
/** Header, 4 bytes of padding (the ULONG64s are 8-aligned), four ULONG64 counters. */
export const NDIS_SIZEOF_RSC_STATISTICS_REVISION_1 = 40;

export interface NdisRscStatisticsInfo {
  /** Segments that went into coalesced units. */
  readonly coalescedPkts: bigint;
  readonly coalescedOctets: bigint;
  /** Coalesced units indicated. */
  readonly coalesceEvents: bigint;
  /** Coalescing ended by an exception. */
  readonly aborts: bigint;
}

// ======================================================================================================
// UDP segmentation offload (USO, NDIS 6.83; offload digest §1.3) and the NDIS_OFFLOAD / _PARAMETERS
// revisions that carry it. Kept in its own block: `uso` is optional on NdisOffload (absent reads as
// NDIS_OFFLOAD_NOT_SUPPORTED), so values built before USO existed stay valid.
// ======================================================================================================

/** One IP version of NDIS_UDP_SEGMENTATION_OFFLOAD. */
export interface UdpSegmentationOffloadFamily {
  /** NDIS_ENCAPSULATION_* bits; NOT_SUPPORTED (0) means no USO for this IP version. */
  readonly encapsulation: number;
  /** Largest UDP payload the stack may hand down in one USO NBL. */
  readonly maxOffLoadSize: number;
  /** The large datagram must make at least this many segments (a 6-bit field: 0–63). */
  readonly minSegmentCount: number;
  /** The last segment may carry fewer than MSS bytes (NDIS 6.84). */
  readonly subMssFinalSegmentSupported: boolean;
}

/** NDIS_UDP_SEGMENTATION_OFFLOAD. */
export interface UdpSegmentationOffload {
  readonly ipv4: UdpSegmentationOffloadFamily;
  readonly ipv6: UdpSegmentationOffloadFamily & { readonly ipExtensionHeadersSupported: boolean };
}

const NO_USO_FAMILY: UdpSegmentationOffloadFamily = Object.freeze({ encapsulation: NDIS_ENCAPSULATION_NOT_SUPPORTED, maxOffLoadSize: 0, minSegmentCount: 0, subMssFinalSegmentSupported: false });

/** No USO for either IP version (what an absent `uso` means). */
export const NDIS_UDP_SEGMENTATION_OFFLOAD_NONE: UdpSegmentationOffload = Object.freeze({
  ipv4: NO_USO_FAMILY,
  ipv6: Object.freeze({ ...NO_USO_FAMILY, ipExtensionHeadersSupported: false }),
});

/** The USO capabilities of `o` (NONE when the value predates USO). */
export function udpSegmentationOf(o: NdisOffload): UdpSegmentationOffload {
  return o.uso ?? NDIS_UDP_SEGMENTATION_OFFLOAD_NONE;
}

/** NDIS_SIZEOF_UDP_SEGMENTATION_OFFLOAD: IPv4 {3 ULONGs} + IPv6 {4 ULONGs}. */
export const NDIS_SIZEOF_UDP_SEGMENTATION_OFFLOAD = 28;
export const NDIS_OFFLOAD_REVISION_4 = 4;
export const NDIS_OFFLOAD_REVISION_5 = 5;
export const NDIS_OFFLOAD_REVISION_6 = 6;
/** Same size as revision 6. */
export const NDIS_OFFLOAD_REVISION_7 = 7;
/** Through EncapsulationTypes (NDIS 6.50: after the 20-byte EncapsulatedPacketTaskOffloadVxlan at 156). */
export const NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_4 = 177;
/** Through Rfc6877Xlat (8 bytes at 180). */
export const NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_5 = 188;
/** Through UdpSegmentation (28 bytes at 188): the revision tsndis writes when USO is offered. */
export const NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_6 = 216;
export const NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_7 = 216;
/** Offset of NDIS_OFFLOAD.UdpSegmentation. */
export const NDIS_OFFLOAD_UDP_SEGMENTATION_OFFSET = 188;

/** NDIS_OFFLOAD_PARAMETERS.UdpSegmentation.IPv4 / .IPv6. */
export const NDIS_OFFLOAD_PARAMETERS_USO_DISABLED = 1;
export const NDIS_OFFLOAD_PARAMETERS_USO_ENABLED = 2;
export const NDIS_OFFLOAD_PARAMETERS_REVISION_4 = 4;
export const NDIS_OFFLOAD_PARAMETERS_REVISION_5 = 5;
/** Through EncapsulationProtocolParameters (a ULONG union at 28). */
export const NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_4 = 32;
/** Through UdpSegmentation {IPv4, IPv6} at 32: the revision tsndis writes when a USO field is set. */
export const NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_5 = 34;

// ======================================================================================================
// IPsec offload (§1.3 NDIS_IPSEC_OFFLOAD_V1 / _V2). tsndis has no IPsec offload: every NDIS_OFFLOAD it
// writes carries these as zeros (NOT_SUPPORTED). The typed forms exist so a buffer from elsewhere can be
// read and checked, and so the zeros are asserted field by field.
// ======================================================================================================

/** NDIS_IPSEC_OFFLOAD_V1 (28 bytes): Supported {5 ULONGs}, IPv4AH bit fields, IPv4ESP bit fields. */
export interface IpsecOffloadV1 {
  readonly supported: { readonly encapsulation: number; readonly ahEspCombined: number; readonly transportTunnelCombined: number; readonly ipv4Options: number; readonly flags: number };
  /** Md5, Sha_1, Transport, Tunnel, Send, Receive (2 bits each). */
  readonly ipv4Ah: { readonly md5: number; readonly sha1: number; readonly transport: number; readonly tunnel: number; readonly send: number; readonly receive: number };
  /** Des, Reserved, TripleDes, NullEsp, Transport, Tunnel, Send, Receive (2 bits each). */
  readonly ipv4Esp: { readonly des: number; readonly reserved: number; readonly tripleDes: number; readonly nullEsp: number; readonly transport: number; readonly tunnel: number; readonly send: number; readonly receive: number };
}

/** NDIS_IPSEC_OFFLOAD_V2 (32 bytes). */
export interface IpsecOffloadV2 {
  readonly encapsulation: number;
  readonly ipv6Supported: boolean;
  readonly ipv4Options: boolean;
  readonly ipv6NonIPsecExtensionHeaders: boolean;
  readonly ah: boolean;
  readonly esp: boolean;
  readonly ahEspCombined: boolean;
  readonly transport: boolean;
  readonly tunnel: boolean;
  readonly transportTunnelCombined: boolean;
  readonly lsoSupported: boolean;
  readonly extendedSequenceNumbers: boolean;
  readonly udpEsp: number;
  /** IPSEC_OFFLOAD_V2_AUTHENTICATION_* bits. */
  readonly authenticationAlgorithms: number;
  /** IPSEC_OFFLOAD_V2_ENCRYPTION_* bits. */
  readonly encryptionAlgorithms: number;
  readonly saOffloadCapacity: number;
}

export const NDIS_SIZEOF_IPSEC_OFFLOAD_V1 = 28;
export const NDIS_SIZEOF_IPSEC_OFFLOAD_V2 = 32;
/** Offsets inside NDIS_OFFLOAD. */
export const NDIS_OFFLOAD_IPSEC_V1_OFFSET = 52;
export const NDIS_OFFLOAD_IPSEC_V2_OFFSET = 112;

export const IPSEC_OFFLOAD_V2_AUTHENTICATION_MD5 = 0x1;
export const IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_1 = 0x2;
export const IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256 = 0x4;
export const IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128 = 0x8;
export const IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192 = 0x10;
export const IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256 = 0x20;
export const IPSEC_OFFLOAD_V2_ENCRYPTION_NONE = 0x1;
export const IPSEC_OFFLOAD_V2_ENCRYPTION_DES_CBC = 0x2;
export const IPSEC_OFFLOAD_V2_ENCRYPTION_3_DES_CBC = 0x4;
export const IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128 = 0x8;
export const IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192 = 0x10;
export const IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256 = 0x20;
export const IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128 = 0x40;
export const IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192 = 0x80;
export const IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256 = 0x100;

/** What tsndis reports for IPsec v1: nothing. */
export const NDIS_IPSEC_OFFLOAD_V1_NONE: IpsecOffloadV1 = Object.freeze({
  supported: Object.freeze({ encapsulation: 0, ahEspCombined: 0, transportTunnelCombined: 0, ipv4Options: 0, flags: 0 }),
  ipv4Ah: Object.freeze({ md5: 0, sha1: 0, transport: 0, tunnel: 0, send: 0, receive: 0 }),
  ipv4Esp: Object.freeze({ des: 0, reserved: 0, tripleDes: 0, nullEsp: 0, transport: 0, tunnel: 0, send: 0, receive: 0 }),
});

/** What tsndis reports for IPsec v2: nothing. */
export const NDIS_IPSEC_OFFLOAD_V2_NONE: IpsecOffloadV2 = Object.freeze({
  encapsulation: 0,
  ipv6Supported: false,
  ipv4Options: false,
  ipv6NonIPsecExtensionHeaders: false,
  ah: false,
  esp: false,
  ahEspCombined: false,
  transport: false,
  tunnel: false,
  transportTunnelCombined: false,
  lsoSupported: false,
  extendedSequenceNumbers: false,
  udpEsp: 0,
  authenticationAlgorithms: 0,
  encryptionAlgorithms: 0,
  saOffloadCapacity: 0,
});

/** An IPsec field of NDIS_OFFLOAD_PARAMETERS that asks for IPsec offload (AH, ESP or both): tsndis refuses it. */
export function offloadParametersEnableIpsec(p: NdisOffloadParameters): boolean {
  const on = (v: number): boolean => v >= NDIS_OFFLOAD_PARAMETERS_IPSECV1_AH_ENABLED && v <= NDIS_OFFLOAD_PARAMETERS_IPSECV1_AH_AND_ESP_ENABLED;
  return on(p.ipsecV1) || on(p.ipsecV2) || on(p.ipsecV2IPv4);
}
