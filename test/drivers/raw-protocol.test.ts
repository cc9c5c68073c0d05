import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClean, frame, macOf, makeHost, settle, shutdownAll, uniqueWire } from '../support/hosts.js';

test('raw protocol: frames() yields received frames in order and ends when aborted', async () => {
  const wire = uniqueWire();
  const a = await makeHost({ name: 'A', wire });
  const b = await makeHost({ name: 'B', wire });
  const sent = Array.from({ length: 5 }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 40 + i, i));
  for (const f of sent) assert.ok(a.raw.endpoint('eth0').send(f));
  await settle();
  const ac = new AbortController();
  const got: Uint8Array[] = [];
  for await (const f of b.raw.frames('eth0', ac.signal)) {
    got.push(f);
    if (got.length === sent.length) ac.abort();
  }
  assert.deepEqual(got, sent);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});

test('raw protocol: a full receive queue drops and counts (back-pressure), nothing leaks', async () => {
  const wire = uniqueWire();
  const a = await makeHost({ name: 'A', wire });
  const b = await makeHost({ name: 'B', wire, rawOptions: { receiveQueueDepth: 8 } });
  const ep = b.raw.endpoint('eth0');
  for (let i = 0; i < 20; i++) assert.ok(a.raw.endpoint('eth0').send(frame(macOf(b), macOf(a), 0x88b5, 46, i)));
  await settle();
  assert.equal(ep.queued, 8);
  assert.equal(ep.counters.receiveDropped, 12);
  // The 8 held frames are the first 8 sent, intact.
  for (let i = 0; i < 8; i++) assert.deepEqual(ep.tryReceive(), frame(macOf(b), macOf(a), 0x88b5, 46, i));
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});

test('raw protocol: frames held at pause are copied out and survive a pause/restart', async () => {
  const wire = uniqueWire();
  const a = await makeHost({ name: 'A', wire });
  const b = await makeHost({ name: 'B', wire });
  const f = frame(macOf(b), macOf(a), 0x88b5, 60, 3);
  assert.ok(a.raw.endpoint('eth0').send(f));
  await settle();
  const pausing = b.rt.pauseStack('eth0');
  await pausing;
  assert.equal(b.rt.adapter('eth0').receivesOutstanding, 0, 'the held NBL went back to the miniport at pause');
  await b.rt.restartStack('eth0');
  assert.deepEqual(b.raw.endpoint('eth0').tryReceive(), f);
  assert.equal(b.raw.endpoint('eth0').counters.receiveCopied, 1);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});
