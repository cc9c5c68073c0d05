import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countersFilter, type CountersFilterModule } from '../../../src/drivers/filter/counters/index.js';
import {
  MediaConnectStateDisconnected,
  MediaDuplexStateFull,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_RESET_END,
  NDIS_STATUS_RESET_IN_PROGRESS,
  NDIS_STATUS_RESET_START,
  NDIS_STATUS_SUCCESS,
  NdisOidRequest,
  NdisPauseFunctionsUnsupported,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_LINK_SPEED,
  OID_GEN_LINK_STATE,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_VENDOR_ID,
  linkStateCodec,
  multicastListCodec,
  packetFilterCodec,
  ulongCodec,
  type NdisLinkState,
} from '../../../src/ndis/index.js';
import { settle } from '../../support/hosts.js';
import { PEER_MAC, TEST_MAC, seqFrame } from '../../support/test-drivers.js';
import { testStack } from '../../support/test-stack.js';

const DOWN: NdisLinkState = {
  mediaConnectState: MediaConnectStateDisconnected,
  mediaDuplexState: MediaDuplexStateFull,
  xmitLinkSpeed: 100_000_000n,
  rcvLinkSpeed: 100_000_000n,
  pauseFunctions: NdisPauseFunctionsUnsupported,
  autoNegotiationFlags: 0,
};
const MCAST = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x07);

test('status: a link-state indication passes every filter, reaches every binding, and NDIS answers from its cache', async () => {
  const s = await testStack({ filters: [{}], extraFilters: [countersFilter], protocols: [{}, {}] });
  s.adapter.ndis.indicateStatus({ statusCode: NDIS_STATUS_LINK_STATE, statusBuffer: DOWN });
  assert.equal(s.module().statuses.length, 1);
  const counters = s.rt.adapter('eth0').filters.find((f) => f.driver.name === 'tsndis.counters')!.instance as CountersFilterModule;
  assert.equal(counters.counters.statusIndications, 1);
  for (const i of [0, 1]) {
    assert.deepEqual(s.binding(i).statuses.map((x) => x.statusCode), [NDIS_STATUS_LINK_STATE]);
    assert.equal(s.binding(i).statuses[0]!.sourceHandle, s.mb, 'SourceHandle is the indicating adapter');
  }
  s.adapter.oidsSeen.length = 0;
  const ls = NdisOidRequest.query(OID_GEN_LINK_STATE, 64);
  assert.equal(await s.binding().oid(ls), NDIS_STATUS_SUCCESS);
  assert.deepEqual(ls.queryResult(linkStateCodec), DOWN);
  const mcs = NdisOidRequest.query(OID_GEN_MEDIA_CONNECT_STATUS, 4);
  await s.binding().oid(mcs);
  assert.equal(mcs.queryResult(ulongCodec(OID_GEN_MEDIA_CONNECT_STATUS)), 1, 'NdisMediaStateDisconnected');
  const speed = NdisOidRequest.query(OID_GEN_LINK_SPEED, 4);
  await s.binding().oid(speed);
  assert.equal(speed.queryResult(ulongCodec(OID_GEN_LINK_SPEED)), 1_000_000, '100 Mbit/s in 100 bps units');
  assert.deepEqual(s.adapter.oidsSeen, [], 'answered by NDIS');
  await s.finish();
});

