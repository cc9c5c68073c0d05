/**
 * What a TAP with a virtio-net header can offload (its NDIS hardware capabilities): checksums both ways
 * for TCP and UDP over IPv4 and IPv6 (the kernel finishes partial checksums wherever csum_start points,
 * so IP options, IPv6 extension headers and TCP options are fine), the IPv4 header checksum (computed
 * by the miniport: the kernel never does it), LSOv2 for both IP versions (the kernel segments), and RSC
 * (the kernel's GSO super-frames) when the receive slots are large enough for them.
 */
import type { NdisOffload } from '../../../ndis/index.js';
import { SOFTWARE_LSO_MAX_OFFLOAD_SIZE, softwareOffloadCapabilities } from '../../common/task-offload.js';

/** Largest TCP payload accepted in one LSO NBL (the usual NIC figure; a 64 KB IP datagram holds more). */
export const TAP_LSO_MAX_OFFLOAD_SIZE = SOFTWARE_LSO_MAX_OFFLOAD_SIZE;

export function tapHardwareOffload(rsc: boolean): NdisOffload {
  return softwareOffloadCapabilities(rsc);
}
