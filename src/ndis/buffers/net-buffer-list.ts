/**
 * NET_BUFFER_LIST: a list of NetBuffers sharing out-of-band information, and the unit NDIS moves.
 * NBLs chain through `next` (wire order on send); the chain is the unit of batching.
 *
 * Ownership: an NBL has exactly one owner at a time. Sending or indicating it hands it on; completing or
 * returning it hands it back towards `sourceHandle` (its originator). Only the originator frees it, to its
 * own pool. The runtime records the current owner in `ndisOwner` (the NdisReserved area), which is how
 * the verifier catches double completions and completions by a non-owner.
 */
import { NDIS_STATUS_FAILURE, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS, type NdisStatus } from '../status.js';
import type { BufferAllocator } from './allocator.js';
import { CONTEXT_POINTER_SIZE, MEMORY_ALLOCATION_ALIGNMENT, type NetBufferListContext } from './context.js';
import type { NetBuffer } from './net-buffer.js';
import { NetBufferListInfo } from './net-buffer-list-info.js';

/** The pool side an NBL needs (implemented by NetBufferListPool). */
export interface NetBufferListHome {
  readonly allocator: BufferAllocator;
  readonly name: string;
  /** NdisFreeNetBufferList into this pool. */
  free(nbl: NetBufferList): boolean;
}

export class NetBufferList {
  next: NetBufferList | null = null;
  firstNetBuffer: NetBuffer | null = null;
  /** NET_BUFFER_LIST_CONTEXT stack (top first). */
  context: NetBufferListContext | null = null;
  parentNetBufferList: NetBufferList | null = null;
  childRefCount = 0;
  /** Originator's handle: completions and returns are routed by it. Only the originator sets it. */
  sourceHandle: object | null = null;
  /** NDIS_NBL_FLAGS_* (NdisSetNblFlag / NdisTestNblFlag). */
  nblFlags = 0;
  /** NBL_FLAGS_* groups (protocol / miniport / scratch reserved bits). */
  flags = 0;
  /** NET_BUFFER_LIST_STATUS: written before send completion. */
  status: NdisStatus = NDIS_STATUS_SUCCESS;
  readonly info = new NetBufferListInfo();
  // The reserved areas are created on first use: most NBLs never use them, and a pool free then does
  // not touch two more objects per NBL (cache misses that showed in the data-path profile).
  #protocolReserved: unknown[] | null = null;
  #miniportReserved: unknown[] | null = null;
  /** Free for the current owner; null at allocation. */
  scratch: unknown = null;

  // NdisReserved: runtime bookkeeping, never touched by drivers.
  /** Id of the module that currently owns the NBL (0 = its pool). */
  ndisOwner = 0;
  /** Clock time (ms) of the last handoff into a miniport or filter, for the timed-send rules. */
  ndisStamp = 0;
  /** Outstanding deliveries when one receive indication went to several bindings. */
  ndisRefs = 0;
  /** DataOffset of the first NB when it was handed down (balance rule). */
  ndisBalance = 0;

  readonly home: NetBufferListHome;
  readonly slot: number;
  /** The preallocated context area from the pool's ContextSize, or null. */
  readonly poolContext: NetBufferListContext | null;
  allocated = false;

  constructor(home: NetBufferListHome, slot: number, poolContext: NetBufferListContext | null) {
    this.home = home;
    this.slot = slot;
    this.poolContext = poolContext;
  }

  /** ProtocolReserved: four slots for the protocol that originated or received the NBL. */
  get protocolReserved(): unknown[] {
    this.#protocolReserved ??= [null, null, null, null];
    return this.#protocolReserved;
  }

  /** MiniportReserved: two slots for the miniport that holds the NBL. */
  get miniportReserved(): unknown[] {
    this.#miniportReserved ??= [null, null];
    return this.#miniportReserved;
  }

  /** Number of NetBuffers in this NBL. */
  get netBufferCount(): number {
    let n = 0;
    for (let nb = this.firstNetBuffer; nb !== null; nb = nb.next) n++;
    return n;
  }

  /** Total used bytes over all NetBuffers. */
  get dataLength(): number {
    let n = 0;
    for (let nb = this.firstNetBuffer; nb !== null; nb = nb.next) n += nb.dataLength;
    return n;
  }

  testFlag(f: number): boolean {
    return (this.nblFlags & f) !== 0;
  }
  setFlag(f: number): void {
    this.nblFlags |= f;
  }
  clearFlag(f: number): void {
    this.nblFlags &= ~f;
  }

