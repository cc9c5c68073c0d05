/**
 * Out-of-order bookkeeping for the receive ring (after smoltcp's Assembler): the data itself is
 * written straight into its place in the ring; this records which byte ranges beyond RCV.NXT are
 * present, as sorted, disjoint, non-touching [start, end) offsets from RCV.NXT.
 *
 * The out-of-order "queue" is bounded by bytes, not by a count of ranges: the data lives in the receive
 * ring, so it can never exceed the advertised window. The range store starts with `initialRanges`
 * slots and doubles on demand up to the limit the caller passes to `add` (about one range per half
 * segment of window, see `rangeLimit`) and never beyond `ASSEMBLER_HARD_MAX_RANGES`; it never shrinks,
 * so a connection allocates nothing once its store has grown to the reordering its path shows.
 *
 * Internally ranges are absolute byte positions (Float64, exact to 2^53) against `#base`, the
 * position of RCV.NXT, so advancing RCV.NXT rebases nothing; lookups are binary searches.
 */

/** Ranges no connection's store grows beyond (16 bytes each): 256 KiB per connection at worst. */
export const ASSEMBLER_HARD_MAX_RANGES = 16384;

export class Assembler {
  readonly initialRanges: number;
  #start: Float64Array;
  #end: Float64Array;
  /** When each range last received data, for RFC 2018's most-recent-first SACK block order. */
  #stamp: Float64Array;
  /** Absolute position of RCV.NXT. */
  #base = 0;
  #clock = 0;
  #bytes = 0;
  count = 0;
  /**
   * After `add` or `advance`: the first piece of the new data that was already held, as offsets from
   * RCV.NXT before the call (`dupEnd > dupStart`), for a D-SACK block (RFC 2883); else both 0.
   */
  dupStart = 0;
  dupEnd = 0;
  /** Bytes of the new data that were already held (all pieces), after `add` or `advance`. */
  dupBytes = 0;
  /** Scratch for `sackBlocks`: indexes of the most recently stamped ranges. */
  readonly #top = new Int32Array(4);

  constructor(initialRanges: number) {
    this.initialRanges = Math.max(1, Math.min(ASSEMBLER_HARD_MAX_RANGES, Math.floor(initialRanges)));
    this.#start = new Float64Array(this.initialRanges);
    this.#end = new Float64Array(this.initialRanges);
    this.#stamp = new Float64Array(this.initialRanges);
  }

  /**
   * The most ranges worth keeping for a window of `window` bytes from a peer whose full segments are
   * `mss` bytes: one per half segment of window (a range and the hole before it each hold at least
   * one segment from a sender that sends full segments; half leaves room for short ones), at least
   * the initial store, at most the hard cap.
   */
  rangeLimit(window: number, mss: number): number {
    const per = Math.max(1, mss >>> 1);
    return Math.min(ASSEMBLER_HARD_MAX_RANGES, Math.max(this.initialRanges, Math.ceil(window / per) + 1));
  }

