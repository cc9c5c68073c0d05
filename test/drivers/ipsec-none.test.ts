/**
 * tsndis has no IPsec offload (offload digest §1.3, §2.8): every way a protocol can ask gets "none".
 * Hardware capabilities, the current configuration (NDIS's answer and the bind parameters) and the
 * status indications carry NDIS_IPSEC_OFFLOAD_V1 / _V2 as zeros; an OID_TCP_OFFLOAD_PARAMETERS set that
 * enables AH or ESP (IPsecV1, IPsecV2, IPsecV2IPv4) is refused with NDIS_STATUS_INVALID_DATA, changes
 * nothing, indicates nothing and is counted; IPSEC*_DISABLED is accepted. On the TAP's offload helper,
 * the virtual wire, an LBFO team and a VLAN miniport.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { MiniportOffloads } from '../../src/drivers/common/task-offload.js';
import { findTeam, lbfoDriver } from '../../src/drivers/intermediate/lbfo/index.js';
import { vlanDriver } from '../../src/drivers/intermediate/vlan/index.js';
import { tapHardwareOffload } from '../../src/drivers/miniport/tap/offload-caps.js';
import type { VirtualWireAdapter } from '../../src/drivers/miniport/virtual-wire/adapter.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import {
  NDIS_IPSEC_OFFLOAD_V1_NONE,
  NDIS_IPSEC_OFFLOAD_V2_NONE,
  NDIS_OFFLOAD_IPSEC_V1_OFFSET,
  NDIS_OFFLOAD_IPSEC_V2_OFFSET,
  NDIS_OFFLOAD_PARAMETERS_IPSECV1_AH_AND_ESP_ENABLED,
  NDIS_OFFLOAD_PARAMETERS_IPSECV1_AH_ENABLED,
  NDIS_OFFLOAD_PARAMETERS_IPSECV1_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_IPSECV2_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_IPSECV2_ESP_ENABLED,
  NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NdisOidRequest,
  OID_TCP_OFFLOAD_CURRENT_CONFIG,
  OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
  encodeToBytes,
  offloadCurrentConfigCodec,
  offloadParametersCodec,
  readIpsecOffloadV1,
  readIpsecOffloadV2,
  type MiniportAdapterHandle,
  type NdisOffload,
  type NdisOffloadParameters,
  type NdisStatus,
  type NdisStatusIndicationInit,
} from '../../src/ndis/index.js';
import { assertClean, makeHost, settle, shutdownAll, uniqueWire } from '../support/hosts.js';
import { FULL_OFFLOAD } from '../support/offload.js';
import { TestMiniportDriver, TestProtocolDriver } from '../support/test-drivers.js';

const P = NDIS_OFFLOAD_PARAMETERS_NO_CHANGES;
/** Every way to ask for IPsec offload in NDIS_OFFLOAD_PARAMETERS. */
const ASKS: readonly NdisOffloadParameters[] = [
  { ...P, ipsecV1: NDIS_OFFLOAD_PARAMETERS_IPSECV1_AH_ENABLED },
  { ...P, ipsecV1: NDIS_OFFLOAD_PARAMETERS_IPSECV1_AH_AND_ESP_ENABLED },
  { ...P, ipsecV2: NDIS_OFFLOAD_PARAMETERS_IPSECV2_ESP_ENABLED },
  { ...P, ipsecV2IPv4: NDIS_OFFLOAD_PARAMETERS_IPSECV2_ESP_ENABLED },
  // Together with a change that would be valid alone: the whole set is refused.
  { ...P, lsoV2IPv4: NDIS_OFFLOAD_PARAMETERS_LSOV2_DISABLED, ipsecV2: 4 },
];
const DISABLE: NdisOffloadParameters = { ...P, ipsecV1: NDIS_OFFLOAD_PARAMETERS_IPSECV1_DISABLED, ipsecV2: NDIS_OFFLOAD_PARAMETERS_IPSECV2_DISABLED, ipsecV2IPv4: NDIS_OFFLOAD_PARAMETERS_IPSECV2_DISABLED };

