/**
 * Duplicate Address Detection (RFC 4862 §5.4) in fake time: an address is tentative until its probes
 * went unanswered, a duplicate is reported (counter and log) and never used, simultaneous DAD makes
 * both sides give up the address, and Dad=false skips it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SocketError } from '../../src/drivers/protocol/tcpip/index.js';
import { MAC_A, MAC_B, MAC_C, etherType, finish, ipHost, pump, pumpUntil, sniffer, wireName } from './helpers.js';

function v6State(h: { ip: { interface(n: string): { describe(): Record<string, unknown> } } }): string[] {
  return h.ip.interface('eth0').describe()['ipv6'] as string[];
}

test('DAD: addresses are tentative until DadTransmits probes (RetransTimer apart) went unanswered', async () => {
  const wire = wireName();
  const s = await sniffer(wire);
  const logs: string[] = [];
  const a = await ipHost('A', [{ wire, mac: MAC_A, keywords: { IPv6Address: ['fd00::1/64'], DadTransmits: 2 } }], {}, logs);
  assert.deepEqual(v6State(a), ['fe80::ff:fe00:a01/64 tentative', 'fd00::1/64 tentative']);
  await pump([a], 1990);
  assert.deepEqual(v6State(a), ['fe80::ff:fe00:a01/64 tentative', 'fd00::1/64 tentative']);
  await pump([a], 20);
  assert.deepEqual(v6State(a), ['fe80::ff:fe00:a01/64 preferred', 'fd00::1/64 preferred']);
  // Two probes per address, each from :: with hop limit 255.
  const probes = s.take().filter((f) => etherType(f) === 0x86dd && f[54] === 135);
  assert.equal(probes.length, 4);
  for (const p of probes) {
    assert.equal(p[21], 255);
    assert.ok(p.subarray(22, 38).every((x) => x === 0), 'source ::');
  }
  assert.ok(logs.some((l) => l.includes('fd00::1/64 passed DAD')));
  await s.rt.shutdown();
  await finish(a);
});

test('DAD: a host joining with an address already in use marks it duplicate, logs it and never uses it', async () => {
  const wire = wireName();
  const b = await ipHost('B', [{ wire, mac: MAC_B, keywords: { IPv6Address: ['fd00::1/64', 'fd00::2/64'] } }]);
  await pump([b], 1100);
  const logs: string[] = [];
  const c = await ipHost('C', [{ wire, mac: MAC_C, keywords: { IPv6Address: ['fd00::1/64'] } }], {}, logs);
  await pump([b, c], 1100);
  assert.deepEqual(v6State(c), ['fe80::ff:fe00:c01/64 preferred', 'fd00::1/64 duplicate']);
  assert.equal(c.ip.stack.counters.icmp6.dadConflicts, 1);
  assert.ok(logs.some((l) => l.startsWith('warn') && l.includes('duplicate IPv6 address fd00::1/64')), logs.join('\n'));
  // B defended with an unsolicited advertisement to all-nodes and keeps its address.
  assert.deepEqual(v6State(b), ['fe80::ff:fe00:b01/64 preferred', 'fd00::1/64 preferred', 'fd00::2/64 preferred']);
  assert.equal(b.ip.stack.counters.icmp6.outByType[136], 1);
  // C has no usable address in fd00::/64: no connected route, no source.
  await assert.rejects(c.ip.stack.ping('fd00::2'), (e: unknown) => e instanceof SocketError && e.code === 'ENETUNREACH');
  // And traffic to fd00::1 is B's alone.
  const r = await pumpUntil([b, c], b.ip.stack.ping('fe80::ff:fe00:c01%eth0'));
  assert.equal(r.received, 1);
  await finish(b, c);
});

test('DAD: a tentative host that hears another probe for its address gives it up; a duplicate stays so across link flaps', async () => {
  const wire = wireName();
  const a = await ipHost('A', [{ wire, mac: MAC_A, keywords: { IPv6Address: ['fd00::9/64'] } }]);
  const b = await ipHost('B', [{ wire, mac: MAC_B, keywords: { IPv6Address: ['fd00::9/64'] } }]);
  // A started alone and heard B's probe while still tentative: A gave up, B kept it.
  await pump([a, b], 1100);
  assert.equal(v6State(a)[1], 'fd00::9/64 duplicate');
  assert.equal(v6State(b)[1], 'fd00::9/64 preferred');
  const { VirtualWire } = await import('../../src/drivers/miniport/virtual-wire/index.js');
  // A host whose duplicate stays duplicate: a link flap restarts DAD only for the others.
  VirtualWire.named(wire).setLink(false);
  await pump([a, b], 10);
  VirtualWire.named(wire).setLink(true);
  await pump([a, b], 1100);
  assert.equal(v6State(a)[1], 'fd00::9/64 duplicate');
  assert.equal(v6State(b)[1], 'fd00::9/64 preferred');
  await finish(a, b);
});

test('DAD: Dad=false makes addresses preferred at once, without probes', async () => {
  const wire = wireName();
  const a = await ipHost('A', [{ wire, mac: MAC_A, keywords: { IPv6Address: ['fd00::7/64'], Dad: false } }]);
  assert.deepEqual(v6State(a), ['fe80::ff:fe00:a01/64 preferred', 'fd00::7/64 preferred']);
  assert.equal(a.ip.stack.counters.icmp6.outByType[135], 0);
  await finish(a);
});

test('DAD: simultaneous probes after a link flap make both hosts drop the address', async () => {
  const wire2 = wireName();
  const c = await ipHost('C', [{ wire: wire2, mac: MAC_A, keywords: { IPv6Address: ['fd00::5/64'] } }]);
  const d = await ipHost('D', [{ wire: wire2, mac: MAC_B, keywords: { IPv6Address: ['fd00::6/64'] } }]);
  await pump([c, d], 1100);
  // Both add the same address while the link is down, then it comes up: both probe at once.
  const { VirtualWire } = await import('../../src/drivers/miniport/virtual-wire/index.js');
  VirtualWire.named(wire2).setLink(false);
  await pump([c, d], 10);
  c.ip.interface('eth0').addIpv6(Uint8Array.from(Buffer.from('fd000000000000000000000000000055', 'hex')), 64);
  d.ip.interface('eth0').addIpv6(Uint8Array.from(Buffer.from('fd000000000000000000000000000055', 'hex')), 64);
  VirtualWire.named(wire2).setLink(true);
  await pump([c, d], 1100);
  assert.equal(v6State(c)[2], 'fd00::55/64 duplicate');
  assert.equal(v6State(d)[2], 'fd00::55/64 duplicate');
  await finish(c, d);
});

test('DAD: an NDIS pause/restart keeps preferred addresses; a link flap verifies them again', async () => {
  const wire = wireName();
  const a = await ipHost('A', [{ wire, mac: MAC_A, keywords: { IPv6Address: ['fd00::1/64'] } }]);
  await pump([a], 1100);
  const probes = (): number => a.ip.stack.counters.icmp6.outByType[135]!;
  const before = probes();
  await a.rt.pauseStack('eth0');
  await a.rt.restartStack('eth0');
  await pump([a], 10);
  assert.deepEqual(v6State(a), ['fe80::ff:fe00:a01/64 preferred', 'fd00::1/64 preferred']);
  assert.equal(probes(), before, 'no DAD after a pause');
  const { VirtualWire } = await import('../../src/drivers/miniport/virtual-wire/index.js');
  VirtualWire.named(wire).setLink(false);
  await pump([a], 10);
  VirtualWire.named(wire).setLink(true);
  await pump([a], 10);
  assert.deepEqual(v6State(a), ['fe80::ff:fe00:a01/64 tentative', 'fd00::1/64 tentative']);
  assert.equal(probes(), before + 2);
  await pump([a], 1000);
  assert.deepEqual(v6State(a), ['fe80::ff:fe00:a01/64 preferred', 'fd00::1/64 preferred']);
  await finish(a);
});
