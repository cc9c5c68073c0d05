/**
 * The common miniport offload helper: OID_TCP_OFFLOAD_PARAMETERS applied through the driver's hook and
 * indicated (or refused and not indicated), hardware capabilities answered, encapsulation rules.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MiniportOffloads, softwareOffloadCapabilities } from '../../src/drivers/common/task-offload.js';
import {
  NDIS_ENCAPSULATION_IEEE_802_3,
  NDIS_OFFLOAD_PARAMETERS_NO_CHANGES,
  NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED,
  NDIS_OFFLOAD_SET_NO_CHANGE,
  NDIS_OFFLOAD_SET_OFF,
  NDIS_OFFLOAD_SET_ON,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_OID,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NdisOidRequest,
  OID_GEN_VENDOR_ID,
  OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
  offloadHardwareCapabilitiesCodec,
  offloadParametersCodec,
  type MiniportAdapterHandle,
  type NdisOffload,
  type NdisStatusIndicationInit,
} from '../../src/ndis/index.js';

function fakeHandle(): { handle: MiniportAdapterHandle; indications: NdisStatusIndicationInit[] } {
  const indications: NdisStatusIndicationInit[] = [];
  return { handle: { indicateStatus: (i: NdisStatusIndicationInit) => indications.push(i) } as unknown as MiniportAdapterHandle, indications };
}

const HW = softwareOffloadCapabilities(true);
const NO_RSC = { ...NDIS_OFFLOAD_PARAMETERS_NO_CHANGES, rscIPv4: NDIS_OFFLOAD_PARAMETERS_RSC_DISABLED };

test('a parameters set goes through apply, then the new configuration is indicated', () => {
  const { handle, indications } = fakeHandle();
  const applied: [NdisOffload, NdisOffload][] = [];
  const o = new MiniportOffloads(handle, HW, HW, {
    apply: (next, prev) => {
      applied.push([next, prev]);
      return NDIS_STATUS_SUCCESS;
    },
  });
  assert.equal(o.handleOid(NdisOidRequest.set(offloadParametersCodec, NO_RSC)), NDIS_STATUS_SUCCESS);
  assert.equal(o.current.rsc.ipv4Enabled, false);
  assert.deepEqual(applied[0]![1], HW);
  assert.deepEqual(indications.map((i) => [i.statusCode, i.statusBuffer]), [[NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG, o.current]]);
  assert.equal(o.parameterSets, 1);
});

test('a set the driver cannot apply fails with its status, changes nothing and indicates nothing', () => {
  const { handle, indications } = fakeHandle();
  const o = new MiniportOffloads(handle, HW, HW, { apply: () => NDIS_STATUS_FAILURE });
  assert.equal(o.handleOid(NdisOidRequest.set(offloadParametersCodec, NO_RSC)), NDIS_STATUS_FAILURE);
  assert.deepEqual(o.current, HW);
  assert.equal(indications.length, 0);
  assert.equal(o.parameterSetsFailed, 1);
});

test('hardware capabilities are answered; other OIDs and wrong request types are left to the caller or refused', () => {
  const o = new MiniportOffloads(fakeHandle().handle, HW, HW);
  const q = NdisOidRequest.query(OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, 256); // revision 6 (USO): 216 bytes
  assert.equal(o.handleOid(q), NDIS_STATUS_SUCCESS);
  assert.deepEqual(q.queryResult(offloadHardwareCapabilitiesCodec), HW);
  assert.equal(o.handleOid(NdisOidRequest.query(OID_GEN_VENDOR_ID, 4)), NDIS_STATUS_INVALID_OID);
  assert.equal(o.handleOid(NdisOidRequest.query(offloadParametersCodec.oid, 26)), NDIS_STATUS_NOT_SUPPORTED);
});

test('encapsulation: ON needs Ethernet II with 14 bytes, NO_CHANGE keeps, OFF turns off, other values are invalid', () => {
  const changes: boolean[] = [];
  const o = new MiniportOffloads(fakeHandle().handle, HW, HW, { encapsulationChanged: (e) => changes.push(e.ipv4.enabled === NDIS_OFFLOAD_SET_ON) });
  const on = { enabled: NDIS_OFFLOAD_SET_ON, encapsulationType: NDIS_ENCAPSULATION_IEEE_802_3, headerSize: 14 };
  const keep = { ...on, enabled: NDIS_OFFLOAD_SET_NO_CHANGE };
  assert.equal(o.setEncapsulation({ ipv4: on, ipv6: keep }), NDIS_STATUS_SUCCESS);
  assert.deepEqual([o.encapsulationOn(false), o.encapsulationOn(true)], [true, false]);
  assert.equal(o.setEncapsulation({ ipv4: keep, ipv6: { ...on, headerSize: 18 } }), NDIS_STATUS_NOT_SUPPORTED);
  assert.equal(o.setEncapsulation({ ipv4: { ...on, enabled: 7 }, ipv6: keep }), NDIS_STATUS_INVALID_PARAMETER);
  assert.equal(o.setEncapsulation({ ipv4: { ...on, enabled: NDIS_OFFLOAD_SET_OFF }, ipv6: keep }), NDIS_STATUS_SUCCESS);
  assert.equal(o.encapsulationOn(false), false);
  assert.deepEqual(changes, [true, false]);
});
