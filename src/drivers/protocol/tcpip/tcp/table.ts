/**
 * The connection table: 4-tuple → TCB with nothing allocated per lookup. The key is a keyed SipHash
 * of the tuple (so a remote party cannot aim many tuples at one chain), cut to 30 bits so it stays a
 * small integer in V8's Map; collisions chain through `Tcb.hashNext`. A one-entry cache in front
 * serves the bulk case where consecutive segments belong to the same connection.
 */
import type { IpFamily } from './host.js';
import { type FlowHasher, HashDomain } from './isn.js';
import type { Tcb } from './tcb.js';
import { addressLength, sameAddress } from './util.js';

function matches(t: Tcb, family: IpFamily, la: Uint8Array, lp: number, ra: Uint8Array, rp: number): boolean {
  const f = t.flow;
  if (f.family !== family || f.localPort !== lp || f.remotePort !== rp) return false;
  const n = addressLength(family);
  return sameAddress(f.remoteAddress, ra, n) && sameAddress(f.localAddress, la, n);
}

export class ConnectionTable {
  readonly #map = new Map<number, Tcb>();
  readonly #hasher: FlowHasher;
  #last: Tcb | null = null;
  size = 0;

  constructor(hasher: FlowHasher) {
    this.#hasher = hasher;
  }

  #key(family: IpFamily, la: Uint8Array, lp: number, ra: Uint8Array, rp: number): number {
    return this.#hasher.hash(HashDomain.ConnectionTable, family, la, lp, ra, rp) & 0x3fffffff;
  }

  find(family: IpFamily, la: Uint8Array, lp: number, ra: Uint8Array, rp: number): Tcb | null {
    const last = this.#last;
    if (last !== null && matches(last, family, la, lp, ra, rp)) return last;
    for (let t = this.#map.get(this.#key(family, la, lp, ra, rp)) ?? null; t !== null; t = t.hashNext) {
      if (matches(t, family, la, lp, ra, rp)) {
        this.#last = t;
        return t;
      }
    }
    return null;
  }

  insert(t: Tcb): void {
    const f = t.flow;
    const k = this.#key(f.family, f.localAddress, f.localPort, f.remoteAddress, f.remotePort);
    t.hashKey = k;
    t.hashNext = this.#map.get(k) ?? null;
    this.#map.set(k, t);
    this.size++;
  }

  remove(t: Tcb): void {
    if (this.#last === t) this.#last = null;
    const head = this.#map.get(t.hashKey);
    if (head === undefined) return;
    if (head === t) {
      if (t.hashNext === null) this.#map.delete(t.hashKey);
      else this.#map.set(t.hashKey, t.hashNext);
    } else {
      let p = head;
      while (p.hashNext !== null && p.hashNext !== t) p = p.hashNext;
      if (p.hashNext !== t) return;
      p.hashNext = t.hashNext;
    }
    t.hashNext = null;
    this.size--;
  }

  *values(): IterableIterator<Tcb> {
    for (const head of this.#map.values()) for (let t: Tcb | null = head; t !== null; t = t.hashNext) yield t;
  }

  /** Longest collision chain (a health figure for tests and inspection). */
  longestChain(): number {
    let longest = 0;
    for (const head of this.#map.values()) {
      let n = 0;
      for (let t: Tcb | null = head; t !== null; t = t.hashNext) n++;
      if (n > longest) longest = n;
    }
    return longest;
  }
}
