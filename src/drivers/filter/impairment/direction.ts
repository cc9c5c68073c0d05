/**
 * One direction of the impairment filter (send or receive): the decisions and the queues, with no NDIS
 * calls of its own. What happens to an NBL (hand it on, give it back, copy it) is the `FramePort`'s job,
 * which the module implements once per direction.
 *
 * Pipeline of one frame (one NBL; its NetBuffers share every decision):
 *
 *   classify ─► loss ─► burst loss ─► corrupt ─► duplicate ─┬─► schedule ─► (hand on now | delay line)
 *                (each drop is counted and the NBL given back)  └─► hold back (reorder) ─► schedule later
 *
 *   schedule:   depart  = token bucket (rate, burst)            rate-limited when depart > now
 *               release = depart + delay ± jitter, and not before the previous frame's release unless
 *                         jitter may reorder                    delayed when release > depart
 *               release <= now ⇒ handed on in this call; else held in the delay line (a binary heap on
 *               (release, arrival order)) until a timer or a later call releases it.
 *   hold back:  a reordered frame waits in a FIFO until `reorderGap` later frames entered `schedule`
 *               or `reorderMaxHoldMs` passed, then enters `schedule` itself, behind them.
 *
 * Everything held sits in one slot table of `capacity` entries allocated up front; `queueFrames`
 * (≤ capacity) bounds what may be held at once and a frame beyond it is dropped (droppedQueue). Random
 * decisions come from this direction's SeededRandom only, and only when the feature is configured, so
 * the same seed, parameters and frames give the same decisions.
 *
 * Hot path: no allocation, closure or exception per frame; the arrays below are created once.
 */
import { ByteSpan, type NdisDropCounter, type NetBuffer, type NetBufferList } from '../../../ndis/index.js';
import { SeededRandom } from '../../../util/random.js';
import {
  CLASSIFY_BYTES,
  COUNTER,
  COUNTER_COUNT,
  FRAME_CLASSES,
  FRAME_CLASS_COUNT,
  IMPAIRMENT_COUNTERS,
  classifyNetBuffer,
  type FrameClass,
  type ImpairmentCounter,
} from './classify.js';
import { MAX_CORRUPT_BITS, MAX_DUPLICATE_COUNT, changedParams, mergeParams, type ImpairmentDirectionName, type ImpairmentParams } from './params.js';

/** The module's named drop counters (src/ndis/drops.ts), shared by both directions. */
export interface ImpairmentDrops {
  readonly loss: NdisDropCounter;
  readonly burstLoss: NdisDropCounter;
  readonly queueFull: NdisDropCounter;
  readonly noResources: NdisDropCounter;
  readonly flushed: NdisDropCounter;
}

/** What the module does with NBLs on behalf of a direction. */
export interface FramePort {
  /** Hands `nbl` on (down for sends, up for receives). */
  emit(nbl: NetBufferList, portNumber: number): void;
  /** Gives up an NBL the filter will not hand on: the originator gets it back, a filter copy is freed. */
  discard(nbl: NetBufferList): void;
  /** A filter-owned copy of `nbl` (every NetBuffer and the OOB info), or null (pool empty, frame too big). */
  copy(nbl: NetBufferList): NetBufferList | null;
  /** True when `nbl` must be copied before the filter holds it past the current call (a receive original). */
  mustCopyToHold(nbl: NetBufferList): boolean;
}

const OFFERED = COUNTER.offered;
const PASSED = COUNTER.passed;
const DROPPED_RANDOM = COUNTER.droppedRandom;
const DROPPED_BURST = COUNTER.droppedBurst;
const DROPPED_QUEUE = COUNTER.droppedQueue;
const DROPPED_NO_RESOURCES = COUNTER.droppedNoResources;
const DELAYED = COUNTER.delayed;
const RATE_LIMITED = COUNTER.rateLimited;
const REORDERED = COUNTER.reordered;
const DUPLICATED = COUNTER.duplicated;
const CORRUPTED = COUNTER.corrupted;
const COPY_FAILED = COUNTER.copyFailed;

/** Normal jitter is cut at this many σ. */
const NORMAL_CUTOFF = 3;

