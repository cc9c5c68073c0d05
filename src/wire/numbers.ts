/**
 * Assigned numbers shared by several headers (IANA registries): EtherTypes and IP protocol numbers
 * (which IPv6 calls Next Header values and uses for its extension headers too).
 */
export const EtherType = {
  Ipv4: 0x0800,
  Arp: 0x0806,
  /** IEEE 802.1Q tag protocol identifier (TPID). */
  Vlan: 0x8100,
  Ipv6: 0x86dd,
  /** IEEE 802.1ad service tag; not decoded (one 802.1Q tag is). */
  QinQ: 0x88a8,
} as const;

/** EtherType values below this are IEEE 802.3 length fields, not types. */
export const ETHERTYPE_MIN = 0x0600;

export const IpProtocol = {
  /** IPv6 only, and only directly after the fixed header. */
  HopByHop: 0,
  Icmp: 1,
  Tcp: 6,
  Udp: 17,
  Ipv6Routing: 43,
  Ipv6Fragment: 44,
  Esp: 50,
  Ah: 51,
  Icmpv6: 58,
  Ipv6NoNext: 59,
  Ipv6DestinationOptions: 60,
} as const;

const ETHERTYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [EtherType.Ipv4, 'IPv4'],
  [EtherType.Arp, 'ARP'],
  [EtherType.Vlan, '802.1Q'],
  [EtherType.Ipv6, 'IPv6'],
  [EtherType.QinQ, '802.1ad'],
]);

const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [IpProtocol.HopByHop, 'HBH'],
  [IpProtocol.Icmp, 'ICMP'],
  [IpProtocol.Tcp, 'TCP'],
  [IpProtocol.Udp, 'UDP'],
  [IpProtocol.Ipv6Routing, 'Routing'],
  [IpProtocol.Ipv6Fragment, 'Fragment'],
  [IpProtocol.Esp, 'ESP'],
  [IpProtocol.Ah, 'AH'],
  [IpProtocol.Icmpv6, 'ICMPv6'],
  [IpProtocol.Ipv6NoNext, 'NoNext'],
  [IpProtocol.Ipv6DestinationOptions, 'DstOpts'],
]);

/** `'IPv4'`, `'ARP'`, … or `'unknown'`. */
export function etherTypeName(type: number): string {
  return ETHERTYPE_NAMES.get(type) ?? 'unknown';
}

/** `'TCP'`, `'ICMPv6'`, … or `'unknown'`. */
export function ipProtocolName(protocol: number): string {
  return PROTOCOL_NAMES.get(protocol) ?? 'unknown';
}
