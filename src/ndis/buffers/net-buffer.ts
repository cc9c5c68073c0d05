/**
 * NET_BUFFER: one packet's data, described by an MDL chain.
 *
 *   mdlChain ─► [ Mdl ] ─► [ Mdl ] ─► [ Mdl ]
 *               |<─ dataOffset ─>|<───── dataLength ─────>|  slack |
 *                    (backfill)   ^ currentMdl/currentMdlOffset
 *
 * Invariants (checked by `checkInvariants`, used in tests and the verifier):
 *   dataOffset + dataLength <= mdlChainLength(mdlChain), and walking `dataOffset` bytes from `mdlChain`
 *   lands on (currentMdl, currentMdlOffset) with currentMdlOffset < currentMdl.byteCount whenever data exists.
 *
 * Retreat/advance follow NdisRetreatNetBufferDataStart / NdisAdvanceNetBufferDataStart: retreat uses the
 * backfill when it is big enough, otherwise prepends a runtime-allocated MDL; an advance that leaves such an
 * MDL wholly unused frees it when asked to (`freeMdl`), so retreat(n) then advance(n) restores the chain.
 */
import { NDIS_STATUS_FAILURE, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS, type NdisStatus } from '../status.js';
import type { BufferAllocator } from './allocator.js';
import { ByteSpan, copyBytes, copyBytesWords } from './bytes.js';
import { type Mdl, MdlOrigin, mdlChainLength } from './mdl.js';

/** Where a NetBuffer came from; the runtime's allocator serves its retreats. */
export interface NetBufferHome {
  readonly allocator: BufferAllocator;
}

/** Throws RangeError unless [dataOffset, dataOffset + dataLength) lies inside the chain (pools check before taking a slot). */
export function checkNetBufferWindow(mdlChain: Mdl | null, dataOffset: number, dataLength: number): void {
  const total = mdlChainLength(mdlChain);
  if (dataOffset < 0 || dataLength < 0 || dataOffset + dataLength > total) {
    throw new RangeError(`NetBuffer window [${dataOffset}, +${dataLength}) exceeds a ${total}-byte MDL chain`);
  }
}

export class NetBuffer {
  next: NetBuffer | null = null;
  mdlChain: Mdl | null = null;
  currentMdl: Mdl | null = null;
  currentMdlOffset = 0;
  dataOffset = 0;
  dataLength = 0;
  checksumBias = 0;
  /** Header-data split (6.1+): informational only in user space. */
  dataPhysicalAddress = 0;
  // Created on first use, as for NetBufferList: a pool free of an NB that never used them touches neither.
  #protocolReserved: unknown[] | null = null;
  #miniportReserved: unknown[] | null = null;
  readonly home: NetBufferHome;
  /** Slot index in the owning pool. */
  readonly slot: number;
  /** The MDL a DataSize pool gave this NB; restored when the NB goes back to its pool. */
  readonly poolMdl: Mdl | null;
  allocated = false;
  /** True when the runtime built this NB's MDL chain (clone/fragment/reassemble) and frees it with the NB. */
  derivedMdls = false;

  constructor(home: NetBufferHome, slot: number, poolMdl: Mdl | null) {
    this.home = home;
    this.slot = slot;
    this.poolMdl = poolMdl;
  }

  /** ProtocolReserved: six slots for the protocol that holds the NB. */
  get protocolReserved(): unknown[] {
    this.#protocolReserved ??= [null, null, null, null, null, null];
    return this.#protocolReserved;
  }

  /** MiniportReserved: four slots for the miniport that holds the NB. */
  get miniportReserved(): unknown[] {
    this.#miniportReserved ??= [null, null, null, null];
    return this.#miniportReserved;
  }

  /** Points the NB at `mdlChain` with the given used-data window (NdisAllocateNetBuffer's arguments). */
  setData(mdlChain: Mdl | null, dataOffset: number, dataLength: number): void {
    checkNetBufferWindow(mdlChain, dataOffset, dataLength);
    this.mdlChain = mdlChain;
    this.dataOffset = dataOffset;
    this.dataLength = dataLength;
    this.locate();
  }

  /** Recomputes (currentMdl, currentMdlOffset) from dataOffset. */
  locate(): void {
    let off = this.dataOffset;
    let m = this.mdlChain;
    while (m !== null && off >= m.byteCount && m.next !== null) {
      off -= m.byteCount;
      m = m.next;
    }
    this.currentMdl = m;
    this.currentMdlOffset = off;
  }

  /** Absolute index in `currentMdl.bytes` of the first data byte (valid when dataLength > 0). */
  get dataStart(): number {
    return this.currentMdl === null ? 0 : this.currentMdl.byteOffset + this.currentMdlOffset;
  }

