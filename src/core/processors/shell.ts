/**
 * Shells: the NBLs a receiving processor builds over memory another processor lent it. A shell comes
 * from the receiver's own pools (an NBL with its first NET_BUFFER, further NBs, mapping MDLs), and its
 * MDLs name the lent slab regions — no byte is copied. It carries what the descriptor carries (numeric
 * info, NblFlags, each NB's window and checksum bias); its reserved areas and context stack are fresh,
 * since they belong to whoever owns it now, and the original at home keeps its own intact.
 *
 *   descriptor NB slot (slab 7, 2048, 1536)  ─►  shell NB ─► Mdl(Mapping) over registry.bytes(7)[2048, 3584)
 *
 * `free` gives everything back: the mapping MDLs, retreat MDLs a driver added on this processor, the
 * NBs and the NBL. Exhaustion returns null (the crossing is dropped and counted, as a NIC drops a frame
 * when it has no receive buffer).
 */
import type { BufferAllocator } from '../../ndis/buffers/allocator.js';
import { type Mdl, MdlOrigin, MdlPool } from '../../ndis/buffers/mdl.js';
import type { NetBuffer } from '../../ndis/buffers/net-buffer.js';
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import type { NetBufferListPool, NetBufferPool } from '../../ndis/buffers/pools.js';
import { type DescriptorView, FLAG_EXTENSION, MAX_MDLS_PER_NB, NbWord, readInfo, type SlotSpace } from './descriptor.js';
import type { SlabRegistry } from './slab-registry.js';

export class ShellPool {
  readonly nbls: NetBufferListPool;
  readonly nbs: NetBufferPool;
  readonly mdls: MdlPool;
  readonly slabs: SlabRegistry;
  /** Shells refused because a pool ran dry. */
  exhausted = 0;

  /**
   * @param nbls an NBL pool with fAllocateNetBuffer and no DataSize (the first NB of each shell)
   * @param nbs an NB pool without DataSize (the second and later NBs)
   */
  constructor(nbls: NetBufferListPool, nbs: NetBufferPool, slabs: SlabRegistry) {
    if (!nbls.allocateNetBuffer || nbls.dataSize !== 0 || nbs.dataSize !== 0) throw new TypeError('shell pools carry no data of their own');
    this.nbls = nbls;
    this.nbs = nbs;
    this.slabs = slabs;
    this.mdls = new MdlPool((nbls.capacity + nbs.capacity) * MAX_MDLS_PER_NB);
  }

  get allocator(): BufferAllocator {
    return this.nbls.allocator;
  }

  /** Shells out now. */
  get inUse(): number {
    return this.nbls.inUse;
  }

  /**
   * A shell for the descriptor at `position`, already validated into `view` (so every slab is known and
   * every extent lies in its slab); null when a pool is empty.
   */
  build(src: SlotSpace, position: number, view: DescriptorView): NetBufferList | null {
    const shell = this.nbls.allocate();
    if (shell === null) {
      this.exhausted++;
      return null;
    }
    readInfo(src, position, view.flags, shell.info);
    shell.nblFlags = view.nblFlags;
    const w = src.words;
    let tail: NetBuffer | null = null;
    for (let i = (view.flags & FLAG_EXTENSION) !== 0 ? 2 : 1; i < view.slots; i++) {
      const b = src.slotBase(position + i);
      const nb: NetBuffer | null = tail === null ? shell.firstNetBuffer! : this.nbs.allocate();
      if (nb === null) return this.#abandon(shell);
      const mdlCount = (w[b + NbWord.BiasMdls]! >>> 16) & 0xff;
      let head: Mdl | null = null;
      let last: Mdl | null = null;
      for (let k = 0, e = b + NbWord.Extents; k < mdlCount; k++, e += 3) {
        const slab = w[e]!;
        const m = this.mdls.allocateMapping(this.slabs.bytes(slab)!, w[e + 1]!, w[e + 2]!);
        if (m === null) {
          this.#freeMdls(head);
          if (nb !== shell.firstNetBuffer) this.nbs.free(nb);
          return this.#abandon(shell);
        }
        m.words = this.slabs.words(slab)!;
        m.mappedSystemVa = -1; // the descriptor object is reused over other memory
        if (last === null) head = m;
        else last.next = m;
        last = m;
      }
      nb.setData(head, w[b + NbWord.DataOffset]!, w[b + NbWord.DataLength]!);
      nb.checksumBias = w[b + NbWord.BiasMdls]! & 0xffff;
      if (tail !== null) tail.next = nb;
      tail = nb;
    }
    return shell;
  }

  /** Gives a shell (built by `build`) and everything hanging off it back to the pools. */
  free(shell: NetBufferList): void {
    const first = shell.firstNetBuffer;
    for (let nb: NetBuffer | null = first; nb !== null; ) {
      const next: NetBuffer | null = nb.next;
      this.#releaseNetBuffer(nb);
      if (nb !== first && nb.home === this.nbs) this.nbs.free(nb);
      nb = next;
    }
    if (first !== null) first.next = null;
    shell.next = null;
    this.nbls.free(shell);
  }

  #releaseNetBuffer(nb: NetBuffer): void {
    for (let m = nb.mdlChain; m !== null; ) {
      const next: Mdl | null = m.next;
      if (m.pool === this.mdls) this.mdls.free(m);
      else if (m.origin === MdlOrigin.Retreat && m.retreatOwner === nb) this.allocator.freeMdl(m);
      m = next;
    }
    nb.mdlChain = null;
    nb.currentMdl = null;
    nb.currentMdlOffset = 0;
    nb.dataOffset = 0;
    nb.dataLength = 0;
  }

  #freeMdls(head: Mdl | null): void {
    for (let m = head; m !== null; ) {
      const next: Mdl | null = m.next;
      this.mdls.free(m);
      m = next;
    }
  }

  #abandon(shell: NetBufferList): null {
    this.exhausted++;
    this.free(shell);
    return null;
  }
}
