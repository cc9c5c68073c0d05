/**
 * The Internet checksum (RFC 1071): a 16-bit ones'-complement sum, its pseudo-headers (RFC 768/793
 * for IPv4, RFC 8200 §8.1 for IPv6) and incremental update (RFC 1624).
 *
 * Sums are plain non-negative numbers; `onesComplementSum` returns one folded to 16 bits, so it can be
 * fed back as `initial` (pseudo-header sum → header → payload in separate pieces). `finishChecksum`
 * turns a sum into the value stored in a header; a region that *includes* a correct checksum field
 * sums to 0xffff, which is what `verifyChecksum` tests.
 *
 * The data path uses the numeric functions (no allocation); the Repr emitters and parsers take a
 * `PseudoHeader` object instead, so a caller cannot forget the protocol or the length.
 */
import { read16 } from './bytes.js';

/** Folds any non-negative sum to 16 bits with end-around carry (never returns 0 for a non-zero sum). */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = sum > 0xffffffff ? (sum % 0x10000) + Math.floor(sum / 0x10000) : (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum field value for a folded or unfolded sum: its ones' complement. */
export function finishChecksum(sum: number): number {
  return ~foldChecksum(sum) & 0xffff;
}

/**
 * Ones'-complement sum of `length` bytes from `offset`, as big-endian 16-bit words (an odd last byte
 * is padded with zero), added to `initial`, folded to 16 bits. The caller guarantees the range exists.
 */
export function onesComplementSum(bytes: Uint8Array, offset: number, length: number, initial = 0): number {
  let sum = initial;
  const end = offset + length;
  const even = end - (length & 1);
  let i = offset;
  // Two words per turn; the partial sums stay far below 2^53 for any Uint8Array.
  for (; i + 3 < even; i += 4) sum += ((bytes[i]! << 8) | bytes[i + 1]!) + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  if (i < even) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (length & 1) sum += bytes[end - 1]! << 8;
  return foldChecksum(sum);
}

/** The checksum to store for `length` bytes whose checksum field is zero: `finishChecksum(onesComplementSum(...))`. */
export function internetChecksum(bytes: Uint8Array, offset: number, length: number, initial = 0): number {
  return finishChecksum(onesComplementSum(bytes, offset, length, initial));
}

/** True when `length` bytes from `offset`, including their checksum field, plus `initial`, sum to 0xffff. */
export function verifyChecksum(bytes: Uint8Array, offset: number, length: number, initial = 0): boolean {
  return onesComplementSum(bytes, offset, length, initial) === 0xffff;
}

/** IPv4 pseudo-header sum (RFC 793 §3.1): source, destination, zero + protocol, upper-layer length. */
export function ipv4PseudoHeaderSum(src: number, dst: number, protocol: number, upperLength: number): number {
  return foldChecksum((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + (protocol & 0xff) + (upperLength & 0xffff));
}

/**
 * IPv6 pseudo-header sum (RFC 8200 §8.1): source, destination, 32-bit upper-layer length, zero +
 * next header. Addresses are 16 bytes at `srcOffset`/`dstOffset` (so a view's buffer can be passed).
 */
export function ipv6PseudoHeaderSum(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  upperLength: number,
  srcOffset = 0,
  dstOffset = 0,
): number {
  let sum = (nextHeader & 0xff) + Math.floor(upperLength / 0x10000) + (upperLength & 0xffff);
  for (let i = 0; i < 16; i += 2) sum += read16(src, srcOffset + i) + read16(dst, dstOffset + i);
  return foldChecksum(sum);
}

export interface Ipv4PseudoHeader {
  readonly version: 4;
  readonly src: number;
  readonly dst: number;
}

export interface Ipv6PseudoHeader {
  readonly version: 6;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/** The addresses a transport checksum covers; the emitter or parser adds protocol and length itself. */
export type PseudoHeader = Ipv4PseudoHeader | Ipv6PseudoHeader;

export function pseudoHeaderSum(pseudo: PseudoHeader, protocol: number, upperLength: number): number {
  return pseudo.version === 4
    ? ipv4PseudoHeaderSum(pseudo.src, pseudo.dst, protocol, upperLength)
    : ipv6PseudoHeaderSum(pseudo.src, pseudo.dst, protocol, upperLength);
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changes from
 * `oldValue` to `newValue`: HC' = ~(~HC + ~m + m'). Equals a full recompute except that it yields
 * 0x0000 where the recompute yields 0xffff (the two zeros of ones'-complement arithmetic) when the
 * new data is all zero. A UDP caller must still map a result of 0 to 0xffff.
 */
export function updateChecksum16(oldChecksum: number, oldValue: number, newValue: number): number {
  return ~foldChecksum((~oldChecksum & 0xffff) + (~oldValue & 0xffff) + (newValue & 0xffff)) & 0xffff;
}

/** `updateChecksum16` for a 32-bit field (an IPv4 address, a sequence number) as two words. */
export function updateChecksum32(oldChecksum: number, oldValue: number, newValue: number): number {
  return ~foldChecksum(
    (~oldChecksum & 0xffff) + (~(oldValue >>> 16) & 0xffff) + (~oldValue & 0xffff) + (newValue >>> 16) + (newValue & 0xffff),
  ) & 0xffff;
}
