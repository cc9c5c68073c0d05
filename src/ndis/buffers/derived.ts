/**
 * Derived NBLs: clone, fragment and reassemble (NdisAllocateCloneNetBufferList,
 * NdisAllocateFragmentNetBufferList, NdisAllocateReassembledNetBufferList and their Free calls).
 *
 * None of them copies packet data: new NBs get fresh MDL descriptors (from the runtime's mapping pool)
 * over the original's memory, or share the original MDLs (NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS). Each
 * child points `parentNetBufferList` at its original and holds one `childRefCount` on it, so the parent
 * cannot be completed, returned or freed while a child lives.
 */
import { NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS } from '../constants.js';
import { NDIS_STATUS_SUCCESS } from '../status.js';
import type { BufferAllocator } from './allocator.js';
import { type Mdl, MdlOrigin } from './mdl.js';
import type { NetBuffer } from './net-buffer.js';
import type { NetBufferList } from './net-buffer-list.js';
import { NetBufferPool, type DerivedNblKind, type NetBufferListPool } from './pools.js';

/**
 * Mapping MDLs describing `length` data bytes of `nb` starting `skip` bytes into its window.
 * Returns null for an empty region and undefined when the mapping pool ran dry.
 */
function mapRegion(nb: NetBuffer, skip: number, length: number, allocator: BufferAllocator): Mdl | null | undefined {
  if (length <= 0) return null;
  let m = nb.currentMdl;
  let off = nb.currentMdlOffset + skip;
  while (m !== null && off >= m.byteCount) {
    off -= m.byteCount;
    m = m.next;
  }
  let head: Mdl | null = null;
  let tail: Mdl | null = null;
  let left = length;
  while (m !== null && left > 0) {
    const take = Math.min(left, m.byteCount - off);
    if (take > 0) {
      const d = allocator.mappings.allocateMapping(m.bytes, m.byteOffset + off, take);
      if (d === null) {
        freeMappingChain(head, allocator);
        return undefined;
      }
      if (tail === null) head = d;
      else tail.next = d;
      tail = d;
      left -= take;
    }
    off = 0;
    m = m.next;
  }
  return head;
}

function freeMappingChain(head: Mdl | null, allocator: BufferAllocator): void {
  for (let m = head; m !== null; ) {
    const next = m.next;
    if (m.origin === MdlOrigin.Mapping || m.origin === MdlOrigin.Retreat) allocator.freeMdl(m);
    m = next;
  }
}

/** Returns a derived NB (and the descriptors built for it) to where they came from. */
function releaseNetBuffer(nb: NetBuffer, ownPool: NetBufferPool | null): void {
  if (nb.derivedMdls) {
    nb.derivedMdls = false;
    freeMappingChain(nb.mdlChain, nb.home.allocator);
  } else {
    // Shared original MDLs: only the retreat MDLs this NB added in front are ours (the original's own
    // retreat MDL may head the shared chain; it stays with the original).
    let m = nb.mdlChain;
    while (m !== null && m.origin === MdlOrigin.Retreat && m.retreatOwner === nb && m !== nb.poolMdl) {
      const next = m.next;
      nb.home.allocator.freeMdl(m);
      m = next;
    }
  }
  nb.mdlChain = null;
  nb.currentMdl = null;
  nb.dataOffset = 0;
  nb.dataLength = 0;
  if (ownPool !== null) ownPool.free(nb);
}

function attachChild(child: NetBufferList, parent: NetBufferList, how: DerivedNblKind): void {
  child.parentNetBufferList = parent;
  parent.childRefCount++;
  // NBL history (when the runtime keeps it) records the link both ways.
  const pool = child.home as NetBufferListPool;
  if (pool.onDerived !== null) pool.onDerived(child, parent, how);
}

function requireNbPoolFor(nblPool: NetBufferListPool, nbPool: NetBufferPool | null, what: string): void {
  if (nblPool.allocateNetBuffer) throw new TypeError(`${what}: NBL pool ${nblPool.name} must not preallocate NetBuffers`);
  if (nbPool === null) throw new TypeError(`${what}: an NB pool is required`);
}

