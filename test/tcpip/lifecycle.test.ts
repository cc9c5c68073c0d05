/**
 * The binding's NDIS life: pause waits for sends, pause/restart and unbind under traffic leave pools
 * full, receives while paused and RESOURCES indications follow the rules, the multicast list falls back
 * to ALL_MULTICAST, surprise removal, the stack clock moving to another binding, and the inspector
 * rendering the binding (what `tsndis stack show` prints).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settle } from '../../src/core/time/scheduler.js';
import { renderText, snapshotRuntime } from '../../src/inspect/index.js';
import { TcpFlags } from '../../src/wire/index.js';
import { MAC_A, MAC_B, assertAccounted, finish, ipHost, pair, pump, pumpUntil, wireName } from './helpers.js';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';
import { tcpFrame } from './packets.js';

async function lab(labOptions = {}): Promise<LabHost> {
  const h = await labHost({ IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Neighbors: ['198.18.0.1 02-00-00-00-0a-01'] }, { mac: Uint8Array.of(2, 0, 0, 0, 0x1a, 1), ...labOptions });
  h.lab.take();
  return h;
}

test('lifecycle: pause completes only when every send came back', async () => {
  const h = await lab();
  h.lab.sendMode = 'hold';
  const sock = h.ip.stack.udp.open(4);
  for (let i = 0; i < 5; i++) sock.send(new Uint8Array(10), '198.18.0.1', 9);
  assert.equal(h.lab.held.length, 5);
  let paused = false;
  const p = h.rt.pauseStack('eth0').then(() => (paused = true));
  await settle();
  assert.equal(paused, false);
  assert.equal(h.ip.binding('eth0').state, 'pausing');
  // While pausing the interface carries nothing: no route through it.
  assert.throws(() => sock.send(new Uint8Array(10), '198.18.0.1', 9), /ENETUNREACH/);
  h.lab.completeHeld();
  await p;
  assert.equal(h.ip.binding('eth0').sendsOutstanding, 0);
  h.lab.sendMode = 'complete';
  await h.rt.restartStack('eth0');
  await settle();
  assert.equal(h.ip.binding('eth0').state, 'running');
  assert.ok(sock.send(new Uint8Array(10), '198.18.0.1', 9));
  sock.close();
  await finishLab(h);
});

test('lifecycle: frames indicated while paused are counted and returned; RESOURCES indications are never returned', async () => {
  const h = await lab();
  const syn = tcpFrame({ family: 4, srcMac: '02:00:00:00:0a:01', dstMac: '02:00:00:00:1a:01', src: '198.18.0.1', dst: '198.18.0.2', srcPort: 1, dstPort: 2, seq: 0, flags: TcpFlags.Syn });
  h.ip.stack.detachTcp(); // count the SYNs at the IP layer instead of answering them
  h.lab.inject([syn, syn], { resources: true });
  await labPump(h, 0);
  assert.equal(h.ip.stack.counters.tcp.noEngine, 2);
  // The binding is paused but the adapter keeps indicating (a filter could, during a stack pause).
  h.ip.binding('eth0').state = 'paused';
  h.lab.inject([syn]);
  assert.equal(h.lab.indicated, 0, 'returned at once');
  assert.equal(h.ip.stack.counters.link.notRunning, 1);
  h.ip.binding('eth0').state = 'running';
  await finishLab(h);
});

test('lifecycle: more groups than the multicast list holds → ALL_MULTICAST instead of the list', async () => {
  const h = await lab({ maxMulticast: 2 });
  assert.equal(h.lab.eth.packetFilter, 0x0b | 0x04);
  assert.deepEqual(h.lab.eth.multicast, []);
  await finishLab(h);
});

test('lifecycle: pause/restart and unbind under traffic, with queued and half-reassembled packets, leave pools full', async () => {
  const { a, b } = await pair();
  await pump([a, b], 1100);
  const server = b.ip.stack.udp.open(4).bind(7);
  server.onMessage = (bytes, off, len, from) => server.send(bytes.slice(off, off + len), from.address, from.port);
  const client = a.ip.stack.udp.open(4);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 50; i++) client.send(new Uint8Array(3000), '198.18.0.2', 7);
    // Something waiting for a neighbour that never answers, too.
    client.send(new Uint8Array(100), '198.18.0.99', 7);
    const pausing = b.rt.pauseStack('eth0');
    await pump([a, b], 5);
    await pausing;
    await b.rt.restartStack('eth0');
    await pump([a, b], 50);
  }
  assert.ok(b.ip.stack.counters.udp.inDatagrams > 0);
  await b.rt.unbindProtocol('eth0', 'tsndis.tcpip');
  assert.equal(b.ip.bindings.size, 0);
  assert.equal(b.ip.stack.interfaces.length, 1);
  await a.rt.unbindProtocol('eth0', 'tsndis.tcpip');
  server.close();
  client.close();
  await finish(a, b);
});

test('lifecycle: surprise removal under traffic leaves nothing behind', async () => {
  const { a, b } = await pair();
  const c = a.ip.stack.udp.open(4);
  for (let i = 0; i < 20; i++) c.send(new Uint8Array(2000), '198.18.0.2', 9);
  await b.rt.surpriseRemove('eth0');
  await pump([a, b], 10);
  c.close();
  assertAccounted(b);
  await finish(a, b);
});

test('lifecycle: the stack clock moves to the next binding when the first one goes', async () => {
  const w1 = wireName();
  const w2 = wireName();
  const a = await ipHost('A', [
    { wire: w1, mac: MAC_A, keywords: { IPAddress: ['198.18.1.1/24'] } },
    { wire: w2, mac: '02:00:00:00:0a:02', keywords: { IPAddress: ['198.18.2.1/24'] } },
  ]);
  const b = await ipHost('B', [{ wire: w2, mac: MAC_B, keywords: { IPAddress: ['198.18.2.2/24'] } }]);
  await a.rt.removeAdapter('eth0');
  // Timers (the ping's interval and timeout, ARP retransmits) still run on eth1's clock.
  const r = await pumpUntil([a, b], a.ip.stack.ping('198.18.2.2', { count: 2, intervalMs: 500 }));
  assert.equal(r.received, 2);
  const lost = await pumpUntil([a, b], a.ip.stack.ping('198.18.2.99', { timeoutMs: 3000 }));
  assert.deepEqual(lost.rttMs, [null]);
  await finish(a, b);
});

test('lifecycle: the inspector shows the interface, its neighbours and the stack counters under the binding', async () => {
  const { a, b } = await pair();
  await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  const text = renderText([snapshotRuntime(a.rt)]);
  assert.match(text, /binding\s+tsndis\.tcpip\s+\[Running\]/);
  assert.match(text, /ipv4=\[198\.18\.0\.1\/24\]/);
  assert.match(text, /neighbors=\[198\.18\.0\.2 02:00:00:00:0b:01 REACHABLE\]/);
  assert.match(text, /offloads=none/);
  assert.match(text, /stack\.icmp\.out\.echoRequest=1/);
  assert.match(text, /stack\.link\.framesIn=\d+/);
  assert.doesNotMatch(text, /stack\.[\w.]+=0\b/, 'zero counters are left out');
  const snap = a.ip.stack.snapshot() as { icmp: { out: Record<string, number> }; accounting: { inputs: number; terminal: number } };
  assert.equal(snap.icmp.out['echoRequest'], 1);
  assert.equal(snap.accounting.inputs, snap.accounting.terminal);
  await finish(a, b);
});
