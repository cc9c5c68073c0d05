/**
 * ICMPv6 (RFC 4443) and Neighbor Discovery messages (RFC 4861): echo, destination unreachable,
 * packet too big, time exceeded (with the quoted datagram), router solicitation/advertisement (source
 * link-layer address, MTU and prefix information options) and neighbor solicitation/advertisement
 * (source/target link-layer address options).
 *
 * ```
 *  0      1      2          4                           8                     24
 *  | type | code | checksum | identifier | sequence     | data …                        echo (128, 129)
 *  | type | code | checksum | unused / MTU / pointer    | quoted datagram …             errors (1–4)
 *  | type | code | checksum | reserved                  | options …                     RS (133)
 *  | type | code | checksum | hop lim | M O | lifetime | reachable | retrans | options… RA (134)
 *  | type | code | checksum | R S O | reserved          | target address | options …   NS, NA (135, 136)
 * ```
 * The checksum covers the IPv6 pseudo-header and the whole message, so checksum methods take the
 * message length and the pseudo-header sum. Redirect and parameter problem pass `check()` but have no
 * Repr (`Unsupported`).
 */
import { IPV6_ADDRESS_LEN, MAC_ADDRESS_LEN, requireIpv6, requireMac } from './address.js';
import { bytesEqual, copyInto, inBounds, read16, read32, requireUint, write16, write32 } from './bytes.js';
import { type Ipv6PseudoHeader, finishChecksum, onesComplementSum, pseudoHeaderSum } from './checksum.js';
import { WireError } from './error.js';
import {
  NDP_LINK_LAYER_OPTION_LEN,
  NDP_MTU_OPTION_LEN,
  NDP_PREFIX_OPTION_LEN,
  NdpOptionField,
  NdpOptionReader,
  NdpOptionType,
  NdpPrefixFlag,
  type NdpPrefixInformation,
} from './ndp.js';
import { IpProtocol } from './numbers.js';
import { IcmpHeaderView } from './icmp-header.js';

export const ICMPV6_HEADER_LEN = 8;

export const Icmpv6Field = {
  Type: 0,
  Code: 1,
  Checksum: 2,
  /** Echo. */
  Identifier: 4,
  SequenceNumber: 6,
  /** Packet too big. */
  Mtu: 4,
  /** Parameter problem. */
  Pointer: 4,
  /** Echo data or quoted datagram. */
  Data: 8,
  /** Neighbor advertisement: R, S, O. */
  NaFlags: 4,
  /** Router advertisement. */
  CurHopLimit: 4,
  RaFlags: 5,
  RouterLifetime: 6,
  ReachableTime: 8,
  RetransTimer: 12,
  /** Neighbor solicitation/advertisement and redirect. */
  TargetAddr: 8,
  /** Redirect. */
  RedirectDstAddr: 24,
} as const;
const F = Icmpv6Field;

export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
  Redirect: 137,
} as const;

export const Icmpv6Unreachable = {
  NoRoute: 0,
  AdministrativelyProhibited: 1,
  BeyondScope: 2,
  Address: 3,
  Port: 4,
  SourcePolicyFailed: 5,
  RejectRoute: 6,
} as const;

export const Icmpv6TimeExceeded = { HopLimitExceeded: 0, FragmentReassembly: 1 } as const;

/** Neighbor advertisement flag bits (byte 4). */
export const NdpNeighborFlag = { Router: 0x80, Solicited: 0x40, Override: 0x20 } as const;
/** Router advertisement flag bits (byte 5). */
export const NdpRouterFlag = { Managed: 0x80, Other: 0x40 } as const;

/** Where the NDP options start for each message type (also its minimum length); 8 for non-NDP types. */
export function icmpv6FixedLength(type: number): number {
  switch (type) {
    case Icmpv6Type.RouterAdvertisement:
      return 16;
    case Icmpv6Type.NeighborSolicitation:
    case Icmpv6Type.NeighborAdvertisement:
      return 24;
    case Icmpv6Type.Redirect:
      return 40;
    default:
      return ICMPV6_HEADER_LEN;
  }
}

