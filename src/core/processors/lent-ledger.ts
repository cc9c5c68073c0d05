/**
 * The home side's record of NBLs lent to another processor. While its shell travels, the original stays
 * here (owned by the crossing edge's home end, so a home module that touches it is caught by the
 * ownership checks); the return names the entry, and the original goes back the way it came.
 *
 *   reference = entry index (bits 0–19) · generation (bits 20–31)
 *
 * The generation changes every time an entry is reused (never 0), so a return of an entry already taken
 * — a stale or second return, or a corrupt one — finds another generation and is refused (counted), never
 * completing somebody else's NBL. Fixed capacity; nothing allocates after construction.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';

export const LEDGER_INDEX_BITS = 20;
export const LEDGER_MAX_CAPACITY = 1 << LEDGER_INDEX_BITS;
const INDEX_MASK = LEDGER_MAX_CAPACITY - 1;
const GENERATION_MASK = 0xfff;

export class LentLedger {
  readonly capacity: number;
  readonly #nbls: (NetBufferList | null)[];
  readonly #generations: Int32Array;
  readonly #free: Int32Array;
  #top: number;
  /** Lends refused because every entry was in use. */
  full = 0;
  /** Returns naming an entry that is free or of another generation. */
  stale = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > LEDGER_MAX_CAPACITY) throw new RangeError(`ledger capacity ${capacity}`);
    this.capacity = capacity;
    this.#nbls = new Array<NetBufferList | null>(capacity).fill(null);
    this.#generations = new Int32Array(capacity);
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
    this.#top = capacity;
  }

  /** NBLs out on loan now. */
  get lent(): number {
    return this.capacity - this.#top;
  }

  /** Records `nbl` as lent; returns its reference, or -1 when the ledger is full. */
  lend(nbl: NetBufferList): number {
    if (this.#top === 0) {
      this.full++;
      return -1;
    }
    const i = this.#free[--this.#top]!;
    let g = (this.#generations[i]! + 1) & GENERATION_MASK;
    if (g === 0) g = 1;
    this.#generations[i] = g;
    this.#nbls[i] = nbl;
    return i | (g << LEDGER_INDEX_BITS);
  }

  /** Undoes the last `lend` (the descriptor could not be written after all). */
  unlend(ref: number): void {
    const i = ref & INDEX_MASK;
    this.#nbls[i] = null;
    this.#free[this.#top++] = i;
  }

  /** The original behind `ref`, released from the ledger; null (counted) for a stale or unknown reference. */
  take(ref: number): NetBufferList | null {
    const i = ref & INDEX_MASK;
    const g = (ref >>> LEDGER_INDEX_BITS) & GENERATION_MASK;
    if (i >= this.capacity || g === 0 || this.#generations[i] !== g) {
      this.stale++;
      return null;
    }
    const nbl = this.#nbls[i] ?? null;
    if (nbl === null) {
      this.stale++;
      return null;
    }
    this.#nbls[i] = null;
    this.#free[this.#top++] = i;
    return nbl;
  }

  /** Whether `nbl` is on loan (diagnostics and the verifier; walks the ledger). */
  holds(nbl: NetBufferList): boolean {
    return this.#nbls.includes(nbl);
  }

  /** Releases every NBL on loan to `fn` (reclamation when the far side is gone). Returns how many. */
  reclaimAll(fn: (nbl: NetBufferList) => void): number {
    let n = 0;
    for (let i = 0; i < this.capacity; i++) {
      const nbl = this.#nbls[i];
      if (nbl === null || nbl === undefined) continue;
      this.#nbls[i] = null;
      this.#free[this.#top++] = i;
      n++;
      fn(nbl);
    }
    return n;
  }
}
