/**
 * A bounded ring of whole pcapng blocks in one preallocated buffer: the data path encodes each block in
 * place (reserve → write → commit, no allocation), a writer drains contiguous regions with one file write
 * each and releases them when the write completed.
 *
 *    0                read             write                       capacity
 *    |    free        |#### committed ####|        free              |      not wrapped
 *
 *    0        write   read                       wrapEnd             capacity
 *    |## new ##| free |#### committed, older #####| unused tail       |      wrapped
 *
 * A block never straddles the end: when it does not fit in the tail, it goes to offset 0 (if the space
 * before `read` suffices) and the tail from `wrapEnd` is skipped. The region being written by the
 * drainer stays reserved until `release`, so the producer never overwrites bytes in flight.
 *
 * Bounded twice: by bytes (the buffer) and by blocks (`capacityBlocks`). A full ring refuses the block
 * (`reserve` returns -1) and the caller counts the drop.
 */
export class BlockRing {
  readonly bytes: Uint8Array;
  /** The same memory as 32-bit words (both views start at byte 0 of the buffer), for word-wise copies. */
  readonly words: Int32Array;
  readonly capacityBytes: number;
  readonly capacityBlocks: number;
  #read = 0;
  #write = 0;
  #wrapEnd = -1;
  #usedBytes = 0;
  #blocks = 0;
  #reservedAt = -1;
  /** Bytes ever committed / released (monotonic; the difference is what is queued). */
  committedTotal = 0;
  releasedTotal = 0;

  constructor(capacityBytes: number, capacityBlocks: number) {
    if (!(capacityBytes >= 16) || !(capacityBlocks >= 1)) throw new RangeError(`BlockRing needs ≥ 16 bytes and ≥ 1 block (got ${capacityBytes}, ${capacityBlocks})`);
    this.capacityBytes = (capacityBytes + 3) & ~3;
    this.capacityBlocks = capacityBlocks;
    const buffer = new ArrayBuffer(this.capacityBytes);
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
  }

  get usedBytes(): number {
    return this.#usedBytes;
  }

  get blocks(): number {
    return this.#blocks;
  }

  /** Offset where `n` contiguous bytes can be written, or -1 when the ring is full. Pair with `commit(n)`. */
  reserve(n: number): number {
    if (n > this.capacityBytes || this.#blocks >= this.capacityBlocks) return -1;
    if (this.#usedBytes === 0) {
      this.#read = this.#write = 0;
      this.#wrapEnd = -1;
    }
    let at = -1;
    if (this.#wrapEnd === -1) {
      if (this.capacityBytes - this.#write >= n) at = this.#write;
      else if (this.#read >= n) at = 0;
    } else if (this.#read - this.#write >= n) {
      at = this.#write;
    }
    this.#reservedAt = at;
    return at;
  }

  /** The block of `n` bytes written at the offset `reserve(n)` returned is now queued. */
  commit(n: number): void {
    const at = this.#reservedAt;
    if (at < 0) throw new RangeError('BlockRing.commit without a successful reserve');
    if (this.#wrapEnd === -1 && at < this.#write) this.#wrapEnd = this.#write;
    this.#write = at + n;
    this.#reservedAt = -1;
    this.#usedBytes += n;
    this.#blocks++;
    this.committedTotal += n;
  }

  /** Start of the oldest queued bytes. */
  get readOffset(): number {
    if (this.#wrapEnd !== -1 && this.#read === this.#wrapEnd) {
      this.#read = 0;
      this.#wrapEnd = -1;
    }
    return this.#read;
  }

  /** Length of the contiguous queued region at `readOffset` (0 when empty). */
  readable(): number {
    if (this.#usedBytes === 0) return 0;
    const r = this.readOffset;
    return this.#wrapEnd !== -1 ? this.#wrapEnd - r : this.#write - r;
  }

  /** The drainer is done with `n` bytes (`blocks` blocks) at `readOffset`. */
  release(n: number, blocks: number): void {
    this.#read += n;
    this.#usedBytes -= n;
    this.#blocks -= blocks;
    this.releasedTotal += n;
    if (this.#wrapEnd !== -1 && this.#read === this.#wrapEnd) {
      this.#read = 0;
      this.#wrapEnd = -1;
    }
  }
}