/**
 * Probabilities as integer limits on a 30-bit draw (`draw30() <= limit`, −1 = never, 2^30 − 1 = always):
 * the data path then only moves small integers, which V8 never boxes (a double passed to a call that is
 * not inlined allocates). Resolution 2^−30.
 */
const LIMIT_LOSS = 0;
const LIMIT_BURST_ENTER = 1;
const LIMIT_BURST_EXIT = 2;
const LIMIT_BURST_GOOD = 3;
const LIMIT_BURST_BAD = 4;
const LIMIT_CORRUPT = 5;
const LIMIT_DUPLICATE = 6;
const LIMIT_REORDER = 7;
const LIMIT_COUNT = 8;
const DRAW_RANGE = 2 ** 30;

/**
 * Slots of the direction's Float64Array state. Times and levels live there, never in object fields or
 * in locals that merge with other values: V8 boxes a double stored in a field or carried through such a
 * merge, which would allocate per frame.
 */
const TOKENS = 0; // bucket level (bits) at BUCKET_TIME
const BUCKET_TIME = 1; // may lie ahead of now while a backlog drains
const LAST_RELEASE = 2; // release time of the last frame scheduled (order keeping)
const SPARE_NORMAL = 3; // second value of a Box–Muller pair
const NORMAL = 4; // last normal deviate
const SAMPLE = 5; // last delay sample
const DEPART = 6; // the frame being scheduled: when the bucket lets it go
const RELEASE = 7; // … and when it leaves the delay line
const TOKENS_AFTER = 8; // … and the bucket level it leaves behind
const F64_SLOTS = 9;

function limitOf(p: number): number {
  return p <= 0 ? -1 : Math.min(DRAW_RANGE - 1, Math.round(p * DRAW_RANGE) - 1);
}

export interface DirectionStats {
  readonly totals: Record<ImpairmentCounter, number>;
  readonly byClass: Record<FrameClass, Record<ImpairmentCounter, number>>;
  /** Frames held now (delay line, rate backlog, held back). */
  readonly held: number;
}

function frameBytes(nbl: NetBufferList): number {
  let n = 0;
  for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) n += nb.dataLength;
  return n;
}

export class ImpairmentDirection {
  readonly name: ImpairmentDirectionName;
  /** Slots allocated at attach: the most `params.queueFrames` may be. */
  readonly capacity: number;
  /** counters[class * COUNTER_COUNT + counter]. */
  readonly counters = new Float64Array(FRAME_CLASS_COUNT * COUNTER_COUNT);
  /** Due time of the armed timer (the module's), Infinity when not armed. */
  armedDue = Infinity;

  #params: ImpairmentParams;
  readonly #limits = new Int32Array(LIMIT_COUNT);
  readonly #port: FramePort;
  #random: SeededRandom;
  #hasSpareNormal = false;
  /** Gilbert–Elliott state. */
  #bad = false;
  /** Times and levels (see the slot constants). */
  readonly #f = new Float64Array(F64_SLOTS);
  /** Frames that entered `schedule` (not counting held-back ones coming back): the reorder gap's clock. */
  #passCount = 0;
  #arrival = 0;
  /** Slots whose NBL was cancelled; freed when their queue reaches them. */
  #cancelled = 0;

  // Slot table: one entry per held frame.
  readonly #slotNbl: (NetBufferList | null)[];
  readonly #slotRelease: Float64Array;
  readonly #slotArrival: Float64Array;
  readonly #slotPassAt: Float64Array;
  readonly #slotDeadline: Float64Array;
  readonly #slotClass: Uint8Array;
  readonly #slotPort: Int32Array;
  readonly #freeSlots: Int32Array;
  #freeTop: number;
  /** Delay line: binary min-heap of slot indices on (release, arrival). */
  readonly #heap: Int32Array;
  #heapSize = 0;
  /** Held-back frames: FIFO ring of slot indices (passAt and deadline both increase along it). */
  readonly #ring: Int32Array;
  #ringHead = 0;
  #ringCount = 0;

