/**
 * Two tsndis hosts on a virtual wire: ping both ways over IPv4 and IPv6, ARP/ND resolution and the
 * neighbour states it leaves, NUD probing after ReachableTime, failed resolution, static neighbours,
 * timeouts and errors of the ping API. Fake time throughout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SocketError } from '../../src/drivers/protocol/tcpip/index.js';
import { arpOps, finish, pair, pump, pumpUntil, sniffer, etherType } from './helpers.js';

test('ping: IPv4 both ways, with per-reply RTTs', async () => {
  const { a, b } = await pair();
  const ab = await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2', { count: 3, intervalMs: 200 }));
  assert.equal(ab.transmitted, 3);
  assert.equal(ab.received, 3);
  assert.equal(ab.rttMs.length, 3);
  for (const r of ab.rttMs) assert.ok(r !== null && r >= 0 && r < 50, `rtt ${String(r)}`);
  const ba = await pumpUntil([a, b], b.ip.stack.ping('198.18.0.1', { count: 2, intervalMs: 100 }));
  assert.deepEqual([ba.transmitted, ba.received], [2, 2]);
  assert.equal(a.ip.stack.counters.icmp.echoRequestsIn, 2);
  assert.equal(b.ip.stack.counters.icmp.echoRequestsIn, 3);
  await finish(a, b);
});

test('ping: IPv6 both ways after DAD, global and link-local (with zone)', async () => {
  const { a, b } = await pair();
  await pump([a, b], 1100);
  const ab = await pumpUntil([a, b], a.ip.stack.ping('fd00::2', { count: 2, intervalMs: 100 }));
  assert.deepEqual([ab.transmitted, ab.received], [2, 2]);
  const ba = await pumpUntil([a, b], b.ip.stack.ping('fd00::1'));
  assert.equal(ba.received, 1);
  const ll = await pumpUntil([a, b], a.ip.stack.ping('fe80::ff:fe00:b01%eth0'));
  assert.equal(ll.received, 1);
  assert.equal(b.ip.stack.counters.icmp6.echoRequestsIn, 3);
  await finish(a, b);
});

test('ping: large echo requests are fragmented and reassembled both ways (v4 and v6)', async () => {
  const { a, b } = await pair();
  await pump([a, b], 1100);
  const r4 = await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2', { size: 5000 }));
  const r6 = await pumpUntil([a, b], a.ip.stack.ping('fd00::2', { size: 9000 }));
  assert.equal(r4.received, 1);
  assert.equal(r6.received, 1);
  assert.ok(a.ip.stack.counters.ipv4.fragCreates >= 4 && b.ip.stack.counters.ipv4.fragCreates >= 4);
  assert.ok(a.ip.stack.counters.ipv6.fragCreates >= 7 && b.ip.stack.counters.ipv6.fragCreates >= 7);
  assert.equal(b.ip.stack.counters.reassembly.reassembled, 2);
  assert.equal(a.ip.stack.counters.reassembly.reassembled, 2);
  await finish(a, b);
});

test('ping: a host that does not answer times out (null RTTs); no route rejects with ENETUNREACH', async () => {
  const { a, b } = await pair();
  const r = await pumpUntil([a, b], a.ip.stack.ping('198.18.0.77', { count: 2, intervalMs: 500, timeoutMs: 1000 }));
  assert.deepEqual(r, { address: '198.18.0.77', transmitted: 2, received: 0, rttMs: [null, null], errors: [null, null] }, 'done (1.5 s) before ARP gives up (3 s)');
  await assert.rejects(a.ip.stack.ping('203.0.113.9'), (e: unknown) => e instanceof SocketError && e.code === 'ENETUNREACH');
  await assert.rejects(a.ip.stack.ping('fe80::1%nope'), TypeError);
  assert.equal(a.ip.stack.icmp.pingSessions, 0);
  await finish(a, b);
});

test('ARP: resolution leaves the requester REACHABLE and the target STALE (DELAY once it answered); unanswered requests are retried then dropped', async () => {
  const { a, b, wire } = await pair();
  const s = await sniffer(wire);
  await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  assert.deepEqual(a.ip.interface('eth0').describe()['neighbors'], ['198.18.0.2 02:00:00:00:0b:01 REACHABLE']);
  // B learnt A from the request (STALE) and then sent its echo reply through the entry (→ DELAY).
  assert.deepEqual(b.ip.interface('eth0').describe()['neighbors'], ['198.18.0.1 02:00:00:00:0a:01 DELAY']);
  s.take();
  // 198.18.0.50 does not exist: three broadcast requests a RetransTimer apart, then the packets go.
  void a.ip.stack.ping('198.18.0.50', { count: 1, timeoutMs: 5000 });
  await pump([a, b], 5000);
  const for50 = s.take().filter((f) => etherType(f) === 0x0806 && f[41] === 50);
  assert.deepEqual(arpOps(for50), ['request broadcast', 'request broadcast', 'request broadcast']);
  const n = a.ip.stack.counters.neighbor;
  assert.equal(n.resolutionFailed, 1);
  assert.equal(n.failedDrops, 1);
  await s.rt.shutdown();
  await finish(a, b);
});

test('ARP: after ReachableTime the entry goes STALE; using it starts NUD: DELAY, then unicast probes', async () => {
  const { a, b, wire } = await pair({ ReachableTimeMs: 2000 });
  const s = await sniffer(wire);
  await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  await pump([a, b], 3100);
  assert.match(String(a.ip.interface('eth0').describe()['neighbors']), /STALE/);
  s.take();
  await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  assert.match(String(a.ip.interface('eth0').describe()['neighbors']), /DELAY/);
  await pump([a, b], 5100);
  // DELAY_FIRST_PROBE_TIME later: a unicast probe from A, answered, so REACHABLE again (B, which
  // answered the first ping through a STALE entry, probed A the same way meanwhile).
  const fromA = s.take().filter((f) => f[11] === 0x01 && f[10] === 0x0a);
  assert.deepEqual(arpOps(fromA), ['reply unicast', 'request unicast']);
  assert.match(String(a.ip.interface('eth0').describe()['neighbors']), /REACHABLE/);
  assert.equal(a.ip.stack.counters.neighbor.probes, 1);
  await s.rt.shutdown();
  await finish(a, b);
});

test('ARP: static neighbours need no resolution; a gratuitous ARP announces each address', async () => {
  const { a, b, wire } = await pair({ Neighbors: ['198.18.0.2 02-00-00-00-0b-01'] });
  const s = await sniffer(wire);
  await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  // A never asks: its only ARP frame is the reply to B, which had to resolve A to answer.
  const fromA = s.take().filter((f) => etherType(f) === 0x0806 && f[10] === 0x0a);
  assert.deepEqual(arpOps(fromA), ['reply unicast']);
  assert.deepEqual(a.ip.interface('eth0').describe()['neighbors'], ['198.18.0.2 02:00:00:00:0b:01 PERMANENT']);
  assert.equal(a.ip.stack.counters.arp.outGratuitous, 1);
  await s.rt.shutdown();
  await finish(a, b);
});

test('ND: resolution of a global and a link-local neighbour; NUD after ReachableTime', async () => {
  const { a, b } = await pair({ ReachableTimeMs: 1500 });
  await pump([a, b], 1100);
  await pumpUntil([a, b], a.ip.stack.ping('fd00::2'));
  const nbrs = a.ip.interface('eth0').describe()['neighbors'] as string[];
  assert.ok(nbrs.includes('fd00::2 02:00:00:00:0b:01 REACHABLE'), nbrs.join(', '));
  await pump([a, b], 2300);
  assert.ok((a.ip.interface('eth0').describe()['neighbors'] as string[]).includes('fd00::2 02:00:00:00:0b:01 STALE'));
  await pumpUntil([a, b], a.ip.stack.ping('fd00::2'));
  await pump([a, b], 5100);
  assert.ok((a.ip.interface('eth0').describe()['neighbors'] as string[]).includes('fd00::2 02:00:00:00:0b:01 REACHABLE'));
  assert.equal(a.ip.stack.counters.neighbor.probes, 1);
  await finish(a, b);
});

test('link down: sends are refused and counted, routes through the interface are skipped; link up re-announces', async () => {
  const { a, b, wire } = await pair();
  const { VirtualWire } = await import('../../src/drivers/miniport/virtual-wire/index.js');
  VirtualWire.named(wire).setLink(false);
  await pump([a, b], 10);
  await assert.rejects(a.ip.stack.ping('198.18.0.2'), (e: unknown) => e instanceof SocketError && e.code === 'ENETUNREACH');
  const before = a.ip.stack.counters.arp.outGratuitous;
  VirtualWire.named(wire).setLink(true);
  await pump([a, b], 10);
  assert.equal(a.ip.stack.counters.arp.outGratuitous, before + 1);
  const r = await pumpUntil([a, b], a.ip.stack.ping('198.18.0.2'));
  assert.equal(r.received, 1);
  await finish(a, b);
});
