/**
 * UDP over two tsndis hosts (and a lab adapter for hand-made datagrams): echo both ways on both
 * families with the callback and the iterator API, bind rules, connected sockets, the bounded receive
 * queue, checksum rules (zero accepted over IPv4 only), port unreachable with its rate limit, errors
 * surfaced on connected sockets, broadcasts, and a throwing handler that must not hurt the binding.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SocketError, type UdpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { finish, pair, pump, pumpUntil } from './helpers.js';
import { finishLab, labHost, labPump } from './lab.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** An echo server in callback mode: every datagram goes back to where it came from. */
function echoServer(sock: UdpSocket): void {
  sock.onMessage = (bytes, offset, length, from) => {
    sock.send(bytes.slice(offset, offset + length), from.address, from.port);
  };
}

test('udp: echo both ways over IPv4 (callback server, iterator client)', async () => {
  const { a, b } = await pair();
  const server = b.ip.stack.udp.open(4).bind(7);
  echoServer(server);
  const client = a.ip.stack.udp.open(4);
  client.connect('198.18.0.2', 7);
  for (const text of ['one', 'two', 'three']) assert.ok(client.send(enc(text)));
  const got: string[] = [];
  for (let i = 0; i < 3; i++) {
    const m = await pumpUntil([a, b], client.receive());
    assert.ok(m !== null);
    assert.equal(m.address, '198.18.0.2');
    assert.equal(m.port, 7);
    got.push(dec(m.data));
  }
  assert.deepEqual(got, ['one', 'two', 'three']);
  // And the other way round.
  const serverA = a.ip.stack.udp.open(4).bind(9000);
  echoServer(serverA);
  const clientB = b.ip.stack.udp.open(4).bind(0);
  clientB.send(enc('back'), '198.18.0.1', 9000);
  const m = await pumpUntil([a, b], clientB.receive());
  assert.equal(dec(m!.data), 'back');
  assert.equal(a.ip.stack.counters.udp.inDatagrams, 4);
  for (const s of [server, client, serverA, clientB]) s.close();
  await finish(a, b);
});

test('udp: echo both ways over IPv6, global and link-local with a zone', async () => {
  const { a, b } = await pair();
  await pump([a, b], 1100);
  const server = b.ip.stack.udp.open(6).bind(7);
  echoServer(server);
  const client = a.ip.stack.udp.open(6);
  client.send(enc('six'), 'fd00::2', 7);
  const m = await pumpUntil([a, b], client.receive());
  assert.deepEqual([dec(m!.data), m!.address, m!.port], ['six', 'fd00::2', 7]);
  client.send(enc('link'), 'fe80::ff:fe00:b01%eth0', 7);
  const l = await pumpUntil([a, b], client.receive());
  assert.deepEqual([dec(l!.data), l!.address], ['link', 'fe80::ff:fe00:b01%eth0']);
  const serverA = a.ip.stack.udp.open(6).bind(53);
  echoServer(serverA);
  const clientB = b.ip.stack.udp.open(6);
  clientB.send(enc('from b'), 'fd00::1', 53);
  assert.equal(dec((await pumpUntil([a, b], clientB.receive()))!.data), 'from b');
  for (const s of [server, client, serverA, clientB]) s.close();
  await finish(a, b);
});

