/**
 * One processor of a ProcessorSet, as its own thread sees it: its scheduler (timers, DPC queue), its
 * view of the slabs, its ends of the rings to and from every other processor, and the crossing-edge
 * ends that live on it. The loop that runs it (the simulated set's seeded steps today, a worker's
 * ProcessorLoop later) calls `drainDescriptors`, `drainReturns` and, after every step, `flush`.
 *
 *   processor A                                  processor B
 *   CrossingHome ── nblOut[B] ═══ NblRing A→B ═══► nblIn[A] ── drainDescriptors ─► CrossingFar ─► target
 *   (ledger)     ◄─ retIn[B] ◄══ ReturnRing B→A ══ retOut[A] ◄── flush/return ──── (shells back)
 *
 * Everything a consumer reads is checked: a descriptor no encoder writes is rejected and returned home
 * (counted), an unknown slab id parks the ring until the slab is announced (or 250 ms pass: dropped,
 * counted), and a ring whose indices are impossible or whose descriptor cannot be stepped over is
 * killed — its far ends then wait for their shells and tell each home to reclaim what it lent.
 */
import type { NdisPollSource } from '../../ndis/driver-api.js';
import { NDIS_STATUS_INVALID_DATA, type NdisStatus } from '../../ndis/status.js';
import type { Scheduler } from '../time/scheduler.js';
import type { CrossingFar, CrossingHome } from './crossing-edge.js';
import { BadDescriptor, DescriptorView } from './descriptor.js';
import type { RingConsumer, RingProducer } from './nbl-ring.js';
import type { SlabRegistry } from './slab-registry.js';

/** How long a ring stays parked on a slab id nobody announced before the descriptor is dropped. */
export const SLAB_PARK_LIMIT_MS = 250;

/** Per-processor counters of the crossing machinery (summed over processors by the inspector). */
export class ProcessorCounters {
  /** Descriptors written by this processor's crossing-edge home ends, and their NBLs given back. */
  crossedOut = 0;
  backHome = 0;
  /** Descriptors turned into shells here, and shells given back. */
  crossedIn = 0;
  shellsReturned = 0;
  /** Crossings refused, by reason (each an NBL completed with RESOURCES or a receive dropped). */
  ringFull = 0;
  ledgerFull = 0;
  notTransferable = 0;
  ringDeadRefusals = 0;
  /** Shells that could not be built (shell pool empty): the descriptor went home as dropped. */
  shellsExhausted = 0;
  /** Pointer-valued info slots cleared on a crossing (NblInfoNotTransferable). */
  infoCleared = 0;
  /** Bad input from a ring. */
  descriptorsCorrupt = 0;
  descriptorsOutOfSlab = 0;
  unknownEdge = 0;
  unknownSlab = 0;
  slabParks = 0;
  staleReturns = 0;
  ringOverruns = 0;
  ringsKilled = 0;
  /** Lent NBLs given back without their shell's return, after the ring to their far end died. */
  reclaimed = 0;
  /** Return entries that waited for room in a full ReturnRing. */
  returnsDeferred = 0;
  /** Loop activity: steps taken, DPC batches run. */
  steps = 0;
  dpcRuns = 0;
}

/** A control message between processors (announcements, reclaim requests). */
export type ControlMessage =
  | { kind: 'slab'; id: number; slab: SharedArrayBuffer }
  | { kind: 'reclaim'; edge: number; reason: string };

interface Parked {
  slab: number;
  deadline: number;
}

