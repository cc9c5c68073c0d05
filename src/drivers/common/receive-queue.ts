/**
 * The receive side miniports share: frames waiting for the DPC as one NBL chain, taken in chains of
 * at most MAX_NBLS_PER_INDICATION, and indications of NBLs lent only for the duration of the call
 * (NDIS_RECEIVE_FLAGS_RESOURCES) taken back NBL by NBL.
 */
import type { MiniportAdapterHandle, NetBufferList } from '../../ndis/index.js';

/** Received NBLs in arrival order, as one chain (head, tail, count): appending and taking walk nothing. */
export class ReceiveQueue {
  head: NetBufferList | null = null;
  #tail: NetBufferList | null = null;
  count = 0;
  /** NBLs in the chain the last `take` returned. */
  taken = 0;

  get isEmpty(): boolean {
    return this.head === null;
  }

  push(nbl: NetBufferList): void {
    if (this.#tail === null) this.head = nbl;
    else this.#tail.next = nbl;
    this.#tail = nbl;
    this.count++;
  }

  /** Moves everything `from` holds to the end of this queue (no walk). */
  pushAll(from: ReceiveQueue): void {
    const n = from.count;
    const tail = from.#tail;
    const head = from.clear();
    if (head === null) return;
    if (this.#tail === null) this.head = head;
    else this.#tail.next = head;
    this.#tail = tail;
    this.count += n;
  }

  /** Detaches the first `max` NBLs (or all) as a chain and returns it; `taken` says how many. */
  take(max: number): NetBufferList | null {
    const head = this.head;
    if (head === null) {
      this.taken = 0;
      return null;
    }
    let n: number;
    if (this.count <= max) {
      // Everything fits: take the whole queue without walking it.
      n = this.count;
      this.head = this.#tail = null;
    } else {
      n = 1;
      let tail = head;
      while (tail.next !== null && n < max) {
        tail = tail.next;
        n++;
      }
      this.head = tail.next;
      tail.next = null;
    }
    this.count -= n;
    this.taken = n;
    return head;
  }

  /** Empties the queue and returns what it held, as a chain. */
  clear(): NetBufferList | null {
    const head = this.head;
    this.head = this.#tail = null;
    this.count = 0;
    return head;
  }
}

/**
 * Indicates `n` NBLs with NDIS_RECEIVE_FLAGS_RESOURCES (the caller's `flags` include it) and hands each
 * back to `takeBack`, unlinked, when the call returns. The NBLs are remembered in order first: receivers
 * may relink `next` while they hold the chain.
 */
export class LentIndication {
  readonly #lent: (NetBufferList | null)[] = [];

  indicate(ndis: MiniportAdapterHandle, head: NetBufferList, portNumber: number, n: number, flags: number, takeBack: (nbl: NetBufferList) => void): void {
    const lent = this.#lent;
    let count = 0;
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) lent[count++] = nbl;
    ndis.indicateReceiveNetBufferLists(head, portNumber, n, flags);
    for (let k = 0; k < count; k++) {
      const nbl = lent[k]!;
      lent[k] = null;
      nbl.next = null;
      takeBack(nbl);
    }
  }
}