  /** Slots allocated now (grows by doubling). */
  get capacity(): number {
    return this.#start.length;
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  start(i: number): number {
    return this.#start[i]! - this.#base;
  }

  end(i: number): number {
    return this.#end[i]! - this.#base;
  }

  /** Out-of-order bytes recorded. */
  get bytes(): number {
    return this.#bytes;
  }

  clear(): void {
    this.count = 0;
    this.#bytes = 0;
  }

  /** First range whose end is at or after absolute position `pos` (count when none). */
  #firstEndingAtOrAfter(pos: number): number {
    let lo = 0;
    let hi = this.count;
    const e = this.#end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #grow(limit: number): boolean {
    const cap = this.#start.length;
    if (cap >= limit) return false;
    const next = Math.min(limit, ASSEMBLER_HARD_MAX_RANGES, cap * 2);
    if (next <= cap) return false;
    const s = new Float64Array(next);
    const e = new Float64Array(next);
    const st = new Float64Array(next);
    s.set(this.#start.subarray(0, this.count));
    e.set(this.#end.subarray(0, this.count));
    st.set(this.#stamp.subarray(0, this.count));
    this.#start = s;
    this.#end = e;
    this.#stamp = st;
    return true;
  }

  #clearDup(): void {
    this.dupStart = 0;
    this.dupEnd = 0;
    this.dupBytes = 0;
  }

  /**
   * Records `n` bytes at `offset` (> 0) beyond RCV.NXT. Returns false, recording nothing, when they
   * touch no range, every slot is in use and the store may not grow beyond `limit` slots.
   */
  add(offset: number, n: number, limit = ASSEMBLER_HARD_MAX_RANGES): boolean {
    this.#clearDup();
    if (n <= 0) return true;
    const from = this.#base + offset;
    const to = from + n;
    const i = this.#firstEndingAtOrAfter(from);
    let j = i;
    while (j < this.count && this.#start[j]! <= to) j++;
    // Ranges i..j-1 touch or overlap [from, to).
    if (i === j) {
      if (this.count === this.#start.length && !this.#grow(limit)) return false;
      const s = this.#start;
      const e = this.#end;
      const st = this.#stamp;
      if (i < this.count) {
        s.copyWithin(i + 1, i, this.count);
        e.copyWithin(i + 1, i, this.count);
        st.copyWithin(i + 1, i, this.count);
      }
      s[i] = from;
      e[i] = to;
      st[i] = ++this.#clock;
      this.count++;
      this.#bytes += n;
      return true;
    }
    const s = this.#start;
    const e = this.#end;
    let covered = 0;
    for (let k = i; k < j; k++) {
      const lo = Math.max(from, s[k]!);
      const hi = Math.min(to, e[k]!);
      if (hi <= lo) continue;
      if (covered === 0) {
        this.dupStart = lo - this.#base;
        this.dupEnd = hi - this.#base;
      }
      covered += hi - lo;
    }
    this.dupBytes = covered;
    let before = 0;
    for (let k = i; k < j; k++) before += e[k]! - s[k]!;
    const lo = Math.min(s[i]!, from);
    const hi = Math.max(e[j - 1]!, to);
    s[i] = lo;
    e[i] = hi;
    this.#stamp[i] = ++this.#clock;
    this.#bytes += hi - lo - before;
    const removed = j - i - 1;
    if (removed > 0) {
      s.copyWithin(i + 1, j, this.count);
      e.copyWithin(i + 1, j, this.count);
      this.#stamp.copyWithin(i + 1, j, this.count);
      this.count -= removed;
    }
    return true;
  }

  /**
   * `n` in-order bytes arrived at RCV.NXT. Returns how many bytes are now contiguous from RCV.NXT
   * (`n` plus any recorded ranges they reach) and moves RCV.NXT past them.
   */
  advance(n: number): number {
    this.#clearDup();
    const s = this.#start;
    const e = this.#end;
    const base = this.#base;
    let reach = base + n;
    let drop = 0;
    let dropped = 0;
    while (drop < this.count && s[drop]! <= reach) {
      // Recorded bytes the new data covers again: a duplicate (RFC 2883 reports the first piece).
      const hi = Math.min(base + n, e[drop]!);
      if (hi > s[drop]!) {
        if (this.dupBytes === 0) {
          this.dupStart = s[drop]! - base;
          this.dupEnd = hi - base;
        }
        this.dupBytes += hi - s[drop]!;
      }
      if (e[drop]! > reach) reach = e[drop]!;
      dropped += e[drop]! - s[drop]!;
      drop++;
    }
    if (drop > 0) {
      s.copyWithin(0, drop, this.count);
      e.copyWithin(0, drop, this.count);
      this.#stamp.copyWithin(0, drop, this.count);
      this.count -= drop;
      this.#bytes -= dropped;
    }
    const contiguous = reach - base;
    this.#base = reach;
    return contiguous;
  }

  /** True when offset `offset` (beyond RCV.NXT) is recorded. */
  contains(offset: number): boolean {
    const pos = this.#base + offset;
    const i = this.#firstEndingAtOrAfter(pos + 1);
    return i < this.count && this.#start[i]! <= pos;
  }

  /**
   * Writes up to `max` (≤ 4) SACK blocks as sequence numbers from `rcvNxt` into `out` (left, right
   * pairs); returns the count. RFC 2018 §4: the first block is the range holding the most recently
   * received segment, then the others in the order they last received data (so the blocks repeat the
   * most recently reported first blocks; ranges that merged carry the newer stamp).
   */
  sackBlocks(rcvNxt: number, out: Int32Array, max: number): number {
    const top = this.#top;
    const want = Math.min(max, top.length, this.count);
    if (want <= 0) return 0;
    let n = 0;
    const st = this.#stamp;
    for (let i = 0; i < this.count; i++) {
      const stamp = st[i]!;
      if (n === want && stamp <= st[top[n - 1]!]!) continue;
      // Insertion into the short list, newest first.
      let k = n < want ? n++ : n - 1;
      while (k > 0 && st[top[k - 1]!]! < stamp) {
        top[k] = top[k - 1]!;
        k--;
      }
      top[k] = i;
    }
    for (let b = 0; b < n; b++) {
      const i = top[b]!;
      out[2 * b] = (rcvNxt + (this.#start[i]! - this.#base)) | 0;
      out[2 * b + 1] = (rcvNxt + (this.#end[i]! - this.#base)) | 0;
    }
    return n;
  }
}
