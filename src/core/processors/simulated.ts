/**
 * The deterministic multi-processor mode: N processors interleaved on one thread.
 *
 * Each processor has what a real one has — its own scheduler (timers on one shared virtual clock, its
 * own DPC queue), its slab view, its ring ends, the crossing-edge ends on it — and talks to the others
 * only through the same SAB rings and descriptors a worker would use. A seeded `LaneScheduler` picks,
 * at every step, one processor and one unit of its work that a real processor could not be interrupted
 * in: a DPC batch, a batch of a random size from one inbound ring, its due timers, one control message
 * (a slab announcement, a reclaim). After each step the processor flushes (publishes its returns), as a
 * real loop does at the end of an iteration. When no processor can step, virtual time jumps to the
 * next timer or park deadline, so deadlines run in microseconds.
 *
 * Same seed, same interleaving: a failing test prints its seed, and the run replays from it.
 */
import { SeededRandom } from '../../util/random.js';
import { Scheduler } from '../time/scheduler.js';
import { NBL_SLOT_WORDS, RETURN_ENTRY_WORDS, RingConsumer, RingProducer, SpscRing } from './nbl-ring.js';
import { type ControlMessage, Processor } from './processor.js';
import type { ProcessorSet } from './processor-set.js';
import { SlabRegistry } from './slab-registry.js';

/** One virtual time line for every simulated processor. */
export class SimulatedClock {
  now: number;
  constructor(start = 0) {
    this.now = start;
  }
}

/** A processor's scheduler in the simulation: timers on the shared clock, DPCs queued for its steps. */
export class SimulatedScheduler extends Scheduler {
  readonly #clock: SimulatedClock;
  readonly #dpcs: (() => void)[] = [];
  /** Told when work arrives (a DPC queued, a timer armed): the free-running set's wake-up. */
  onWork: (() => void) | null = null;

  constructor(clock: SimulatedClock) {
    super();
    this.#clock = clock;
  }

  now(): number {
    return this.#clock.now;
  }

  protected armed(): void {
    this.onWork?.();
  }

  /** DPCs and work items wait for this processor's next DPC step instead of a macrotask. */
  override defer(task: () => void): void {
    this.#dpcs.push(task);
    this.onWork?.();
  }

  get dpcsQueued(): number {
    return this.#dpcs.length;
  }

  /** Runs the DPCs queued now (those they queue wait for the next step). Returns how many ran. */
  runDpcs(): number {
    const batch = this.#dpcs.splice(0, this.#dpcs.length);
    for (const task of batch) {
      try {
        task();
      } catch (e) {
        this.onError(e, 'deferred task');
      }
    }
    return batch.length;
  }

  get nextTimer(): number | null {
    return this.earliestDue;
  }

  runDueTimers(): void {
    this.fireDue();
  }
}

export interface SimulatedProcessorSetOptions {
  count: number;
  seed: number;
  /** Slots per NblRing (default 256). */
  ringSlots?: number;
  /** Entries per ReturnRing (default 1024). */
  returnSlots?: number;
  /** Largest ring batch one step takes (default 32); each step draws 1 … this. */
  maxBatch?: number;
  /** Virtual time at the start, in ms. */
  startMs?: number;
}

type StepKind = 'dpc' | 'timer' | 'control' | 'descriptors' | 'returns' | 'flush' | 'poll';

interface Step {
  processor: number;
  kind: StepKind;
  /** The other processor, for ring steps. */
  peer: number;
}

/** The seeded choice of the next step: one processor and one unit of its work. */
export class LaneScheduler {
  readonly random: SeededRandom;
  constructor(readonly seed: number) {
    this.random = new SeededRandom(seed);
  }
  pick<T>(choices: readonly T[]): T {
    return choices[this.random.below(choices.length)]!;
  }
  batch(max: number): number {
    return 1 + this.random.below(max);
  }
}

