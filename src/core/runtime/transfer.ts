/**
 * NBL ownership handoffs: the only per-packet bookkeeping the runtime does.
 *
 * `transferOn` moves a chain onwards (send down, indicate up): it stamps the new owner and, with the
 * verifier on, checks the giver owned each NBL (or originated it fresh from a pool) and cuts the others
 * out, so an NBL that is somewhere else already (in flight, held by another driver) is not delivered
 * twice; the surviving head is left in `on.head`. `transferBack` moves a chain back towards its
 * originator (send-complete up, return down): it always checks ownership, because a double completion
 * delivered twice would corrupt the originator, and cuts offending NBLs out of the chain (an NBL indicated
 * with NDIS_RECEIVE_FLAGS_RESOURCES is never returned either, and a parent goes back only once its
 * clones and fragments are freed); the surviving head is left in `back.head`.
 * Both slots are shared, so nothing is allocated.
 *
 * With NBL history on (core/verifier/nbl-history.ts), the checked handoffs record each NBL that moves;
 * they read `rt.nblHistory` once per chain, and the unchecked fast paths never look.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { NblEvent, type NblEventKind, type NblHistory } from '../verifier/nbl-history.js';
import type { NdisBlock } from './block.js';
import { reportImCompletedWithDerived, reportImEarlyCompletion } from './im-checks.js';

export const back: { head: NetBufferList | null } = { head: null };
export const on: { head: NetBufferList | null; cut: number; own: number } = { head: null, cut: 0, own: 0 };

/**
 * Stamps `to` on every NBL `from` may pass on; returns how many went on. `on.head` is the chain to
 * deliver (null when nothing is left) and `on.cut` how many were cut out (verifier only).
 */
export function transferOn(chain: NetBufferList | null, from: NdisBlock, to: number, verify: boolean): number {
  let n = 0;
  on.head = chain;
  on.cut = 0;
  if (!verify) {
    for (let nbl = chain; nbl !== null; nbl = nbl.next) {
      nbl.ndisOwner = to;
      n++;
    }
    return n;
  }
  const fid = from.id;
  const now = from.rt.scheduler.now();
  const history = from.rt.nblHistory;
  // Towards a higher level is an indication; down (or sideways into a crossing edge or replica) a send.
  const kind = history === null ? 0 : (from.rt.blockById(to)?.level ?? 0) > from.level ? NblEvent.Indicated : NblEvent.Sent;
  let prev: NetBufferList | null = null;
  for (let nbl = chain; nbl !== null; ) {
    const next: NetBufferList | null = nbl.next;
    const owner = nbl.ndisOwner;
    if (owner === 0 && nbl.sourceHandle === null) {
      // Fresh from a pool, but the originator did not say so.
      from.report('NblSourceHandle', `originated NBL ${nbl.home.name}#${nbl.slot} without setting SourceHandle`, nbl);
      nbl.sourceHandle = from;
    }
    if (owner !== fid && !(owner === 0 && nbl.sourceHandle === from) && !from.isTwin(owner)) {
      reportMisuse(from, nbl, true);
      if (prev === null) on.head = next;
      else prev.next = next;
      on.cut++;
    } else {
      nbl.ndisOwner = to;
      nbl.ndisStamp = now;
      if (history !== null) history.record(nbl, kind as typeof NblEvent.Sent, fid, to, 0, now);
      n++;
      prev = nbl;
    }
    nbl = next;
  }
  return n;
}

/**
 * The unchecked fast path of a forward handoff (verifier off, module running): stamps `to` on every NBL
 * and counts the ones `self` originated (left in `on.own`). Returns the chain length.
 */
export function stampCountingOwn(chain: NetBufferList, self: object, to: number): number {
  let own = 0;
  let n = 0;
  for (let nbl: NetBufferList | null = chain; nbl !== null; nbl = nbl.next) {
    if (nbl.sourceHandle === self) own++;
    nbl.ndisOwner = to;
    n++;
  }
  on.own = own;
  return n;
}

/**
 * Stamps `to` on every NBL `from` owns and cuts out the rest (reported). Returns how many went on;
 * `back.head` holds the surviving chain.
 */
