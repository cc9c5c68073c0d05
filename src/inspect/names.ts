/**
 * Human-readable names for NDIS numbers the inspector and the config loader print: NDIS_MEDIUM
 * ordinals, NDIS_PACKET_TYPE_* bits, MAC addresses, link speeds. Pure functions, no runtime imports.
 */

/** NDIS_MEDIUM names by ordinal (ndis-core §1.3: 0–19 in this order). */
export const NDIS_MEDIUM_NAMES: readonly string[] = [
  'NdisMedium802_3', 'NdisMedium802_5', 'NdisMediumFddi', 'NdisMediumWan', 'NdisMediumLocalTalk',
  'NdisMediumDix', 'NdisMediumArcnetRaw', 'NdisMediumArcnet878_2', 'NdisMediumAtm', 'NdisMediumWirelessWan',
  'NdisMediumIrda', 'NdisMediumBpc', 'NdisMediumCoWan', 'NdisMedium1394', 'NdisMediumInfiniBand',
  'NdisMediumTunnel', 'NdisMediumNative802_11', 'NdisMediumLoopback', 'NdisMediumWiMAX', 'NdisMediumIP',
];

export function mediumName(medium: number): string {
  return NDIS_MEDIUM_NAMES[medium] ?? `NdisMedium(${medium})`;
}

/** NDIS_PACKET_TYPE_* bits (ndis-core §4.4), low to high. */
const PACKET_TYPES: readonly (readonly [number, string])[] = [
  [0x1, 'DIRECTED'], [0x2, 'MULTICAST'], [0x4, 'ALL_MULTICAST'], [0x8, 'BROADCAST'], [0x10, 'SOURCE_ROUTING'],
  [0x20, 'PROMISCUOUS'], [0x40, 'SMT'], [0x80, 'ALL_LOCAL'], [0x1000, 'GROUP'], [0x2000, 'ALL_FUNCTIONAL'],
  [0x4000, 'FUNCTIONAL'], [0x8000, 'MAC_FRAME'], [0x10000, 'NO_LOCAL'],
];

/** The names of the bits set in `filter` (unknown bits as hex). */
export function packetFilterNames(filter: number): string[] {
  const out: string[] = [];
  let rest = filter >>> 0;
  for (const [bit, name] of PACKET_TYPES) {
    if ((rest & bit) !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out;
}

/** 02-00-00-00-00-01 (the NetworkAddress keyword's spelling). */
export function macString(mac: Uint8Array | null | undefined): string | null {
  if (mac === null || mac === undefined || mac.length === 0) return null;
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('-');
}

/** 10 Gbps, 100 Mbps, 9600 bps. */
export function speedString(bps: number | null): string {
  if (bps === null) return 'unknown';
  const units: readonly (readonly [number, string])[] = [[1e12, 'Tbps'], [1e9, 'Gbps'], [1e6, 'Mbps'], [1e3, 'kbps']];
  for (const [scale, unit] of units) if (bps >= scale) return `${trim(bps / scale)} ${unit}`;
  return `${bps} bps`;
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, '');
}
