/**
 * Poll mode's state and budget (src/util/poll-loop.ts) in virtual time: a fake receive source
 * whose every check costs 1 µs of a virtual clock and whose frames arrive at scheduled times, a loop
 * whose slices the test runs by hand. Fixed cases for each rule, then a property test over random
 * arrival schedules: every frame is taken once, a source sleeps only after a full budget without work,
 * the adaptive budget stays within [PollBudgetUs, 8×] and moves only by doubling and halving.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ADAPTIVE_MAX_FACTOR, PollBudget, PollLoop, type PollMode, type PollSource } from '../../src/util/poll-loop.js';

/** A virtual processor: clock in µs, one source with scheduled frame arrivals, slices run by `runLoop`. */
class Sim {
  now = 0;
  readonly arrivals: number[];
  taken = 0;
  /** Frames taken by a poll (no wake-up) and by a wake-up. */
  polled = 0;
  woken = 0;
  asleep = false;
  sleeps = 0;
  /** Budgets seen at every change. */
  readonly budgets: number[] = [];
  slicesQueued = 0;
  readonly loop: PollLoop;
  readonly source: PollSource;

  constructor(mode: PollMode, baseUs: number, arrivals: number[], sliceUs = 100) {
    this.arrivals = [...arrivals].sort((a, b) => a - b);
    this.loop = new PollLoop(
      () => this.now,
      () => this.slicesQueued++,
      sliceUs,
    );
    const budget = new PollBudget(mode, baseUs);
    this.budgets.push(budget.budgetUs);
    this.source = {
      budget,
      poll: () => {
        this.#noteBudget();
        this.now += 1;
        const n = this.#arrived();
        this.polled += n;
        return n;
      },
      sleep: () => {
        this.#noteBudget();
        assert.equal(this.asleep, false, 'a sleeping source was put to sleep again');
        this.asleep = true;
        this.sleeps++;
      },
    };
  }

  #arrived(): number {
    let n = 0;
    while (this.taken < this.arrivals.length && this.arrivals[this.taken]! <= this.now) {
      this.taken++;
      n++;
    }
    return n;
  }

  #noteBudget(): void {
    // Sampled at every check, sleep and wake-up: the budget changes only between them.
    const b = this.source.budget.budgetUs;
    if (b !== this.budgets.at(-1)) this.budgets.push(b);
  }

  /** Runs until every frame is taken and the source sleeps (bounded). */
  run(): void {
    // The first frame wakes the source (its DPC), which then runs out of work and polls.
    this.asleep = true;
    for (let steps = 0; steps < 1_000_000; steps++) {
      if (this.asleep) {
        if (this.taken === this.arrivals.length) return;
        // A wake-up: the DPC takes what arrived, then the source polls instead of sleeping.
        this.now = Math.max(this.now, this.arrivals[this.taken]!);
        this.asleep = false;
        this.source.budget.woke(this.now);
        this.woken += this.#arrived();
        this.#noteBudget();
        this.loop.idle(this.source);
        continue;
      }
      assert.ok(this.slicesQueued > 0, 'a polling source with no slice queued');
      this.slicesQueued--;
      this.loop.slice();
      this.#noteBudget();
    }
    assert.fail('the simulation did not finish');
  }
}

test('poll mode off: a source that ran out of work sleeps at once, nothing is polled or counted', () => {
  const sim = new Sim('off', 50, [0, 10, 20]);
  sim.run();
  assert.equal(sim.polled, 0);
  assert.equal(sim.woken, 3);
  assert.equal(sim.sleeps, 3);
  assert.deepEqual({ ...sim.source.budget.counters }, { polls: 0, pollsWithWork: 0, pollMicros: 0, checks: 0, wakeups: 0 });
  assert.equal(sim.source.budget.budgetUs, 0);
});

test('poll mode on: frames within the budget since the last one are polled; then it sleeps after exactly the budget', () => {
  // 0 wakes it; 30 and 70 come within 50 µs of the frame before; 200 is 130 µs after 70: a wake-up.
  const sim = new Sim('on', 50, [0, 30, 70, 200]);
  sim.run();
  assert.equal(sim.woken, 2);
  assert.equal(sim.polled, 2);
  const c = sim.source.budget.counters;
  // Polls: from 0 (found 30), from 30 (found 70), from 70 (ran out), from 200 (ran out).
  assert.equal(c.polls, 4);
  assert.equal(c.pollsWithWork, 2);
  assert.equal(c.wakeups, 1);
  assert.equal(sim.sleeps, 2);
  // Time polled: 30 + 40 + 50 + 50 µs (every check is 1 µs).
  assert.equal(c.pollMicros, 170);
  assert.equal(c.checks, 170);
  assert.deepEqual(sim.budgets, [50], 'a fixed budget never moves');
});

