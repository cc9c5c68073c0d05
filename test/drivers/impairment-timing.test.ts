/**
 * tsndis.impairment on the manual clock: delay and jitter bounds, order keeping, and jitter that may
 * reorder when asked to. Each frame's latency is measured from the impaired host's clock when it entered
 * the filter to the clock when it left (on the wire for sends, at B's protocol for receives).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImpairmentDirectionName, ImpairmentParams } from '../../src/drivers/filter/impairment/index.js';
import { assertClean, settle, uniqueWire } from '../support/hosts.js';
import { SeqRecorder, SeqSender, VirtualWire, WireTap, analyse, impairedPair } from '../support/impairment.js';

const DIRECTIONS: readonly ImpairmentDirectionName[] = ['send', 'receive'];
const FRAMES = 2000;
const PER_MS = 4;

interface Timed {
  /** Latency per sequence number. */
  latency: number[];
  /** Sequence numbers in the order they left the filter. */
  order: number[];
}

/** FRAMES frames, PER_MS per ms of the impaired host's clock, through `params` on `direction`. */
async function timed(direction: ImpairmentDirectionName, params: Partial<ImpairmentParams>): Promise<Timed> {
  const wire = uniqueWire('imp-time');
  const { a, b } = await impairedPair(wire);
  const impaired = direction === 'send' ? a : b;
  impaired.filter.configure(direction, params);
  const clock = (): number => impaired.rt.scheduler.now();
  const tap = new WireTap(clock);
  if (direction === 'send') VirtualWire.named(wire).attach(tap);
  const rec = new SeqRecorder(b.ep, clock);
  const sender = new SeqSender(a.ep, b.mac, a.mac);
  const sentAt: number[] = [];
  for (let seq = 0; seq < FRAMES; seq += PER_MS) {
    for (let k = 0; k < PER_MS; k++) sentAt[seq + k] = clock();
    assert.equal(sender.send(seq, PER_MS), PER_MS);
    if (direction === 'receive' || seq % 256 === 0) await settle(1);
    impaired.rt.scheduler.advance(1);
  }
  for (let i = 0; i < 100; i++) {
    impaired.rt.scheduler.advance(1);
    if (i % 20 === 0) await settle(1);
  }
  await settle();
  const seqs = direction === 'send' ? tap.seqs : rec.arrivals;
  const times = direction === 'send' ? tap.times : rec.times;
  assert.equal(analyse(rec.arrivals, FRAMES).distinct, FRAMES, 'every frame arrived once');
  assert.equal(seqs.length, FRAMES);
  const latency: number[] = [];
  seqs.forEach((s, i) => {
    latency[s] = times[i]! - sentAt[s]!;
  });
  VirtualWire.named(wire).detach(tap);
  await a.rt.shutdown();
  await b.rt.shutdown();
  assertClean(a.rt);
  assertClean(b.rt);
  VirtualWire.release(wire);
  return { latency, order: seqs };
}

function inOrder(order: readonly number[]): boolean {
  return order.every((s, i) => i === 0 || s > order[i - 1]!);
}

function std(xs: readonly number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
}

for (const direction of DIRECTIONS) {
  test(`impairment (${direction}): a fixed delay holds every frame exactly that long`, async () => {
    const { latency, order } = await timed(direction, { delayMs: 30 });
    assert.ok(latency.every((l) => l === 30), `latencies ${Math.min(...latency)}…${Math.max(...latency)}`);
    assert.ok(inOrder(order));
  });

  test(`impairment (${direction}): uniform jitter stays within delay ± jitter and keeps order`, async (t) => {
    const D = 50, J = 10;
    const { latency, order } = await timed(direction, { delayMs: D, jitterMs: J });
    const lo = Math.min(...latency), hi = Math.max(...latency);
    t.diagnostic(`latency ${lo.toFixed(3)}…${hi.toFixed(3)} ms for ${D} ± ${J}`);
    assert.ok(lo >= D - J && hi <= D + J, `latency ${lo}…${hi} outside ${D - J}…${D + J}`);
    // Order keeping lifts a frame to the release of the one before it, so dense traffic sits in the
    // upper part of the range; the full range is checked with JitterReorders below.
    assert.ok(hi - lo > J / 2, 'the jitter varies the delay');
    assert.ok(inOrder(order), 'frames delayed by jitter do not overtake');
  });

  test(`impairment (${direction}): normal jitter stays within ±3σ and has the configured σ`, async (t) => {
    const D = 50, SIGMA = 5;
    const { latency, order } = await timed(direction, { delayMs: D, jitterMs: SIGMA, jitterDistribution: 'normal', jitterReorders: true });
    const lo = Math.min(...latency), hi = Math.max(...latency);
    const s = std(latency);
    t.diagnostic(`latency ${lo.toFixed(3)}…${hi.toFixed(3)} ms, σ ${s.toFixed(3)} for ${D} ± N(0, ${SIGMA})`);
    assert.ok(lo >= D - 3 * SIGMA && hi <= D + 3 * SIGMA, `latency ${lo}…${hi}`);
    // The sample σ of 2000 draws is within 3 % of σ at 1σ; truncation at 3σ lowers it by 1.3 %.
    assert.ok(Math.abs(s - SIGMA) < 0.12 * SIGMA, `σ ${s}`);
    assert.ok(!inOrder(order), 'with JitterReorders, frames overtake');
  });

  test(`impairment (${direction}): jitter reorders only when JitterReorders allows it`, async () => {
    const kept = await timed(direction, { delayMs: 20, jitterMs: 15 });
    assert.ok(inOrder(kept.order));
    const reordered = await timed(direction, { delayMs: 20, jitterMs: 15, jitterReorders: true });
    assert.ok(!inOrder(reordered.order));
    const lo = Math.min(...reordered.latency), hi = Math.max(...reordered.latency);
    assert.ok(lo >= 5 && hi <= 35, 'each frame keeps its own delay');
    assert.ok(lo < 8 && hi > 32, `uniform jitter spans its range (${lo}…${hi})`);
  });

  test(`impairment (${direction}): a held-back frame leaves after ReorderMaxHoldMs when no frames follow`, async () => {
    const { latency } = await timed(direction, { reorderProbability: 0.01, reorderGap: 1000, reorderMaxHoldMs: 7 });
    const held = latency.filter((l) => l > 0);
    assert.ok(held.length > 0, 'some frames were held back');
    assert.ok(held.every((l) => l === 7), `held-back latencies ${[...new Set(held)].join(', ')}`);
  });
}
