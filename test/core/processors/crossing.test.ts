/**
 * Crossing edges on the simulated processor set, over many seeds: every NBL that crosses comes back to
 * its home pool, the far processor sees the bytes the home wrote, a flow's frames stay in order, full
 * rings / ledgers / shell pools refuse without losing anything, and the same seed replays the same run.
 * Then the bad input a ring can carry: a corrupt descriptor, an unknown slab id, impossible indices.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SimulatedProcessorSet } from '../../../src/core/processors/simulated.js';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { RING_CONTROL } from '../../../src/core/processors/nbl-ring.js';
import { NDIS_STATUS_INVALID_DATA, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS } from '../../../src/ndis/status.js';
import { SeededRandom } from '../../../src/util/random.js';
import { type LaneSource, type LaneTarget, flowFrame, laneEdge, simulatedHost } from '../../support/processors.js';

interface EdgePlan {
  kind: 'receive' | 'send';
  from: number;
  to: number;
  chains: number[];
  hold: boolean;
}

interface Scenario {
  count: number;
  ringSlots: number;
  returnSlots: number;
  maxBatch: number;
  ledgerCapacity: number;
  shellCapacity: number;
  edges: EdgePlan[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 2, max: 4 }).chain((count) =>
  fc.record({
    count: fc.constant(count),
    ringSlots: fc.constantFrom(4, 16, 256),
    returnSlots: fc.constantFrom(2, 8, 1024),
    maxBatch: fc.constantFrom(1, 4, 32),
    ledgerCapacity: fc.constantFrom(4, 1024),
    shellCapacity: fc.constantFrom(3, 512),
    edges: fc.array(
      fc.record({
        kind: fc.constantFrom('receive' as const, 'send' as const),
        from: fc.integer({ min: 0, max: count - 1 }),
        to: fc.integer({ min: 0, max: count - 2 }),
        chains: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }),
        hold: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
);

interface Lane {
  plan: EdgePlan;
  source: LaneSource;
  target: LaneTarget;
  sent: Map<string, Uint8Array>;
  done: boolean;
}

interface Outcome {
  trace: string[];
  steps: number;
  slabParks: number;
}

/** Runs a scenario to the end and checks every invariant; returns a trace of what the targets saw. */
async function runScenario(seed: number, sc: Scenario): Promise<Outcome> {
  const { rt, set } = simulatedHost({ count: sc.count, seed, ringSlots: sc.ringSlots, returnSlots: sc.returnSlots, maxBatch: sc.maxBatch });
  const random = new SeededRandom(seed ^ 0x5a5a5a5a);
  const lanes: Lane[] = sc.edges.map((plan, i) => {
    const to = plan.to >= plan.from ? plan.to + 1 : plan.to; // never the home processor itself
    const { source, target } = laneEdge(rt, plan.kind, plan.from, to, { name: `e${i}`, capacity: 24, ledgerCapacity: sc.ledgerCapacity, shellCapacity: sc.shellCapacity });
    if (plan.hold) target.holdRandom = new SeededRandom(seed + i);
    return { plan: { ...plan, to }, source, target, sent: new Map(), done: false };
  });
  // Each source offers its chains from DPCs on its own processor, flows interleaved, sequence per flow.
  for (const [i, lane] of lanes.entries()) {
    const seqs = [0, 0, 0];
    let chain = 0;
    const sched = rt.lane(lane.plan.from).scheduler;
    const offerNext = (): void => {
      if (chain === lane.plan.chains.length) {
        lane.done = true;
        return;
      }
      const frames: Uint8Array[] = [];
      for (let k = 0; k < lane.plan.chains[chain]!; k++) {
        const flow = i * 10 + random.below(3);
        const seq = ++seqs[flow % 10]!;
        frames.push(flowFrame(flow, seq, 14 + random.below(1500)));
      }
      const nbls = lane.source.build(frames, random.below(2) * 64);
      for (let k = 0; k < nbls.length; k++) {
        const f = frames[k]!;
        lane.sent.set(`${new DataView(f.buffer).getUint32(0)}:${new DataView(f.buffer).getUint32(4)}`, f);
      }
      lane.source.offer(nbls, 0, lane.plan.kind === 'receive' ? 0x10 : 0x20);
      chain++;
      sched.defer(offerNext);
    };
    sched.defer(offerNext);
  }
  const settled = () => lanes.every((l) => l.done && l.source.back.length === l.source.offered && l.target.held === 0);
  const r = await set.run({ until: settled, maxSteps: 200_000 });
  assert.ok(r.satisfied, `seed ${seed}: the run settled (steps ${r.steps}, ${lanes.map((l) => `${l.source.back.length}/${l.source.offered} back, ${l.target.held} held`).join('; ')})`);

  const trace: string[] = [];
  for (const lane of lanes) {
    const { source, target } = lane;
    const edge = source.edge!;
    assert.equal(source.notMine, 0, 'only its own NBLs come back to a source');
    assert.equal(source.pool.inUse, 0, 'the home pool is full');
    assert.equal(edge.home.lent, 0, 'nothing left on loan');
    assert.equal(edge.far.shellsOut, 0, 'every shell back');
    // Byte-identical on the far processor, each frame at most once, flows in order.
    const last = new Map<number, number>();
    const seen = new Set<string>();
    for (const rec of target.seen) {
      assert.equal(rec.processor, lane.plan.to, 'delivered on the far processor');
      const v = new DataView(rec.bytes.buffer);
      const flow = v.getUint32(0);
      const seq = v.getUint32(4);
      const key = `${flow}:${seq}`;
      assert.ok(!seen.has(key), `frame ${key} delivered once`);
      seen.add(key);
      assert.deepEqual(rec.bytes, lane.sent.get(key), `frame ${key} byte-identical`);
      assert.ok(seq > (last.get(flow) ?? 0), `flow ${flow}: ${seq} after ${last.get(flow)}`);
      last.set(flow, seq);
      assert.equal(rec.flags, lane.plan.kind === 'receive' ? 0x10 : 0x20, 'path flags cross');
      trace.push(`${lane.plan.to}:${key}`);
    }
    // Delivered + refused at home + dropped at the far end (no shell) = offered.
    const refusedFar = edge.far.delivered === target.seen.length ? source.offered - edge.home.refused - target.seen.length : -1;
    assert.ok(refusedFar >= 0, 'everything the far end delivered reached the target');
    if (lane.plan.kind === 'send') {
      const ok = source.back.filter((b) => b.status === NDIS_STATUS_SUCCESS).length;
      const resources = source.back.filter((b) => b.status === NDIS_STATUS_RESOURCES).length;
      assert.equal(ok, target.seen.length, 'a send the target completed comes back with its status');
      assert.equal(resources, source.offered - target.seen.length, 'every other send completes with RESOURCES');
    }
  }
  const counters = [...Array(sc.count).keys()].map((k) => set.processor(k).counters);
  const sum = (f: (c: (typeof counters)[0]) => number) => counters.reduce((a, c) => a + f(c), 0);
  assert.equal(sum((c) => c.crossedOut), sum((c) => c.crossedIn) + sum((c) => c.shellsExhausted), 'every descriptor written was read');
  assert.equal(sum((c) => c.descriptorsCorrupt + c.unknownSlab + c.staleReturns + c.ringsKilled), 0, 'no bad input in a clean run');
  assert.ok(rt.poolsFull(), 'every pool and allocator of every lane full');
  assert.deepEqual(rt.verifier.violations.map((v) => v.message), []);
  await rt.shutdown();
  return { trace, steps: r.steps, slabParks: sum((c) => c.slabParks) };
}