export class Processor {
  readonly number: number;
  readonly scheduler: Scheduler;
  readonly slabs: SlabRegistry;
  readonly counters = new ProcessorCounters();
  /** Indexed by the other processor's number; null on the diagonal. */
  readonly nblOut: (RingProducer | null)[];
  readonly nblIn: (RingConsumer | null)[];
  readonly retOut: (RingProducer | null)[];
  readonly retIn: (RingConsumer | null)[];
  readonly homeEnds = new Map<number, CrossingHome>();
  readonly farEnds = new Map<number, CrossingFar>();
  /** Sends a control message to another processor (set-specific transport). */
  readonly post: (to: number, message: ControlMessage) => void;
  /** Where the processor reports bad input (the set's logger). */
  log: (message: string) => void = () => {};
  /**
   * Threads only: rings processor `to`'s doorbell after this processor published into a ring to it (the
   * simulated set steps every processor itself and leaves it null).
   */
  wake: ((to: number) => void) | null = null;
  /** Threads only: a return entry was written or deferred, so the loop must flush (processor 0's loop is event-driven). */
  onPending: (() => void) | null = null;
  /** Receive sources polled by this processor's loop (poll.ts: the virtual wire's queues). */
  readonly polls: NdisPollSource[] = [];

  readonly #view = new DescriptorView();
  readonly #parked: (Parked | null)[];
  readonly #touchedFar: CrossingFar[] = [];
  readonly #touchedHome: CrossingHome[] = [];
  /** Far ends with return entries waiting for room, and ReturnRings with unpublished entries. */
  readonly #deferredFar = new Set<CrossingFar>();
  readonly #dirtyReturns: boolean[];
  /** Far ends whose inbound ring died: they reclaim once their shells are back. */
  readonly #orphanedFar = new Set<CrossingFar>();
  /** Inbound NblRings found dead (reported once). */
  readonly #deadIn: boolean[];

  constructor(
    number: number,
    count: number,
    scheduler: Scheduler,
    slabs: SlabRegistry,
    post: (to: number, message: ControlMessage) => void,
  ) {
    this.number = number;
    this.scheduler = scheduler;
    this.slabs = slabs;
    this.post = post;
    this.nblOut = new Array<RingProducer | null>(count).fill(null);
    this.nblIn = new Array<RingConsumer | null>(count).fill(null);
    this.retOut = new Array<RingProducer | null>(count).fill(null);
    this.retIn = new Array<RingConsumer | null>(count).fill(null);
    this.#parked = new Array<Parked | null>(count).fill(null);
    this.#dirtyReturns = new Array<boolean>(count).fill(false);
    this.#deadIn = new Array<boolean>(count).fill(false);
  }

  // ---------------------------------------------------------------------------------------------
  // What the loop asks

  /** Whether ring `from` has descriptors this processor can act on now (not parked on an unknown slab). */
  descriptorsReady(from: number): boolean {
    const c = this.nblIn[from];
    if (c === null || c === undefined) return false;
    if (c.available() === 0) return c.ring.dead && !this.#deadIn[from]; // a death to report
    const p = this.#parked[from];
    return p === null || p === undefined || this.slabs.known(p.slab) || this.scheduler.now() >= p.deadline;
  }

  returnsReady(from: number): boolean {
    const c = this.retIn[from];
    return c !== null && c !== undefined && c.available() > 0;
  }

  /** Whether a registered poll source would make progress now. */
  pollsPending(): boolean {
    const polls = this.polls;
    for (let i = 0; i < polls.length; i++) if (polls[i]!.pending()) return true;
    return false;
  }

  /** Polls every source that has work (each bounded by its own budget). Returns the work done. */
  runPolls(): number {
    let done = 0;
    for (const source of [...this.polls]) if (source.pending()) done += source.poll();
    return done;
  }

