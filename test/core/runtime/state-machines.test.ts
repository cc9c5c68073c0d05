import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { RuntimeOperationError } from '../../../src/errors.js';
import { RawProtocol } from '../../../src/drivers/protocol/raw/index.js';
import {
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_UNSUPPORTED_MEDIA,
  NdisMediumWan,
  OID_GEN_CURRENT_PACKET_FILTER,
  type NdisOidRequest,
  type NdisStatus,
} from '../../../src/ndis/index.js';
import { assertClean, settle } from '../../support/hosts.js';
import { PEER_MAC, TEST_MAC, TestFilterDriver, TestMiniportAdapter, TestMiniportDriver, TestProtocolDriver, seqFrame } from '../../support/test-drivers.js';
import { testStack } from '../../support/test-stack.js';

/** Collects 'adapter X --e--> Y' style transitions from the runtime's debug log. */
function transitions(kind: string, lines: string[]): string[] {
  return lines.filter((l) => l.startsWith(`${kind} `)).map((l) => l.replace(/^\S+ /, ''));
}

test('adapter: Halted → Initializing → Paused → Restarting → Running → Pausing → Paused → Halted, seen by the driver', async () => {
  const lines: string[] = [];
  const seen: string[] = [];
  class Observing extends TestMiniportAdapter {
    override initialize(p: Parameters<TestMiniportAdapter['initialize']>[0]) {
      seen.push(`init:${this.ndis.state}`);
      return super.initialize(p);
    }
    override restart(p: Parameters<TestMiniportAdapter['restart']>[0]) {
      seen.push(`restart:${this.ndis.state}`);
      return super.restart(p);
    }
    override pause(p: Parameters<TestMiniportAdapter['pause']>[0]) {
      seen.push(`pause:${this.ndis.state}`);
      return super.pause(p);
    }
  }
  const s = await testStack({ miniport: { adapterClass: Observing }, logger: (_l, _src, m) => lines.push(m) });
  assert.equal(s.mb.state, 'Running');
  await s.rt.shutdown();
  assert.deepEqual(transitions('adapter', lines), [
    'Halted --initialize--> Initializing',
    'Initializing --initializeComplete--> Paused',
    'Paused --restart--> Restarting',
    'Restarting --restartComplete--> Running',
    'Running --pause--> Pausing',
    'Pausing --pauseComplete--> Paused',
    'Paused --halt--> Halted',
  ]);
  assert.deepEqual(seen, ['init:Initializing', 'restart:Restarting', 'pause:Pausing']);
  assert.ok(s.adapter.halted);
  assertClean(s.rt);
});

test('adapter: a failed MiniportInitializeEx goes back to Halted, halt is never called, its pool is reclaimed', async () => {
  const lines: string[] = [];
  const rt = NdisRuntime.forTest({ logger: (_l, _s, m) => lines.push(m) });
  class Failing extends TestMiniportAdapter {
    override initStatus = NDIS_STATUS_RESOURCES;
  }
  const mp = new TestMiniportDriver({ adapterClass: Failing });
  rt.registerDriver(mp.characteristics);
  await assert.rejects(rt.addAdapter({ name: 'eth0', driver: 'test.miniport' }), (e: unknown) => e instanceof RuntimeOperationError && /NDIS_STATUS_RESOURCES/.test(e.message));
  const a = mp.adapter('eth0');
  assert.equal(a.halted, false, 'no MiniportHaltEx after a failed initialize');
  assert.notEqual(a.rxPool, null, 'the driver left its pool allocated');
  assert.equal(rt.pools.size, 0, 'the runtime reclaimed it');
  assert.equal(rt.adapters.size, 0);
  assert.deepEqual(transitions('adapter', lines), ['Halted --initialize--> Initializing', 'Initializing --initializeFailed--> Halted']);
  // The adapter name is free again.
  const good = new TestMiniportDriver({ name: 'test.good' });
  rt.registerDriver(good.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'test.good' });
  await rt.shutdown();
  assert.ok(good.adapter('eth0').halted);
  assertClean(rt);
});