export interface SimulationResult {
  steps: number;
  /** Virtual time at the end. */
  timeMs: number;
  /** True when the run stopped because nothing could step and nothing was due (not by `until` or a limit). */
  quiescent: boolean;
  /** True when `until` held at the end. */
  satisfied: boolean;
}

export interface RunOptions {
  /** Stop as soon as this holds (checked between steps, after promises settled). */
  until?: () => boolean;
  /** Upper bound on steps (default 1 000 000): a run never spins for ever. */
  maxSteps?: number;
  /** Upper bound on virtual time advanced by this run (default 60 000 ms). */
  maxTimeMs?: number;
  /** Jump virtual time when nothing can step (default: only when `until` is given). */
  advanceTime?: boolean;
}

export class SimulatedProcessorSet implements ProcessorSet {
  readonly kind = 'simulated' as const;
  readonly count: number;
  readonly seed: number;
  readonly clock: SimulatedClock;
  readonly lanes: LaneScheduler;
  readonly maxBatch: number;
  onLog: ((message: string) => void) | null = null;
  /** The last messages the processors reported (bounded), for tests and diagnostics. */
  readonly messages: string[] = [];
  readonly #processors: Processor[] = [];
  readonly #schedulers: SimulatedScheduler[] = [];
  readonly #control: ControlMessage[][] = [];
  #edgeIds = 0;
  #steps = 0;
  #free: FreeRun | null = null;

  constructor(options: SimulatedProcessorSetOptions) {
    const { count, seed } = options;
    if (!Number.isInteger(count) || count < 1 || count > 64) throw new RangeError(`processor count ${count} is not in 1…64`);
    this.count = count;
    this.seed = seed;
    this.clock = new SimulatedClock(options.startMs ?? 0);
    this.lanes = new LaneScheduler(seed);
    this.maxBatch = options.maxBatch ?? 32;
    const counter = SlabRegistry.createCounter();
    for (let k = 0; k < count; k++) {
      const scheduler = new SimulatedScheduler(this.clock);
      const slabs = new SlabRegistry(counter, (id, slab) => {
        for (let to = 0; to < count; to++) if (to !== k) this.#control[to]!.push({ kind: 'slab', id, slab });
        this.#kick();
      });
      const p = new Processor(k, count, scheduler, slabs, (to, message) => {
        this.#control[to]!.push(message);
        this.#kick();
      });
      scheduler.onWork = () => this.#kick();
      p.log = (m) => this.#log(m);
      this.#processors.push(p);
      this.#schedulers.push(scheduler);
      this.#control.push([]);
    }
    const ringSlots = options.ringSlots ?? 256;
    const returnSlots = options.returnSlots ?? 1024;
    for (let a = 0; a < count; a++) {
      for (let b = 0; b < count; b++) {
        if (a === b) continue;
        const ring = SpscRing.create(ringSlots, NBL_SLOT_WORDS);
        this.#processors[a]!.nblOut[b] = new RingProducer(ring);
        this.#processors[b]!.nblIn[a] = new RingConsumer(ring);
        const ret = SpscRing.create(returnSlots, RETURN_ENTRY_WORDS);
        this.#processors[b]!.retOut[a] = new RingProducer(ret);
        this.#processors[a]!.retIn[b] = new RingConsumer(ret);
      }
    }
  }

  processor(n: number): Processor {
    const p = this.#processors[n];
    if (p === undefined) throw new RangeError(`no processor ${n} in a set of ${this.count}`);
    return p;
  }

  scheduler(n: number): SimulatedScheduler {
    return this.#schedulers[n]!;
  }

  allocateEdgeId(): number {
    return ++this.#edgeIds;
  }

  get steps(): number {
    return this.#steps;
  }