test('udp: bind rules — EADDRINUSE, wildcard vs specific, ephemeral ports, EADDRNOTAVAIL, EINVAL', async () => {
  const { a, b } = await pair();
  const u = a.ip.stack.udp;
  const s1 = u.open(4).bind(5000);
  assert.throws(() => u.open(4).bind(5000), (e: unknown) => e instanceof SocketError && e.code === 'EADDRINUSE');
  assert.throws(() => u.open(4).bind(5000, '198.18.0.1'), (e: unknown) => e instanceof SocketError && e.code === 'EADDRINUSE');
  const v6 = u.open(6).bind(5000); // another family: no conflict
  const specific = u.open(4).bind(5001, '198.18.0.1');
  const loop = u.open(4).bind(5001, '127.0.0.1'); // distinct addresses share the port
  assert.throws(() => u.open(4).bind(5001), (e: unknown) => e instanceof SocketError && e.code === 'EADDRINUSE');
  assert.throws(() => u.open(4).bind(1, '198.18.0.99'), (e: unknown) => e instanceof SocketError && e.code === 'EADDRNOTAVAIL');
  assert.throws(() => u.open(4).bind(1, 'fd00::1'), (e: unknown) => e instanceof SocketError && e.code === 'EINVAL');
  const eph = Array.from({ length: 20 }, () => u.open(4).bind());
  const ports = new Set(eph.map((s) => s.localPort));
  assert.equal(ports.size, 20);
  for (const p of ports) assert.ok(p >= 49152 && p <= 65535);
  assert.throws(() => eph[0]!.bind(7), (e: unknown) => e instanceof SocketError && e.code === 'EINVAL', 'bound twice');
  assert.throws(() => u.open(4).send(enc('x')), (e: unknown) => e instanceof SocketError && e.code === 'EDESTADDRREQ');
  assert.throws(() => u.open(4).send(enc('x'), '203.0.113.1', 9), (e: unknown) => e instanceof SocketError && e.code === 'ENETUNREACH');
  assert.throws(() => u.open(4).send(new Uint8Array(65508), '198.18.0.2', 9), (e: unknown) => e instanceof SocketError && e.code === 'EMSGSIZE');
  s1.close();
  u.open(4).bind(5000).close(); // free again after close
  for (const s of [v6, specific, loop, ...eph]) s.close();
  assert.equal(u.socketCount, 0);
  await finish(a, b);
});

test('udp: a connected socket only hears its peer; others get port unreachable', async () => {
  const { a, b } = await pair();
  const sock = b.ip.stack.udp.open(4).bind(4000);
  sock.connect('198.18.0.1', 4001);
  const right = a.ip.stack.udp.open(4).bind(4001);
  const wrong = a.ip.stack.udp.open(4).bind(4002);
  wrong.send(enc('nope'), '198.18.0.2', 4000);
  right.send(enc('yes'), '198.18.0.2', 4000);
  const m = await pumpUntil([a, b], sock.receive());
  assert.equal(dec(m!.data), 'yes');
  assert.equal(sock.queued, 0);
  assert.equal(b.ip.stack.counters.udp.noPorts, 1);
  assert.equal(b.ip.stack.counters.icmp.outByType[3], 1);
  for (const s of [sock, right, wrong]) s.close();
  await finish(a, b);
});

test('udp: the iterator queue is bounded; overflow is counted, the oldest are kept', async () => {
  const { a, b } = await pair({}, {}, { udpReceiveQueue: 4 });
  const sock = b.ip.stack.udp.open(4).bind(6000);
  const c = a.ip.stack.udp.open(4);
  await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  for (let i = 0; i < 10; i++) c.send(enc(`m${i}`), '198.18.0.2', 6000);
  await pump([a, b], 10);
  assert.equal(sock.queued, 4);
  assert.equal(b.ip.stack.counters.udp.receiveQueueFull, 6);
  const got: string[] = [];
  for await (const m of sock) {
    got.push(dec(m.data));
    if (got.length === 4) sock.close();
  }
  assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3']);
  c.close();
  await finish(a, b);
});

test('udp: port unreachable is rate limited by the token bucket; errors reach the connected sender', async () => {
  const { a, b } = await pair({}, {}, { icmpErrorBurst: 5, icmpErrorsPerSecond: 10 });
  const c = a.ip.stack.udp.open(4);
  c.connect('198.18.0.2', 9999);
  const errors: string[] = [];
  c.onError = (e) => errors.push(e.code);
  await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  for (let i = 0; i < 20; i++) c.send(enc('x'));
  await pump([a, b], 10);
  const ib = b.ip.stack.counters.icmp;
  assert.equal(ib.outByType[3], 5, 'the burst');
  assert.equal(ib.rateLimited, 15);
  assert.equal(errors.length, 5);
  assert.ok(errors.every((e) => e === 'ECONNREFUSED'));
  assert.equal(c.takeError()?.code, 'ECONNREFUSED');
  assert.equal(c.takeError(), null);
  // One second later the bucket has refilled by 10 (capped at the burst of 5).
  await pump([a, b], 1000);
  for (let i = 0; i < 8; i++) c.send(enc('x'));
  await pump([a, b], 10);
  assert.equal(ib.outByType[3], 10);
  assert.equal(b.ip.stack.counters.udp.noPorts, 28);
  c.close();
  await finish(a, b);
});

