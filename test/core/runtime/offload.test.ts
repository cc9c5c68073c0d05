/**
 * Task offloads in the runtime: the miniport's offload attributes, NDIS answering
 * OID_TCP_OFFLOAD_CURRENT_CONFIG itself, the other offload OIDs reaching the miniport,
 * OID_TCP_OFFLOAD_PARAMETERS → NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG → NDIS's cache, the filters and the
 * protocols (and the bind parameters of later bindings), and a pass-through intermediate driver
 * advertising what its lower adapter advertises.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { renderText, snapshotRuntime } from '../../../src/inspect/index.js';
import { imPassThroughDriver } from '../../../src/drivers/intermediate/passthrough/index.js';
import { applyOffloadParameters } from '../../../src/ndis/offload-config.js';
import {
  NDIS_OFFLOAD_NONE,
  NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED,
  NDIS_OFFLOAD_SET_ON,
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_ENCAPSULATION_NULL,
  type NdisOffload,
  type NdisOffloadParameters,
} from '../../../src/ndis/offload.js';
import {
  NdisOidRequest,
  OID_GEN_SUPPORTED_LIST,
  OID_OFFLOAD_ENCAPSULATION,
  OID_TCP_OFFLOAD_CURRENT_CONFIG,
  OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
  OID_TCP_OFFLOAD_PARAMETERS,
  offloadCurrentConfigCodec,
  offloadEncapsulationCodec,
  offloadHardwareCapabilitiesCodec,
  offloadParametersCodec,
  supportedListCodec,
} from '../../../src/ndis/index.js';
import {
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
} from '../../../src/ndis/status.js';
import type { NdisStatusIndication } from '../../../src/ndis/driver-api.js';
import { assertClean } from '../../support/hosts.js';
import { FULL_OFFLOAD } from '../../support/offload.js';
import { TestFilterModule, TestMiniportDriver, TestProtocolDriver } from '../../support/test-drivers.js';
import { testStack } from '../../support/test-stack.js';

const P = NDIS_OFFLOAD_PARAMETERS_NO_CHANGES;
const NO_LSO4: NdisOffloadParameters = { ...P, lsoV2IPv4: NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED };

async function query<T>(b: { oid(r: NdisOidRequest): Promise<number> }, oid: number, codec: { decode(buf: Uint8Array, o: number, n: number): { ok: boolean } }, length = 512): Promise<{ status: number; value: T | undefined; request: NdisOidRequest }> {
  const r = NdisOidRequest.query(oid, length);
  const status = await b.oid(r);
  const d = codec.decode(r.informationBuffer, 0, r.bytesWritten) as { ok: true; value: T } | { ok: false };
  return { status, value: d.ok ? d.value : undefined, request: r };
}

function offloadStatuses(list: readonly NdisStatusIndication[]): NdisOffload[] {
  return list.filter((i) => i.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG).map((i) => i.statusBuffer as NdisOffload);
}

test('NDIS answers OID_TCP_OFFLOAD_CURRENT_CONFIG itself; hardware capabilities and parameters reach the miniport', async () => {
  const current = applyOffloadParameters(FULL_OFFLOAD, FULL_OFFLOAD, NO_LSO4);
  const s = await testStack({ miniport: { offload: { hardware: FULL_OFFLOAD, current } }, filters: [{}], protocols: [{}] });
  const b = s.binding();
  const cur = await query<NdisOffload>(b, OID_TCP_OFFLOAD_CURRENT_CONFIG, offloadCurrentConfigCodec);
  assert.equal(cur.status, NDIS_STATUS_SUCCESS);
  assert.deepEqual(cur.value, current);
  assert.equal(s.adapter.oidsSeen.some((r) => r.oid === OID_TCP_OFFLOAD_CURRENT_CONFIG), false, 'the miniport never saw the query');
  // BytesNeeded for a short buffer, as for every NDIS-answered OID.
  const short = await query<NdisOffload>(b, OID_TCP_OFFLOAD_CURRENT_CONFIG, offloadCurrentConfigCodec, 100);
  assert.equal(short.status, NDIS_STATUS_BUFFER_TOO_SHORT);
  assert.equal(short.request.bytesNeeded, 156);
  const hw = await query<NdisOffload>(b, OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, offloadHardwareCapabilitiesCodec);
  assert.equal(hw.status, NDIS_STATUS_SUCCESS);
  assert.deepEqual(hw.value, FULL_OFFLOAD);
  assert.equal(s.adapter.oidsSeen.filter((r) => r.oid === OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES).length, 1, 'the miniport answered it');
  const list = await query<number[]>(b, OID_GEN_SUPPORTED_LIST, supportedListCodec, 1024);
  for (const oid of [OID_TCP_OFFLOAD_CURRENT_CONFIG, OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, OID_TCP_OFFLOAD_PARAMETERS, OID_OFFLOAD_ENCAPSULATION]) {
    assert.ok(list.value!.includes(oid), `supported list has 0x${oid.toString(16)}`);
  }
  await s.finish();
});

test('an adapter without offload attributes: bind parameters and CURRENT_CONFIG say NDIS_OFFLOAD_NONE', async () => {
  const s = await testStack({ protocols: [{}] });
  const b = s.binding();
  assert.deepEqual(b.bindParameters!.defaultOffloadConfiguration, NDIS_OFFLOAD_NONE);
  assert.deepEqual(b.bindParameters!.hardwareOffloadCapabilities, NDIS_OFFLOAD_NONE);
  const cur = await query<NdisOffload>(b, OID_TCP_OFFLOAD_CURRENT_CONFIG, offloadCurrentConfigCodec);
  assert.deepEqual(cur.value, NDIS_OFFLOAD_NONE);
  await s.finish();
});

test('OID_TCP_OFFLOAD_PARAMETERS: the miniport applies it and indicates; NDIS, filters, protocols and later bindings follow', async () => {
  const s = await testStack({ miniport: { offload: { hardware: FULL_OFFLOAD } }, filters: [{}], protocols: [{}, {}] });
  const [b0, b1] = [s.binding(0), s.binding(1)];
  assert.deepEqual(b0.bindParameters!.defaultOffloadConfiguration, FULL_OFFLOAD);
  assert.deepEqual(b0.bindParameters!.hardwareOffloadCapabilities, FULL_OFFLOAD);
  const set = { ...NO_LSO4, tcpIpv6Checksum: NDIS_OFFLOAD_PARAMETERS_TX_RX_DISABLED, rscIPv4: NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED };
  const expected = applyOffloadParameters(FULL_OFFLOAD, FULL_OFFLOAD, set);
  assert.equal(await b0.oid(NdisOidRequest.set(offloadParametersCodec, set)), NDIS_STATUS_SUCCESS);
  // The status travelled up through the filter to both protocols.
  assert.deepEqual(offloadStatuses(s.module().statuses), [expected]);
  assert.deepEqual(offloadStatuses(b0.statuses), [expected]);
  assert.deepEqual(offloadStatuses(b1.statuses), [expected]);
  assert.deepEqual((await query<NdisOffload>(b1, OID_TCP_OFFLOAD_CURRENT_CONFIG, offloadCurrentConfigCodec)).value, expected);
  assert.deepEqual(s.mb.offload.current, expected);
  // A protocol bound from now on is told the new configuration (and the unchanged hardware capabilities).
  await s.rt.unbindProtocol('eth0', 'test.protocol1');
  await s.rt.bindProtocol('eth0', 'test.protocol1');
  const again = s.binding(1);
  assert.deepEqual(again.bindParameters!.defaultOffloadConfiguration, expected);
  assert.deepEqual(again.bindParameters!.hardwareOffloadCapabilities, FULL_OFFLOAD);
  // A malformed set is refused with the codec's status and changes nothing.
  const bad = NdisOidRequest.setRaw(OID_TCP_OFFLOAD_PARAMETERS, new Uint8Array(26));
  assert.equal(await b0.oid(bad), NDIS_STATUS_INVALID_PARAMETER);
  assert.deepEqual(s.mb.offload.current, expected);
  await s.finish();
});

test('a filter that hides LSO edits the indication: protocols and later bindings see its version, the verifier the miniport\'s', async () => {
  class HidesLso extends TestFilterModule {
    override status(indication: NdisStatusIndication): void {
      if (indication.statusCode !== NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG) return super.status(indication);
      const o = indication.statusBuffer as NdisOffload;
      this.statuses.push(indication);
      this.ndis.indicateStatus({ ...indication, statusBuffer: { ...o, lsoV2: NDIS_OFFLOAD_NONE.lsoV2 } });
    }
  }
  const s = await testStack({ miniport: { offload: { hardware: FULL_OFFLOAD } }, filters: [{ moduleClass: HidesLso }], protocols: [{}] });
  const b = s.binding();
  const set = { ...P, rscIPv6: NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED };
  assert.equal(await b.oid(NdisOidRequest.set(offloadParametersCodec, set)), NDIS_STATUS_SUCCESS);
  const seen = offloadStatuses(b.statuses)[0]!;
  assert.equal(seen.lsoV2.ipv4.encapsulation, 0);
  assert.equal(seen.rsc.ipv6Enabled, false);
  assert.equal(s.mb.offload.current.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_IEEE_802_3, 'the miniport still does LSO');
  assert.deepEqual(s.mb.offload.protocolCurrent, seen);
  assert.deepEqual((await query<NdisOffload>(b, OID_TCP_OFFLOAD_CURRENT_CONFIG, offloadCurrentConfigCodec)).value, seen, 'NDIS answers protocols with what they are told');
  await s.finish();
});

test('OID_OFFLOAD_ENCAPSULATION reaches the miniport: 802.3 with a 14-byte header accepted, other framings refused', async () => {
  const s = await testStack({ miniport: { offload: { hardware: FULL_OFFLOAD } }, protocols: [{}] });
  const b = s.binding();
  const fam = { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: 14 };
  assert.equal(s.adapter.offloads!.encapsulationOn(false), false, 'no task offload before the set');
  assert.equal(await b.oid(NdisOidRequest.set(offloadEncapsulationCodec, { ipv4: fam, ipv6: { ...fam, enabled: 0 } })), NDIS_STATUS_SUCCESS);
  assert.equal(s.adapter.offloads!.encapsulationOn(false), true);
  assert.equal(s.adapter.offloads!.encapsulationOn(true), false);
  assert.equal(await b.oid(NdisOidRequest.set(offloadEncapsulationCodec, { ipv4: { ...fam, encapsulationType: NDIS_ENCAPSULATION_NULL }, ipv6: fam })), NDIS_STATUS_NOT_SUPPORTED);
  assert.equal(s.adapter.offloads!.encapsulationOn(true), false, 'a refused set changes nothing');
  const q = await query<{ ipv4: typeof fam }>(b, OID_OFFLOAD_ENCAPSULATION, offloadEncapsulationCodec);
  assert.deepEqual(q.value!.ipv4, fam);
  await s.finish();
});

test('setOffloadAttributes outside MiniportInitializeEx is refused and reported', async () => {
  const s = await testStack({ protocols: [{}] });
  assert.notEqual(s.adapter.ndis.setOffloadAttributes({ defaultOffloadConfiguration: FULL_OFFLOAD, hardwareOffloadCapabilities: FULL_OFFLOAD }), NDIS_STATUS_SUCCESS);
  assert.deepEqual(s.mb.offload.current, NDIS_OFFLOAD_NONE);
  await s.finish(['IllegalStateTransition']);
});

test('a pass-through intermediate driver advertises its lower adapter\'s offloads and follows their changes', async () => {
  const rt = NdisRuntime.forTest({ name: 'H' });
  const mp = new TestMiniportDriver({ offload: { hardware: FULL_OFFLOAD } });
  rt.registerDriver(mp.characteristics);
  rt.registerDriver(imPassThroughDriver);
  const upper = new TestProtocolDriver({ name: 'test.upper' });
  rt.registerDriver(upper.characteristics);
  rt.adapterPolicy = (name) => (name === 'veth0' ? { filters: [], protocols: [{ driver: 'test.upper' }] } : undefined);
  await rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name });
  await rt.bindProtocol('eth0', 'tsndis.im-passthrough', { UpperBindings: ['veth0'] });
  await rt.startAdapter('eth0');
  await rt.whenIdle();
  const b = upper.binding('veth0');
  assert.deepEqual(b.bindParameters!.defaultOffloadConfiguration, FULL_OFFLOAD);
  assert.deepEqual(b.bindParameters!.hardwareOffloadCapabilities, FULL_OFFLOAD);
  assert.deepEqual(rt.adapter('veth0').offload.current, FULL_OFFLOAD);
  // A set on the virtual miniport goes down to the real one; its indication comes back up through the IM.
  assert.equal(await b.oid(NdisOidRequest.set(offloadParametersCodec, NO_LSO4)), NDIS_STATUS_SUCCESS);
  const expected = applyOffloadParameters(FULL_OFFLOAD, FULL_OFFLOAD, NO_LSO4);
  assert.deepEqual(mp.adapter('eth0').offloads!.current, expected);
  assert.deepEqual(offloadStatuses(b.statuses), [expected]);
  assert.deepEqual(rt.adapter('veth0').offload.current, expected, 'NDIS caches the virtual miniport\'s indication');
  assert.deepEqual((await query<NdisOffload>(b, OID_TCP_OFFLOAD_CURRENT_CONFIG, offloadCurrentConfigCodec)).value, expected);
  await rt.shutdown();
  assertClean(rt);
});

test('the inspector shows the current offloads on one line, and the hardware capabilities when they differ', async () => {
  const s = await testStack({ miniport: { offload: { hardware: FULL_OFFLOAD } }, protocols: [{}] });
  const line = (): string | undefined => renderText([snapshotRuntime(s.rt)]).split('\n').find((l) => l.includes('offloads '));
  assert.equal(line()?.replace(/^[│ ]+/, ''), 'offloads csum tx v4:ip+tcp+udp v6:tcp+udp rx v4:ip+tcp+udp v6:tcp+udp | lsov2 v4 v6 ≤64000 | rsc v4 v6');
  assert.equal(await s.binding().oid(NdisOidRequest.set(offloadParametersCodec, { ...NO_LSO4, lsoV2IPv6: NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED })), NDIS_STATUS_SUCCESS);
  assert.match(line()!, /offloads csum tx v4:ip\+tcp\+udp v6:tcp\+udp rx v4:ip\+tcp\+udp v6:tcp\+udp \| rsc v4 v6 {2}\(hardware: .*lsov2 v4 v6 ≤64000 \| rsc v4 v6\)$/);
  assert.deepEqual(snapshotRuntime(s.rt).adapters[0]!.offloads?.current, 'csum tx v4:ip+tcp+udp v6:tcp+udp rx v4:ip+tcp+udp v6:tcp+udp | rsc v4 v6');
  await s.finish();
  const plain = await testStack({ protocols: [{}] });
  assert.equal(snapshotRuntime(plain.rt).adapters[0]!.offloads, null, 'no line for an adapter without offloads');
  await plain.finish();
});
