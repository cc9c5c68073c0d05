/**
 * TCP segment headers (RFC 9293) and their options: MSS, window scale, SACK-permitted, SACK blocks,
 * timestamps (RFC 7323, RFC 2018), NOP and end-of-list. Unknown option kinds are skipped by length.
 *
 * ```
 *  0          2          4                  8                  12            14       16         18          20
 *  | src port | dst port | sequence number  | ack number       |off|rsv|flags| window | checksum | urgent ptr | options … | payload …
 *                                                               4b  3b  9b: AE CWR ECE URG ACK PSH RST SYN FIN
 * ```
 * TCP has no length field: a segment is the `length` bytes the IP layer says, and the checksum
 * covers them all plus the pseudo-header.
 */
import { inBounds, read16, read32, requireUint, write16, write32 } from './bytes.js';
import { type PseudoHeader, finishChecksum, onesComplementSum, pseudoHeaderSum } from './checksum.js';
import { WireError } from './error.js';
import { IpProtocol } from './numbers.js';
import { OptionReader } from './option-reader.js';
import { WireView } from './view.js';

export const TCP_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;
export const TCP_MAX_OPTIONS_LEN = TCP_MAX_HEADER_LEN - TCP_HEADER_LEN;

export const TcpField = {
  SrcPort: 0,
  DstPort: 2,
  SeqNumber: 4,
  AckNumber: 8,
  /** Data offset (high nibble), three reserved bits, the AE flag (low bit). */
  DataOffsetFlags: 12,
  /** CWR ECE URG ACK PSH RST SYN FIN. */
  Flags: 13,
  WindowSize: 14,
  Checksum: 16,
  UrgentPointer: 18,
  Options: 20,
} as const;
const F = TcpField;

/** Bits of the 9-bit flags field (`TcpView.flags`, `TcpRepr.flags`). AE was NS (RFC 3540). */
export const TcpFlags = {
  Fin: 0x001,
  Syn: 0x002,
  Rst: 0x004,
  Psh: 0x008,
  Ack: 0x010,
  Urg: 0x020,
  Ece: 0x040,
  Cwr: 0x080,
  Ae: 0x100,
} as const;
const FLAGS_MASK = 0x1ff;

export const TcpOptionKind = {
  EndOfList: 0,
  Nop: 1,
  Mss: 2,
  WindowScale: 3,
  SackPermitted: 4,
  Sack: 5,
  Timestamps: 8,
} as const;

/** The only valid length of each fixed-size option. */
const OPTION_LENGTH: ReadonlyMap<number, number> = new Map([
  [TcpOptionKind.Mss, 4],
  [TcpOptionKind.WindowScale, 3],
  [TcpOptionKind.SackPermitted, 2],
  [TcpOptionKind.Timestamps, 10],
]);
export const TCP_SACK_BLOCK_LEN = 8;
export const TCP_MAX_SACK_BLOCKS = 4;

export class TcpView extends WireView {