export class Icmpv6View extends IcmpHeaderView {

  /**
   * 0 when the fixed part of this message type is present: 8 bytes, 16 for RA, 24 for NS/NA, 40 for
   * redirect. The type-specific accessors are safe for the message's own type only (an echo request
   * has no target address). NDP options are checked by `NdpOptionReader`.
   */
  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    if (!inBounds(bytes, offset, length) || length < ICMPV6_HEADER_LEN) return WireError.Truncated;
    return length < icmpv6FixedLength(bytes[offset + F.Type]!) ? WireError.Truncated : 0;
  }



  /** Packet too big. */
  get mtu(): number {
    return read32(this.b, this.o + F.Mtu);
  }
  set mtu(v: number) {
    write32(this.b, this.o + F.Mtu, v);
  }
  /** Echo data or the quoted datagram start here. */
  get dataOffset(): number {
    return this.o + F.Data;
  }
  /** Types 0–127 are errors and quote the offending datagram. */
  get isError(): boolean {
    return this.type < 128;
  }

  /** Neighbor advertisement flags. */
  get routerFlag(): boolean {
    return (this.b[this.o + F.NaFlags]! & NdpNeighborFlag.Router) !== 0;
  }
  set routerFlag(v: boolean) {
    this.#setBit(F.NaFlags, NdpNeighborFlag.Router, v);
  }
  get solicitedFlag(): boolean {
    return (this.b[this.o + F.NaFlags]! & NdpNeighborFlag.Solicited) !== 0;
  }
  set solicitedFlag(v: boolean) {
    this.#setBit(F.NaFlags, NdpNeighborFlag.Solicited, v);
  }
  get overrideFlag(): boolean {
    return (this.b[this.o + F.NaFlags]! & NdpNeighborFlag.Override) !== 0;
  }
  set overrideFlag(v: boolean) {
    this.#setBit(F.NaFlags, NdpNeighborFlag.Override, v);
  }
  #setBit(field: number, bit: number, on: boolean): void {
    const i = this.o + field;
    this.b[i] = on ? this.b[i]! | bit : this.b[i]! & ~bit;
  }

  /** Router advertisement fields. */
  get curHopLimit(): number {
    return this.b[this.o + F.CurHopLimit]!;
  }
  set curHopLimit(v: number) {
    this.b[this.o + F.CurHopLimit] = v;
  }
  get managedFlag(): boolean {
    return (this.b[this.o + F.RaFlags]! & NdpRouterFlag.Managed) !== 0;
  }
  set managedFlag(v: boolean) {
    this.#setBit(F.RaFlags, NdpRouterFlag.Managed, v);
  }
  get otherFlag(): boolean {
    return (this.b[this.o + F.RaFlags]! & NdpRouterFlag.Other) !== 0;
  }
  set otherFlag(v: boolean) {
    this.#setBit(F.RaFlags, NdpRouterFlag.Other, v);
  }
  get routerLifetimeSeconds(): number {
    return read16(this.b, this.o + F.RouterLifetime);
  }
  set routerLifetimeSeconds(v: number) {
    write16(this.b, this.o + F.RouterLifetime, v);
  }
  get reachableTimeMs(): number {
    return read32(this.b, this.o + F.ReachableTime);
  }
  set reachableTimeMs(v: number) {
    write32(this.b, this.o + F.ReachableTime, v);
  }
  get retransTimerMs(): number {
    return read32(this.b, this.o + F.RetransTimer);
  }
  set retransTimerMs(v: number) {
    write32(this.b, this.o + F.RetransTimer, v);
  }

  /** Neighbor solicitation/advertisement and redirect: the target address. */
  get targetAddrOffset(): number {
    return this.o + F.TargetAddr;
  }
  copyTargetAddr(out: Uint8Array, at = 0): void {
    copyInto(out, at, this.b, this.o + F.TargetAddr, IPV6_ADDRESS_LEN);
  }
  setTargetAddr(addr: Uint8Array, from = 0): void {
    copyInto(this.b, this.o + F.TargetAddr, addr, from, IPV6_ADDRESS_LEN);
  }
  targetAddrEquals(addr: Uint8Array, from = 0): boolean {
    return bytesEqual(this.b, this.o + F.TargetAddr, addr, from, IPV6_ADDRESS_LEN);
  }

  /** Absolute offset of the NDP options for this message's type (meaningful for types 133–137). */
  get ndpOptionsOffset(): number {
    return this.o + icmpv6FixedLength(this.type);
  }

  /** True when the checksum over the `length`-byte message and `pseudoSum` verifies. */
  verifyChecksum(length: number, pseudoSum: number): boolean {
    return onesComplementSum(this.b, this.o, length, pseudoSum) === 0xffff;
  }
  fillChecksum(length: number, pseudoSum: number): void {
    this.checksum = 0;
    this.checksum = finishChecksum(onesComplementSum(this.b, this.o, length, pseudoSum));
  }
}

