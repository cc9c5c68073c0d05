/**
 * Loopback: 127.0.0.0/8, ::1 and the host's own addresses are delivered internally, never through an
 * adapter, on a later turn (never inside the sender's call), without fragmentation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finish, ipHost, MAC_A, pump, pumpUntil, sniffer, wireName } from './helpers.js';

async function host() {
  const wire = wireName();
  const s = await sniffer(wire);
  const a = await ipHost('A', [{ wire, mac: MAC_A, keywords: { IPAddress: ['198.18.0.1/24'], IPv6Address: ['fd00::1/64'] } }]);
  await pump([a], 1100);
  s.take();
  return { a, s };
}

test('loopback: ping 127.0.0.1, 127.1.2.3, ::1 and our own addresses without touching the wire', async () => {
  const { a, s } = await host();
  for (const addr of ['127.0.0.1', '127.1.2.3', '::1', '198.18.0.1', 'fd00::1', 'fe80::ff:fe00:a01%eth0']) {
    const r = await pumpUntil([a], a.ip.stack.ping(addr, { size: 100 }));
    assert.equal(r.received, 1, addr);
  }
  assert.equal(a.ip.stack.counters.loopback.packetsIn, 12);
  assert.deepEqual(s.take(), [], 'nothing on the wire');
  await s.rt.shutdown();
  await finish(a);
});

test('loopback: UDP between local sockets on both families; delivery is deferred, not re-entrant', async () => {
  const { a, s } = await host();
  const server = a.ip.stack.udp.open(4).bind(7, '127.0.0.1');
  let inSend = false;
  let reentered = false;
  server.onMessage = (bytes, off, len, from) => {
    if (inSend) reentered = true;
    server.send(bytes.slice(off, off + len), from.address, from.port);
  };
  const client = a.ip.stack.udp.open(4);
  inSend = true;
  client.send(new TextEncoder().encode('ping'), '127.0.0.1', 7);
  inSend = false;
  const m = await pumpUntil([a], client.receive());
  assert.equal(new TextDecoder().decode(m!.data), 'ping');
  assert.equal(m!.address, '127.0.0.1');
  assert.equal(reentered, false);
  const s6 = a.ip.stack.udp.open(6).bind(9);
  const c6 = a.ip.stack.udp.open(6);
  const big = Uint8Array.from({ length: 60_000 }, (_, i) => i & 0xff);
  c6.send(big, '::1', 9);
  const m6 = await pumpUntil([a], s6.receive());
  assert.deepEqual(m6!.data, big);
  assert.equal(m6!.address, '::1');
  assert.equal(a.ip.stack.counters.ipv6.fragCreates, 0, 'no fragmentation on loopback');
  for (const x of [server, client, s6, c6]) x.close();
  assert.deepEqual(s.take(), []);
  await s.rt.shutdown();
  await finish(a);
});

test('loopback: a closed local port answers with port unreachable, reported on the connected socket', async () => {
  const { a, s } = await host();
  const c = a.ip.stack.udp.open(4);
  c.connect('198.18.0.1', 4444);
  c.send(new Uint8Array(3));
  await pump([a], 10);
  assert.equal(c.takeError()?.code, 'ECONNREFUSED');
  assert.equal(a.ip.stack.counters.icmp.errorsDelivered, 1);
  c.close();
  await s.rt.shutdown();
  await finish(a);
});
