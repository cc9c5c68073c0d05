/**
 * IPv4 headers (RFC 791). Options are walked and checked for structure (`Ipv4OptionReader`,
 * `checkIpv4Options`) but not interpreted: the view exposes where they are and how long they are; the
 * Repr carries them as raw bytes.
 *
 * ```
 *  0        1        2        3
 *  |ver|ihl | dscp|e |  total length   |
 *  |  identification |fl| frag offset |   fl = reserved, DF, MF
 *  |  ttl   | proto  | header checksum |
 *  |          source address           |
 *  |        destination address        |
 *  |  options (ihl*4 - 20 bytes) …     |
 * ```
 * `check()` accepts trailing bytes after `totalLength` (Ethernet padding): the payload is
 * `payloadLength` bytes from `payloadOffset`, never "the rest of the frame".
 */
import { inBounds, read16, read32, requireUint, write16, write32 } from './bytes.js';
import { internetChecksum, verifyChecksum } from './checksum.js';
import { WireError } from './error.js';
import { OptionReader } from './option-reader.js';
import { WireView } from './view.js';

export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IPV4_MAX_OPTIONS_LEN = IPV4_MAX_HEADER_LEN - IPV4_HEADER_LEN;

export const Ipv4Field = {
  VersionIhl: 0,
  DscpEcn: 1,
  TotalLength: 2,
  Identification: 4,
  FlagsFragmentOffset: 6,
  Ttl: 8,
  Protocol: 9,
  Checksum: 10,
  SrcAddr: 12,
  DstAddr: 16,
  Options: 20,
} as const;
const F = Ipv4Field;

/** Bits of the 16-bit flags/fragment-offset word. */
export const Ipv4Flag = { Reserved: 0x8000, DontFragment: 0x4000, MoreFragments: 0x2000 } as const;
const FRAG_OFFSET_MASK = 0x1fff;

export class Ipv4View extends WireView {

  /**
   * Header-only check, for a datagram quoted inside an ICMP error (usually cut short): version 4,
   * IHL ≥ 5 and the whole header (options included) present. The header accessors are then safe;
   * `totalLength`/`payloadLength` describe the original datagram, not the bytes at hand.
   */
  static checkHeader(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    if (!inBounds(bytes, offset, length) || length < IPV4_HEADER_LEN) return WireError.Truncated;
    const vihl = bytes[offset + F.VersionIhl]!;
    if (vihl >>> 4 !== 4) return WireError.BadVersion;
    const hl = (vihl & 0x0f) << 2;
    if (hl < IPV4_HEADER_LEN) return WireError.BadHeaderLength;
    return length < hl ? WireError.Truncated : 0;
  }