export interface Icmpv6EchoRepr {
  type: typeof Icmpv6Type.EchoRequest | typeof Icmpv6Type.EchoReply;
  identifier: number;
  sequenceNumber: number;
  data: Uint8Array;
}
export interface Icmpv6DestinationUnreachableRepr {
  type: typeof Icmpv6Type.DestinationUnreachable;
  /** An `Icmpv6Unreachable` code. */
  code: number;
  quoted: Uint8Array;
}
export interface Icmpv6PacketTooBigRepr {
  type: typeof Icmpv6Type.PacketTooBig;
  mtu: number;
  quoted: Uint8Array;
}
export interface Icmpv6TimeExceededRepr {
  type: typeof Icmpv6Type.TimeExceeded;
  /** An `Icmpv6TimeExceeded` code. */
  code: number;
  quoted: Uint8Array;
}
export interface NdpRouterSolicitationRepr {
  type: typeof Icmpv6Type.RouterSolicitation;
  sourceLinkLayerAddr: Uint8Array | null;
}
export interface NdpRouterAdvertisementRepr {
  type: typeof Icmpv6Type.RouterAdvertisement;
  curHopLimit: number;
  managed: boolean;
  other: boolean;
  routerLifetimeSeconds: number;
  reachableTimeMs: number;
  retransTimerMs: number;
  sourceLinkLayerAddr: Uint8Array | null;
  mtu: number | null;
  prefixes: NdpPrefixInformation[];
}
export interface NdpNeighborSolicitationRepr {
  type: typeof Icmpv6Type.NeighborSolicitation;
  targetAddr: Uint8Array;
  sourceLinkLayerAddr: Uint8Array | null;
}
export interface NdpNeighborAdvertisementRepr {
  type: typeof Icmpv6Type.NeighborAdvertisement;
  router: boolean;
  solicited: boolean;
  override: boolean;
  targetAddr: Uint8Array;
  targetLinkLayerAddr: Uint8Array | null;
}

export type Icmpv6Repr =
  | Icmpv6EchoRepr
  | Icmpv6DestinationUnreachableRepr
  | Icmpv6PacketTooBigRepr
  | Icmpv6TimeExceededRepr
  | NdpRouterSolicitationRepr
  | NdpRouterAdvertisementRepr
  | NdpNeighborSolicitationRepr
  | NdpNeighborAdvertisementRepr;

const scratch = new Icmpv6View();
const reader = new NdpOptionReader();

/**
 * Parses a `length`-byte message. With a pseudo-header, verifies the checksum (`BadChecksum`). NDP
 * options are bounds-checked (the reader's errors are returned); options a message type does not use
 * are skipped, and a repeated option replaces the earlier one (prefixes accumulate). Codes of types
 * that only define code 0 are ignored.
 */
