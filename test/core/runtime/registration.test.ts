import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { MINIPORT_REQUIRED, FILTER_REQUIRED, PROTOCOL_REQUIRED } from '../../../src/core/runtime/registry.js';
import { RegistrationError, RuntimeOperationError } from '../../../src/errors.js';
import { NDIS_INTERMEDIATE_DRIVER, type DriverCharacteristics } from '../../../src/ndis/index.js';
import { TestFilterDriver, TestMiniportDriver, TestProtocolDriver } from '../../support/test-drivers.js';
import { MpTestDriver } from '../../support/processors.js';

function registrationError(rt: NdisRuntime, chars: unknown): RegistrationError {
  try {
    rt.registerDriver(chars as DriverCharacteristics);
  } catch (e) {
    assert.ok(e instanceof RegistrationError, `expected RegistrationError, got ${String(e)}`);
    assert.equal(e.code, 'TSNDIS_REGISTRATION');
    return e;
  }
  assert.fail('registration succeeded');
}

test('registration: a miniport missing each mandatory handler is refused, naming it', () => {
  for (const h of MINIPORT_REQUIRED) {
    const rt = NdisRuntime.forTest();
    const e = registrationError(rt, new TestMiniportDriver({ omit: [h] }).characteristics);
    assert.match(e.message, new RegExp(`missing mandatory handler\\(s\\): ${h}$`));
    assert.equal(rt.drivers.size, 0);
  }
});

test('registration: one error names every missing miniport handler at once', () => {
  const rt = NdisRuntime.forTest();
  const e = registrationError(rt, new TestMiniportDriver({ omit: ['halt', 'pause', 'cancelSend'] }).characteristics);
  assert.match(e.message, /halt, pause, cancelSend/);
  assert.equal(e.problems.length, 1);
});

test('registration: a filter missing each mandatory handler is refused; optional ones may be absent', () => {
  for (const h of FILTER_REQUIRED) {
    const e = registrationError(NdisRuntime.forTest(), new TestFilterDriver({ omit: [h] }).characteristics);
    assert.match(e.message, new RegExp(`module is missing mandatory handler\\(s\\): ${h}$`));
  }
  const rt = NdisRuntime.forTest();
  const optional = ['sendNetBufferLists', 'sendNetBufferListsComplete', 'receiveNetBufferLists', 'returnNetBufferLists', 'oidRequest', 'oidRequestComplete', 'status', 'cancelSendNetBufferLists', 'cancelOidRequest'];
  assert.doesNotThrow(() => rt.registerDriver(new TestFilterDriver({ omit: optional }).characteristics));
});

test('registration: a protocol missing each mandatory handler is refused; status is optional', () => {
  for (const h of PROTOCOL_REQUIRED) {
    const e = registrationError(NdisRuntime.forTest(), new TestProtocolDriver({ omit: [h] }).characteristics);
    assert.match(e.message, new RegExp(`binding is missing mandatory handler\\(s\\): ${h}$`));
  }
  assert.doesNotThrow(() => NdisRuntime.forTest().registerDriver(new TestProtocolDriver({ omit: ['status'] }).characteristics));
});

test('registration: half a direct-OID pair is refused (miniport and filter)', () => {
  const half = new TestMiniportDriver({ directOids: true, omit: ['cancelDirectOidRequest'] }).characteristics;
  assert.match(registrationError(NdisRuntime.forTest(), half).message, /directOidRequest and cancelDirectOidRequest must both be present or both absent/);
  const other = new TestMiniportDriver({ directOids: true, omit: ['directOidRequest'] }).characteristics;
  assert.match(registrationError(NdisRuntime.forTest(), other).message, /both be present or both absent/);
  assert.doesNotThrow(() => NdisRuntime.forTest().registerDriver(new TestMiniportDriver({ directOids: true }).characteristics));

  class DirectFilter extends TestFilterDriver {}
  const f = new DirectFilter({ name: 'direct.filter' }).characteristics;
  Object.defineProperty(f.module.prototype, 'directOidRequest', { value: () => 0, configurable: true });
  assert.match(registrationError(NdisRuntime.forTest(), f).message, /directOidRequest requires directOidRequestComplete and cancelDirectOidRequest/);
  const g = new TestFilterDriver({ omit: ['oidRequestComplete'] }).characteristics;
  assert.match(registrationError(NdisRuntime.forTest(), g).message, /oidRequest requires oidRequestComplete/);
});