/** The NDIS_OFFLOAD bytes of a query answer have IPsec v1 and v2 all zero. */
function assertNoIpsecBytes(b: Uint8Array, what: string): void {
  assert.ok(b.length >= 144, `${what}: an NDIS_OFFLOAD of ${b.length} bytes`);
  assert.deepEqual(readIpsecOffloadV1(b, NDIS_OFFLOAD_IPSEC_V1_OFFSET), NDIS_IPSEC_OFFLOAD_V1_NONE, `${what}: IPsecV1`);
  assert.deepEqual(readIpsecOffloadV2(b, NDIS_OFFLOAD_IPSEC_V2_OFFSET), NDIS_IPSEC_OFFLOAD_V2_NONE, `${what}: IPsecV2`);
  assert.ok(b.subarray(NDIS_OFFLOAD_IPSEC_V1_OFFSET, NDIS_OFFLOAD_IPSEC_V1_OFFSET + 28).every((x) => x === 0), `${what}: IPsecV1 bytes`);
  assert.ok(b.subarray(NDIS_OFFLOAD_IPSEC_V2_OFFSET, NDIS_OFFLOAD_IPSEC_V2_OFFSET + 32).every((x) => x === 0), `${what}: IPsecV2 bytes`);
}

function queryBytes(oid: number): NdisOidRequest {
  return NdisOidRequest.query(oid, 512);
}

test('TAP offloads: hardware capabilities carry no IPsec; enabling IPsec v1/v2 is refused (INVALID_DATA), counted, nothing changes', () => {
  const indications: NdisStatusIndicationInit[] = [];
  const handle = { indicateStatus: (i: NdisStatusIndicationInit) => indications.push(i) } as unknown as MiniportAdapterHandle;
  const hw = tapHardwareOffload(true);
  const o = new MiniportOffloads(handle, hw, hw);
  const q = queryBytes(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES);
  assert.equal(o.handleOid(q), NDIS_STATUS_SUCCESS);
  assertNoIpsecBytes(q.informationBuffer.subarray(0, q.bytesWritten), 'TAP hardware capabilities');
  for (const ask of ASKS) assert.equal(o.handleOid(NdisOidRequest.set(offloadParametersCodec, ask)), NDIS_STATUS_INVALID_DATA);
  assert.deepEqual(o.current, hw, 'nothing changed (not even the LSOv2 part of the mixed set)');
  assert.equal(indications.length, 0, 'a refused set indicates nothing');
  assert.deepEqual(o.setCounters, { offloadParameterSets: 0, offloadParameterSetsFailed: ASKS.length, ipsecRefused: ASKS.length });
  // Switching IPsec off is what it already is: accepted and indicated.
  assert.equal(o.handleOid(NdisOidRequest.set(offloadParametersCodec, DISABLE)), NDIS_STATUS_SUCCESS);
  assert.deepEqual(indications.map((i) => i.statusCode), [NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG]);
  assertNoIpsecBytes(encodeToBytes(offloadCurrentConfigCodec, indications[0]!.statusBuffer as NdisOffload), 'the indication');
});

test('virtual wire: capabilities, NDIS\'s CURRENT_CONFIG and the bind parameters say no IPsec; an IPsec set is refused and shows in the inspector', async () => {
  const h = await makeHost({ name: 'A', wire: uniqueWire('ipsec'), keywords: { '*TCPChecksumOffloadIPv4': 3, '*LsoV2IPv4': 1 } });
  const ep = h.raw.endpoint('eth0');
  for (const oid of [OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, OID_TCP_OFFLOAD_CURRENT_CONFIG]) {
    const q = queryBytes(oid);
    assert.equal(await ep.oid(q), NDIS_STATUS_SUCCESS);
    assertNoIpsecBytes(q.informationBuffer.subarray(0, q.bytesWritten), `0x${oid.toString(16)}`);
  }
  const bound = h.rt.adapter('eth0').offload.current;
  const before = JSON.stringify(bound);
  for (const ask of ASKS) assert.equal(await ep.oid(NdisOidRequest.set(offloadParametersCodec, ask)), NDIS_STATUS_INVALID_DATA);
  assert.equal(JSON.stringify(h.rt.adapter('eth0').offload.current), before);
  const snap = (h.rt.adapter('eth0').instance as VirtualWireAdapter).inspect() as { offload: { ipsecRefused: number } };
  assert.equal(snap.offload.ipsecRefused, ASKS.length, 'the counter reaches the inspector');
  assert.equal(await ep.oid(NdisOidRequest.set(offloadParametersCodec, DISABLE)), NDIS_STATUS_SUCCESS);
  await shutdownAll(h);
  assertClean(h.rt);
});