  /**
   * NdisAllocateNetBufferListContext: push `size` bytes (a multiple of MEMORY_ALLOCATION_ALIGNMENT) onto
   * the context stack, allocating a new block with `backfill` spare bytes when the current one is full.
   */
  allocateContext(size: number, backfill = 0): NdisStatus {
    if (size <= 0 || size % MEMORY_ALLOCATION_ALIGNMENT !== 0 || backfill < 0) return NDIS_STATUS_FAILURE;
    const top = this.context;
    if (top !== null && top.offset >= size) {
      top.offset -= size;
      return NDIS_STATUS_SUCCESS;
    }
    const allocator = this.home.allocator;
    if (size + backfill > allocator.contextBlockSize) return NDIS_STATUS_RESOURCES;
    const block = allocator.allocateContextBlock();
    if (block === null) return NDIS_STATUS_RESOURCES;
    block.offset = block.size - size;
    block.next = top;
    this.context = block;
    return NDIS_STATUS_SUCCESS;
  }

  /** NdisFreeNetBufferListContext: pop `size` bytes pushed by the matching allocateContext. */
  freeContext(size: number): void {
    const top = this.context;
    if (top === null || top.offset + size > top.size) {
      throw new RangeError(`freeContext(${size}) exceeds the ${top === null ? 0 : top.size - top.offset} bytes in use`);
    }
    for (let i = top.offset / CONTEXT_POINTER_SIZE, e = (top.offset + size) / CONTEXT_POINTER_SIZE; i < e; i++) top.values[i] = null;
    top.offset += size;
    if (top.offset === top.size && top.owner !== null) {
      this.context = top.next;
      top.owner.freeContextBlock(top);
    }
  }

  /** NET_BUFFER_LIST_CONTEXT_DATA_SIZE: bytes in use in the top context block. */
  get contextDataSize(): number {
    return this.context === null ? 0 : this.context.size - this.context.offset;
  }

  /** Reads pointer slot `index` (8-byte units) of the caller's current context area. */
  getContextPointer(index: number): unknown {
    const c = this.context;
    if (c === null) return undefined;
    return c.values[c.offset / CONTEXT_POINTER_SIZE + index];
  }

  setContextPointer(index: number, value: unknown): void {
    const c = this.context;
    if (c === null || c.offset + (index + 1) * CONTEXT_POINTER_SIZE > c.size) {
      throw new RangeError(`context pointer ${index} outside the allocated context area`);
    }
    c.values[c.offset / CONTEXT_POINTER_SIZE + index] = value;
  }

  /** Back to the state a pool hands out (pools call this on free). */
  resetForPool(): void {
    this.next = null;
    this.parentNetBufferList = null;
    this.childRefCount = 0;
    this.sourceHandle = null;
    this.nblFlags = 0;
    this.flags = 0;
    this.status = NDIS_STATUS_SUCCESS;
    this.info.clear();
    const pr = this.#protocolReserved;
    if (pr !== null) pr[0] = pr[1] = pr[2] = pr[3] = null;
    const mr = this.#miniportReserved;
    if (mr !== null) mr[0] = mr[1] = null;
    this.scratch = null;
    this.ndisOwner = 0;
    this.ndisStamp = 0;
    this.ndisRefs = 0;
    this.ndisBalance = 0;
    // Unwind context blocks someone forgot to free, then restore the preallocated area.
    const pc = this.poolContext;
    let c = this.context;
    if (c === pc && (pc === null || pc.offset === pc.size)) return;
    while (c !== null && c !== pc) {
      const next = c.next;
      if (c.owner !== null) c.owner.freeContextBlock(c);
      c = next;
    }
    if (pc !== null) pc.reset();
    this.context = pc;
  }
}

/** Chain helpers: NBL chains are NULL-terminated singly linked lists. */
export function countNetBufferLists(chain: NetBufferList | null): number {
  let n = 0;
  for (let nbl = chain; nbl !== null; nbl = nbl.next) n++;
  return n;
}

/** Links `nbls` (in order) into a chain and returns its head (null for an empty array). */
export function chainNetBufferLists(nbls: readonly NetBufferList[]): NetBufferList | null {
  for (let i = 0; i < nbls.length; i++) nbls[i]!.next = nbls[i + 1] ?? null;
  return nbls[0] ?? null;
}

/** The chain as an array (control paths and tests only: allocates). */
export function netBufferListsToArray(chain: NetBufferList | null): NetBufferList[] {
  const out: NetBufferList[] = [];
  for (let nbl = chain; nbl !== null; nbl = nbl.next) out.push(nbl);
  return out;
}
