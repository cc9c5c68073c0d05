/**
 * The Toeplitz hash of RSS (offload digest §3.2). For input bit i (the most significant bit of input[0]
 * is bit 0), the 32 key bits starting at key bit i are XORed into the result when the input bit is 1; the
 * key behaves as a register shifted left one bit per input bit, so key bits past its end read as 0.
 *
 * Bit by bit that is 8 shifts and tests per input byte. Because the hash is linear, every input byte
 * position p has its own 256-entry table, T_p[v] = XOR of the windows of the bits set in v, and the hash
 * is one lookup and one XOR per byte. The tables are built once per key (key length × 1 KB: 40 KB for the
 * standard 40-byte key); hashing allocates nothing. An input byte at a position the key does not reach
 * contributes 0, so inputs longer than the key are hashed as their key-length prefix.
 */

/** Longest RSS hash input: two IPv6 addresses and two ports. The tables always cover it. */
export const RSS_MAX_HASH_INPUT = 36;

/** The 32 key bits starting at bit `bit` (zeros past the end of the key). */
function window(key: Uint8Array, bit: number): number {
  const j = bit >>> 3;
  const s = bit & 7;
  const hi = ((key[j] ?? 0) << 24) | ((key[j + 1] ?? 0) << 16) | ((key[j + 2] ?? 0) << 8) | (key[j + 3] ?? 0);
  return s === 0 ? hi >>> 0 : ((hi << s) | ((key[j + 4] ?? 0) >>> (8 - s))) >>> 0;
}

/**
 * Toeplitz hashing with one secret key: build it once per key (RSS keys change only on an
 * OID_GEN_RECEIVE_SCALE_PARAMETERS set), then {@link ToeplitzHasher.hash} or
 * {@link ToeplitzHasher.hashByte} per frame without allocating.
 */
export class ToeplitzHasher {
  /** A copy of the key: later changes to the caller's array do not reach the tables. */
  readonly key: Uint8Array;
  /**
   * Byte positions the tables cover: the key's length, at least {@link RSS_MAX_HASH_INPUT} (positions the
   * key does not reach hold zeros). Input bytes from this position on contribute 0.
   */
  readonly positions: number;
  /**
   * `positions` tables of 256 entries: entry (p << 8) | v is the contribution of byte value v at input
   * position p. Read-only by contract; exposed so a per-frame hash can index it without a call per byte.
   */
  readonly table: Uint32Array;

  constructor(key: Uint8Array) {
    this.key = Uint8Array.from(key);
    this.positions = Math.max(key.length, RSS_MAX_HASH_INPUT);
    const t = new Uint32Array(this.positions * 256);
    for (let p = 0; p < this.positions; p++) {
      const base = p << 8;
      // Single bits first (0x80 is the byte's first, most significant bit), then every value as the XOR of
      // its highest bit's entry and the rest's.
      for (let b = 0; b < 8; b++) t[base | (0x80 >>> b)] = window(this.key, p * 8 + b);
      for (let v = 1; v < 256; v++) {
        const high = 1 << (31 - Math.clz32(v));
        if (v !== high) t[base | v] = (t[base | high]! ^ t[base | (v ^ high)]!) >>> 0;
      }
    }
    this.table = t;
  }

  /** The hash of `length` bytes of `input` from `offset` (all of it by default). */
  hash(input: Uint8Array, offset = 0, length = input.length - offset): number {
    const n = Math.min(length, this.positions, input.length - offset);
    const t = this.table;
    let h = 0;
    for (let p = 0; p < n; p++) h ^= t[(p << 8) | input[offset + p]!]!;
    return h >>> 0;
  }

  /**
   * The contribution of byte value `value` at input position `position`: the hash of an input is the
   * XOR of its bytes' contributions, so callers hash fields in place (an address here, a port there)
   * without copying them into one input buffer.
   */
  hashByte(position: number, value: number): number {
    return position < this.positions ? this.table[(position << 8) | (value & 0xff)]! : 0;
  }

  /** True when this hasher was built from a key with the same bytes as `key`. */
  hasKey(key: Uint8Array): boolean {
    if (key.length !== this.key.length) return false;
    for (let i = 0; i < key.length; i++) if (key[i] !== this.key[i]) return false;
    return true;
  }
}

let last: ToeplitzHasher | null = null;

/**
 * The hasher for `key`, reusing the last one built when the key's bytes are the same (a byte compare per
 * call, no allocation), so the plain functions cost a table build only when the key changes.
 */
export function toeplitzHasherFor(key: Uint8Array): ToeplitzHasher {
  if (last === null || !last.hasKey(key)) last = new ToeplitzHasher(key);
  return last;
}

/**
 * The RSS Toeplitz hash of `input` under `key` (offload digest §3.2): a 32-bit unsigned value. With the
 * standard 40-byte key, inputs are at most 36 bytes (IPv6 addresses and ports). Reuses its tables while
 * the key's bytes stay the same; code that hashes under several keys keeps a {@link ToeplitzHasher} each.
 */
export function toeplitzHash(key: Uint8Array, input: Uint8Array): number {
  return toeplitzHasherFor(key).hash(input);
}
