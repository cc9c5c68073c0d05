/**
 * NDIS_OFFLOAD (ndis-offloads §1.3) in typed form: what an adapter can do (hardware capabilities) and
 * what it does now (current configuration). Miniports report both with their offload attributes;
 * protocols receive both in their bind parameters and follow changes through
 * NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG. Every flag is a boolean here (NDIS_OFFLOAD_SUPPORTED = true);
 * the binary layout lives in the OID codecs.
 *
 * Only the task offloads tsndis implements are modelled: checksum, LSOv1, LSOv2 and RSC. IPsec and
 * encapsulation offloads are absent, which reads as NDIS_OFFLOAD_NOT_SUPPORTED.
 */

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