export function transferBack(chain: NetBufferList | null, from: NdisBlock, to: number, upward: boolean): number {
  const fid = from.id;
  const history = from.rt.nblHistory;
  const now = history === null ? 0 : history.time();
  let n = 0;
  let head: NetBufferList | null = chain;
  let prev: NetBufferList | null = null;
  for (let nbl = chain; nbl !== null; ) {
    const next: NetBufferList | null = nbl.next;
    if (nbl.sourceHandle === from) {
      // An originator frees its own NBLs; completing or returning them would hand them to nobody.
      from.report('NblOwnReturnedUp', `${upward ? 'completed' : 'returned'} its own NBL ${nbl.home.name}#${nbl.slot} instead of freeing it`, nbl);
      if (prev === null) head = next;
      else prev.next = next;
      nbl.next = null;
    } else if (!upward && nbl.ndisRefs === -1) {
      from.report('NblResourcesReturned', `returned NBL ${nbl.home.name}#${nbl.slot} indicated with NDIS_RECEIVE_FLAGS_RESOURCES`, nbl);
      if (prev === null) head = next;
      else prev.next = next;
    } else if (nbl.ndisOwner === fid || from.isTwin(nbl.ndisOwner)) {
      if (nbl.childRefCount > 0) {
        // Its clones or fragments still map its data: it stays with `from` until they are freed.
        if (!(upward && reportImCompletedWithDerived(from, nbl))) from.report('NblChildrenOutstanding', `${upward ? 'completed' : 'returned'} NBL ${nbl.home.name}#${nbl.slot} while ${nbl.childRefCount} clone(s)/fragment(s) of it are alive`, nbl);
        if (prev === null) head = next;
        else prev.next = next;
      } else {
        nbl.ndisOwner = to;
        if (history !== null) history.record(nbl, upward ? NblEvent.Completed : NblEvent.Returned, fid, to, upward ? nbl.status : 0, now);
        n++;
        prev = nbl;
      }
    } else {
      reportMisuse(from, nbl, false, upward);
      if (prev === null) head = next;
      else prev.next = next;
    }
    nbl = next;
  }
  back.head = head;
  return n;
}

function reportMisuse(from: NdisBlock, nbl: NetBufferList, forward: boolean, upward = false): void {
  const owner = nbl.ndisOwner === 0 ? undefined : from.rt.blockById(nbl.ndisOwner);
  const ownerName = owner === undefined ? (nbl.allocated ? 'its originator' : 'its pool (freed)') : owner.name;
  if (forward) {
    from.report('NblNotOwned', `passed on NBL ${nbl.home.name}#${nbl.slot} owned by ${ownerName}`, nbl);
    return;
  }
  if (upward && reportImEarlyCompletion(from, nbl, owner)) return;
  // Handed back past us already (owner further along the way back, or freed) ⇒ a second completion.
  const again =
    owner === undefined || (owner.rt === from.rt && (upward ? owner.level > from.level : owner.level < from.level));
  if (again) from.report('NblDoubleComplete', `${upward ? 'completed' : 'returned'} NBL ${nbl.home.name}#${nbl.slot} twice (now with ${ownerName})`, nbl);
  else from.report('NblNotOwned', `${upward ? 'completed' : 'returned'} NBL ${nbl.home.name}#${nbl.slot} owned by ${ownerName}`, nbl);
}

/**
 * Records one event for every NBL of a chain (NBL history on). For the handoffs that do not go through
 * transferOn / transferBack; callers read `rt.nblHistory` once per chain and call this only when set.
 */
export function recordChain(history: NblHistory, chain: NetBufferList | null, kind: NblEventKind, from: number, to: number, now: number): void {
  for (let nbl = chain; nbl !== null; nbl = nbl.next) history.record(nbl, kind, from, to, kind === NblEvent.Completed ? nbl.status : 0, now);
}

/** Counts a chain (used where no transfer happens). */
export function chainLength(chain: NetBufferList | null): number {
  let n = 0;
  for (let nbl = chain; nbl !== null; nbl = nbl.next) n++;
  return n;
}
