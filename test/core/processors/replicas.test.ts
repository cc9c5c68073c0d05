/**
 * A multi-processor miniport under a stack that does not opt in: each processor's queue is indicated by
 * that processor's replica, crosses to processor 0 and reaches the (single-processor) filter and binding
 * there; returns go back to the queue that indicated. Over many seeds, with pause and restart of the
 * stack while frames are in flight on every processor: every pause completes, every frame is indicated
 * or dropped by its paused queue and every indicated NBL comes back, each queue's frames arrive in
 * order, and every pool of every processor is full at the end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import type { SimulatedProcessorSet } from '../../../src/core/processors/simulated.js';
import { MiniportReplica } from '../../../src/core/processors/miniport-replica.js';
import { SeededRandom } from '../../../src/util/random.js';
import { snapshotRuntime } from '../../../src/inspect/snapshot.js';
import { renderText } from '../../../src/inspect/render-text.js';
import { renderJson } from '../../../src/inspect/render-json.js';
import { MpTestDriver, drive, simulatedHost } from '../../support/processors.js';
import { PEER_MAC, TEST_MAC, TestFilterDriver, TestProtocolDriver, type TestBinding, seqFrame, seqOf } from '../../support/test-drivers.js';

interface MpHost {
  rt: NdisRuntime;
  set: SimulatedProcessorSet;
  mp: MpTestDriver;
  binding: TestBinding;
}

async function mpHost(seed: number, count: number, rxCapacity = 16): Promise<MpHost> {
  const { rt, set } = simulatedHost({ count, seed, ringSlots: 16, maxBatch: 8 });
  const mp = new MpTestDriver('test.mp-miniport', rxCapacity);
  rt.registerDriver(mp.characteristics);
  const filter = new TestFilterDriver({ name: 'test.filter0' });
  rt.registerDriver(filter.characteristics);
  const proto = new TestProtocolDriver({ name: 'test.protocol0' });
  rt.registerDriver(proto.characteristics);
  await drive(set, rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name }));
  await drive(set, rt.attachFilter('eth0', 'test.filter0'));
  await drive(set, rt.bindProtocol('eth0', 'test.protocol0'));
  await drive(set, rt.startAdapter('eth0'));
  return { rt, set, mp, binding: proto.binding('eth0') };
}

/** Frame i of processor k: the sequence number says both. */
const frame = (k: number, i: number) => seqFrame(TEST_MAC, PEER_MAC, k * 1_000_000 + i, 46 + ((k * 7 + i) % 200));

