import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NDIS_STATUS_SUCCESS, type NdisStatus } from '../../../src/ndis/index.js';
import { settle } from '../../support/hosts.js';
import { PEER_MAC, TEST_MAC, TestFilterModule, TestMiniportAdapter, seqFrame, seqOf } from '../../support/test-drivers.js';
import { testStack } from '../../support/test-stack.js';

test('pause: the binding waits for its sends; the miniport waits for its indicated NBLs', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  const b = s.binding();
  s.adapter.sendMode = 'hold';
  b.send([seqFrame(PEER_MAC, TEST_MAC, 1), seqFrame(PEER_MAC, TEST_MAC, 2)]);
  b.holdReceives = true;
  b.returnOnPause = false; // keeps one receive past its own pause
  s.adapter.injectReceive([seqFrame(TEST_MAC, PEER_MAC, 10)]);

  let done = false;
  const pause = s.rt.pauseStack('eth0').then(() => (done = true));
  await settle();
  const ob = s.mb.bindings[0]!;
  assert.equal(ob.state, 'Pausing', 'two sends still out');
  assert.equal(s.mb.filters[0]!.state, 'Running', 'nothing below the binding pauses before it');
  // A pausing binding still receives.
  s.adapter.injectReceive([seqFrame(TEST_MAC, PEER_MAC, 11)]);
  assert.deepEqual(b.received.map((r) => seqOf(r.bytes)), [10, 11]);

  s.adapter.completeSends(1);
  await settle();
  assert.equal(ob.state, 'Pausing');
  s.adapter.completeSends(1);
  await settle();
  assert.equal(ob.state, 'Paused');
  assert.equal(s.mb.filters[0]!.state, 'Paused');
  assert.equal(s.mb.state, 'Pausing', 'the miniport waits for two NBLs still held above');
  assert.equal(done, false);
  b.returnHeld(1);
  await settle();
  assert.equal(s.mb.state, 'Pausing');
  b.returnHeld();
  await pause;
  assert.equal(s.mb.state, 'Paused');
  assert.deepEqual(b.completions.map((c) => c.status), [NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS]);
  await s.finish();
});

test('pause: a filter waits for the sends it originated before its pause completes', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  s.adapter.sendMode = 'hold';
  s.module().originateSend([seqFrame(PEER_MAC, TEST_MAC, 7)]);
  const pause = s.rt.pauseStack('eth0');
  await settle();
  assert.equal(s.mb.filters[0]!.state, 'Pausing');
  s.adapter.completeSends();
  await pause;
  assert.equal(s.mb.filters[0]!.state, 'Paused');
  assert.deepEqual(s.filters[0]!.ownCompleted, [NDIS_STATUS_SUCCESS]);
  await s.finish();
});

test('pause: a miniport completing its pause with indicated NBLs not returned is PrematurePauseComplete', async () => {
  class PausesEarly extends TestMiniportAdapter {
    override pause(): NdisStatus {
      return NDIS_STATUS_SUCCESS; // although an indicated NBL is still above
    }
  }
  const s = await testStack({ miniport: { adapterClass: PausesEarly }, protocols: [{}] });
  const b = s.binding();
  b.holdReceives = true;
  b.returnOnPause = false;
  s.adapter.injectReceive([seqFrame(TEST_MAC, PEER_MAC, 1)]);
  await s.rt.pauseStack('eth0');
  const v = s.rt.verifier.of('PrematurePauseComplete');
  assert.equal(v.length, 1);
  assert.equal(v[0]!.module, 'T/eth0');
  assert.match(v[0]!.detail, /1 receive\(s\) not returned/);
  b.returnHeld(); // late, but the NBL still finds its way home
  assert.equal(s.adapter.indicated, 0);
  await s.finish(['PrematurePauseComplete']);
});

test('pause: a filter completing its pause with its own sends outstanding is PrematurePauseComplete', async () => {
  class PausesEarly extends TestFilterModule {
    override pause(): NdisStatus {
      return NDIS_STATUS_SUCCESS; // although its own send is still out
    }
  }
  const s = await testStack({ filters: [{ moduleClass: PausesEarly }], protocols: [{}] });
  s.adapter.sendMode = 'hold';
  s.module().originateSend([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  const pause = s.rt.pauseStack('eth0');
  await settle();
  const v = s.rt.verifier.of('PrematurePauseComplete');
  assert.equal(v[0]?.module, 'T/eth0/test.filter0');
  assert.equal(s.mb.state, 'Pausing', 'the miniport still holds the send');
  s.adapter.completeSends();
  await pause;
  assert.deepEqual(s.filters[0]!.ownCompleted, [NDIS_STATUS_SUCCESS]);
  await s.finish(['PrematurePauseComplete']);
});
