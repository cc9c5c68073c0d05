/**
 * The runtime's only source of time and deferral. Drivers and the runtime never call Date.now() or
 * setTimeout directly: timers (the NdisSetTimerObject analogue), verifier deadlines and deferred work
 * (DPCs, work items) all go through a Scheduler, so tests can swap in a manual clock and step time.
 *
 * Both schedulers keep timers in one binary heap ordered by (due time, creation order). The real one
 * arms a single unref'd setTimeout for the earliest deadline; the manual one fires timers only when a
 * test calls `advance`. Deferred tasks run on the next macrotask (setImmediate) in both, because they
 * model DPCs and work items, which are not timed.
 */

import { TimerHeap, type HeapTimer } from '../../util/timer-heap.js';

export interface Clock {
  /** Milliseconds on a monotonic time line. */
  now(): number;
}

export class Timer implements HeapTimer {
  due = 0;
  seq = 0;
  /** Position in the heap, -1 when not queued. */
  index = -1;
  periodMs = 0;
  constructor(readonly callback: () => void) {}
  get queued(): boolean {
    return this.index >= 0;
  }
}

export abstract class Scheduler implements Clock {
  readonly #heap = new TimerHeap<Timer>();
  #deferred: (() => void)[] = [];
  /** The other of two task arrays, swapped on every run so draining allocates nothing. */
  #spare: (() => void)[] = [];
  #deferredScheduled = false;
  /** Called with any error thrown by a timer callback or deferred task (the runtime reports it). */
  onError: (error: unknown, where: string) => void = (e) => {
    throw e;
  };

  abstract now(): number;
  protected abstract armed(earliestDue: number | null): void;

  createTimer(callback: () => void): Timer {
    return new Timer(callback);
  }

  /** Queues `timer` to fire after `delayMs` (then every `periodMs` if > 0). Returns true if it was already queued. */
  setTimer(timer: Timer, delayMs: number, periodMs = 0): boolean {
    const wasQueued = timer.queued;
    timer.periodMs = periodMs;
    this.#heap.push(timer, this.now() + Math.max(0, delayMs));
    this.armed(this.#heap.peek()!.due);
    return wasQueued;
  }

  /** Dequeues `timer`; returns true if it was queued. */
  cancelTimer(timer: Timer): boolean {
    if (!this.#heap.remove(timer)) return false;
    this.armed(this.#heap.peek()?.due ?? null);
    return true;
  }

  /** One-shot convenience for control paths. */
  after(delayMs: number, callback: () => void): Timer {
    const t = new Timer(callback);
    this.setTimer(t, delayMs);
    return t;
  }

  /** Runs `task` on a later macrotask, in order with other deferred tasks. */
  defer(task: () => void): void {
    this.#deferred.push(task);
    if (!this.#deferredScheduled) {
      this.#deferredScheduled = true;
      setImmediate(this.#runDeferred);
    }
  }

  get pendingTimers(): number {
    return this.#heap.size;
  }

  readonly #runDeferred = (): void => {
    this.#deferredScheduled = false;
    // Tasks queued while draining run on the next turn, so I/O gets a chance in between.
    const batch = this.#deferred;
    this.#deferred = this.#spare;
    try {
      for (let i = 0; i < batch.length; i++) {
        try {
          batch[i]!();
        } catch (e) {
          this.onError(e, 'deferred task');
        }
      }
    } finally {
      batch.length = 0;
      this.#spare = batch;
    }
  };

  /** Fires every timer due at or before `now()`. */
  protected fireDue(): void {
    const now = this.now();
    for (let t = this.#heap.peek(); t !== null && t.due <= now; t = this.#heap.peek()) {
      this.#heap.remove(t);
      if (t.periodMs > 0) this.#heap.push(t, t.due + t.periodMs);
      try {
        t.callback();
      } catch (e) {
        this.onError(e, 'timer');
      }
    }
    this.armed(this.#heap.peek()?.due ?? null);
  }

  protected get earliestDue(): number | null {
    return this.#heap.peek()?.due ?? null;
  }
}

/** Wall-clock scheduler: performance.now() and one unref'd setTimeout for the earliest timer. */
export class RealScheduler extends Scheduler {
  #handle: NodeJS.Timeout | null = null;
  #armedFor = Infinity;

  now(): number {
    return performance.now();
  }

  protected armed(earliestDue: number | null): void {
    if (earliestDue === null) {
      if (this.#handle !== null) clearTimeout(this.#handle);
      this.#handle = null;
      this.#armedFor = Infinity;
      return;
    }
    if (this.#handle !== null && earliestDue >= this.#armedFor) return;
    if (this.#handle !== null) clearTimeout(this.#handle);
    this.#armedFor = earliestDue;
    this.#handle = setTimeout(this.#onTimeout, Math.max(0, earliestDue - this.now()));
    this.#handle.unref();
  }

  readonly #onTimeout = (): void => {
    this.#handle = null;
    this.#armedFor = Infinity;
    this.fireDue();
  };

  /** Keeps the process alive while timers are pending (used by long-running commands). */
  ref(): void {
    this.#handle?.ref();
  }
}

/** Test scheduler: time moves only when `advance` is called. */
export class ManualScheduler extends Scheduler {
  #now: number;
  constructor(start = 0) {
    super();
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  protected armed(): void {}

  /** Moves time forward by `ms`, firing timers in order at their due times. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let due = this.earliestDue; due !== null && due <= end; due = this.earliestDue) {
      this.#now = Math.max(this.#now, due);
      this.fireDue();
    }
    this.#now = end;
  }

  /**
   * Like `advance`, but lets promises and deferred tasks settle after each timer fires, so control-plane
   * flows that await completions make progress in fake time.
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (let due = this.earliestDue; due !== null && due <= end; due = this.earliestDue) {
      this.#now = Math.max(this.#now, due);
      this.fireDue();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

/** Resolves after pending microtasks and a few macrotask turns (deferred tasks) have run. */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
