/**
 * The loop that runs a processor on a real thread (ThreadedProcessorSet).
 *
 * One iteration: control messages, due timers, a batch from every inbound ring (returns first, so
 * originals go home before new shells are built), the poll sources with work (`Processor.polls`: the
 * virtual wire's queues), the DPCs queued so far, then `flush` (publish returns, ring the peers). An iteration is one macrotask (setImmediate), so promise continuations — the control
 * plane's pause and restart completions — run between iterations. With nothing to do the loop sleeps on
 * its doorbell until a producer rings it or its next timer (or slab-park deadline) is due:
 *
 *   worker k:    iterate ─ work? ─yes─► setImmediate(iterate)
 *                           └─no──► prepareSleep · recheck · Atomics.wait(doorbell, timeout) ─► iterate
 *   processor 0: event-driven on the main thread — DPCs and timers stay on its RealScheduler (libuv);
 *                rings drain and sources are polled when the doorbell's Atomics.waitAsync resolves, a
 *                return is pending or a source asks (`requestPoll`).
 *
 * The worker's wait blocks the thread, so an operation that needs the event loop (a dynamic import)
 * marks itself pending and the loop sleeps with waitAsync meanwhile.
 */
import { Scheduler } from '../time/scheduler.js';
import type { AtomicsDoorbell } from './doorbell.js';
import type { Processor } from './processor.js';

/** Default ring batch per iteration (descriptors or return entries per inbound ring). */
export const LOOP_BATCH = 32;

/** A worker processor's scheduler: wall-clock timers fired by its loop, DPCs queued for its next iteration. */
export class LoopScheduler extends Scheduler {
  #dpcs: (() => void)[] = [];
  #spare: (() => void)[] = [];
  /** Called when a DPC is queued while the loop might be between iterations (the loop re-arms itself). */
  onQueued: (() => void) | null = null;

  now(): number {
    return performance.now();
  }

  protected armed(): void {}

  override defer(task: () => void): void {
    this.#dpcs.push(task);
    if (this.#dpcs.length === 1 && this.onQueued !== null) this.onQueued();
  }

  get dpcsQueued(): number {
    return this.#dpcs.length;
  }

  /** Runs the DPCs queued now (those they queue wait for the next iteration). */
  runDpcs(): number {
    const batch = this.#dpcs;
    if (batch.length === 0) return 0;
    this.#dpcs = this.#spare;
    const n = batch.length;
    for (let i = 0; i < n; i++) {
      try {
        batch[i]!();
      } catch (e) {
        this.onError(e, 'deferred task');
      }
    }
    batch.length = 0;
    this.#spare = batch;
    return n;
  }

  get nextTimer(): number | null {
    return this.earliestDue;
  }

  /** Fires due timers; returns whether any was due. */
  runDueTimers(): boolean {
    const due = this.earliestDue;
    if (due === null || due > this.now()) return false;
    this.fireDue();
    return true;
  }
}

/** What both loops ask of a processor: is anything on its rings (or a poll source) to take now? */
function ringsReady(p: Processor, count: number): boolean {
  for (let q = 0; q < count; q++) {
    if (q === p.number) continue;
    if (p.returnsReady(q) || p.descriptorsReady(q)) return true;
  }
  return p.flushPending || (p.polls.length > 0 && p.pollsPending());
}

/** Drains a batch from every inbound ring; returns how many entries were taken. */
function drainRings(p: Processor, count: number, batch: number): number {
  let n = 0;
  for (let q = 0; q < count; q++) {
    if (q === p.number) continue;
    if (p.returnsReady(q)) n += p.drainReturns(q, batch);
    if (p.descriptorsReady(q)) n += p.drainDescriptors(q, batch);
  }
  return n;
}

export interface WorkerLoopOptions {
  /** Takes pending control messages (receiveMessageOnPort); returns how many. */
  control: () => number;
  /** True while an operation needs the event loop (the loop then sleeps without blocking the thread). */
  asyncPending: () => boolean;
  batch?: number;
}

/** A worker's processor loop. */
export class ProcessorLoop {
  readonly batch: number;
  iterations = 0;
  sleeps = 0;
  #stopped = false;
  #scheduled = false;

  constructor(
    readonly processor: Processor,
    readonly count: number,
    readonly scheduler: LoopScheduler,
    readonly doorbell: AtomicsDoorbell,
    readonly options: WorkerLoopOptions,
  ) {
    this.batch = options.batch ?? LOOP_BATCH;
    // A DPC queued from outside an iteration (a promise continuation) must not wait for a doorbell.
    scheduler.onQueued = () => this.#kick();
  }

