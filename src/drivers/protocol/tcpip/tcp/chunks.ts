/**
 * The receive buffer of a connection whose reader takes the bytes as chunks it owns (the Node-style
 * stream's 'data' events, `TcpConnection.receiveChunk`): in-order bytes are copied once, from the
 * received frame, into slabs of fresh memory, and a read hands a filled region of a slab over as it
 * is — where the ring (ring.ts) would need a second copy, out of the ring into fresh memory, since a
 * ring is written again and a reader may keep what it got.
 *
 * Regions of a slab are handed out in order and once each, so a chunk is never written again: the
 * connection writes only past the last region it gave away. Only what was never handed out is
 * reused: a short read (`CHUNK_MIN_HANDOVER`) from the slab being filled is copied into an exact
 * allocation instead, and when the queue is empty the slab's write position goes back to the end of
 * the last region given away, so small messages live in one slab and a kept small chunk does not pin
 * a large slab. (The last bytes of a full slab go as they are, however few: a copy would free nothing.) Slabs start at
 * `CHUNK_SLAB_MIN` and double each time one fills up, up to `CHUNK_SLAB_MAX`, until the connection
 * lets its slab go (idle for a sweep interval, memory pressure, close).
 *
 * The slabs the queue holds are charged to the stack's buffer memory (memory.ts, `ringBytes`, the
 * TcpMemoryLow/Pressure/High accounting) from when they are taken until their last byte is handed
 * over or read, or the connection lets them go (idle, close): a chunk handed over is the reader's
 * memory, no longer the stack's, as Linux stops charging an skb once recvmsg copied it out.
 * Out-of-order data stays in the ring (buffers.ts, input.ts): when a segment fills a hole, the bytes
 * it made contiguous are copied from the ring into the queue.
 */
import type { TcpCounters } from './counters.js';
import { copyBytes } from './copy.js';
import type { TcpHost } from './host.js';
import type { RingMemory } from './memory.js';
import type { ByteRing } from './ring.js';

/**
 * Largest slab: below glibc's default mmap threshold (128 KiB), so a slab comes from the heap, whose
 * pages a freed slab leaves behind for the next one. A slab of 128 KiB or more is an mmap of its own,
 * unmapped when collected, and every page of every slab faults in afresh (measured: 0.5–0.9 minor
 * faults per 4 KiB received with 256 KiB slabs against 0.12 with 120 KiB ones, at a third of the rate).
 */
export const CHUNK_SLAB_MAX = 120 * 1024;
/** The first slab of a queue (and the first after it let its slab go). */
export const CHUNK_SLAB_MIN = 16 * 1024;
/** The smallest slab, taken under memory pressure for a short segment. */
export const CHUNK_SLAB_PRESSURE_MIN = 4 * 1024;
/**
 * Reads shorter than this (from the slab being filled) are copied out rather than handed over as a
 * region: Node's buffer pool serves such sizes without an ArrayBuffer of their own. Longer ones (4–8
 * KiB remainders after each 64 KiB RSC frame are common in bulk) go as regions: another ArrayBuffer
 * per read would cost more than the region saves.
 */
export const CHUNK_MIN_HANDOVER = 4 * 1024;

export class ReceiveChunks {
  readonly #memory: RingMemory;
  readonly #counters: TcpCounters;
  readonly #host: Pick<TcpHost, 'receiveMemory'>;
  /** Slabs in order: unread bytes run from `#start` in the first to `#fill` in the last. */
  readonly #slabs: Uint8Array[] = [];
  #start = 0;
  #fill = 0;
  /** End of the last region of the first slab handed over (nothing before it may be written again). */
  #given = 0;
  #nextSize = CHUNK_SLAB_MIN;
  /** Unread bytes. */
  length = 0;
  /** Bytes of the slabs held (charged to the stack's buffer memory). */
  held = 0;

  constructor(memory: RingMemory, counters: TcpCounters, host: Pick<TcpHost, 'receiveMemory'> = {}) {
    this.#memory = memory;
    this.#counters = counters;
    this.#host = host;
  }

  /** Fresh memory from the host (Node's Buffers in the stack), else a zero-filled array. */
  fresh(size: number): Uint8Array {
    return this.#host.receiveMemory?.(size) ?? new Uint8Array(size);
  }

