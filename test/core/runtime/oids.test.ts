import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NDIS_ANSWERED_OIDS } from '../../../src/core/runtime/miniport-block.js';
import { passThroughFilter } from '../../../src/drivers/filter/passthrough/index.js';
import { ETHERNET_OIDS } from '../../../src/drivers/common/ethernet-miniport.js';
import {
  MediaConnectStateConnected,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_STATUS_BUFFER_TOO_SHORT,
  NDIS_STATUS_INVALID_LENGTH,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisMedium802_3,
  NdisOidRequest,
  OID_802_3_MULTICAST_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  OID_GEN_LINK_STATE,
  OID_GEN_MAC_OPTIONS,
  OID_GEN_MAXIMUM_FRAME_SIZE,
  OID_GEN_MAXIMUM_LOOKAHEAD,
  OID_GEN_MEDIA_CONNECT_STATUS,
  OID_GEN_MEDIA_SUPPORTED,
  OID_GEN_SUPPORTED_LIST,
  OID_GEN_VENDOR_DESCRIPTION,
  OID_GEN_VENDOR_ID,
  OID_GEN_XMIT_OK,
  linkStateCodec,
  packetFilterCodec,
  supportedListCodec,
  ulongCodec,
  vendorDescriptionCodec,
} from '../../../src/ndis/index.js';
import { settle } from '../../support/hosts.js';
import { testStack } from '../../support/test-stack.js';

const q = (oid: number, len = 64) => NdisOidRequest.query(oid, len);

test('oid: regular requests are serialized per adapter, across bindings and through filters', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}, {}] });
  s.adapter.oidMode = 'pend';
  const r0 = q(OID_GEN_VENDOR_ID);
  const r1 = q(OID_GEN_XMIT_OK);
  const r2 = q(OID_GEN_VENDOR_DESCRIPTION, 128);
  const p0 = s.binding(0).oid(r0);
  const p1 = s.binding(1).oid(r1);
  const p2 = s.rt.oid('eth0', r2); // NDIS itself (tooling) queues behind them too
  await settle();
  assert.equal(s.adapter.pendingOids.length, 1, 'one request at a time reaches the miniport');
  assert.equal(s.adapter.pendingOids[0]!.oid, OID_GEN_VENDOR_ID);
  assert.equal(s.mb.oidQueue.length, 2);
  s.adapter.completeOid();
  assert.equal(await p0, NDIS_STATUS_SUCCESS);
  assert.equal(r0.queryResult(ulongCodec(OID_GEN_VENDOR_ID)), 0xffffff);
  await settle();
  assert.deepEqual(s.adapter.pendingOids.map((r) => r.oid), [OID_GEN_XMIT_OK]);
  s.adapter.completeOid();
  assert.equal(await p1, NDIS_STATUS_SUCCESS);
  await settle();
  s.adapter.completeOid();
  assert.equal(await p2, NDIS_STATUS_SUCCESS);
  assert.equal(r2.queryResult(vendorDescriptionCodec), 'tsndis test miniport');
  await s.finish();
});

test('oid: direct requests are not serialized (two in flight next to a regular one)', async () => {
  const s = await testStack({ miniport: { directOids: true }, filters: [{}], protocols: [{}, {}] });
  s.adapter.oidMode = 'pend';
  const regular = s.binding(0).oid(q(OID_GEN_VENDOR_ID));
  const d0 = s.binding(0).directOid(q(OID_GEN_XMIT_OK));
  const d1 = s.binding(1).directOid(q(OID_GEN_XMIT_OK));
  await settle();
  assert.equal(s.adapter.pendingOids.length, 1);
  assert.equal(s.adapter.pendingDirect.length, 2);
  s.adapter.completeDirect(NDIS_STATUS_SUCCESS, s.adapter.pendingDirect[1]);
  assert.equal(await d1, NDIS_STATUS_SUCCESS);
  s.adapter.completeDirect();
  assert.equal(await d0, NDIS_STATUS_SUCCESS);
  s.adapter.completeOid();
  assert.equal(await regular, NDIS_STATUS_SUCCESS);
  await s.finish();
});

