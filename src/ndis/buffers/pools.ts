/**
 * Fixed-capacity NBL and NB pools (NdisAllocateNetBufferListPool / NdisAllocateNetBufferPool).
 *
 * Everything a pool hands out is created once, at pool creation: NBL and NB objects, their MDLs and, with
 * a DataSize, one SharedArrayBuffer slab carved into equal slots (so a later worker thread can read frames
 * without copying). Allocation pops a free-list index; exhaustion returns null, which callers report as
 * NDIS_STATUS_RESOURCES; pools never grow and never throw on the data path.
 *
 *   slab: [ slot 0: dataSize bytes ][ slot 1 ] ... [ slot capacity-1 ]
 *            ^ Mdl(origin Pool) of NBL 0's NB
 */
import type { BufferAllocator } from './allocator.js';
import { NetBufferListContext } from './context.js';
import { Mdl, MdlOrigin } from './mdl.js';
import { NetBuffer, checkNetBufferWindow } from './net-buffer.js';
import { NetBufferList } from './net-buffer-list.js';

export interface NetBufferListPoolParameters {
  /** Shown by the inspector; defaults to a generated name. */
  name?: string;
  /** tsndis: the fixed number of NBLs (NDIS pools are unbounded; ours are not). */
  capacity: number;
  /** NDIS_PROTOCOL_ID_*; 0 (default) for miniports, filters and IM drivers. */
  protocolId?: number;
  /** fAllocateNetBuffer: every NBL comes with one NetBuffer. */
  allocateNetBuffer?: boolean;
  /** ContextSize: bytes of NET_BUFFER_LIST_CONTEXT preallocated per NBL (multiple of 16). */
  contextSize?: number;
  /** DataSize: non-zero ⇒ each NB also gets one MDL over `dataSize` bytes of slab (needs allocateNetBuffer). */
  dataSize?: number;
  poolTag?: number | string;
}

export interface NetBufferPoolParameters {
  name?: string;
  capacity: number;
  /** Non-zero ⇒ each NB owns one MDL over `dataSize` bytes (NdisAllocateNetBufferMdlAndData). */
  dataSize?: number;
  poolTag?: number | string;
}

/** Why a free was refused; the runtime turns these into verifier violations. */
export type PoolFreeError = 'double-free' | 'wrong-pool' | 'children-outstanding';

export interface PoolObserver {
  badFree(pool: NetBufferListPool | NetBufferPool, error: PoolFreeError, item: NetBufferList | NetBuffer): void;
}

let poolSerial = 0;

function createSlabMdls(capacity: number, dataSize: number): Mdl[] {
  const slab = new Uint8Array(new SharedArrayBuffer(capacity * dataSize));
  const words = new Int32Array(slab.buffer, 0, slab.byteLength >> 2);
  const mdls: Mdl[] = [];
  for (let i = 0; i < capacity; i++) {
    const mdl = new Mdl(slab, i * dataSize, dataSize, MdlOrigin.Pool);
    mdl.words = words;
    mdls.push(mdl);
  }
  return mdls;
}

/** How a derived NBL came from its parent (derived.ts: the NdisAllocate…NetBufferList calls). */
export type DerivedNblKind = 'clone' | 'fragment' | 'reassembly';

export class NetBufferListPool {
  readonly name: string;
  readonly capacity: number;
  readonly protocolId: number;
  readonly allocateNetBuffer: boolean;
  readonly contextSize: number;
  readonly dataSize: number;
  readonly poolTag: number | string;
  readonly allocator: BufferAllocator;
  observer: PoolObserver | null;
  /** Allocations refused because the pool was empty (NDIS_STATUS_RESOURCES). */
  exhaustedCount = 0;
  /** Allocations served since the pool was created (the inspector turns it into a rate). */
  allocations = 0;
  /**
   * Told when an NBL of this pool becomes a clone, fragment or reassembly of `parent` (derived.ts). Null
   * unless the runtime records NBL history (its RecordingNetBufferListPool sets it), so deriving costs
   * one null check otherwise.
   */
  onDerived: ((child: NetBufferList, parent: NetBufferList, how: DerivedNblKind) => void) | null = null;
  /** Fewest free entries there ever were (capacity − high-water mark). */
  #lowFree: number;
  readonly #slots: NetBufferList[];
  readonly #nbs: (NetBuffer | null)[];
  readonly #free: Int32Array;
  #top: number;

