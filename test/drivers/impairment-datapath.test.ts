/**
 * tsndis.impairment on the scriptable test stack (TestMiniport below, TestBinding above, manual clock,
 * verifier on): NBL ownership for each outcome, corruption, NDIS_RECEIVE_FLAGS_RESOURCES, the queue
 * bound, cancellation, frame classes and the inspector. Every test ends with pools full and no
 * violations (`finish`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ImpairmentDirectionName } from '../../src/drivers/filter/impairment/index.js';
import { renderText, snapshotRuntime } from '../../src/inspect/index.js';
import {
  NDIS_PACKET_TYPE_PROMISCUOUS,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
} from '../../src/ndis/index.js';
import { settle } from '../support/hosts.js';
import { arp, ethernet, icmpEcho, ip4, ipv4, udp } from '../support/frames.js';
import { PEER_MAC, TEST_MAC, seqFrame, seqOf } from '../support/test-drivers.js';
import { impairedStack } from '../support/impairment.js';

const toUs = (seq: number, length = 60): Uint8Array => seqFrame(TEST_MAC, PEER_MAC, seq, length - 14);
const fromUs = (seq: number, length = 60): Uint8Array => seqFrame(PEER_MAC, TEST_MAC, seq, length - 14);

function popcount(x: number): number {
  let n = 0;
  for (; x !== 0; x &= x - 1) n++;
  return n;
}

/** Bits that differ, and whether any of them lies in the first `skip` bytes. */
function diff(a: Uint8Array, b: Uint8Array, skip: number): { bits: number; inHeader: boolean } {
  assert.equal(a.length, b.length, 'corruption never changes the length');
  let bits = 0;
  let inHeader = false;
  for (let i = 0; i < a.length; i++) {
    const d = popcount(a[i]! ^ b[i]!);
    bits += d;
    if (d > 0 && i < skip) inHeader = true;
  }
  return { bits, inHeader };
}

test('impairment: a lost send completes up with NDIS_STATUS_SUCCESS and never reaches the miniport', async () => {
  const { s, module } = await impairedStack({ SendLossPercent: '100' });
  s.binding().send([fromUs(1), fromUs(2), fromUs(3)]);
  assert.equal(s.adapter.sentFrames.length, 0);
  assert.deepEqual(s.binding().completions.map((c) => c.status), [NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS]);
  assert.equal(module.stats('send').totals.droppedRandom, 3);
  await s.finish();
});

test('impairment: a lost receive is returned to the miniport at once', async () => {
  const { s, module } = await impairedStack({ ReceiveLossPercent: '100' });
  s.adapter.injectReceive([toUs(1), toUs(2)]);
  assert.equal(s.adapter.indicated, 0, 'both NBLs came back in the indicating call');
  assert.equal(s.binding().received.length, 0);
  assert.equal(module.stats('receive').totals.droppedRandom, 2);
  await s.finish();
});

test('impairment: a lost RESOURCES receive is simply not passed up (never returned)', async () => {
  const { s, module } = await impairedStack({ ReceiveLossPercent: '100' });
  s.adapter.injectReceive([toUs(1)], { flags: NDIS_RECEIVE_FLAGS_RESOURCES });
  assert.equal(s.binding().received.length, 0);
  assert.equal(module.stats('receive').totals.droppedRandom, 1);
  await s.finish(); // NblResourcesReturned would fail this
});

test('impairment: a delayed receive is copied, the miniport NBL returned at once, the copy indicated later', async () => {
  const { s, module } = await impairedStack({ ReceiveDelayMs: 20 });
  const [original] = s.adapter.injectReceive([toUs(7)]);
  assert.equal(s.adapter.indicated, 0, 'the miniport has its NBL back');
  assert.equal(s.binding().received.length, 0);
  assert.equal(module.stats('receive').held, 1);
  s.rt.scheduler.advance(19);
  assert.equal(s.binding().received.length, 0);
  s.rt.scheduler.advance(1);
  assert.equal(s.binding().received.length, 1);
  assert.deepEqual(s.binding().received[0]!.bytes, toUs(7));
  assert.notEqual(original, undefined);
  await s.finish();
});

test('impairment: a delayed RESOURCES receive is copied and indicated later without the flag', async () => {
  const { s } = await impairedStack({ ReceiveDelayMs: 5 });
  s.adapter.injectReceive([toUs(1)], { flags: NDIS_RECEIVE_FLAGS_RESOURCES });
  assert.equal(s.binding().received.length, 0);
  s.rt.scheduler.advance(5);
  assert.equal(s.binding().received.length, 1);
  assert.equal(s.binding().received[0]!.flags & NDIS_RECEIVE_FLAGS_RESOURCES, 0, 'the copy is the filter’s to lend');
  await s.finish();
});

