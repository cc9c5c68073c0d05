import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_RECEIVE_FLAGS_PERFECT_FILTERED,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_RESOURCES,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisOidRequest,
  multicastListCodec,
} from '../../../src/ndis/index.js';
import { BROADCAST } from '../../support/hosts.js';
import { PEER_MAC, TEST_MAC, seqFrame, seqOf } from '../../support/test-drivers.js';
import { testStack } from '../../support/test-stack.js';

const MCAST_IN = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);
const MCAST_OUT = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x02);
const OTHER = Uint8Array.of(0x02, 0x99, 0x99, 0x99, 0x99, 0x99);

test('send: a chain goes down in wire order and comes back with per-NBL, mixed statuses', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  s.adapter.sendMode = 'hold';
  const frames = [1, 2, 3, 4].map((i) => seqFrame(PEER_MAC, TEST_MAC, i, 40 + i));
  const sent = s.binding().send(frames);
  assert.equal(s.adapter.held.length, 4);
  assert.deepEqual(s.adapter.sentFrames, frames, 'the miniport got the chain in order, byte-exact');
  assert.equal(s.module().sendsSeen, 4);
  // Completions may be split and come in any grouping; status is per NBL.
  s.adapter.completeSends(1, NDIS_STATUS_SUCCESS);
  s.adapter.completeSends(3, [NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS, NDIS_STATUS_FAILURE]);
  const c = s.binding().completions;
  assert.deepEqual(c.map((x) => x.nbl), sent, 'each NBL came back to its sender');
  assert.deepEqual(c.map((x) => x.status), [NDIS_STATUS_SUCCESS, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS, NDIS_STATUS_FAILURE]);
  assert.deepEqual(c.map((x) => seqOf(x.bytes)), [1, 2, 3, 4]);
  const ob = s.mb.bindings[0]!;
  assert.equal(ob.stats.sent, 4);
  assert.equal(ob.stats.sendCompleted, 4);
  assert.equal(ob.stats.sendFailed, 2);
  assert.equal(s.mb.sendsOutstanding, 0);
  await s.finish();
});

test('send: completions of two bindings merged in one chain are split back by SourceHandle', async () => {
  const s = await testStack({ protocols: [{}, {}] });
  s.adapter.sendMode = 'hold';
  const a = s.binding(0).send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  const b = s.binding(1).send([seqFrame(PEER_MAC, TEST_MAC, 2), seqFrame(PEER_MAC, TEST_MAC, 3)]);
  s.adapter.completeSends(3, [NDIS_STATUS_SUCCESS, NDIS_STATUS_FAILURE, NDIS_STATUS_SUCCESS]);
  assert.deepEqual(s.binding(0).completions.map((x) => x.nbl), a);
  assert.deepEqual(s.binding(1).completions.map((x) => x.nbl), b);
  assert.deepEqual(s.binding(1).completions.map((x) => x.status), [NDIS_STATUS_FAILURE, NDIS_STATUS_SUCCESS]);
  await s.finish();
});

test('receive: one binding gets the frames; the NBLs go back to the miniport when it returns them', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  s.binding().holdReceives = true;
  const frames = [seqFrame(TEST_MAC, PEER_MAC, 1), seqFrame(TEST_MAC, PEER_MAC, 2)];
  const nbls = s.adapter.injectReceive(frames);
  assert.deepEqual(s.binding().received.map((r) => r.bytes), frames);
  assert.deepEqual(s.binding().held, nbls, 'zero copy: the binding holds the miniport NBLs');
  assert.equal(s.adapter.indicated, 2);
  s.binding().returnHeld(1);
  assert.equal(s.adapter.indicated, 1);
  s.binding().returnHeld();
  assert.equal(s.adapter.indicated, 0);
  assert.equal(s.mb.receivesOutstanding, 0);
  await s.finish();
});

test('receive: with two bindings each sees every frame, and an NBL goes back only after both returned it', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}, {}] });
  s.binding(0).holdReceives = true;
  s.binding(1).holdReceives = true;
  const frames = [seqFrame(BROADCAST, PEER_MAC, 1), seqFrame(TEST_MAC, PEER_MAC, 2)];
  const nbls = s.adapter.injectReceive(frames);
  for (const i of [0, 1]) {
    assert.deepEqual(s.binding(i).received.map((r) => seqOf(r.bytes)), [1, 2]);
    assert.deepEqual(s.binding(i).held, nbls);
  }
  s.binding(0).returnHeld();
  assert.equal(s.adapter.indicated, 2, 'binding 1 still holds both');
  s.binding(1).returnHeld(1);
  assert.equal(s.adapter.indicated, 1);
  s.binding(1).returnHeld();
  assert.equal(s.adapter.indicated, 0);
  await s.finish();
});

