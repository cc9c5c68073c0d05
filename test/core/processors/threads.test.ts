/**
 * The crossing scenarios in every processor mode (forEachProcessorMode): on the simulated set over seeds,
 * then on real worker threads (ThreadedProcessorSet: processor 0 the main thread, the others Workers
 * running ProcessorLoops, doorbells, the control port). The same conservation properties hold in both:
 * every NBL comes home to its pool, the far processor sees the bytes the home wrote, each flow stays in
 * order, refusals lose nothing, and no bad input is seen. Workers are stopped at the end of every test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThreadedProcessorSet } from '../../../src/core/processors/threaded.js';
import { NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS } from '../../../src/ndis/status.js';
import { type EdgeEndPlan, ModeHost, type ProcessorMode, flowFrame, forEachProcessorMode } from '../../support/processors.js';

type Plan = Omit<EdgeEndPlan, 'id' | 'name' | 'capacity' | 'ledgerCapacity' | 'shellCapacity'> & { chains: number[] };

async function crossingScenario(mode: ProcessorMode, count: number, plans: Plan[], rings: { ringSlots: number; returnSlots: number; maxBatch: number }, caps = { ledgerCapacity: 1024, shellCapacity: 512 }): Promise<void> {
  const h = await ModeHost.create(mode, count, rings);
  const label = mode.kind === 'simulated' ? `seed ${mode.seed}` : 'threads';
  try {
    const names = plans.map((_, i) => `e${i}`);
    for (const [i, p] of plans.entries()) await h.edge({ name: names[i]!, kind: p.kind, from: p.from, to: p.to, capacity: 24, holdSeed: p.holdSeed, ...caps });
    for (const [i, p] of plans.entries()) await h.offer(names[i]!, p.chains, 1000 + i, i * 10);
    const settled = async () => {
      for (const n of names) {
        const r = await h.report(n);
        if (!r.source.done || r.source.back.length !== r.source.offered || r.target.held > 0) return false;
      }
      return true;
    };
    await h.waitFor(settled, `${label}: every NBL home`);
    for (const [i, p] of plans.entries()) {
      const { source, target, poolsFull } = await h.report(names[i]!);
      assert.equal(source.notMine, 0, `${label}: only its own NBLs come back`);
      assert.equal(source.poolInUse, 0, `${label}: the home pool is full`);
      assert.equal(source.lent, 0, `${label}: nothing left on loan`);
      assert.equal(target.shellsOut, 0, `${label}: every shell back`);
      assert.ok(poolsFull, `${label}: the worker lanes' pools are full`);
      assert.ok(source.offered > 0 && source.offered <= p.chains.reduce((a, b) => a + b, 0), `${label}: frames offered (a chain stops early when the source pool is empty)`);
      const sent = new Map(source.sent);
      const last = new Map<number, number>();
      const seen = new Set<string>();
      for (const rec of target.seen) {
        assert.equal(rec.processor, p.to, `${label}: delivered on the far processor`);
        const v = new DataView(rec.bytes.buffer, rec.bytes.byteOffset, rec.bytes.byteLength);
        const flow = v.getUint32(0);
        const seq = v.getUint32(4);
        const key = `${flow}:${seq}`;
        assert.ok(!seen.has(key), `${label}: frame ${key} delivered once`);
        seen.add(key);
        assert.deepEqual(rec.bytes, sent.get(key), `${label}: frame ${key} byte-identical`);
        assert.deepEqual(rec.bytes, flowFrame(flow, seq, rec.bytes.length));
        assert.ok(seq > (last.get(flow) ?? 0), `${label}: flow ${flow}: ${seq} after ${last.get(flow)}`);
        last.set(flow, seq);
        assert.equal(rec.flags, p.kind === 'receive' ? 0x10 : 0x20, `${label}: path flags cross`);
      }
      assert.ok(target.seen.length + source.refused <= source.offered);
      if (p.kind === 'send') {
        assert.equal(source.back.filter((b) => b.status === NDIS_STATUS_SUCCESS).length, target.seen.length, `${label}: completed sends come back with their status`);
        assert.equal(source.back.filter((b) => b.status === NDIS_STATUS_RESOURCES).length, source.offered - target.seen.length, `${label}: every other send completes with RESOURCES`);
      }
      if (caps.shellCapacity >= 512 && rings.ringSlots >= 256) assert.equal(target.seen.length, source.offered, `${label}: with room everywhere nothing is refused`);
    }
    const counters = await h.counters();
    const sum = (f: (c: (typeof counters)[0]) => number) => counters.reduce((a, c) => a + f(c), 0);
    assert.equal(sum((c) => c.crossedOut), sum((c) => c.crossedIn) + sum((c) => c.shellsExhausted), `${label}: every descriptor written was read`);
    assert.equal(sum((c) => c.descriptorsCorrupt + c.unknownSlab + c.staleReturns + c.ringsKilled), 0, `${label}: no bad input`);
    assert.ok(h.rt.poolsFull(), `${label}: processor 0's pools full`);
    assert.deepEqual(h.rt.verifier.violations.map((v) => v.message), [], `${label}: no violation on any processor`);
  } finally {
    await h.close();
  }
}

const plans: Plan[] = [
  { kind: 'receive', from: 1, to: 0, chains: [5, 32, 8, 32, 1, 17], holdSeed: 7 },
  { kind: 'send', from: 0, to: 1, chains: [6, 2, 32, 2, 9], holdSeed: null },
  { kind: 'receive', from: 0, to: 1, chains: [12, 12, 30], holdSeed: 9 },
  { kind: 'send', from: 1, to: 0, chains: [3, 3, 25, 3], holdSeed: 11 },
];

test('processor modes: crossings both ways between two processors conserve every NBL, bytes and flow order (simulated seeds, then threads)', async () => {
  await forEachProcessorMode([1, 2, 3], (mode) => crossingScenario(mode, 2, plans, { ringSlots: 256, returnSlots: 1024, maxBatch: 32 }));
});

test('processor modes: small rings, ledgers and shell pools refuse without losing anything (simulated seeds, then threads)', async () => {
  await forEachProcessorMode([4, 5], (mode) => crossingScenario(mode, 2, plans, { ringSlots: 16, returnSlots: 8, maxBatch: 4 }, { ledgerCapacity: 16, shellCapacity: 6 }));
});

test('processor modes: three processors, edges between both workers and processor 0 (simulated seeds, then threads)', async () => {
  const three: Plan[] = [
    { kind: 'receive', from: 1, to: 0, chains: [8, 32, 4], holdSeed: 3 },
    { kind: 'receive', from: 2, to: 0, chains: [32, 1, 32], holdSeed: null },
    { kind: 'send', from: 0, to: 2, chains: [7, 7, 7], holdSeed: 5 },
    { kind: 'send', from: 1, to: 2, chains: [9, 20], holdSeed: null },
  ];
  await forEachProcessorMode([6], (mode) => crossingScenario(mode, 3, three, { ringSlots: 64, returnSlots: 64, maxBatch: 8 }));
});

test('threads: a worker that is terminated rejects what waits on it, and close() ends within its deadline', async () => {
  const set = new ThreadedProcessorSet({ count: 2, deadlineMs: 5000 });
  await set.ready;
  const { NdisRuntime } = await import('../../../src/core/runtime/runtime.js');
  const rt = new NdisRuntime({ name: 'T', processors: set });
  const slow = set.run(1, { module: new URL('../../support/lane-worker.js', import.meta.url).href, export: 'nothingHere' }, null, rt);
  await assert.rejects(slow, /exports no function nothingHere/);
  assert.throws(() => set.processor(1).scheduler.defer(() => {}), /runs on a worker thread/);
  const t0 = performance.now();
  await set.close(1000);
  assert.ok(performance.now() - t0 < 5000);
  await assert.rejects(set.run(1, { module: 'x', export: 'y' }, null, rt), /closed/);
});