  /**
   * 0 when the header, options included (data offset × 4 bytes), lies within `length`; else
   * `Truncated`, or `BadHeaderLength` for a data offset below 5. Options are checked by `TcpOptionReader`.
   */
  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    if (!inBounds(bytes, offset, length) || length < TCP_HEADER_LEN) return WireError.Truncated;
    const hl = (bytes[offset + F.DataOffsetFlags]! >>> 4) << 2;
    if (hl < TCP_HEADER_LEN) return WireError.BadHeaderLength;
    return hl > length ? WireError.Truncated : 0;
  }



  get srcPort(): number {
    return read16(this.b, this.o + F.SrcPort);
  }
  set srcPort(v: number) {
    write16(this.b, this.o + F.SrcPort, v);
  }
  get dstPort(): number {
    return read16(this.b, this.o + F.DstPort);
  }
  set dstPort(v: number) {
    write16(this.b, this.o + F.DstPort, v);
  }
  get seqNumber(): number {
    return read32(this.b, this.o + F.SeqNumber);
  }
  set seqNumber(v: number) {
    write32(this.b, this.o + F.SeqNumber, v);
  }
  get ackNumber(): number {
    return read32(this.b, this.o + F.AckNumber);
  }
  set ackNumber(v: number) {
    write32(this.b, this.o + F.AckNumber, v);
  }
  /** The raw data offset: header length in 32-bit words (5–15). */
  get dataOffset(): number {
    return this.b[this.o + F.DataOffsetFlags]! >>> 4;
  }
  set dataOffset(v: number) {
    const i = this.o + F.DataOffsetFlags;
    this.b[i] = (this.b[i]! & 0x0f) | (v << 4);
  }
  /** Header length in bytes, options included. */
  get headerLength(): number {
    return (this.b[this.o + F.DataOffsetFlags]! >>> 4) << 2;
  }
  /** The three reserved bits between data offset and AE. */
  get reserved(): number {
    return (this.b[this.o + F.DataOffsetFlags]! >>> 1) & 7;
  }
  set reserved(v: number) {
    const i = this.o + F.DataOffsetFlags;
    this.b[i] = (this.b[i]! & 0xf1) | ((v & 7) << 1);
  }
  /** All nine flags as `TcpFlags` bits. */
  get flags(): number {
    return read16(this.b, this.o + F.DataOffsetFlags) & FLAGS_MASK;
  }
  set flags(v: number) {
    const i = this.o + F.DataOffsetFlags;
    write16(this.b, i, (read16(this.b, i) & ~FLAGS_MASK) | (v & FLAGS_MASK));
  }
  #flag(bit: number): boolean {
    return (read16(this.b, this.o + F.DataOffsetFlags) & bit) !== 0;
  }
  #setFlag(bit: number, on: boolean): void {
    const i = this.o + F.DataOffsetFlags;
    const w = read16(this.b, i);
    write16(this.b, i, on ? w | bit : w & ~bit);
  }
  get fin(): boolean {
    return this.#flag(TcpFlags.Fin);
  }
  set fin(v: boolean) {
    this.#setFlag(TcpFlags.Fin, v);
  }
  get syn(): boolean {
    return this.#flag(TcpFlags.Syn);
  }
  set syn(v: boolean) {
    this.#setFlag(TcpFlags.Syn, v);
  }
  get rst(): boolean {
    return this.#flag(TcpFlags.Rst);
  }
  set rst(v: boolean) {
    this.#setFlag(TcpFlags.Rst, v);
  }
  get psh(): boolean {
    return this.#flag(TcpFlags.Psh);
  }
  set psh(v: boolean) {
    this.#setFlag(TcpFlags.Psh, v);
  }
  get ack(): boolean {
    return this.#flag(TcpFlags.Ack);
  }
  set ack(v: boolean) {
    this.#setFlag(TcpFlags.Ack, v);
  }
  get urg(): boolean {
    return this.#flag(TcpFlags.Urg);
  }
  set urg(v: boolean) {
    this.#setFlag(TcpFlags.Urg, v);
  }
  get ece(): boolean {
    return this.#flag(TcpFlags.Ece);
  }
  set ece(v: boolean) {
    this.#setFlag(TcpFlags.Ece, v);
  }
  get cwr(): boolean {
    return this.#flag(TcpFlags.Cwr);
  }
  set cwr(v: boolean) {
    this.#setFlag(TcpFlags.Cwr, v);
  }
  get ae(): boolean {
    return this.#flag(TcpFlags.Ae);
  }
  set ae(v: boolean) {
    this.#setFlag(TcpFlags.Ae, v);
  }
  /** The advertised window, unscaled. */
  get windowSize(): number {
    return read16(this.b, this.o + F.WindowSize);
  }
  set windowSize(v: number) {
    write16(this.b, this.o + F.WindowSize, v);
  }
  get checksum(): number {
    return read16(this.b, this.o + F.Checksum);
  }
  set checksum(v: number) {
    write16(this.b, this.o + F.Checksum, v);
  }
  get urgentPointer(): number {
    return read16(this.b, this.o + F.UrgentPointer);
  }
  set urgentPointer(v: number) {
    write16(this.b, this.o + F.UrgentPointer, v);
  }
  get optionsOffset(): number {
    return this.o + F.Options;
  }
  get optionsLength(): number {
    return this.headerLength - TCP_HEADER_LEN;
  }
  get payloadOffset(): number {
    return this.o + this.headerLength;
  }

  /** True when the checksum over the `length`-byte segment and `pseudoSum` verifies. */
  verifyChecksum(length: number, pseudoSum: number): boolean {
    return onesComplementSum(this.b, this.o, length, pseudoSum) === 0xffff;
  }
  fillChecksum(length: number, pseudoSum: number): void {
    this.checksum = 0;
    this.checksum = finishChecksum(onesComplementSum(this.b, this.o, length, pseudoSum));
  }
}