test('adapter: a failed MiniportRestart leaves it Paused with filters and bindings paused; a later start works', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}], start: false });
  s.adapter.restartStatus = NDIS_STATUS_FAILURE;
  await assert.rejects(s.rt.startAdapter('eth0'), /MiniportRestart failed with NDIS_STATUS_FAILURE/);
  assert.equal(s.mb.state, 'Paused');
  assert.equal(s.mb.filters[0]!.state, 'Paused');
  assert.equal(s.mb.bindings[0]!.state, 'Paused');
  // Pending, then failing through restartComplete.
  s.adapter.restartStatus = 'pend';
  const start = s.rt.startAdapter('eth0');
  await settle();
  assert.equal(s.mb.state, 'Restarting');
  s.adapter.ndis.restartComplete(NDIS_STATUS_FAILURE);
  await assert.rejects(start, /MiniportRestart failed/);
  assert.equal(s.mb.state, 'Paused');
  s.adapter.restartStatus = NDIS_STATUS_SUCCESS;
  await s.rt.startAdapter('eth0');
  assert.equal(s.mb.state, 'Running');
  assert.equal(s.mb.bindings[0]!.state, 'Running');
  await s.finish();
});

test('filter: an optional filter that fails to attach is left out and the stack runs without it', async () => {
  const s = await testStack({ filters: [], protocols: [{}] });
  const f = new TestFilterDriver({ name: 'opt.filter', runType: 'optional' });
  s.rt.registerDriver(f.characteristics);
  f.nextAttachStatus = NDIS_STATUS_RESOURCES;
  const attached = await s.rt.attachFilter('eth0', 'opt.filter');
  assert.deepEqual(attached, []);
  assert.equal(s.mb.filters.length, 0);
  assert.equal(s.mb.state, 'Running');
  assert.equal(s.mb.bindings[0]!.state, 'Running');
  s.binding().send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  assert.equal(s.binding().completions.length, 1);
  // It may be attached later.
  f.nextAttachStatus = NDIS_STATUS_SUCCESS;
  assert.equal((await s.rt.attachFilter('eth0', 'opt.filter')).length, 1);
  await s.finish();
});

test('filter: a mandatory filter that fails to attach keeps the stack down and protocols unbound', async () => {
  const rt = NdisRuntime.forTest();
  const mp = new TestMiniportDriver();
  const f = new TestFilterDriver({ name: 'must.filter', runType: 'mandatory' });
  const p = new TestProtocolDriver();
  for (const d of [mp, f, p]) rt.registerDriver(d.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'test.miniport' });
  f.nextAttachStatus = NDIS_STATUS_FAILURE;
  await assert.rejects(rt.attachFilter('eth0', 'must.filter'), /mandatory filter 'must.filter' failed to attach/);
  await assert.rejects(rt.bindProtocol('eth0', 'test.protocol'), RuntimeOperationError);
  assert.equal(p.bindings.size, 0, 'the protocol was never asked to bind');
  await assert.rejects(rt.startAdapter('eth0'), RuntimeOperationError);
  assert.equal(rt.adapter('eth0').state, 'Paused');
  await rt.shutdown();
  assertClean(rt);
});

test('filter: a mandatory filter failing to attach to a running stack leaves the stack paused', async () => {
  const s = await testStack({ protocols: [{}] });
  const f = new TestFilterDriver({ name: 'must.filter', runType: 'mandatory' });
  s.rt.registerDriver(f.characteristics);
  f.nextAttachStatus = NDIS_STATUS_FAILURE;
  await assert.rejects(s.rt.attachFilter('eth0', 'must.filter'), /mandatory filter/);
  assert.equal(s.mb.state, 'Paused');
  assert.equal(s.mb.bindings[0]!.state, 'Paused');
  await assert.rejects(s.rt.restartStack('eth0'), RuntimeOperationError);
  await s.finish();
});

test('binding: a failed bind and UNSUPPORTED_MEDIA are refused; the stack keeps running', async () => {
  const s = await testStack({ protocols: [{}] });
  const failing = new TestProtocolDriver({ name: 'failing.protocol', setup: (b) => (b.bindStatus = NDIS_STATUS_RESOURCES) });
  const wan = new TestProtocolDriver({ name: 'wan.protocol', openMedia: [NdisMediumWan] });
  s.rt.registerDriver(failing.characteristics);
  s.rt.registerDriver(wan.characteristics);
  await assert.rejects(s.rt.bindProtocol('eth0', 'failing.protocol'), /NDIS_STATUS_RESOURCES/);
  await assert.rejects(s.rt.bindProtocol('eth0', 'wan.protocol'), (e: unknown) => e instanceof RuntimeOperationError && e.message.includes('NDIS_STATUS_UNSUPPORTED_MEDIA'));
  assert.equal(NDIS_STATUS_UNSUPPORTED_MEDIA, 0xc0010019);
  assert.deepEqual(s.mb.bindings.map((b) => b.protocol.name), ['test.protocol0']);
  assert.equal(s.mb.state, 'Running');
  assert.equal(s.mb.bindings[0]!.state, 'Running');
  await s.finish();
});

