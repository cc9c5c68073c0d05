/**
 * Ring memory for the engine: power-of-two blocks for the connections' send and receive rings, carved
 * from slabs, and the stack-wide accounting that says whether a ring may grow (Linux's `tcp_mem`:
 * below `low` all is well; beyond `pressure` the stack is under pressure until it is back below `low`;
 * beyond `high` only forced growth happens).
 *
 * Why slabs: glibc raises its mmap threshold (up to 32 MiB) each time it frees a large mapped block,
 * so rings freed one by one end up in the brk heap and RSS never comes down (issue 10: 540 MB after 200
 * echo connections had closed). A block of 32 MiB or more is always mapped, and unmapped once V8 frees
 * it; only the pages touched are resident. So blocks of one size come from 32 MiB slabs, a slab whose
 * blocks are all free is dropped after `poolIdleMs` (at once beyond `poolMaxBytes`), and the memory
 * goes back to the system. Rings of 32 MiB and more are slabs of their own.
 */
import type { TcpCounters } from './counters.js';

/** Slab size: above glibc's largest dynamic mmap threshold (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit). */
export const SLAB_BYTES = 32 << 20;
/** The smallest block. */
export const MIN_BLOCK = 1024;

export const EMPTY_BUFFER = new Uint8Array(0);

/** The least power of two ≥ `n` (and ≥ MIN_BLOCK). */
export function blockSize(n: number): number {
  let s = MIN_BLOCK;
  while (s < n) s *= 2;
  return s;
}

export interface MemoryLimits {
  /** Bytes in rings: below `low` the pressure ends; beyond `pressure` it starts; beyond `high` growth is refused. */
  low: number;
  pressure: number;
  high: number;
  /** Bytes of wholly free slabs kept for reuse, and how long one is kept. */
  poolMaxBytes: number;
  poolIdleMs: number;
}

class Slab {
  readonly buffer: ArrayBuffer;
  readonly size: number;
  /** Indices of the free blocks (a stack). */
  readonly free: Int32Array;
  nFree: number;
  /** When the last block came back (for the idle release). */
  emptySince = 0;

  constructor(size: number) {
    const count = Math.max(1, Math.floor(SLAB_BYTES / size));
    this.size = size;
    this.buffer = new ArrayBuffer(count * size);
    this.free = new Int32Array(count);
    for (let i = 0; i < count; i++) this.free[i] = count - 1 - i;
    this.nFree = count;
  }

  get count(): number {
    return this.free.length;
  }
}

export class RingMemory {
  readonly #counters: TcpCounters;
  #limits: MemoryLimits;
  /** Slabs by block size; a slab with free blocks is found by a scan (classes hold few slabs). */
  readonly #classes = new Map<number, Slab[]>();
  readonly #byBuffer = new Map<ArrayBuffer, Slab>();
  #emptyBytes = 0;

  readonly #now: () => number;

  constructor(counters: TcpCounters, limits: MemoryLimits, now: () => number) {
    this.#counters = counters;
    this.#limits = limits;
    this.#now = now;
  }

  set limits(l: MemoryLimits) {
    this.#limits = l;
    this.#updatePressure();
  }

  /** Under pressure: buffers stop growing by autotuning and idle memory is released at once. */
  get underPressure(): boolean {
    return this.#counters.memoryPressure !== 0;
  }

  /** Would `bytes` more stay below `pressure`? (autotuning's test before it promises more) */
  fits(bytes: number): boolean {
    return this.#counters.ringBytes + bytes <= this.#limits.pressure;
  }

  /** Would `bytes` more stay within `high`? */
  allows(bytes: number): boolean {
    return this.#counters.ringBytes + bytes <= this.#limits.high;
  }

  /**
   * A block of `size` bytes (a power of two ≥ MIN_BLOCK), zero-filled the first time only. Unless
   * `forced`, null (counted) when it would take the rings beyond `high`.
   */
  take(size: number, forced: boolean): Uint8Array | null {
    const c = this.#counters;
    if (!forced && !this.allows(size)) {
      c.ringGrowRefused++;
      return null;
    }
    let block: Uint8Array;
    if (size >= SLAB_BYTES) {
      block = new Uint8Array(size);
    } else {
      let list = this.#classes.get(size);
      if (list === undefined) {
        list = [];
        this.#classes.set(size, list);
      }
      let slab: Slab | null = null;
      for (const s of list) {
        if (s.nFree > 0) {
          slab = s;
          break;
        }
      }
      if (slab === null) {
        slab = new Slab(size);
        list.push(slab);
        this.#byBuffer.set(slab.buffer, slab);
        c.ringPoolBytes += slab.buffer.byteLength;
      } else if (slab.nFree === slab.count) {
        this.#emptyBytes -= slab.buffer.byteLength;
      }
      const index = slab.free[--slab.nFree]!;
      block = new Uint8Array(slab.buffer, index * size, size);
    }
    c.ringBytes += size;
    this.#updatePressure();
    return block;
  }

  /** Gives a block from `take` back. */
  give(block: Uint8Array): void {
    if (block.length === 0) return;
    const c = this.#counters;
    c.ringBytes -= block.length;
    this.#updatePressure();
    const slab = this.#byBuffer.get(block.buffer as ArrayBuffer);
    if (slab === undefined) return; // a slab of its own: V8 frees it with the last view
    slab.free[slab.nFree++] = block.byteOffset / slab.size;
    if (slab.nFree === slab.count) {
      slab.emptySince = this.#now();
      this.#emptyBytes += slab.buffer.byteLength;
      if (this.#emptyBytes > this.#limits.poolMaxBytes) this.release(slab.emptySince);
    }
  }

  /**
   * Accounts `bytes` of buffer memory that is not a block of the pool (receive chunk slabs, chunks.ts):
   * always granted, as forced growth is — the caller holds data within a window already offered.
   */
  charge(bytes: number): void {
    this.#counters.ringBytes += bytes;
    this.#updatePressure();
  }

  /** Gives back what `charge` accounted. */
  discharge(bytes: number): void {
    this.#counters.ringBytes -= bytes;
    this.#updatePressure();
  }

  /** Bytes of slabs whose blocks are all free. */
  get emptyBytes(): number {
    return this.#emptyBytes;
  }

  /** Drops wholly free slabs empty for `poolIdleMs` or more, and any while they exceed `poolMaxBytes`. */
  release(now: number): void {
    const { poolIdleMs, poolMaxBytes } = this.#limits;
    for (const [size, list] of this.#classes) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i]!;
        if (s.nFree !== s.count || (now - s.emptySince < poolIdleMs && this.#emptyBytes <= poolMaxBytes)) continue;
        list.splice(i, 1);
        this.#byBuffer.delete(s.buffer);
        this.#emptyBytes -= s.buffer.byteLength;
        this.#counters.ringPoolBytes -= s.buffer.byteLength;
      }
      if (list.length === 0) this.#classes.delete(size);
    }
  }

  #updatePressure(): void {
    const c = this.#counters;
    const bytes = c.ringBytes;
    if (c.memoryPressure === 0) {
      if (bytes > this.#limits.pressure) {
        c.memoryPressure = 1;
        c.memoryPressureEntries++;
      }
    } else if (bytes < this.#limits.low) {
      c.memoryPressure = 0;
    }
  }
}
