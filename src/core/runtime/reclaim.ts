/**
 * Teardown bookkeeping: what a module left behind when it halted, detached, unbound or failed is
 * reported (TeardownLeak) and reclaimed — NBLs it held go back towards their owners (sends up with
 * NDIS_STATUS_FAILURE, receives down), its pools are emptied and dropped — so every pool ends up full and
 * the rest of the stack keeps working.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import type { NetBufferListPool, NetBufferPool } from '../../ndis/buffers/pools.js';
import { NDIS_STATUS_FAILURE } from '../../ndis/status.js';
import type { NdisBlock } from './block.js';
import { FilterBlock } from './filter-block.js';
import { MiniportBlock } from './miniport-block.js';
import { OpenBlock } from './open-block.js';

/**
 * Reports resources a module left behind and reclaims them so pools end up full. A module that failed
 * (threw) is not called again, so what it leaves is the runtime's to reclaim, not a further violation.
 */
export function teardownChecks(pools: Set<NetBufferListPool | NetBufferPool>, block: NdisBlock, what: string): void {
  if (block instanceof OpenBlock && block.receivesHeld > 0) {
    if (!block.failed) block.report('TeardownLeak', `${what} with ${block.receivesHeld} received NBL(s) not returned`);
    reclaimOwnedBy(pools, block);
  }
  const leaks = block.releaseResources();
  if (leaks.length > 0 && !block.failed) block.report('TeardownLeak', `${what} left ${leaks.join(', ')}`);
  reclaimResources(pools, block);
}

/** Frees every pool a module still holds (after reporting), so pools are back to full. */
export function reclaimResources(pools: Set<NetBufferListPool | NetBufferPool>, block: NdisBlock): void {
  block.releaseResources();
  for (const pool of [...block.pools]) {
    if ('forEachAllocated' in pool) {
      for (const nbl of pool.allocatedNetBufferLists()) {
        nbl.childRefCount = 0;
        pool.free(nbl);
      }
    }
    block.pools.delete(pool);
    pools.delete(pool);
  }
}

/**
 * Puts NBLs held by `block` back on their way: sends go up to their originators with
 * NDIS_STATUS_FAILURE, receives go back down to their indicators.
 */
export function reclaimOwnedBy(pools: Set<NetBufferListPool | NetBufferPool>, block: NdisBlock): void {
  const held: NetBufferList[] = [];
  // A binding also holds its share of receives indicated to several bindings (owned by the top).
  const topId = block instanceof OpenBlock ? block.mb.top.id : -1;
  const bit = block instanceof OpenBlock ? block.rxBit : 0;
  for (const pool of pools) {
    if (!('forEachAllocated' in pool)) continue;
    pool.forEachAllocated((nbl) => {
      if (nbl.ndisOwner === block.id) held.push(nbl);
      else if (nbl.ndisOwner === topId && nbl.ndisRefs > 0 && (nbl.ndisRefs & bit) !== 0) {
        nbl.ndisRefs &= ~bit;
        if (nbl.ndisRefs === 0) held.push(nbl); // it was the last holder
      }
    });
  }
  if (block instanceof OpenBlock) block.receivesHeld = 0;
  if (held.length === 0) return;
  const mb = block instanceof MiniportBlock ? block : block instanceof FilterBlock || block instanceof OpenBlock ? block.mb : null;
  if (mb === null) return;
  const sends: NetBufferList[] = [];
  const receives: NetBufferList[] = [];
  for (const nbl of held) {
    const src = nbl.sourceHandle as NdisBlock | null;
    if (src === block) continue; // its own: freed with its pools
    const srcLevel = src instanceof MiniportBlock ? 0 : src instanceof OpenBlock ? Infinity : src !== null && 'level' in src ? src.level : 0;
    (srcLevel > block.level ? sends : receives).push(nbl);
  }
  const chain = (list: NetBufferList[]): NetBufferList => {
    for (let i = 0; i < list.length; i++) list[i]!.next = list[i + 1] ?? null;
    return list[0]!;
  };
  if (sends.length > 0) {
    for (const nbl of sends) nbl.status = NDIS_STATUS_FAILURE;
    const up = block instanceof FilterBlock ? block.upperSendComplete : mb.sendCompleteEntry;
    for (const nbl of sends) nbl.ndisOwner = up.id;
    if (block instanceof MiniportBlock) block.sendsOutstanding -= sends.length;
    up.deliverSendComplete(chain(sends), 0);
  }
  if (receives.length > 0) {
    if (block instanceof OpenBlock) {
      block.receivesHeld = 0;
      for (const nbl of receives) nbl.ndisRefs = 0;
      mb.top.returnFromBinding(chain(receives), 0);
    } else if (block instanceof FilterBlock) {
      for (const nbl of receives) nbl.ndisOwner = block.lowerReturn.id;
      block.lowerReturn.deliverReturn(chain(receives), 0, receives.length);
    }
  }
}
