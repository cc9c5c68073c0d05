import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualWire } from '../../src/drivers/miniport/virtual-wire/index.js';
import { stableMac } from '../../src/drivers/miniport/virtual-wire/adapter.js';
import { assertClean, frame, macOf, makeHost, settle, shutdownAll, uniqueWire } from '../support/hosts.js';

/** Sends 2000 frames over a wire losing 30 %; returns the measured loss rate. */
async function measuredLoss(seed: number): Promise<number> {
  const wire = uniqueWire();
  VirtualWire.named(wire).configure({ lossRate: 0.3, seed });
  const a = await makeHost({ name: 'A', wire });
  const b = await makeHost({ name: 'B', wire, rawOptions: { receiveQueueDepth: 4096 } });
  const n = 2000;
  for (let i = 0; i < n; i += 32) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 32); k++) batch.push(frame(macOf(b), macOf(a), 0x88b5, 46, k));
    assert.equal(a.raw.endpoint('eth0').sendBatch(batch), batch.length);
    await settle(1);
  }
  await settle();
  let received = 0;
  while (b.raw.endpoint('eth0').tryReceive() !== null) received++;
  const counters = VirtualWire.named(wire).counters;
  assert.equal(counters.lost + counters.delivered, n);
  assert.equal(received, counters.delivered, 'every frame the wire delivered arrived');
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
  VirtualWire.release(wire);
  return counters.lost / n;
}

test('virtual wire: loss follows its rate and the seed replays the same decisions', async () => {
  const wire1 = uniqueWire();
  const decisions = async (name: string): Promise<string> => {
    const w = VirtualWire.named(name);
    w.configure({ lossRate: 0.3, seed: 42 });
    let s = '';
    for (let i = 0; i < 1000; i++) s += w.lose() ? '1' : '0';
    VirtualWire.release(name);
    return s;
  };
  const first = await decisions(wire1);
  const again = await decisions(uniqueWire());
  assert.equal(first, again);
  const losses = [...first].filter((c) => c === '1').length;
  assert.ok(losses > 240 && losses < 360, `expected about 300 losses, got ${losses}`);
  const rate = await measuredLoss(7);
  assert.ok(rate > 0.26 && rate < 0.34, `measured loss ${rate}`);
});

test('virtual wire: delay holds frames until the manual clock reaches them', async () => {
  const wire = uniqueWire();
  VirtualWire.named(wire).configure({ delayMs: 50 });
  const a = await makeHost({ name: 'A', wire });
  const b = await makeHost({ name: 'B', wire });
  const f = frame(macOf(b), macOf(a), 0x88b5, 46, 1);
  assert.ok(a.raw.endpoint('eth0').send(f));
  await settle();
  assert.equal(b.raw.endpoint('eth0').tryReceive(), null, 'not before 50 ms');
  await b.rt.scheduler.advanceAsync(49);
  assert.equal(b.raw.endpoint('eth0').tryReceive(), null);
  await b.rt.scheduler.advanceAsync(1);
  assert.deepEqual(b.raw.endpoint('eth0').tryReceive(), f);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});

test('virtual wire: link down completes sends with MEDIA_DISCONNECTED and indicates the link state', async () => {
  const wire = uniqueWire();
  const a = await makeHost({ name: 'A', wire });
  const b = await makeHost({ name: 'B', wire });
  VirtualWire.named(wire).setLink(false);
  assert.equal(a.rt.adapter('eth0').mediaConnected, false, 'NDIS cached the LINK_STATE indication');
  assert.ok(a.raw.endpoint('eth0').send(frame(macOf(b), macOf(a), 0x88b5, 46)));
  await settle();
  assert.equal(a.raw.endpoint('eth0').counters.failedByStatus.get('NDIS_STATUS_MEDIA_DISCONNECTED'), 1);
  VirtualWire.named(wire).setLink(true);
  assert.equal(a.rt.adapter('eth0').mediaConnected, true);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});

test('virtual wire: MACs are stable per wire and adapter name and locally administered', () => {
  assert.deepEqual(stableMac('w/A/eth0'), stableMac('w/A/eth0'));
  assert.notDeepEqual(stableMac('w/A/eth0'), stableMac('w/B/eth0'));
  assert.equal(stableMac('x')[0]! & 0x03, 0x02);
});
