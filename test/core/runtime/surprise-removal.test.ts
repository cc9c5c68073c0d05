/**
 * Surprise removal in the middle of a burst between two hosts on a virtual wire: frames are in flight on
 * the wire (delayMs), queued for the receiver's DPC, held in the raw protocol's receive ring, and sends
 * are held in a filter. Everything outstanding completes with an error, nothing is leaked on either host,
 * and the surviving host keeps running.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../../src/core/runtime/runtime.js';
import { VirtualWire, VirtualWireAdapter, virtualWireMiniport } from '../../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol } from '../../../src/drivers/protocol/raw/index.js';
import {
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_SUCCESS,
  statusName,
  type MiniportAdapterHandle,
  type NetBufferList,
} from '../../../src/ndis/index.js';
import { assertClean, macOf, makeHost, settle, shutdownAll, uniqueWire, type TestHost } from '../../support/hosts.js';
import { PEER_MAC, TEST_MAC, TestFilterDriver, seqFrame } from '../../support/test-drivers.js';
import { testStack } from '../../support/test-stack.js';

interface RemovableHost extends TestHost {
  filter: TestFilterDriver;
}

/** Host B: a virtual-wire adapter (optionally a subclass), a test filter that can hold sends, the raw protocol. */
async function makeRemovableHost(name: string, wire: string, adapter: typeof VirtualWireAdapter = VirtualWireAdapter): Promise<RemovableHost> {
  const rt = NdisRuntime.forTest({ name });
  rt.registerDriver({ ...virtualWireMiniport, adapter });
  const filter = new TestFilterDriver({ name: 'test.hold' });
  rt.registerDriver(filter.characteristics);
  const raw = new RawProtocol('tsndis.raw', { receiveQueueDepth: 256 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wire, '*ReceiveBuffers': 2048 } });
  await rt.attachFilter('eth0', 'test.hold');
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  return { rt, raw, adapter: `${name}/eth0`, filter };
}

function frames(dst: Uint8Array, src: Uint8Array, first: number, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => seqFrame(dst, src, first + i, 46 + ((first + i) % 64)));
}

/** Sends a burst from `from` in batches (the raw send pool is 256 NBLs); returns how many went out. */
function burst(from: TestHost, dst: Uint8Array, first: number, n: number): number {
  const ep = from.raw.endpoint('eth0');
  let sent = 0;
  while (sent < n) {
    const k = ep.sendBatch(frames(dst, macOf(from), first + sent, Math.min(200, n - sent)));
    if (k === 0) break;
    sent += k;
  }
  return sent;
}

