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
import { AtomicsDoorbell } from '../../../src/core/processors/doorbell.js';
import { RemoteReplica } from '../../../src/core/processors/remote-replica.js';
import { renderText } from '../../../src/inspect/render-text.js';
import { snapshotRuntime } from '../../../src/inspect/snapshot.js';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { type EdgeEndPlan, ModeHost, MpTestDriver, type ProcessorMode, flowFrame, forEachProcessorMode } from '../../support/processors.js';
import { PEER_MAC, TEST_MAC, TestFilterDriver, TestProtocolDriver, seqFrame, seqOf } from '../../support/test-drivers.js';

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
    const describe = async () => {
      const parts: string[] = [];
      for (const n of names) {
        const r = await h.report(n);
        parts.push(`${n}: done ${r.source.done}, back ${r.source.back.length}/${r.source.offered}, lent ${r.source.lent}, held ${r.target.held}, shells out ${r.target.shellsOut}, seen ${r.target.seen.length}`);
      }
      const c = await h.counters();
      parts.push(JSON.stringify(c.map((x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== 0)))));
      return parts.join('; ');
    };
    await h.waitFor(settled, `${label}: every NBL home`, 10_000, describe);
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
  const rt = new NdisRuntime({ name: 'T', processors: set });
  const slow = set.run(1, { module: new URL('../../support/lane-worker.js', import.meta.url).href, export: 'nothingHere' }, null, rt);
  await assert.rejects(slow, /exports no function nothingHere/);
  assert.throws(() => set.processor(1).scheduler.defer(() => {}), /runs on a worker thread/);
  const t0 = performance.now();
  await set.close(1000);
  assert.ok(performance.now() - t0 < 5000);
  await assert.rejects(set.run(1, { module: 'x', export: 'y' }, null, rt), /closed/);
});

// ---------------------------------------------------------------------------------------------------
// Miniport replicas on a worker

const LANE_WORKER = new URL('../../support/lane-worker.js', import.meta.url).href;
const frame = (k: number, i: number) => seqFrame(TEST_MAC, PEER_MAC, k * 1_000_000 + i, 46 + ((k * 7 + i) % 200));

interface Queue {
  indicated: number;
  outstanding: number;
  dropped: number;
  queued: number;
  lastPublished: unknown;
}

test('threads: a multi-processor miniport gets a replica on the worker; its queue crosses to the single-processor binding on 0 in order, pause/restart under traffic completes, pools end full', async () => {
  const set = new ThreadedProcessorSet({ count: 2, ringSlots: 16 });
  try {
    await set.ready;
    const logs: string[] = [];
    const rt = new NdisRuntime({ name: 'H', processors: set, logger: (level, source, message) => (level === 'error' || level === 'warn' ? logs.push(`${source}: ${message}`) : undefined) });
    const mp = new MpTestDriver();
    rt.registerDriver(mp.characteristics);
    const filter = new TestFilterDriver({ name: 'test.filter0' });
    rt.registerDriver(filter.characteristics);
    const proto = new TestProtocolDriver({ name: 'test.protocol0' });
    rt.registerDriver(proto.characteristics);
    await rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name });
    await rt.attachFilter('eth0', 'test.filter0');
    await rt.bindProtocol('eth0', 'test.protocol0');
    await rt.startAdapter('eth0');
    const binding = proto.binding('eth0');
    const replicas = rt.replicasOf('eth0');
    assert.deepEqual(replicas.map((r) => [r.processorNumber, r.state]), [[1, 'Running']]);
    assert.ok(replicas[0] instanceof RemoteReplica);
    const queue1 = () => set.run<Queue>(1, { module: LANE_WORKER, export: 'replicaQueue' }, { adapter: 'H/eth0' }, rt);
    const inject1 = (frames: Uint8Array[]) => set.run(1, { module: LANE_WORKER, export: 'injectReplica' }, { adapter: 'H/eth0', frames }, rt);
    rt.adapter('eth0').publish({ table: [1, 2, 3] });
    const wait = async (pred: () => Promise<boolean> | boolean, what: string) => {
      const end = performance.now() + 10_000;
      while (!(await pred())) {
        if (performance.now() > end) throw new Error(`${what} did not happen within 10 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    await wait(async () => JSON.stringify((await queue1()).lastPublished) === '{"table":[1,2,3]}', 'the publication reached the replica');

    // Both processors indicate their queues (12 frames each, in chains of 3 — the receive pools hold 16).
    const next = [0, 0];
    let sent = 0;
    for (let round = 0; round < 4; round++) {
      const f0 = [0, 1, 2].map(() => frame(0, next[0]!++));
      const f1 = [0, 1, 2].map(() => frame(1, next[1]!++));
      mp.queues[0]!.inject(f0);
      await inject1(f1);
      sent += 6;
      await wait(() => binding.received.length === sent, `${sent} frames received`);
    }
    const check = () => {
      const last = [-1, -1];
      for (const r of binding.received) {
        const seq = seqOf(r.bytes);
        const k = Math.floor(seq / 1_000_000);
        assert.deepEqual(r.bytes, frame(k, seq % 1_000_000), `frame ${seq} byte-exact`);
        assert.ok(seq > last[k]!, `processor ${k}'s queue in order`);
        last[k] = seq;
      }
    };
    check();
    await wait(async () => (await queue1()).outstanding === 0, 'the replica has its NBLs back');
    assert.equal((await queue1()).indicated, 12);
    assert.equal(set.processor(0).counters.shellsReturned, 12);
    // The inspector shows the threaded set and the replica (its state as processor 0 last heard it).
    const text = renderText([snapshotRuntime(rt)]);
    assert.match(text, /processors 2 \(threads\)/);
    assert.match(text, /replica H\/eth0@1 \[Running\]/);

    // Pause and restart the stack while the replica's queue is busy: every pause completes with the
    // replica's NBLs back, nothing is indicated twice, queue order holds.
    for (let round = 0; round < 5; round++) {
      await inject1(Array.from({ length: 10 }, () => frame(1, next[1]!++)));
      if (round % 2 === 0) binding.holdReceives = true;
      await rt.pauseStack('eth0');
      assert.equal(rt.replicasOf('eth0')[0]!.state, 'Paused', logs.join('\n'));
      const q = await queue1();
      assert.equal(q.outstanding, 0, 'a paused replica has everything back');
      binding.holdReceives = false;
      await rt.restartStack('eth0');
      assert.equal(rt.replicasOf('eth0')[0]!.state, 'Running');
    }
    await wait(async () => {
      const q = await queue1();
      return q.queued === 0 && q.outstanding === 0;
    }, 'the replica queue settled');
    const q = await queue1();
    assert.equal(q.indicated + q.dropped, next[1], 'every frame injected on processor 1 was indicated or dropped by its paused queue');
    assert.ok(binding.received.length <= next[0]! + q.indicated);
    check();
    const halted = rt.replicasOf('eth0')[0] as RemoteReplica;
    await rt.shutdown();
    await halted.halted;
    assert.ok(rt.poolsFull(), 'every pool of processor 0 full');
    assert.deepEqual(rt.verifier.violations.map((v) => v.message), [], 'no violation on either processor (a replica pool left in use is a TeardownLeak)');
  } finally {
    await set.close();
  }
});