  #log(message: string): void {
    if (this.messages.length >= 100) this.messages.shift();
    this.messages.push(message);
    this.onLog?.(message);
  }

  /** Every step some processor could take now. */
  #runnable(): Step[] {
    const steps: Step[] = [];
    const now = this.clock.now;
    for (let k = 0; k < this.count; k++) {
      const p = this.#processors[k]!;
      const s = this.#schedulers[k]!;
      if (s.dpcsQueued > 0) steps.push({ processor: k, kind: 'dpc', peer: -1 });
      const due = s.nextTimer;
      if (due !== null && due <= now) steps.push({ processor: k, kind: 'timer', peer: -1 });
      if (this.#control[k]!.length > 0) steps.push({ processor: k, kind: 'control', peer: -1 });
      for (let q = 0; q < this.count; q++) {
        if (q === k) continue;
        if (p.descriptorsReady(q)) steps.push({ processor: k, kind: 'descriptors', peer: q });
        if (p.returnsReady(q)) steps.push({ processor: k, kind: 'returns', peer: q });
      }
      if (p.flushPending) steps.push({ processor: k, kind: 'flush', peer: -1 });
      if (p.polls.length > 0 && p.pollsPending()) steps.push({ processor: k, kind: 'poll', peer: -1 });
    }
    return steps;
  }

  #take(step: Step): void {
    const p = this.#processors[step.processor]!;
    const s = this.#schedulers[step.processor]!;
    p.counters.steps++;
    this.#steps++;
    switch (step.kind) {
      case 'dpc':
        s.runDpcs();
        p.counters.dpcRuns++;
        break;
      case 'timer':
        s.runDueTimers();
        break;
      case 'control':
        p.control(this.#control[step.processor]!.shift()!);
        break;
      case 'descriptors':
        p.drainDescriptors(step.peer, this.lanes.batch(this.maxBatch));
        break;
      case 'returns':
        p.drainReturns(step.peer, this.lanes.batch(this.maxBatch));
        break;
      case 'flush':
        break;
      case 'poll':
        p.runPolls();
        break;
    }
    p.flush();
  }

  /** Takes one seeded step; false when no processor can step now. */
  step(): boolean {
    const steps = this.#runnable();
    if (steps.length === 0) return false;
    this.#take(this.lanes.pick(steps));
    return true;
  }

  /** The next virtual time something becomes due (timer or park deadline), or null. */
  nextDeadline(): number | null {
    let d: number | null = null;
    for (let k = 0; k < this.count; k++) {
      const t = this.#schedulers[k]!.nextTimer;
      const park = this.#processors[k]!.nextParkDeadline();
      for (const x of [t, park]) if (x !== null && (d === null || x < d)) d = x;
    }
    return d;
  }

  /**
   * Steps until `until` holds, or nothing can step (and, when time may advance, nothing is due within
   * `maxTimeMs`), or `maxSteps` is reached. Promises settle between steps, so control-plane work (pause,
   * restart, OIDs) interleaves with the data path as it would with a real event loop.
   */
  async run(options: RunOptions = {}): Promise<SimulationResult> {
    const { until } = options;
    const maxSteps = options.maxSteps ?? 1_000_000;
    const timeLimit = this.clock.now + (options.maxTimeMs ?? 60_000);
    const advance = options.advanceTime ?? until !== undefined;
    let steps = 0;
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      if (until?.()) return this.#result(steps, false, true);
      if (steps >= maxSteps) return this.#result(steps, false, false);
      if (this.step()) {
        steps++;
        continue;
      }
      // Nothing can step: let promises and macrotasks settle once more, then move time or stop.
      await new Promise<void>((r) => setImmediate(r));
      if (until?.()) return this.#result(steps, false, true);
      if (this.#runnable().length > 0) continue;
      const next = advance ? this.nextDeadline() : null;
      if (next === null || next > timeLimit) return this.#result(steps, true, until?.() ?? false);
      this.clock.now = Math.max(this.clock.now, next);
    }
  }

  /** Like ManualScheduler.advanceAsync: moves virtual time `ms` forward, stepping everything due on the way. */
  async advance(ms: number, maxSteps = 1_000_000): Promise<SimulationResult> {
    const end = this.clock.now + ms;
    let steps = 0;
    for (;;) {
      const r = await this.run({ maxSteps: maxSteps - steps, advanceTime: false });
      steps += r.steps;
      if (steps >= maxSteps) return this.#result(steps, false, false);
      const next = this.nextDeadline();
      if (next === null || next > end) break;
      this.clock.now = Math.max(this.clock.now, next);
    }
    this.clock.now = Math.max(this.clock.now, end);
    const r = await this.run({ maxSteps: maxSteps - steps, advanceTime: false });
    return this.#result(steps + r.steps, r.quiescent, r.satisfied);
  }

  #result(steps: number, quiescent: boolean, satisfied: boolean): SimulationResult {
    return { steps, timeMs: this.clock.now, quiescent, satisfied };
  }

  // ---------------------------------------------------------------------------------------------
  // Free-running: the set steps itself (hosts built from a config, the CLI)

  /** Whether the set steps itself on the event loop (`startFreeRunning`). */
  get freeRunning(): boolean {
    return this.#free !== null;
  }

  /**
   * Lets the set step itself on the event loop, for hosts nobody drives with `run` (a config's hosts, the
   * CLI with `TSNDIS_PROCESSORS=sim:<seed>`): whenever work arrives it takes seeded steps (up to
   * FREE_RUN_BATCH per macrotask, so I/O and promises run in between), and its virtual clock follows
   * `performance.now()` from where it stands, so timers fire in real time. The interleaving is still the
   * seed's; what real I/O brings, and when, is not. Nothing it schedules holds the process.
   * Do not mix with `run`/`advance`.
   */
  startFreeRunning(): void {
    if (this.#free !== null) return;
    this.#free = { offset: this.clock.now - performance.now(), immediate: null, timeout: null };
    this.#kick();
  }

  /** Stops free-running (idempotent); what is queued stays queued. */
  stopFreeRunning(): void {
    const f = this.#free;
    if (f === null) return;
    if (f.immediate !== null) clearImmediate(f.immediate);
    if (f.timeout !== null) clearTimeout(f.timeout);
    this.#free = null;
  }

  #kick(): void {
    const f = this.#free;
    if (f === null || f.immediate !== null) return;
    f.immediate = setImmediate(this.#pump);
    f.immediate.unref();
  }

  readonly #pump = (): void => {
    const f = this.#free;
    if (f === null) return;
    f.immediate = null;
    if (f.timeout !== null) clearTimeout(f.timeout);
    f.timeout = null;
    this.clock.now = Math.max(this.clock.now, performance.now() + f.offset);
    // Returns given back by code that ran outside a step (an I/O callback on processor 0) are published here.
    for (const p of this.#processors) p.flush();
    for (let n = 0; n < FREE_RUN_BATCH && this.step(); n++);
    if (this.#free !== f) return; // stopped by a step
    if (this.#runnable().length > 0) {
      this.#kick();
      return;
    }
    // Idle: wake at the next deadline, and at least every FREE_RUN_IDLE_MS for ring work nobody announced.
    const next = this.nextDeadline();
    const delay = Math.max(0, Math.min(next === null ? FREE_RUN_IDLE_MS : next - this.clock.now, FREE_RUN_IDLE_MS));
    f.timeout = setTimeout(this.#pump, delay);
    f.timeout.unref();
  };
}

/** Steps a free-running set takes per macrotask. */
export const FREE_RUN_BATCH = 64;
/** Longest a free-running set sleeps without a deadline (it polls its rings then). */
export const FREE_RUN_IDLE_MS = 10;

interface FreeRun {
  /** Virtual time = performance.now() + offset. */
  readonly offset: number;
  immediate: ReturnType<typeof setImmediate> | null;
  timeout: ReturnType<typeof setTimeout> | null;
}