  /** Whether `flush` has something to retry (return entries waiting for room that now exists). */
  get flushPending(): boolean {
    for (const far of this.#deferredFar) if (far.canRetryReturns()) return true;
    return false;
  }

  /** Whether return entries wait for room in a ReturnRing (a sleeping loop must look again soon: the home frees room without ringing). */
  get returnsWaiting(): boolean {
    return this.#deferredFar.size > 0;
  }

  /** The earliest park deadline, for a loop that sleeps or a simulation that jumps time. */
  nextParkDeadline(): number | null {
    let d: number | null = null;
    for (const p of this.#parked) if (p !== null && (d === null || p.deadline < d)) d = p.deadline;
    return d;
  }

  // ---------------------------------------------------------------------------------------------
  // Descriptors in

  /** Takes up to `budget` descriptors from ring `from`, builds shells and delivers them. Returns how many. */
  drainDescriptors(from: number, budget: number): number {
    const c = this.nblIn[from];
    if (c === null || c === undefined) return 0;
    let avail = c.available();
    if (avail === 0) {
      if (c.ring.dead && !this.#deadIn[from]) this.#ringDied(from, c, c.overruns > 0 ? `impossible indices on the ring from processor ${from}` : `the ring from processor ${from} was killed`);
      return 0;
    }
    const view = this.#view;
    const slabs = this.slabs;
    let done = 0;
    while (avail > 0 && done < budget) {
      const pos = c.head;
      const verdict = view.read(c, pos, avail, slabs);
      // A descriptor that does not become a shell goes home at once (its original is given back); when the
      // ReturnRing has no room for that, the ring waits here, in order, until the home drained it.
      if (verdict === BadDescriptor.UnknownSlab) {
        let p = this.#parked[from];
        if (p === null || p === undefined || p.slab !== view.unknownSlab) {
          p = { slab: view.unknownSlab, deadline: this.scheduler.now() + SLAB_PARK_LIMIT_MS };
          this.#parked[from] = p;
          this.counters.slabParks++;
        }
        if (this.scheduler.now() < p.deadline || !this.#reject(from, view)) break;
        this.#parked[from] = null;
        this.counters.unknownSlab++;
        this.log(`processor ${this.number}: descriptor from processor ${from} names slab ${view.unknownSlab}, never announced; dropped`);
      } else if (verdict !== BadDescriptor.None) {
        if (verdict === BadDescriptor.Truncated || !view.skippable(avail)) {
          this.counters.descriptorsCorrupt++;
          this.#ringDied(from, c, `descriptor that cannot be stepped over on the ring from processor ${from}`);
          break;
        }
        if (!this.#reject(from, view)) break;
        if (verdict === BadDescriptor.OutOfSlab) this.counters.descriptorsOutOfSlab++;
        else this.counters.descriptorsCorrupt++;
        this.log(`processor ${this.number}: ${verdict === BadDescriptor.OutOfSlab ? 'descriptor outside its slab' : 'corrupt descriptor'} from processor ${from}; dropped`);
      } else {
        this.#parked[from] = null;
        const far = this.farEnds.get(view.edge);
        if (far === undefined || far.from !== from) {
          if (!this.#reject(from, view)) break;
          this.counters.unknownEdge++;
          this.log(`processor ${this.number}: descriptor from processor ${from} for unknown crossing edge ${view.edge}; dropped`);
        } else {
          const accepted = far.accept(c, pos, view);
          if (accepted < 0) break;
          if (!far.touched) {
            far.touched = true;
            this.#touchedFar.push(far);
          }
          if (accepted > 0) this.counters.crossedIn++;
          else this.counters.shellsExhausted++;
        }
      }
      c.release(view.slots);
      avail -= view.slots;
      done++;
    }
    c.commit();
    this.#deliverTouched();
    return done;
  }

  #deliverTouched(): void {
    const touched = this.#touchedFar;
    for (let i = 0; i < touched.length; i++) {
      const far = touched[i]!;
      far.touched = false;
      far.deliverPending();
    }
    touched.length = 0;
  }

  /** Sends a descriptor that will not become a shell home as dropped; false when the ReturnRing is full. */
  #reject(from: number, view: DescriptorView): boolean {
    return this.writeReturn(from, view.edge, view.ref, NDIS_STATUS_INVALID_DATA, 0, null);
  }

  #ringDied(from: number, c: RingConsumer, why: string): void {
    c.kill();
    this.#deadIn[from] = true;
    this.counters.ringOverruns += c.overruns;
    this.counters.ringsKilled++;
    this.log(`processor ${this.number}: ${why}; the ring is dead and what was lent through it goes home`);
    for (const far of this.farEnds.values()) if (far.from === from) this.#orphanedFar.add(far);
  }

  // ---------------------------------------------------------------------------------------------
  // Returns

  /**
   * Writes one return entry to processor `to` (published by `flush`). False when the ReturnRing is full:
   * a `waiting` far end then keeps the shell and is retried after each step; a rejected descriptor stays
   * in its ring until there is room.
   */
  writeReturn(to: number, edge: number, ref: number, status: NdisStatus, flags: number, waiting: CrossingFar | null): boolean {
    const p = this.retOut[to];
    if (p === null || p === undefined) return false;
    const pos = p.reserve(1);
    if (pos < 0) {
      if (waiting !== null) {
        this.counters.returnsDeferred++;
        this.#deferredFar.add(waiting);
      }
      return false;
    }
    const w = p.words;
    const b = p.slotBase(pos);
    w[b] = edge;
    w[b + 1] = ref;
    w[b + 2] = status;
    w[b + 3] = flags;
    p.commit(1);
    if (!this.#dirtyReturns[to]) {
      this.#dirtyReturns[to] = true;
      if (this.onPending !== null) this.onPending();
    }
    return true;
  }

  /** Takes up to `budget` return entries from processor `from` and gives the originals back. */
  drainReturns(from: number, budget: number): number {
    const c = this.retIn[from];
    if (c === null || c === undefined) return 0;
    let avail = c.available();
    const w = c.words;
    let done = 0;
    while (avail > 0 && done < budget) {
      const b = c.slotBase(c.head);
      const home = this.homeEnds.get(w[b]!);
      if (home === undefined || home.to !== from) this.counters.staleReturns++;
      else {
        if (!home.touched) {
          home.touched = true;
          this.#touchedHome.push(home);
        }
        home.back(w[b + 1]!, w[b + 2]!, w[b + 3]!);
      }
      c.release(1);
      avail--;
      done++;
    }
    c.commit();
    const touched = this.#touchedHome;
    for (let i = 0; i < touched.length; i++) {
      const home = touched[i]!;
      home.touched = false;
      home.deliverBack();
    }
    touched.length = 0;
    return done;
  }

  /** After every step: retry deferred returns, publish ReturnRings, reclaim for dead rings. */
  flush(): void {
    if (this.#deferredFar.size > 0) {
      for (const far of [...this.#deferredFar]) if (far.retryReturns()) this.#deferredFar.delete(far);
    }
    const dirty = this.#dirtyReturns;
    for (let i = 0; i < dirty.length; i++) {
      if (dirty[i]) {
        dirty[i] = false;
        this.retOut[i]!.publish();
        if (this.wake !== null) this.wake(i);
      }
    }
    if (this.#orphanedFar.size > 0) {
      for (const far of [...this.#orphanedFar]) {
        if (far.shellsOut > 0) continue;
        this.#orphanedFar.delete(far);
        this.post(far.from, { kind: 'reclaim', edge: far.edgeId, reason: `the ring from processor ${far.from} to ${this.number} died` });
      }
    }
  }

  /** Handles a control message (the set's transport calls this on the receiving processor). */
  control(message: ControlMessage): void {
    if (message.kind === 'slab') {
      if (!this.slabs.adopt(message.id, message.slab)) this.log(`processor ${this.number}: slab ${message.id} announced twice with different memory`);
    } else if (message.kind === 'reclaim') {
      const home = this.homeEnds.get(message.edge);
      if (home !== undefined) this.counters.reclaimed += home.reclaim(message.reason);
    }
  }

  /** Called by a far end that could not write a return (the ring had no room) until it can. */
  deferReturns(far: CrossingFar): void {
    this.#deferredFar.add(far);
    if (this.onPending !== null) this.onPending();
  }
}
