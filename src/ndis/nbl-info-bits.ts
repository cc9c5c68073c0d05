/**
 * Bit layouts of the NET_BUFFER_LIST info slots that hold a 32-bit value (offload digest §2.1, §2.3, §2.5,
 * §2.6, §4.5): checksum, LSO, 802.1Q, hash info and RSC info.
 *
 * NDIS declares these as C bit fields in a ULONG, allocated from bit 0 upward (MSVC rule), so each field
 * sits at a fixed shift and mask; the constants below spell that out. Two API levels:
 *   - control path: `checksumTx({ ... })` packs a plain object (validates field ranges, throws RangeError
 *     on a bug), `readChecksumTx(v)` unpacks into a new object;
 *   - hot path: masks plus small number → number functions (`checksumTxTcpHeaderOffset(v)`,
 *     `lsoMss(v)`, …) that never allocate or throw; out-of-range inputs are truncated to the field width
 *     as a C bit-field assignment would be.
 * All packed values are unsigned (`>>> 0`), matching the `number` slots of NetBufferListInfo.
 */

function field(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 0..${max}, got ${value}`);
  }
  return value;
}

// ======================================================================================================
// §2.1 NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO (slot TcpIpChecksumNetBufferListInfo)
// ======================================================================================================

/** Transmit view (written by the protocol). Bits 5–15 are reserved. */
export const CHECKSUM_TX_IS_IPV4 = 1 << 0;
export const CHECKSUM_TX_IS_IPV6 = 1 << 1;
export const CHECKSUM_TX_TCP_CHECKSUM = 1 << 2;
export const CHECKSUM_TX_UDP_CHECKSUM = 1 << 3;
export const CHECKSUM_TX_IP_HEADER_CHECKSUM = 1 << 4;
export const CHECKSUM_TX_FLAGS_MASK = 0x1f;
export const CHECKSUM_TX_TCP_HEADER_OFFSET_SHIFT = 16;
/** TcpHeaderOffset is 10 bits (16–25). */
export const CHECKSUM_TX_TCP_HEADER_OFFSET_MAX = 0x3ff;

export interface ChecksumTxInfo {
  isIPv4: boolean;
  isIPv6: boolean;
  tcpChecksum: boolean;
  udpChecksum: boolean;
  ipHeaderChecksum: boolean;
  /** Bytes from the start of the frame to the TCP header (TCP only). */
  tcpHeaderOffset: number;
}

export function checksumTx(info: Partial<ChecksumTxInfo>): number {
  const offset = field('tcpHeaderOffset', info.tcpHeaderOffset ?? 0, CHECKSUM_TX_TCP_HEADER_OFFSET_MAX);
  return (
    ((info.isIPv4 ? CHECKSUM_TX_IS_IPV4 : 0) |
      (info.isIPv6 ? CHECKSUM_TX_IS_IPV6 : 0) |
      (info.tcpChecksum ? CHECKSUM_TX_TCP_CHECKSUM : 0) |
      (info.udpChecksum ? CHECKSUM_TX_UDP_CHECKSUM : 0) |
      (info.ipHeaderChecksum ? CHECKSUM_TX_IP_HEADER_CHECKSUM : 0) |
      (offset << CHECKSUM_TX_TCP_HEADER_OFFSET_SHIFT)) >>>
    0
  );
}

export function readChecksumTx(v: number): ChecksumTxInfo {
  return {
    isIPv4: (v & CHECKSUM_TX_IS_IPV4) !== 0,
    isIPv6: (v & CHECKSUM_TX_IS_IPV6) !== 0,
    tcpChecksum: (v & CHECKSUM_TX_TCP_CHECKSUM) !== 0,
    udpChecksum: (v & CHECKSUM_TX_UDP_CHECKSUM) !== 0,
    ipHeaderChecksum: (v & CHECKSUM_TX_IP_HEADER_CHECKSUM) !== 0,
    tcpHeaderOffset: checksumTxTcpHeaderOffset(v),
  };
}

/** Hot path: `flags` is an OR of CHECKSUM_TX_* bits. */
export function checksumTxValue(flags: number, tcpHeaderOffset: number): number {
  return (
    ((flags & CHECKSUM_TX_FLAGS_MASK) |
      ((tcpHeaderOffset & CHECKSUM_TX_TCP_HEADER_OFFSET_MAX) << CHECKSUM_TX_TCP_HEADER_OFFSET_SHIFT)) >>>
    0
  );
}

export function checksumTxTcpHeaderOffset(v: number): number {
  return (v >>> CHECKSUM_TX_TCP_HEADER_OFFSET_SHIFT) & CHECKSUM_TX_TCP_HEADER_OFFSET_MAX;
}

/** Receive view (written by the miniport). At most one of Failed/Succeeded per protocol; neither = not checked. */
export const CHECKSUM_RX_TCP_CHECKSUM_FAILED = 1 << 0;
export const CHECKSUM_RX_UDP_CHECKSUM_FAILED = 1 << 1;
export const CHECKSUM_RX_IP_CHECKSUM_FAILED = 1 << 2;
export const CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED = 1 << 3;
export const CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED = 1 << 4;
export const CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED = 1 << 5;
/** Owned by NDIS; miniports ignore it. */
export const CHECKSUM_RX_LOOPBACK = 1 << 6;
/** RSC (6.30+): the coalesced segment's TCP checksum field is not valid. */
export const CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID = 1 << 7;
export const CHECKSUM_RX_IP_CHECKSUM_VALUE_INVALID = 1 << 8;
export const CHECKSUM_RX_FLAGS_MASK = 0x1ff;

export interface ChecksumRxInfo {
  tcpChecksumFailed: boolean;
  udpChecksumFailed: boolean;
  ipChecksumFailed: boolean;
  tcpChecksumSucceeded: boolean;
  udpChecksumSucceeded: boolean;
  ipChecksumSucceeded: boolean;
  loopback: boolean;
  tcpChecksumValueInvalid: boolean;
  ipChecksumValueInvalid: boolean;
}

export function checksumRx(info: Partial<ChecksumRxInfo>): number {
  return (
    (info.tcpChecksumFailed ? CHECKSUM_RX_TCP_CHECKSUM_FAILED : 0) |
    (info.udpChecksumFailed ? CHECKSUM_RX_UDP_CHECKSUM_FAILED : 0) |
    (info.ipChecksumFailed ? CHECKSUM_RX_IP_CHECKSUM_FAILED : 0) |
    (info.tcpChecksumSucceeded ? CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED : 0) |
    (info.udpChecksumSucceeded ? CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED : 0) |
    (info.ipChecksumSucceeded ? CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED : 0) |
    (info.loopback ? CHECKSUM_RX_LOOPBACK : 0) |
    (info.tcpChecksumValueInvalid ? CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID : 0) |
    (info.ipChecksumValueInvalid ? CHECKSUM_RX_IP_CHECKSUM_VALUE_INVALID : 0)
  );
}

export function readChecksumRx(v: number): ChecksumRxInfo {
  return {
    tcpChecksumFailed: (v & CHECKSUM_RX_TCP_CHECKSUM_FAILED) !== 0,
    udpChecksumFailed: (v & CHECKSUM_RX_UDP_CHECKSUM_FAILED) !== 0,
    ipChecksumFailed: (v & CHECKSUM_RX_IP_CHECKSUM_FAILED) !== 0,
    tcpChecksumSucceeded: (v & CHECKSUM_RX_TCP_CHECKSUM_SUCCEEDED) !== 0,
    udpChecksumSucceeded: (v & CHECKSUM_RX_UDP_CHECKSUM_SUCCEEDED) !== 0,
    ipChecksumSucceeded: (v & CHECKSUM_RX_IP_CHECKSUM_SUCCEEDED) !== 0,
    loopback: (v & CHECKSUM_RX_LOOPBACK) !== 0,
    tcpChecksumValueInvalid: (v & CHECKSUM_RX_TCP_CHECKSUM_VALUE_INVALID) !== 0,
    ipChecksumValueInvalid: (v & CHECKSUM_RX_IP_CHECKSUM_VALUE_INVALID) !== 0,
  };
}

// ======================================================================================================
// §2.3 NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO (slot TcpLargeSendNetBufferListInfo)
//
//   bit 31     30    29 ........ 20  19 ................ 0
//   [IPVer|R2][Type][TcpHeaderOffset][        MSS         ]   LsoV1Transmit / LsoV2Transmit
//   [   R2   ][Type][        TcpPayload (30 bits)         ]   LsoV1TransmitComplete
//   [   R2   ][Type][         Reserved (must be 0)        ]   LsoV2TransmitComplete
// ======================================================================================================

export const NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE = 0;
export const NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE = 1;
/** LsoV2Transmit.IPVersion values (header spelling `IPv4` / `IPv6`). */
export const NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 = 0;
export const NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6 = 1;

export const LSO_MSS_MAX = 0xfffff;
export const LSO_TCP_HEADER_OFFSET_SHIFT = 20;
export const LSO_TCP_HEADER_OFFSET_MAX = 0x3ff;
export const LSO_TYPE_SHIFT = 30;
export const LSO_V2_IP_VERSION_SHIFT = 31;
export const LSO_V1_TCP_PAYLOAD_MAX = 0x3fffffff;
/** The whole slot value a miniport writes when completing an LSOv2 NBL: Reserved = 0, Type = V2. */
export const LSO_V2_TRANSMIT_COMPLETE = 0x40000000;

export interface LsoV1TransmitInfo {
  mss: number;
  tcpHeaderOffset: number;
}

export interface LsoV2TransmitInfo {
  mss: number;
  tcpHeaderOffset: number;
  /** NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4 or _IPv6. */
  ipVersion: number;
}

export interface LsoV1TransmitCompleteInfo {
  /** Total TCP payload bytes sent across all segments. */
  tcpPayload: number;
}

export function lsoV1Transmit(info: LsoV1TransmitInfo): number {
  return lsoTransmitValue(
    NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE,
    field('mss', info.mss, LSO_MSS_MAX),
    field('tcpHeaderOffset', info.tcpHeaderOffset, LSO_TCP_HEADER_OFFSET_MAX),
    0,
  );
}

export function readLsoV1Transmit(v: number): LsoV1TransmitInfo {
  return { mss: lsoMss(v), tcpHeaderOffset: lsoTcpHeaderOffset(v) };
}

export function lsoV2Transmit(info: LsoV2TransmitInfo): number {
  return lsoTransmitValue(
    NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE,
    field('mss', info.mss, LSO_MSS_MAX),
    field('tcpHeaderOffset', info.tcpHeaderOffset, LSO_TCP_HEADER_OFFSET_MAX),
    field('ipVersion', info.ipVersion, 1),
  );
}

export function readLsoV2Transmit(v: number): LsoV2TransmitInfo {
  return { mss: lsoMss(v), tcpHeaderOffset: lsoTcpHeaderOffset(v), ipVersion: lsoV2IpVersion(v) };
}

export function lsoV1TransmitComplete(info: LsoV1TransmitCompleteInfo): number {
  return field('tcpPayload', info.tcpPayload, LSO_V1_TCP_PAYLOAD_MAX);
}

export function readLsoV1TransmitComplete(v: number): LsoV1TransmitCompleteInfo {
  return { tcpPayload: lsoV1TcpPayload(v) };
}

/** Hot path: `type` is NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE/_V2_TYPE; `ipVersion` is ignored for V1 (write 0). */
export function lsoTransmitValue(type: number, mss: number, tcpHeaderOffset: number, ipVersion: number): number {
  return (
    ((mss & LSO_MSS_MAX) |
      ((tcpHeaderOffset & LSO_TCP_HEADER_OFFSET_MAX) << LSO_TCP_HEADER_OFFSET_SHIFT) |
      ((type & 1) << LSO_TYPE_SHIFT) |
      ((ipVersion & 1) << LSO_V2_IP_VERSION_SHIFT)) >>>
    0
  );
}

/** Hot path: the LsoV1TransmitComplete value for `tcpPayload` bytes sent (Type stays V1 = 0). */
export function lsoV1TransmitCompleteValue(tcpPayload: number): number {
  return (tcpPayload & LSO_V1_TCP_PAYLOAD_MAX) >>> 0;
}

export function lsoType(v: number): number {
  return (v >>> LSO_TYPE_SHIFT) & 1;
}
export function lsoMss(v: number): number {
  return v & LSO_MSS_MAX;
}
export function lsoTcpHeaderOffset(v: number): number {
  return (v >>> LSO_TCP_HEADER_OFFSET_SHIFT) & LSO_TCP_HEADER_OFFSET_MAX;
}
export function lsoV2IpVersion(v: number): number {
  return v >>> LSO_V2_IP_VERSION_SHIFT;
}
export function lsoV1TcpPayload(v: number): number {
  return v & LSO_V1_TCP_PAYLOAD_MAX;
}

// ======================================================================================================
// §2.5 NDIS_NET_BUFFER_LIST_8021Q_INFO (slot Ieee8021QNetBufferListInfo)
//
//   31 ........ 20 19 .. 16 15 ....... 4   3    2 .. 0
//   [  Reserved  ][WMMInfo][  VlanId   ][CFI][UserPri]     (TagHeader: bits 16–31 all Reserved)
// ======================================================================================================

export const IEEE8021Q_USER_PRIORITY_MAX = 0x7;
export const IEEE8021Q_CANONICAL_FORMAT_ID_SHIFT = 3;
export const IEEE8021Q_VLAN_ID_SHIFT = 4;
export const IEEE8021Q_VLAN_ID_MAX = 0xfff;
export const IEEE8021Q_WMM_INFO_SHIFT = 16;
export const IEEE8021Q_WMM_INFO_MAX = 0xf;

/** TagHeader view (802.3). */
export interface Ieee8021QInfo {
  userPriority: number;
  /** Must be 0 on Ethernet. */
  canonicalFormatId: number;
  vlanId: number;
}

/** WLanTagHeader view (802.11): adds WMMInfo, whose top bit must be 0. */
export interface Ieee8021QWlanInfo extends Ieee8021QInfo {
  wmmInfo: number;
}

export function ieee8021Q(info: Ieee8021QInfo): number {
  return (
    (field('userPriority', info.userPriority, IEEE8021Q_USER_PRIORITY_MAX) |
      (field('canonicalFormatId', info.canonicalFormatId, 1) << IEEE8021Q_CANONICAL_FORMAT_ID_SHIFT) |
      (field('vlanId', info.vlanId, IEEE8021Q_VLAN_ID_MAX) << IEEE8021Q_VLAN_ID_SHIFT)) >>>
    0
  );
}

export function readIeee8021Q(v: number): Ieee8021QInfo {
  return {
    userPriority: ieee8021QUserPriority(v),
    canonicalFormatId: ieee8021QCanonicalFormatId(v),
    vlanId: ieee8021QVlanId(v),
  };
}

export function ieee8021QWlan(info: Ieee8021QWlanInfo): number {
  return (ieee8021Q(info) | (field('wmmInfo', info.wmmInfo, IEEE8021Q_WMM_INFO_MAX) << IEEE8021Q_WMM_INFO_SHIFT)) >>> 0;
}

export function readIeee8021QWlan(v: number): Ieee8021QWlanInfo {
  return {
    userPriority: ieee8021QUserPriority(v),
    canonicalFormatId: ieee8021QCanonicalFormatId(v),
    vlanId: ieee8021QVlanId(v),
    wmmInfo: (v >>> IEEE8021Q_WMM_INFO_SHIFT) & IEEE8021Q_WMM_INFO_MAX,
  };
}

/** Hot path: an Ethernet tag (CanonicalFormatId 0). */
export function ieee8021QValue(userPriority: number, vlanId: number): number {
  return ((userPriority & IEEE8021Q_USER_PRIORITY_MAX) | ((vlanId & IEEE8021Q_VLAN_ID_MAX) << IEEE8021Q_VLAN_ID_SHIFT)) >>> 0;
}
export function ieee8021QUserPriority(v: number): number {
  return v & IEEE8021Q_USER_PRIORITY_MAX;
}
export function ieee8021QCanonicalFormatId(v: number): number {
  return (v >>> IEEE8021Q_CANONICAL_FORMAT_ID_SHIFT) & 1;
}
export function ieee8021QVlanId(v: number): number {
  return (v >>> IEEE8021Q_VLAN_ID_SHIFT) & IEEE8021Q_VLAN_ID_MAX;
}

// ======================================================================================================
// §2.6 / §3.1 Hash info (slot NetBufferListHashInfo) = HashType | HashFunction; 0 = no hash computed
// ======================================================================================================

export const NDIS_HASH_FUNCTION_MASK = 0x000000ff;
export const NDIS_HASH_TYPE_MASK = 0x00ffff00;

/** Hash functions (low byte); Toeplitz is the only usable one. */
export const NdisHashFunctionToeplitz = 0x01;
export const NdisHashFunctionReserved1 = 0x02;
export const NdisHashFunctionReserved2 = 0x04;
export const NdisHashFunctionReserved3 = 0x08;

export const NDIS_HASH_IPV4 = 0x00000100;
export const NDIS_HASH_TCP_IPV4 = 0x00000200;
export const NDIS_HASH_IPV6 = 0x00000400;
export const NDIS_HASH_IPV6_EX = 0x00000800;
export const NDIS_HASH_TCP_IPV6 = 0x00001000;
export const NDIS_HASH_TCP_IPV6_EX = 0x00002000;
/** 6.80+. */
export const NDIS_HASH_UDP_IPV4 = 0x00004000;
export const NDIS_HASH_UDP_IPV6 = 0x00008000;
export const NDIS_HASH_UDP_IPV6_EX = 0x00010000;

export interface HashInfo {
  /** The single NDIS_HASH_* type actually used for this packet (not the configured OR-mask). */
  hashType: number;
  /** NdisHashFunction*. */
  hashFunction: number;
}

export function hashInfo(info: HashInfo): number {
  if ((info.hashType & ~NDIS_HASH_TYPE_MASK) !== 0 || !Number.isInteger(info.hashType) || info.hashType < 0) {
    throw new RangeError(`hashType 0x${info.hashType.toString(16)} has bits outside NDIS_HASH_TYPE_MASK`);
  }
  return rssHashInfoFromTypeAndFunc(info.hashType, field('hashFunction', info.hashFunction, NDIS_HASH_FUNCTION_MASK));
}

export function readHashInfo(v: number): HashInfo {
  return { hashType: rssHashTypeFromHashInfo(v), hashFunction: rssHashFuncFromHashInfo(v) };
}

/** NDIS_RSS_HASH_FUNC_FROM_HASH_INFO. */
export function rssHashFuncFromHashInfo(h: number): number {
  return h & NDIS_HASH_FUNCTION_MASK;
}
/** NDIS_RSS_HASH_TYPE_FROM_HASH_INFO. */
export function rssHashTypeFromHashInfo(h: number): number {
  return h & NDIS_HASH_TYPE_MASK;
}
/** NDIS_RSS_HASH_INFO_FROM_TYPE_AND_FUNC. */
export function rssHashInfoFromTypeAndFunc(hashType: number, hashFunction: number): number {
  return ((hashType & NDIS_HASH_TYPE_MASK) | (hashFunction & NDIS_HASH_FUNCTION_MASK)) >>> 0;
}

// ======================================================================================================
// Offload digest §4.5 NDIS_RSC_NBL_INFO (slot TcpRecvSegCoalesceInfo): two USHORTs in the low 32 bits
// ======================================================================================================

export const RSC_COALESCED_SEG_COUNT_MAX = 0xffff;
export const RSC_DUP_ACK_COUNT_SHIFT = 16;
export const RSC_DUP_ACK_COUNT_MAX = 0xffff;

export interface RscInfo {
  /** Data segments coalesced; 0 = not an RSC packet (DupAckCount must then be 0). */
  coalescedSegCount: number;
  dupAckCount: number;
}

export function rscInfo(info: RscInfo): number {
  return (
    (field('coalescedSegCount', info.coalescedSegCount, RSC_COALESCED_SEG_COUNT_MAX) |
      (field('dupAckCount', info.dupAckCount, RSC_DUP_ACK_COUNT_MAX) << RSC_DUP_ACK_COUNT_SHIFT)) >>>
    0
  );
}

export function readRscInfo(v: number): RscInfo {
  return { coalescedSegCount: rscCoalescedSegCount(v), dupAckCount: rscDupAckCount(v) };
}

/** Hot path. */
export function rscInfoValue(coalescedSegCount: number, dupAckCount: number): number {
  return ((coalescedSegCount & RSC_COALESCED_SEG_COUNT_MAX) | ((dupAckCount & RSC_DUP_ACK_COUNT_MAX) << RSC_DUP_ACK_COUNT_SHIFT)) >>> 0;
}
/** NET_BUFFER_LIST_COALESCED_SEG_COUNT. */
export function rscCoalescedSegCount(v: number): number {
  return v & RSC_COALESCED_SEG_COUNT_MAX;
}
/** NET_BUFFER_LIST_DUP_ACK_COUNT. */
export function rscDupAckCount(v: number): number {
  return (v >>> RSC_DUP_ACK_COUNT_SHIFT) & RSC_DUP_ACK_COUNT_MAX;
}

// ======================================================================================================
// NDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO (slot UdpSegmentationOffloadInfo, NDIS 6.83; wdk-ddi:
// nbluso): Transmit { MSS:20, UdpHeaderOffset:10, Reserved:1, IPVersion:1 }. The slot is shared with
// TcpRecvSegCoalesceInfo (send vs receive path); USO has no completion form (the miniport leaves it).
// ======================================================================================================

export const NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4 = 0;
export const NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6 = 1;
export const USO_MSS_MAX = 0xfffff;
export const USO_UDP_HEADER_OFFSET_SHIFT = 20;
export const USO_UDP_HEADER_OFFSET_MAX = 0x3ff;
/** Bit 30 is Reserved (never read or written by a miniport). */
export const USO_IP_VERSION_SHIFT = 31;

export interface UsoTransmitInfo {
  mss: number;
  udpHeaderOffset: number;
  /** NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4 / _IPV6. */
  ipVersion: number;
}

/** The slot value for a USO send (fields masked to their widths). */
export function usoTransmitValue(mss: number, udpHeaderOffset: number, ipVersion: number): number {
  return ((mss & USO_MSS_MAX) | ((udpHeaderOffset & USO_UDP_HEADER_OFFSET_MAX) << USO_UDP_HEADER_OFFSET_SHIFT) | ((ipVersion & 1) << USO_IP_VERSION_SHIFT)) >>> 0;
}

export function usoTransmit(info: UsoTransmitInfo): number {
  return usoTransmitValue(info.mss, info.udpHeaderOffset, info.ipVersion);
}

export function readUsoTransmit(v: number): UsoTransmitInfo {
  return { mss: usoMss(v), udpHeaderOffset: usoUdpHeaderOffset(v), ipVersion: usoIpVersion(v) };
}

export function usoMss(v: number): number {
  return v & USO_MSS_MAX;
}
export function usoUdpHeaderOffset(v: number): number {
  return (v >>> USO_UDP_HEADER_OFFSET_SHIFT) & USO_UDP_HEADER_OFFSET_MAX;
}
export function usoIpVersion(v: number): number {
  return (v >>> USO_IP_VERSION_SHIFT) & 1;
}

// ======================================================================================================
// §6.3 NDIS_TCP_SEND_OFFLOADS_SUPPLEMENTAL_NET_BUFFER_LIST_INFO (slot TcpSendOffloadsSupplementalNetBufferListInfo,
// NetBufferListInfo.tcpSendOffloadsSupplemental): where an encapsulated (NVGRE / VXLAN) frame's inner headers are.
//
//   31..28     27           26         25 ............ 16   15 ......... 10   9 ........ 2   1       0
//   [Reserved][TcpOptsPres][InnerIPv6][TcpHeaderRelOffset][TransportIpRel  ][InnerFrame   ][Valid][IsEncap]
// ======================================================================================================

export const SUPPLEMENTAL_IS_ENCAPSULATED_PACKET = 1 << 0;
export const SUPPLEMENTAL_ENCAPSULATED_PACKET_OFFSETS_VALID = 1 << 1;
export const SUPPLEMENTAL_INNER_FRAME_OFFSET_SHIFT = 2;
/** InnerFrameOffset: 8 bits (2–9), from the frame start to the inner Ethernet header. */
export const SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX = 0xff;
export const SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_SHIFT = 10;
/** TransportIpHeaderRelativeOffset: 6 bits (10–15), inner IP header relative to the inner frame. */
export const SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_MAX = 0x3f;
export const SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_SHIFT = 16;
/** TcpHeaderRelativeOffset: 10 bits (16–25), inner TCP/UDP header relative to the inner IP header. */
export const SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_MAX = 0x3ff;
export const SUPPLEMENTAL_IS_INNER_IPV6 = 1 << 26;
export const SUPPLEMENTAL_TCP_OPTIONS_PRESENT = 1 << 27;

export interface SendOffloadsSupplementalInfo {
  isEncapsulatedPacket: boolean;
  encapsulatedPacketOffsetsValid: boolean;
  innerFrameOffset: number;
  transportIpHeaderRelativeOffset: number;
  tcpHeaderRelativeOffset: number;
  isInnerIPv6: boolean;
  tcpOptionsPresent: boolean;
}

export function sendOffloadsSupplemental(info: Partial<SendOffloadsSupplementalInfo>): number {
  return (
    ((info.isEncapsulatedPacket ? SUPPLEMENTAL_IS_ENCAPSULATED_PACKET : 0) |
      (info.encapsulatedPacketOffsetsValid ? SUPPLEMENTAL_ENCAPSULATED_PACKET_OFFSETS_VALID : 0) |
      (field('innerFrameOffset', info.innerFrameOffset ?? 0, SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX) << SUPPLEMENTAL_INNER_FRAME_OFFSET_SHIFT) |
      (field('transportIpHeaderRelativeOffset', info.transportIpHeaderRelativeOffset ?? 0, SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_MAX) <<
        SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_SHIFT) |
      (field('tcpHeaderRelativeOffset', info.tcpHeaderRelativeOffset ?? 0, SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_MAX) << SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_SHIFT) |
      (info.isInnerIPv6 ? SUPPLEMENTAL_IS_INNER_IPV6 : 0) |
      (info.tcpOptionsPresent ? SUPPLEMENTAL_TCP_OPTIONS_PRESENT : 0)) >>>
    0
  );
}

export function readSendOffloadsSupplemental(v: number): SendOffloadsSupplementalInfo {
  return {
    isEncapsulatedPacket: supplementalIsEncapsulated(v),
    encapsulatedPacketOffsetsValid: supplementalOffsetsValid(v),
    innerFrameOffset: supplementalInnerFrameOffset(v),
    transportIpHeaderRelativeOffset: supplementalTransportIpHeaderRelativeOffset(v),
    tcpHeaderRelativeOffset: supplementalTcpHeaderRelativeOffset(v),
    isInnerIPv6: supplementalIsInnerIPv6(v),
    tcpOptionsPresent: (v & SUPPLEMENTAL_TCP_OPTIONS_PRESENT) !== 0,
  };
}

/** Hot path: the value for an encapsulated frame with valid offsets (fields truncated to their widths). */
export function sendOffloadsSupplementalValue(innerFrameOffset: number, ipRelative: number, l4Relative: number, innerIPv6: boolean, tcpOptionsPresent: boolean): number {
  return (
    (SUPPLEMENTAL_IS_ENCAPSULATED_PACKET |
      SUPPLEMENTAL_ENCAPSULATED_PACKET_OFFSETS_VALID |
      ((innerFrameOffset & SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX) << SUPPLEMENTAL_INNER_FRAME_OFFSET_SHIFT) |
      ((ipRelative & SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_MAX) << SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_SHIFT) |
      ((l4Relative & SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_MAX) << SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_SHIFT) |
      (innerIPv6 ? SUPPLEMENTAL_IS_INNER_IPV6 : 0) |
      (tcpOptionsPresent ? SUPPLEMENTAL_TCP_OPTIONS_PRESENT : 0)) >>>
    0
  );
}

export function supplementalIsEncapsulated(v: number): boolean {
  return (v & SUPPLEMENTAL_IS_ENCAPSULATED_PACKET) !== 0;
}
export function supplementalOffsetsValid(v: number): boolean {
  return (v & SUPPLEMENTAL_ENCAPSULATED_PACKET_OFFSETS_VALID) !== 0;
}
export function supplementalInnerFrameOffset(v: number): number {
  return (v >>> SUPPLEMENTAL_INNER_FRAME_OFFSET_SHIFT) & SUPPLEMENTAL_INNER_FRAME_OFFSET_MAX;
}
export function supplementalTransportIpHeaderRelativeOffset(v: number): number {
  return (v >>> SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_SHIFT) & SUPPLEMENTAL_TRANSPORT_IP_HEADER_RELATIVE_OFFSET_MAX;
}
export function supplementalTcpHeaderRelativeOffset(v: number): number {
  return (v >>> SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_SHIFT) & SUPPLEMENTAL_TCP_HEADER_RELATIVE_OFFSET_MAX;
}
export function supplementalIsInnerIPv6(v: number): boolean {
  return (v & SUPPLEMENTAL_IS_INNER_IPV6) !== 0;
}