test('stack: pause runs top-down and restart bottom-up across 2 filters and 2 bindings', async () => {
  const s = await testStack({
    filters: [
      { name: 'top', filterClass: 'scheduler' },
      { name: 'bottom', filterClass: 'diagnostic' },
    ],
    protocols: [{ name: 'p0' }, { name: 'p1' }],
  });
  assert.deepEqual(s.mb.filters.map((f) => f.driver.name), ['bottom', 'top'], 'filters bottom → top');
  const lifecycle = (l: string) => /:(pause|restart)$/.test(l);
  assert.deepEqual(s.log.filter(lifecycle), ['mp:restart', 'bottom:restart', 'top:restart', 'p0:restart', 'p1:restart']);
  s.log.length = 0;
  await s.rt.pauseStack('eth0');
  const paused = s.log.filter(lifecycle);
  assert.deepEqual(paused.slice(0, 2).sort(), ['p0:pause', 'p1:pause']);
  assert.deepEqual(paused.slice(2), ['top:pause', 'bottom:pause', 'mp:pause']);
  s.log.length = 0;
  await s.rt.restartStack('eth0');
  assert.deepEqual(s.log.filter(lifecycle), ['mp:restart', 'bottom:restart', 'top:restart', 'p0:restart', 'p1:restart']);
  await s.finish();
});

test('async completion: pause, restart and bind that pend and complete later, or complete before returning PENDING', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}], start: false });
  s.adapter.restartStatus = 'pend';
  const start = s.rt.startAdapter('eth0');
  await settle();
  assert.equal(s.mb.state, 'Restarting');
  assert.equal(s.mb.filters[0]!.state, 'Paused', 'filters wait for the miniport');
  s.adapter.ndis.restartComplete(NDIS_STATUS_SUCCESS);
  await start;
  assert.equal(s.mb.state, 'Running');

  // Pause pending at every layer; each completes later, in order.
  s.adapter.pauseMode = 'pend';
  s.module().pauseMode = 'pend';
  s.binding().pauseMode = 'pend';
  const pause = s.rt.pauseStack('eth0');
  await settle();
  assert.equal(s.mb.bindings[0]!.state, 'Pausing');
  assert.equal(s.mb.filters[0]!.state, 'Running', 'the filter waits for the binding');
  s.binding().completePause();
  await settle();
  assert.equal(s.mb.bindings[0]!.state, 'Paused');
  assert.equal(s.mb.filters[0]!.state, 'Pausing');
  s.module().completePause();
  await settle();
  assert.equal(s.mb.state, 'Pausing');
  s.adapter.completePause();
  await pause;
  assert.equal(s.mb.state, 'Paused');

  // Bind: pended and completed on a later turn; completed first, then PENDING returned.
  for (const [name, mode] of [['late.protocol', 'pend'], ['early.protocol', 'early']] as const) {
    const p = new TestProtocolDriver({ name, setup: (b) => (b.bindMode = mode) });
    s.rt.registerDriver(p.characteristics);
    const ob = await s.rt.bindProtocol('eth0', name);
    assert.equal(ob.state, 'Paused');
  }
  s.adapter.restartStatus = NDIS_STATUS_SUCCESS;
  s.adapter.pauseMode = 'auto';
  s.module().pauseMode = 'auto';
  s.binding().pauseMode = 'auto';
  await s.rt.restartStack('eth0');
  assert.deepEqual(s.mb.bindings.map((b) => b.state), ['Running', 'Running', 'Running']);
  await s.finish();
});

test('binding: the raw protocol whose packet filter is refused fails its bind and leaves nothing behind', async () => {
  class RefusesFilter extends TestMiniportAdapter {
    override oidRequest(r: NdisOidRequest): NdisStatus {
      return r.isSet && r.oid === OID_GEN_CURRENT_PACKET_FILTER ? NDIS_STATUS_NOT_SUPPORTED : super.oidRequest(r);
    }
  }
  const s = await testStack({ miniport: { adapterClass: RefusesFilter } });
  const raw = new RawProtocol();
  s.rt.registerDriver(raw.characteristics);
  await assert.rejects(s.rt.bindProtocol('eth0', 'tsndis.raw'), /NDIS_STATUS_NOT_SUPPORTED/);
  assert.equal(raw.endpoints.size, 0);
  assert.equal(s.mb.bindings.length, 0);
  await s.finish();
});