export function parseIcmpv6(bytes: Uint8Array, offset: number, length: number, pseudo: Ipv6PseudoHeader | null): Icmpv6Repr | WireError {
  const err = Icmpv6View.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = scratch.bind(bytes, offset);
  if (pseudo && !v.verifyChecksum(length, pseudoHeaderSum(pseudo, IpProtocol.Icmpv6, length))) return WireError.BadChecksum;
  const type = v.type;
  const rest = (): Uint8Array => bytes.slice(offset + F.Data, offset + length);
  switch (type) {
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      return { type, identifier: v.identifier, sequenceNumber: v.sequenceNumber, data: rest() };
    case Icmpv6Type.DestinationUnreachable:
      return { type, code: v.code, quoted: rest() };
    case Icmpv6Type.PacketTooBig:
      return { type, mtu: v.mtu, quoted: rest() };
    case Icmpv6Type.TimeExceeded:
      return { type, code: v.code, quoted: rest() };
    case Icmpv6Type.RouterSolicitation:
    case Icmpv6Type.RouterAdvertisement:
    case Icmpv6Type.NeighborSolicitation:
    case Icmpv6Type.NeighborAdvertisement:
      break;
    default:
      return WireError.Unsupported;
  }
  let sourceLinkLayerAddr: Uint8Array | null = null;
  let targetLinkLayerAddr: Uint8Array | null = null;
  let mtu: number | null = null;
  const prefixes: NdpPrefixInformation[] = [];
  const fixed = icmpv6FixedLength(type);
  const r = reader.reset(bytes, offset + fixed, length - fixed);
  while (r.next()) {
    switch (r.type) {
      case NdpOptionType.SourceLinkLayerAddress:
        sourceLinkLayerAddr = bytes.slice(r.linkLayerAddrOffset, r.linkLayerAddrOffset + MAC_ADDRESS_LEN);
        break;
      case NdpOptionType.TargetLinkLayerAddress:
        targetLinkLayerAddr = bytes.slice(r.linkLayerAddrOffset, r.linkLayerAddrOffset + MAC_ADDRESS_LEN);
        break;
      case NdpOptionType.Mtu:
        mtu = r.mtu;
        break;
      case NdpOptionType.PrefixInformation:
        prefixes.push({
          prefixLength: r.prefixLength,
          onLink: r.prefixOnLink,
          autonomous: r.prefixAutonomous,
          validLifetimeSeconds: r.validLifetimeSeconds,
          preferredLifetimeSeconds: r.preferredLifetimeSeconds,
          prefix: bytes.slice(r.prefixOffset, r.prefixOffset + IPV6_ADDRESS_LEN),
        });
        break;
      default:
        break;
    }
  }
  if (r.error !== 0) return r.error;
  const target = (): Uint8Array => bytes.slice(v.targetAddrOffset, v.targetAddrOffset + IPV6_ADDRESS_LEN);
  switch (type) {
    case Icmpv6Type.RouterSolicitation:
      return { type, sourceLinkLayerAddr };
    case Icmpv6Type.RouterAdvertisement:
      return {
        type,
        curHopLimit: v.curHopLimit,
        managed: v.managedFlag,
        other: v.otherFlag,
        routerLifetimeSeconds: v.routerLifetimeSeconds,
        reachableTimeMs: v.reachableTimeMs,
        retransTimerMs: v.retransTimerMs,
        sourceLinkLayerAddr,
        mtu,
        prefixes,
      };
    case Icmpv6Type.NeighborSolicitation:
      return { type, targetAddr: target(), sourceLinkLayerAddr };
    default:
      return {
        type: Icmpv6Type.NeighborAdvertisement,
        router: v.routerFlag,
        solicited: v.solicitedFlag,
        override: v.overrideFlag,
        targetAddr: target(),
        targetLinkLayerAddr,
      };
  }
}

