/**
 * Fragment reassembly for IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5), with the limits a host needs against
 * hostile input:
 * - at most `maxDatagrams` datagrams in progress (a new one evicts the oldest) and `maxBytes` payload
 *   bytes held over all of them (the oldest others are evicted to make room);
 * - a datagram not complete `timeoutMs` after its first fragment is dropped (`onTimeout` may send
 *   ICMP time exceeded when its first fragment arrived);
 * - overlapping fragments discard the whole datagram (RFC 5722; applied to IPv4 too), exact duplicates
 *   are dropped alone; more than `maxFragments` fragments, a size beyond 65535, middle fragments not a
 *   multiple of 8 and fragments past the declared end are dropped and counted.
 *
 * Each datagram slot has a 64 KiB buffer, allocated the first time the slot is used and reused after,
 * so memory is bounded by `maxDatagrams × 64 KiB`. Received ranges are kept sorted in an Int32Array.
 * `offer` returns the completed slot; the caller delivers `buffer[0, totalLength)` and calls `release`.
 */
import { copy6, eq6, type IpFamily } from './addr.js';
import type { ReassemblyCounters } from './counters.js';
import type { IpInterface } from './interface.js';
import type { Datagram } from './packet.js';
import type { StackTimer, TimerQueue } from './timers.js';

export interface ReassemblyLimits {
  maxDatagrams: number;
  maxBytes: number;
  timeoutMs: number;
  maxFragments: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: Readonly<ReassemblyLimits> = Object.freeze({
  maxDatagrams: 64,
  maxBytes: 1 << 20,
  timeoutMs: 30_000,
  maxFragments: 64,
});

/** Largest reassembled payload: an IPv4 total length or IPv6 payload length is 16 bits. */
export const MAX_REASSEMBLED = 65535;

/** What identifies a datagram; the caller fills one per packet (no allocation). */
export class FragmentKey {
  family: IpFamily = 4;
  iface: IpInterface | null = null;
  src4 = 0;
  dst4 = 0;
  readonly src6 = new Uint8Array(16);
  readonly dst6 = new Uint8Array(16);
  id = 0;
  /** IPv4 protocol; for IPv6 part of the key only through the identification (RFC 8200). */
  protocol = 0;
}

export class ReassemblySlot {
  inUse = false;
  readonly key = new FragmentKey();
  buffer: Uint8Array | null = null;
  readonly ranges: Int32Array;
  rangeCount = 0;
  /** Payload length once the last fragment arrived, else -1. */
  totalLength = -1;
  heldBytes = 0;
  createdAt = 0;
  /** Next header after the fragment header of the first fragment (IPv6); IPv4 uses key.protocol. */
  nextHeader = 0;
  /** The first fragment's IP header (IPv4 with options; IPv6 fixed header), for quoting and delivery. */
  readonly header = new Uint8Array(60);
  headerLength = 0;
  /** True once the fragment at offset 0 arrived. */
  haveFirst = false;
  timer!: StackTimer;

  constructor(maxFragments: number) {
    this.ranges = new Int32Array(maxFragments * 2);
  }

  /**
   * Describes the datagram in `dg`: its addresses and interface, the first fragment's header and
   * `length` bytes of the reassembly buffer from 0 (protocol, cast and hop limit are the caller's).
   */
  toDatagram(dg: Datagram, length: number): void {
    const k = this.key;
    dg.family = k.family;
    dg.iface = k.iface;
    dg.src4 = k.src4;
    dg.dst4 = k.dst4;
    copy6(dg.src6, 0, k.src6, 0);
    copy6(dg.dst6, 0, k.dst6, 0);
    dg.hdrBytes = this.header;
    dg.hdrOffset = 0;
    dg.hdrLength = this.headerLength;
    dg.bytes = this.buffer!;
    dg.offset = 0;
    dg.length = length;
    dg.checksum = 0;
    dg.segments = 1;
  }
}

export interface ReassemblyOwner {
  /** A datagram timed out; `slot` is released after this returns. */
  onTimeout(slot: ReassemblySlot): void;
}

export class Reassembler {
  readonly slots: ReassemblySlot[];
  #heldBytes = 0;

  constructor(
    readonly limits: ReassemblyLimits,
    readonly counters: ReassemblyCounters,
    readonly timers: TimerQueue,
    readonly owner: ReassemblyOwner,
  ) {
    this.slots = [];
    for (let i = 0; i < limits.maxDatagrams; i++) {
      const s = new ReassemblySlot(limits.maxFragments);
      s.timer = timers.create(() => this.#timeout(s));
      this.slots.push(s);
    }
  }

  get inProgress(): number {
    let n = 0;
    for (const s of this.slots) if (s.inUse) n++;
    return n;
  }

  get heldBytes(): number {
    return this.#heldBytes;
  }

  #find(k: FragmentKey): ReassemblySlot | null {
    for (const s of this.slots) {
      if (!s.inUse) continue;
      const x = s.key;
      if (x.family !== k.family || x.id !== k.id || x.iface !== k.iface) continue;
      if (k.family === 4 ? x.src4 === k.src4 && x.dst4 === k.dst4 && x.protocol === k.protocol : eq6(x.src6, 0, k.src6, 0) && eq6(x.dst6, 0, k.dst6, 0)) return s;
    }
    return null;
  }

