/**
 * The sender's SACK scoreboard (RFC 6675 §3, simplified): which bytes above SND.UNA the peer reported
 * holding, as sorted disjoint [start, end) offsets from SND.UNA, at most `maxRanges` of them. Blocks
 * below SND.UNA (D-SACK, stale) or beyond what was sent are ignored, so hostile blocks cannot make it
 * claim more than is outstanding.
 */
export class SackScoreboard {
  readonly maxRanges: number;
  readonly #start: Int32Array;
  readonly #end: Int32Array;
  count = 0;
  /** Set by `nextHole`. */
  holeStart = 0;
  holeEnd = 0;

  constructor(maxRanges: number) {
    this.maxRanges = Math.max(1, Math.floor(maxRanges));
    this.#start = new Int32Array(this.maxRanges);
    this.#end = new Int32Array(this.maxRanges);
  }

  clear(): void {
    this.count = 0;
  }

  get sackedBytes(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) n += this.#end[i]! - this.#start[i]!;
    return n;
  }

  /** End offset of the highest SACKed byte + 1, or 0 when nothing is SACKed. */
  get highestEnd(): number {
    return this.count === 0 ? 0 : this.#end[this.count - 1]!;
  }

  /**
   * Records the block [left, right) (sequence numbers) given SND.UNA and the highest sequence number
   * sent; returns the number of bytes that became SACKed.
   */
  add(una: number, sndMax: number, left: number, right: number): number {
    const outstanding = (sndMax - una) | 0;
    let l = (left - una) | 0;
    const r = (right - una) | 0;
    if (r <= 0 || r > outstanding || l >= r) return 0;
    if (l < 0) l = 0;
    const before = this.sackedBytes;
    const s = this.#start;
    const e = this.#end;
    let i = 0;
    while (i < this.count && e[i]! < l) i++;
    let j = i;
    while (j < this.count && s[j]! <= r) j++;
    if (i === j) {
      if (this.count === this.maxRanges) {
        // Full: keep the lowest ranges, which name the holes to repair first.
        if (i === this.count) return 0;
        this.count--;
      }
      for (let k = this.count; k > i; k--) {
        s[k] = s[k - 1]!;
        e[k] = e[k - 1]!;
      }
      s[i] = l;
      e[i] = r;
      this.count++;
    } else {
      s[i] = Math.min(s[i]!, l);
      e[i] = Math.max(e[j - 1]!, r);
      const removed = j - i - 1;
      if (removed > 0) {
        for (let k = i + 1; k + removed < this.count; k++) {
          s[k] = s[k + removed]!;
          e[k] = e[k + removed]!;
        }
        this.count -= removed;
      }
    }
    return this.sackedBytes - before;
  }

  /** SND.UNA moved forward by `n` bytes. */
  advance(n: number): void {
    const s = this.#start;
    const e = this.#end;
    let k = 0;
    for (let i = 0; i < this.count; i++) {
      const end = e[i]! - n;
      if (end <= 0) continue;
      s[k] = Math.max(0, s[i]! - n);
      e[k] = end;
      k++;
    }
    this.count = k;
  }

  isSacked(offset: number): boolean {
    for (let i = 0; i < this.count; i++) if (this.#start[i]! <= offset && offset < this.#end[i]!) return true;
    return false;
  }

  /**
   * The first un-SACKed range at or after `from` and below the highest SACKed byte (RFC 6675 NextSeg
   * rule 1, with "lost" taken as "below a SACKed byte"): sets holeStart/holeEnd; false when there is none.
   */
  nextHole(from: number): boolean {
    let at = Math.max(0, from);
    for (let i = 0; i < this.count; i++) {
      const s = this.#start[i]!;
      const e = this.#end[i]!;
      if (at < s) {
        this.holeStart = at;
        this.holeEnd = s;
        return true;
      }
      if (at < e) at = e;
    }
    return false;
  }

  /** Un-SACKed bytes in [0, limit). */
  holeBytesBelow(limit: number): number {
    let holes = 0;
    let at = 0;
    for (let i = 0; i < this.count && at < limit; i++) {
      const s = Math.min(this.#start[i]!, limit);
      if (s > at) holes += s - at;
      at = Math.max(at, this.#end[i]!);
    }
    return holes;
  }
}
