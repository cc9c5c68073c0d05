/**
 * Fresh memory for the chunks the Node-style sockets hand to their readers (stream.ts).
 *
 * Every chunk a 'data' listener gets is its own: it may keep it, slice it, concatenate it later, and no
 * later read ever writes into it. So a chunk cannot come from a buffer the socket reuses; it has to be
 * memory nobody has seen. What that memory costs decides the receive rate: one `Buffer.allocUnsafe` of
 * ~64 KiB per read costs more than the rest of the receive path together (a malloc, an ArrayBuffer,
 * and pages the allocator keeps handing back to the kernel and faulting in again), where carving the
 * chunks out of a larger slab, as Node's own Buffer pool does for small buffers, costs one allocation
 * per slab and keeps the allocator's pages.
 *
 * Regions of a slab are handed out in order, once each, and the slab is dropped (to the garbage
 * collector) when it runs low: a reader keeping a chunk keeps its slab alive, at most `SLAB_SIZE`,
 * which is why short reads (`SLAB_MIN_READ`), where a kept chunk would pin the most for the least,
 * take an exact allocation instead (Node's pool below 4 KiB).
 */

/**
 * Bytes per slab: below glibc's default mmap threshold (128 KiB), so a slab comes from the heap, whose
 * pages a freed slab leaves behind for the next one. A slab of 128 KiB or more is an mmap of its own,
 * unmapped when collected: every page of every slab faults in afresh (measured: 0.5–0.9 minor faults
 * per 4 KiB received with 256 KiB slabs against 0.12 with 120 KiB ones, at a third of the rate).
 */
export const SLAB_SIZE = 120 * 1024;
/** Reads shorter than this get an exact allocation rather than a region of the slab. */
export const SLAB_MIN_READ = 16 * 1024;

export class ChunkSlab {
  #slab: Buffer | null = null;
  #used = 0;

  constructor(
    readonly size = SLAB_SIZE,
    readonly minRead = SLAB_MIN_READ,
  ) {
    if (!(minRead >= 1 && size >= minRead)) throw new RangeError(`ChunkSlab: a slab (${String(size)} bytes) holds at least one minimum read (${String(minRead)})`);
  }

  /**
   * A Buffer of fresh memory, `n` bytes long or, from a slab's last free region, shorter (never
   * below `minRead` unless `n` is). Handed out once: the caller owns it and gives it away.
   */
  take(n: number): Buffer {
    if (n < this.minRead) return Buffer.allocUnsafe(n);
    let slab = this.#slab;
    if (slab === null || this.size - this.#used < this.minRead) {
      // Let go of the spent slab first: a collection the allocation triggers can then free it.
      this.#slab = null;
      slab = Buffer.allocUnsafeSlow(this.size);
      this.#slab = slab;
      this.#used = 0;
    }
    const at = this.#used;
    const k = n < this.size - at ? n : this.size - at;
    this.#used = at + k;
    return slab.subarray(at, at + k);
  }
}
