/**
 * The virtual wire's receive rings for a multi-queue port: a single-producer / single-consumer ring of
 * frame slots in one SharedArrayBuffer, one per (sending processor, receiving queue). The producer (the
 * sending lane, acting as the receiving NIC's DMA engine) copies a frame into a slot with the hash it
 * computed; the consumer (the queue's processor) copies it into a receive buffer and indicates it. Like
 * the TAP reader's posted slots, and like `nbl-ring.ts`'s rings: heads and tails are free-running int32
 * positions moved with one `Atomics.store` per batch, slot contents are plain stores made visible by it.
 *
 *   Int32Array over the SAB
 *   [0]  tail (producer's line)   [16] head (consumer's line)
 *   [32] capacity (slots, a power of two) · [33] slot bytes · [34] FRAME_RING_MAGIC   (immutable)
 *   [48 …] slots; each: 8 header words, then the frame bytes
 *     word 0 kind (FRAME or FENCE) · 1 length · 2 table generation · 3 hash value · 4 hash info ·
 *     5 TcpIpChecksum info · 6–7 zero
 *
 * Nothing waits: a full ring refuses the frame (counted by the producer), as a full NIC queue does.
 */

export const FRAME_RING_MAGIC = 0x46524d52; // 'FRMR'
const HEADER_WORDS = 48;
const TAIL = 0;
const HEAD = 16;
const CAPACITY = 32;
const SLOT_BYTES = 33;
const MAGIC = 34;
/** Header words of a slot before the frame bytes. */
export const FRAME_SLOT_HEADER_WORDS = 8;
export const FrameSlotKind = { Frame: 1, Fence: 2 } as const;

/** Bytes of a slot for frames up to `maxFrame` bytes (header included, 64-byte aligned). */
export function frameSlotBytes(maxFrame: number): number {
  return (FRAME_SLOT_HEADER_WORDS * 4 + maxFrame + 63) & ~63;
}

export class FrameRing {
  readonly sab: SharedArrayBuffer;
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
  readonly capacity: number;
  readonly slotBytes: number;
  readonly mask: number;

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.words = new Int32Array(sab);
    this.bytes = new Uint8Array(sab);
    this.capacity = this.words[CAPACITY]!;
    this.slotBytes = this.words[SLOT_BYTES]!;
    this.mask = this.capacity - 1;
  }

  static create(capacity: number, slotBytes: number): FrameRing {
    if (!Number.isInteger(capacity) || capacity < 2 || capacity > 1 << 16 || (capacity & (capacity - 1)) !== 0) throw new RangeError(`frame ring capacity ${capacity} is not a power of two in [2, 65536]`);
    if (!Number.isInteger(slotBytes) || slotBytes < 64 || slotBytes % 64 !== 0) throw new RangeError(`frame ring slot of ${slotBytes} bytes`);
    const sab = new SharedArrayBuffer(HEADER_WORDS * 4 + capacity * slotBytes);
    const w = new Int32Array(sab);
    w[CAPACITY] = capacity;
    w[SLOT_BYTES] = slotBytes;
    w[MAGIC] = FRAME_RING_MAGIC;
    return new FrameRing(sab);
  }

  /** The other end's view of a ring made elsewhere. Throws on a bad header. */
  static attach(sab: SharedArrayBuffer): FrameRing {
    const w = new Int32Array(sab, 0, HEADER_WORDS);
    const capacity = w[CAPACITY]!;
    const slotBytes = w[SLOT_BYTES]!;
    if (w[MAGIC] !== FRAME_RING_MAGIC || capacity < 2 || (capacity & (capacity - 1)) !== 0 || slotBytes < 64 || sab.byteLength !== HEADER_WORDS * 4 + capacity * slotBytes) {
      throw new RangeError('not a frame ring (bad magic or geometry)');
    }
    return new FrameRing(sab);
  }

  /** Byte offset of the slot at `position` (its header words start at offset / 4). */
  slotOffset(position: number): number {
    return HEADER_WORDS * 4 + (position & this.mask) * this.slotBytes;
  }

  /** Frames published and not yet consumed (either end may ask). */
  depth(): number {
    return (Atomics.load(this.words, TAIL) - Atomics.load(this.words, HEAD)) | 0;
  }
}

/** The producer's end: reserve a slot, write it, commit, publish once per chain. */
export class FrameRingProducer {
  readonly ring: FrameRing;
  #tail: number;
  #head: number;
  #published: number;

  constructor(ring: FrameRing) {
    this.ring = ring;
    this.#tail = this.#published = Atomics.load(ring.words, TAIL);
    this.#head = Atomics.load(ring.words, HEAD);
  }

  /** Byte offset of the next free slot, or -1 when the ring is full. */
  reserve(): number {
    const cap = this.ring.capacity;
    if (((this.#tail - this.#head) | 0) >= cap) {
      this.#head = Atomics.load(this.ring.words, HEAD);
      const used = (this.#tail - this.#head) | 0;
      if (used < 0 || used >= cap) return -1;
    }
    return this.ring.slotOffset(this.#tail);
  }

  commit(): void {
    this.#tail = (this.#tail + 1) | 0;
  }

  get unpublished(): boolean {
    return this.#tail !== this.#published;
  }

  publish(): void {
    if (this.#tail === this.#published) return;
    Atomics.store(this.ring.words, TAIL, this.#tail);
    this.#published = this.#tail;
  }
}

/** The consumer's end: read slots from the head, release them, commit once per batch. */
export class FrameRingConsumer {
  readonly ring: FrameRing;
  #head: number;
  #tail: number;

  constructor(ring: FrameRing) {
    this.ring = ring;
    this.#head = Atomics.load(ring.words, HEAD);
    this.#tail = Atomics.load(ring.words, TAIL);
  }

  /** Slots ready to read (reads the producer's tail). */
  available(): number {
    this.#tail = Atomics.load(this.ring.words, TAIL);
    const n = (this.#tail - this.#head) | 0;
    return n < 0 || n > this.ring.capacity ? 0 : n;
  }

  /** Byte offset of the slot at the head. */
  get headOffset(): number {
    return this.ring.slotOffset(this.#head);
  }

  release(): void {
    this.#head = (this.#head + 1) | 0;
  }

  /** Gives the released slots back to the producer (one atomic store). */
  commit(): void {
    if (Atomics.load(this.ring.words, HEAD) !== this.#head) Atomics.store(this.ring.words, HEAD, this.#head);
  }
}
