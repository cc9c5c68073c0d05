/**
 * The runtime's own memory service (what NDIS allocates on a driver's behalf): bare MDLs for clones,
 * fragments and reassemblies, chunk-backed MDLs for retreats past the backfill, and context blocks for
 * NdisAllocateNetBufferListContext. All fixed-capacity: exhaustion is NDIS_STATUS_RESOURCES, never growth.
 */
import { MdlPool, type Mdl } from './mdl.js';
import { NetBufferListContext } from './context.js';

export interface BufferAllocatorOptions {
  /** Bare MDL descriptors shared by clone/fragment/reassemble. */
  mappingMdls?: number;
  /** Retreat chunks: small class (headers) and large class. */
  smallChunks?: number;
  smallChunkSize?: number;
  largeChunks?: number;
  largeChunkSize?: number;
  /** Context blocks used when an NBL's preallocated context area has no room left. */
  contextBlocks?: number;
  contextBlockSize?: number;
}

export class BufferAllocator {
  readonly mappings: MdlPool;
  readonly small: MdlPool;
  readonly large: MdlPool;
  readonly contextBlockSize: number;
  readonly #contexts: NetBufferListContext[];
  #contextTop: number;
  readonly contextCapacity: number;

  constructor(o: BufferAllocatorOptions = {}) {
    this.mappings = new MdlPool(o.mappingMdls ?? 4096);
    this.small = new MdlPool(o.smallChunks ?? 1024, o.smallChunkSize ?? 256);
    this.large = new MdlPool(o.largeChunks ?? 64, o.largeChunkSize ?? 16384);
    this.contextBlockSize = o.contextBlockSize ?? 256;
    this.contextCapacity = o.contextBlocks ?? 1024;
    this.#contexts = [];
    for (let i = 0; i < this.contextCapacity; i++) this.#contexts.push(new NetBufferListContext(this.contextBlockSize, this));
    this.#contextTop = this.contextCapacity;
  }

  /** A retreat MDL of exactly `byteCount` bytes (from the smallest class that fits), or null. */
  allocateRetreatMdl(byteCount: number): Mdl | null {
    if (byteCount <= this.small.chunkSize) return this.small.allocateChunk(byteCount) ?? this.large.allocateChunk(byteCount);
    return this.large.allocateChunk(byteCount);
  }

  freeMdl(mdl: Mdl): boolean {
    return mdl.pool !== null && mdl.pool.free(mdl);
  }

  allocateContextBlock(): NetBufferListContext | null {
    if (this.#contextTop === 0) return null;
    const c = this.#contexts[--this.#contextTop]!;
    c.reset();
    return c;
  }

  freeContextBlock(c: NetBufferListContext): void {
    this.#contexts[this.#contextTop++] = c;
  }

  /** Objects currently lent out, per class (inspector, leak checks). */
  usage(): { mappings: number; small: number; large: number; contextBlocks: number } {
    return {
      mappings: this.mappings.inUse,
      small: this.small.inUse,
      large: this.large.inUse,
      contextBlocks: this.contextCapacity - this.#contextTop,
    };
  }

  get allFree(): boolean {
    const u = this.usage();
    return u.mappings === 0 && u.small === 0 && u.large === 0 && u.contextBlocks === 0;
  }
}
