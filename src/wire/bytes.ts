/**
 * Big-endian field access for the views. Internal to src/wire: every caller has already proved, with
 * a view's `check()`, that the bytes it reads exist. Writes rely on Uint8Array's modulo-256 store, so
 * `write16(b, o, 0x12345)` stores 0x2345.
 */
export const EMPTY: Uint8Array = new Uint8Array(0);

export function read16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function read32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function write16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function write32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** True when `[offset, offset + length)` is a real range of `b` (the first thing every `check()` asks). */
export function inBounds(b: Uint8Array, offset: number, length: number): boolean {
  return Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= b.length;
}

/** `n` bytes of `src` from `from` into `dst` at `at` (no subarray, no allocation). */
export function copyInto(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
}

export function bytesEqual(a: Uint8Array, aFrom: number, b: Uint8Array, bFrom: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aFrom + i] !== b[bFrom + i]) return false;
  return true;
}

/** Throws RangeError unless `addr` is a byte array of exactly `n` bytes (emitters: a bad Repr is a bug). */
export function requireAddress(addr: Uint8Array, n: number, what: string): void {
  if (!(addr instanceof Uint8Array) || addr.length !== n) throw new RangeError(`${what} must be ${String(n)} bytes`);
}

/** Throws RangeError unless `v` is an integer in [0, max]. */
export function requireUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} must be an integer in [0, ${String(max)}], got ${String(v)}`);
}