test('crossing: over many seeds, every NBL comes home, bytes identical, flows in order, refusals lose nothing', async () => {
  let parks = 0;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 0x7fffffff }), scenarioArb, async (seed, sc) => {
      parks += (await runScenario(seed, sc)).slabParks;
    }),
    { numRuns: 60 },
  );
  assert.ok(parks > 0, 'some runs met a slab id before its announcement (and parked the ring)');
});

test('crossing: the same seed replays the same interleaving', async () => {
  const sc: Scenario = {
    count: 3,
    ringSlots: 16,
    returnSlots: 8,
    maxBatch: 4,
    ledgerCapacity: 1024,
    shellCapacity: 512,
    edges: [
      { kind: 'receive', from: 1, to: 0, chains: [5, 3, 8], hold: true },
      { kind: 'receive', from: 2, to: 0, chains: [4, 4], hold: true },
      { kind: 'send', from: 0, to: 1, chains: [6, 2, 2], hold: false },
    ],
  };
  const a = await runScenario(1234, sc);
  const b = await runScenario(1234, sc);
  const c = await runScenario(4321, sc);
  assert.deepEqual(b.trace, a.trace);
  assert.equal(b.steps, a.steps);
  assert.ok(c.steps !== a.steps || c.trace.join() !== a.trace.join(), 'another seed interleaves differently');
});

