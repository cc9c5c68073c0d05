/**
 * Path MTU cache (RFC 1191 / RFC 8201): what ICMP "fragmentation needed" and ICMPv6 "packet too big"
 * taught us per destination, forgotten after `timeoutMs` (10 minutes by default) so a path that grew
 * is found again. Bounded; the oldest entry makes room. Looked up on every route lookup, so the empty
 * cache costs one comparison.
 */
import { copy6, eq6, type IpFamily } from './addr.js';

export const PMTU_TIMEOUT_MS = 10 * 60 * 1000;
export const PMTU_MIN_IPV4 = 68;
export const PMTU_MIN_IPV6 = 1280;

class PmtuEntry {
  inUse = false;
  family: IpFamily = 4;
  addr4 = 0;
  readonly addr6 = new Uint8Array(16);
  mtu = 0;
  learnedAt = 0;
}

export class PathMtuCache {
  readonly #entries: PmtuEntry[];
  #count = 0;

  constructor(
    capacity: number,
    readonly timeoutMs: number,
  ) {
    this.#entries = Array.from({ length: capacity }, () => new PmtuEntry());
  }

  get size(): number {
    return this.#count;
  }

  #find(family: IpFamily, addr4: number, addr6: Uint8Array | null, off: number): PmtuEntry | null {
    for (const e of this.#entries) {
      if (e.inUse && e.family === family && (family === 4 ? e.addr4 === addr4 : eq6(e.addr6, 0, addr6!, off))) return e;
    }
    return null;
  }

  /**
   * The learned MTU towards the address, or 0 when none. An expired entry is removed and reported by
   * returning -1 (the caller bumps its route generation: the path may be larger again).
   */
  lookup(family: IpFamily, addr4: number, addr6: Uint8Array | null, off: number, now: number): number {
    if (this.#count === 0) return 0;
    const e = this.#find(family, addr4, addr6, off);
    if (e === null) return 0;
    if (now - e.learnedAt >= this.timeoutMs) {
      e.inUse = false;
      this.#count--;
      return -1;
    }
    return e.mtu;
  }

  /** Records `mtu` (already clamped) for the address; true when it lowered what we knew. */
  update(family: IpFamily, addr4: number, addr6: Uint8Array | null, off: number, mtu: number, linkMtu: number, now: number): boolean {
    if (mtu >= linkMtu) return false;
    let e = this.#find(family, addr4, addr6, off);
    if (e !== null && e.mtu <= mtu) return false;
    if (e === null) {
      e = this.#entries.find((x) => !x.inUse) ?? null;
      if (e === null) {
        e = this.#entries.reduce((a, b) => (b.learnedAt < a.learnedAt ? b : a));
        this.#count--;
      }
      e.inUse = true;
      e.family = family;
      e.addr4 = addr4;
      if (addr6 !== null) copy6(e.addr6, 0, addr6, off);
      this.#count++;
    }
    e.mtu = mtu;
    e.learnedAt = now;
    return true;
  }

  clear(): void {
    for (const e of this.#entries) e.inUse = false;
    this.#count = 0;
  }
}