async function removalMidBurst(remove: (b: RemovableHost) => number, bAdapter?: typeof VirtualWireAdapter): Promise<void> {
  const wire = uniqueWire('sr');
  VirtualWire.named(wire).configure({ delayMs: 2 });
  const a = await makeHost({ name: 'A', wire });
  const b = await makeRemovableHost('B', wire, bAdapter);
  const epA = a.raw.endpoint('eth0');
  const epB = b.raw.endpoint('eth0');
  const macB = macOf(b);

  // B sends 50 frames that its filter holds (outstanding sends at removal time).
  b.filter.module.holdSends = true;
  assert.equal(epB.sendBatch(frames(macOf(a), macB, 0, 50)), 50);
  assert.equal(epB.sendsOutstanding, 50);

  // A bursts at B: thousands of frames, some still on the wire when B disappears.
  let sentByA = 0;
  for (let round = 0; round < 25; round++) {
    sentByA += burst(a, macB, sentByA, 100);
    await a.rt.scheduler.advanceAsync(1);
    await b.rt.scheduler.advanceAsync(1);
  }
  const vw = b.rt.adapter('eth0').instance as VirtualWireAdapter;
  assert.ok(epB.queued > 0, 'the raw protocol holds received frames');
  assert.ok(vw.indicatedOutstanding > 0, 'some NBLs are held above the miniport');
  sentByA += burst(a, macB, sentByA, 200); // these are on the wire (delayMs) at removal time
  assert.ok(epB.counters.receiveDropped > 0, 'the ring overflowed: frames were dropped and returned at once');

  const extra = remove(b);
  // The device is gone but B's binding has not been paused yet: its sends fail, nobody is at fault.
  const lateB = epB.sendBatch(frames(macOf(a), macB, 1000, 10));

  // A keeps sending while B is torn down.
  for (let round = 0; round < 5; round++) {
    sentByA += burst(a, macB, sentByA, 200);
    await a.rt.scheduler.advanceAsync(2);
    await b.rt.scheduler.advanceAsync(2);
  }
  await b.rt.whenIdle();
  assert.ok(sentByA >= 3000, `burst of ${sentByA}`);

  // B: gone, everything it had outstanding completed with an error, nothing leaked.
  assert.equal(b.rt.adapters.size, 0);
  const c = epB.counters;
  assert.equal(c.sendCompleted + c.sendFailed, c.framesSent, 'every send of B completed');
  assert.equal(c.sendFailed, 50 + extra + lateB);
  assert.ok(c.sendFailed >= 50);
  for (const [status] of c.failedByStatus) assert.notEqual(status, statusName(NDIS_STATUS_SUCCESS));
  assert.equal(c.failedByStatus.get(statusName(NDIS_STATUS_ADAPTER_REMOVED)), c.sendFailed, 'held and late sends failed with ADAPTER_REMOVED');
  assert.equal(vw.removed, true);
  assert.equal(vw.state, 'Halted');
  assert.equal(epB.sendsOutstanding, 0);
  // The frames B had accepted are still readable (copied out at pause).
  let read = 0;
  while (epB.tryReceive() !== null) read++;
  assert.ok(read > 0);
  await b.rt.shutdown();
  assertClean(b.rt);

  // A: still running, its sends all succeeded, and it talks to a new peer on the same wire.
  assert.equal(a.rt.adapter('eth0').state, 'Running');
  assert.equal(epA.counters.sendFailed, 0);
  assert.equal(epA.counters.sendCompleted, sentByA);
  VirtualWire.named(wire).configure({ delayMs: 0 });
  const d = await makeHost({ name: 'D', wire });
  assert.ok(epA.send(seqFrame(macOf(d), macOf(a), 99_999)));
  await a.rt.scheduler.advanceAsync(1);
  await d.rt.scheduler.advanceAsync(1);
  assert.equal(d.raw.endpoint('eth0').queued, 1);
  await shutdownAll(a, d);
  assertClean(a.rt);
  assertClean(d.rt);
  VirtualWire.release(wire);
}

test('surprise removal mid-burst (NDIS-initiated): errors for everything outstanding, pools full, the peer keeps running', async () => {
  await removalMidBurst((b) => {
    void b.rt.surpriseRemove('eth0');
    return 0;
  });
});

test('surprise removal reported by the miniport driver itself, from inside its send handler', async () => {
  let armed = false;
  class Yanked extends VirtualWireAdapter {
    override sendNetBufferLists(nbls: NetBufferList, port: number, flags: number): void {
      if (armed) {
        armed = false;
        (this.ndis as MiniportAdapterHandle).reportSurpriseRemoval('link partner lost power');
      }
      super.sendNetBufferLists(nbls, port, flags);
    }
  }
  await removalMidBurst((b) => {
    armed = true;
    // One more send reaches the miniport, which discovers the device is gone.
    b.filter.module.holdSends = false;
    b.raw.endpoint('eth0').send(seqFrame(Uint8Array.of(2, 0, 0, 0, 0, 9), macOf(b), 7777));
    assert.equal(b.rt.adapter('eth0').surpriseRemoved, true);
    return 1;
  }, Yanked);
});

test('orderly removal: a miniport indicating while the bindings pause is not at fault', async () => {
  const s = await testStack({ filters: [{}], protocols: [{}] });
  const b = s.binding();
  b.pauseMode = 'pend';
  const removal = s.rt.removeAdapter('eth0');
  await settle();
  assert.equal(s.mb.bindings[0]!.state, 'Pausing');
  assert.equal(s.mb.state, 'Running');
  s.adapter.injectReceive([seqFrame(TEST_MAC, PEER_MAC, 1)]);
  assert.equal(b.received.length, 1, 'a pausing binding still receives');
  b.completePause();
  await removal;
  assert.equal(s.rt.adapters.size, 0);
  await s.finish();
});
