/**
 * Single-producer / single-consumer rings of fixed-size slots in one SharedArrayBuffer: how NBL
 * descriptors (`NblRing`, 16-word slots) and their returns (`ReturnRing`, 4-word entries) travel between
 * processors. Written for two threads; the simulated processor set uses the same objects on one.
 *
 *   Int32Array over the SAB
 *   [0]  tail   producer's line (words 0–15): only the producer writes it
 *   [16] head   consumer's line (words 16–31): only the consumer writes it
 *   [17] state  OPEN, or DEAD once the consumer found the ring corrupt (the producer then fails crossings)
 *   [32] capacity (slots, a power of two) · [33] words per slot · [34] RING_MAGIC   (immutable)
 *   [48 …] capacity × slotWords words of slots
 *
 * Head and tail are free-running int32 positions (slot index = position & mask). Slot words are plain
 * stores; the producer makes them visible with one `Atomics.store` of the tail per batch (`publish`),
 * the consumer frees slots with one `Atomics.store` of the head per batch (`commit`): Atomics are
 * sequentially consistent, so what was written before the store is seen after the matching load.
 * Nothing here waits: a full ring refuses (`reserve` returns -1, counted), as a full NIC queue does.
 */

export const RING_MAGIC = 0x52494e47; // 'RING'
export const RING_HEADER_WORDS = 48;
const TAIL = 0;
const HEAD = 16;
const STATE = 17;
const CAPACITY = 32;
const SLOT_WORDS = 33;
const MAGIC = 34;

export const RingState = { Open: 0, Dead: 1 } as const;

/** Words per NblRing slot: one descriptor slot, a 64-byte cache line. */
export const NBL_SLOT_WORDS = 16;
/** Words per ReturnRing entry. */
export const RETURN_ENTRY_WORDS = 4;

/** The shared memory of one ring and its geometry; both ends build their view from the SAB alone. */
export class SpscRing {
  readonly sab: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly capacity: number;
  readonly slotWords: number;
  readonly mask: number;

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.words = new Int32Array(sab);
    this.capacity = this.words[CAPACITY]!;
    this.slotWords = this.words[SLOT_WORDS]!;
    this.mask = this.capacity - 1;
  }

  static create(capacity: number, slotWords: number): SpscRing {
    if (!Number.isInteger(capacity) || capacity < 2 || capacity > 1 << 20 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(`ring capacity ${capacity} is not a power of two in [2, 2^20]`);
    }
    if (!Number.isInteger(slotWords) || slotWords < 1 || slotWords > 64) throw new RangeError(`ring slot of ${slotWords} words`);
    const sab = new SharedArrayBuffer((RING_HEADER_WORDS + capacity * slotWords) * 4);
    const w = new Int32Array(sab);
    w[CAPACITY] = capacity;
    w[SLOT_WORDS] = slotWords;
    w[MAGIC] = RING_MAGIC;
    return new SpscRing(sab);
  }

  /** The other end's view of a ring made elsewhere (a worker given the SAB). Throws on a bad header. */
  static attach(sab: SharedArrayBuffer): SpscRing {
    if (sab.byteLength < RING_HEADER_WORDS * 4) throw new RangeError('ring buffer shorter than its header');
    const w = new Int32Array(sab, 0, RING_HEADER_WORDS);
    const capacity = w[CAPACITY]!;
    const slotWords = w[SLOT_WORDS]!;
    if (w[MAGIC] !== RING_MAGIC || capacity < 2 || (capacity & (capacity - 1)) !== 0 || slotWords < 1 || sab.byteLength !== (RING_HEADER_WORDS + capacity * slotWords) * 4) {
      throw new RangeError('not a ring buffer (bad magic or geometry)');
    }
    return new SpscRing(sab);
  }

  /** First word of the slot at `position`. */
  slotBase(position: number): number {
    return RING_HEADER_WORDS + (position & this.mask) * this.slotWords;
  }

  get dead(): boolean {
    return Atomics.load(this.words, STATE) === RingState.Dead;
  }
}

