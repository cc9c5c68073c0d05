/**
 * What drivers and users see of a host's processors: `processorCount` and `rssProcessorInfo()` on every
 * handle (NdisGroupActiveProcessorCount / NdisGetRssProcessorInformation), and the inspector's
 * processors section — each processor's kind, state, DPC runs, the rings aimed at it — with a replicated
 * miniport's driver counters summed over its processors, the per-processor values beside the sums.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { Configuration } from '../../../src/core/runtime/configuration.js';
import { rssProcessorInfo } from '../../../src/ndis/rss/processor-info.js';
import { snapshotRuntime } from '../../../src/inspect/snapshot.js';
import { sumNumericLeaves } from '../../../src/inspect/processors.js';
import { renderText } from '../../../src/inspect/render-text.js';
import { renderJson } from '../../../src/inspect/render-json.js';
import type { ConfigValue } from '../../../src/ndis/driver-api.js';
import { MpTestDriver, drive, simulatedHost } from '../../support/processors.js';
import { PEER_MAC, TEST_MAC, TestFilterDriver, TestMiniportDriver, TestProtocolDriver, seqFrame } from '../../support/test-drivers.js';

async function mpStack(count: number, keywords: Record<string, ConfigValue> = {}, seed = 3) {
  const { rt, set } = simulatedHost({ count, seed });
  const mp = new MpTestDriver();
  rt.registerDriver(mp.characteristics);
  const filter = new TestFilterDriver({ name: 'test.filter0' });
  rt.registerDriver(filter.characteristics);
  const proto = new TestProtocolDriver({ name: 'test.protocol0' });
  rt.registerDriver(proto.characteristics);
  await drive(set, rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name, keywords }));
  await drive(set, rt.attachFilter('eth0', 'test.filter0'));
  await drive(set, rt.bindProtocol('eth0', 'test.protocol0'));
  await drive(set, rt.startAdapter('eth0'));
  return { rt, set, mp, binding: proto.binding('eth0') };
}

test('handles: a one-processor host has one processor, and RSS may use processor 0 only', async () => {
  const rt = NdisRuntime.forTest();
  const mp = new TestMiniportDriver();
  rt.registerDriver(mp.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name, keywords: { '*RssBaseProcNumber': 3, '*MaxRssProcessors': 8 } });
  const a = rt.adapter('eth0');
  assert.equal(a.processorCount, 1);
  assert.deepEqual(a.rssProcessorInfo(), { base: 0, count: 1, processors: [0] });
  await rt.shutdown();
});

test('handles: processorCount and rssProcessorInfo() on the miniport, its replicas, a filter and a binding follow the RSS keywords', async () => {
  const { rt, set, mp } = await mpStack(4, { '*RSSBaseProcNumber': 1, '*maxrssprocessors': 2 });
  const mb = rt.adapter('eth0');
  const window = { base: 1, count: 2, processors: [1, 2] };
  const handles = [mp.queues[0]!.ndis, ...rt.replicasOf('eth0'), mb.filters[0]!, mb.bindings[0]!];
  assert.deepEqual(handles.map((h) => [h.processorNumber, h.processorCount]), [[0, 4], [1, 4], [2, 4], [3, 4], [0, 4], [0, 4]]);
  for (const h of handles) assert.deepEqual(h.rssProcessorInfo(), window, h.name);
  assert.deepEqual(mp.queues[3]!.ndis.rssProcessorInfo(), window, 'the driver object of processor 3 asks its replica handle');
  const info = mb.rssProcessorInfo() as unknown as { processors: number[] };
  info.processors.push(99);
  assert.deepEqual(mb.rssProcessorInfo(), window, 'each call returns a fresh object');
  await drive(set, rt.shutdown());
});

test('rssProcessorInfo: the keyword window clipped to the stack; a base beyond it starts at 0; no keywords means every processor', () => {
  const info = (count: number, keywords: Record<string, ConfigValue> | null) => rssProcessorInfo(keywords === null ? null : new Configuration(keywords), count);
  assert.deepEqual(info(4, null), { base: 0, count: 4, processors: [0, 1, 2, 3] });
  assert.deepEqual(info(4, {}), { base: 0, count: 4, processors: [0, 1, 2, 3] });
  assert.deepEqual(info(4, { '*RssBaseProcNumber': 2 }), { base: 2, count: 2, processors: [2, 3] });
  assert.deepEqual(info(4, { '*RssBaseProcNumber': 2, '*MaxRssProcessors': 16 }), { base: 2, count: 2, processors: [2, 3] });
  assert.deepEqual(info(4, { '*RssBaseProcNumber': 4 }), { base: 0, count: 4, processors: [0, 1, 2, 3] });
  assert.deepEqual(info(8, { '*MaxRssProcessors': 3 }), { base: 0, count: 3, processors: [0, 1, 2] });
  assert.deepEqual(info(8, { '*MaxRssProcessors': 0, '*RssBaseProcNumber': -1 }), { base: 0, count: 8, processors: [0, 1, 2, 3, 4, 5, 6, 7] }, 'out of range: defaults');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 1, max: 70 }), (n, base, max) => {
      const r = info(n, { '*RssBaseProcNumber': base, '*MaxRssProcessors': max });
      assert.ok(r.count >= 1 && r.count <= max && r.count === r.processors.length);
      assert.ok(r.processors.every((p, i) => p === r.base + i && p < n), 'consecutive processors of the stack');
      assert.equal(r.base, base < n ? base : 0);
    }),
  );
});

test('sumNumericLeaves: numbers add, objects merge, arrays add per element, other values come from the first', () => {
  assert.deepEqual(
    sumNumericLeaves([
      { a: 1, b: { c: 2, name: 'primary' }, q: [1, 0, 0], on: true },
      { a: 10, b: { c: 20, name: 'replica', d: 5 }, q: [0, 4], on: false },
      null,
      { a: 100, e: 'x' },
    ]),
    { a: 111, b: { c: 22, name: 'primary', d: 5 }, q: [1, 4, 0], on: true, e: 'x' },
  );
  fc.assert(
    fc.property(fc.array(fc.dictionary(fc.constantFrom('x', 'y', 'z'), fc.nat(1e6)), { minLength: 1, maxLength: 6 }), (records) => {
      const sum = sumNumericLeaves(records) as Record<string, number>;
      for (const k of ['x', 'y', 'z']) {
        const expected = records.reduce((acc, r) => acc + (r[k] ?? 0), 0);
        assert.equal(sum[k], records.some((r) => k in r) ? expected : undefined);
      }
    }),
  );
});

test('inspector: the processors section (kind, state, DPC runs, ring depths) and a replicated miniport\'s driver counters summed with per-processor values beside', async () => {
  const { rt, set, mp, binding } = await mpStack(2, {}, 9);
  const frames = (k: number, n: number) => Array.from({ length: n }, (_, i) => seqFrame(TEST_MAC, PEER_MAC, k * 1000 + i, 60));
  mp.queues[1]!.inject(frames(1, 5));
  // Stop right after processor 1 published its crossing: the descriptors wait in the ring to processor 0.
  const crossed = await set.run({ until: () => set.processor(1).counters.crossedOut === 5, maxSteps: 1000 });
  assert.ok(crossed.satisfied);
  const mid = snapshotRuntime(rt).processors!;
  assert.deepEqual(mid.processors[0]!.rings, [{ from: 1, descriptors: 10, returns: 0 }], 'five one-NB descriptors of two slots each wait for processor 0');
  assert.deepEqual(mid.processors[1]!.rings, [{ from: 0, descriptors: 0, returns: 0 }]);
  mp.queues[0]!.inject(frames(0, 3));
  await set.run({ until: () => binding.received.length === 8 && mp.queues.every((q) => q.outstanding === 0), maxSteps: 20_000 });
  assert.equal(binding.received.length, 8);

  const snap = snapshotRuntime(rt);
  const p = snap.processors!;
  assert.deepEqual(p.processors.map((x) => [x.number, x.kind, x.state]), [[0, 'main', 'running'], [1, 'simulated', 'running']]);
  assert.ok(p.processors[1]!.dpcRuns > 0 && p.processors[1]!.dpcRuns === p.processors[1]!.counters.dpcRuns);
  assert.deepEqual(p.processors.map((x) => x.rings), [[{ from: 1, descriptors: 0, returns: 0 }], [{ from: 0, descriptors: 0, returns: 0 }]], 'drained');
  assert.deepEqual(p.processors.map((x) => x.dpcsQueued), [0, 0]);

  const eth0 = snap.adapters[0]!;
  assert.deepEqual(eth0.statistics, { ifHCInUcastPkts: 8, ifInDiscards: 0 }, 'statistics summed over the primary and its replica');
  assert.deepEqual(eth0.inspect, { queue: { indicated: 8, dropped: 0, outstanding: 0 }, published: 'none' });
  assert.deepEqual(
    eth0.perProcessor?.map((x) => [x.processor, x.state, x.statistics?.['ifHCInUcastPkts'], (x.inspect as { queue: { indicated: number } }).queue.indicated]),
    [
      [0, 'Running', 3, 3],
      [1, 'Running', 5, 5],
    ],
  );
  const json = JSON.parse(renderJson([snap])).hosts[0];
  assert.equal(json.processors.count, 2);
  assert.equal(json.adapters[0].inspect.queue.indicated, 8);
  assert.deepEqual(json.adapters[0].perProcessor.map((x: { inspect: { queue: { indicated: number } } }) => x.inspect.queue.indicated), [3, 5]);
  const text = renderText([snap]);
  assert.match(text, /processor 0 \(main\) \[running\]: .*crossedIn 5/);
  assert.match(text, /processor 1 \(simulated\) \[running\]: .*crossedOut 5/);
  assert.match(text, /statistics: ifHCInUcastPkts=8/);
  assert.match(text, /processor 0 \[Running\]: ifHCInUcastPkts=3 queue\.indicated=3 published=none/);
  assert.match(text, /processor 1 \[Running\]: ifHCInUcastPkts=5 queue\.indicated=5 published=none/);
  await drive(set, rt.shutdown());
  assert.ok(rt.poolsFull());
});

test('inspector: an adapter without replicas keeps its own statistics and no perProcessor field', async () => {
  const rt = NdisRuntime.forTest();
  const mp = new MpTestDriver();
  rt.registerDriver(mp.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name });
  const snap = snapshotRuntime(rt);
  assert.equal(snap.processors, undefined);
  assert.deepEqual(snap.adapters[0]!.statistics, { ifHCInUcastPkts: 0, ifInDiscards: 0 });
  assert.equal('perProcessor' in snap.adapters[0]!, false);
  await rt.shutdown();
});
