/**
 * ICMP for IPv4 (RFC 792, RFC 1191): echo request/reply, destination unreachable (with the
 * fragmentation-needed next-hop MTU) and time exceeded, with the quoted datagram. The checksum covers
 * the whole message, so checksum methods take the message length.
 *
 * ```
 *  0      1      2          4                6
 *  | type | code | checksum | identifier     | sequence        |   echo
 *  | type | code | checksum | unused         | next-hop MTU    |   destination unreachable
 *  | type | code | checksum | unused                           |   time exceeded
 *  | data (echo) or quoted IP header + first 8 payload bytes (errors) …
 * ```
 * Other types (redirect, parameter problem, timestamp…) pass `check()`; their Repr is `Unsupported`.
 */
import { inBounds, read16, requireUint, write16 } from './bytes.js';
import { internetChecksum, verifyChecksum } from './checksum.js';
import { WireError } from './error.js';
import { IcmpHeaderView } from './icmp-header.js';

export const ICMPV4_HEADER_LEN = 8;

export const Icmpv4Field = {
  Type: 0,
  Code: 1,
  Checksum: 2,
  /** Echo: identifier. Errors: the first half of the unused word. */
  Identifier: 4,
  /** Echo: sequence number. */
  SequenceNumber: 6,
  /** Destination unreachable, code FragmentationNeeded (RFC 1191). */
  NextHopMtu: 6,
  /** Echo data or the quoted datagram. */
  Data: 8,
} as const;
const F = Icmpv4Field;

export const Icmpv4Type = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  Redirect: 5,
  EchoRequest: 8,
  TimeExceeded: 11,
  ParameterProblem: 12,
} as const;

export const Icmpv4Unreachable = {
  Net: 0,
  Host: 1,
  Protocol: 2,
  Port: 3,
  FragmentationNeeded: 4,
  SourceRouteFailed: 5,
  NetUnknown: 6,
  HostUnknown: 7,
  SourceHostIsolated: 8,
  NetProhibited: 9,
  HostProhibited: 10,
  NetTos: 11,
  HostTos: 12,
  AdministrativelyProhibited: 13,
  HostPrecedenceViolation: 14,
  PrecedenceCutoff: 15,
} as const;

export const Icmpv4TimeExceeded = { TtlExceeded: 0, FragmentReassembly: 1 } as const;

export class Icmpv4View extends IcmpHeaderView {

  /** 0 when the 8-byte header is present (every accessor below reads only those). */
  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    return !inBounds(bytes, offset, length) || length < ICMPV4_HEADER_LEN ? WireError.Truncated : 0;
  }



  get nextHopMtu(): number {
    return read16(this.b, this.o + F.NextHopMtu);
  }
  set nextHopMtu(v: number) {
    write16(this.b, this.o + F.NextHopMtu, v);
  }
  /** Echo data or the quoted datagram start here. */
  get dataOffset(): number {
    return this.o + F.Data;
  }
  /** True for the error types whose data is a quoted datagram. */
  get isError(): boolean {
    const t = this.type;
    return t === Icmpv4Type.DestinationUnreachable || t === Icmpv4Type.TimeExceeded || t === Icmpv4Type.ParameterProblem || t === Icmpv4Type.Redirect;
  }

  /** The checksum covers the whole `length`-byte message. */
  verifyChecksum(length: number): boolean {
    return verifyChecksum(this.b, this.o, length);
  }
  fillChecksum(length: number): void {
    this.checksum = 0;
    this.checksum = internetChecksum(this.b, this.o, length);
  }
}

export interface Icmpv4EchoRepr {
  type: typeof Icmpv4Type.EchoRequest | typeof Icmpv4Type.EchoReply;
  identifier: number;
  sequenceNumber: number;
  data: Uint8Array;
}

export interface Icmpv4DestinationUnreachableRepr {
  type: typeof Icmpv4Type.DestinationUnreachable;
  /** An `Icmpv4Unreachable` code. */
  code: number;
  /** Next-hop MTU for `FragmentationNeeded` (RFC 1191); 0 otherwise. */
  nextHopMtu: number;
  /** The offending datagram's IP header and the start of its payload. */
  quoted: Uint8Array;
}