  start(): void {
    this.#kick();
  }

  stop(): void {
    this.#stopped = true;
  }

  #kick(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(this.#iterate);
  }

  #hasWork(): boolean {
    const s = this.scheduler;
    if (s.dpcsQueued > 0) return true;
    const due = s.nextTimer;
    if (due !== null && due <= s.now()) return true;
    return ringsReady(this.processor, this.count);
  }

  readonly #iterate = (): void => {
    this.#scheduled = false;
    if (this.#stopped) return;
    const p = this.processor;
    const s = this.scheduler;
    this.iterations++;
    p.counters.steps++;
    let work = this.options.control();
    if (s.runDueTimers()) work++;
    work += drainRings(p, this.count, this.batch);
    if (p.polls.length > 0) work += p.runPolls();
    const dpcs = s.runDpcs();
    if (dpcs > 0) {
      p.counters.dpcRuns++;
      work += dpcs;
    }
    p.flush();
    if (work > 0 || this.#hasWork()) this.#kick();
    else this.#sleep();
  };

  #sleep(): void {
    const d = this.doorbell;
    d.prepareSleep();
    if (this.options.control() > 0 || this.#hasWork()) {
      d.awake();
      this.#kick();
      return;
    }
    const now = this.scheduler.now();
    let until = Infinity;
    const t = this.scheduler.nextTimer;
    if (t !== null) until = t;
    const park = this.processor.nextParkDeadline();
    if (park !== null && park < until) until = park;
    if (this.processor.returnsWaiting && now + 1 < until) until = now + 1;
    const timeout = until === Infinity ? Infinity : Math.max(0, until - now);
    this.sleeps++;
    this.#scheduled = true;
    if (this.options.asyncPending()) {
      // Let the event loop run (an import in flight); wake at the latest every 5 ms to look again.
      void d.waitAsync(Math.min(timeout, 5)).then(() => {
        d.awake();
        this.#scheduled = false;
        this.#kick();
      });
      return;
    }
    d.wait(timeout);
    this.#scheduled = false;
    this.#kick();
  }
}

/** Processor 0's loop: event-driven, never blocks the main thread. */
export class MainProcessorLoop {
  readonly batch: number;
  iterations = 0;
  #scheduled = false;
  #armed = false;
  #stopped = false;

  constructor(
    readonly processor: Processor,
    readonly count: number,
    readonly doorbell: AtomicsDoorbell,
    batch = LOOP_BATCH,
  ) {
    this.batch = batch;
    processor.onPending = () => this.kick();
  }

  start(): void {
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    // Release a pending waitAsync so nothing outlives the set.
    this.doorbell.ring();
  }

  /** Runs an iteration on a later macrotask (after the DPCs queued before it). */
  kick(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(this.#iterate);
  }

  readonly #iterate = (): void => {
    this.#scheduled = false;
    if (this.#stopped) return;
    const p = this.processor;
    this.iterations++;
    p.counters.steps++;
    drainRings(p, this.count, this.batch);
    if (p.polls.length > 0) p.runPolls();
    p.flush();
    if (ringsReady(p, this.count)) this.kick();
    else {
      // Deadlines nobody rings for: a slab park, returns waiting for room the worker frees without
      // ringing. A timer looks again then (a doorbell wait may already be armed without a timeout).
      let due = p.nextParkDeadline() ?? Infinity;
      if (p.returnsWaiting) due = Math.min(due, performance.now() + 1);
      if (due !== Infinity) this.#retryAt(due);
      this.#arm();
    }
  };

  #retry: NodeJS.Timeout | null = null;
  #retryDue = Infinity;

  #retryAt(due: number): void {
    if (this.#stopped || (this.#retry !== null && this.#retryDue <= due)) return;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retryDue = due;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#retryDue = Infinity;
      this.kick();
    }, Math.max(0, due - performance.now()));
    this.#retry.unref();
  }

  #arm(): void {
    if (this.#armed || this.#stopped) return;
    const d = this.doorbell;
    d.prepareSleep();
    if (ringsReady(this.processor, this.count)) {
      d.awake();
      this.kick();
      return;
    }
    this.#armed = true;
    void d.waitAsync(Infinity).then(() => {
      this.#armed = false;
      d.awake();
      if (!this.#stopped) this.kick();
    });
  }
}