test('adaptive: the budget doubles after polls that found work, up to 8×, and halves after polls that did not, down to the base', () => {
  // A burst 40 µs apart (each found by a poll) grows the budget 50 → 100 → 200 → 400 and no further.
  const burst = Array.from({ length: 8 }, (_, i) => i * 40);
  // Then frames 10 ms apart: every poll runs out and the next frame is far: halving back to 50.
  const idle = Array.from({ length: 5 }, (_, i) => 100_000 + i * 10_000);
  const sim = new Sim('adaptive', 50, [...burst, ...idle]);
  sim.run();
  assert.deepEqual(sim.budgets, [50, 100, 200, 400, 200, 100, 50]);
  assert.equal(sim.polled, 7);
  assert.equal(sim.woken, 6);
});

test('adaptive: a frame that came within 8× the base after a poll ran out counts as found, so the budget grows to span the gap', () => {
  // Frames 180 µs apart: polls of 50 and 100 µs miss them (the frame wakes the source), 200 µs catches them.
  const arrivals = Array.from({ length: 12 }, (_, i) => i * 180);
  const sim = new Sim('adaptive', 50, arrivals);
  sim.run();
  assert.deepEqual(sim.budgets.slice(0, 3), [50, 100, 200]);
  // From the third frame on every frame is found by polling.
  assert.equal(sim.woken, 3);
  assert.equal(sim.polled, 9);
});

test('slices: a long budget is spent in slices that yield to the processor loop, a slice that found work yields at once; a removed source leaves without sleeping', () => {
  const sim = new Sim('on', 1000, [], 100);
  sim.loop.idle(sim.source);
  let slices = 0;
  while (sim.slicesQueued > 0 && slices < 100) {
    sim.slicesQueued--;
    sim.loop.slice();
    slices++;
  }
  // 1000 µs of 1-µs checks in slices of 100 µs.
  assert.equal(slices, 10);
  assert.equal(sim.sleeps, 1);
  // A slice that found work ends there: what the work queued (socket callbacks, promise reactions) runs
  // before the next slice.
  const found = new Sim('on', 1000, [5], 100);
  found.loop.idle(found.source);
  found.slicesQueued--;
  found.loop.slice();
  assert.equal(found.now, 5);
  assert.equal(found.slicesQueued, 1);
  assert.equal(found.polled, 1);
  const again = new Sim('on', 1000, [], 100);
  again.loop.idle(again.source);
  again.loop.slice();
  again.loop.remove(again.source);
  assert.equal(again.loop.polling, 0);
  again.loop.slice();
  assert.equal(again.sleeps, 0);
});

test('property: every frame is taken once, sleeps follow a full budget without work, the adaptive budget stays in range', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<PollMode>('off', 'on', 'adaptive'),
      fc.integer({ min: 1, max: 200 }),
      fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 1, max: 300 }),
      (mode, base, gaps, sliceUs) => {
        const arrivals: number[] = [];
        let t = 0;
        for (const g of gaps) {
          t += g;
          arrivals.push(t);
        }
        const sim = new Sim(mode, base, arrivals, sliceUs);
        sim.run();
        const b = sim.source.budget;
        const c = b.counters;
        assert.equal(sim.polled + sim.woken, arrivals.length, 'frames lost or taken twice');
        if (mode === 'off') {
          assert.equal(sim.polled, 0);
          assert.equal(c.polls, 0);
          return;
        }
        // Every poll either found work or ran out (and slept).
        assert.equal(c.polls, c.pollsWithWork + sim.sleeps);
        for (const x of sim.budgets) {
          assert.ok(x >= base && x <= (mode === 'adaptive' ? base * ADAPTIVE_MAX_FACTOR : base), `budget ${x} out of range`);
          // Only doublings and halvings of the base.
          assert.ok(Number.isInteger(Math.log2(x / base)));
        }
        // A poll that ran out lasted at least the budget in force then (at most a check more).
        assert.ok(c.pollMicros >= sim.sleeps * base);
      },
    ),
    { numRuns: 300 },
  );
});