/** One receive edge 1 → 0 with three NBLs crossed and not yet drained; the test then damages the ring. */
async function crossedThree(): Promise<{ rt: NdisRuntime; set: SimulatedProcessorSet; source: LaneSource; target: LaneTarget }> {
  const { rt, set } = simulatedHost({ count: 2, seed: 7 });
  const { source, target } = laneEdge(rt, 'receive', 1, 0);
  // Announce the slab first, so only the damage decides what the consumer sees.
  source.offer(source.build([flowFrame(1, 1, 60)]));
  await set.run();
  assert.equal(target.seen.length, 1);
  source.offer(source.build([flowFrame(1, 2, 60), flowFrame(1, 3, 60), flowFrame(1, 4, 60)]));
  return { rt, set, source, target };
}

async function cleanEnd(rt: NdisRuntime, source: LaneSource): Promise<void> {
  assert.equal(source.back.length, source.offered, 'every NBL came home');
  assert.equal(source.pool.inUse, 0);
  assert.ok(rt.poolsFull());
  await rt.shutdown();
}

test('crossing: a corrupt descriptor is counted, reported and sent home; the ones around it cross', async () => {
  const { rt, set, source, target } = await crossedThree();
  const out = set.processor(1).nblOut[0]!;
  const head = new Int32Array(out.ring.sab)[RING_CONTROL.HEAD]!;
  // The second of the three (two slots each): its kind becomes 9.
  const w0 = out.slotBase(head + 2);
  out.words[w0] = (out.words[w0]! & ~0xff) | 9;
  const r = await set.run({ maxSteps: 10_000 });
  assert.ok(r.quiescent);
  const c = set.processor(0).counters;
  assert.equal(c.descriptorsCorrupt, 1);
  assert.deepEqual(target.seen.map((x) => new DataView(x.bytes.buffer).getUint32(4)), [1, 2, 4]);
  assert.ok(set.messages.some((m) => /corrupt descriptor/.test(m)), set.messages.join('\n'));
  await cleanEnd(rt, source);
});

test('crossing: an unknown slab id parks the ring, then (never announced) is dropped after 250 ms and the NBL goes home', async () => {
  const { rt, set, source, target } = await crossedThree();
  const out = set.processor(1).nblOut[0]!;
  const head = new Int32Array(out.ring.sab)[RING_CONTROL.HEAD]!;
  out.words[out.slotBase(head + 1) + 4] = 4242; // the first one's slab id
  const before = set.clock.now;
  const r = await set.run({ until: () => source.back.length === source.offered, maxSteps: 10_000 });
  assert.ok(r.satisfied);
  const c = set.processor(0).counters;
  assert.equal(c.slabParks, 1);
  assert.equal(c.unknownSlab, 1);
  assert.ok(set.clock.now - before >= 250, 'it waited for an announcement first');
  assert.deepEqual(target.seen.map((x) => new DataView(x.bytes.buffer).getUint32(4)), [1, 3, 4], 'the ring kept its order behind the park');
  await cleanEnd(rt, source);
});

