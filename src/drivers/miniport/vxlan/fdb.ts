/**
 * The learning table (a Linux vxlan device's FDB, learned entries only): inner source MAC → the remote
 * VTEP (underlay address and port) it was last seen behind, with ageing on the runtime clock.
 *
 * Fixed capacity, allocated once: open addressing with linear probing over typed arrays (the MAC as a
 * 16-bit high and a 32-bit low part), backward-shift deletion, so learning and lookup allocate nothing
 * per packet. The address strings stored are the ones the socket produced for the datagram (already
 * allocated by Node). An entry is live while `now - lastSeen < ageMs`; expired entries are skipped by
 * `lookup`, overwritten by `learn` and removed by `sweep` (the adapter runs it from a timer).
 */

/** What `learn` did. */
export const FdbLearn = {
  /** Known entry, same endpoint: its timestamp was refreshed. */
  Refreshed: 0,
  /** A new entry (or an expired one learned again). */
  Learned: 1,
  /** Known MAC behind a different endpoint: the entry moved. */
  Moved: 2,
  /** Table full: not learned. */
  Full: 3,
} as const;
export type FdbLearn = (typeof FdbLearn)[keyof typeof FdbLearn];

export interface FdbEntry {
  readonly mac: string;
  readonly address: string;
  readonly port: number;
  /** ms since the entry was last refreshed. */
  readonly ageMs: number;
}

const USED = 0x10000;

export class ForwardingTable {
  readonly capacity: number;
  readonly ageMs: number;
  readonly #mask: number;
  /** `USED | (b0 << 8 | b1)`, or 0 for an empty slot. */
  readonly #hi: Int32Array;
  readonly #lo: Int32Array;
  readonly #seen: Float64Array;
  readonly #port: Int32Array;
  readonly #address: string[];
  #count = 0;

  constructor(capacity: number, ageMs: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`learning table capacity ${capacity}`);
    this.capacity = capacity;
    this.ageMs = ageMs;
    let size = 16;
    while (size < capacity * 2) size *= 2; // load factor ≤ 1/2
    this.#mask = size - 1;
    this.#hi = new Int32Array(size);
    this.#lo = new Int32Array(size);
    this.#seen = new Float64Array(size);
    this.#port = new Int32Array(size);
    this.#address = new Array<string>(size).fill('');
  }

  /** Entries stored, expired ones not yet swept included. */
  get size(): number {
    return this.#count;
  }

  #home(hi: number, lo: number): number {
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.#mask;
  }

  #find(hi: number, lo: number): number {
    const hiArr = this.#hi;
    const loArr = this.#lo;
    const mask = this.#mask;
    for (let i = this.#home(hi, lo); ; i = (i + 1) & mask) {
      const h = hiArr[i]!;
      if (h === 0) return -1;
      if (h === hi && loArr[i] === lo) return i;
    }
  }

  /** Slot of the live entry for the MAC at `b[o…o+6)`, or -1 (unknown or expired). */
  lookup(b: Uint8Array, o: number, now: number): number {
    const i = this.#find(USED | (b[o]! << 8) | b[o + 1]!, (b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!);
    return i >= 0 && now - this.#seen[i]! < this.ageMs ? i : -1;
  }

  addressAt(slot: number): string {
    return this.#address[slot]!;
  }

  portAt(slot: number): number {
    return this.#port[slot]!;
  }

  /** Records that the MAC at `b[o…o+6)` was seen behind `address:port` at `now`. */
  learn(b: Uint8Array, o: number, address: string, port: number, now: number): FdbLearn {
    const hi = USED | (b[o]! << 8) | b[o + 1]!;
    const lo = (b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!;
    const mask = this.#mask;
    let i = this.#home(hi, lo);
    for (; ; i = (i + 1) & mask) {
      const h = this.#hi[i]!;
      if (h === 0) break;
      if (h === hi && this.#lo[i] === lo) {
        const expired = now - this.#seen[i]! >= this.ageMs;
        this.#seen[i] = now;
        if (this.#port[i] !== port || this.#address[i] !== address) {
          this.#port[i] = port;
          this.#address[i] = address;
          return expired ? FdbLearn.Learned : FdbLearn.Moved;
        }
        return expired ? FdbLearn.Learned : FdbLearn.Refreshed;
      }
    }
    if (this.#count >= this.capacity) return FdbLearn.Full;
    this.#hi[i] = hi;
    this.#lo[i] = lo;
    this.#seen[i] = now;
    this.#port[i] = port;
    this.#address[i] = address;
    this.#count++;
    return FdbLearn.Learned;
  }

  /** Removes every expired entry; returns how many. */
  sweep(now: number): number {
    let removed = 0;
    const size = this.#mask + 1;
    for (let i = 0; i < size; ) {
      if (this.#hi[i] !== 0 && now - this.#seen[i]! >= this.ageMs) {
        this.#remove(i);
        removed++;
        // The backward shift may have moved another entry into slot i: look at it again.
      } else {
        i++;
      }
    }
    return removed;
  }

  /** Forgets the MAC at `b[o…o+6)`; returns whether it was there. */
  delete(b: Uint8Array, o = 0): boolean {
    const i = this.#find(USED | (b[o]! << 8) | b[o + 1]!, (b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!);
    if (i < 0) return false;
    this.#remove(i);
    return true;
  }

  clear(): void {
    this.#hi.fill(0);
    this.#address.fill('');
    this.#count = 0;
  }

  /** Backward-shift deletion: later entries of the probe run move into the hole when their home allows. */
  #remove(slot: number): void {
    const mask = this.#mask;
    let hole = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      const h = this.#hi[j]!;
      if (h === 0) break;
      const home = this.#home(h, this.#lo[j]!);
      // Entry j stays when its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      this.#hi[hole] = h;
      this.#lo[hole] = this.#lo[j]!;
      this.#seen[hole] = this.#seen[j]!;
      this.#port[hole] = this.#port[j]!;
      this.#address[hole] = this.#address[j]!;
      hole = j;
    }
    this.#hi[hole] = 0;
    this.#address[hole] = '';
    this.#count--;
  }

  /** Removes every entry learned on `port` (a bridge port that left or lost its link); returns how many. */
  flushPort(port: number): number {
    let removed = 0;
    const size = this.#mask + 1;
    for (let i = 0; i < size; ) {
      if (this.#hi[i] !== 0 && this.#port[i] === port) {
        this.#remove(i);
        removed++;
      } else {
        i++;
      }
    }
    return removed;
  }

  /** Live entries, for inspection and tests (allocates). */
  entries(now: number): FdbEntry[] {
    const out: FdbEntry[] = [];
    for (let i = 0; i <= this.#mask; i++) {
      const h = this.#hi[i]!;
      if (h === 0 || now - this.#seen[i]! >= this.ageMs) continue;
      const lo = this.#lo[i]!;
      const bytes = [(h >> 8) & 0xff, h & 0xff, (lo >>> 24) & 0xff, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
      out.push({
        mac: bytes.map((x) => x.toString(16).padStart(2, '0')).join(':'),
        address: this.#address[i]!,
        port: this.#port[i]!,
        ageMs: now - this.#seen[i]!,
      });
    }
    return out;
  }
}
