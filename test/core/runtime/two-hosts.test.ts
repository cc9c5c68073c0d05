import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BROADCAST, assertClean, frame, macOf, makeHost, settle, shutdownAll, uniqueWire } from '../../support/hosts.js';

test('two hosts on a virtual wire exchange frames byte-exact through filters', async () => {
  const wire = uniqueWire();
  const a = await makeHost({ name: 'A', wire, filters: ['tsndis.counters', 'tsndis.monitor'] });
  const b = await makeHost({ name: 'B', wire, filters: ['tsndis.counters'] });
  const ea = a.raw.endpoint('eth0');
  const eb = b.raw.endpoint('eth0');
  const sent: Uint8Array[] = [];
  for (let i = 0; i < 10; i++) {
    const f = frame(macOf(b), macOf(a), 0x88b5, 50 + i, i);
    sent.push(f);
    assert.ok(ea.send(f));
  }
  assert.ok(ea.send(frame(BROADCAST, macOf(a), 0x88b5, 46, 99)));
  await settle();
  const got: Uint8Array[] = [];
  for (let f = eb.tryReceive(); f !== null; f = eb.tryReceive()) got.push(f);
  assert.equal(got.length, 11);
  for (let i = 0; i < 10; i++) assert.deepEqual(got[i], sent[i]);
  assert.equal(ea.counters.sendCompleted, 11);
  // a frame for someone else is filtered out by B's adapter
  assert.ok(ea.send(frame(Uint8Array.of(2, 9, 9, 9, 9, 9), macOf(a), 0x88b5, 46)));
  await settle();
  assert.equal(eb.tryReceive(), null);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});
