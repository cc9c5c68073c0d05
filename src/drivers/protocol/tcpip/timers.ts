/**
 * The stack's timers: one binary heap of `StackTimer`s driven by a single NDIS timer object.
 *
 * NDIS timers belong to a handle, and a binding's handle dies with the binding; the stack outlives any
 * one binding. So the queue borrows the clock of one binding at a time (`useClock`) and moves to
 * another when that binding goes away, re-arming its one NDIS timer for the earliest deadline. With no
 * binding at all, time stands still (timers wait until a binding appears).
 *
 * Expired timers run inside one stack batch (`TimerBatch.enter/exit`), so the packets they send go
 * down as one NBL chain. Nothing allocates per `set`/`cancel`.
 */
import type { NdisHandleBase, NdisTimerObject } from '../../../ndis/index.js';
import { TimerHeap, type HeapTimer } from '../../../util/timer-heap.js';
import type { TcpTimer } from './tcp/host.js';

export interface TimerBatch {
  enter(): void;
  exit(): void;
}

export class StackTimer implements TcpTimer, HeapTimer {
  due = 0;
  seq = 0;
  /** Position in the heap, -1 when not armed. */
  index = -1;
  freed = false;

  constructor(
    readonly queue: TimerQueue,
    readonly callback: () => void,
  ) {}

  get armed(): boolean {
    return this.index >= 0;
  }

  set(delayMs: number): void {
    if (!this.freed) this.queue.schedule(this, delayMs);
  }

  cancel(): void {
    this.queue.unschedule(this);
  }

  free(): void {
    this.queue.unschedule(this);
    this.freed = true;
  }
}

/** Runs at most this many expirations per NDIS timer callback, then re-arms at once (bounded work). */
const MAX_EXPIRIES_PER_TICK = 4096;

export class TimerQueue {
  readonly #heap = new TimerHeap<StackTimer>();
  #clock: NdisHandleBase | null = null;
  #ndisTimer: NdisTimerObject | null = null;
  /** Due time the NDIS timer is set for, or Infinity. */
  #armedFor = Infinity;
  #lastNow = 0;
  readonly #batch: TimerBatch;

  constructor(batch: TimerBatch) {
    this.#batch = batch;
  }

  now(): number {
    if (this.#clock !== null) this.#lastNow = this.#clock.now();
    return this.#lastNow;
  }

  get clock(): NdisHandleBase | null {
    return this.#clock;
  }

  get pending(): number {
    return this.#heap.size;
  }

  create(callback: () => void): StackTimer {
    return new StackTimer(this, callback);
  }

  /** Takes its time from `handle` (a binding) from now on, unless it already has a clock. */
  useClock(handle: NdisHandleBase): void {
    if (this.#clock !== null) return;
    this.#clock = handle;
    this.#ndisTimer = handle.allocateTimer(this.#fire);
    this.#armedFor = Infinity;
    this.#rearm();
  }

  /** `handle` is going away: frees its NDIS timer; `next` (another binding), if any, takes over. */
  dropClock(handle: NdisHandleBase, next: NdisHandleBase | null): void {
    if (this.#clock !== handle) return;
    this.#lastNow = handle.now();
    this.#ndisTimer?.free();
    this.#ndisTimer = null;
    this.#clock = null;
    if (next !== null) this.useClock(next);
  }

  schedule(t: StackTimer, delayMs: number): void {
    this.#heap.push(t, this.now() + (delayMs > 0 ? delayMs : 0));
    if (t.due < this.#armedFor) this.#rearm();
  }

  unschedule(t: StackTimer): void {
    this.#heap.remove(t);
  }

  readonly #fire = (): void => {
    this.#armedFor = Infinity;
    const now = this.now();
    const h = this.#heap;
    if ((h.peek()?.due ?? Infinity) <= now) {
      this.#batch.enter();
      try {
        for (let n = 0, t = h.peek(); n < MAX_EXPIRIES_PER_TICK && t !== null && t.due <= now; n++, t = h.peek()) {
          h.remove(t);
          t.callback();
        }
      } finally {
        this.#batch.exit();
      }
    }
    this.#rearm();
  };

  #rearm(): void {
    const timer = this.#ndisTimer;
    if (timer === null) return;
    const first = this.#heap.peek();
    if (first === null) {
      if (this.#armedFor !== Infinity) timer.cancel();
      this.#armedFor = Infinity;
      return;
    }
    const due = first.due;
    if (due === this.#armedFor) return;
    this.#armedFor = due;
    timer.set(Math.max(0, due - this.now()));
  }
}
