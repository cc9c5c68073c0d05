/**
 * The offloads in effect for a miniport's data path as one bit mask, checked per frame instead of
 * walking the NDIS_OFFLOAD structure: receive checksums and RSC per IP version (only for the families a
 * protocol enabled with OID_OFFLOAD_ENCAPSULATION), LSOv2 per IP version.
 */
import { NDIS_ENCAPSULATION_NOT_SUPPORTED, type NdisOffload } from '../../ndis/index.js';

export const RX_TCP4 = 1 << 0;
export const RX_UDP4 = 1 << 1;
export const RX_IP4 = 1 << 2;
export const RX_TCP6 = 1 << 3;
export const RX_UDP6 = 1 << 4;
export const RSC4 = 1 << 5;
export const RSC6 = 1 << 6;
export const LSO4 = 1 << 7;
export const LSO6 = 1 << 8;

/** `v4` / `v6`: OID_OFFLOAD_ENCAPSULATION enabled that family (receive offloads run only for those). */
export function offloadMask(o: NdisOffload, v4: boolean, v6: boolean): number {
  const c = o.checksum;
  let m = 0;
  if (v4) {
    if (c.ipv4Receive.tcpChecksum) m |= RX_TCP4;
    if (c.ipv4Receive.udpChecksum) m |= RX_UDP4;
    if (c.ipv4Receive.ipChecksum) m |= RX_IP4;
    if (o.rsc.ipv4Enabled) m |= RSC4;
  }
  if (v6) {
    if (c.ipv6Receive.tcpChecksum) m |= RX_TCP6;
    if (c.ipv6Receive.udpChecksum) m |= RX_UDP6;
    if (o.rsc.ipv6Enabled) m |= RSC6;
  }
  if (o.lsoV2.ipv4.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED) m |= LSO4;
  if (o.lsoV2.ipv6.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED) m |= LSO6;
  return m | lsoV1UsoMask(o);
}

// LSOv1 (IPv4 only) and USO per IP version: transmit offloads, so independent of the encapsulation set.
export const LSOV1 = 1 << 12;
export const USO4 = 1 << 13;
export const USO6 = 1 << 14;

function lsoV1UsoMask(o: NdisOffload): number {
  let m = 0;
  if (o.lsoV1.ipv4.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED) m |= LSOV1;
  if (o.uso !== undefined && o.uso.ipv4.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED) m |= USO4;
  if (o.uso !== undefined && o.uso.ipv6.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED) m |= USO6;
  return m;
}

// Transmit checksum offloads in effect (issue 14, conformance battery): a miniport performs only the
// checksum work its current configuration enables (offload digest §2.2). Independent of
// OID_OFFLOAD_ENCAPSULATION, as LSO is here.
export const TX_TCP4 = 1 << 9;
export const TX_UDP4 = 1 << 10;
export const TX_IP4 = 1 << 11;
export const TX_TCP6 = 1 << 12;
export const TX_UDP6 = 1 << 13;

/** The transmit checksum bits of `o` (combine with offloadMask). */
export function txChecksumMask(o: NdisOffload): number {
  const t4 = o.checksum.ipv4Transmit;
  const t6 = o.checksum.ipv6Transmit;
  let m = 0;
  if (t4.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED) {
    if (t4.tcpChecksum) m |= TX_TCP4;
    if (t4.udpChecksum) m |= TX_UDP4;
    if (t4.ipChecksum) m |= TX_IP4;
  }
  if (t6.encapsulation !== NDIS_ENCAPSULATION_NOT_SUPPORTED) {
    if (t6.tcpChecksum) m |= TX_TCP6;
    if (t6.udpChecksum) m |= TX_UDP6;
  }
  return m;
}