  readonly #duplicates: (NetBufferList | null)[] = new Array<NetBufferList | null>(MAX_DUPLICATE_COUNT).fill(null);
  readonly #bitPositions = new Int32Array(MAX_CORRUPT_BITS);
  readonly #scratch = new Uint8Array(CLASSIFY_BYTES);
  readonly #span = new ByteSpan();
  /** Class and port of the frame `takeHeld` returned last. */
  takenClass = 0;
  takenPort = 0;

  readonly #drops: ImpairmentDrops | null;

  constructor(name: ImpairmentDirectionName, params: ImpairmentParams, capacity: number, port: FramePort, now: number, drops: ImpairmentDrops | null = null) {
    this.name = name;
    this.#drops = drops;
    this.capacity = capacity;
    this.#port = port;
    this.#params = mergeParams(params, {}, capacity);
    this.#setLimits();
    this.#random = new SeededRandom(ImpairmentDirection.streamSeed(name, params.seed));
    this.#slotNbl = new Array<NetBufferList | null>(capacity).fill(null);
    this.#slotRelease = new Float64Array(capacity);
    this.#slotArrival = new Float64Array(capacity);
    this.#slotPassAt = new Float64Array(capacity);
    this.#slotDeadline = new Float64Array(capacity);
    this.#slotClass = new Uint8Array(capacity);
    this.#slotPort = new Int32Array(capacity);
    this.#freeSlots = Int32Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
    this.#freeTop = capacity;
    this.#heap = new Int32Array(capacity);
    this.#ring = new Int32Array(capacity);
    this.#f[LAST_RELEASE] = -Infinity;
    this.resetBucket(now);
  }

  /** The generator seed of a direction: send uses `seed`, receive a fixed transform of it (distinct streams). */
  static streamSeed(name: ImpairmentDirectionName, seed: number): number {
    return name === 'send' ? seed >>> 0 : (seed ^ 0x5bd1e995) >>> 0;
  }

  get params(): ImpairmentParams {
    return this.#params;
  }

  /** Frames held now. */
  get held(): number {
    return this.capacity - this.#freeTop - this.#cancelled;
  }

