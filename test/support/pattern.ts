/**
 * Test payloads: a deterministic xorshift byte stream per seed (no repeats a window or a reordering could
 * hide, unlike a short cycle), and its SHA-256 for byte-exact comparisons of large transfers.
 */
import { createHash } from 'node:crypto';

/** `n` bytes of the xorshift32 stream started at `seed` (0 is taken as 1). */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The same bytes as `pattern`, as a Buffer (a view, no copy). */
export function patternBuffer(n: number, seed: number): Buffer {
  const p = pattern(n, seed);
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

/** SHA-256 of `b`, hex. */
export const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