  constructor(params: NetBufferListPoolParameters, allocator: BufferAllocator, observer: PoolObserver | null = null) {
    const { capacity } = params;
    const dataSize = params.dataSize ?? 0;
    const allocateNetBuffer = params.allocateNetBuffer ?? dataSize > 0;
    const contextSize = params.contextSize ?? 0;
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`NBL pool capacity must be a positive integer, got ${capacity}`);
    if (dataSize < 0 || !Number.isInteger(dataSize)) throw new RangeError(`NBL pool DataSize ${dataSize}`);
    if (dataSize > 0 && !allocateNetBuffer) throw new RangeError('NBL pool: DataSize requires fAllocateNetBuffer');
    if (contextSize < 0 || contextSize % 16 !== 0) throw new RangeError(`NBL pool ContextSize ${contextSize} is not a multiple of 16`);
    this.name = params.name ?? `nbl-pool-${++poolSerial}`;
    this.capacity = capacity;
    this.protocolId = params.protocolId ?? 0;
    this.allocateNetBuffer = allocateNetBuffer;
    this.contextSize = contextSize;
    this.dataSize = dataSize;
    this.poolTag = params.poolTag ?? 0;
    this.allocator = allocator;
    this.observer = observer;

    const mdls = dataSize > 0 ? createSlabMdls(capacity, dataSize) : null;
    const contextSlab = contextSize > 0 ? new Uint8Array(capacity * contextSize) : null;
    this.#slots = [];
    this.#nbs = [];
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) {
      const ctx = contextSlab === null ? null : new NetBufferListContext(contextSize, null, contextSlab.subarray(i * contextSize, (i + 1) * contextSize));
      const nbl = new NetBufferList(this, i, ctx);
      nbl.context = ctx;
      let nb: NetBuffer | null = null;
      if (allocateNetBuffer) {
        nb = new NetBuffer(this, i, mdls === null ? null : mdls[i]!);
        nb.resetForPool();
        nbl.firstNetBuffer = nb;
      }
      this.#slots.push(nbl);
      this.#nbs.push(nb);
      this.#free[i] = capacity - 1 - i;
    }
    this.#top = capacity;
    this.#lowFree = capacity;
  }

  get inUse(): number {
    return this.capacity - this.#top;
  }

  /** The most entries ever allocated at once. */
  get highWater(): number {
    return this.capacity - this.#lowFree;
  }

  get available(): number {
    return this.#top;
  }

  /**
   * NdisAllocateNetBufferList: an NBL (with its NB and data MDL when the pool has them), or null when the
   * pool is empty. `contextSize` bytes of context are reserved for the caller.
   */
  allocate(contextSize = 0, contextBackfill = 0): NetBufferList | null {
    if (this.#top === 0) {
      this.exhaustedCount++;
      return null;
    }
    const nbl = this.#slots[this.#free[--this.#top]!]!;
    this.allocations++;
    if (this.#top < this.#lowFree) this.#lowFree = this.#top;
    nbl.allocated = true;
    const nb = nbl.firstNetBuffer; // a pool that preallocates NBs keeps each NBL's own NB linked while free
    if (nb !== null) nb.allocated = true;
    if (contextSize > 0 && nbl.allocateContext(contextSize, contextBackfill) !== 0) {
      this.free(nbl);
      return null;
    }
    return nbl;
  }

  /**
   * NdisAllocateNetBufferAndNetBufferList: an NBL whose NB describes `mdlChain` with the given window.
   * Requires a pool with fAllocateNetBuffer and no DataSize.
   */
  allocateWithNetBuffer(mdlChain: Mdl | null, dataOffset: number, dataLength: number, contextSize = 0, contextBackfill = 0): NetBufferList | null {
    if (!this.allocateNetBuffer || this.dataSize !== 0) {
      throw new TypeError(`pool ${this.name}: allocateWithNetBuffer needs fAllocateNetBuffer and DataSize 0`);
    }
    checkNetBufferWindow(mdlChain, dataOffset, dataLength);   // a bad window must not cost a slot
    const nbl = this.allocate(contextSize, contextBackfill);
    if (nbl === null) return null;
    nbl.firstNetBuffer!.setData(mdlChain, dataOffset, dataLength);
    return nbl;
  }

  /** NdisFreeNetBufferList. Returns false (changing nothing) when the free breaks a rule. */
  free(nbl: NetBufferList): boolean {
    let error: PoolFreeError | null = null;
    if (nbl.home !== this) error = 'wrong-pool';
    else if (!nbl.allocated) error = 'double-free';
    else if (nbl.childRefCount > 0) error = 'children-outstanding';
    if (error !== null) {
      if (this.observer !== null) this.observer.badFree(this, error, nbl);
      return false;
    }
    nbl.allocated = false;
    nbl.resetForPool();
    const nb = this.#nbs[nbl.slot]!;
    if (nb !== null) {
      nb.resetForPool();
      nb.allocated = false;
      nbl.firstNetBuffer = nb;
    } else {
      nbl.firstNetBuffer = null;
    }
    this.#free[this.#top++] = nbl.slot;
    return true;
  }

  /** NBLs currently allocated (inspection, leak reports, reclamation; allocates the array). */
  allocatedNetBufferLists(): NetBufferList[] {
    return this.#slots.filter((n) => n.allocated);
  }

  /** Visits allocated NBLs without allocating (periodic verifier scans). */
  forEachAllocated(fn: (nbl: NetBufferList) => void): void {
    if (this.#top === this.capacity) return;
    for (const nbl of this.#slots) if (nbl.allocated) fn(nbl);
  }
}

export class NetBufferPool {
  readonly name: string;
  readonly capacity: number;
  readonly dataSize: number;
  readonly poolTag: number | string;
  readonly allocator: BufferAllocator;
  observer: PoolObserver | null;
  exhaustedCount = 0;
  /** Allocations served since the pool was created. */
  allocations = 0;
  #lowFree: number;
  readonly #slots: NetBuffer[];
  readonly #free: Int32Array;
  #top: number;

  constructor(params: NetBufferPoolParameters, allocator: BufferAllocator, observer: PoolObserver | null = null) {
    const { capacity } = params;
    const dataSize = params.dataSize ?? 0;
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`NB pool capacity must be a positive integer, got ${capacity}`);
    this.name = params.name ?? `nb-pool-${++poolSerial}`;
    this.capacity = capacity;
    this.dataSize = dataSize;
    this.poolTag = params.poolTag ?? 0;
    this.allocator = allocator;
    this.observer = observer;
    const mdls = dataSize > 0 ? createSlabMdls(capacity, dataSize) : null;
    this.#slots = [];
    this.#free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) {
      const nb = new NetBuffer(this, i, mdls === null ? null : mdls[i]!);
      nb.resetForPool();
      this.#slots.push(nb);
      this.#free[i] = capacity - 1 - i;
    }
    this.#top = capacity;
    this.#lowFree = capacity;
  }

  get inUse(): number {
    return this.capacity - this.#top;
  }

  /** The most entries ever allocated at once. */
  get highWater(): number {
    return this.capacity - this.#lowFree;
  }

  /** NdisAllocateNetBuffer (or NdisAllocateNetBufferMdlAndData when the pool has a DataSize and `mdlChain` is omitted). */
  allocate(mdlChain?: Mdl | null, dataOffset = 0, dataLength?: number): NetBuffer | null {
    if (this.#top === 0) {
      this.exhaustedCount++;
      return null;
    }
    if (mdlChain !== undefined) checkNetBufferWindow(mdlChain, dataOffset, dataLength ?? 0);   // before taking a slot
    const nb = this.#slots[this.#free[--this.#top]!]!;
    this.allocations++;
    if (this.#top < this.#lowFree) this.#lowFree = this.#top;
    nb.allocated = true;
    if (mdlChain !== undefined) nb.setData(mdlChain, dataOffset, dataLength ?? 0);
    return nb;
  }

  free(nb: NetBuffer): boolean {
    let error: PoolFreeError | null = null;
    if (nb.home !== this) error = 'wrong-pool';
    else if (!nb.allocated) error = 'double-free';
    if (error !== null) {
      if (this.observer !== null) this.observer.badFree(this, error, nb);
      return false;
    }
    nb.allocated = false;
    nb.resetForPool();
    this.#free[this.#top++] = nb.slot;
    return true;
  }
}
