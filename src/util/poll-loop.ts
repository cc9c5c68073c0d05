/**
 * Poll mode (NDIS Packet Direct's polling, in NBL form; Linux `busy_poll`, DPDK's adaptive polling): a
 * processor that ran out of receive work keeps checking its receive sources for up to a budget before
 * it goes back to sleep, so a frame that arrives within the budget is taken without a wake-up.
 *
 *   - `PollBudget`: one source's mode, budget and counters — the state machine, no I/O and no clock, so
 *     tests drive it step by step. `off` never polls, `on` polls for `baseUs`, `adaptive` starts at
 *     `baseUs`, doubles (up to 8×) after a poll that found work and halves (down to `baseUs`) after one
 *     that did not. A poll that ran out of budget is judged when the next work arrives: work that came
 *     within the largest budget would have been found by a longer poll, so it counts as found (that is
 *     how the budget grows towards a gap between frames it can span); later work counts as not found.
 *   - `PollLoop`: the polling of one processor over its sources. It runs in slices: a slice checks every
 *     polling source in turn (a source's `poll()` takes and processes what it finds, inline, as its DPC
 *     would) until every source is past its budget (it then `sleep()`s: arms its wake-up) or the slice
 *     is over, or a source found work. Between slices the loop yields (`yieldTo`), so on processor 0
 *     timers, I/O callbacks, control work and what the work found queued (socket callbacks, promise
 *     reactions) still run while a large budget is being spent; a worker's ProcessorLoop calls `slice()`
 *     between its own steps the same way.
 */

/** Poll modes of the `PollMode` keyword. */
export type PollMode = 'off' | 'on' | 'adaptive';
export const POLL_MODES: readonly PollMode[] = ['off', 'on', 'adaptive'];
/** Adaptive polling's largest budget, as a multiple of `PollBudgetUs`. */
export const ADAPTIVE_MAX_FACTOR = 8;
/** Longest slice of polling before the loop yields to the event loop (µs). */
export const POLL_SLICE_US = 100;

/** What a source's polling did (shown by the inspector). */
export class PollCounters {
  /** Polls started (a source ran out of work and polled instead of sleeping). */
  polls = 0;
  /** Polls that found work (frames taken without a wake-up). */
  pollsWithWork = 0;
  /** Time spent polling, in µs (the time a sleep would have given back to the machine). */
  pollMicros = 0;
  /** Checks of the source while polling. */
  checks = 0;
  /** Work that arrived by a wake-up after a poll ran out of budget. */
  wakeups = 0;
}

export class PollBudget {
  readonly mode: PollMode;
  /** `PollBudgetUs`: the fixed budget (`on`) or the smallest one (`adaptive`). */
  readonly baseUs: number;
  /** The budget in force, in µs. */
  budgetUs: number;
  readonly counters = new PollCounters();
  /** A poll ran out of budget at this time (µs of the loop's clock) and no work came since; -1 otherwise. */
  #missedAt = -1;

  constructor(mode: PollMode, baseUs: number) {
    this.mode = mode;
    this.baseUs = baseUs;
    this.budgetUs = mode === 'off' ? 0 : baseUs;
  }

  get enabled(): boolean {
    return this.mode !== 'off';
  }

  get maxUs(): number {
    return this.mode === 'adaptive' ? this.baseUs * ADAPTIVE_MAX_FACTOR : this.baseUs;
  }

  /** A poll found work after `micros` µs of polling. */
  found(micros: number): void {
    const c = this.counters;
    c.pollsWithWork++;
    c.pollMicros += micros;
    this.#adapt(true);
  }

  /** A poll ran out of budget at `nowUs` after `micros` µs: the source sleeps; the next `woke` judges it. */
  ranOut(nowUs: number, micros: number): void {
    this.counters.pollMicros += micros;
    this.#missedAt = nowUs - micros;
  }

  /** Work arrived by a wake-up at `nowUs` (the source was asleep). */
  woke(nowUs: number): void {
    if (this.#missedAt < 0) return;
    this.counters.wakeups++;
    this.#adapt(nowUs - this.#missedAt <= this.maxUs);
    this.#missedAt = -1;
  }

  #adapt(found: boolean): void {
    if (this.mode !== 'adaptive') return;
    this.budgetUs = found ? Math.min(this.maxUs, this.budgetUs * 2) : Math.max(this.baseUs, this.budgetUs / 2);
  }

  /** The inspector's view. */
  snapshot(): Record<string, number | string> {
    return { mode: this.mode, budgetUs: this.budgetUs, baseUs: this.baseUs, ...this.counters };
  }
}

/** A receive source the loop polls. */
export interface PollSource {
  readonly budget: PollBudget;
  /** Checks for work without blocking and processes what it finds (as its DPC would); the work found (frames). */
  poll(): number;
  /** The budget ran out: arm the wake-up (the source's DPC runs when work arrives). */
  sleep(): void;
}

interface Polling {
  source: PollSource;
  /** When the current poll started (µs). */
  since: number;
}

export class PollLoop {
  readonly #nowUs: () => number;
  readonly #yieldTo: () => void;
  readonly #active: Polling[] = [];
  readonly #sliceUs: number;
  #scheduled = false;

  /**
   * `nowUs`: the processor's clock in µs; `yieldTo`: runs `slice()` again on a later turn of the
   * processor's loop (a DPC on processor 0).
   */
  constructor(nowUs: () => number, yieldTo: () => void, sliceUs = POLL_SLICE_US) {
    this.#nowUs = nowUs;
    this.#yieldTo = yieldTo;
    this.#sliceUs = sliceUs;
  }

  /** Sources polling now. */
  get polling(): number {
    return this.#active.length;
  }

  /** `source` ran out of work: poll it (from the next slice) instead of letting it sleep. */
  idle(source: PollSource): void {
    if (!source.budget.enabled) {
      source.sleep();
      return;
    }
    for (const p of this.#active) if (p.source === source) return;
    source.budget.counters.polls++;
    this.#active.push({ source, since: this.#nowUs() });
    this.#schedule();
  }

  /** `source` is being torn down: it leaves the loop without sleeping. */
  remove(source: PollSource): void {
    const i = this.#active.findIndex((p) => p.source === source);
    if (i >= 0) this.#active.splice(i, 1);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#yieldTo();
  }

  /** One slice of polling: checks every polling source until each is past its budget or the slice is over. */
  slice(): void {
    this.#scheduled = false;
    const active = this.#active;
    const end = this.#nowUs() + this.#sliceUs;
    let yieldNow = false;
    while (active.length > 0) {
      for (let i = 0; i < active.length; i++) {
        const p = active[i]!;
        const b = p.source.budget;
        b.counters.checks++;
        const found = p.source.poll();
        const now = this.#nowUs();
        if (found > 0) {
          // This poll ends with work; the source keeps polling from now (a new poll), after a yield:
          // what the work queued behind this task (a socket's callbacks, promise reactions) runs first.
          b.found(now - p.since);
          b.counters.polls++;
          p.since = now;
          yieldNow = true;
        } else if (now - p.since >= b.budgetUs) {
          b.ranOut(now, now - p.since);
          active.splice(i--, 1);
          p.source.sleep();
        }
      }
      if (active.length > 0 && (yieldNow || this.#nowUs() >= end)) {
        this.#schedule();
        return;
      }
    }
  }
}