  /**
   * 0 when every accessor is safe and the datagram (`totalLength` bytes) lies within `length`; else
   * `Truncated`, `BadVersion`, `BadHeaderLength`, or `BadLength` (total length below the header length).
   * Does not verify the checksum (`verifyChecksum()`).
   */
  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    const err = Ipv4View.checkHeader(bytes, offset, length);
    if (err !== 0) return err;
    const total = read16(bytes, offset + F.TotalLength);
    if (total < (bytes[offset + F.VersionIhl]! & 0x0f) << 2) return WireError.BadLength;
    return total > length ? WireError.Truncated : 0;
  }



  get version(): number {
    return this.b[this.o + F.VersionIhl]! >>> 4;
  }
  set version(v: number) {
    const i = this.o + F.VersionIhl;
    this.b[i] = (this.b[i]! & 0x0f) | (v << 4);
  }
  /** Header length in bytes (IHL × 4), options included. The setter takes bytes too. */
  get headerLength(): number {
    return (this.b[this.o + F.VersionIhl]! & 0x0f) << 2;
  }
  set headerLength(v: number) {
    const i = this.o + F.VersionIhl;
    this.b[i] = (this.b[i]! & 0xf0) | ((v >>> 2) & 0x0f);
  }
  /** Differentiated services code point, 6 bits. */
  get dscp(): number {
    return this.b[this.o + F.DscpEcn]! >>> 2;
  }
  set dscp(v: number) {
    const i = this.o + F.DscpEcn;
    this.b[i] = (this.b[i]! & 0x03) | (v << 2);
  }
  /** Explicit congestion notification, 2 bits. */
  get ecn(): number {
    return this.b[this.o + F.DscpEcn]! & 0x03;
  }
  set ecn(v: number) {
    const i = this.o + F.DscpEcn;
    this.b[i] = (this.b[i]! & 0xfc) | (v & 0x03);
  }
  get totalLength(): number {
    return read16(this.b, this.o + F.TotalLength);
  }
  set totalLength(v: number) {
    write16(this.b, this.o + F.TotalLength, v);
  }
  get identification(): number {
    return read16(this.b, this.o + F.Identification);
  }
  set identification(v: number) {
    write16(this.b, this.o + F.Identification, v);
  }
  /** The reserved ("evil") flag bit; must be zero on the wire. */
  get reservedFlag(): boolean {
    return (this.b[this.o + F.FlagsFragmentOffset]! & 0x80) !== 0;
  }
  set reservedFlag(v: boolean) {
    this.#setFlag(0x80, v);
  }
  get dontFragment(): boolean {
    return (this.b[this.o + F.FlagsFragmentOffset]! & 0x40) !== 0;
  }
  set dontFragment(v: boolean) {
    this.#setFlag(0x40, v);
  }
  get moreFragments(): boolean {
    return (this.b[this.o + F.FlagsFragmentOffset]! & 0x20) !== 0;
  }
  set moreFragments(v: boolean) {
    this.#setFlag(0x20, v);
  }
  #setFlag(bit: number, on: boolean): void {
    const i = this.o + F.FlagsFragmentOffset;
    this.b[i] = on ? this.b[i]! | bit : this.b[i]! & ~bit;
  }
  /** Fragment offset in bytes (the field counts 8-byte units; the setter drops the low 3 bits). */
  get fragmentOffset(): number {
    return (read16(this.b, this.o + F.FlagsFragmentOffset) & FRAG_OFFSET_MASK) << 3;
  }
  set fragmentOffset(v: number) {
    const i = this.o + F.FlagsFragmentOffset;
    write16(this.b, i, (read16(this.b, i) & ~FRAG_OFFSET_MASK) | ((v >>> 3) & FRAG_OFFSET_MASK));
  }
  /** True for any fragment (MF set or a non-zero offset). */
  get isFragment(): boolean {
    return (read16(this.b, this.o + F.FlagsFragmentOffset) & (Ipv4Flag.MoreFragments | FRAG_OFFSET_MASK)) !== 0;
  }
  get ttl(): number {
    return this.b[this.o + F.Ttl]!;
  }
  set ttl(v: number) {
    this.b[this.o + F.Ttl] = v;
  }
  get protocol(): number {
    return this.b[this.o + F.Protocol]!;
  }
  set protocol(v: number) {
    this.b[this.o + F.Protocol] = v;
  }
  get checksum(): number {
    return read16(this.b, this.o + F.Checksum);
  }
  set checksum(v: number) {
    write16(this.b, this.o + F.Checksum, v);
  }
  get srcAddr(): number {
    return read32(this.b, this.o + F.SrcAddr);
  }
  set srcAddr(v: number) {
    write32(this.b, this.o + F.SrcAddr, v);
  }
  get dstAddr(): number {
    return read32(this.b, this.o + F.DstAddr);
  }
  set dstAddr(v: number) {
    write32(this.b, this.o + F.DstAddr, v);
  }

  /** Where the options start (always `offset + 20`) and how many bytes they take (0–40). */
  get optionsOffset(): number {
    return this.o + F.Options;
  }
  get optionsLength(): number {
    return this.headerLength - IPV4_HEADER_LEN;
  }
  get payloadOffset(): number {
    return this.o + this.headerLength;
  }
  /** `totalLength - headerLength`: the payload length this header claims (≥ 0 once `check()` passed). */
  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }

  verifyChecksum(): boolean {
    return verifyChecksum(this.b, this.o, this.headerLength);
  }
  /** Recomputes and stores the header checksum (after changing any header field). */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = internetChecksum(this.b, this.o, this.headerLength);
  }
}

/** Option kinds (copy flag, class and number in one octet) the walk knows more about than their length. */
export const Ipv4OptionKind = {
  EndOfList: 0,
  Nop: 1,
  RecordRoute: 7,
  Timestamp: 68,
  LooseSourceRoute: 131,
  StrictSourceRoute: 137,
  RouterAlert: 148,
} as const;

/**
 * Iterates over IPv4 options without allocating, like `TcpOptionReader` (both walk as `OptionReader`):
 * `reset()` it on a checked view's `optionsOffset`/`optionsLength`, then `while (r.next()) { … }` and
 * look at `r.error`. Each option `next()` returns lies within the options area. End-of-list is returned
 * and ends the walk with no error (what follows is padding); no-operation is one byte; every other
 * option needs a length octet of at least 2 that keeps it inside the area. As Linux's
 * ip_options_compile does, record route and the source routes need a length ≥ 3 and a pointer ≥ 4,
 * timestamps a length ≥ 4 and a pointer ≥ 5. A broken option stops the walk with `Malformed`. At most
 * `length` turns.
 */
export class Ipv4OptionReader extends OptionReader {
  protected validOption(kind: number, at: number, len: number): boolean {
    switch (kind) {
      case Ipv4OptionKind.RecordRoute:
      case Ipv4OptionKind.LooseSourceRoute:
      case Ipv4OptionKind.StrictSourceRoute:
        return len >= 3 && this.b[at + 2]! >= 4;
      case Ipv4OptionKind.Timestamp:
        return len >= 4 && this.b[at + 2]! >= 5;
      default:
        return true;
    }
  }
}