/** The producer's end: reserve slots, write them, commit, and publish once per batch. */
export class RingProducer {
  readonly ring: SpscRing;
  readonly words: Int32Array;
  /** Position after the last committed slot (published or not). */
  #tail: number;
  /** The consumer's head as last read (refreshed only when the ring looks full). */
  #head: number;
  #published: number;
  /** Slots committed, and publishes that moved the tail. */
  slots = 0;
  publishes = 0;
  /** Reservations refused because the ring was full. */
  refused = 0;

  constructor(ring: SpscRing) {
    this.ring = ring;
    this.words = ring.words;
    this.#tail = this.#published = Atomics.load(ring.words, TAIL);
    this.#head = Atomics.load(ring.words, HEAD);
  }

  /** Slots free now (reads the consumer's head). */
  get free(): number {
    this.#head = Atomics.load(this.words, HEAD);
    return this.ring.capacity - ((this.#tail - this.#head) | 0);
  }

  /** Slots committed and not yet published. */
  get unpublished(): number {
    return (this.#tail - this.#published) | 0;
  }

  /**
   * The position of `n` consecutive free slots after the committed ones, or -1 when the ring is too full
   * to take them (callers check `dead` once per chain). Reserving does not commit: write the slots, then
   * `commit(n)`.
   */
  reserve(n: number): number {
    const cap = this.ring.capacity;
    if (((this.#tail - this.#head) | 0) + n > cap) {
      this.#head = Atomics.load(this.words, HEAD);
      const used = (this.#tail - this.#head) | 0;
      if (used < 0 || used + n > cap) {
        this.refused++;
        return -1;
      }
    }
    return this.#tail;
  }

  commit(n: number): void {
    this.#tail = (this.#tail + n) | 0;
    this.slots += n;
  }

  /** Makes every committed slot visible to the consumer (one atomic store). Returns the slots published. */
  publish(): number {
    const n = (this.#tail - this.#published) | 0;
    if (n === 0) return 0;
    Atomics.store(this.words, TAIL, this.#tail);
    this.#published = this.#tail;
    this.publishes++;
    return n;
  }

  slotBase(position: number): number {
    return this.ring.slotBase(position);
  }

  get dead(): boolean {
    return this.ring.dead;
  }
}

/** The consumer's end: see what is published, read it, release it, commit the head once per batch. */
export class RingConsumer {
  readonly ring: SpscRing;
  readonly words: Int32Array;
  #head: number;
  #committed: number;
  slots = 0;
  commits = 0;
  /** Times the published tail was impossible (behind the head or more than a ring ahead): the ring died. */
  overruns = 0;

  constructor(ring: SpscRing) {
    this.ring = ring;
    this.words = ring.words;
    this.#head = this.#committed = Atomics.load(ring.words, HEAD);
  }

  /** Position of the next unread slot. */
  get head(): number {
    return this.#head;
  }

  /**
   * Slots published and not yet released; 0 for a dead ring. A tail that no correct producer can have
   * written (behind the head, or more than a ring's capacity ahead) kills the ring and counts an overrun:
   * its slots can no longer be trusted, and reading on would hand out garbage.
   */
  available(): number {
    if (Atomics.load(this.words, STATE) === RingState.Dead) return 0;
    const n = (Atomics.load(this.words, TAIL) - this.#head) | 0;
    if (n < 0 || n > this.ring.capacity) {
      this.overruns++;
      this.kill();
      return 0;
    }
    return n;
  }

  release(n: number): void {
    this.#head = (this.#head + n) | 0;
    this.slots += n;
  }

  /** Gives released slots back to the producer (one atomic store). */
  commit(): void {
    if (this.#head === this.#committed) return;
    Atomics.store(this.words, HEAD, this.#head);
    this.#committed = this.#head;
    this.commits++;
  }

  /** Marks the ring dead: the producer refuses further crossings on it (its owner reclaims what it lent). */
  kill(): void {
    Atomics.store(this.words, STATE, RingState.Dead);
  }

  slotBase(position: number): number {
    return this.ring.slotBase(position);
  }
}

/** Test and fault-injection access to the raw control words (never used on a data path). */
export const RING_CONTROL = { TAIL, HEAD, STATE } as const;