test('udp: broadcasts reach wildcard sockets and never cause ICMP errors', async () => {
  const { a, b } = await pair();
  const sock = b.ip.stack.udp.open(4).bind(6767);
  const c = a.ip.stack.udp.open(4).bind(6768);
  c.send(enc('hello all'), '198.18.0.255', 6767);
  c.send(enc('limited'), '255.255.255.255', 6767);
  c.send(enc('closed'), '198.18.0.255', 1);
  const m1 = await pumpUntil([a, b], sock.receive());
  const m2 = await pumpUntil([a, b], sock.receive());
  assert.deepEqual([dec(m1!.data), dec(m2!.data)], ['hello all', 'limited']);
  assert.equal(b.ip.stack.counters.icmp.outErrors, 0);
  assert.equal(b.ip.stack.counters.icmp.suppressed, 1);
  sock.close();
  c.close();
  await finish(a, b);
});

test('udp: a throwing onMessage handler is caught and counted; the binding keeps working', async () => {
  const { a, b } = await pair();
  const sock = b.ip.stack.udp.open(4).bind(1234);
  let calls = 0;
  sock.onMessage = () => {
    calls++;
    throw new Error('user bug');
  };
  const c = a.ip.stack.udp.open(4);
  c.send(enc('1'), '198.18.0.2', 1234);
  c.send(enc('2'), '198.18.0.2', 1234);
  await pump([a, b], 10);
  assert.equal(calls, 2);
  assert.equal(b.ip.stack.udp.callbackErrors, 2);
  const r = await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  assert.equal(r.received, 1);
  sock.close();
  c.close();
  await finish(a, b);
});

// Hand-made datagrams: 198.18.0.1:1111 → 198.18.0.2:2222 and fd00::1 → fd00::2, payload "hi".
const MAC = '020000001a01';
const PEER = '020000000a01';
function frame(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}
const UDP4_ZERO_CSUM = frame(`${MAC}${PEER}0800 4500001e000040004011aea7 c6120001c6120002 045708ae000a0000 6869`);
const UDP4_GOOD = frame(`${MAC}${PEER}0800 4500001e000040004011aea7 c6120001c6120002 045708ae000afe43 6869`);
const UDP4_BAD = frame(`${MAC}${PEER}0800 4500001e000040004011aea7 c6120001c6120002 045708ae000afe44 6869`);
const UDP6_ZERO_CSUM = frame(`${MAC}${PEER}86dd 60000000000a1140 fd000000000000000000000000000001 fd000000000000000000000000000002 045708ae000a0000 6869`);

test('udp: zero checksum accepted over IPv4, rejected over IPv6; a bad checksum is dropped and counted', async () => {
  const h = await labHost({ IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Dad: false });
  const s4 = h.ip.stack.udp.open(4).bind(2222);
  const s6 = h.ip.stack.udp.open(6).bind(2222);
  h.lab.inject([UDP4_ZERO_CSUM, UDP4_GOOD, UDP4_BAD, UDP6_ZERO_CSUM]);
  await labPump(h, 0);
  assert.equal(s4.queued, 2);
  assert.equal(s6.queued, 0);
  const c = h.ip.stack.counters.udp;
  assert.deepEqual([c.inDatagrams, c.badChecksum, c.zeroChecksum6], [2, 1, 1]);
  const m = await s4.receive();
  assert.deepEqual([dec(m!.data), m!.address, m!.port], ['hi', '198.18.0.1', 1111]);
  s4.close();
  s6.close();
  await finishLab(h);
});
