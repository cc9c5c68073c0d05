/**
 * NET_BUFFER_LIST_CONTEXT: a LIFO stack of per-layer scratch areas on an NBL.
 *
 * Each block is `size` bytes; the used part is [offset, size), growing downward as layers push areas
 * (NdisAllocateNetBufferListContext lowers `offset`) and shrinking as they pop them. When a block has no
 * room a new block is linked in front (`next` points at the older block). Because a TypeScript driver
 * often needs to stash an object (the MUX pattern saves the original SourceHandle), every 8 bytes of a
 * block also have one pointer-sized slot in `values`, addressed relative to the current data start.
 */
export const MEMORY_ALLOCATION_ALIGNMENT = 16;
export const CONTEXT_POINTER_SIZE = 8;

export interface ContextBlockOwner {
  freeContextBlock(c: NetBufferListContext): void;
}

export class NetBufferListContext {
  next: NetBufferListContext | null = null;
  readonly size: number;
  offset: number;
  readonly data: Uint8Array;
  readonly values: unknown[];
  /** Who takes the block back when it empties; null for an NBL's preallocated area. */
  readonly owner: ContextBlockOwner | null;

  constructor(size: number, owner: ContextBlockOwner | null, data?: Uint8Array) {
    this.size = size;
    this.offset = size;
    this.data = data ?? new Uint8Array(size);
    this.values = new Array<unknown>(Math.ceil(size / CONTEXT_POINTER_SIZE)).fill(null);
    this.owner = owner;
  }

  reset(): void {
    this.next = null;
    this.offset = this.size;
    this.values.fill(null);
  }
}