/**
 * Iterates over TCP options without allocating (the walk is `OptionReader`'s): `reset()` it on a
 * header's options, then `while (r.next()) { switch (r.kind) … }` and look at `r.error` afterwards. Each
 * option `next()` returns lies within the options area, and a known kind has its one valid length, so
 * the value getters for that kind are safe. Stops with `Malformed` on a length below 2, past the area,
 * or wrong for the kind; after an end-of-list option it stops with no error. At most `length` turns.
 */
export class TcpOptionReader extends OptionReader {
  protected validOption(kind: number, _at: number, len: number): boolean {
    const fixed = OPTION_LENGTH.get(kind);
    if (fixed !== undefined) return len === fixed;
    return kind !== TcpOptionKind.Sack || (len >= 2 + TCP_SACK_BLOCK_LEN && (len - 2) % TCP_SACK_BLOCK_LEN === 0);
  }

  /** `Mss` options only. */
  get mss(): number {
    return read16(this.b, this.offset + 2);
  }
  /** `WindowScale` options only: the shift count as sent (RFC 7323 caps its use at 14). */
  get windowScale(): number {
    return this.b[this.offset + 2]!;
  }
  /** `Sack` options only. */
  get sackBlockCount(): number {
    return (this.length - 2) / TCP_SACK_BLOCK_LEN;
  }
  sackLeft(i: number): number {
    return read32(this.b, this.offset + 2 + i * TCP_SACK_BLOCK_LEN);
  }
  sackRight(i: number): number {
    return read32(this.b, this.offset + 6 + i * TCP_SACK_BLOCK_LEN);
  }
  /** `Timestamps` options only. */
  get tsValue(): number {
    return read32(this.b, this.offset + 2);
  }
  get tsEcho(): number {
    return read32(this.b, this.offset + 6);
  }
}

export interface TcpSackBlock {
  left: number;
  right: number;
}

export interface TcpTimestamps {
  value: number;
  echo: number;
}

export interface TcpOptions {
  mss: number | null;
  windowScale: number | null;
  sackPermitted: boolean;
  /** 0–4 blocks (at most 3 fit next to timestamps). */
  sackBlocks: TcpSackBlock[];
  timestamps: TcpTimestamps | null;
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seqNumber: number;
  ackNumber: number;
  /** `TcpFlags` bits. */
  flags: number;
  /** Unscaled. */
  windowSize: number;
  urgentPointer: number;
  options: TcpOptions;
  /** Bytes after the header. */
  payloadLength: number;
}

export const NO_TCP_OPTIONS: Readonly<TcpOptions> = Object.freeze({
  mss: null,
  windowScale: null,
  sackPermitted: false,
  sackBlocks: [],
  timestamps: null,
});

const scratch = new TcpView();
const reader = new TcpOptionReader();