  /** Appends `n` bytes of `src` from `from`. Always takes them: the caller only passes bytes within the window it offered. */
  append(src: Uint8Array, from: number, n: number): void {
    while (n > 0) {
      const tail = this.#tail(n);
      const k = Math.min(n, tail.length - this.#fill);
      copyBytes(tail, this.#fill, src, from, k);
      this.#fill += k;
      this.length += k;
      from += k;
      n -= k;
    }
  }

  /** Appends `n` bytes stored in `ring` from `offset` (out-of-order data a segment made contiguous). */
  appendFromRing(ring: ByteRing, offset: number, n: number): void {
    while (n > 0) {
      const tail = this.#tail(n);
      const k = Math.min(n, tail.length - this.#fill);
      ring.peek(tail, this.#fill, offset, k);
      this.#fill += k;
      this.length += k;
      offset += k;
      n -= k;
    }
  }

  /**
   * Takes up to `max` unread bytes (at least 1) as a chunk the caller owns: a region of the first slab
   * as it is, or, when shorter than `CHUNK_MIN_HANDOVER`, a copy. Null when nothing is unread.
   */
  take(max: number): Uint8Array | null {
    if (this.length === 0 || !(max >= 1)) return null;
    const first = this.#slabs[0]!;
    const end = this.#slabs.length === 1 ? this.#fill : first.length;
    const k = Math.min(end - this.#start, max);
    let chunk: Uint8Array;
    // A short read is copied when that lets the slab be written again (it is the one being filled);
    // the rest of a full slab goes as it is (nothing more is written into it either way).
    if (k < CHUNK_MIN_HANDOVER && this.#start + k < first.length) {
      chunk = this.fresh(k);
      copyBytes(chunk, 0, first, this.#start, k);
      this.#counters.receiveChunksCopied++;
    } else {
      chunk = first.subarray(this.#start, this.#start + k);
      this.#given = this.#start + k;
      this.#counters.receiveChunksGiven++;
    }
    this.#consumed(k);
    return chunk;
  }

  /** Copies out up to `n` unread bytes into `dst[at]` (a reader with its own buffer); returns how many. */
  read(dst: Uint8Array, at: number, n: number): number {
    let done = 0;
    while (done < n && this.length > 0) {
      const first = this.#slabs[0]!;
      const end = this.#slabs.length === 1 ? this.#fill : first.length;
      const k = Math.min(end - this.#start, n - done);
      copyBytes(dst, at + done, first, this.#start, k);
      done += k;
      this.#consumed(k);
    }
    return done;
  }

  /** Lets go of every slab (close, or idle with nothing unread); returns the bytes no longer charged. */
  release(): number {
    const bytes = this.held;
    if (bytes > 0) this.#discharge(bytes);
    this.#slabs.length = 0;
    this.#start = this.#fill = this.#given = 0;
    this.length = 0;
    this.#nextSize = CHUNK_SLAB_MIN;
    return bytes;
  }

  /** The slab to write `need` more bytes into: a new one when the last is full (or there is none). */
  #tail(need: number): Uint8Array {
    const slabs = this.#slabs;
    const last = slabs[slabs.length - 1];
    if (last !== undefined && this.#fill < last.length) return last;
    let size = this.#nextSize;
    // A slab filled up (bulk data): the next one is larger — but under memory pressure only what these
    // bytes need, as a ring grows only to the block they need (the window offered follows what is held).
    if (this.#memory.underPressure) size = Math.min(size, Math.max(need, CHUNK_SLAB_PRESSURE_MIN));
    else this.#nextSize = Math.min(CHUNK_SLAB_MAX, 2 * size);
    const slab = this.fresh(size);
    slabs.push(slab);
    if (slabs.length === 1) this.#start = this.#given = 0;
    this.#fill = 0;
    this.held += size;
    this.#memory.charge(size);
    this.#counters.receiveChunkBytes += size;
    return slab;
  }

  /** `k` bytes at the head were taken: drop slabs wholly consumed, rewind the write position when empty. */
  #consumed(k: number): void {
    this.#start += k;
    this.length -= k;
    const slabs = this.#slabs;
    const first = slabs[0]!;
    if (slabs.length > 1) {
      if (this.#start === first.length) {
        slabs.shift();
        this.#discharge(first.length);
        this.#start = this.#given = 0;
      }
      return;
    }
    if (this.length > 0) return;
    // Empty: what follows the last region handed over was never given away and is written again.
    this.#start = this.#fill = this.#given;
    if (this.#given === first.length) {
      // Every byte of the slab is the readers': a new slab next time.
      slabs.length = 0;
      this.#discharge(first.length);
      this.#start = this.#fill = this.#given = 0;
    }
  }

  #discharge(bytes: number): void {
    this.held -= bytes;
    this.#memory.discharge(bytes);
    this.#counters.receiveChunkBytes -= bytes;
  }
}
