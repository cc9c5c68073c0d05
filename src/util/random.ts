/**
 * A small seeded PRNG (xoshiro128**), so every random decision a driver makes (wire loss, impairment)
 * can be replayed from its seed. Not for cryptography.
 *
 * The state lives in an Int32Array: 32-bit words kept in object fields exceed V8's small-integer range
 * and would be boxed on every step, allocating on the data path.
 */
export class SeededRandom {
  /** [a, b, c, d] of xoshiro128**, then the last output (all int32). */
  readonly #s = new Int32Array(5);

  constructor(readonly seed: number) {
    // splitmix32 expands the seed into four non-zero words.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    const st = this.#s;
    st[0] = next() || 1;
    st[1] = next();
    st[2] = next();
    st[3] = next();
  }

  /**
   * One xoshiro128** step; the output goes to `#s[4]` rather than being returned, because a 32-bit
   * result returned from a call that is not inlined is boxed (an allocation per draw).
   */
  #step(): void {
    const st = this.#s;
    const a = st[0]!;
    const b = st[1]!;
    st[4] = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    const c = st[2]! ^ a;
    const d = st[3]! ^ b;
    st[1] = b ^ c;
    st[0] = a ^ d;
    st[2] = c ^ t;
    st[3] = rotl(d, 11);
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    this.#step();
    return this.#s[4]! >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#step();
    return (this.#s[4]! >>> 0) / 4294967296;
  }

  /**
   * True with probability `p` (no draw when p <= 0). Prefer it, and `below`, on data paths: they return
   * a boolean or a small integer, which never needs boxing.
   */
  chance(p: number): boolean {
    if (!(p > 0)) return false;
    this.#step();
    return (this.#s[4]! >>> 0) / 4294967296 < p;
  }

  /** Uniform integer in [0, 2^30): the top 30 bits of a draw, always a small integer. */
  draw30(): number {
    this.#step();
    return this.#s[4]! >>> 2;
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^30. */
  below(n: number): number {
    this.#step();
    return Math.floor(((this.#s[4]! >>> 0) / 4294967296) * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