test('oid: cancelling a queued request never reaches the miniport; an in-flight one is aborted by it', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}, {}] });
  s.adapter.oidMode = 'pend';
  const a = q(OID_GEN_VENDOR_ID);
  const b = q(OID_GEN_XMIT_OK);
  const pa = s.binding(0).oid(a);
  const pb = s.binding(1).oid(b);
  await settle();
  s.binding(1).ndis.cancelOidRequest(b.requestId);
  assert.equal(await pb, NDIS_STATUS_REQUEST_ABORTED);
  assert.deepEqual(s.adapter.cancelledOidIds, [], 'the queued request was cancelled by NDIS');
  s.binding(0).ndis.cancelOidRequest(a.requestId);
  assert.equal(await pa, NDIS_STATUS_REQUEST_ABORTED);
  assert.deepEqual(s.adapter.cancelledOidIds, [a.requestId], 'the in-flight one was cancelled by the miniport');
  assert.equal(s.adapter.oidsSeen.filter((r) => r.oid === OID_GEN_XMIT_OK).length, 0);
  // The adapter takes new requests afterwards.
  const c = s.binding(1).oid(q(OID_GEN_XMIT_OK));
  await settle();
  s.adapter.completeOid();
  assert.equal(await c, NDIS_STATUS_SUCCESS);
  await s.finish();
});

test('oid: NDIS answers the cached OIDs itself; the miniport never sees them, even while one is pending', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  s.adapter.oidMode = 'pend';
  const pending = s.binding().oid(q(OID_GEN_VENDOR_ID));
  s.adapter.oidsSeen.length = 0;
  for (const oid of NDIS_ANSWERED_OIDS) {
    const r = q(oid, 512);
    assert.equal(await s.binding().oid(r), NDIS_STATUS_SUCCESS, `0x${oid.toString(16)}`);
  }
  assert.deepEqual(s.adapter.oidsSeen, [], 'none reached the miniport');
  const frame = q(OID_GEN_MAXIMUM_FRAME_SIZE);
  await s.binding().oid(frame);
  assert.equal(frame.queryResult(ulongCodec(OID_GEN_MAXIMUM_FRAME_SIZE)), 1500);
  const la = q(OID_GEN_MAXIMUM_LOOKAHEAD);
  await s.binding().oid(la);
  assert.equal(la.queryResult(ulongCodec(OID_GEN_MAXIMUM_LOOKAHEAD)), 1500);
  const media = q(OID_GEN_MEDIA_SUPPORTED);
  await s.binding().oid(media);
  assert.equal(media.queryResult(ulongCodec(OID_GEN_MEDIA_SUPPORTED)), NdisMedium802_3);
  const opts = q(OID_GEN_MAC_OPTIONS);
  await s.binding().oid(opts);
  assert.equal(opts.queryResult(ulongCodec(OID_GEN_MAC_OPTIONS)), s.mb.general!.macOptions);
  const connect = q(OID_GEN_MEDIA_CONNECT_STATUS);
  await s.binding().oid(connect);
  assert.equal(connect.queryResult(ulongCodec(OID_GEN_MEDIA_CONNECT_STATUS)), 0, 'NdisMediaStateConnected');
  const list = q(OID_GEN_SUPPORTED_LIST, 1024);
  await s.binding().oid(list);
  const supported = list.queryResult(supportedListCodec)!;
  for (const oid of [...ETHERNET_OIDS, ...NDIS_ANSWERED_OIDS]) assert.ok(supported.includes(oid), `0x${oid.toString(16)} listed`);
  const ls = q(OID_GEN_LINK_STATE);
  await s.binding().oid(ls);
  assert.equal(ls.queryResult(linkStateCodec)!.mediaConnectState, MediaConnectStateConnected);
  s.adapter.completeOid();
  await pending;
  await s.finish();
});

test('oid: a short query buffer gives BUFFER_TOO_SHORT with BytesNeeded, through a cloning filter too', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  const ls = q(OID_GEN_LINK_STATE, 4); // answered by NDIS
  assert.equal(await s.binding().oid(ls), NDIS_STATUS_BUFFER_TOO_SHORT);
  assert.equal(ls.bytesWritten, 0);
  assert.equal(ls.bytesNeeded, linkStateCodec.encodedLength(s.mb.linkState!));
  const vd = q(OID_GEN_VENDOR_DESCRIPTION, 3); // answered by the miniport
  assert.equal(await s.binding().oid(vd), NDIS_STATUS_BUFFER_TOO_SHORT);
  assert.equal(vd.bytesNeeded, 'tsndis test miniport'.length + 1);
  assert.deepEqual([...vd.informationBuffer], [0, 0, 0], 'nothing written');
  await s.finish();
});