test('registration: checkForHang without reset, and checkForHang or reset on an intermediate miniport', () => {
  const noReset = new TestMiniportDriver({ checkForHang: true, omit: ['reset'] }).characteristics;
  assert.match(registrationError(NdisRuntime.forTest(), noReset).message, /checkForHang requires a reset handler/);
  assert.doesNotThrow(() => NdisRuntime.forTest().registerDriver(new TestMiniportDriver({ checkForHang: true }).characteristics));
  // A miniport flagged NDIS_INTERMEDIATE_DRIVER: no check-for-hang, no reset.
  const im = new TestMiniportDriver({ checkForHang: true, flags: NDIS_INTERMEDIATE_DRIVER }).characteristics;
  assert.match(registrationError(NdisRuntime.forTest(), im).message, /intermediate \(virtual\) miniport must not register checkForHang or reset/);
  // The intermediate kind: the miniport edge is checked the same way and the problem is prefixed.
  const upper = new TestMiniportDriver({ checkForHang: true }).characteristics;
  const lower = new TestProtocolDriver().characteristics;
  const e = registrationError(NdisRuntime.forTest(), {
    kind: 'intermediate',
    name: 'test.im',
    ndisVersion: { major: 6, minor: 30 },
    miniport: { medium: upper.medium, adapter: upper.adapter },
    protocol: { mediumArray: lower.mediumArray, binding: lower.binding },
  });
  assert.match(e.message, /miniport edge: an intermediate \(virtual\) miniport must not register checkForHang or reset/);
});

test('registration: bad NDIS versions are refused (NDIS_STATUS_BAD_VERSION)', () => {
  for (const v of [{ major: 5, minor: 1 }, { major: 6, minor: 99 }, { major: 7, minor: 0 }, undefined]) {
    const chars = { ...new TestMiniportDriver().characteristics, ndisVersion: v };
    assert.match(registrationError(NdisRuntime.forTest(), chars).message, /BAD_VERSION/);
  }
  for (const minor of [0, 1, 20, 30, 40, 50, 51, 60, 70, 80, 81, 82, 83, 84, 85, 86]) {
    assert.doesNotThrow(() => NdisRuntime.forTest().registerDriver(new TestMiniportDriver({ ndisVersion: { major: 6, minor } }).characteristics));
  }
});

test('registration: duplicate names are refused, across kinds', () => {
  const rt = NdisRuntime.forTest();
  rt.registerDriver(new TestMiniportDriver({ name: 'dup' }).characteristics);
  assert.match(registrationError(rt, new TestMiniportDriver({ name: 'dup' }).characteristics).message, /a driver named 'dup' is already registered/);
  assert.match(registrationError(rt, new TestFilterDriver({ name: 'dup' }).characteristics).message, /already registered/);
  assert.equal(rt.drivers.size, 1);
});

test('registration: a wrong kind is refused, and a driver of the wrong kind is refused where another is needed', async () => {
  const rt = NdisRuntime.forTest();
  const e = registrationError(rt, { ...new TestMiniportDriver().characteristics, kind: 'bogus' });
  assert.match(e.message, /kind 'bogus' must be miniport, filter, protocol or intermediate/);
  rt.registerDriver(new TestMiniportDriver().characteristics);
  rt.registerDriver(new TestFilterDriver().characteristics);
  rt.registerDriver(new TestProtocolDriver().characteristics);
  await assert.rejects(rt.addAdapter({ name: 'eth0', driver: 'test.filter' }), (err: unknown) => err instanceof RuntimeOperationError && /not a miniport/.test(err.message));
  await rt.addAdapter({ name: 'eth0', driver: 'test.miniport' });
  await assert.rejects(() => rt.attachFilter('eth0', 'test.protocol'), /not a filter/);
  await assert.rejects(() => rt.bindProtocol('eth0', 'test.filter'), /not a protocol/);
  await rt.shutdown();
});

test('registration: every problem of a badly broken filter appears in one message', () => {
  const chars = {
    kind: 'filter',
    name: '',
    ndisVersion: { major: 6, minor: 7 },
    filterType: 'sniffing',
    runType: 'sometimes',
    filterClass: 'nonsense',
    mediaTypes: [99],
    module: new TestFilterDriver({ omit: ['attach', 'detach'] }).characteristics.module,
  };
  const e = registrationError(NdisRuntime.forTest(), chars);
  for (const part of [/name must be a non-empty string/, /ndisVersion 6\.7/, /filterType 'sniffing'/, /runType 'sometimes'/, /filterClass 'nonsense'/, /mediaTypes entry 99/, /missing mandatory handler\(s\): attach, detach/]) {
    assert.match(e.message, part);
  }
  assert.equal(e.problems.length, 7);
});

test('registration: multiProcessor needs initializeReplica and names where a worker finds the driver', () => {
  const rt = NdisRuntime.forTest();
  const plain = new TestMiniportDriver().characteristics;
  const noReplica = registrationError(rt, { ...plain, multiProcessor: { module: import.meta.url, export: 'driver' } });
  assert.match(noReplica.message, /multiProcessor requires an initializeReplica handler/);
  const mp = new MpTestDriver().characteristics;
  const badSite = registrationError(rt, { ...mp, multiProcessor: { module: '', export: 7 } });
  assert.match(badSite.message, /multiProcessor must name the module and export/);
  rt.registerDriver(mp);
  assert.equal(rt.drivers.size, 1);
});

test('registration: a multiProcessor miniport on a one-processor host is an ordinary adapter (no replicas)', async () => {
  const rt = NdisRuntime.forTest();
  const mp = new MpTestDriver();
  rt.registerDriver(mp.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name });
  assert.deepEqual(rt.replicasOf('eth0'), []);
  assert.equal(rt.processorCount, 1);
  assert.equal(rt.adapter('eth0').processorNumber, 0);
  await rt.shutdown();
  assert.ok(rt.poolsFull());
});