test('threads: a replica whose DPC throws on its worker fails the adapter (HandlerException, surprise removal); nothing hangs and every pool ends full', async () => {
  const set = new ThreadedProcessorSet({ count: 2 });
  try {
    await set.ready;
    const rt = new NdisRuntime({ name: 'H', processors: set });
    const mp = new MpTestDriver();
    rt.registerDriver(mp.characteristics);
    const proto = new TestProtocolDriver({ name: 'test.protocol0' });
    rt.registerDriver(proto.characteristics);
    await rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name });
    await rt.bindProtocol('eth0', 'test.protocol0');
    await rt.startAdapter('eth0');
    const binding = proto.binding('eth0');
    binding.holdReceives = true; // shells from processor 1 are held on processor 0 when the failure comes
    await set.run(1, { module: LANE_WORKER, export: 'injectReplica' }, { adapter: 'H/eth0', frames: [frame(1, 0), frame(1, 1)] }, rt);
    const end = performance.now() + 10_000;
    while (binding.held.length < 2 && performance.now() < end) await new Promise((r) => setTimeout(r, 2));
    assert.equal(binding.held.length, 2);
    await set.run(1, { module: LANE_WORKER, export: 'breakReplica' }, { adapter: 'H/eth0' }, rt);
    await set.run(1, { module: LANE_WORKER, export: 'injectReplica' }, { adapter: 'H/eth0', frames: [frame(1, 2)] }, rt);
    while (rt.adapters.has('H/eth0') && performance.now() < end) await new Promise((r) => setTimeout(r, 2));
    assert.ok(!rt.adapters.has('H/eth0'), 'the adapter was removed');
    assert.equal(rt.verifier.of('HandlerException').length, 1);
    assert.equal(rt.verifier.of('HandlerException')[0]!.module, 'H/eth0@1');
    assert.equal(binding.held.length, 0, 'the binding gave back what it held when it was unbound');
    await rt.shutdown();
    assert.ok(rt.poolsFull(), 'pools full on processor 0, including the far end\'s shells');
    assert.deepEqual(rt.verifier.violations.map((v) => v.rule), ['HandlerException'], 'nothing else went wrong (a replica pool left in use would be a TeardownLeak)');
  } finally {
    await set.close();
  }
});

test('doorbell: a producer rings only a sleeper, once; a ring between prepareSleep and the wait is not lost', async (t) => {
  // A pending waitAsync holds no libuv handle (processor 0's loop has its workers' ports); keep the test alive.
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(keepAlive));
  const words = AtomicsDoorbell.createWords(2);
  const consumer = new AtomicsDoorbell(words, 1);
  const producer = new AtomicsDoorbell(words, 1);
  assert.equal(producer.ring(), false, 'an awake consumer is not signalled');
  consumer.prepareSleep();
  assert.ok(consumer.sleeping);
  assert.equal(producer.ring(), true, 'a sleeping one is woken');
  assert.equal(producer.ring(), false, 'and only once');
  assert.equal(producer.rings, 1);
  // The ring came before the wait: the wait returns at once instead of sleeping.
  assert.equal(await consumer.waitAsync(Infinity), 'not-equal');
  consumer.prepareSleep();
  const woken = consumer.waitAsync(Infinity);
  assert.equal(producer.ring(), true);
  assert.equal(await woken, 'ok');
  consumer.prepareSleep();
  assert.equal(await consumer.waitAsync(5), 'timed-out', 'nobody rang: the deadline ends the wait');
});