test('crossing: impossible ring indices kill the ring; what was lent through it comes home and later crossings are refused', async () => {
  const { rt, set, source, target } = await crossedThree();
  const out = set.processor(1).nblOut[0]!;
  const w = new Int32Array(out.ring.sab);
  w[RING_CONTROL.TAIL] = w[RING_CONTROL.HEAD]! + out.ring.capacity + 5;
  const r = await set.run({ until: () => source.back.length === source.offered, maxSteps: 10_000 });
  assert.ok(r.satisfied, 'the three lent NBLs were reclaimed');
  const c0 = set.processor(0).counters;
  const c1 = set.processor(1).counters;
  assert.equal(c0.ringOverruns, 1);
  assert.equal(c0.ringsKilled, 1);
  assert.equal(c1.reclaimed, 3);
  assert.equal(target.seen.length, 1, 'nothing read from the dead ring');
  source.offer(source.build([flowFrame(1, 5, 60)]));
  assert.equal(c1.ringDeadRefusals, 1, 'a dead ring refuses at once');
  await set.run({ maxSteps: 1000 });
  await cleanEnd(rt, source);
});

test('crossing: a send edge completes the original with the far status; a receive with RESOURCES is not lent', async () => {
  const { rt, set } = simulatedHost({ count: 2, seed: 3 });
  const send = laneEdge(rt, 'send', 0, 1);
  send.target.status = NDIS_STATUS_INVALID_DATA;
  send.source.offer(send.source.build([flowFrame(2, 1, 100), flowFrame(2, 2, 100)]));
  const recv = laneEdge(rt, 'receive', 1, 0);
  const nbls = recv.source.build([flowFrame(3, 1, 100)]);
  recv.source.offer(nbls, 0, 0x2 /* NDIS_RECEIVE_FLAGS_RESOURCES */);
  await set.run();
  assert.deepEqual(send.source.back.map((b) => b.status), [NDIS_STATUS_INVALID_DATA, NDIS_STATUS_INVALID_DATA]);
  assert.equal(recv.target.seen.length, 0);
  assert.equal(set.processor(1).counters.notTransferable, 1);
  // The indicator keeps RESOURCES NBLs: free it as a miniport would once the indication returned.
  recv.source.pool.free(nbls[0]!);
  await cleanEnd(rt, send.source);
});

test('crossing: two hosts on one processor set share its processors and rings; edge ids keep their traffic apart', async () => {
  const set = new SimulatedProcessorSet({ count: 2, seed: 99, ringSlots: 16 });
  const a = new NdisRuntime({ name: 'A', processors: set });
  const b = new NdisRuntime({ name: 'B', processors: set });
  const ea = laneEdge(a, 'receive', 1, 0);
  const eb = laneEdge(b, 'receive', 1, 0);
  assert.notEqual(ea.edge.id, eb.edge.id);
  for (let i = 1; i <= 3; i++) {
    ea.source.offer(ea.source.build([flowFrame(1, i, 80)]));
    eb.source.offer(eb.source.build([flowFrame(2, i, 90)]));
  }
  await set.run();
  const flows = (t: LaneTarget) => t.seen.map((x) => `${new DataView(x.bytes.buffer).getUint32(0)}:${new DataView(x.bytes.buffer).getUint32(4)}`);
  assert.deepEqual(flows(ea.target), ['1:1', '1:2', '1:3']);
  assert.deepEqual(flows(eb.target), ['2:1', '2:2', '2:3']);
  assert.equal(ea.target.seen[0]!.bytes.length, 80);
  await cleanEnd(a, ea.source);
  await cleanEnd(b, eb.source);
});
