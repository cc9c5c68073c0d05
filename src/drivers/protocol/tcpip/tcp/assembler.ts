/**
 * Out-of-order bookkeeping for the receive ring (after smoltcp's Assembler): the data itself is
 * written straight into its place in the ring; this records which byte ranges beyond RCV.NXT are
 * present, as sorted, disjoint, non-touching [start, end) offsets from RCV.NXT. The number of ranges
 * is fixed at construction, so the out-of-order "queue" is bounded by construction: a segment that
 * would need one more range is dropped by the caller (the sender retransmits it later).
 */
export const ASSEMBLER_MAX_RANGES = 32;

export class Assembler {
  readonly maxRanges: number;
  readonly #start: Int32Array;
  readonly #end: Int32Array;
  /** When each range last grew, for RFC 2018's most-recent-first SACK block order. */
  readonly #stamp: Float64Array;
  #clock = 0;
  count = 0;

  constructor(maxRanges: number) {
    this.maxRanges = Math.max(1, Math.min(ASSEMBLER_MAX_RANGES, Math.floor(maxRanges)));
    this.#start = new Int32Array(this.maxRanges);
    this.#end = new Int32Array(this.maxRanges);
    this.#stamp = new Float64Array(this.maxRanges);
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  start(i: number): number {
    return this.#start[i]!;
  }

  end(i: number): number {
    return this.#end[i]!;
  }

  /** Out-of-order bytes recorded. */
  get bytes(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) n += this.#end[i]! - this.#start[i]!;
    return n;
  }

  clear(): void {
    this.count = 0;
  }

  /**
   * Records `n` bytes at `offset` (> 0) beyond RCV.NXT. Returns false, recording nothing, when they
   * touch no range and every range is in use.
   */
  add(offset: number, n: number): boolean {
    if (n <= 0) return true;
    const end = offset + n;
    const s = this.#start;
    const e = this.#end;
    let i = 0;
    while (i < this.count && e[i]! < offset) i++;
    let j = i;
    while (j < this.count && s[j]! <= end) j++;
    // Ranges i..j-1 touch or overlap [offset, end).
    if (i === j) {
      if (this.count === this.maxRanges) return false;
      for (let k = this.count; k > i; k--) {
        s[k] = s[k - 1]!;
        e[k] = e[k - 1]!;
        this.#stamp[k] = this.#stamp[k - 1]!;
      }
      s[i] = offset;
      e[i] = end;
      this.count++;
    } else {
      s[i] = Math.min(s[i]!, offset);
      e[i] = Math.max(e[j - 1]!, end);
      const removed = j - i - 1;
      if (removed > 0) {
        for (let k = i + 1; k + removed < this.count; k++) {
          s[k] = s[k + removed]!;
          e[k] = e[k + removed]!;
          this.#stamp[k] = this.#stamp[k + removed]!;
        }
        this.count -= removed;
      }
    }
    this.#stamp[i] = ++this.#clock;
    return true;
  }

  /**
   * `n` in-order bytes arrived at RCV.NXT. Returns how many bytes are now contiguous from RCV.NXT
   * (`n` plus any recorded ranges they reach) and rebases the remaining ranges on the new RCV.NXT.
   */
  advance(n: number): number {
    const s = this.#start;
    const e = this.#end;
    let contiguous = n;
    let drop = 0;
    while (drop < this.count && s[drop]! <= contiguous) {
      contiguous = Math.max(contiguous, e[drop]!);
      drop++;
    }
    let k = 0;
    for (let i = drop; i < this.count; i++, k++) {
      s[k] = s[i]! - contiguous;
      e[k] = e[i]! - contiguous;
      this.#stamp[k] = this.#stamp[i]!;
    }
    this.count = k;
    return contiguous;
  }

  /** True when offset `offset` (beyond RCV.NXT) is recorded. */
  contains(offset: number): boolean {
    for (let i = 0; i < this.count; i++) if (this.#start[i]! <= offset && offset < this.#end[i]!) return true;
    return false;
  }

  /**
   * Writes up to `max` SACK blocks (RFC 2018: the most recently changed range first, then the others
   * most recent first) as sequence numbers from `rcvNxt` into `out` (left, right pairs); returns the count.
   */
  sackBlocks(rcvNxt: number, out: Int32Array, max: number): number {
    let chosen = 0; // bitmask over range indexes
    let n = 0;
    for (; n < max && n < this.count; n++) {
      let best = -1;
      for (let i = 0; i < this.count; i++) {
        if ((chosen & (1 << i)) !== 0) continue;
        if (best < 0 || this.#stamp[i]! > this.#stamp[best]!) best = i;
      }
      chosen |= 1 << best;
      out[2 * n] = (rcvNxt + this.#start[best]!) | 0;
      out[2 * n + 1] = (rcvNxt + this.#end[best]!) | 0;
    }
    return n;
  }
}
