/**
 * IPv6 extension headers (RFC 8200 §4): hop-by-hop options, routing, fragment and destination
 * options, plus `walkIpv6Extensions`, which follows the Next Header chain to the upper layer.
 *
 * ```
 *  hop-by-hop, destination options      routing                           fragment (8 bytes)
 *  | next | len | options … |           | next | len | type | left | … |   | next | rsvd | offset|r|r|M | identification |
 *  length = (len + 1) × 8 bytes                                            offset in 8-byte units
 * ```
 * Options inside hop-by-hop and destination options headers are carried as bytes and never
 * interpreted here. AH and ESP are not walked: the walk stops at them like at any upper layer.
 */
import { inBounds, read16, read32, requireUint, write16, write32 } from './bytes.js';
import { WireError } from './error.js';
import { IpProtocol } from './numbers.js';
import { WireView } from './view.js';

/** The smallest extension header; every generic one is a multiple of it. */
export const IPV6_EXT_HEADER_UNIT = 8;
export const IPV6_FRAGMENT_HEADER_LEN = 8;
/** The walk gives up with `TooManyHeaders` beyond this many extension headers. */
export const IPV6_MAX_EXTENSION_HEADERS = 16;

/** Offsets in hop-by-hop, routing and destination options headers. */
export const Ipv6ExtHeaderField = {
  NextHeader: 0,
  HdrExtLen: 1,
  /** Options (hop-by-hop, destination options) or type-specific data start here. */
  Data: 2,
  /** Routing header only. */
  RoutingType: 2,
  /** Routing header only. */
  SegmentsLeft: 3,
} as const;
const E = Ipv6ExtHeaderField;

export const Ipv6FragmentField = {
  NextHeader: 0,
  Reserved: 1,
  OffsetFlags: 2,
  Identification: 4,
} as const;
const FR = Ipv6FragmentField;

/** True for the Next Header values `walkIpv6Extensions` walks through. */
export function isIpv6ExtensionHeader(nextHeader: number): boolean {
  return (
    nextHeader === IpProtocol.HopByHop ||
    nextHeader === IpProtocol.Ipv6Routing ||
    nextHeader === IpProtocol.Ipv6Fragment ||
    nextHeader === IpProtocol.Ipv6DestinationOptions
  );
}

/** A hop-by-hop, routing or destination options header (the shape they share: next header, length, data). */
export class Ipv6ExtHeaderView extends WireView {

  /** 0 when the whole header, `(hdrExtLen + 1) × 8` bytes, lies within `length`. */
  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    if (!inBounds(bytes, offset, length) || length < IPV6_EXT_HEADER_UNIT) return WireError.Truncated;
    return (bytes[offset + E.HdrExtLen]! + 1) * IPV6_EXT_HEADER_UNIT > length ? WireError.Truncated : 0;
  }



  get nextHeader(): number {
    return this.b[this.o + E.NextHeader]!;
  }
  set nextHeader(v: number) {
    this.b[this.o + E.NextHeader] = v;
  }
  /** The raw length field: 8-byte units beyond the first 8. */
  get hdrExtLen(): number {
    return this.b[this.o + E.HdrExtLen]!;
  }
  set hdrExtLen(v: number) {
    this.b[this.o + E.HdrExtLen] = v;
  }
  /** The header's length in bytes, `(hdrExtLen + 1) × 8`. */
  get headerLength(): number {
    return (this.b[this.o + E.HdrExtLen]! + 1) * IPV6_EXT_HEADER_UNIT;
  }
  /** The options (or routing type-specific data) after the two fixed bytes. */
  get dataOffset(): number {
    return this.o + E.Data;
  }
  get dataLength(): number {
    return this.headerLength - E.Data;
  }
  /** Routing headers only. */
  get routingType(): number {
    return this.b[this.o + E.RoutingType]!;
  }
  set routingType(v: number) {
    this.b[this.o + E.RoutingType] = v;
  }
  /** Routing headers only. */
  get segmentsLeft(): number {
    return this.b[this.o + E.SegmentsLeft]!;
  }
  set segmentsLeft(v: number) {
    this.b[this.o + E.SegmentsLeft] = v;
  }
}

