/**
 * tsndis.impairment, statistically: 100 000 numbered frames from host A to host B over a virtual wire,
 * impaired on A's send path or on B's receive path; the rates B measures (from the sequence numbers it
 * sees) match the configuration within 5 binomial standard deviations, and match the filter's own
 * counters exactly. Frames go in chains of 64; B's receive DPC runs every 8 chains.
 *
 * Tolerances: a count of events with probability p over n independent frames is Binomial(n, p), with
 * σ = √(n·p·(1−p)); each test allows 5σ (a false failure about once in 1.7 million runs). The
 * Gilbert–Elliott test widens σ for the chain's memory (see there).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImpairmentDirectionName, ImpairmentParams } from '../../src/drivers/filter/impairment/index.js';
import { assertClean, settle, uniqueWire } from '../support/hosts.js';
import { SeqRecorder, SeqSender, VirtualWire, WireTap, analyse, binomialTolerance, impairedPair, type ImpairedHost } from '../support/impairment.js';

const FRAMES = 100_000;
const BATCH = 64;
const SETTLE_EVERY = 8;
const DIRECTIONS: readonly ImpairmentDirectionName[] = ['send', 'receive'];

interface Run {
  a: ImpairedHost;
  b: ImpairedHost;
  /** The impaired module (A's for send, B's for receive). */
  impaired: ImpairedHost;
  arrivals: number[];
  wire: string;
}

/** Streams FRAMES numbered frames A → B with `params` on `direction`, then lets held-back frames go. */
async function stream(direction: ImpairmentDirectionName, params: Partial<ImpairmentParams>, frames = FRAMES): Promise<Run> {
  const wire = uniqueWire('imp-stat');
  const { a, b } = await impairedPair(wire);
  const impaired = direction === 'send' ? a : b;
  impaired.filter.configure(direction, params);
  const rec = new SeqRecorder(b.ep);
  const sender = new SeqSender(a.ep, b.mac, a.mac);
  for (let seq = 0, batch = 1; seq < frames; seq += BATCH, batch++) {
    const k = Math.min(BATCH, frames - seq);
    const sent = sender.send(seq, k);
    if (sent !== k) assert.fail(`batch at ${seq}: the raw binding took ${sent} of ${k} frames`);
    if (batch % SETTLE_EVERY === 0) await settle(1);
  }
  await settle();
  // Held-back frames with no later traffic leave after ReorderMaxHoldMs.
  await impaired.rt.scheduler.advanceAsync(impaired.filter.params(direction).reorderMaxHoldMs);
  await settle();
  return { a, b, impaired, arrivals: rec.arrivals, wire };
}

async function finish(run: Run): Promise<void> {
  await run.a.rt.shutdown();
  await run.b.rt.shutdown();
  assertClean(run.a.rt);
  assertClean(run.b.rt);
  VirtualWire.release(run.wire);
}

function assertNear(measured: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(measured - expected) <= tolerance, `${what}: measured ${measured}, expected ${expected.toFixed(1)} ± ${tolerance.toFixed(1)}`);
}

for (const direction of DIRECTIONS) {
  test(`impairment (${direction}): random loss of 10 % over 100 000 frames is within 5σ`, async (t) => {
    const p = 0.1;
    const run = await stream(direction, { lossProbability: p });
    const r = analyse(run.arrivals, FRAMES);
    const stats = run.impaired.filter.stats(direction).totals;
    t.diagnostic(`lost ${r.lost.length} of ${FRAMES} (${((100 * r.lost.length) / FRAMES).toFixed(3)} %), expected ${FRAMES * p} ± ${binomialTolerance(FRAMES, p).toFixed(0)}`);
    assertNear(r.lost.length, FRAMES * p, binomialTolerance(FRAMES, p), 'lost frames');
    assert.equal(stats.droppedRandom, r.lost.length, 'the filter counted every loss B saw');
    assert.equal(stats.offered, FRAMES);
    assert.equal(r.extra, 0);
    assert.equal(r.late.length, 0, 'loss alone keeps order');
    await finish(run);
  });

  test(`impairment (${direction}): duplication of 5 % over 100 000 frames is within 5σ`, async (t) => {
    const p = 0.05;
    const run = await stream(direction, { duplicateProbability: p, duplicateCount: 1 });
    const r = analyse(run.arrivals, FRAMES);
    const stats = run.impaired.filter.stats(direction).totals;
    t.diagnostic(`duplicates ${r.extra} of ${FRAMES} (${((100 * r.extra) / FRAMES).toFixed(3)} %), expected ${FRAMES * p} ± ${binomialTolerance(FRAMES, p).toFixed(0)}`);
    assertNear(r.extra, FRAMES * p, binomialTolerance(FRAMES, p), 'duplicate frames');
    assert.equal(stats.duplicated, r.extra);
    assert.equal(r.lost.length, 0);
    assert.equal(stats.copyFailed, 0);
    await finish(run);
  });

  test(`impairment (${direction}): reordering of 2 % over 100 000 frames is within 5σ`, async (t) => {
    const p = 0.02;
    const run = await stream(direction, { reorderProbability: p, reorderGap: 3 });
    const r = analyse(run.arrivals, FRAMES);
    const stats = run.impaired.filter.stats(direction).totals;
    t.diagnostic(`late ${r.late.length} of ${FRAMES} (${((100 * r.late.length) / FRAMES).toFixed(3)} %), expected ${FRAMES * p} ± ${binomialTolerance(FRAMES, p).toFixed(0)}`);
    assertNear(r.late.length, FRAMES * p, binomialTolerance(FRAMES, p), 'late frames');
    // Every held-back frame arrives late, except one held at the very end with nothing behind it.
    assert.ok(stats.reordered - r.late.length <= 1, `held back ${stats.reordered}, late ${r.late.length}`);
    assert.equal(r.lost.length, 0);
    assert.equal(r.extra, 0);
    await finish(run);
  });

  test(`impairment (${direction}): Gilbert–Elliott mean loss equals its stationary value`, async (t) => {
    // Good → bad 1 %, bad → good 20 %, loss 0 % when good and 80 % when bad.
    const enter = 0.01, exit = 0.2, lossGood = 0, lossBad = 0.8;
    const run = await stream(direction, { burstEnterProbability: enter, burstExitProbability: exit, burstLossGoodProbability: lossGood, burstLossBadProbability: lossBad });
    const r = analyse(run.arrivals, FRAMES);
    const piBad = enter / (enter + exit);
    const mean = (1 - piBad) * lossGood + piBad * lossBad;
    // The states are correlated from frame to frame: with λ = 1 − enter − exit the variance of the
    // state's mean grows by (1 + λ)/(1 − λ) over independent draws; the per-state Bernoulli loss adds
    // E[f(1 − f)] on top. σ² per frame = E[f(1−f)] + Var(f(S))·(1+λ)/(1−λ).
    const lambda = 1 - enter - exit;
    const bernoulli = (1 - piBad) * lossGood * (1 - lossGood) + piBad * lossBad * (1 - lossBad);
    const stateVariance = piBad * (1 - piBad) * (lossBad - lossGood) ** 2;
    const sigma = Math.sqrt(FRAMES * (bernoulli + (stateVariance * (1 + lambda)) / (1 - lambda)));
    t.diagnostic(`lost ${r.lost.length} of ${FRAMES} (${((100 * r.lost.length) / FRAMES).toFixed(3)} %), stationary ${(100 * mean).toFixed(3)} % ± ${((500 * sigma) / FRAMES).toFixed(3)} %`);
    assertNear(r.lost.length, FRAMES * mean, 5 * sigma, 'burst-lost frames');
    assert.equal(run.impaired.filter.stats(direction).totals.droppedBurst, r.lost.length);
    // Losses come in bursts: a lost frame's successor is lost far more often than the mean rate.
    const lost = new Set(r.lost);
    let after = 0;
    for (const s of r.lost) if (lost.has(s + 1)) after++;
    assert.ok(after / r.lost.length > 3 * mean, `P(loss | previous lost) ${after / r.lost.length} vs mean ${mean}`);
    await finish(run);
  });
}

