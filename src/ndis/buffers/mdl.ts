/**
 * MDL-like memory descriptors and the fixed-capacity pools behind them.
 *
 * An `Mdl` names a region [byteOffset, byteOffset + byteCount) of a backing `Uint8Array` (usually a view
 * over a whole SharedArrayBuffer slab), so describing, cloning or fragmenting data never copies it and
 * never creates a typed-array view per packet. MDLs chain through `next`, exactly like MDL->Next.
 *
 *   slab (SharedArrayBuffer) ─┬─────────────── bytes ───────────────────────┐
 *                             │   [byteOffset ........ byteOffset+byteCount) │  <- one Mdl
 *
 * Origins decide who frees an MDL:
 *   - `Pool`: belongs to a pool slot (NBL/NB pool with DataSize, or the caller's own memory); never freed alone.
 *   - `Retreat`: allocated by NdisRetreatNetBufferDataStart when the backfill ran out; freed by an advance with FreeMdl.
 *   - `Mapping`: describes someone else's memory (clone / fragment / reassemble); freed with the derived NBL.
 *   - `Caller`: built by a driver around its own memory (NdisAllocateMdl); the driver frees it.
 */

export const MdlOrigin = { Caller: 0, Pool: 1, Retreat: 2, Mapping: 3 } as const;
export type MdlOrigin = (typeof MdlOrigin)[keyof typeof MdlOrigin];

const EMPTY = new Uint8Array(0);

export class Mdl {
  next: Mdl | null = null;
  bytes: Uint8Array;
  byteOffset: number;
  byteCount: number;
  origin: MdlOrigin;
  /** Free-list slot in the owning `MdlPool`, or -1. */
  readonly slot: number;
  readonly pool: MdlPool | null;
  /** For `Retreat` MDLs: the chunk they occupy in their pool's slab (restored on free). */
  readonly chunkOffset: number;
  readonly chunkSize: number;
  allocated: boolean;
  /**
   * For `Retreat` MDLs: the NetBuffer whose retreat allocated it. Only that NB frees it (advance, pool free);
   * another NB sharing the chain (a USE_ORIGINAL_MDLS clone) must leave it alone.
   */
  retreatOwner: object | null = null;
  /**
   * An Int32Array over the same (whole) ArrayBuffer as `bytes`, when the MDL lives in a slab: lets copies
   * between slabs move 4 bytes per step. Index = (bytes.byteOffset + byte index) >> 2.
   */
  words: Int32Array | null = null;
  /**
   * MappedSystemVa: the process address of `bytes[0]`, for drivers that hand this memory to system calls
   * (a TAP write straight from the NBL). -1 until a driver looks it up; slab memory never moves.
   */
  mappedSystemVa = -1;

  constructor(
    bytes: Uint8Array = EMPTY,
    byteOffset = 0,
    byteCount = bytes.length - byteOffset,
    origin: MdlOrigin = MdlOrigin.Caller,
    pool: MdlPool | null = null,
    slot = -1,
    chunkSize = 0,
  ) {
    if (byteOffset < 0 || byteCount < 0 || byteOffset + byteCount > bytes.length) {
      throw new RangeError(`Mdl region [${byteOffset}, ${byteOffset + byteCount}) outside a ${bytes.length}-byte buffer`);
    }
    this.bytes = bytes;
    this.byteOffset = byteOffset;
    this.byteCount = byteCount;
    this.origin = origin;
    this.pool = pool;
    this.slot = slot;
    this.chunkOffset = byteOffset;
    this.chunkSize = chunkSize;
    this.allocated = pool === null;
  }

  /** NdisAllocateMdl over caller memory (convenience for drivers and tests). */
  static over(bytes: Uint8Array, byteOffset = 0, byteCount = bytes.length - byteOffset): Mdl {
    return new Mdl(bytes, byteOffset, byteCount, MdlOrigin.Caller);
  }
}

/** Total bytes described by an MDL chain. */
export function mdlChainLength(mdl: Mdl | null): number {
  let n = 0;
  for (let m = mdl; m !== null; m = m.next) n += m.byteCount;
  return n;
}

/**
 * A fixed pool of MDL objects. With `chunkSize > 0` every MDL owns a chunk of a SharedArrayBuffer slab
 * (used for retreat allocations); with `chunkSize === 0` MDLs are bare descriptors (mappings).
 * Exhaustion returns null; the pool never grows.
 */
export class MdlPool {
  readonly capacity: number;
  readonly chunkSize: number;
  readonly #slots: Mdl[];
  readonly #free: Int32Array;
  #top: number;

  constructor(capacity: number, chunkSize = 0) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`MdlPool capacity ${capacity}`);
    this.capacity = capacity;
    this.chunkSize = chunkSize;
    const slab = chunkSize > 0 ? new Uint8Array(new SharedArrayBuffer(capacity * chunkSize)) : EMPTY;
    const words = chunkSize > 0 ? new Int32Array(slab.buffer, 0, slab.byteLength >> 2) : null;
    this.#slots = new Array<Mdl>(capacity);
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) {
      const origin = chunkSize > 0 ? MdlOrigin.Retreat : MdlOrigin.Mapping;
      const mdl = new Mdl(slab, i * chunkSize, chunkSize, origin, this, i, chunkSize);
      mdl.words = words;
      this.#slots[i] = mdl;
      this.#free[i] = capacity - 1 - i;
    }
    this.#top = capacity;
  }

  get inUse(): number {
    return this.capacity - this.#top;
  }

  /** A bare descriptor over `bytes[byteOffset, byteOffset+byteCount)`, or null when exhausted. */
  allocateMapping(bytes: Uint8Array, byteOffset: number, byteCount: number): Mdl | null {
    if (this.#top === 0) return null;
    const mdl = this.#slots[this.#free[--this.#top]!]!;
    mdl.bytes = bytes;
    mdl.byteOffset = byteOffset;
    mdl.byteCount = byteCount;
    mdl.next = null;
    mdl.allocated = true;
    return mdl;
  }

  /** A chunk-backed MDL describing the last `byteCount` bytes of its chunk, or null (exhausted / too big). */
  allocateChunk(byteCount: number): Mdl | null {
    if (this.#top === 0 || byteCount > this.chunkSize) return null;
    const mdl = this.#slots[this.#free[--this.#top]!]!;
    mdl.byteOffset = mdl.chunkOffset + (this.chunkSize - byteCount);
    mdl.byteCount = byteCount;
    mdl.next = null;
    mdl.allocated = true;
    return mdl;
  }

  /** Returns false (and changes nothing) for a double free or an MDL of another pool. */
  free(mdl: Mdl): boolean {
    if (mdl.pool !== this || !mdl.allocated) return false;
    mdl.allocated = false;
    mdl.next = null;
    mdl.retreatOwner = null;
    if (this.chunkSize === 0) mdl.bytes = EMPTY;
    this.#free[this.#top++] = mdl.slot;
    return true;
  }
}