/** Message length: fixed part, data or quoted bytes, NDP options. */
export function icmpv6Length(repr: Icmpv6Repr): number {
  const ll = (a: Uint8Array | null): number => (a ? NDP_LINK_LAYER_OPTION_LEN : 0);
  switch (repr.type) {
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      return ICMPV6_HEADER_LEN + repr.data.length;
    case Icmpv6Type.DestinationUnreachable:
    case Icmpv6Type.PacketTooBig:
    case Icmpv6Type.TimeExceeded:
      return ICMPV6_HEADER_LEN + repr.quoted.length;
    case Icmpv6Type.RouterSolicitation:
      return icmpv6FixedLength(repr.type) + ll(repr.sourceLinkLayerAddr);
    case Icmpv6Type.RouterAdvertisement:
      return (
        icmpv6FixedLength(repr.type) +
        ll(repr.sourceLinkLayerAddr) +
        (repr.mtu !== null ? NDP_MTU_OPTION_LEN : 0) +
        repr.prefixes.length * NDP_PREFIX_OPTION_LEN
      );
    case Icmpv6Type.NeighborSolicitation:
      return icmpv6FixedLength(repr.type) + ll(repr.sourceLinkLayerAddr);
    case Icmpv6Type.NeighborAdvertisement:
      return icmpv6FixedLength(repr.type) + ll(repr.targetLinkLayerAddr);
  }
}

function emitLinkLayerOption(type: number, addr: Uint8Array, bytes: Uint8Array, at: number): number {
  requireMac(addr, 'NDP link-layer address');
  bytes[at + NdpOptionField.Type] = type;
  bytes[at + NdpOptionField.Length] = 1;
  bytes.set(addr, at + NdpOptionField.LinkLayerAddr);
  return NDP_LINK_LAYER_OPTION_LEN;
}

/**
 * Writes the whole message at `offset` (fixed part, data or quoted bytes, options in the order source
 * link-layer address, MTU, prefixes) and its checksum over `pseudo`; returns its length.
 */