/**
 * NdisAllocateCloneNetBufferList: a new NBL whose NBs describe the same data as `original`'s, starting at
 * each NB's current data start. Returns null when a pool is empty (NDIS_STATUS_RESOURCES).
 */
export function allocateCloneNetBufferList(original: NetBufferList, nblPool: NetBufferListPool, nbPool: NetBufferPool, cloneFlags = 0): NetBufferList | null {
  requireNbPoolFor(nblPool, nbPool, 'clone');
  const clone = nblPool.allocate();
  if (clone === null) return null;
  const useOriginal = (cloneFlags & NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS) !== 0;
  let tail: NetBuffer | null = null;
  for (let src = original.firstNetBuffer; src !== null; src = src.next) {
    const nb = nbPool.allocate();
    if (nb === null) return abandon(clone, nbPool);
    if (useOriginal) {
      nb.mdlChain = src.currentMdl;
      nb.currentMdl = src.currentMdl;
      nb.currentMdlOffset = src.currentMdlOffset;
      nb.dataOffset = src.currentMdlOffset;
      nb.dataLength = src.dataLength;
    } else {
      const chain = mapRegion(src, 0, src.dataLength, nbPool.allocator);
      if (chain === undefined) {
        nbPool.free(nb);
        return abandon(clone, nbPool);
      }
      nb.derivedMdls = true;
      nb.setData(chain, 0, src.dataLength);
    }
    nb.checksumBias = src.checksumBias;
    if (tail === null) clone.firstNetBuffer = nb;
    else tail.next = nb;
    tail = nb;
  }
  attachChild(clone, original, 'clone');
  return clone;
}

/** NdisFreeCloneNetBufferList. Returns false (changing nothing) when the pool refuses the free. */
export function freeCloneNetBufferList(clone: NetBufferList, _freeCloneFlags = 0): boolean {
  return freeDerived(clone);
}

/**
 * NdisAllocateFragmentNetBufferList: each source NB, after skipping `startOffset` bytes, is cut into NBs of
 * at most `maximumLength` bytes (the last may be shorter), each then retreated by `dataOffsetDelta`
 * (allocating `dataBackfill` spare bytes in front). All fragments hang off one new NBL.
 */
export function allocateFragmentNetBufferList(
  original: NetBufferList,
  nblPool: NetBufferListPool,
  nbPool: NetBufferPool,
  startOffset: number,
  maximumLength: number,
  dataOffsetDelta: number,
  dataBackfill: number,
  _flags = 0,
): NetBufferList | null {
  requireNbPoolFor(nblPool, nbPool, 'fragment');
  if (maximumLength <= 0 || startOffset < 0 || dataOffsetDelta < 0 || dataBackfill < 0) {
    throw new RangeError(`fragment: bad arguments (start ${startOffset}, max ${maximumLength}, delta ${dataOffsetDelta})`);
  }
  const frag = nblPool.allocate();
  if (frag === null) return null;
  let tail: NetBuffer | null = null;
  for (let src = original.firstNetBuffer; src !== null; src = src.next) {
    for (let pos = startOffset; pos < src.dataLength; pos += maximumLength) {
      const len = Math.min(maximumLength, src.dataLength - pos);
      const nb = nbPool.allocate();
      if (nb === null) return abandon(frag, nbPool);
      const chain = mapRegion(src, pos, len, nbPool.allocator);
      if (chain === undefined) {
        nbPool.free(nb);
        return abandon(frag, nbPool);
      }
      nb.derivedMdls = true;
      nb.setData(chain, 0, len);
      if (tail === null) frag.firstNetBuffer = nb;
      else tail.next = nb;
      tail = nb;
      if (dataOffsetDelta > 0 && nb.retreat(dataOffsetDelta, dataBackfill) !== NDIS_STATUS_SUCCESS) return abandon(frag, nbPool);
    }
  }
  attachChild(frag, original, 'fragment');
  return frag;
}

/** NdisFreeFragmentNetBufferList: undoes the `dataOffsetDelta` retreat and releases the fragments. */
export function freeFragmentNetBufferList(frag: NetBufferList, dataOffsetDelta: number, _flags = 0): boolean {
  if (!canFreeDerived(frag)) return refuseFree(frag);
  if (dataOffsetDelta > 0) for (let nb = frag.firstNetBuffer; nb !== null; nb = nb.next) nb.advance(Math.min(dataOffsetDelta, nb.dataLength), true);
  return freeDerived(frag);
}