test('replicas: every processor indicates its own queue; a single-processor binding on 0 gets all of it, in order, and the NBLs go home', async () => {
  const h = await mpHost(11, 3);
  const { rt, set, mp, binding } = h;
  const replicas = rt.replicasOf('eth0');
  assert.deepEqual(replicas.map((r) => [r.processorNumber, r.state]), [[1, 'Running'], [2, 'Running']]);
  assert.ok(replicas.every((r) => r instanceof MiniportReplica));
  assert.equal(mp.queues.length, 3, 'one driver object per processor');
  const sent: Uint8Array[] = [];
  for (let round = 0; round < 4; round++) {
    for (let k = 0; k < 3; k++) {
      const frames = [0, 1, 2].map((j) => frame(k, round * 3 + j));
      sent.push(...frames);
      mp.queues[k]!.inject(frames);
    }
    await set.run({ maxSteps: 50 });
  }
  await set.run({ until: () => binding.received.length === sent.length, maxSteps: 20_000 });
  assert.equal(binding.received.length, sent.length);
  const byKey = new Map(sent.map((f) => [seqOf(f), f]));
  const last = [-1, -1, -1];
  for (const r of binding.received) {
    const seq = seqOf(r.bytes);
    assert.deepEqual(r.bytes, byKey.get(seq), `frame ${seq} byte-exact`);
    const k = Math.floor(seq / 1_000_000);
    assert.ok(seq > last[k]!, `processor ${k}'s queue in order`);
    last[k] = seq;
  }
  await set.run({ until: () => mp.queues.every((q) => q.outstanding === 0), maxSteps: 20_000 });
  assert.deepEqual(mp.queues.map((q) => q.indicated), [12, 12, 12]);
  assert.deepEqual(mp.queues.map((q) => q.outstanding), [0, 0, 0], 'every NBL went back to the queue that indicated it');
  assert.equal(set.processor(1).counters.crossedOut + set.processor(2).counters.crossedOut, 24);
  assert.equal(set.processor(0).counters.shellsReturned, 24);
  // The inspector shows the processors, the crossing edges and the replicas, in the tree and in JSON.
  const snap = snapshotRuntime(rt);
  assert.equal(snap.processors?.count, 3);
  assert.deepEqual(snap.processors?.edges.map((e) => [e.name, e.kind, e.from, e.to, e.crossed, e.returned, e.lent, e.shellsOut]), [
    ['H/eth0.rx1', 'receive', 1, 0, 12, 12, 0, 0],
    ['H/eth0.rx2', 'receive', 2, 0, 12, 12, 0, 0],
  ]);
  assert.deepEqual(snap.processors?.replicas.map((r) => [r.adapter, r.processor, r.state, r.counters.received, r.counters.returned]), [
    ['H/eth0', 1, 'Running', 12, 12],
    ['H/eth0', 2, 'Running', 12, 12],
  ]);
  assert.equal(snap.processors?.processors[1]?.counters.crossedOut, 12);
  const text = renderText([snap]);
  assert.match(text, /processors 3 \(simulated\)/);
  assert.match(text, /edge H\/eth0\.rx2 \(receive 2→0\): crossed 12 {2}returned 12 {2}refused 0 {2}lent 0 {2}shells out 0/);
  assert.match(text, /replica H\/eth0@1 \[Running\]/);
  assert.deepEqual(JSON.parse(renderJson([snap])).hosts[0].processors.processors[2].counters.crossedOut, 12);
  await drive(set, rt.shutdown());
  assert.ok(rt.poolsFull(), 'every pool of every processor full');
  assert.deepEqual(rt.verifier.violations.map((v) => v.message), []);
});

test('replicas: the primary publishes to every replica; a replica that fails initializeReplica leaves the adapter on the rest', async () => {
  const { rt, set } = simulatedHost({ count: 3, seed: 5 });
  const mp = new MpTestDriver();
  const proto = mp.characteristics.adapter.prototype as { initializeReplica: (p: { processorNumber: number }) => number };
  const original = proto.initializeReplica;
  proto.initializeReplica = function (this: unknown, p: { processorNumber: number }) {
    return p.processorNumber === 2 ? 0xc0000001 : original.call(this, p);
  };
  rt.registerDriver(mp.characteristics);
  await drive(set, rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name }));
  assert.deepEqual(rt.replicasOf('eth0').map((r) => r.processorNumber), [1]);
  rt.adapter('eth0').publish({ table: [1, 2, 3] });
  await set.run();
  assert.deepEqual(mp.queues[1]!.lastPublished, { table: [1, 2, 3] });
  await drive(set, rt.shutdown());
  assert.ok(rt.poolsFull());
});

type Action = { inject: number; frames: number } | { pauseRestart: true } | { hold: boolean } | { steps: number };

const actionArb = (count: number): fc.Arbitrary<Action> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ inject: fc.integer({ min: 0, max: count - 1 }), frames: fc.integer({ min: 1, max: 20 }) }) },
    { weight: 2, arbitrary: fc.record({ pauseRestart: fc.constant(true as const) }) },
    { weight: 1, arbitrary: fc.record({ hold: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ steps: fc.integer({ min: 1, max: 60 }) }) },
  );