export interface Icmpv4TimeExceededRepr {
  type: typeof Icmpv4Type.TimeExceeded;
  /** An `Icmpv4TimeExceeded` code. */
  code: number;
  quoted: Uint8Array;
}

export type Icmpv4Repr = Icmpv4EchoRepr | Icmpv4DestinationUnreachableRepr | Icmpv4TimeExceededRepr;

const scratch = new Icmpv4View();

/**
 * Parses a `length`-byte message and verifies its checksum (`BadChecksum`); types without a Repr are
 * `Unsupported`. The echo code is ignored (it is always 0).
 */
export function parseIcmpv4(bytes: Uint8Array, offset: number, length: number): Icmpv4Repr | WireError {
  const err = Icmpv4View.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = scratch.bind(bytes, offset);
  if (!v.verifyChecksum(length)) return WireError.BadChecksum;
  const rest = bytes.slice(offset + F.Data, offset + length);
  switch (v.type) {
    case Icmpv4Type.EchoRequest:
    case Icmpv4Type.EchoReply:
      return { type: v.type, identifier: v.identifier, sequenceNumber: v.sequenceNumber, data: rest };
    case Icmpv4Type.DestinationUnreachable:
      return { type: Icmpv4Type.DestinationUnreachable, code: v.code, nextHopMtu: v.nextHopMtu, quoted: rest };
    case Icmpv4Type.TimeExceeded:
      return { type: Icmpv4Type.TimeExceeded, code: v.code, quoted: rest };
    default:
      return WireError.Unsupported;
  }
}

/** Message length: the 8-byte header plus data or quoted bytes. */
export function icmpv4Length(repr: Icmpv4Repr): number {
  return ICMPV4_HEADER_LEN + ('data' in repr ? repr.data : repr.quoted).length;
}

/** Writes the whole message and its checksum at `offset`; returns its length. */
export function emitIcmpv4(repr: Icmpv4Repr, bytes: Uint8Array, offset: number): number {
  const length = icmpv4Length(repr);
  if (!inBounds(bytes, offset, length)) throw new RangeError('emitIcmpv4: buffer too small');
  const v = scratch.bind(bytes, offset);
  v.type = repr.type;
  switch (repr.type) {
    case Icmpv4Type.EchoRequest:
    case Icmpv4Type.EchoReply:
      requireUint(repr.identifier, 0xffff, 'Icmpv4EchoRepr.identifier');
      requireUint(repr.sequenceNumber, 0xffff, 'Icmpv4EchoRepr.sequenceNumber');
      v.code = 0;
      v.identifier = repr.identifier;
      v.sequenceNumber = repr.sequenceNumber;
      bytes.set(repr.data, offset + F.Data);
      break;
    case Icmpv4Type.DestinationUnreachable:
      requireUint(repr.code, 0xff, 'Icmpv4DestinationUnreachableRepr.code');
      requireUint(repr.nextHopMtu, 0xffff, 'Icmpv4DestinationUnreachableRepr.nextHopMtu');
      v.code = repr.code;
      v.identifier = 0;
      v.nextHopMtu = repr.nextHopMtu;
      bytes.set(repr.quoted, offset + F.Data);
      break;
    case Icmpv4Type.TimeExceeded:
      requireUint(repr.code, 0xff, 'Icmpv4TimeExceededRepr.code');
      v.code = repr.code;
      v.restOfHeader = 0;
      bytes.set(repr.quoted, offset + F.Data);
      break;
    default:
      throw new TypeError(`emitIcmpv4: no Repr for type ${String((repr as { type: unknown }).type)}`);
  }
  v.fillChecksum(length);
  return length;
}

/** True when the `length`-byte message at `offset` has its 8-byte header and a correct checksum. */
export function verifyIcmpv4Checksum(bytes: Uint8Array, offset: number, length: number): boolean {
  return Icmpv4View.check(bytes, offset, length) === 0 && scratch.bind(bytes, offset).verifyChecksum(length);
}
