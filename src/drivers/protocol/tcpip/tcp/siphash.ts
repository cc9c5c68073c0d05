/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed hash behind initial sequence numbers
 * (RFC 6528) and the connection table. 64-bit lanes are kept as pairs of 32-bit halves so that no
 * BigInt is created; the state lives in one preallocated array, so hashing allocates nothing.
 */

/** A 128-bit key as four 32-bit words: k0 low, k0 high, k1 low, k1 high (k0 = bytes 0–7 little-endian). */
export type SipKey = Uint32Array;

// v0..v3 as [lo, hi] pairs: s[0],s[1] = v0; s[2],s[3] = v1; s[4],s[5] = v2; s[6],s[7] = v3.
const s = new Uint32Array(8);
/** The last full 64-bit result: [lo, hi]. */
export const sipOut = new Uint32Array(2);

/** v[a] += v[b] (64-bit). */
function add(a: number, b: number): void {
  const lo = (s[a]! + s[b]!) >>> 0;
  s[a + 1] = (s[a + 1]! + s[b + 1]! + (lo < s[a]! ? 1 : 0)) >>> 0;
  s[a] = lo;
}

/** v[a] = rotl(v[a], n) for 0 < n < 32. */
function rotl(a: number, n: number): void {
  const lo = s[a]!;
  const hi = s[a + 1]!;
  s[a] = ((lo << n) | (hi >>> (32 - n))) >>> 0;
  s[a + 1] = ((hi << n) | (lo >>> (32 - n))) >>> 0;
}

/** v[a] = rotl(v[a], 32): swap the halves. */
function swap(a: number): void {
  const lo = s[a]!;
  s[a] = s[a + 1]!;
  s[a + 1] = lo;
}

function xor(a: number, b: number): void {
  s[a] = (s[a]! ^ s[b]!) >>> 0;
  s[a + 1] = (s[a + 1]! ^ s[b + 1]!) >>> 0;
}

function round(): void {
  add(0, 2);
  rotl(2, 13);
  xor(2, 0);
  swap(0);
  add(4, 6);
  rotl(6, 16);
  xor(6, 4);
  add(0, 6);
  rotl(6, 21);
  xor(6, 0);
  add(4, 2);
  rotl(2, 17);
  xor(2, 4);
  swap(4);
}

function absorb(lo: number, hi: number): void {
  s[6] = (s[6]! ^ lo) >>> 0;
  s[7] = (s[7]! ^ hi) >>> 0;
  round();
  round();
  s[0] = (s[0]! ^ lo) >>> 0;
  s[1] = (s[1]! ^ hi) >>> 0;
}

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * SipHash-2-4 of `length` bytes at `bytes[offset]` under `key`. Returns the low 32 bits of the 64-bit
 * result as a signed int32 (no boxing, see seq.ts); the whole result is left in `sipOut` (unsigned).
 */
export function sipHash24(key: SipKey, bytes: Uint8Array, offset: number, length: number): number {
  s[0] = (key[0]! ^ 0x70736575) >>> 0;
  s[1] = (key[1]! ^ 0x736f6d65) >>> 0;
  s[2] = (key[2]! ^ 0x6e646f6d) >>> 0;
  s[3] = (key[3]! ^ 0x646f7261) >>> 0;
  s[4] = (key[0]! ^ 0x6e657261) >>> 0;
  s[5] = (key[1]! ^ 0x6c796765) >>> 0;
  s[6] = (key[2]! ^ 0x79746573) >>> 0;
  s[7] = (key[3]! ^ 0x74656462) >>> 0;
  const end = offset + length;
  let at = offset;
  for (; at + 8 <= end; at += 8) absorb(le32(bytes, at), le32(bytes, at + 4));
  // The last block: the remaining 0–7 bytes, then the length's low byte in the top byte.
  let lo = 0;
  let hi = (length & 0xff) << 24;
  for (let i = 0; at + i < end; i++) {
    const v = bytes[at + i]!;
    if (i < 4) lo |= v << (8 * i);
    else hi |= v << (8 * (i - 4));
  }
  absorb(lo >>> 0, hi >>> 0);
  s[4] = (s[4]! ^ 0xff) >>> 0;
  round();
  round();
  round();
  round();
  sipOut[0] = (s[0]! ^ s[2]! ^ s[4]! ^ s[6]!) >>> 0;
  sipOut[1] = (s[1]! ^ s[3]! ^ s[5]! ^ s[7]!) >>> 0;
  return sipOut[0] | 0;
}