  /**
   * NdisRetreatNetBufferDataStart: grow the data window by `delta` bytes at the front.
   * Returns SUCCESS, RESOURCES (no memory for a new leading MDL) or FAILURE (bad arguments).
   */
  retreat(delta: number, backfill = 0): NdisStatus {
    if (delta < 0 || backfill < 0) return NDIS_STATUS_FAILURE;
    if (delta <= this.dataOffset) {
      this.dataOffset -= delta;
      this.dataLength += delta;
      if (this.currentMdl !== null && delta <= this.currentMdlOffset) this.currentMdlOffset -= delta;
      else this.locate();
      return NDIS_STATUS_SUCCESS;
    }
    // Not enough backfill: prepend an MDL holding the missing bytes plus `backfill` spare bytes in front.
    // The existing unused space (dataOffset bytes) stays in the chain and becomes part of the data.
    const missing = delta - this.dataOffset;
    const mdl = this.home.allocator.allocateRetreatMdl(missing + backfill);
    if (mdl === null) return NDIS_STATUS_RESOURCES;
    mdl.retreatOwner = this;
    mdl.next = this.mdlChain;
    this.mdlChain = mdl;
    this.dataOffset = backfill;
    this.dataLength += delta;
    this.currentMdl = mdl;
    this.currentMdlOffset = backfill;
    return NDIS_STATUS_SUCCESS;
  }

  /**
   * NdisAdvanceNetBufferDataStart: shrink the data window by `delta` bytes at the front. With `freeMdl`,
   * leading MDLs that a retreat of this NB allocated and that now hold no data are unlinked and freed
   * (MDLs another NB's retreat allocated, reached through a shared chain, are never freed here).
   */
  advance(delta: number, freeMdl = true): void {
    if (delta < 0 || delta > this.dataLength) {
      throw new RangeError(`advance(${delta}) past the ${this.dataLength}-byte data window`);
    }
    this.dataOffset += delta;
    this.dataLength -= delta;
    const cur = this.currentMdl;
    if (cur !== null && this.currentMdlOffset + delta < cur.byteCount) this.currentMdlOffset += delta;
    else this.locate();
    if (!freeMdl) return;
    let head = this.mdlChain;
    while (head !== null && head.origin === MdlOrigin.Retreat && head.retreatOwner === this && head.byteCount <= this.dataOffset) {
      this.dataOffset -= head.byteCount;
      this.mdlChain = head.next;
      // A wholly unused MDL is current only when it is the last one (the NB had no MDLs before the retreat).
      if (head === this.currentMdl) this.locate();
      this.home.allocator.freeMdl(head);
      head = this.mdlChain;
    }
  }

  /**
   * NdisGetDataBuffer: `bytesNeeded` contiguous bytes at the data start. Fills `out` with the packet's own
   * memory when the bytes lie in one MDL and `(index % alignMultiple) === alignOffset`; otherwise copies
   * them into `storage` (when given) and points `out` there. Returns false when neither is possible or
   * the NB holds fewer than `bytesNeeded` bytes. Never allocates.
   */
  getDataBuffer(bytesNeeded: number, storage: Uint8Array | null, out: ByteSpan, alignMultiple = 1, alignOffset = 0): boolean {
    if (bytesNeeded > this.dataLength || bytesNeeded < 0) return false;
    const m = this.currentMdl;
    if (m !== null) {
      const start = m.byteOffset + this.currentMdlOffset;
      const aligned = alignMultiple <= 1 || ((m.bytes.byteOffset + start) & (alignMultiple - 1)) === alignOffset;
      if (this.currentMdlOffset + bytesNeeded <= m.byteCount && aligned) {
        out.bytes = m.bytes;
        out.offset = start;
        out.length = bytesNeeded;
        return true;
      }
    }
    if (storage === null || storage.length < bytesNeeded) return false;
    this.copyOut(storage, 0, 0, bytesNeeded);
    out.bytes = storage;
    out.offset = 0;
    out.length = bytesNeeded;
    return true;
  }

  /** Convenience for control paths and tests: the first `bytesNeeded` data bytes as a fresh view or copy. */
  getDataView(bytesNeeded = this.dataLength): Uint8Array | null {
    const span = new ByteSpan();
    if (!this.getDataBuffer(bytesNeeded, new Uint8Array(bytesNeeded), span)) return null;
    return span.bytes.subarray(span.offset, span.offset + span.length);
  }

  /** Copies `length` data bytes starting `srcOffset` bytes into the window to `dst[dstOffset…]`. Returns bytes copied. */
  copyOut(dst: Uint8Array, dstOffset: number, srcOffset = 0, length = this.dataLength - srcOffset): number {
    if (srcOffset < 0 || length < 0) return 0;
    const n = Math.min(length, this.dataLength - srcOffset, dst.length - dstOffset);
    if (n <= 0) return 0;
    let m = this.currentMdl;
    let off = this.currentMdlOffset + srcOffset;
    while (m !== null && off >= m.byteCount) {
      off -= m.byteCount;
      m = m.next;
    }
    let left = n;
    let d = dstOffset;
    while (m !== null && left > 0) {
      const take = Math.min(left, m.byteCount - off);
      copyBytes(m.bytes, m.byteOffset + off, dst, d, take);
      d += take;
      left -= take;
      off = 0;
      m = m.next;
    }
    return n - left;
  }