test('reset: NDIS indicates RESET_START and RESET_END around MiniportResetEx; sends fail and OIDs wait meanwhile', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  s.adapter.resetStatus = 'pend';
  s.log.length = 0;
  const reset = s.rt.resetAdapter('eth0');
  await settle();
  assert.deepEqual(s.binding().statuses.map((x) => x.statusCode), [NDIS_STATUS_RESET_START]);
  s.binding().send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  assert.deepEqual(s.binding().completions.map((c) => c.status), [NDIS_STATUS_RESET_IN_PROGRESS]);
  const oid = s.binding().oid(NdisOidRequest.query(OID_GEN_VENDOR_ID, 4));
  await settle();
  assert.equal(s.adapter.oidsSeen.filter((r) => r.oid === OID_GEN_VENDOR_ID).length, 0, 'held during the reset');
  s.adapter.completeReset(NDIS_STATUS_SUCCESS);
  assert.equal(await reset, NDIS_STATUS_SUCCESS);
  assert.equal(await oid, NDIS_STATUS_SUCCESS);
  assert.deepEqual(s.binding().statuses.map((x) => x.statusCode), [NDIS_STATUS_RESET_START, NDIS_STATUS_RESET_END]);
  const order = s.log.filter((l) => l === 'mp:reset' || l.startsWith('test.protocol0:status'));
  assert.deepEqual(order, ['test.protocol0:status:40010004', 'mp:reset', 'test.protocol0:status:40010005']);
  await s.finish();
});

test('reset: an addressing reset makes NDIS set the merged packet filter and multicast list again', async () => {
  const s = await testStack({ filters: [{}], protocols: [{ packetFilter: NDIS_PACKET_TYPE_DIRECTED }, { packetFilter: NDIS_PACKET_TYPE_BROADCAST }] });
  assert.equal(await s.binding(0).oid(NdisOidRequest.set(multicastListCodec, [MCAST])), NDIS_STATUS_SUCCESS);
  s.adapter.resetAddressing = true;
  s.adapter.oidsSeen.length = 0;
  assert.equal(await s.rt.resetAdapter('eth0'), NDIS_STATUS_SUCCESS);
  const sets = s.adapter.oidsSeen.filter((r) => r.isSet).map((r) => r.oid);
  assert.deepEqual(sets, [OID_GEN_CURRENT_PACKET_FILTER, OID_802_3_MULTICAST_LIST]);
  assert.equal(s.adapter.oidsSeen[0]!.decodeInformationBuffer(packetFilterCodec), NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST);
  assert.equal(s.adapter.eth.packetFilter, NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST);
  assert.deepEqual(s.adapter.eth.multicast, [MCAST]);
  await s.finish();
});

test('reset: an addressing reset that completes while OIDs are queued restores the filter and runs them', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  s.adapter.resetStatus = 'pend';
  s.adapter.resetAddressing = true;
  const reset = s.rt.resetAdapter('eth0');
  await settle();
  const oid = s.binding().oid(NdisOidRequest.query(OID_GEN_VENDOR_ID, 4));
  await settle();
  s.adapter.completeReset(NDIS_STATUS_SUCCESS);
  assert.equal(await oid, NDIS_STATUS_SUCCESS);
  assert.equal(await reset, NDIS_STATUS_SUCCESS);
  assert.notEqual(s.adapter.eth.packetFilter, 0, 'the packet filter was set again');
  await s.finish();
});

test('check-for-hang: called every CheckForHangTimeInSeconds; returning true makes NDIS reset the adapter', async () => {
  const s = await testStack({ miniport: { checkForHang: true, checkForHangSeconds: 2 }, protocols: [{}] });
  await s.rt.scheduler.advanceAsync(1999);
  assert.equal(s.adapter.checkForHangCalls, 0);
  await s.rt.scheduler.advanceAsync(1);
  assert.equal(s.adapter.checkForHangCalls, 1);
  assert.equal(s.adapter.resets, 0);
  s.adapter.hung = true;
  await s.rt.scheduler.advanceAsync(2000);
  assert.equal(s.adapter.checkForHangCalls, 2);
  assert.equal(s.adapter.resets, 1);
  assert.deepEqual(s.binding().statuses.map((x) => x.statusCode), [NDIS_STATUS_RESET_START, NDIS_STATUS_RESET_END]);
  // Not while paused.
  await s.rt.pauseStack('eth0');
  await s.rt.scheduler.advanceAsync(10_000);
  assert.equal(s.adapter.checkForHangCalls, 2);
  await s.finish();
});
