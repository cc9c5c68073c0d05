/**
 * Frame classes and the per-class counters of the impairment filter.
 *
 * A frame is classified from its first bytes: EtherType (after at most one 802.1Q / 802.1ad tag) into
 * IPv4, IPv6, ARP or other, and for IP by the protocol / next-header byte of the fixed header into TCP,
 * UDP, ICMP (ICMPv6 for IPv6) or other. IPv6 extension headers are not walked (such frames count as
 * ipv6-other), nor are IPv4 fragments told apart. Every read is bounds-checked against the frame length:
 * a frame too short for a field falls into the class its readable part allows (a runt is `other`).
 */
import type { ByteSpan, NetBuffer } from '../../../ndis/index.js';

export const FRAME_CLASSES = [
  'ipv4-tcp',
  'ipv4-udp',
  'ipv4-icmp',
  'ipv4-other',
  'ipv6-tcp',
  'ipv6-udp',
  'ipv6-icmp',
  'ipv6-other',
  'arp',
  'other',
] as const;
export type FrameClass = (typeof FRAME_CLASSES)[number];
export const FRAME_CLASS_COUNT = FRAME_CLASSES.length;

/** Class indices (positions in FRAME_CLASSES). */
const IPV4 = 0;
const IPV6 = 4;
const TCP = 0;
const UDP = 1;
const ICMP = 2;
const IP_OTHER = 3;
const ARP = 8;
const OTHER = 9;

export const IMPAIRMENT_COUNTERS = [
  /** Frames (NBLs) that entered the filter in this direction. */
  'offered',
  /** Frames handed on (originals, copies and duplicates). */
  'passed',
  'droppedRandom',
  'droppedBurst',
  /** The direction held `queueFrames` frames already. */
  'droppedQueue',
  /** A receive had to be copied to be held and the copy pool was empty. */
  'droppedNoResources',
  /** Held frames given up at pause, surprise removal or cancellation (see README). */
  'droppedFlushed',
  /** Held by the delay line (delay, jitter, or waiting behind a delayed frame to keep order). */
  'delayed',
  /** Held by the token bucket. */
  'rateLimited',
  /** Held back by the reorder decision. */
  'reordered',
  /** Duplicate copies made. */
  'duplicated',
  'corrupted',
  /** A duplicate or corrupted copy could not be made (pool empty or frame larger than a copy buffer). */
  'copyFailed',
] as const;
export type ImpairmentCounter = (typeof IMPAIRMENT_COUNTERS)[number];
export const COUNTER_COUNT = IMPAIRMENT_COUNTERS.length;

/** Counter indices (positions in IMPAIRMENT_COUNTERS), derived from the one list. */
export const COUNTER = Object.fromEntries(IMPAIRMENT_COUNTERS.map((k, i) => [k, i])) as { readonly [K in ImpairmentCounter]: number };

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERNET_HEADER = 14;
const VLAN_TAG = 4;
const IPV4_PROTOCOL = 9;
const IPV6_NEXT_HEADER = 6;
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;

/** Bytes a classification may read: Ethernet + one tag + the IPv4 protocol byte. */
export const CLASSIFY_BYTES = ETHERNET_HEADER + VLAN_TAG + IPV4_PROTOCOL + 1;

function ipClass(family: number, protocol: number, icmp: number): number {
  return family + (protocol === PROTO_TCP ? TCP : protocol === PROTO_UDP ? UDP : protocol === icmp ? ICMP : IP_OTHER);
}

/** Class index of the frame in `b[o, o + length)`; reads nothing outside it. */
export function classifyFrame(b: Uint8Array, o: number, length: number): number {
  if (length < ETHERNET_HEADER) return OTHER;
  let type = (b[o + 12]! << 8) | b[o + 13]!;
  let ip = ETHERNET_HEADER;
  if (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ) {
    if (length < ETHERNET_HEADER + VLAN_TAG) return OTHER;
    type = (b[o + 16]! << 8) | b[o + 17]!;
    ip += VLAN_TAG;
  }
  if (type === ETHERTYPE_ARP) return ARP;
  if (type === ETHERTYPE_IPV4) return length > ip + IPV4_PROTOCOL ? ipClass(IPV4, b[o + ip + IPV4_PROTOCOL]!, PROTO_ICMP) : IPV4 + IP_OTHER;
  if (type === ETHERTYPE_IPV6) return length > ip + IPV6_NEXT_HEADER ? ipClass(IPV6, b[o + ip + IPV6_NEXT_HEADER]!, PROTO_ICMPV6) : IPV6 + IP_OTHER;
  return OTHER;
}

/**
 * Class index of a NetBuffer's frame. The header is read in place when it lies in one MDL, otherwise
 * copied into `scratch` (at least CLASSIFY_BYTES long); `span` is reused. Never allocates.
 */
export function classifyNetBuffer(nb: NetBuffer | null, scratch: Uint8Array, span: ByteSpan): number {
  if (nb === null) return OTHER;
  const n = nb.dataLength < CLASSIFY_BYTES ? nb.dataLength : CLASSIFY_BYTES;
  if (n === 0 || !nb.getDataBuffer(n, scratch, span)) return OTHER;
  return classifyFrame(span.bytes, span.offset, n);
}