export class Ipv6FragmentView extends WireView {

  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    return !inBounds(bytes, offset, length) || length < IPV6_FRAGMENT_HEADER_LEN ? WireError.Truncated : 0;
  }



  get nextHeader(): number {
    return this.b[this.o + FR.NextHeader]!;
  }
  set nextHeader(v: number) {
    this.b[this.o + FR.NextHeader] = v;
  }
  get reserved(): number {
    return this.b[this.o + FR.Reserved]!;
  }
  set reserved(v: number) {
    this.b[this.o + FR.Reserved] = v;
  }
  /** Fragment offset in bytes (the field counts 8-byte units; the setter drops the low 3 bits). */
  get fragmentOffset(): number {
    return read16(this.b, this.o + FR.OffsetFlags) & 0xfff8;
  }
  set fragmentOffset(v: number) {
    const i = this.o + FR.OffsetFlags;
    write16(this.b, i, (read16(this.b, i) & 0x0007) | (v & 0xfff8));
  }
  get moreFragments(): boolean {
    return (this.b[this.o + FR.OffsetFlags + 1]! & 1) !== 0;
  }
  set moreFragments(v: boolean) {
    const i = this.o + FR.OffsetFlags + 1;
    this.b[i] = v ? this.b[i]! | 1 : this.b[i]! & ~1;
  }
  get identification(): number {
    return read32(this.b, this.o + FR.Identification);
  }
  set identification(v: number) {
    write32(this.b, this.o + FR.Identification, v);
  }
}

/** Hop-by-hop or destination options header. */
export interface Ipv6OptionsHeaderRepr {
  nextHeader: number;
  /** The TLV-encoded options, padding included: 6, 14, 22, … bytes (the header is a multiple of 8). */
  options: Uint8Array;
}

export interface Ipv6RoutingRepr {
  nextHeader: number;
  routingType: number;
  segmentsLeft: number;
  /** Type-specific data after the first four bytes: 4, 12, 20, … bytes. */
  data: Uint8Array;
}

export interface Ipv6FragmentRepr {
  nextHeader: number;
  /** In bytes, a multiple of 8. */
  fragmentOffset: number;
  moreFragments: boolean;
  identification: number;
}

const extScratch = new Ipv6ExtHeaderView();
const fragScratch = new Ipv6FragmentView();

export function parseIpv6OptionsHeader(bytes: Uint8Array, offset: number, length: number): Ipv6OptionsHeaderRepr | WireError {
  const err = Ipv6ExtHeaderView.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = extScratch.bind(bytes, offset);
  return { nextHeader: v.nextHeader, options: bytes.slice(v.dataOffset, v.dataOffset + v.dataLength) };
}

export function ipv6OptionsHeaderLength(repr: Ipv6OptionsHeaderRepr): number {
  return E.Data + repr.options.length;
}

/** Writes a hop-by-hop or destination options header; returns its length. */
export function emitIpv6OptionsHeader(repr: Ipv6OptionsHeaderRepr, bytes: Uint8Array, offset: number): number {
  requireUint(repr.nextHeader, 0xff, 'Ipv6OptionsHeaderRepr.nextHeader');
  const length = ipv6OptionsHeaderLength(repr);
  if (length % IPV6_EXT_HEADER_UNIT !== 0 || length > 2048) throw new RangeError('Ipv6OptionsHeaderRepr.options must be 6 + 8k bytes');
  if (!inBounds(bytes, offset, length)) throw new RangeError('emitIpv6OptionsHeader: buffer too small');
  bytes[offset + E.NextHeader] = repr.nextHeader;
  bytes[offset + E.HdrExtLen] = length / IPV6_EXT_HEADER_UNIT - 1;
  bytes.set(repr.options, offset + E.Data);
  return length;
}

export function parseIpv6Routing(bytes: Uint8Array, offset: number, length: number): Ipv6RoutingRepr | WireError {
  const err = Ipv6ExtHeaderView.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = extScratch.bind(bytes, offset);
  const data = offset + E.SegmentsLeft + 1;
  return {
    nextHeader: v.nextHeader,
    routingType: v.routingType,
    segmentsLeft: v.segmentsLeft,
    data: bytes.slice(data, offset + v.headerLength),
  };
}

export function ipv6RoutingLength(repr: Ipv6RoutingRepr): number {
  return E.SegmentsLeft + 1 + repr.data.length;
}

export function emitIpv6Routing(repr: Ipv6RoutingRepr, bytes: Uint8Array, offset: number): number {
  requireUint(repr.nextHeader, 0xff, 'Ipv6RoutingRepr.nextHeader');
  requireUint(repr.routingType, 0xff, 'Ipv6RoutingRepr.routingType');
  requireUint(repr.segmentsLeft, 0xff, 'Ipv6RoutingRepr.segmentsLeft');
  const length = ipv6RoutingLength(repr);
  if (length % IPV6_EXT_HEADER_UNIT !== 0 || length > 2048) throw new RangeError('Ipv6RoutingRepr.data must be 4 + 8k bytes');
  if (!inBounds(bytes, offset, length)) throw new RangeError('emitIpv6Routing: buffer too small');
  bytes[offset + E.NextHeader] = repr.nextHeader;
  bytes[offset + E.HdrExtLen] = length / IPV6_EXT_HEADER_UNIT - 1;
  bytes[offset + E.RoutingType] = repr.routingType;
  bytes[offset + E.SegmentsLeft] = repr.segmentsLeft;
  bytes.set(repr.data, offset + E.SegmentsLeft + 1);
  return length;
}

