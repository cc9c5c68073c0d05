/**
 * NBL history (core/verifier/nbl-history.ts): a violation about an NBL carries the NBL's recent events
 * naming the modules it passed through; the per-NBL ring keeps the last N events in order; with history
 * off nothing is recorded and pools are the plain ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { NblHistoryRing, RecordingNetBufferListPool, type NblHistoryEvent } from '../../../src/core/verifier/nbl-history.js';
import { NDIS_STATUS_SUCCESS, type NetBufferList } from '../../../src/ndis/index.js';
import { NetBufferListPool } from '../../../src/ndis/buffers/pools.js';
import { PEER_MAC, TEST_MAC, TestMiniportAdapter, nblArray, seqFrame } from '../../support/test-drivers.js';
import { testStack } from '../../support/test-stack.js';

const MP = 'T/eth0';
const FILTER = 'T/eth0/test.filter0';
const BINDING = 'T/eth0<-test.protocol0';
/** NDIS itself above the filters (the stack top that dispatches to bindings). */
const TOP = 'T/eth0/ndis';

/** A deliberately wrong miniport: completes every send twice. */
class CompletesTwice extends TestMiniportAdapter {
  override sendNetBufferLists(nbls: NetBufferList): void {
    const list = nblArray(nbls);
    for (const n of list) n.status = NDIS_STATUS_SUCCESS;
    this.ndis.sendNetBufferListsComplete(nbls, 0);
    for (const n of list) n.next = null;
    this.ndis.sendNetBufferListsComplete(list[0]!, 0);
  }
}

const brief = (events: readonly NblHistoryEvent[] | null | undefined) => (events ?? []).map((e) => `${e.event} ${e.module}${e.to === undefined ? '' : ` -> ${e.to}`}`);

test('a double completion prints the violation with the NBL history naming the modules it passed through', async () => {
  const printed: string[] = [];
  const s = await testStack({ filters: [{}], protocols: [{}], miniport: { adapterClass: CompletesTwice } });
  s.rt.verifier.onViolation = (v) => printed.push(v.format());
  s.rt.scheduler.advance(5);
  const [nbl] = s.binding().send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  const v = s.rt.verifier.of('NblDoubleComplete')[0];
  assert.ok(v !== undefined, 'the double completion was not reported');
  assert.equal(v.module, MP);
  assert.deepEqual(brief(v.history), [
    `allocated ${BINDING}`,
    `sent ${BINDING} -> ${FILTER}`,
    `sent ${FILTER} -> ${MP}`,
    `completed ${MP} -> ${FILTER}`,
    `completed ${FILTER} -> ${TOP}`,
    `completed ${TOP} -> ${BINDING}`,
    `freed ${BINDING}`,
  ]);
  assert.ok(v.history!.every((e) => e.time === 5));
  assert.deepEqual(v.history!.filter((e) => e.event === 'completed').map((e) => e.status), [NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS]);
  // What gets printed: the violation line, then one line per event naming the modules.
  assert.equal(printed.length, 1);
  const lines = printed[0]!.split('\n');
  assert.match(lines[0]!, /^\[NblDoubleComplete\] T\/eth0: completed NBL .* twice/);
  assert.equal(lines[1], '  history (oldest first):');
  assert.equal(lines.length, 2 + 7);
  assert.match(lines[4]!, /sent +T\/eth0\/test\.filter0 → T\/eth0$/);
  assert.match(lines[5]!, /completed T\/eth0 → T\/eth0\/test\.filter0 status 0x00000000$/);
  // The JSON form (tools) carries it too; rt.nblHistoryOf reads it any time.
  assert.deepEqual(v.toJSON().history, v.history);
  assert.deepEqual(brief(s.rt.nblHistoryOf(nbl!)), brief(v.history));
  await s.finish(['NblDoubleComplete']);
});

test('NBL history records a receive: allocated, indicated up the stack, returned down, freed', async () => {
  const s = await testStack({ filters: [{}], protocols: [{ setup: (b) => (b.holdReceives = true) }] });
  const [nbl] = s.adapter.injectReceive([seqFrame(TEST_MAC, PEER_MAC, 1)]);
  const up = [`allocated ${MP}`, `indicated ${MP} -> ${FILTER}`, `indicated ${FILTER} -> ${TOP}`, `indicated ${TOP} -> ${BINDING}`];
  assert.deepEqual(brief(s.rt.nblHistoryOf(nbl!)), up);
  s.binding().returnHeld();
  assert.deepEqual(brief(s.rt.nblHistoryOf(nbl!)), [...up, `returned ${BINDING} -> ${FILTER}`, `returned ${FILTER} -> ${MP}`, `freed ${MP}`]);
  await s.finish();
});

test('the per-NBL ring keeps the last N events of each NBL in order', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.record({ slot: fc.integer({ min: 0, max: 2 }), kind: fc.integer({ min: 1, max: 6 }), module: fc.integer({ min: 1, max: 50 }), status: fc.integer({ min: 0, max: 0xffffffff }), time: fc.double({ min: 0, max: 1e9, noNaN: true }) }), { maxLength: 60 }),
      (depth, events) => {
        const ring = new NblHistoryRing(3, depth);
        for (const e of events) ring.record(e.slot, e.kind as 1, e.module, e.module + 1, e.status, e.time);
        for (let slot = 0; slot < 3; slot++) {
          const mine = events.filter((e) => e.slot === slot);
          assert.equal(ring.written(slot), mine.length);
          const kept = mine.slice(Math.max(0, mine.length - depth)).map((e) => ({ kind: e.kind, module: e.module, peer: e.module + 1, status: e.status, time: e.time }));
          assert.deepEqual(ring.raw(slot), kept);
        }
      },
    ),
  );
});

test('with NBL history off nothing is recorded: plain pools, no history on violations', async () => {
  const rt = NdisRuntime.forTest({ nblHistory: false });
  assert.equal(rt.nblHistory, null);
  await rt.shutdown();
  // A forTest runtime with the verifier off has history off too; history without the verifier is refused.
  const quiet = NdisRuntime.forTest({ verifier: { enabled: false } });
  assert.equal(quiet.nblHistory, null);
  await quiet.shutdown();
  assert.throws(() => new NdisRuntime({ verifier: { enabled: false }, nblHistory: true }), /turn the verifier on/);

  const s = await testStack({ filters: [{}], protocols: [{}], miniport: { adapterClass: CompletesTwice }, nblHistory: false });
  assert.equal(s.rt.nblHistory, null);
  const pools = [...s.rt.pools].filter((p) => p instanceof NetBufferListPool);
  assert.ok(pools.length > 0);
  assert.ok(pools.every((p) => !(p instanceof RecordingNetBufferListPool)));
  const [nbl] = s.binding().send([seqFrame(PEER_MAC, TEST_MAC, 1)]);
  assert.equal(s.rt.nblHistoryOf(nbl!), null);
  const v = s.rt.verifier.of('NblDoubleComplete')[0]!;
  assert.equal(v.history, undefined);
  assert.equal(v.format(), v.message);
  assert.equal('history' in v.toJSON(), false);
  await s.finish(['NblDoubleComplete']);
});

test('the ring depth is configurable and bounded', async () => {
  const rt = NdisRuntime.forTest({ nblHistory: 3 });
  assert.equal(rt.nblHistory?.depth, 3);
  await rt.shutdown();
  assert.throws(() => NdisRuntime.forTest({ nblHistory: 0.5 }), /depth/);
});