test('LBFO team and VLAN miniport: the set reaches the members / the lower adapter and comes back refused; the IM view has no IPsec', async () => {
  // LBFO over two offload-capable members.
  const rt = NdisRuntime.forTest({ name: 'H' });
  const a = new TestMiniportDriver({ name: 'test.mp-a', offload: { hardware: FULL_OFFLOAD } });
  const b = new TestMiniportDriver({ name: 'test.mp-b', offload: { hardware: FULL_OFFLOAD } });
  const proto = new TestProtocolDriver();
  for (const d of [a, b, proto]) rt.registerDriver(d.characteristics);
  rt.registerDriver(lbfoDriver);
  rt.adapterPolicy = (name) => (name === 'team0' ? { filters: [], protocols: [{ driver: 'test.protocol' }] } : undefined);
  for (const [m, d] of [['m1', 'test.mp-a'], ['m2', 'test.mp-b']] as const) {
    await rt.addAdapter({ name: m, driver: d });
    await rt.bindProtocol(m, 'tsndis.lbfo', { UpperBindings: ['team0'], SendTimeoutMs: 0 });
    await rt.startAdapter(m);
  }
  await rt.whenIdle();
  await settle();
  const team = findTeam('H/team0')!;
  const p = proto.binding('team0');
  assertNoIpsecBytes(encodeToBytes(offloadCurrentConfigCodec, p.bindParameters!.defaultOffloadConfiguration), 'team bind parameters');
  const teamBefore = JSON.stringify(team.current);
  for (const ask of ASKS) {
    const s: NdisStatus = await p.oid(NdisOidRequest.set(offloadParametersCodec, ask));
    assert.equal(s, NDIS_STATUS_INVALID_DATA);
  }
  assert.equal(JSON.stringify(team.current), teamBefore);
  for (const [d, m] of [[a, 'm1'], [b, 'm2']] as const) assert.equal(d.adapter(m).offloads!.ipsecRefused, ASKS.length, `${m} refused each`);
  await rt.shutdown();
  assertClean(rt);

  // VLAN over an offload-capable adapter: the set is forwarded down and refused there.
  const vr = NdisRuntime.forTest({ name: 'V' });
  const mp = new TestMiniportDriver({ offload: { hardware: FULL_OFFLOAD } });
  vr.registerDriver(mp.characteristics);
  vr.registerDriver(vlanDriver);
  const raw = new RawProtocol();
  vr.registerDriver(raw.characteristics);
  vr.adapterPolicy = (name) => (name === 'v10' ? { keywords: { VlanID: 10 }, filters: [], protocols: [{ driver: 'tsndis.raw' }] } : undefined);
  await vr.addAdapter({ name: 'eth0', driver: mp.characteristics.name });
  await vr.bindProtocol('eth0', 'tsndis.vlan', { UpperBindings: ['v10'] });
  await vr.startAdapter('eth0');
  await vr.whenIdle();
  await raw.whenBound('V/v10');
  const ep = raw.endpoint('V/v10');
  const q = queryBytes(OID_TCP_OFFLOAD_CURRENT_CONFIG);
  assert.equal(await ep.oid(q), NDIS_STATUS_SUCCESS);
  assertNoIpsecBytes(q.informationBuffer.subarray(0, q.bytesWritten), 'VLAN current config');
  for (const ask of ASKS) assert.equal(await ep.oid(NdisOidRequest.set(offloadParametersCodec, ask)), NDIS_STATUS_INVALID_DATA);
  assert.equal(mp.adapter('eth0').offloads!.ipsecRefused, ASKS.length);
  await vr.shutdown();
  assertClean(vr);
});
