/**
 * Removing an adapter whose miniport holds an OID request and never completes it: the removal does not
 * wait on it. Unbinding during a removal sends no merged packet filter / multicast list / lookahead down
 * again (they would queue behind the held request forever, and the adapter is about to be halted); the
 * halt completes the held request with NDIS_STATUS_ADAPTER_REMOVED, so its issuer is not left waiting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { virtualWireMiniport } from '../../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol } from '../../../src/drivers/protocol/raw/index.js';
import { NDIS_STATUS_ADAPTER_REMOVED, NDIS_STATUS_PENDING, NdisOidRequest, OID_GEN_CURRENT_PACKET_FILTER, statusName, type NdisStatus } from '../../../src/ndis/index.js';
import { uniqueWire } from '../../support/hosts.js';

/** `p`, or a rejection naming `what` after `ms` of real time (so a hang fails the test instead of hanging it). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

for (const how of ['removeAdapter', 'shutdown'] as const) {
  test(`${how} with an OID the miniport never completes: no hang, the OID completes with ADAPTER_REMOVED`, async () => {
    const rt = NdisRuntime.forTest({ name: 'H' });
    rt.registerDriver(virtualWireMiniport);
    const raw = new RawProtocol('tsndis.raw');
    rt.registerDriver(raw.characteristics);
    await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: uniqueWire() } });
    await rt.bindProtocol('eth0', 'tsndis.raw');
    await rt.startAdapter('eth0');
    const mp = rt.adapter('H/eth0').instance as unknown as { oidRequest(r: NdisOidRequest): NdisStatus };
    mp.oidRequest = () => NDIS_STATUS_PENDING;
    const held = rt.oid('H/eth0', NdisOidRequest.query(OID_GEN_CURRENT_PACKET_FILTER, 4));
    await within(how === 'removeAdapter' ? rt.removeAdapter('H/eth0') : rt.shutdown(), 5000, how);
    assert.equal(statusName(await within(held, 1000, 'the held OID')), statusName(NDIS_STATUS_ADAPTER_REMOVED));
    assert.equal(rt.adapters.size, 0);
    assert.ok(rt.poolsFull());
  });
}