  /** Room for one more held frame: under `queueFrames`, and a slot free (cancelled ones still occupy theirs). */
  #canHold(): boolean {
    return this.held < this.#params.queueFrames && this.#freeTop > 0;
  }

  /**
   * Changes parameters at run time (control path). Throws RangeError for impossible values, changing
   * nothing. A new seed restarts the generator; a new rate refills the bucket; held frames keep their
   * release times.
   */
  configure(change: Partial<ImpairmentParams>, now: number): void {
    const next = mergeParams(this.#params, change, this.capacity);
    const old = this.#params;
    this.#params = next;
    this.#setLimits();
    if (change.seed !== undefined) {
      this.#random = new SeededRandom(ImpairmentDirection.streamSeed(this.name, next.seed));
      this.#hasSpareNormal = false;
    }
    if (next.burstEnterProbability === 0) this.#bad = false;
    if (next.rateBps !== old.rateBps || next.rateBurstBytes !== old.rateBurstBytes) this.resetBucket(now);
  }

  #setLimits(): void {
    const p = this.#params;
    const l = this.#limits;
    l[LIMIT_LOSS] = limitOf(p.lossProbability);
    l[LIMIT_BURST_ENTER] = limitOf(p.burstEnterProbability);
    l[LIMIT_BURST_EXIT] = limitOf(p.burstExitProbability);
    l[LIMIT_BURST_GOOD] = limitOf(p.burstLossGoodProbability);
    l[LIMIT_BURST_BAD] = limitOf(p.burstLossBadProbability);
    l[LIMIT_CORRUPT] = limitOf(p.corruptProbability);
    l[LIMIT_DUPLICATE] = limitOf(p.duplicateProbability);
    l[LIMIT_REORDER] = limitOf(p.reorderProbability);
  }

  /** One decision with probability `limits[which]`; draws nothing when that probability is 0. */
  #hit(which: number): boolean {
    const limit = this.#limits[which]!;
    return limit >= 0 && this.#random.draw30() <= limit;
  }

  /** Full bucket from `now` (restart, new rate). */
  resetBucket(now: number): void {
    this.#f[TOKENS] = Infinity;
    this.#f[BUCKET_TIME] = now;
  }

  // ---------------------------------------------------------------------------------------------
  // Data path

  /** One NBL entering this direction (`nbl.next` is null). Every outcome goes through the port. */
  process(nbl: NetBufferList, portNumber: number, now: number): void {
    const p = this.#params;
    const port = this.#port;
    const c = this.counters;
    const cls = classifyNetBuffer(nbl.firstNetBuffer, this.#scratch, this.#span);
    const base = cls * COUNTER_COUNT;
    c[base + OFFERED]!++;
    if (this.#hit(LIMIT_LOSS)) {
      c[base + DROPPED_RANDOM]!++;
      this.#drops?.loss.drop(nbl.firstNetBuffer);
      port.discard(nbl);
      return;
    }
    if (p.burstEnterProbability > 0) {
      // Decide with the current state's loss probability, then move.
      const bad = this.#bad;
      const lost = this.#hit(bad ? LIMIT_BURST_BAD : LIMIT_BURST_GOOD);
      this.#bad = bad ? !this.#hit(LIMIT_BURST_EXIT) : this.#hit(LIMIT_BURST_ENTER);
      if (lost) {
        c[base + DROPPED_BURST]!++;
        this.#drops?.burstLoss.drop(nbl.firstNetBuffer);
        port.discard(nbl);
        return;
      }
    }
    let frame = nbl;
    if (this.#hit(LIMIT_CORRUPT) && this.#corruptible(nbl, p.corruptSkipBytes)) {
      // Never in place: the originator's (or the miniport's) buffer stays as it was.
      const copy = port.copy(nbl);
      if (copy === null) {
        c[base + COPY_FAILED]!++;
      } else {
        this.#corrupt(copy, p.corruptBits, p.corruptSkipBytes);
        c[base + CORRUPTED]!++;
        port.discard(nbl);
        frame = copy;
      }
    }
    let duplicates = 0;
    if (this.#hit(LIMIT_DUPLICATE)) {
      // Copied before the frame is scheduled: once handed on it is no longer ours to read.
      for (; duplicates < p.duplicateCount; duplicates++) {
        const d = port.copy(frame);
        if (d === null) {
          c[base + COPY_FAILED]! += p.duplicateCount - duplicates;
          break;
        }
        this.#duplicates[duplicates] = d;
      }
      c[base + DUPLICATED]! += duplicates;
    }
    if (this.#hit(LIMIT_REORDER)) this.#holdBack(frame, cls, portNumber, now);
    else this.#schedule(frame, cls, portNumber, now, true);
    for (let i = 0; i < duplicates; i++) {
      const d = this.#duplicates[i]!;
      this.#duplicates[i] = null;
      this.#schedule(d, cls, portNumber, now, true);
    }
  }

  /** Hands on every held frame due at `now` (delay line) and brings back held-back frames past their deadline. */
  releaseDue(now: number): void {
    const port = this.#port;
    const c = this.counters;
    for (;;) {
      const fromHeap = this.#heapSize > 0 ? this.#slotRelease[this.#heap[0]!]! : Infinity;
      const fromRing = this.#ringCount > 0 ? this.#slotDeadline[this.#ring[this.#ringHead]!]! : Infinity;
      if (fromRing <= fromHeap) {
        if (fromRing > now) return;
        const slot = this.#ringShift();
        const nbl = this.#releaseSlot(slot);
        if (nbl !== null) this.#schedule(nbl, this.#slotClass[slot]!, this.#slotPort[slot]!, now, false);
      } else {
        if (fromHeap > now) return;
        const slot = this.#heapPop();
        const nbl = this.#releaseSlot(slot);
        if (nbl !== null) {
          c[this.#slotClass[slot]! * COUNTER_COUNT + PASSED]!++;
          port.emit(nbl, this.#slotPort[slot]!);
        }
      }
    }
  }

  /** When the next held frame is due (for the module's timer); Infinity when nothing is held. */
  nextDue(): number {
    const fromHeap = this.#heapSize > 0 ? this.#slotRelease[this.#heap[0]!]! : Infinity;
    const fromRing = this.#ringCount > 0 ? this.#slotDeadline[this.#ring[this.#ringHead]!]! : Infinity;
    return fromHeap < fromRing ? fromHeap : fromRing;
  }

  /**
   * Control path (pause, surprise removal): takes the next held frame, delay line first in release order,
   * then held-back frames, or null when nothing is left. `takenClass` / `takenPort` describe it. The
   * caller counts it (`count`) and decides what becomes of it. Order keeping starts afresh afterwards.
   */
  takeHeld(): NetBufferList | null {
    for (;;) {
      let slot: number;
      if (this.#heapSize > 0) slot = this.#heapPop();
      else if (this.#ringCount > 0) slot = this.#ringShift();
      else {
        this.#f[LAST_RELEASE] = -Infinity;
        return null;
      }
      const nbl = this.#releaseSlot(slot);
      if (nbl === null) continue; // cancelled earlier
      this.takenClass = this.#slotClass[slot]!;
      this.takenPort = this.#slotPort[slot]!;
      return nbl;
    }
  }

  /**
   * Control path (FilterCancelSendNetBufferLists): every held NBL for which `matches` is true leaves the
   * queues at once through `take` (counted droppedFlushed); its slot is freed when the queue reaches it.
   */
  cancel(matches: (nbl: NetBufferList) => boolean, take: (nbl: NetBufferList) => void): number {
    let n = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      const nbl = this.#slotNbl[slot];
      if (nbl === null || nbl === undefined || !matches(nbl)) continue;
      this.#slotNbl[slot] = null;
      this.#cancelled++;
      this.count(this.#slotClass[slot]!, 'droppedFlushed', nbl);
      take(nbl);
      n++;
    }
    return n;
  }

  /** Adds one to a counter (control paths); a flushed `nbl` is also recorded as an impairmentFlushed drop. */
  count(cls: number, counter: ImpairmentCounter, nbl?: NetBufferList): void {
    this.counters[cls * COUNTER_COUNT + COUNTER[counter]]!++;
    if (counter === 'droppedFlushed') this.#drops?.flushed.drop(nbl?.firstNetBuffer);
  }

  // ---------------------------------------------------------------------------------------------
  // Stages

  /** Token bucket, delay line and hand-on; `counts` says whether the frame advances the reorder gap. */
  #schedule(frame: NetBufferList, cls: number, portNumber: number, now: number, counts: boolean): void {
    const p = this.#params;
    const port = this.#port;
    const c = this.counters;
    const f = this.#f;
    const base = cls * COUNTER_COUNT;
    f[DEPART] = now;
    if (p.rateBps > 0) {
      // Worked out ahead (TOKENS_AFTER) and only committed when the frame is not dropped.
      const bits = frameBytes(frame) * 8;
      const perMs = p.rateBps / 1000;
      const depth = Math.max(p.rateBurstBytes * 8, bits);
      const t0 = Math.max(now, f[BUCKET_TIME]!);
      const tokens = Math.min(depth, f[TOKENS]! + (t0 - f[BUCKET_TIME]!) * perMs);
      if (tokens >= bits) {
        f[DEPART] = t0;
        f[TOKENS_AFTER] = tokens - bits;
      } else {
        f[DEPART] = t0 + (bits - tokens) / perMs;
        f[TOKENS_AFTER] = 0;
      }
    }
    f[RELEASE] = f[DEPART]!;
    if (p.delayMs > 0 || p.jitterMs > 0) {
      this.#delaySample(p);
      f[RELEASE] = f[DEPART]! + f[SAMPLE]!;
    }
    if (!p.jitterReorders) f[RELEASE] = Math.max(f[RELEASE]!, f[LAST_RELEASE]!);
    const hold = f[RELEASE]! > now;
    if (hold) {
      // A dropped frame costs no tokens and does not count as going ahead of held-back frames.
      if (!this.#canHold()) {
        c[base + DROPPED_QUEUE]!++;
        this.#drops?.queueFull.drop(frame.firstNetBuffer);
        port.discard(frame);
        return;
      }
      if (port.mustCopyToHold(frame)) {
        const copy = port.copy(frame);
        if (copy === null) {
          c[base + DROPPED_NO_RESOURCES]!++;
          this.#drops?.noResources.drop(frame.firstNetBuffer);
          port.discard(frame);
          return;
        }
        port.discard(frame);
        frame = copy;
      }
    }
    // State first: handing on may re-enter this direction (a partial flush calls NDIS).
    if (p.rateBps > 0) {
      f[TOKENS] = f[TOKENS_AFTER]!;
      f[BUCKET_TIME] = f[DEPART]!;
    }
    f[LAST_RELEASE] = Math.max(f[LAST_RELEASE]!, f[RELEASE]!);
    if (hold) {
      const slot = this.#takeSlot(frame, cls, portNumber);
      this.#slotRelease[slot] = f[RELEASE]!;
      this.#slotArrival[slot] = this.#arrival++;
      this.#heapPush(slot);
      if (f[DEPART]! > now) c[base + RATE_LIMITED]!++;
      if (f[RELEASE]! > f[DEPART]!) c[base + DELAYED]!++;
    } else {
      c[base + PASSED]!++;
      port.emit(frame, portNumber);
    }
    if (counts) this.#advanceGap(now);
  }

  /** One more frame went ahead: held-back frames whose gap is complete enter `schedule` behind it. */
  #advanceGap(now: number): void {
    const pass = ++this.#passCount;
    while (this.#ringCount > 0 && this.#slotPassAt[this.#ring[this.#ringHead]!]! <= pass) {
      const slot = this.#ringShift();
      const nbl = this.#releaseSlot(slot);
      if (nbl !== null) this.#schedule(nbl, this.#slotClass[slot]!, this.#slotPort[slot]!, now, false);
    }
  }

  #holdBack(frame: NetBufferList, cls: number, portNumber: number, now: number): void {
    const p = this.#params;
    const port = this.#port;
    const base = cls * COUNTER_COUNT;
    if (!this.#canHold()) {
      this.counters[base + DROPPED_QUEUE]!++;
      port.discard(frame);
      return;
    }
    if (port.mustCopyToHold(frame)) {
      const copy = port.copy(frame);
      port.discard(frame);
      if (copy === null) {
        this.counters[base + DROPPED_NO_RESOURCES]!++;
        return;
      }
      frame = copy;
    }
    const slot = this.#takeSlot(frame, cls, portNumber);
    this.#slotPassAt[slot] = this.#passCount + p.reorderGap;
    this.#slotDeadline[slot] = now + p.reorderMaxHoldMs;
    this.#ring[(this.#ringHead + this.#ringCount) % this.capacity] = slot;
    this.#ringCount++;
    this.counters[base + REORDERED]!++;
  }

  /** delay ± jitter, never below 0, into f[SAMPLE]. */
  #delaySample(p: ImpairmentParams): void {
    const f = this.#f;
    const j = p.jitterMs;
    f[SAMPLE] = p.delayMs;
    if (j > 0) {
      if (p.jitterDistribution === 'uniform') {
        f[SAMPLE] = p.delayMs + (2 * this.#random.next() - 1) * j;
      } else {
        this.#normal();
        f[SAMPLE] = p.delayMs + Math.max(-NORMAL_CUTOFF, Math.min(NORMAL_CUTOFF, f[NORMAL]!)) * j;
      }
    }
    f[SAMPLE] = Math.max(0, f[SAMPLE]!);
  }

  /** A standard normal deviate into f[NORMAL] (Box–Muller; the second of each pair is kept for the next call). */
  #normal(): void {
    const f = this.#f;
    if (this.#hasSpareNormal) {
      this.#hasSpareNormal = false;
      f[NORMAL] = f[SPARE_NORMAL]!;
      return;
    }
    const u1 = 1 - this.#random.next(); // (0, 1]: log is finite
    const u2 = this.#random.next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    f[SPARE_NORMAL] = radius * Math.sin(2 * Math.PI * u2);
    f[NORMAL] = radius * Math.cos(2 * Math.PI * u2);
    this.#hasSpareNormal = true;
  }

  #corruptible(nbl: NetBufferList, skip: number): boolean {
    for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) if (nb.dataLength > skip) return true;
    return false;
  }

  /**
   * Flips `bits` distinct bits of each NetBuffer of `copy` (fewer when it has fewer eligible bits), none
   * in the first `skip` bytes. Bits are numbered from the most significant bit of byte `skip`. `copy` is
   * one of the filter's own NBLs: each NetBuffer is one pool MDL starting at offset 0.
   */
  #corrupt(copy: NetBufferList, bits: number, skip: number): void {
    const r = this.#random;
    const chosen = this.#bitPositions;
    for (let nb: NetBuffer | null = copy.firstNetBuffer; nb !== null; nb = nb.next) {
      const eligible = (nb.dataLength - skip) * 8;
      if (eligible <= 0) continue;
      const n = bits < eligible ? bits : eligible;
      let k = 0;
      while (k < n) {
        const pos = r.below(eligible);
        let seen = false;
        for (let i = 0; i < k; i++) if (chosen[i] === pos) seen = true;
        if (!seen) chosen[k++] = pos;
      }
      const m = nb.currentMdl!;
      const at = m.byteOffset + nb.currentMdlOffset + skip;
      for (let i = 0; i < n; i++) {
        const pos = chosen[i]!;
        m.bytes[at + (pos >> 3)]! ^= 0x80 >> (pos & 7);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Slots, heap, ring

  #takeSlot(nbl: NetBufferList, cls: number, portNumber: number): number {
    const slot = this.#freeSlots[--this.#freeTop]!;
    this.#slotNbl[slot] = nbl;
    this.#slotClass[slot] = cls;
    this.#slotPort[slot] = portNumber;
    return slot;
  }

  /** Frees `slot` and returns what it held (null when it was cancelled). */
  #releaseSlot(slot: number): NetBufferList | null {
    const nbl = this.#slotNbl[slot] ?? null;
    if (nbl === null) this.#cancelled--;
    this.#slotNbl[slot] = null;
    this.#freeSlots[this.#freeTop++] = slot;
    return nbl;
  }

  #ringShift(): number {
    const slot = this.#ring[this.#ringHead]!;
    this.#ringHead = (this.#ringHead + 1) % this.capacity;
    this.#ringCount--;
    return slot;
  }

  #less(a: number, b: number): boolean {
    const ra = this.#slotRelease[a]!;
    const rb = this.#slotRelease[b]!;
    return ra < rb || (ra === rb && this.#slotArrival[a]! < this.#slotArrival[b]!);
  }

  #heapPush(slot: number): void {
    const h = this.#heap;
    let i = this.#heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = h[parent]!;
      if (!this.#less(slot, ps)) break;
      h[i] = ps;
      i = parent;
    }
    h[i] = slot;
  }

  #heapPop(): number {
    const h = this.#heap;
    const top = h[0]!;
    const last = h[--this.#heapSize]!;
    const n = this.#heapSize;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.#less(h[r]!, h[l]!) ? r : l;
      if (!this.#less(h[child]!, last)) break;
      h[i] = h[child]!;
      i = child;
    }
    if (n > 0) h[i] = last;
    return top;
  }

  // ---------------------------------------------------------------------------------------------
  // Inspection

  stats(): DirectionStats {
    const totals = {} as Record<ImpairmentCounter, number>;
    const byClass = {} as Record<FrameClass, Record<ImpairmentCounter, number>>;
    for (const k of IMPAIRMENT_COUNTERS) totals[k] = 0;
    FRAME_CLASSES.forEach((cls, ci) => {
      const row = {} as Record<ImpairmentCounter, number>;
      IMPAIRMENT_COUNTERS.forEach((k, ki) => {
        const v = this.counters[ci * COUNTER_COUNT + ki]!;
        row[k] = v;
        totals[k] += v;
      });
      byClass[cls] = row;
    });
    return { totals, byClass, held: this.held };
  }

  /** Compact form for the inspector: changed parameters, non-zero counters, held frames. */
  inspect(): Record<string, unknown> {
    const s = this.stats();
    const nonZero = (row: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== 0));
    const classes: Record<string, Record<string, number>> = {};
    for (const cls of FRAME_CLASSES) {
      const row = nonZero(s.byClass[cls]);
      if (Object.keys(row).length > 0) classes[cls] = row;
    }
    return { params: changedParams(this.#params), seed: this.#params.seed, held: s.held, totals: nonZero(s.totals), classes };
  }
}