/** Reads the options of a checked header into a `TcpOptions`, or returns the reader's error. Unknown kinds are skipped. */
export function parseTcpOptions(bytes: Uint8Array, offset: number, length: number): TcpOptions | WireError {
  const o: TcpOptions = { mss: null, windowScale: null, sackPermitted: false, sackBlocks: [], timestamps: null };
  const r = reader.reset(bytes, offset, length);
  while (r.next()) {
    switch (r.kind) {
      case TcpOptionKind.Mss:
        o.mss = r.mss;
        break;
      case TcpOptionKind.WindowScale:
        o.windowScale = r.windowScale;
        break;
      case TcpOptionKind.SackPermitted:
        o.sackPermitted = true;
        break;
      case TcpOptionKind.Sack:
        o.sackBlocks = [];
        for (let i = 0; i < r.sackBlockCount; i++) o.sackBlocks.push({ left: r.sackLeft(i), right: r.sackRight(i) });
        break;
      case TcpOptionKind.Timestamps:
        o.timestamps = { value: r.tsValue, echo: r.tsEcho };
        break;
      default:
        break;
    }
  }
  return r.error !== 0 ? r.error : o;
}

/**
 * Parses a `length`-byte segment. With a pseudo-header, verifies the checksum (`BadChecksum`); with
 * `null`, does not (the miniport did). Option errors are returned as they are (`Malformed`).
 */
export function parseTcp(bytes: Uint8Array, offset: number, length: number, pseudo: PseudoHeader | null): TcpRepr | WireError {
  const err = TcpView.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = scratch.bind(bytes, offset);
  if (pseudo && !v.verifyChecksum(length, pseudoHeaderSum(pseudo, IpProtocol.Tcp, length))) return WireError.BadChecksum;
  const options = parseTcpOptions(bytes, v.optionsOffset, v.optionsLength);
  if (typeof options === 'number') return options;
  return {
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    seqNumber: v.seqNumber,
    ackNumber: v.ackNumber,
    flags: v.flags,
    windowSize: v.windowSize,
    urgentPointer: v.urgentPointer,
    options,
    payloadLength: length - v.headerLength,
  };
}

/** Bytes `emitTcpOptions` writes: always a multiple of 4. */
export function tcpOptionsLength(o: TcpOptions): number {
  return (
    (o.mss !== null ? 4 : 0) +
    (o.timestamps ? 12 : o.sackPermitted ? 4 : 0) +
    (o.windowScale !== null ? 4 : 0) +
    (o.sackBlocks.length > 0 ? 4 + TCP_SACK_BLOCK_LEN * o.sackBlocks.length : 0)
  );
}

export function tcpHeaderLength(repr: TcpRepr): number {
  return TCP_HEADER_LEN + tcpOptionsLength(repr.options);
}

/**
 * Writes options in Linux's order, padded with NOPs to 32-bit boundaries: MSS, SACK-permitted +
 * timestamps (or NOP NOP + either), NOP + window scale, NOP NOP + SACK blocks. Returns the length.
 */
