/**
 * What a TAP with a virtio-net header can offload (its NDIS hardware capabilities): checksums both ways
 * for TCP and UDP over IPv4 and IPv6 (the kernel finishes partial checksums wherever csum_start points,
 * so IP options, IPv6 extension headers and TCP options are fine), the IPv4 header checksum (computed
 * by the miniport: the kernel never does it), LSOv2 for both IP versions (the kernel segments), and RSC
 * (the kernel's GSO super-frames) when the receive slots are large enough for them.
 */
import { NDIS_ENCAPSULATION_IEEE_802_3, NDIS_OFFLOAD_NONE, type ChecksumOffloadDirection, type NdisOffload } from '../../../ndis/index.js';

/** Largest TCP payload accepted in one LSO NBL (the usual NIC figure; a 64 KB IP datagram holds more). */
export const TAP_LSO_MAX_OFFLOAD_SIZE = 64000;
export const TAP_LSO_MIN_SEGMENT_COUNT = 2;

function direction(v4: boolean): ChecksumOffloadDirection {
  return {
    encapsulation: NDIS_ENCAPSULATION_IEEE_802_3,
    ipOptionsSupported: true,
    tcpOptionsSupported: true,
    tcpChecksum: true,
    udpChecksum: true,
    ipChecksum: v4,
  };
}

export function tapHardwareOffload(rsc: boolean): NdisOffload {
  const lso = { encapsulation: NDIS_ENCAPSULATION_IEEE_802_3, maxOffLoadSize: TAP_LSO_MAX_OFFLOAD_SIZE, minSegmentCount: TAP_LSO_MIN_SEGMENT_COUNT };
  return {
    checksum: { ipv4Transmit: direction(true), ipv4Receive: direction(true), ipv6Transmit: direction(false), ipv6Receive: direction(false) },
    lsoV1: NDIS_OFFLOAD_NONE.lsoV1,
    lsoV2: { ipv4: lso, ipv6: { ...lso, ipExtensionHeadersSupported: true, tcpOptionsSupported: true } },
    rsc: { ipv4Enabled: rsc, ipv6Enabled: rsc },
    flags: 0,
  };
}