  /**
   * Copies `length` data bytes (from `srcOffset` into the window) to `dst` at byte `dstOffset` of the MDL.
   * The fast path for frame copies between slabs: one source MDL, both word-addressable.
   */
  copyOutToMdl(dst: Mdl, dstOffset: number, srcOffset: number, length: number): number {
    const m = this.currentMdl;
    if (m !== null && m.words !== null && dst.words !== null && m.words !== dst.words) {
      const start = this.currentMdlOffset + srcOffset;
      if (srcOffset >= 0 && length >= 0 && start + length <= m.byteCount && length <= this.dataLength - srcOffset && dstOffset + length <= dst.byteCount) {
        copyBytesWords(m.bytes, m.words, m.byteOffset + start, dst.bytes, dst.words, dst.byteOffset + dstOffset, length);
        return length;
      }
    }
    return this.copyOut(dst.bytes, dst.byteOffset + dstOffset, srcOffset, Math.min(length, dst.byteCount - dstOffset));
  }

  /** Copies `length` bytes of `src` into the data window at `dstOffset`. Returns bytes copied. */
  copyIn(src: Uint8Array, srcOffset = 0, length = src.length - srcOffset, dstOffset = 0): number {
    if (dstOffset < 0 || length < 0) return 0;
    const n = Math.min(length, this.dataLength - dstOffset, src.length - srcOffset);
    if (n <= 0) return 0;
    let m = this.currentMdl;
    let off = this.currentMdlOffset + dstOffset;
    while (m !== null && off >= m.byteCount) {
      off -= m.byteCount;
      m = m.next;
    }
    let left = n;
    let s = srcOffset;
    while (m !== null && left > 0) {
      const take = Math.min(left, m.byteCount - off);
      copyBytes(src, s, m.bytes, m.byteOffset + off, take);
      s += take;
      left -= take;
      off = 0;
      m = m.next;
    }
    return n - left;
  }

  /** The data byte at `index` within the window (bounds-checked; returns -1 outside). */
  byteAt(index: number): number {
    if (index < 0 || index >= this.dataLength) return -1;
    let m = this.currentMdl;
    let off = this.currentMdlOffset + index;
    while (m !== null && off >= m.byteCount) {
      off -= m.byteCount;
      m = m.next;
    }
    return m === null ? -1 : m.bytes[m.byteOffset + off]!;
  }

  /** Describes what is wrong with the NB's bookkeeping, or returns null when consistent. */
  checkInvariants(): string | null {
    const total = mdlChainLength(this.mdlChain);
    if (this.dataOffset < 0 || this.dataLength < 0) return `negative window (${this.dataOffset}, ${this.dataLength})`;
    if (this.dataOffset + this.dataLength > total) return `window ${this.dataOffset}+${this.dataLength} exceeds chain ${total}`;
    let off = this.dataOffset;
    let m = this.mdlChain;
    while (m !== null && off >= m.byteCount && m.next !== null) {
      off -= m.byteCount;
      m = m.next;
    }
    if (m !== this.currentMdl || off !== this.currentMdlOffset) return 'currentMdl/currentMdlOffset do not match dataOffset';
    return null;
  }

  /** Back to the state a pool hands out (called by pools on free). */
  resetForPool(): void {
    // Give back MDLs the runtime allocated for retreats that were never undone.
    let m = this.mdlChain;
    while (m !== null && m !== this.poolMdl && m.origin === MdlOrigin.Retreat && m.retreatOwner === this) {
      const next = m.next;
      this.home.allocator.freeMdl(m);
      m = next;
    }
    this.next = null;
    this.checksumBias = 0;
    this.dataPhysicalAddress = 0;
    const pr = this.#protocolReserved;
    if (pr !== null) pr[0] = pr[1] = pr[2] = pr[3] = pr[4] = pr[5] = null;
    const mr = this.#miniportReserved;
    if (mr !== null) mr[0] = mr[1] = mr[2] = mr[3] = null;
    if (this.poolMdl !== null) {
      this.poolMdl.next = null;
      this.mdlChain = this.poolMdl;
      this.dataOffset = 0;
      this.dataLength = this.poolMdl.byteCount;
      this.currentMdl = this.poolMdl;
      this.currentMdlOffset = 0;
    } else {
      this.mdlChain = null;
      this.currentMdl = null;
      this.currentMdlOffset = 0;
      this.dataOffset = 0;
      this.dataLength = 0;
    }
  }
}