export function emitTcpOptions(o: TcpOptions, bytes: Uint8Array, offset: number): number {
  let at = offset;
  const put = (...values: number[]): void => {
    for (const x of values) bytes[at++] = x;
  };
  const put32 = (x: number): void => {
    write32(bytes, at, x);
    at += 4;
  };
  if (o.mss !== null) {
    requireUint(o.mss, 0xffff, 'TcpOptions.mss');
    put(TcpOptionKind.Mss, 4, o.mss >>> 8, o.mss & 0xff);
  }
  if (o.timestamps) {
    requireUint(o.timestamps.value, 0xffffffff, 'TcpTimestamps.value');
    requireUint(o.timestamps.echo, 0xffffffff, 'TcpTimestamps.echo');
    if (o.sackPermitted) put(TcpOptionKind.SackPermitted, 2);
    else put(TcpOptionKind.Nop, TcpOptionKind.Nop);
    put(TcpOptionKind.Timestamps, 10);
    put32(o.timestamps.value);
    put32(o.timestamps.echo);
  } else if (o.sackPermitted) {
    put(TcpOptionKind.Nop, TcpOptionKind.Nop, TcpOptionKind.SackPermitted, 2);
  }
  if (o.windowScale !== null) {
    requireUint(o.windowScale, 0xff, 'TcpOptions.windowScale');
    put(TcpOptionKind.Nop, TcpOptionKind.WindowScale, 3, o.windowScale);
  }
  if (o.sackBlocks.length > 0) {
    put(TcpOptionKind.Nop, TcpOptionKind.Nop, TcpOptionKind.Sack, 2 + TCP_SACK_BLOCK_LEN * o.sackBlocks.length);
    for (const s of o.sackBlocks) {
      requireUint(s.left, 0xffffffff, 'TcpSackBlock.left');
      requireUint(s.right, 0xffffffff, 'TcpSackBlock.right');
      put32(s.left);
      put32(s.right);
    }
  }
  return at - offset;
}

/**
 * Writes header and options at `offset` and the checksum over the pseudo-header, header and
 * payload; the `payloadLength` payload bytes must already follow the header. Returns the header length.
 * Throws RangeError on an impossible Repr (options over 40 bytes, more than 4 SACK blocks, …).
 */
export function emitTcp(repr: TcpRepr, bytes: Uint8Array, offset: number, pseudo: PseudoHeader): number {
  requireUint(repr.srcPort, 0xffff, 'TcpRepr.srcPort');
  requireUint(repr.dstPort, 0xffff, 'TcpRepr.dstPort');
  requireUint(repr.seqNumber, 0xffffffff, 'TcpRepr.seqNumber');
  requireUint(repr.ackNumber, 0xffffffff, 'TcpRepr.ackNumber');
  requireUint(repr.flags, FLAGS_MASK, 'TcpRepr.flags');
  requireUint(repr.windowSize, 0xffff, 'TcpRepr.windowSize');
  requireUint(repr.urgentPointer, 0xffff, 'TcpRepr.urgentPointer');
  if (repr.options.sackBlocks.length > TCP_MAX_SACK_BLOCKS) throw new RangeError('TcpOptions.sackBlocks: at most 4');
  const hl = tcpHeaderLength(repr);
  if (hl > TCP_MAX_HEADER_LEN) throw new RangeError(`TcpRepr.options take ${String(hl - TCP_HEADER_LEN)} bytes, more than 40`);
  const length = hl + repr.payloadLength;
  requireUint(repr.payloadLength, 0xffff, 'TcpRepr.payloadLength');
  if (!inBounds(bytes, offset, length)) throw new RangeError('emitTcp: buffer too small for header and payload');
  const v = scratch.bind(bytes, offset);
  v.srcPort = repr.srcPort;
  v.dstPort = repr.dstPort;
  v.seqNumber = repr.seqNumber;
  v.ackNumber = repr.ackNumber;
  write16(bytes, offset + F.DataOffsetFlags, ((hl >>> 2) << 12) | repr.flags);
  v.windowSize = repr.windowSize;
  v.urgentPointer = repr.urgentPointer;
  emitTcpOptions(repr.options, bytes, offset + F.Options);
  v.fillChecksum(length, pseudoHeaderSum(pseudo, IpProtocol.Tcp, length));
  return hl;
}

/** True when the `length`-byte segment at `offset` passes `check()` and its checksum verifies. */
export function verifyTcpChecksum(bytes: Uint8Array, offset: number, length: number, pseudo: PseudoHeader): boolean {
  return TcpView.check(bytes, offset, length) === 0 && scratch.bind(bytes, offset).verifyChecksum(length, pseudoHeaderSum(pseudo, IpProtocol.Tcp, length));
}