test('receive: NDIS applies each binding’s packet filter and multicast list unless PERFECT_FILTERED is set', async () => {
  const s = await testStack({
    protocols: [
      { name: 'directed', packetFilter: NDIS_PACKET_TYPE_DIRECTED },
      { name: 'group', packetFilter: NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_MULTICAST },
      { name: 'promiscuous', packetFilter: NDIS_PACKET_TYPE_PROMISCUOUS },
    ],
  });
  assert.equal(await s.binding(1).oid(NdisOidRequest.set(multicastListCodec, [MCAST_IN])), NDIS_STATUS_SUCCESS);
  const frames = [
    seqFrame(TEST_MAC, PEER_MAC, 1), // directed to us
    seqFrame(OTHER, PEER_MAC, 2), // directed elsewhere
    seqFrame(BROADCAST, PEER_MAC, 3),
    seqFrame(MCAST_IN, PEER_MAC, 4),
    seqFrame(MCAST_OUT, PEER_MAC, 5),
  ];
  s.adapter.injectReceive(frames);
  const got = (i: number) => s.binding(i).received.map((r) => seqOf(r.bytes));
  assert.deepEqual(got(0), [1]);
  assert.deepEqual(got(1), [3, 4]);
  assert.deepEqual(got(2), [1, 2, 3, 4, 5]);
  assert.equal(s.adapter.indicated, 0, 'frames nobody wanted went straight back');
  for (const i of [0, 1, 2]) s.binding(i).received.length = 0;
  s.adapter.injectReceive(frames, { flags: NDIS_RECEIVE_FLAGS_PERFECT_FILTERED });
  for (const i of [0, 1, 2]) assert.deepEqual(got(i), [1, 2, 3, 4, 5], 'perfect filtered: the miniport already filtered');
  await s.finish();
});

test('receive: one binding with a packet filter: rejected frames go back at once, accepted ones in order', async () => {
  const s = await testStack({ protocols: [{ packetFilter: NDIS_PACKET_TYPE_DIRECTED }] });
  s.binding().holdReceives = true;
  s.adapter.injectReceive([seqFrame(TEST_MAC, PEER_MAC, 1), seqFrame(BROADCAST, PEER_MAC, 2), seqFrame(TEST_MAC, PEER_MAC, 3)]);
  assert.deepEqual(s.binding().received.map((r) => seqOf(r.bytes)), [1, 3]);
  assert.equal(s.adapter.indicated, 2, 'the broadcast came straight back');
  s.binding().returnHeld();
  await s.finish();
});

test('receive: NDIS_RECEIVE_FLAGS_RESOURCES: receivers copy, the indicator keeps ownership, nothing is returned', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}, {}] });
  s.binding(0).holdReceives = true; // a holder must still not keep RESOURCES NBLs
  const frames = [seqFrame(BROADCAST, PEER_MAC, 1), seqFrame(TEST_MAC, PEER_MAC, 2)];
  s.adapter.injectReceive(frames, { flags: NDIS_RECEIVE_FLAGS_RESOURCES });
  for (const i of [0, 1]) {
    assert.deepEqual(s.binding(i).received.map((r) => r.bytes), frames);
    assert.ok(s.binding(i).received.every((r) => (r.flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0));
  }
  assert.equal(s.binding(0).held.length, 0);
  assert.equal(s.adapter.indicated, 0);
  assert.equal(s.adapter.rxPool!.inUse, 0, 'the miniport took its buffers back when the call returned');
  assert.equal(s.mb.receivesOutstanding, 0);
  await s.finish();
});

test('cancel: NdisCancelSendNetBufferLists reaches a filter and the miniport; queued NBLs complete with SEND_ABORTED', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  const b = s.binding();
  const x = b.ndis.generatePartialCancelId() | 1;
  const y = b.ndis.generatePartialCancelId() | 2;
  s.adapter.sendMode = 'hold';
  b.send([seqFrame(PEER_MAC, TEST_MAC, 1)], x); // held by the miniport
  b.send([seqFrame(PEER_MAC, TEST_MAC, 2)], y); // held by the miniport, other id
  s.module().holdSends = true;
  b.send([seqFrame(PEER_MAC, TEST_MAC, 3)], x); // held by the filter
  b.ndis.cancelSendNetBufferLists(x);
  assert.deepEqual(s.module().cancelledSendIds, [x]);
  assert.deepEqual(s.adapter.cancelledSendIds, [x], 'the filter forwarded the cancel down');
  assert.deepEqual(b.completions.map((c) => [seqOf(c.bytes), c.status]), [
    [3, NDIS_STATUS_SEND_ABORTED],
    [1, NDIS_STATUS_SEND_ABORTED],
  ]);
  assert.equal(s.adapter.held.length, 1, 'the NBL with another cancel id stays queued');
  s.adapter.completeSends();
  assert.equal(b.completions.length, 3);
  await s.finish();
});

test('bypass: a module without send handlers is skipped on the send path only', async () => {
  const s = await testStack({
    filters: [
      { name: 'rx.only', filterClass: 'scheduler', omit: ['sendNetBufferLists', 'sendNetBufferListsComplete', 'cancelSendNetBufferLists'] },
      { name: 'tx.only', filterClass: 'diagnostic', omit: ['receiveNetBufferLists', 'returnNetBufferLists'] },
    ],
    protocols: [{}],
  });
  const [rxOnly, txOnly] = [s.filters[0]!.module, s.filters[1]!.module];
  s.binding().send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  s.adapter.injectReceive([seqFrame(TEST_MAC, PEER_MAC, 2)]);
  assert.equal(rxOnly.sendsSeen, 0);
  assert.equal(rxOnly.receivesSeen, 1);
  assert.equal(txOnly.sendsSeen, 1);
  assert.equal(txOnly.receivesSeen, 0);
  assert.equal(s.binding().completions.length, 1);
  assert.equal(s.binding().received.length, 1);
  assert.ok(!s.log.includes('rx.only:send') && !s.log.includes('tx.only:receive'));
  assert.ok(s.log.includes('tx.only:sendComplete'), 'the send completion still passes the module that has the handler');
  await s.finish();
});