for (const direction of DIRECTIONS) {
  test(`impairment (${direction}): the token bucket passes the configured rate on the manual clock`, async (t) => {
    const RATE_BPS = 8_000_000; // 1000 bytes per ms
    const FRAME_BYTES = 1000;
    const QUEUE = 50;
    const DURATION_MS = 2000;
    const OFFERED_PER_MS = 2; // twice the rate: the bucket limits, the queue fills and overflows
    const wire = uniqueWire('imp-rate');
    const { a, b } = await impairedPair(wire);
    const impaired = direction === 'send' ? a : b;
    impaired.filter.configure(direction, { rateBps: RATE_BPS, queueFrames: QUEUE });
    const clock = (): number => impaired.rt.scheduler.now();
    // When a frame leaves the impaired module: on the wire (send) or at B's protocol (receive).
    const tap = new WireTap(clock);
    if (direction === 'send') VirtualWire.named(wire).attach(tap);
    const rec = new SeqRecorder(b.ep, clock);
    const sender = new SeqSender(a.ep, b.mac, a.mac, FRAME_BYTES - 14);
    let maxHeld = 0;
    for (let ms = 0, seq = 0; ms < DURATION_MS; ms++, seq += OFFERED_PER_MS) {
      assert.equal(sender.send(seq, OFFERED_PER_MS), OFFERED_PER_MS);
      // Receive: B's DPC must bring the frames to the filter at this instant.
      if (direction === 'receive' || ms % 64 === 63) await settle(1);
      impaired.rt.scheduler.advance(1);
      maxHeld = Math.max(maxHeld, impaired.filter.stats(direction).held);
    }
    const times = direction === 'send' ? tap.times : rec.times;
    const departed = times.filter((x) => x < DURATION_MS).length;
    const throughputBps = (departed * FRAME_BYTES * 8) / (DURATION_MS / 1000);
    // One frame of bucket at the start and one frame of rounding at the end of the window.
    const toleranceBps = (2 * FRAME_BYTES * 8) / (DURATION_MS / 1000);
    t.diagnostic(`throughput ${(throughputBps / 1e6).toFixed(4)} Mbit/s for ${RATE_BPS / 1e6} Mbit/s configured (${departed} frames in ${DURATION_MS} ms); queue peaked at ${maxHeld}`);
    assertNear(throughputBps, RATE_BPS, toleranceBps, 'throughput');
    assert.ok(maxHeld <= QUEUE, `held ${maxHeld} > queue ${QUEUE}`);
    const s = impaired.filter.stats(direction);
    assert.equal(s.totals.offered, DURATION_MS * OFFERED_PER_MS);
    assert.equal(s.totals.passed + s.totals.droppedQueue + s.held, s.totals.offered, 'every frame passed, dropped or held');
    assert.ok(s.totals.droppedQueue > 0 && s.totals.rateLimited > 0);
    // The backlog drains at the rate once the offer stops.
    impaired.rt.scheduler.advance(QUEUE + 1);
    await settle();
    assert.equal(impaired.filter.stats(direction).held, 0);
    assert.equal(analyse(rec.arrivals, DURATION_MS * OFFERED_PER_MS).distinct, s.totals.passed + s.held);
    VirtualWire.named(wire).detach(tap);
    await finish({ a, b, impaired, arrivals: [], wire });
  });
}