/**
 * NdisAllocateReassembledNetBufferList: one NBL with one NB whose MDL chain concatenates the data of
 * every NB of `fragmentNbl` after `startOffset`, then retreated by `dataOffsetDelta`.
 * `nblPool` must preallocate one NetBuffer per NBL and have no DataSize.
 */
export function allocateReassembledNetBufferList(
  fragmentNbl: NetBufferList,
  nblPool: NetBufferListPool,
  startOffset: number,
  dataOffsetDelta: number,
  dataBackfill: number,
  _flags = 0,
): NetBufferList | null {
  if (!nblPool.allocateNetBuffer || nblPool.dataSize !== 0) {
    throw new TypeError(`reassemble: NBL pool ${nblPool.name} needs fAllocateNetBuffer and DataSize 0`);
  }
  const out = nblPool.allocate();
  if (out === null) return null;
  const nb = out.firstNetBuffer!;
  let head: Mdl | null = null;
  let tail: Mdl | null = null;
  let total = 0;
  for (let src = fragmentNbl.firstNetBuffer; src !== null; src = src.next) {
    const len = src.dataLength - startOffset;
    if (len <= 0) continue;
    const chain = mapRegion(src, startOffset, len, nblPool.allocator);
    if (chain === undefined) {
      freeMappingChain(head, nblPool.allocator);
      nblPool.free(out);
      return null;
    }
    if (chain === null) continue;
    if (tail === null) head = chain;
    else tail.next = chain;
    tail = chain;
    while (tail.next !== null) tail = tail.next;
    total += len;
  }
  nb.derivedMdls = true;
  nb.setData(head, 0, total);
  if (dataOffsetDelta > 0 && nb.retreat(dataOffsetDelta, dataBackfill) !== NDIS_STATUS_SUCCESS) {
    releaseNetBuffer(nb, null);
    nblPool.free(out);
    return null;
  }
  attachChild(out, fragmentNbl, 'reassembly');
  return out;
}

/** NdisFreeReassembledNetBufferList. */
export function freeReassembledNetBufferList(nbl: NetBufferList, dataOffsetDelta: number, _flags = 0): boolean {
  if (!canFreeDerived(nbl)) return refuseFree(nbl);
  const nb = nbl.firstNetBuffer;
  if (nb !== null && dataOffsetDelta > 0) nb.advance(Math.min(dataOffsetDelta, nb.dataLength), true);
  return freeDerived(nbl);
}

/** A derived NBL that is not allocated, or still has children of its own, must not be taken apart. */
function canFreeDerived(nbl: NetBufferList): boolean {
  return nbl.allocated && nbl.childRefCount === 0;
}

/** Lets the pool refuse (and report) the free without touching the NBL, its NBs or its parent. */
function refuseFree(nbl: NetBufferList): false {
  (nbl.home as NetBufferListPool).free(nbl);
  return false;
}

function freeDerived(nbl: NetBufferList): boolean {
  if (!canFreeDerived(nbl)) return refuseFree(nbl);
  const pool = nbl.home as NetBufferListPool;
  const parent = nbl.parentNetBufferList;
  if (pool.allocateNetBuffer) {
    const nb = nbl.firstNetBuffer;
    if (nb !== null) releaseNetBuffer(nb, null);
  } else {
    for (let nb = nbl.firstNetBuffer; nb !== null; ) {
      const next: NetBuffer | null = nb.next;
      nb.next = null;
      releaseNetBuffer(nb, nb.home instanceof NetBufferPool ? nb.home : null);
      nb = next;
    }
    nbl.firstNetBuffer = null;
  }
  if (parent !== null) parent.childRefCount--;
  nbl.parentNetBufferList = null;
  return pool.free(nbl);
}

/** Undo a partially built derived NBL. */
function abandon(nbl: NetBufferList, _nbPool: NetBufferPool): null {
  nbl.parentNetBufferList = null;
  freeDerived(nbl);
  return null;
}
