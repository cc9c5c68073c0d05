/**
 * The benchmarks' senders resend the same NBLs: a send-complete handler puts each completed chain back on
 * a free list. Usually a chain comes back whole and is reused as is; when completions merge or split
 * chains, the NBLs are regrouped into chains of `batch`.
 */
import type { NetBufferList } from '../src/ndis/index.js';

export function recycleChains(batch: number, free: NetBufferList[]): (nbls: NetBufferList) => void {
  const pending: NetBufferList[] = [];
  return (nbls) => {
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) n++;
    if (n === batch && pending.length === 0) {
      free.push(nbls);
      return;
    }
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      pending.push(nbl);
      nbl = next;
    }
    while (pending.length >= batch) {
      let head: NetBufferList | null = null;
      for (let i = 0; i < batch; i++) {
        const x = pending.pop()!;
        x.next = head;
        head = x;
      }
      free.push(head!);
    }
  };
}
