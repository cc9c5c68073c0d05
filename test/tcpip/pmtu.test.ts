/**
 * Path MTU discovery from ICMP (RFC 1191 "fragmentation needed", RFC 8201 "packet too big"): the learned
 * MTU shapes later fragmentation, is clamped to the minimum of each family, reaches a connected UDP
 * socket as EMSGSIZE, is ignored unless the quoted packet is ours, and expires.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpProtocol, internetChecksum, ipv6, ipv6PseudoHeaderSum, finishChecksum, onesComplementSum } from '../../src/wire/index.js';
import { finishLab, labHost, labPump, type LabHost } from './lab.js';

const ME = Uint8Array.of(2, 0, 0, 0, 0x1a, 1);
const PEER = Uint8Array.of(2, 0, 0, 0, 0x0a, 1);

async function lab(): Promise<LabHost> {
  const h = await labHost({ IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], Dad: false, Neighbors: ['198.18.0.1 02-00-00-00-0a-01', 'fd00::1 02-00-00-00-0a-01'] }, { mac: ME });
  h.lab.take();
  return h;
}

/** An ICMPv6 packet too big from fd00::1 (or `from`) quoting `quoted` (an IPv6 packet we sent). */
function packetTooBig(mtu: number, quoted: Uint8Array, from = 'fd00::1'): Uint8Array {
  const q = quoted.subarray(0, Math.min(quoted.length, 1232));
  const icmp = new Uint8Array(8 + q.length);
  icmp.set([2, 0, 0, 0, mtu >>> 24, (mtu >>> 16) & 0xff, (mtu >>> 8) & 0xff, mtu & 0xff]);
  icmp.set(q, 8);
  const src = ipv6(from);
  const dst = ipv6('fd00::2');
  const c = finishChecksum(onesComplementSum(icmp, 0, icmp.length, ipv6PseudoHeaderSum(src, dst, IpProtocol.Icmpv6, icmp.length)));
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  const f = new Uint8Array(14 + 40 + icmp.length);
  f.set(ME, 0);
  f.set(PEER, 6);
  f.set([0x86, 0xdd, 0x60, 0, 0, 0, icmp.length >> 8, icmp.length & 0xff, 58, 64], 12);
  f.set(src, 22);
  f.set(dst, 38);
  f.set(icmp, 54);
  return f;
}

/** An ICMP fragmentation-needed from 198.18.0.1 quoting `quoted` (an IPv4 packet we sent). */
function fragNeeded(mtu: number, quoted: Uint8Array): Uint8Array {
  const q = quoted.subarray(0, 28);
  const icmp = new Uint8Array(8 + q.length);
  icmp.set([3, 4, 0, 0, 0, 0, mtu >> 8, mtu & 0xff]);
  icmp.set(q, 8);
  const c = internetChecksum(icmp, 0, icmp.length);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  const f = new Uint8Array(14 + 20 + icmp.length);
  f.set(ME, 0);
  f.set(PEER, 6);
  f.set([0x08, 0x00, 0x45, 0, 0, 20 + icmp.length, 0, 1, 0, 0, 64, 1, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2], 12);
  const hc = internetChecksum(f, 14, 20);
  f[24] = hc >> 8;
  f[25] = hc & 0xff;
  f.set(icmp, 34);
  return f;
}

const ipLengths6 = (h: LabHost): number[] => h.lab.take().map((s) => 40 + ((s.frame[18]! << 8) | s.frame[19]!));

test('pmtu: packet too big shrinks later IPv6 datagrams to the learned MTU and reports EMSGSIZE on the connected socket', async () => {
  const h = await lab();
  const sock = h.ip.stack.udp.open(6);
  sock.connect('fd00::1', 9);
  sock.send(new Uint8Array(1400));
  const [first] = h.lab.take();
  assert.equal(first!.frame.length, 14 + 40 + 8 + 1400);
  h.lab.inject([packetTooBig(1300, first!.frame.subarray(14))]);
  await labPump(h, 0);
  assert.equal(sock.takeError()?.code, 'EMSGSIZE');
  assert.equal(h.ip.stack.counters.icmp6.pathMtuUpdates, 1);
  sock.send(new Uint8Array(1400));
  const lens = ipLengths6(h);
  assert.equal(lens.length, 2);
  assert.ok(lens.every((l) => l <= 1300), lens.join(','));
  // A smaller report below 1280 is clamped to the IPv6 minimum.
  h.lab.inject([packetTooBig(600, first!.frame.subarray(14))]);
  await labPump(h, 0);
  sock.send(new Uint8Array(1400));
  assert.ok(ipLengths6(h).every((l) => l <= 1280));
  sock.close();
  await finishLab(h);
});

test('pmtu: errors quoting packets that are not ours change nothing; the learned MTU expires after 10 minutes', async () => {
  const h = await lab();
  const sock = h.ip.stack.udp.open(4);
  sock.send(new Uint8Array(1400), '198.18.0.1', 9);
  const [first] = h.lab.take();
  const forged = first!.frame.slice(14);
  forged[15] = 99; // quoted source 198.18.0.99: not us
  h.lab.inject([fragNeeded(1000, forged)]);
  h.lab.inject([fragNeeded(40, first!.frame.subarray(14))]); // below 68: ignored
  await labPump(h, 0);
  assert.equal(h.ip.stack.counters.icmp.pathMtuUpdates, 0);
  h.lab.inject([fragNeeded(1000, first!.frame.subarray(14))]);
  await labPump(h, 0);
  assert.equal(h.ip.stack.counters.icmp.pathMtuUpdates, 1);
  sock.send(new Uint8Array(1400), '198.18.0.1', 9);
  assert.equal(h.lab.take().length, 2, 'fragmented at 1000');
  await labPump(h, 600_000, 60_000);
  sock.send(new Uint8Array(1400), '198.18.0.1', 9);
  assert.equal(h.lab.take().length, 1, 'back to the link MTU');
  sock.close();
  await finishLab(h);
});
