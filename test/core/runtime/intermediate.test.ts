import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { countersFilter } from '../../../src/drivers/filter/counters/index.js';
import { imPassThroughDriver } from '../../../src/drivers/intermediate/passthrough/index.js';
import { virtualWireMiniport } from '../../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol } from '../../../src/drivers/protocol/raw/index.js';
import { assertClean, frame, makeHost, macOf, settle, shutdownAll, uniqueWire } from '../../support/hosts.js';

test('a pass-through intermediate driver carries frames both ways through its virtual miniport', async () => {
  const wire = uniqueWire();
  const peer = await makeHost({ name: 'P', wire });
  const rt = NdisRuntime.forTest({ name: 'H' });
  rt.registerDriver(virtualWireMiniport);
  rt.registerDriver(countersFilter);
  rt.registerDriver(imPassThroughDriver);
  const raw = new RawProtocol();
  rt.registerDriver(raw.characteristics);
  rt.adapterPolicy = (name) => (name === 'veth0' ? { filters: [{ driver: 'tsndis.counters' }], protocols: [{ driver: 'tsndis.raw' }] } : undefined);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wire } });
  await rt.bindProtocol('eth0', 'tsndis.im-passthrough', { UpperBindings: ['veth0'] });
  await rt.startAdapter('eth0');
  await rt.whenIdle();
  const v = rt.adapter('veth0');
  assert.equal(v.state, 'Running');
  assert.equal(v.filters.length, 1);
  const ep = await raw.whenBound('H/veth0');
  const mine = v.general!.currentMacAddress;
  // up: peer → eth0 → IM → veth0 → raw
  const f1 = frame(mine, macOf(peer), 0x88b5, 60, 1);
  assert.ok(peer.raw.endpoint('eth0').send(f1));
  await settle();
  assert.deepEqual(ep.tryReceive(), f1);
  // down: raw → veth0 → IM → eth0 → wire → peer
  const f2 = frame(macOf(peer), mine, 0x88b5, 70, 2);
  assert.ok(ep.send(f2));
  await settle();
  assert.deepEqual(peer.raw.endpoint('eth0').tryReceive(), f2);
  assert.equal(ep.counters.sendCompleted, 1);
  await rt.shutdown();
  await shutdownAll(peer);
  assert.equal(rt.adapters.size, 0);
  assertClean(rt);
  assertClean(peer.rt);
});
