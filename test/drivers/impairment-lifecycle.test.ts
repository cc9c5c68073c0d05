/**
 * tsndis.impairment through pause, detach, restart and surprise removal with frames held: nothing leaks,
 * nothing is completed twice, the pause waits for the filter's own NBLs, and the pools end full.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClean, settle, uniqueWire } from '../support/hosts.js';
import { SeqRecorder, SeqSender, VirtualWire, analyse, impairedPair, impairedStack } from '../support/impairment.js';
import { PEER_MAC, TEST_MAC, seqFrame, seqOf } from '../support/test-drivers.js';

async function done(wire: string, ...hosts: { rt: { shutdown(): Promise<void> } & Parameters<typeof assertClean>[0] }[]): Promise<void> {
  for (const h of hosts) await h.rt.shutdown();
  for (const h of hosts) assertClean(h.rt);
  VirtualWire.release(wire);
}

test('impairment: detaching with delayed sends held waits for them, then they go out', async () => {
  const wire = uniqueWire('imp-life');
  const { a, b } = await impairedPair(wire, { keywords: { SendDelayMs: 100 } });
  const rec = new SeqRecorder(b.ep);
  new SeqSender(a.ep, b.mac, a.mac).send(0, 10);
  assert.equal(a.filter.stats('send').held, 10);
  let detached = false;
  const detaching = a.rt.detachFilter('eth0', 'tsndis.impairment').then(() => (detached = true));
  await settle();
  assert.equal(detached, false, "the raw binding's pause waits for its sends");
  await a.rt.scheduler.advanceAsync(100);
  await detaching;
  await settle();
  assert.deepEqual(rec.arrivals, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(a.filter.stats('send').totals.passed, 10);
  assert.equal(a.rt.adapter('eth0').filters.length, 0);
  new SeqSender(a.ep, b.mac, a.mac).send(10, 1);
  await settle();
  assert.deepEqual(rec.arrivals.at(-1), 10, 'traffic flows without the filter');
  await done(wire, a, b);
});

test('impairment: pausing with held send copies frees them (the originals completed already)', async () => {
  const wire = uniqueWire('imp-life');
  // Corrupted sends are copies; the protocol's originals complete at once, so its pause does not wait.
  const { a, b } = await impairedPair(wire, { keywords: { SendDelayMs: 100, SendCorruptPercent: '100' } });
  const rec = new SeqRecorder(b.ep);
  new SeqSender(a.ep, b.mac, a.mac).send(0, 5);
  assert.equal(a.ep.sendsOutstanding, 0);
  assert.equal(a.filter.stats('send').held, 5);
  await a.rt.detachFilter('eth0', 'tsndis.impairment');
  await settle();
  assert.equal(rec.arrivals.length, 0);
  assert.equal(a.filter.stats('send').totals.droppedFlushed, 5);
  assert.equal(a.filter.stats('send').held, 0);
  await done(wire, a, b);
});

test('impairment: detaching with delayed receive copies held frees them; the miniport held nothing', async () => {
  const wire = uniqueWire('imp-life');
  const { a, b } = await impairedPair(wire, {}, { keywords: { ReceiveDelayMs: 100 } });
  const rec = new SeqRecorder(b.ep);
  new SeqSender(a.ep, b.mac, a.mac).send(0, 10);
  await settle();
  assert.equal(b.filter.stats('receive').held, 10);
  const rxPool = [...b.rt.pools].find((p) => p.name.endsWith(':rx'))!;
  assert.equal(rxPool.inUse, 0, "every miniport NBL went back at once (the filter holds copies)");
  await b.rt.detachFilter('eth0', 'tsndis.impairment');
  assert.equal(rec.arrivals.length, 0, 'nothing may be indicated while pausing');
  assert.equal(b.filter.stats('receive').totals.droppedFlushed, 10);
  await done(wire, a, b);
});

test('impairment: pause pends until the duplicates the filter sent come back', async () => {
  const { s, module, block } = await impairedStack({ SendDuplicatePercent: '100' });
  s.adapter.sendMode = 'hold';
  s.binding().send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  assert.equal(s.adapter.held.length, 2, 'original and duplicate are at the miniport');
  let paused = false;
  const pausing = s.rt.pauseStack('eth0').then(() => (paused = true));
  await settle();
  s.adapter.completeSends(1); // the original: the binding's pause can finish
  await settle();
  assert.equal(block.state, 'Pausing', 'the filter waits for its duplicate');
  assert.equal(paused, false);
  s.adapter.completeSends();
  await pausing;
  assert.equal(block.state, 'Paused');
  assert.equal(module.stats('send').totals.duplicated, 1);
  await s.rt.restartStack('eth0');
  s.adapter.sendMode = 'complete';
  await s.finish();
});

test('impairment: delays work again after pause and restart', async () => {
  const { s } = await impairedStack({ SendDelayMs: 10 });
  await s.rt.pauseStack('eth0');
  await s.rt.restartStack('eth0');
  s.binding().send([seqFrame(PEER_MAC, TEST_MAC, 4)]);
  assert.equal(s.adapter.sentFrames.length, 0);
  s.rt.scheduler.advance(10);
  assert.deepEqual(s.adapter.sentFrames.map(seqOf), [4]);
  await s.finish();
});

test('impairment: surprise removal completes held sends with NDIS_STATUS_ADAPTER_REMOVED', async () => {
  const wire = uniqueWire('imp-life');
  const { a, b } = await impairedPair(wire, { keywords: { SendDelayMs: 100, SendDuplicatePercent: '50' } });
  const sent = new SeqSender(a.ep, b.mac, a.mac).send(0, 10);
  const held = a.filter.stats('send').held;
  assert.ok(held > 10, 'originals and duplicates are held');
  await a.rt.surpriseRemove('eth0');
  const c = a.ep.counters;
  assert.equal(c.failedByStatus.get('NDIS_STATUS_ADAPTER_REMOVED'), sent);
  assert.equal(c.sendCompleted, 0);
  assert.equal(a.filter.stats('send').totals.droppedFlushed, held);
  await done(wire, a, b);
});

test('impairment: surprise removal frees held receive copies', async () => {
  const wire = uniqueWire('imp-life');
  const { a, b } = await impairedPair(wire, {}, { keywords: { ReceiveDelayMs: 100 } });
  const rec = new SeqRecorder(b.ep);
  new SeqSender(a.ep, b.mac, a.mac).send(0, 10);
  await settle();
  assert.equal(b.filter.stats('receive').held, 10);
  await b.rt.surpriseRemove('eth0');
  await b.rt.scheduler.advanceAsync(200);
  assert.equal(rec.arrivals.length, 0);
  assert.equal(b.filter.stats('receive').totals.droppedFlushed, 10);
  await done(wire, a, b);
});

test('impairment: traffic through an idle filter is counted and untouched', async () => {
  const wire = uniqueWire('imp-life');
  const { a, b } = await impairedPair(wire);
  const rec = new SeqRecorder(b.ep);
  new SeqSender(a.ep, b.mac, a.mac).send(0, 100);
  await settle();
  const r = analyse(rec.arrivals, 100);
  assert.equal(r.distinct, 100);
  assert.equal(r.late.length, 0);
  assert.equal(a.filter.stats('send').totals.passed, 100);
  assert.equal(b.filter.stats('receive').totals.passed, 100);
  assert.equal(a.ep.counters.sendCompleted, 100);
  assert.equal(a.ep.counters.failedByStatus.size, 0);
  await done(wire, a, b);
});