test('impairment: duplicates of a RESOURCES receive go up in the same call and back to the pool after it', async () => {
  const { s, module } = await impairedStack({ ReceiveDuplicatePercent: '100', ReceiveDuplicateCount: 2 });
  s.adapter.injectReceive([toUs(1)], { flags: NDIS_RECEIVE_FLAGS_RESOURCES });
  assert.deepEqual(s.binding().received.map((r) => seqOf(r.bytes)), [1, 1, 1]);
  assert.ok(s.binding().received.every((r) => (r.flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0));
  assert.equal(module.stats('receive').totals.duplicated, 2);
  await s.finish();
});

test('impairment: a delayed send is held by the filter and passed down when its time comes', async () => {
  const { s, module } = await impairedStack({ SendDelayMs: 10 });
  s.binding().send([fromUs(1), fromUs(2)]);
  assert.equal(s.adapter.sentFrames.length, 0);
  assert.equal(s.binding().completions.length, 0, 'not completed while held');
  assert.equal(module.stats('send').held, 2);
  s.rt.scheduler.advance(10);
  assert.deepEqual(s.adapter.sentFrames.map(seqOf), [1, 2]);
  assert.equal(s.binding().completions.length, 2);
  await s.finish();
});

test('impairment: duplicated sends are filter copies, freed when they complete', async () => {
  const { s, module } = await impairedStack({ SendDuplicatePercent: '100', SendDuplicateCount: 3 });
  s.binding().send([fromUs(5)]);
  assert.deepEqual(s.adapter.sentFrames.map(seqOf), [5, 5, 5, 5]);
  assert.equal(s.binding().completions.length, 1, 'only the original goes back to the protocol');
  assert.equal(module.stats('send').totals.duplicated, 3);
  await s.finish();
});

test('impairment: a full queue drops and counts the frames beyond it', async () => {
  const { s, module } = await impairedStack({ SendDelayMs: 100, SendQueueFrames: 10 });
  s.binding().send(Array.from({ length: 25 }, (_, i) => fromUs(i)));
  const st = module.stats('send');
  assert.equal(st.held, 10);
  assert.equal(st.totals.droppedQueue, 15);
  assert.equal(s.binding().completions.length, 15, 'dropped sends complete at once');
  s.rt.scheduler.advance(100);
  assert.deepEqual(s.adapter.sentFrames.map(seqOf), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await s.finish();
});

test('impairment: cancelling held sends completes them with NDIS_STATUS_SEND_ABORTED', async () => {
  const { s, module } = await impairedStack({ SendDelayMs: 50 });
  const b = s.binding();
  const id = b.ndis.generatePartialCancelId() | 7;
  b.send([fromUs(1)], id);
  b.send([fromUs(2)]);
  b.ndis.cancelSendNetBufferLists(id);
  assert.deepEqual(b.completions.map((c) => [seqOf(c.bytes), c.status]), [[1, NDIS_STATUS_SEND_ABORTED]]);
  s.rt.scheduler.advance(50);
  assert.deepEqual(s.adapter.sentFrames.map(seqOf), [2]);
  assert.equal(module.stats('send').totals.droppedFlushed, 1);
  assert.equal(module.stats('send').held, 0);
  await s.finish();
});

for (const direction of ['send', 'receive'] as const satisfies readonly ImpairmentDirectionName[]) {
  test(`impairment (${direction}): corruption flips exactly CorruptBits bits, none in the protected bytes, in a copy`, async () => {
    // Promiscuous: a frame whose destination got corrupted (CorruptSkipBytes < 6) still reaches the binding.
    const { s, module } = await impairedStack({}, { protocols: [{ packetFilter: NDIS_PACKET_TYPE_PROMISCUOUS }] });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 14, max: 1514 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        async (length, bits, skip, seed) => {
          module.configure(direction, { corruptProbability: 1, corruptBits: bits, corruptSkipBytes: skip, seed });
          const frame = direction === 'send' ? fromUs(seed, length) : toUs(seed, length);
          let seen: Uint8Array;
          if (direction === 'send') {
            const before = s.adapter.sentFrames.length;
            s.binding().send([frame]);
            assert.equal(s.adapter.sentFrames.length, before + 1);
            seen = s.adapter.sentFrames.at(-1)!;
            assert.deepEqual(s.binding().completions.at(-1)!.bytes, frame, "the protocol's buffer is untouched");
          } else {
            const before = s.binding().received.length;
            const [original] = s.adapter.injectReceive([frame]);
            assert.equal(s.binding().received.length, before + 1);
            seen = s.binding().received.at(-1)!.bytes;
            // Freed back to the miniport's pool by now, but its slab bytes are what the miniport wrote.
            const slab = original!.firstNetBuffer!.poolMdl!;
            assert.deepEqual(slab.bytes.subarray(slab.byteOffset, slab.byteOffset + frame.length), frame, "the miniport's buffer is untouched");
          }
          const d = diff(frame, seen, skip);
          const eligible = Math.max(0, (frame.length - skip) * 8);
          assert.equal(d.bits, Math.min(bits, eligible));
          assert.equal(d.inHeader, false);
        },
      ),
      { numRuns: 300, seed: 20240601 },
    );
    assert.equal(module.stats(direction).totals.copyFailed, 0);
    await s.finish();
  });
}

