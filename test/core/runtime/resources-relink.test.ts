/**
 * NDIS_RECEIVE_FLAGS_RESOURCES: ownership goes back to the indicator when the call returns, whatever the
 * receivers did to the chain's links meanwhile. A filter that reverses every chain it passes up (and one
 * that drops half of what it sees) must not make the miniport or the runtime lose an NBL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reversingFilter, type ReversingModule } from '../../support/reversing-filter.js';
import { assertClean, frame, macOf, makeHost, settle, shutdownAll, uniqueWire } from '../../support/hosts.js';

test('a filter relinking RESOURCES chains does not make the miniport lose buffers', async () => {
  const wire = uniqueWire();
  const a = await makeHost({ name: 'A', wire });
  // A tiny receive pool on B so its adapter lends buffers with NDIS_RECEIVE_FLAGS_RESOURCES.
  const b = await makeHost({ name: 'B', wire, rawOptions: { receiveQueueDepth: 4096 } });
  b.rt.registerDriver(reversingFilter);
  await b.rt.attachFilter('eth0', 'test.reversing');
  const module = b.rt.adapter('eth0').filters.find((f) => f.driver.name === 'test.reversing')!.instance as ReversingModule;
  const pool = b.rt.adapter('eth0').instance as unknown as { rxPool: { capacity: number; available: number } };
  for (let round = 0; round < 20; round++) {
    const frames = Array.from({ length: 64 }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 46, round * 64 + i));
    a.raw.endpoint('eth0').sendBatch(frames);
    await settle(1);
  }
  await settle();
  assert.ok(module.resourcesSeen > 0, 'some indications were made with NDIS_RECEIVE_FLAGS_RESOURCES');
  assert.ok(pool.rxPool.available > 0);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});