const optionWalk = new Ipv4OptionReader();

/**
 * 0 when the `length` option bytes at `offset` walk cleanly (see `Ipv4OptionReader`), else `Malformed`
 * (or `Truncated` for a range outside `bytes`). A host drops a datagram whose options fail this.
 */
export function checkIpv4Options(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
  const r = optionWalk.reset(bytes, offset, length);
  while (r.next());
  return r.error;
}

export interface Ipv4Repr {
  /** 0–63. */
  dscp: number;
  /** 0–3. */
  ecn: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  /** Raw option bytes (a multiple of 4, at most 40); checked for structure by `parseIpv4`, not interpreted. */
  options: Uint8Array;
  /** Bytes after the header, as `totalLength` says. */
  payloadLength: number;
}

const scratch = new Ipv4View();

/**
 * Parses and verifies the header checksum (`BadChecksum`) and the option walk (`Malformed`). The
 * reserved flag is ignored.
 */
export function parseIpv4(bytes: Uint8Array, offset: number, length: number): Ipv4Repr | WireError {
  const err = Ipv4View.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = scratch.bind(bytes, offset);
  if (!v.verifyChecksum()) return WireError.BadChecksum;
  if (checkIpv4Options(bytes, v.optionsOffset, v.optionsLength) !== 0) return WireError.Malformed;
  return {
    dscp: v.dscp,
    ecn: v.ecn,
    identification: v.identification,
    dontFragment: v.dontFragment,
    moreFragments: v.moreFragments,
    fragmentOffset: v.fragmentOffset,
    ttl: v.ttl,
    protocol: v.protocol,
    src: v.srcAddr,
    dst: v.dstAddr,
    options: bytes.slice(v.optionsOffset, v.optionsOffset + v.optionsLength),
    payloadLength: v.payloadLength,
  };
}

export function ipv4HeaderLength(repr: Ipv4Repr): number {
  return IPV4_HEADER_LEN + repr.options.length;
}

/**
 * Writes the header and options at `offset` and fills the header checksum; returns the header length.
 * The payload is not touched. Throws RangeError on an impossible Repr.
 */
export function emitIpv4(repr: Ipv4Repr, bytes: Uint8Array, offset: number): number {
  const hl = ipv4HeaderLength(repr);
  if (repr.options.length % 4 !== 0 || repr.options.length > IPV4_MAX_OPTIONS_LEN) {
    throw new RangeError('Ipv4Repr.options must be a multiple of 4 bytes, at most 40');
  }
  requireUint(repr.dscp, 63, 'Ipv4Repr.dscp');
  requireUint(repr.ecn, 3, 'Ipv4Repr.ecn');
  requireUint(repr.identification, 0xffff, 'Ipv4Repr.identification');
  requireUint(repr.ttl, 0xff, 'Ipv4Repr.ttl');
  requireUint(repr.protocol, 0xff, 'Ipv4Repr.protocol');
  requireUint(repr.src, 0xffffffff, 'Ipv4Repr.src');
  requireUint(repr.dst, 0xffffffff, 'Ipv4Repr.dst');
  requireUint(repr.payloadLength, 0xffff - hl, 'Ipv4Repr.payloadLength');
  requireUint(repr.fragmentOffset, FRAG_OFFSET_MASK << 3, 'Ipv4Repr.fragmentOffset');
  if (repr.fragmentOffset % 8 !== 0) throw new RangeError('Ipv4Repr.fragmentOffset must be a multiple of 8');
  if (!inBounds(bytes, offset, hl)) throw new RangeError('emitIpv4: buffer too small');
  const v = scratch.bind(bytes, offset);
  bytes[offset + F.VersionIhl] = 0x40 | (hl >>> 2);
  bytes[offset + F.DscpEcn] = (repr.dscp << 2) | repr.ecn;
  v.totalLength = hl + repr.payloadLength;
  v.identification = repr.identification;
  write16(
    bytes,
    offset + F.FlagsFragmentOffset,
    (repr.dontFragment ? Ipv4Flag.DontFragment : 0) | (repr.moreFragments ? Ipv4Flag.MoreFragments : 0) | (repr.fragmentOffset >>> 3),
  );
  v.ttl = repr.ttl;
  v.protocol = repr.protocol;
  v.srcAddr = repr.src;
  v.dstAddr = repr.dst;
  bytes.set(repr.options, offset + F.Options);
  v.fillChecksum();
  return hl;
}

/** True when the header at `offset` passes `Ipv4View.checkHeader` and its checksum verifies. */
export function verifyIpv4HeaderChecksum(bytes: Uint8Array, offset: number, length: number): boolean {
  return Ipv4View.checkHeader(bytes, offset, length) === 0 && scratch.bind(bytes, offset).verifyChecksum();
}