test('impairment: a frame too short to corrupt passes unchanged and is not counted', async () => {
  const { s, module } = await impairedStack({ SendCorruptPercent: '100', SendCorruptSkipBytes: 60 });
  s.binding().send([fromUs(3, 60)]);
  assert.deepEqual(s.adapter.sentFrames[0], fromUs(3, 60));
  assert.equal(module.stats('send').totals.corrupted, 0);
  await s.finish();
});

test('impairment: frames are counted by EtherType and IP protocol', async () => {
  const { s, module } = await impairedStack();
  const a = ip4('192.0.2.1'), b = ip4('192.0.2.2');
  const eth = (type: number, payload: Uint8Array): Uint8Array => ethernet(PEER_MAC, TEST_MAC, type, payload);
  const ipv6 = (next: number): Uint8Array => {
    const h = new Uint8Array(40 + 8);
    h[0] = 0x60;
    h[5] = 8;
    h[6] = next;
    h[7] = 64;
    return h;
  };
  const vlan = (inner: Uint8Array): Uint8Array => Uint8Array.from([...inner.subarray(0, 12), 0x81, 0x00, 0x00, 0x05, ...inner.subarray(12)]);
  s.binding().send([
    eth(0x0800, ipv4(a, b, 6, new Uint8Array(20))),
    eth(0x0800, ipv4(a, b, 17, udp(a, b, 1, 2, new Uint8Array(4)))),
    vlan(eth(0x0800, ipv4(a, b, 17, udp(a, b, 1, 2, new Uint8Array(4))))),
    eth(0x0800, ipv4(a, b, 1, icmpEcho(8, 1, 1, new Uint8Array(8)))),
    eth(0x0800, ipv4(a, b, 47, new Uint8Array(8))),
    eth(0x86dd, ipv6(6)),
    eth(0x86dd, ipv6(17)),
    eth(0x86dd, ipv6(58)),
    eth(0x86dd, ipv6(0)),
    eth(0x0806, arp(1, TEST_MAC, a, new Uint8Array(6), b)),
    eth(0x88b5, new Uint8Array(46)),
    Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), // a runt
  ]);
  const byClass = module.stats('send').byClass;
  const passed = Object.fromEntries(Object.entries(byClass).map(([k, v]) => [k, v.passed]));
  assert.deepEqual(passed, {
    'ipv4-tcp': 1,
    'ipv4-udp': 2,
    'ipv4-icmp': 1,
    'ipv4-other': 1,
    'ipv6-tcp': 1,
    'ipv6-udp': 1,
    'ipv6-icmp': 1,
    'ipv6-other': 1,
    arp: 1,
    other: 2,
  });
  await s.finish();
});

test('impairment: the inspector shows changed parameters and non-zero counters per direction', async () => {
  const { s, module } = await impairedStack({ SendLossPercent: '100', ReceiveDelayMs: 3 });
  s.binding().send([fromUs(1)]);
  s.adapter.injectReceive([toUs(2)]);
  const view = module.inspect() as { send: { params: object; totals: object; classes: object }; receive: { held: number } };
  assert.deepEqual(view.send.params, { lossProbability: 1 });
  assert.deepEqual(view.send.totals, { offered: 1, droppedRandom: 1 });
  assert.deepEqual(view.send.classes, { other: { offered: 1, droppedRandom: 1 } });
  assert.equal(view.receive.held, 1);
  const text = renderText([snapshotRuntime(s.rt)]);
  assert.match(text, /send\.totals\.droppedRandom=1/);
  s.rt.scheduler.advance(3);
  await settle();
  await s.finish();
});