export function parseIpv6Fragment(bytes: Uint8Array, offset: number, length: number): Ipv6FragmentRepr | WireError {
  const err = Ipv6FragmentView.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = fragScratch.bind(bytes, offset);
  return {
    nextHeader: v.nextHeader,
    fragmentOffset: v.fragmentOffset,
    moreFragments: v.moreFragments,
    identification: v.identification,
  };
}

export function emitIpv6Fragment(repr: Ipv6FragmentRepr, bytes: Uint8Array, offset: number): number {
  requireUint(repr.nextHeader, 0xff, 'Ipv6FragmentRepr.nextHeader');
  requireUint(repr.fragmentOffset, 0xfff8, 'Ipv6FragmentRepr.fragmentOffset');
  if (repr.fragmentOffset % 8 !== 0) throw new RangeError('Ipv6FragmentRepr.fragmentOffset must be a multiple of 8');
  requireUint(repr.identification, 0xffffffff, 'Ipv6FragmentRepr.identification');
  if (!inBounds(bytes, offset, IPV6_FRAGMENT_HEADER_LEN)) throw new RangeError('emitIpv6Fragment: buffer too small');
  bytes[offset + FR.NextHeader] = repr.nextHeader;
  bytes[offset + FR.Reserved] = 0;
  write16(bytes, offset + FR.OffsetFlags, repr.fragmentOffset | (repr.moreFragments ? 1 : 0));
  write32(bytes, offset + FR.Identification, repr.identification);
  return IPV6_FRAGMENT_HEADER_LEN;
}

/**
 * Where `walkIpv6Extensions` stopped. Allocate one per receive path and reuse it for every packet.
 */
export class Ipv6ExtensionWalk {
  /** The upper-layer protocol: the first Next Header value that is not an extension header walked here. */
  protocol = 0;
  /** Absolute offset of the upper-layer header (of the fragment data, when `fragmentOffset` ≠ 0). */
  offset = 0;
  /** Extension headers passed (complete and valid ones, also when the walk fails). */
  headerCount = 0;
  /** Absolute offset of the fragment header, or -1 when there is none. */
  fragmentHeaderOffset = -1;
  /**
   * The fragment header's offset in bytes (0 when there is none). When non-zero the walk stopped right
   * after the fragment header: what follows is the middle of a datagram, not a header.
   */
  fragmentOffset = 0;
  /** The fragment header's M flag (false when there is none). A fragment header with offset 0 and M clear is an atomic fragment: the datagram is whole. */
  moreFragments = false;
}

const walkExt = new Ipv6ExtHeaderView();
const walkFrag = new Ipv6FragmentView();

/**
 * Follows the Next Header chain through hop-by-hop, routing, fragment and destination options
 * headers, starting with `nextHeader` (the fixed header's) at `offset` (the first byte after the fixed
 * header), with `length` bytes of IPv6 payload. Fills `out` and returns 0, or returns `Truncated` (a
 * header runs past `length`), `Malformed` (hop-by-hop not first) or `TooManyHeaders`.
 * At most `IPV6_MAX_EXTENSION_HEADERS` turns, each of which advances by at least 8 bytes.
 */
export function walkIpv6Extensions(
  bytes: Uint8Array,
  offset: number,
  length: number,
  nextHeader: number,
  out: Ipv6ExtensionWalk,
): WireError | 0 {
  out.headerCount = 0;
  out.fragmentHeaderOffset = -1;
  out.fragmentOffset = 0;
  out.moreFragments = false;
  if (!inBounds(bytes, offset, length)) return WireError.Truncated;
  let nh = nextHeader;
  let at = offset;
  const end = offset + length;
  for (;;) {
    if (!isIpv6ExtensionHeader(nh)) break;
    if (out.headerCount === IPV6_MAX_EXTENSION_HEADERS) return WireError.TooManyHeaders;
    if (nh === IpProtocol.HopByHop && out.headerCount !== 0) return WireError.Malformed;
    if (nh === IpProtocol.Ipv6Fragment) {
      if (Ipv6FragmentView.check(bytes, at, end - at) !== 0) return WireError.Truncated;
      const f = walkFrag.bind(bytes, at);
      out.headerCount++;
      out.fragmentHeaderOffset = at;
      out.fragmentOffset = f.fragmentOffset;
      out.moreFragments = f.moreFragments;
      nh = f.nextHeader;
      at += IPV6_FRAGMENT_HEADER_LEN;
      if (out.fragmentOffset !== 0) break;
    } else {
      if (Ipv6ExtHeaderView.check(bytes, at, end - at) !== 0) return WireError.Truncated;
      const h = walkExt.bind(bytes, at);
      out.headerCount++;
      nh = h.nextHeader;
      at += h.headerLength;
    }
  }
  out.protocol = nh;
  out.offset = at;
  return 0;
}
