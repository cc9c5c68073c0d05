/**
 * The neighbour cache shared by ARP (IPv4) and Neighbor Discovery (IPv6): one per interface and family,
 * with the reachability state machine of RFC 4861 §7.3 for both (ARP gets NUD too, as in Linux):
 *
 * ```
 *            send, no entry                 solicited confirmation
 *   (none) ─────────────────► INCOMPLETE ─────────────────────────► REACHABLE
 *                               │ MAX_MULTICAST_SOLICIT               │ ReachableTime
 *                               ▼ unanswered: delete, senders told    ▼
 *                                             send ┌──────────────  STALE ◄── unsolicited news
 *                                                  ▼                  ▲
 *               DELAY ── DELAY_FIRST_PROBE_TIME ─► PROBE ── MAX_UNICAST_SOLICIT unanswered ─► delete
 *                 └───── confirmation ───────────────┴───────────► REACHABLE
 *   PERMANENT: static entries (configured), never change.
 * ```
 *
 * Packets waiting for an INCOMPLETE entry are NBLs (Ethernet header written but for the destination)
 * chained through `next`, at most `queueLimit` per entry: beyond that the oldest is dropped and
 * counted. When resolution fails, the held packets go to `owner.unreachable`, which tells their senders
 * (a connect fails with EHOSTUNREACH after ~3 s instead of its SYN retries, as in Linux). The cache has a fixed capacity and preallocated entries in an open hash table, so a lookup
 * allocates nothing.
 *
 * Answers to thousands of spoofed on-link sources (a SYN flood) would each start a resolution that
 * never completes, so unresolved state is bounded apart from resolved peers: at most `maxIncomplete`
 * INCOMPLETE entries (a new one evicts the oldest: an answer normally comes within milliseconds, so the
 * oldest is the least likely to be answered), at most `queueTotal` packets held over all of them (the
 * oldest packet of the oldest entry goes), and new multicast solicitations at `solicitRate` a second (a
 * new destination beyond it gets no entry; its packet is dropped, the sender retries). When the cache is
 * full, INCOMPLETE entries are evicted first (oldest first), then the least recently used STALE, DELAY
 * or PROBE one; REACHABLE and PERMANENT entries never are. So a peer that has resolved — or simply sent
 * us an ARP request or solicitation — is neither evicted nor delayed by a flood.
 */
import { TokenBucket } from './tcp/rate-limit.js';
import type { NetBufferList } from '../../../ndis/index.js';
import { copy6, eq6, hash4, hash6, type IpFamily } from './addr.js';
import type { NeighborCounters } from './counters.js';
import type { StackTimer, TimerQueue } from './timers.js';

export const NeighborState = {
  Incomplete: 0,
  Reachable: 1,
  Stale: 2,
  Delay: 3,
  Probe: 4,
  Permanent: 5,
} as const;
export type NeighborState = (typeof NeighborState)[keyof typeof NeighborState];