export function emitIcmpv6(repr: Icmpv6Repr, bytes: Uint8Array, offset: number, pseudo: Ipv6PseudoHeader): number {
  const length = icmpv6Length(repr);
  if (!inBounds(bytes, offset, length)) throw new RangeError('emitIcmpv6: buffer too small');
  const v = scratch.bind(bytes, offset);
  v.type = repr.type;
  v.code = 0;
  v.restOfHeader = 0;
  let at = offset + icmpv6FixedLength(repr.type);
  switch (repr.type) {
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      requireUint(repr.identifier, 0xffff, 'Icmpv6EchoRepr.identifier');
      requireUint(repr.sequenceNumber, 0xffff, 'Icmpv6EchoRepr.sequenceNumber');
      v.identifier = repr.identifier;
      v.sequenceNumber = repr.sequenceNumber;
      bytes.set(repr.data, offset + F.Data);
      break;
    case Icmpv6Type.DestinationUnreachable:
    case Icmpv6Type.TimeExceeded:
      requireUint(repr.code, 0xff, 'Icmpv6Repr.code');
      v.code = repr.code;
      bytes.set(repr.quoted, offset + F.Data);
      break;
    case Icmpv6Type.PacketTooBig:
      requireUint(repr.mtu, 0xffffffff, 'Icmpv6PacketTooBigRepr.mtu');
      v.mtu = repr.mtu;
      bytes.set(repr.quoted, offset + F.Data);
      break;
    case Icmpv6Type.RouterSolicitation:
      if (repr.sourceLinkLayerAddr) at += emitLinkLayerOption(NdpOptionType.SourceLinkLayerAddress, repr.sourceLinkLayerAddr, bytes, at);
      break;
    case Icmpv6Type.RouterAdvertisement:
      requireUint(repr.curHopLimit, 0xff, 'NdpRouterAdvertisementRepr.curHopLimit');
      requireUint(repr.routerLifetimeSeconds, 0xffff, 'NdpRouterAdvertisementRepr.routerLifetimeSeconds');
      requireUint(repr.reachableTimeMs, 0xffffffff, 'NdpRouterAdvertisementRepr.reachableTimeMs');
      requireUint(repr.retransTimerMs, 0xffffffff, 'NdpRouterAdvertisementRepr.retransTimerMs');
      v.curHopLimit = repr.curHopLimit;
      bytes[offset + F.RaFlags] = (repr.managed ? NdpRouterFlag.Managed : 0) | (repr.other ? NdpRouterFlag.Other : 0);
      v.routerLifetimeSeconds = repr.routerLifetimeSeconds;
      v.reachableTimeMs = repr.reachableTimeMs;
      v.retransTimerMs = repr.retransTimerMs;
      if (repr.sourceLinkLayerAddr) at += emitLinkLayerOption(NdpOptionType.SourceLinkLayerAddress, repr.sourceLinkLayerAddr, bytes, at);
      if (repr.mtu !== null) {
        requireUint(repr.mtu, 0xffffffff, 'NdpRouterAdvertisementRepr.mtu');
        bytes[at + NdpOptionField.Type] = NdpOptionType.Mtu;
        bytes[at + NdpOptionField.Length] = 1;
        write16(bytes, at + 2, 0);
        write32(bytes, at + NdpOptionField.Mtu, repr.mtu);
        at += NDP_MTU_OPTION_LEN;
      }
      for (const p of repr.prefixes) {
        requireUint(p.prefixLength, 128, 'NdpPrefixInformation.prefixLength');
        requireUint(p.validLifetimeSeconds, 0xffffffff, 'NdpPrefixInformation.validLifetimeSeconds');
        requireUint(p.preferredLifetimeSeconds, 0xffffffff, 'NdpPrefixInformation.preferredLifetimeSeconds');
        requireIpv6(p.prefix, 'NdpPrefixInformation.prefix');
        bytes[at + NdpOptionField.Type] = NdpOptionType.PrefixInformation;
        bytes[at + NdpOptionField.Length] = NDP_PREFIX_OPTION_LEN / 8;
        bytes[at + NdpOptionField.PrefixLength] = p.prefixLength;
        bytes[at + NdpOptionField.PrefixFlags] = (p.onLink ? NdpPrefixFlag.OnLink : 0) | (p.autonomous ? NdpPrefixFlag.Autonomous : 0);
        write32(bytes, at + NdpOptionField.ValidLifetime, p.validLifetimeSeconds);
        write32(bytes, at + NdpOptionField.PreferredLifetime, p.preferredLifetimeSeconds);
        write32(bytes, at + NdpOptionField.PreferredLifetime + 4, 0);
        bytes.set(p.prefix, at + NdpOptionField.Prefix);
        at += NDP_PREFIX_OPTION_LEN;
      }
      break;
    case Icmpv6Type.NeighborSolicitation:
      requireIpv6(repr.targetAddr, 'NdpNeighborSolicitationRepr.targetAddr');
      v.setTargetAddr(repr.targetAddr);
      if (repr.sourceLinkLayerAddr) at += emitLinkLayerOption(NdpOptionType.SourceLinkLayerAddress, repr.sourceLinkLayerAddr, bytes, at);
      break;
    case Icmpv6Type.NeighborAdvertisement:
      requireIpv6(repr.targetAddr, 'NdpNeighborAdvertisementRepr.targetAddr');
      bytes[offset + F.NaFlags] =
        (repr.router ? NdpNeighborFlag.Router : 0) | (repr.solicited ? NdpNeighborFlag.Solicited : 0) | (repr.override ? NdpNeighborFlag.Override : 0);
      v.setTargetAddr(repr.targetAddr);
      if (repr.targetLinkLayerAddr) at += emitLinkLayerOption(NdpOptionType.TargetLinkLayerAddress, repr.targetLinkLayerAddr, bytes, at);
      break;
  }
  v.fillChecksum(length, pseudoHeaderSum(pseudo, IpProtocol.Icmpv6, length));
  return length;
}

/** True when the `length`-byte message at `offset` passes `check()` and its checksum over `pseudo` verifies. */
export function verifyIcmpv6Checksum(bytes: Uint8Array, offset: number, length: number, pseudo: Ipv6PseudoHeader): boolean {
  return (
    Icmpv6View.check(bytes, offset, length) === 0 &&
    scratch.bind(bytes, offset).verifyChecksum(length, pseudoHeaderSum(pseudo, IpProtocol.Icmpv6, length))
  );
}
