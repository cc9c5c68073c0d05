/**
 * tsndis.lbfo on scripted test miniports (members) under a test protocol (on the team), manual clock,
 * verifier on: a member that stops completing sends fails over after SendTimeoutMs and its late
 * completions still reach the protocol once, with their status; sends held by a surprise-removed member
 * complete upward with the error and are not sent again; sets fan out and complete after the last member;
 * the team's link indications reach the protocol.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { findTeam, lbfoDriver } from '../../../src/drivers/intermediate/lbfo/index.js';
import {
  MediaConnectStateConnected,
  MediaConnectStateDisconnected,
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_LINK_STATE,
  NDIS_STATUS_SUCCESS,
  NdisOidRequest,
  OID_GEN_CURRENT_LOOKAHEAD,
  currentLookaheadCodec,
  type NdisLinkState,
} from '../../../src/ndis/index.js';
import { assertClean, settle } from '../../support/hosts.js';
import { PEER_MAC, TEST_MAC, TestMiniportDriver, TestProtocolDriver, seqFrame, seqOf } from '../../support/test-drivers.js';

async function lab(sendTimeoutMs = 1000) {
  const rt = NdisRuntime.forTest({ name: 'H', verifier: { enabled: true } });
  const mp = new TestMiniportDriver();
  const proto = new TestProtocolDriver();
  rt.registerDriver(mp.characteristics);
  rt.registerDriver(lbfoDriver);
  rt.registerDriver(proto.characteristics);
  rt.adapterPolicy = (name) => (name === 'team0' ? { filters: [], protocols: [{ driver: 'test.protocol' }] } : undefined);
  for (const m of ['m1', 'm2']) {
    await rt.addAdapter({ name: m, driver: 'test.miniport' });
    await rt.bindProtocol(m, 'tsndis.lbfo', { UpperBindings: ['team0'], SendTimeoutMs: sendTimeoutMs });
    await rt.startAdapter(m);
  }
  await rt.whenIdle();
  await settle();
  const team = findTeam('H/team0')!;
  return { rt, mp, proto, team, p: proto.binding('team0'), m1: mp.adapter('m1'), m2: mp.adapter('m2') };
}

const data = (n: number) => seqFrame(PEER_MAC, TEST_MAC, n);

test('lbfo: a member that stops completing sends fails over after SendTimeoutMs; its late completions reach the protocol once', async () => {
  const { rt, team, p, m1, m2 } = await lab(1000);
  assert.equal(team.active?.shortName, 'm1');
  m1.sendMode = 'hold';
  p.send([data(1), data(2)]);
  assert.equal(m1.held.length, 2);
  await rt.scheduler.advanceAsync(600);
  assert.equal(team.active?.shortName, 'm1', 'not yet');
  await rt.scheduler.advanceAsync(700);
  assert.equal(team.active?.shortName, 'm2', 'failed over after the timeout');
  assert.equal(team.failoverLog[0]!.reason, 'member stopped completing sends');
  assert.equal(team.members.find((m) => m.shortName === 'm1')!.stateName, 'stalled');
  p.send([data(3)]);
  await settle();
  // m2 sent the announcement (broadcast, EtherType 0x88B5, the team's MAC) and frame 3.
  const sentByM2 = m2.sentFrames;
  assert.equal(sentByM2.length, 2);
  assert.deepEqual([...sentByM2[0]!.subarray(0, 14)], [255, 255, 255, 255, 255, 255, ...TEST_MAC, 0x88, 0xb5]);
  assert.equal(seqOf(sentByM2[1]!), 3);
  assert.equal(p.completions.length, 1);
  // m1 completes late (one failed): both reach the protocol with their own status, nothing is resent.
  m1.completeSends(2, [NDIS_STATUS_SUCCESS, NDIS_STATUS_ADAPTER_REMOVED]);
  await settle();
  assert.deepEqual(p.completions.map((c) => [seqOf(c.bytes), c.status]), [[3, NDIS_STATUS_SUCCESS], [1, NDIS_STATUS_SUCCESS], [2, NDIS_STATUS_ADAPTER_REMOVED]]);
  assert.deepEqual(m1.sentFrames.map(seqOf), [1, 2]);
  assert.equal(team.members.find((m) => m.shortName === 'm1')!.stateName, 'up', 'completing again, m1 is eligible (standby)');
  assert.equal(team.active?.shortName, 'm2', 'no fail-back');
  await rt.shutdown();
  assertClean(rt);
});

test('lbfo: sends held by a surprise-removed member complete upward with its error and are not sent again', async () => {
  const { rt, team, p, m1, m2 } = await lab(0);
  m1.sendMode = 'hold';
  p.send([data(1), data(2), data(3)]);
  await rt.surpriseRemove('H/m1');
  await settle();
  assert.deepEqual(p.completions.map((c) => [seqOf(c.bytes), c.status]), [[1, NDIS_STATUS_ADAPTER_REMOVED], [2, NDIS_STATUS_ADAPTER_REMOVED], [3, NDIS_STATUS_ADAPTER_REMOVED]]);
  assert.deepEqual(m2.sentFrames.filter((f) => f[12] !== 0x88).map(seqOf), [], 'no frame duplicated on the new member');
  assert.equal(team.active?.shortName, 'm2');
  p.send([data(4)]);
  await settle();
  assert.equal(seqOf(m2.sentFrames.at(-1)!), 4);
  await rt.shutdown();
  assertClean(rt);
});

test('lbfo: a set fans out and completes after the last member; link indications reach the protocol', async () => {
  const { rt, team, p, m1, m2 } = await lab(0);
  m2.oidMode = 'pend';
  const set = NdisOidRequest.set(currentLookaheadCodec, 256);
  let done: number | null = null;
  void p.oid(set).then((s) => (done = s));
  await settle();
  assert.ok(m1.oidsSeen.some((r) => r.oid === OID_GEN_CURRENT_LOOKAHEAD), 'm1 got it');
  assert.equal(m2.pendingOids.length, 1, 'm2 holds it');
  assert.equal(done, null, 'the team waits for every member');
  m2.completeOid(NDIS_STATUS_SUCCESS);
  await settle();
  assert.equal(done, NDIS_STATUS_SUCCESS);
  m2.oidMode = 'answer';

  const links = () => p.statuses.filter((x) => x.statusCode === NDIS_STATUS_LINK_STATE).map((x) => (x.statusBuffer as NdisLinkState).mediaConnectState);
  const down: NdisLinkState = { mediaConnectState: MediaConnectStateDisconnected, mediaDuplexState: 0, xmitLinkSpeed: 0n, rcvLinkSpeed: 0n, pauseFunctions: 0, autoNegotiationFlags: 0 };
  m1.ndis.indicateStatus({ statusCode: NDIS_STATUS_LINK_STATE, statusBuffer: down });
  await settle();
  assert.deepEqual(links(), [], 'm2 still up: nothing to indicate');
  m2.ndis.indicateStatus({ statusCode: NDIS_STATUS_LINK_STATE, statusBuffer: down });
  await settle();
  assert.deepEqual(links(), [MediaConnectStateDisconnected]);
  assert.equal(team.linkUp, false);
  m2.ndis.indicateStatus({ statusCode: NDIS_STATUS_LINK_STATE, statusBuffer: { ...down, mediaConnectState: MediaConnectStateConnected, xmitLinkSpeed: 1_000_000_000n, rcvLinkSpeed: 1_000_000_000n } });
  await settle();
  assert.deepEqual(links(), [MediaConnectStateDisconnected, MediaConnectStateConnected]);
  assert.equal(team.active?.shortName, 'm2');
  assert.equal(team.linkSpeed, 1_000_000_000n);
  await rt.shutdown();
  assertClean(rt);
});
