/**
 * Two tsndis hosts talking VXLAN over loopback (127.0.0.1, one port each): frames arrive byte-exact both
 * ways, the first frame floods, the answer is learned and unicast, bursts larger than the transmit slots
 * all arrive in order, and jumbo frames pass when both ends allow them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BROADCAST, assertClean, frame } from '../../support/hosts.js';
import { drain, freePorts, makeVxlanHost, until, type VxlanHost } from './helpers.js';

async function pair(keywords: Record<string, number> = {}): Promise<[VxlanHost, VxlanHost]> {
  const [pa, pb] = await freePorts(2);
  const a = await makeVxlanHost({ name: 'A', localPort: pa!, remotes: [`127.0.0.1:${pb}`], keywords, rawOptions: { receiveQueueDepth: 4096 } });
  const b = await makeVxlanHost({ name: 'B', localPort: pb!, remotes: [`127.0.0.1:${pa}`], keywords, rawOptions: { receiveQueueDepth: 4096 } });
  return [a, b];
}

async function finish(...hosts: VxlanHost[]): Promise<void> {
  for (const h of hosts) await h.rt.shutdown();
  for (const h of hosts) assertClean(h.rt);
}

test('vxlan loopback: frames cross byte-exact both ways; the reply to a flooded frame is unicast to the learned endpoint', async () => {
  const [a, b] = await pair();
  // A broadcasts (nothing learned yet: flood to the one static remote).
  const hello = frame(BROADCAST, a.mac, 0x88b5, 100, 1);
  assert.ok(a.ep.send(hello));
  assert.ok(await until(() => b.ep.queued === 1));
  assert.deepEqual(drain(b.ep), [hello]);
  assert.equal(a.vx.counters.txFlooded, 1);
  // B learned A's MAC from that datagram: its directed answer goes to the learned endpoint.
  assert.deepEqual(b.vx.learnedEndpoints().map((e) => [e.mac, e.address, e.port]), [[fmt(a.mac), '127.0.0.1', a.vx.localPort]]);
  const answer = frame(a.mac, b.mac, 0x88b5, 60, 7);
  assert.ok(b.ep.send(answer));
  assert.ok(await until(() => a.ep.queued === 1));
  assert.deepEqual(drain(a.ep), [answer]);
  assert.equal(b.vx.counters.txUnicastLearned, 1);
  assert.equal(b.vx.counters.txFlooded, 0);
  // Every send completed successfully, counted by the NDIS statistics.
  await until(() => a.ep.sendsOutstanding === 0 && b.ep.sendsOutstanding === 0);
  assert.equal(a.ep.counters.sendCompleted, 1);
  assert.equal(b.ep.counters.sendCompleted, 1);
  assert.equal(a.vx.eth.stats.broadcastFramesXmit, 1);
  assert.equal(b.vx.eth.stats.directedFramesXmit, 1);
  assert.equal(b.vx.eth.stats.broadcastFramesRcv, 1);
  await finish(a, b);
});

test('vxlan loopback: a burst of 3000 frames in chains larger than the transmit slots arrives complete and in order', async () => {
  const [a, b] = await pair({ '*TransmitBuffers': 16, '*ReceiveBuffers': 4096 });
  const n = 3000;
  const frames = Array.from({ length: n }, (_, i) => frame(b.mac, a.mac, 0x88b5, 46 + (i % 200), i));
  let sent = 0;
  let received: Uint8Array[] = [];
  while (sent < n) {
    const k = a.ep.sendBatch(frames.slice(sent, Math.min(n, sent + 200)));
    sent += k;
    await until(() => a.ep.sendsOutstanding === 0);
    // Read as we go: the receive ring and pool are bounded, loopback drops what a full socket buffer cannot hold.
    await until(() => b.ep.queued + received.length >= sent, 500);
    received = received.concat(drain(b.ep));
  }
  await until(() => b.ep.queued + received.length >= n, 1000);
  received = received.concat(drain(b.ep));
  assert.equal(a.ep.counters.sendCompleted, n, 'every send completed successfully');
  assert.ok(a.vx.counters.txSlotsExhausted > 0, 'chains waited for encapsulation slots');
  assert.equal(received.length, n, `received ${received.length} of ${n}`);
  for (let i = 0; i < n; i++) assert.deepEqual(received[i], frames[i], `frame ${i}`);
  await finish(a, b);
});

test('vxlan loopback: 9014-byte jumbo frames pass when *JumboPacket allows them, and are refused otherwise', async () => {
  const [a, b] = await pair({ '*JumboPacket': 9014 });
  const big = frame(b.mac, a.mac, 0x88b5, 9000, 3);
  assert.ok(a.ep.send(big));
  assert.ok(await until(() => b.ep.queued === 1));
  assert.deepEqual(drain(b.ep), [big]);
  assert.equal(b.vx.settings.frameSize, 9014);
  await finish(a, b);

  // A standard host receiving a jumbo from a jumbo host counts it as oversize.
  const [pj, ps] = await freePorts(2);
  const j = await makeVxlanHost({ name: 'J', localPort: pj!, remotes: [`127.0.0.1:${ps}`], keywords: { '*JumboPacket': 9014 } });
  const s = await makeVxlanHost({ name: 'S', localPort: ps!, remotes: [`127.0.0.1:${pj}`] });
  assert.ok(j.ep.send(frame(BROADCAST, j.mac, 0x88b5, 3000, 1)));
  assert.ok(await until(() => s.vx.counters.rxOversize === 1));
  assert.equal(s.ep.queued, 0);
  assert.ok(s.logs.some((l) => /inner frame of 3014 bytes exceeds 1518/.test(l)), s.logs.join('\n'));
  await finish(j, s);
});

function fmt(mac: Uint8Array): string {
  return [...mac].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