test('oid: a short set gives INVALID_LENGTH with BytesNeeded (multicast list not a multiple of 6, short packet filter)', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  s.adapter.oidsSeen.length = 0;
  const mc = NdisOidRequest.setRaw(OID_802_3_MULTICAST_LIST, new Uint8Array(7));
  assert.equal(await s.binding().oid(mc), NDIS_STATUS_INVALID_LENGTH);
  assert.equal(mc.bytesNeeded, 12);
  assert.equal(mc.bytesRead, 0);
  const pf = NdisOidRequest.setRaw(OID_GEN_CURRENT_PACKET_FILTER, new Uint8Array(2));
  assert.equal(await s.binding().oid(pf), NDIS_STATUS_INVALID_LENGTH);
  assert.equal(pf.bytesNeeded, 4);
  assert.deepEqual(s.adapter.oidsSeen, [], 'NDIS validated them; nothing went down');
  await s.finish();
});

test('oid: the miniport sees the OR of every binding’s packet filter; unbinding one re-sends the merged value', async () => {
  const s = await testStack({
    filters: [{}],
    protocols: [
      { name: 'directed', packetFilter: NDIS_PACKET_TYPE_DIRECTED },
      { name: 'broadcast', packetFilter: NDIS_PACKET_TYPE_BROADCAST },
    ],
  });
  const pfSets = () => s.adapter.oidsSeen.filter((r) => r.isSet && r.oid === OID_GEN_CURRENT_PACKET_FILTER).map((r) => r.decodeInformationBuffer(packetFilterCodec));
  assert.deepEqual(pfSets(), [NDIS_PACKET_TYPE_DIRECTED, NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST]);
  assert.equal(s.adapter.eth.packetFilter, NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST);
  assert.equal(s.mb.packetFilter, NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST);
  // Setting the same bits again changes nothing below.
  assert.equal(await s.binding(0).oid(NdisOidRequest.set(packetFilterCodec, NDIS_PACKET_TYPE_DIRECTED)), NDIS_STATUS_SUCCESS);
  assert.equal(pfSets().length, 2);
  await s.rt.unbindProtocol('eth0', 'broadcast');
  assert.deepEqual(pfSets().slice(2), [NDIS_PACKET_TYPE_DIRECTED]);
  assert.equal(s.adapter.eth.packetFilter, NDIS_PACKET_TYPE_DIRECTED);
  await s.finish();
});

test('oid: the pass-through filter clones and forwards, and the original gets the clone’s results (sync and pended)', async () => {
  const s = await testStack({ extraFilters: [passThroughFilter], protocols: [{}] });
  assert.equal(s.mb.filters[0]!.driver.name, 'tsndis.passthrough');
  const sync = q(OID_GEN_VENDOR_DESCRIPTION, 64);
  assert.equal(await s.binding().oid(sync), NDIS_STATUS_SUCCESS);
  assert.equal(sync.queryResult(vendorDescriptionCodec), 'tsndis test miniport');
  assert.equal(sync.bytesWritten, 'tsndis test miniport'.length + 1);
  const seenByMiniport = s.adapter.oidsSeen.at(-1)!;
  assert.notEqual(seenByMiniport, sync, 'the miniport saw a clone');
  assert.equal(seenByMiniport.requestId, sync.requestId);

  s.adapter.oidMode = 'pend';
  const later = q(OID_GEN_VENDOR_DESCRIPTION, 64);
  const status = s.binding().ndis.oidRequest(later);
  assert.equal(status, NDIS_STATUS_PENDING);
  const done = new Promise<number>((r) => s.protocols[0]!.oidWaiters.set(later, r));
  s.adapter.completeOid();
  assert.equal(await done, NDIS_STATUS_SUCCESS);
  assert.equal(later.queryResult(vendorDescriptionCodec), 'tsndis test miniport');
  const short = q(OID_GEN_VENDOR_DESCRIPTION, 2);
  const shortDone = s.binding().oid(short);
  await settle();
  s.adapter.completeOid();
  assert.equal(await shortDone, NDIS_STATUS_BUFFER_TOO_SHORT);
  assert.equal(short.bytesNeeded, 'tsndis test miniport'.length + 1);
  await s.finish();
});
