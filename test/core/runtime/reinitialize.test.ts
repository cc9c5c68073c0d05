/**
 * NdisRuntime.reinitializeAdapter: an advanced property applied as Windows applies it (disable, enable
 * with the new value). The adapter object is new and reads the new keywords; the filter and the binding
 * come back with their own keywords; frames flow again; a value the miniport refuses at initialization
 * brings the adapter back as it was, and the error names the failure; nothing leaks either way.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { VirtualWireAdapter, virtualWireMiniport } from '../../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol } from '../../../src/drivers/protocol/raw/index.js';
import { NDIS_STATUS_FAILURE, type MiniportInitParameters, type NdisStatus } from '../../../src/ndis/index.js';
import { assertClean, frame, macOf, makeHost, settle, shutdownAll, uniqueWire, type TestHost } from '../../support/hosts.js';
import { TestFilterDriver } from '../../support/test-drivers.js';

/** A virtual wire that refuses to initialize when its keyword `Fail` is 1. */
class Refusing extends VirtualWireAdapter {
  override initialize(params: MiniportInitParameters): NdisStatus {
    if (params.keywords.readInt('Fail', 0) === 1) return NDIS_STATUS_FAILURE;
    return super.initialize(params);
  }
}

async function host(wire: string): Promise<TestHost & { filter: TestFilterDriver }> {
  const rt = NdisRuntime.forTest({ name: 'A' });
  rt.registerDriver({ ...virtualWireMiniport, adapter: Refusing });
  const filter = new TestFilterDriver({ name: 'test.filter' });
  rt.registerDriver(filter.characteristics);
  const raw = new RawProtocol('tsndis.raw', { receiveQueueDepth: 256 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wire } });
  await rt.attachFilter('eth0', 'test.filter', { Tag: 'kept' });
  await rt.bindProtocol('eth0', 'tsndis.raw', { SendPoolSize: 77 });
  await rt.startAdapter('eth0');
  return { rt, raw, adapter: 'A/eth0', filter };
}

/** Sends `n` frames A → B and returns how many B received. */
async function traffic(a: TestHost, b: TestHost, n: number): Promise<number> {
  const frames = Array.from({ length: n }, (_, i) => frame(macOf(b), macOf(a), 0x88b5, 64, i));
  assert.equal(a.raw.endpoint('eth0').sendBatch(frames), n);
  await settle();
  let got = 0;
  while (b.raw.endpoint('eth0').tryReceive() !== null) got++;
  return got;
}

test('reinitializeAdapter: a new adapter reads the new keywords, filters and bindings come back, frames flow', async () => {
  const wire = uniqueWire();
  const a = await host(wire);
  const b = await makeHost({ name: 'B', wire });
  const before = a.rt.adapter('A/eth0').instance;
  assert.equal(await traffic(a, b, 10), 10);
  await a.rt.reinitializeAdapter('A/eth0', { LinkSpeedMbps: 1000 });
  const mb = a.rt.adapter('A/eth0');
  assert.notEqual(mb.instance, before, 'the miniport was halted and initialized again');
  assert.equal(mb.state, 'Running');
  assert.equal(mb.keywords.read('LinkSpeedMbps'), 1000);
  assert.equal((mb.instance as VirtualWireAdapter).linkSpeedBps, 1_000_000_000n);
  assert.deepEqual(mb.filters.map((f) => [f.driver.name, f.keywords.read('Tag')]), [['test.filter', 'kept']]);
  assert.deepEqual(mb.bindings.map((x) => [x.protocol.name, x.keywords.read('SendPoolSize')]), [['tsndis.raw', 77]]);
  assert.equal(await traffic(a, b, 10), 10, 'frames flow again');

  // A value the miniport refuses: the error says so, and the adapter is back with what it had.
  await assert.rejects(a.rt.reinitializeAdapter('A/eth0', { Fail: 1 }), /MiniportInitializeEx failed with NDIS_STATUS_FAILURE/);
  const back = a.rt.adapter('A/eth0');
  assert.equal(back.state, 'Running');
  assert.equal(back.keywords.read('Fail'), undefined);
  assert.equal(back.keywords.read('LinkSpeedMbps'), 1000);
  assert.deepEqual(back.filters.map((f) => f.driver.name), ['test.filter']);
  assert.deepEqual(back.bindings.map((x) => x.protocol.name), ['tsndis.raw']);
  assert.equal(await traffic(a, b, 10), 10);
  await shutdownAll(a, b);
  assertClean(a.rt);
  assertClean(b.rt);
});