test('replicas: pause and restart of the stack under cross-processor traffic always complete; nothing is lost, queues stay in order, pools end full', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 0x7fffffff }),
      fc.integer({ min: 2, max: 4 }).chain((count) => fc.tuple(fc.constant(count), fc.array(actionArb(count), { minLength: 1, maxLength: 25 }))),
      async (seed, [count, actions]) => {
        const { rt, set, mp, binding } = await mpHost(seed, count, 8);
        const next = new Array<number>(count).fill(0);
        let injected = 0;
        let pauses = 0;
        const hold = new SeededRandom(seed);
        for (const a of actions) {
          if ('inject' in a) {
            const frames = Array.from({ length: a.frames }, () => frame(a.inject, next[a.inject]!++));
            injected += frames.length;
            mp.queues[a.inject]!.inject(frames);
          } else if ('pauseRestart' in a) {
            await drive(set, rt.pauseStack('eth0'));
            assert.equal(rt.adapter('eth0').state, 'Paused');
            assert.ok(rt.replicasOf('eth0').every((r) => r.state === 'Paused'), 'every processor paused');
            assert.ok(mp.queues.every((q) => q.outstanding === 0), 'a paused queue has everything back');
            await drive(set, rt.restartStack('eth0'));
            assert.ok(rt.replicasOf('eth0').every((r) => r.state === 'Running'));
            pauses++;
          } else if ('hold' in a) {
            binding.holdReceives = a.hold;
            if (!a.hold) binding.returnHeld(hold.below(binding.held.length + 1));
          } else {
            await set.run({ maxSteps: a.steps });
          }
        }
        binding.holdReceives = false;
        binding.returnHeld();
        const settled = () => mp.queues.every((q) => q.queue.length === 0 && q.outstanding === 0);
        const r = await set.run({ until: settled, maxSteps: 100_000 });
        assert.ok(r.satisfied, `seed ${seed}: queues settled`);
        // Each frame was indicated or dropped by its paused queue; the indicated ones came back (outstanding
        // 0) and reached the binding unless a module above was paused when they arrived.
        const indicated = mp.queues.reduce((a, q) => a + q.indicated, 0);
        const dropped = mp.queues.reduce((a, q) => a + q.dropped, 0);
        assert.equal(indicated + dropped, injected, `seed ${seed}: indicated ${indicated} + dropped ${dropped} = injected`);
        assert.ok(binding.received.length <= indicated);
        if (pauses === 0) assert.equal(binding.received.length, indicated, `seed ${seed}: without a pause every indicated frame is received`);
        const last = new Array<number>(count).fill(-1);
        for (const rec of binding.received) {
          const seq = seqOf(rec.bytes);
          const k = Math.floor(seq / 1_000_000);
          assert.ok(seq > last[k]!, `seed ${seed}: processor ${k} in order`);
          last[k] = seq;
          assert.deepEqual(rec.bytes, frame(k, seq % 1_000_000));
        }
        await drive(set, rt.shutdown());
        assert.ok(rt.poolsFull(), `seed ${seed}: pools full after ${pauses} pause(s)`);
        assert.deepEqual(rt.verifier.violations.map((v) => v.message), []);
      },
    ),
    { numRuns: 40 },
  );
});

test('replicas: a replica whose DPC throws fails the adapter (HandlerException, surprise removal); nothing hangs and every pool ends full', async () => {
  const h = await mpHost(21, 3);
  const { rt, set, mp, binding } = h;
  binding.holdReceives = true; // shells from processor 2 are held on processor 0 when the failure comes
  mp.queues[2]!.inject([frame(2, 0), frame(2, 1)]);
  await set.run({ until: () => binding.held.length === 2, maxSteps: 10_000 });
  const failing = mp.queues[1]!;
  failing.inject([frame(1, 0)]);
  (failing as unknown as { pool: { allocate(): never } }).pool.allocate = () => {
    throw new Error('receive ring corrupt');
  };
  const r = await set.run({ until: () => !rt.adapters.has('H/eth0'), maxSteps: 50_000 });
  assert.ok(r.satisfied, 'the adapter was removed');
  assert.equal(rt.verifier.of('HandlerException').length, 1);
  assert.equal(rt.verifier.of('HandlerException')[0]!.module, 'H/eth0@1');
  assert.equal(binding.held.length, 0, 'the binding gave back what it held when it was unbound');
  await drive(set, rt.shutdown());
  assert.ok(rt.poolsFull(), 'pools full, including the failed replica\'s and the crossing edges\'');
  assert.equal(rt.crossingEdges.length, 0);
  assert.deepEqual(rt.verifier.violations.map((v) => v.rule), ['HandlerException'], 'nothing else went wrong');
});