const STATE_NAMES = ['INCOMPLETE', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT'] as const;

export function neighborStateName(s: NeighborState): string {
  return STATE_NAMES[s]!;
}

/** RFC 4861 §10 protocol constants (the timers are per-interface settings). */
export const MAX_MULTICAST_SOLICIT = 3;
export const MAX_UNICAST_SOLICIT = 3;
export const DELAY_FIRST_PROBE_TIME_MS = 5000;

export interface NeighborTimings {
  /** RetransTimer: between solicitations. */
  retransTimerMs: number;
  /** BaseReachableTime; each entry uses a random 0.5–1.5 multiple (RFC 4861 §6.3.2). */
  reachableTimeMs: number;
  /** Packets held per INCOMPLETE entry. */
  queueLimit: number;
  /** INCOMPLETE entries at once (default: the capacity). */
  maxIncomplete?: number;
  /** Packets held over all INCOMPLETE entries (default: no bound but the per-entry one). */
  queueTotal?: number;
  /** Multicast solicitations a second, also the burst (default 0: no limit). */
  solicitRate?: number;
}

export class NeighborEntry {
  inUse = false;
  addr4 = 0;
  readonly addr6 = new Uint8Array(16);
  readonly mac = new Uint8Array(6);
  state: NeighborState = NeighborState.Incomplete;
  /** Solicitations sent in the current INCOMPLETE or PROBE phase. */
  probes = 0;
  isRouter = false;
  /** Last time the entry was used or confirmed (eviction order). */
  touchedAt = 0;
  queueHead: NetBufferList | null = null;
  queueTail: NetBufferList | null = null;
  queueLength = 0;
  /** Next entry index in the same hash bucket, or -1. */
  nextInBucket = -1;
  /** Neighbours in the list of INCOMPLETE entries (oldest first), or -1. */
  olderIncomplete = -1;
  newerIncomplete = -1;
  inIncompleteList = false;
  /** @internal */
  timer!: StackTimer;

  /** @internal */
  constructor(
    readonly cache: NeighborCache,
    readonly index: number,
  ) {}

  get family(): IpFamily {
    return this.cache.family;
  }

  /** True when `mac` may be used to send now. */
  get usable(): boolean {
    return this.state !== NeighborState.Incomplete;
  }
}

/** What the cache asks of its interface. */
export interface NeighborOwner {
  /** Sends an ARP request or neighbour solicitation for `e`: broadcast/multicast, or unicast to `e.mac` (NUD probe). */
  solicit(e: NeighborEntry, unicast: boolean): void;
  /** `e` resolved: send its queued NBLs (a chain of `count`) to `e.mac`. */
  sendQueued(e: NeighborEntry, head: NetBufferList, count: number): void;
  /** Frees NBLs that will never be sent (the owner counts them). */
  freeQueued(head: NetBufferList, count: number): void;
  /** Resolution of a `family` neighbour failed: tells the senders of these NBLs, then frees them. */
  unreachable(family: IpFamily, head: NetBufferList, count: number): void;
  /** Uniform in [0, 1) (ReachableTime randomization). */
  random(): number;
}

/** How a received packet informs the cache (RFC 4861 §7.2.5 for NA; NS and ARP map onto it). */
export interface NeighborUpdate {
  /** The link-layer address carried, or null when the message had none. */
  mac: Uint8Array | null;
  macOffset: number;
  /** Answer to our solicitation (NA S flag, ARP reply to us): the path is confirmed. */
  solicited: boolean;
  /** May replace a cached address (NA O flag; NS and ARP always do). */
  override: boolean;
  /** Create the entry when absent (NS/ARP addressed to us), or only update an existing one. */
  create: boolean;
  isRouter: boolean | null;
}

export class NeighborCache {
  readonly entries: NeighborEntry[];
  readonly #buckets: Int32Array;
  readonly #mask: number;
  #count = 0;
  /** INCOMPLETE entries, oldest first (indices), their number, and packets held over all entries. */
  #oldestIncomplete = -1;
  #newestIncomplete = -1;
  #incomplete = 0;
  #queued = 0;
  readonly #maxIncomplete: number;
  readonly #queueTotal: number;
  /** Multicast solicitations (null: no limit). */
  readonly #solicits: TokenBucket | null;

  /** @internal */
  constructor(
    readonly family: IpFamily,
    readonly capacity: number,
    readonly timings: NeighborTimings,
    /** @internal */
    readonly owner: NeighborOwner,
    readonly counters: NeighborCounters,
    /** @internal */
    readonly timers: TimerQueue,
  ) {
    let size = 16;
    while (size < capacity * 2) size <<= 1;
    this.#buckets = new Int32Array(size).fill(-1);
    this.#mask = size - 1;
    this.#maxIncomplete = Math.max(1, Math.min(capacity, timings.maxIncomplete ?? capacity));
    this.#queueTotal = Math.max(1, timings.queueTotal ?? Infinity);
    const rate = timings.solicitRate ?? 0;
    this.#solicits = rate > 0 ? new TokenBucket(rate, Math.max(1, Math.ceil(rate))) : null;
    this.entries = [];
    for (let i = 0; i < capacity; i++) {
      const e = new NeighborEntry(this, i);
      e.timer = timers.create(() => this.#expire(e));
      this.entries.push(e);
    }
  }

  get size(): number {
    return this.#count;
  }

  /** INCOMPLETE entries now. */
  get incompleteCount(): number {
    return this.#incomplete;
  }

  lookup4(addr: number): NeighborEntry | null {
    for (let i = this.#buckets[hash4(addr) & this.#mask]!; i >= 0; ) {
      const e = this.entries[i]!;
      if (e.addr4 === addr) return e;
      i = e.nextInBucket;
    }
    return null;
  }

  lookup6(addr: Uint8Array, off: number): NeighborEntry | null {
    for (let i = this.#buckets[hash6(addr, off) & this.#mask]!; i >= 0; ) {
      const e = this.entries[i]!;
      if (eq6(e.addr6, 0, addr, off)) return e;
      i = e.nextInBucket;
    }
    return null;
  }

  /** Whether the last `#obtain` created its entry (a field, so the lookup path allocates nothing). */
  #created = false;

  /** Finds or creates the entry for an address (v4: `addr4`; v6: `addr6[off…]`); null when the cache is full of permanent entries. */
  #obtain(addr4: number, addr6: Uint8Array | null, off: number): NeighborEntry | null {
    const found = addr6 === null ? this.lookup4(addr4) : this.lookup6(addr6, off);
    this.#created = false;
    if (found !== null) return found;
    let e: NeighborEntry | null = null;
    for (const x of this.entries) {
      if (!x.inUse) {
        e = x;
        break;
      }
    }
    if (e === null) {
      // Full: the oldest INCOMPLETE entry goes first, else the least recently touched STALE, DELAY
      // or PROBE one; never a REACHABLE peer or a static entry.
      if (this.#oldestIncomplete >= 0) e = this.entries[this.#oldestIncomplete]!;
      else {
        for (const x of this.entries) {
          if (x.state === NeighborState.Permanent || x.state === NeighborState.Reachable) continue;
          if (e === null || x.touchedAt < e.touchedAt) e = x;
        }
      }
      if (e === null) return null;
      this.counters.evicted++;
      this.remove(e);
    }
    e.inUse = true;
    e.addr4 = addr4;
    if (addr6 !== null) copy6(e.addr6, 0, addr6, off);
    e.state = NeighborState.Incomplete;
    e.probes = 0;
    e.isRouter = false;
    e.touchedAt = this.timers.now();
    const b = (addr6 === null ? hash4(addr4) : hash6(addr6, off)) & this.#mask;
    e.nextInBucket = this.#buckets[b]!;
    this.#buckets[b] = e.index;
    this.#count++;
    this.#created = true;
    this.#linkIncomplete(e);
    return e;
  }

  #linkIncomplete(e: NeighborEntry): void {
    e.inIncompleteList = true;
    e.newerIncomplete = -1;
    e.olderIncomplete = this.#newestIncomplete;
    if (this.#newestIncomplete >= 0) this.entries[this.#newestIncomplete]!.newerIncomplete = e.index;
    else this.#oldestIncomplete = e.index;
    this.#newestIncomplete = e.index;
    this.#incomplete++;
  }

  /** `e` leaves INCOMPLETE (resolved, static, removed). */
  #unlinkIncomplete(e: NeighborEntry): void {
    if (!e.inIncompleteList) return;
    e.inIncompleteList = false;
    if (e.olderIncomplete >= 0) this.entries[e.olderIncomplete]!.newerIncomplete = e.newerIncomplete;
    else this.#oldestIncomplete = e.newerIncomplete;
    if (e.newerIncomplete >= 0) this.entries[e.newerIncomplete]!.olderIncomplete = e.olderIncomplete;
    else this.#newestIncomplete = e.olderIncomplete;
    e.olderIncomplete = e.newerIncomplete = -1;
    this.#incomplete--;
  }

  /** Removes `e`, dropping any packets it held. */
  remove(e: NeighborEntry): void {
    if (!e.inUse) return;
    e.timer.cancel();
    this.#dropQueue(e);
    this.#unlinkIncomplete(e);
    const b = (this.family === 4 ? hash4(e.addr4) : hash6(e.addr6, 0)) & this.#mask;
    let i = this.#buckets[b]!;
    if (i === e.index) {
      this.#buckets[b] = e.nextInBucket;
    } else {
      while (i >= 0) {
        const x = this.entries[i]!;
        if (x.nextInBucket === e.index) {
          x.nextInBucket = e.nextInBucket;
          break;
        }
        i = x.nextInBucket;
      }
    }
    e.nextInBucket = -1;
    e.inUse = false;
    this.#count--;
  }

  /** Removes every entry (the interface goes away); static ones too when `all`. */
  clear(all: boolean): void {
    for (const e of this.entries) if (e.inUse && (all || e.state !== NeighborState.Permanent)) this.remove(e);
  }

  /** Adds a static (PERMANENT) entry. Returns false when the cache is full of static entries. */
  addStatic(addr4: number, addr6: Uint8Array | null, mac: Uint8Array): boolean {
    const e = this.#obtain(addr4, addr6, 0);
    if (e === null) return false;
    e.timer.cancel();
    e.mac.set(mac);
    e.state = NeighborState.Permanent;
    this.#unlinkIncomplete(e);
    this.#sendQueue(e);
    return true;
  }

  /**
   * The link-layer address to send to `addr` now, or null: then `nbl` was queued (resolution started or
   * in progress) or dropped and counted (cache full). Sending to a STALE entry starts NUD (→ DELAY).
   * @internal
   */
  resolve(addr4: number, addr6: Uint8Array | null, off: number, nbl: NetBufferList): NeighborEntry | null {
    const known = addr6 === null ? this.lookup4(addr4) : this.lookup6(addr6, off);
    if (known === null) {
      // A new resolution: it needs a solicitation now, and room among the INCOMPLETE entries.
      if (!this.#takeSolicit()) {
        nbl.next = null;
        this.owner.freeQueued(nbl, 1);
        return null;
      }
      if (this.#incomplete >= this.#maxIncomplete && this.#count < this.capacity) {
        this.counters.incompleteEvicted++;
        this.remove(this.entries[this.#oldestIncomplete]!);
      }
    }
    const e = known ?? this.#obtain(addr4, addr6, off);
    if (e === null) {
      this.counters.cacheFull++;
      nbl.next = null;
      this.owner.freeQueued(nbl, 1);
      return null;
    }
    const created = known === null && this.#created;
    e.touchedAt = this.timers.now();
    switch (e.state) {
      case NeighborState.Incomplete:
        this.#enqueue(e, nbl);
        if (created) {
          this.counters.resolutionsStarted++;
          e.probes = 1;
          this.owner.solicit(e, false);
          e.timer.set(this.timings.retransTimerMs);
        }
        return null;
      case NeighborState.Stale:
        e.state = NeighborState.Delay;
        e.timer.set(DELAY_FIRST_PROBE_TIME_MS);
        return e;
      default:
        return e;
    }
  }

  /** @internal Applies what a received ARP packet or NS/NA says about `addr` (RFC 4861 §7.2.3, §7.2.5). */
  update(addr4: number, addr6: Uint8Array | null, off: number, u: NeighborUpdate): NeighborEntry | null {
    let e: NeighborEntry | null;
    if (u.create) {
      if (u.mac === null) return null;
      e = this.#obtain(addr4, addr6, off);
      if (e === null) {
        this.counters.cacheFull++;
        return null;
      }
    } else {
      e = addr6 === null ? this.lookup4(addr4) : this.lookup6(addr6, off);
      if (e === null) return null;
    }
    if (e.state === NeighborState.Permanent) return e;
    if (u.isRouter !== null) e.isRouter = u.isRouter;
    const now = this.timers.now();
    const mac = u.mac;
    if (e.state === NeighborState.Incomplete) {
      if (mac === null) return e;
      this.#setMac(e, mac, u.macOffset);
      e.touchedAt = now;
      this.counters.resolved++;
      if (u.solicited) this.#reachable(e);
      else this.#stale(e);
      this.#sendQueue(e);
      return e;
    }
    const differs = mac !== null && !this.#sameMac(e, mac, u.macOffset);
    if (!u.override && differs) {
      // A non-override answer with another address does not replace ours, but casts doubt on it.
      if (e.state === NeighborState.Reachable) this.#stale(e);
      return e;
    }
    if (differs) this.#setMac(e, mac, u.macOffset);
    e.touchedAt = now;
    if (u.solicited) this.#reachable(e);
    else if (differs) this.#stale(e);
    return e;
  }

  #setMac(e: NeighborEntry, mac: Uint8Array, off: number): void {
    for (let i = 0; i < 6; i++) e.mac[i] = mac[off + i]!;
  }

  #sameMac(e: NeighborEntry, mac: Uint8Array, off: number): boolean {
    for (let i = 0; i < 6; i++) if (e.mac[i] !== mac[off + i]) return false;
    return true;
  }

  /** A multicast solicitation may go out now (rate limit; counts it when not). */
  #takeSolicit(): boolean {
    if (this.#solicits === null || this.#solicits.take(this.timers.now())) return true;
    this.counters.solicitRateLimited++;
    return false;
  }

  #reachable(e: NeighborEntry): void {
    this.#unlinkIncomplete(e);
    e.state = NeighborState.Reachable;
    e.probes = 0;
    e.timer.set(Math.floor(this.timings.reachableTimeMs * (0.5 + this.owner.random())));
  }

  #stale(e: NeighborEntry): void {
    this.#unlinkIncomplete(e);
    e.state = NeighborState.Stale;
    e.probes = 0;
    e.timer.cancel();
  }

  #expire(e: NeighborEntry): void {
    if (!e.inUse) return;
    switch (e.state) {
      case NeighborState.Incomplete:
        if (e.probes < MAX_MULTICAST_SOLICIT) {
          // A retry skipped for the rate limit still counts: the entry fails on time.
          e.probes++;
          if (this.#takeSolicit()) this.owner.solicit(e, false);
          e.timer.set(this.timings.retransTimerMs);
        } else {
          this.counters.resolutionFailed++;
          // The entry goes first: whatever the senders do when told (connect again…) starts afresh.
          const head = e.queueHead;
          const n = e.queueLength;
          e.queueHead = e.queueTail = null;
          e.queueLength = 0;
          this.#queued -= n;
          this.remove(e);
          if (head !== null) {
            this.counters.failedDrops += n;
            this.owner.unreachable(this.family, head, n);
          }
        }
        return;
      case NeighborState.Reachable:
        this.#stale(e);
        return;
      case NeighborState.Delay:
        e.state = NeighborState.Probe;
        e.probes = 1;
        this.counters.probes++;
        this.owner.solicit(e, true);
        e.timer.set(this.timings.retransTimerMs);
        return;
      case NeighborState.Probe:
        if (e.probes < MAX_UNICAST_SOLICIT) {
          e.probes++;
          this.counters.probes++;
          this.owner.solicit(e, true);
          e.timer.set(this.timings.retransTimerMs);
        } else {
          this.remove(e);
        }
        return;
      default:
        return;
    }
  }

  #enqueue(e: NeighborEntry, nbl: NetBufferList): void {
    nbl.next = null;
    if (e.queueLength >= this.timings.queueLimit) {
      this.counters.queueOverflow++;
      this.#dropOldest(e);
    } else if (this.#queued >= this.#queueTotal) {
      // The cache's total: the oldest packet of the oldest entry holding any goes (maybe e's own).
      let v = e;
      for (let i = this.#oldestIncomplete; i >= 0; i = this.entries[i]!.newerIncomplete) {
        if (this.entries[i]!.queueLength > 0) {
          v = this.entries[i]!;
          break;
        }
      }
      this.counters.queueTotalOverflow++;
      if (v.queueLength > 0) this.#dropOldest(v);
    }
    if (e.queueTail === null) e.queueHead = nbl;
    else e.queueTail.next = nbl;
    e.queueTail = nbl;
    e.queueLength++;
    this.#queued++;
    this.counters.queued++;
  }

  #dropOldest(e: NeighborEntry): void {
    const old = e.queueHead!;
    e.queueHead = old.next;
    if (e.queueHead === null) e.queueTail = null;
    old.next = null;
    e.queueLength--;
    this.#queued--;
    this.owner.freeQueued(old, 1);
  }

  #sendQueue(e: NeighborEntry): void {
    const head = e.queueHead;
    if (head === null) return;
    const n = e.queueLength;
    e.queueHead = e.queueTail = null;
    e.queueLength = 0;
    this.#queued -= n;
    this.owner.sendQueued(e, head, n);
  }

  #dropQueue(e: NeighborEntry): void {
    const head = e.queueHead;
    if (head === null) return;
    const n = e.queueLength;
    e.queueHead = e.queueTail = null;
    e.queueLength = 0;
    this.#queued -= n;
    this.counters.failedDrops += n;
    this.owner.freeQueued(head, n);
  }

  /** Queued NBLs over all entries (teardown checks, inspection). */
  get queuedPackets(): number {
    let n = 0;
    for (const e of this.entries) n += e.queueLength;
    return n;
  }

  /** A readable list for the inspector and tests (allocates). */
  list(format: (e: NeighborEntry) => string): { address: string; mac: string; state: string; queued: number }[] {
    const out: { address: string; mac: string; state: string; queued: number }[] = [];
    for (const e of this.entries) {
      if (!e.inUse) continue;
      const m = e.state === NeighborState.Incomplete ? '' : Array.from(e.mac, (b) => b.toString(16).padStart(2, '0')).join(':');
      out.push({ address: format(e), mac: m, state: neighborStateName(e.state), queued: e.queueLength });
    }
    return out;
  }
}
