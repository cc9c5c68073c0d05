/**
 * Verifier checks for the intermediate-driver rules of seed 003 (forwarded sends and receives as derived
 * NBLs or own NBLs restored on completion). The generic ownership checks (transfer.ts) would catch the
 * same mistakes under a name that hides what the driver did; these name it:
 *
 *   - ImSendCompletedBeforeLower: a virtual miniport completes a send upward while what it forwarded
 *     for it is still below (the same NBL, held by the lower adapter's stack; or a derived NBL of it
 *     that the lower adapter has not completed, which keeps the original's child count up);
 *   - DerivedNblLeak: a derived NBL outlives the loan of its parent: the parent was indicated with
 *     NDIS_RECEIVE_FLAGS_RESOURCES and goes back to its miniport when the indication returns, while a
 *     driver above still holds a clone or fragment describing its memory.
 *
 * Indicating on a paused virtual miniport is SendWhilePaused (miniport-block.ts), as for any miniport.
 * Called only with the verifier on, and only when something is already wrong, so none of this runs on
 * the data path.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import type { NdisBlock } from './block.js';

/** The block of an adapter stack a block belongs to (a filter's or binding's miniport block, or itself). */
function adapterOf(block: NdisBlock): NdisBlock {
  const mb = (block as { mb?: NdisBlock }).mb;
  return mb ?? block;
}

/** The lower binding of an intermediate driver's virtual miniport, or null for any other block. */
function imParentOf(block: NdisBlock): (NdisBlock & { mb: NdisBlock }) | null {
  return (block as { imParent?: (NdisBlock & { mb: NdisBlock }) | null }).imParent ?? null;
}

/**
 * For a send completion `from` makes of an NBL it does not own: true (and reported) when `from` is a
 * virtual miniport and the NBL is still in the stack of the adapter below its intermediate driver.
 */
export function reportImEarlyCompletion(from: NdisBlock, nbl: NetBufferList, owner: NdisBlock | undefined): boolean {
  const lower = imParentOf(from);
  if (lower === null || owner === undefined || owner.rt !== from.rt || adapterOf(owner) !== lower.mb) return false;
  from.report('ImSendCompletedBeforeLower', `completed NBL ${nbl.home.name}#${nbl.slot} upward while it is still below, held by ${owner.name} (complete it when ${lower.name} gets it back)`, nbl);
  return true;
}

/**
 * For a send completion of an NBL with live children: true (and reported) when `from` is a virtual
 * miniport, whose children are the derived NBLs it forwarded down.
 */
export function reportImCompletedWithDerived(from: NdisBlock, nbl: NetBufferList): boolean {
  const lower = imParentOf(from);
  if (lower === null) return false;
  from.report(
    'ImSendCompletedBeforeLower',
    `completed NBL ${nbl.home.name}#${nbl.slot} upward while ${nbl.childRefCount} derived NBL(s) of it are alive (forwarded through ${lower.name} and not completed and freed yet)`,
    nbl,
  );
  return true;
}

/** After a RESOURCES indication returned: reports each NBL of it that still has derived NBLs alive. */
export function checkResourcesLoan(mb: NdisBlock, nbl: NetBufferList): void {
  if (nbl.childRefCount === 0) return;
  // Who holds it: the pool of the first live child (found by scanning; this only runs on a violation).
  let where = 'a pool of a driver above';
  for (const pool of mb.rt.pools) {
    if (!('forEachAllocated' in pool)) continue;
    pool.forEachAllocated((c) => {
      if (c.parentNetBufferList === nbl && where.startsWith('a pool')) where = `${pool.name}#${c.slot}`;
    });
  }
  mb.report(
    'DerivedNblLeak',
    `NBL ${nbl.home.name}#${nbl.slot} was indicated with NDIS_RECEIVE_FLAGS_RESOURCES and went back to the miniport with ${nbl.childRefCount} derived NBL(s) of it still alive (${where}): a derived NBL must be freed before the indication returns`,
    nbl,
  );
}
