/**
 * UDP (RFC 768; over IPv6, RFC 8200 §8.1).
 *
 * ```
 *  0          2          4        6          8
 *  | src port | dst port | length | checksum | payload …
 * ```
 * The datagram is `length` bytes (header included); bytes after it (padding) are not UDP's. The
 * checksum covers a pseudo-header, the header and the payload; 0 means "none" over IPv4 and is
 * invalid over IPv6, and a computed 0 is sent as 0xffff.
 */
import { inBounds, read16, requireUint, write16 } from './bytes.js';
import { type PseudoHeader, finishChecksum, onesComplementSum, pseudoHeaderSum } from './checksum.js';
import { WireError } from './error.js';
import { IpProtocol } from './numbers.js';
import { WireView } from './view.js';

export const UDP_HEADER_LEN = 8;

export const UdpField = { SrcPort: 0, DstPort: 2, Length: 4, Checksum: 6, Payload: 8 } as const;
const F = UdpField;

export class UdpView extends WireView {

  /**
   * 0 when every accessor is safe and the datagram (`length` field) lies within `length`; `BadLength`
   * when the length field is below 8, `Truncated` when it runs past the bytes at hand.
   */
  static check(bytes: Uint8Array, offset: number, length: number): WireError | 0 {
    if (!inBounds(bytes, offset, length) || length < UDP_HEADER_LEN) return WireError.Truncated;
    const l = read16(bytes, offset + F.Length);
    return l < UDP_HEADER_LEN ? WireError.BadLength : l > length ? WireError.Truncated : 0;
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
  /** Header plus payload, in bytes. */
  get length(): number {
    return read16(this.b, this.o + F.Length);
  }
  set length(v: number) {
    write16(this.b, this.o + F.Length, v);
  }
  get checksum(): number {
    return read16(this.b, this.o + F.Checksum);
  }
  set checksum(v: number) {
    write16(this.b, this.o + F.Checksum, v);
  }
  get payloadOffset(): number {
    return this.o + F.Payload;
  }
  get payloadLength(): number {
    return this.length - UDP_HEADER_LEN;
  }

  /**
   * True when the checksum over the datagram (`length` field) and `pseudoSum` verifies. A zero checksum
   * ("none") is not verified here: callers over IPv4 accept it, callers over IPv6 reject it.
   */
  verifyChecksum(pseudoSum: number): boolean {
    return onesComplementSum(this.b, this.o, this.length, pseudoSum) === 0xffff;
  }
  /** Computes and stores the checksum over the datagram (`length` field) and `pseudoSum`. */
  fillChecksum(pseudoSum: number): void {
    this.checksum = 0;
    this.checksum = finishChecksum(onesComplementSum(this.b, this.o, this.length, pseudoSum)) || 0xffff;
  }
}

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payloadLength: number;
}

const scratch = new UdpView();

/**
 * Parses the header. With a pseudo-header, verifies the checksum: over IPv4 a zero checksum is
 * accepted (none sent), over IPv6 it is `BadChecksum`. With `null`, the checksum is not looked at
 * (the miniport verified it).
 */
export function parseUdp(bytes: Uint8Array, offset: number, length: number, pseudo: PseudoHeader | null): UdpRepr | WireError {
  const err = UdpView.check(bytes, offset, length);
  if (err !== 0) return err;
  const v = scratch.bind(bytes, offset);
  if (pseudo) {
    if (v.checksum === 0 ? pseudo.version === 6 : !v.verifyChecksum(pseudoHeaderSum(pseudo, IpProtocol.Udp, v.length))) {
      return WireError.BadChecksum;
    }
  }
  return { srcPort: v.srcPort, dstPort: v.dstPort, payloadLength: v.payloadLength };
}

/**
 * Writes the header at `offset` and the checksum over the pseudo-header, header and payload; the
 * `payloadLength` payload bytes must already be at `offset + 8`. Returns 8.
 */
export function emitUdp(repr: UdpRepr, bytes: Uint8Array, offset: number, pseudo: PseudoHeader): number {
  requireUint(repr.srcPort, 0xffff, 'UdpRepr.srcPort');
  requireUint(repr.dstPort, 0xffff, 'UdpRepr.dstPort');
  requireUint(repr.payloadLength, 0xffff - UDP_HEADER_LEN, 'UdpRepr.payloadLength');
  const length = UDP_HEADER_LEN + repr.payloadLength;
  if (!inBounds(bytes, offset, length)) throw new RangeError('emitUdp: buffer too small for header and payload');
  const v = scratch.bind(bytes, offset);
  v.srcPort = repr.srcPort;
  v.dstPort = repr.dstPort;
  v.length = length;
  v.fillChecksum(pseudoHeaderSum(pseudo, IpProtocol.Udp, length));
  return UDP_HEADER_LEN;
}

/** True when the datagram at `offset` passes `check()` and its checksum verifies (0 is accepted over IPv4 only). */
export function verifyUdpChecksum(bytes: Uint8Array, offset: number, length: number, pseudo: PseudoHeader): boolean {
  if (UdpView.check(bytes, offset, length) !== 0) return false;
  const v = scratch.bind(bytes, offset);
  return v.checksum === 0 ? pseudo.version === 4 : v.verifyChecksum(pseudoHeaderSum(pseudo, IpProtocol.Udp, v.length));
}