  #allocate(k: FragmentKey): ReassemblySlot {
    let s: ReassemblySlot | null = null;
    for (const x of this.slots) {
      if (!x.inUse) {
        s = x;
        break;
      }
    }
    if (s === null) {
      for (const x of this.slots) if (s === null || x.createdAt < s.createdAt) s = x;
      this.counters.evicted++;
      this.release(s!);
    }
    const slot = s!;
    slot.inUse = true;
    const key = slot.key;
    key.family = k.family;
    key.iface = k.iface;
    key.src4 = k.src4;
    key.dst4 = k.dst4;
    copy6(key.src6, 0, k.src6, 0);
    copy6(key.dst6, 0, k.dst6, 0);
    key.id = k.id;
    key.protocol = k.protocol;
    slot.rangeCount = 0;
    slot.totalLength = -1;
    slot.heldBytes = 0;
    slot.haveFirst = false;
    slot.headerLength = 0;
    slot.nextHeader = 0;
    slot.createdAt = this.timers.now();
    slot.timer.set(this.limits.timeoutMs);
    slot.buffer ??= new Uint8Array(MAX_REASSEMBLED + 1);
    return slot;
  }

  release(s: ReassemblySlot): void {
    if (!s.inUse) return;
    s.inUse = false;
    s.timer.cancel();
    this.#heldBytes -= s.heldBytes;
    s.heldBytes = 0;
    s.rangeCount = 0;
    s.key.iface = null;
  }

  /** Drops every datagram that arrived on `iface` (the interface goes away). */
  releaseInterface(iface: IpInterface): void {
    for (const s of this.slots) if (s.inUse && s.key.iface === iface) this.release(s);
  }

  #discard(s: ReassemblySlot): void {
    this.counters.discarded++;
    this.release(s);
  }

  /**
   * Offers one fragment: `len` payload bytes at `bytes[off]` that belong at `fragOffset` of the datagram
   * `k`; `more` is the MF flag. The fragment's IP header is `hdr[hdrOff, +hdrLen)` (kept from the first
   * fragment). For IPv6, `nextHeader` is the fragment header's Next Header. Returns the slot when this
   * fragment completed the datagram, else null. Counts exactly one terminal outcome for the fragment.
   */
  offer(
    k: FragmentKey,
    fragOffset: number,
    more: boolean,
    bytes: Uint8Array,
    off: number,
    len: number,
    hdr: Uint8Array,
    hdrOff: number,
    hdrLen: number,
    nextHeader: number,
  ): ReassemblySlot | null {
    const c = this.counters;
    c.fragments++;
    if (len === 0 || (more && (len & 7) !== 0)) {
      c.badFragment++;
      return null;
    }
    const end = fragOffset + len;
    let s = this.#find(k);
    if (end > MAX_REASSEMBLED) {
      c.tooBig++;
      if (s !== null) this.#discard(s);
      return null;
    }
    s ??= this.#allocate(k);
    // Consistency with the end the last fragment declared.
    if (!more) {
      if ((s.totalLength >= 0 && s.totalLength !== end) || (s.rangeCount > 0 && s.ranges[s.rangeCount * 2 - 1]! > end)) {
        c.badEnd++;
        this.#discard(s);
        return null;
      }
    } else if (s.totalLength >= 0 && end > s.totalLength) {
      c.badEnd++;
      this.#discard(s);
      return null;
    }
    // Overlap (RFC 5722) or exact duplicate; find the insertion point at the same time.
    const r = s.ranges;
    let at = s.rangeCount;
    for (let i = 0; i < s.rangeCount; i++) {
      const a = r[i * 2]!;
      const b = r[i * 2 + 1]!;
      if (fragOffset === a && end === b) {
        c.duplicate++;
        return null;
      }
      if (fragOffset < b && a < end) {
        c.overlap++;
        this.#discard(s);
        return null;
      }
      if (at === s.rangeCount && fragOffset < a) at = i;
    }
    if (s.rangeCount === this.limits.maxFragments) {
      c.tooManyFragments++;
      this.#discard(s);
      return null;
    }
    // Byte budget: evict the oldest other datagrams until this fragment fits.
    while (this.#heldBytes + len > this.limits.maxBytes) {
      let oldest: ReassemblySlot | null = null;
      for (const x of this.slots) if (x.inUse && x !== s && (oldest === null || x.createdAt < oldest.createdAt)) oldest = x;
      if (oldest === null) break;
      c.evicted++;
      this.release(oldest);
    }
    if (this.#heldBytes + len > this.limits.maxBytes) {
      // This datagram alone exceeds the budget.
      c.tooBig++;
      this.#discard(s);
      return null;
    }
    for (let i = s.rangeCount; i > at; i--) {
      r[i * 2] = r[i * 2 - 2]!;
      r[i * 2 + 1] = r[i * 2 - 1]!;
    }
    r[at * 2] = fragOffset;
    r[at * 2 + 1] = end;
    s.rangeCount++;
    const buf = s.buffer!;
    if (buf.length - fragOffset >= len) buf.set(bytes.subarray(off, off + len), fragOffset);
    s.heldBytes += len;
    this.#heldBytes += len;
    if (!more) s.totalLength = end;
    if (fragOffset === 0) {
      s.haveFirst = true;
      s.nextHeader = nextHeader;
      const hl = Math.min(hdrLen, s.header.length);
      s.header.set(hdr.subarray(hdrOff, hdrOff + hl));
      s.headerLength = hl;
    }
    c.stored++;
    if (s.totalLength < 0 || r[0] !== 0) return null;
    for (let i = 1; i < s.rangeCount; i++) if (r[i * 2] !== r[i * 2 - 1]) return null;
    if (r[s.rangeCount * 2 - 1] !== s.totalLength) return null;
    c.reassembled++;
    return s;
  }

  #timeout(s: ReassemblySlot): void {
    if (!s.inUse) return;
    this.counters.timeouts++;
    this.owner.onTimeout(s);
    this.release(s);
  }
}
