/**
 * Routing: longest-prefix match over two interfaces (connected, static and default routes, metrics),
 * failover when an interface's link goes down, source address selection (IPv4 by interface and
 * prefix, IPv6 by RFC 6724 scope and longest match), on-link routes, and the table's own ordering.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { VirtualWire, virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { TcpIpProtocol } from '../../src/drivers/protocol/tcpip/index.js';
import { assertClean } from '../support/hosts.js';
import { parseIpAddress } from '../../src/drivers/protocol/tcpip/addr.js';
import { RouteResult } from '../../src/drivers/protocol/tcpip/packet.js';
import { formatIpv4, formatIpv6, ipv6, parseIpv4Address } from '../../src/wire/index.js';
import { MAC_A, MAC_B, MAC_C, etherType, finish, ipHost, pump, pumpUntil, wireName, type IpHost } from './helpers.js';

async function topology(): Promise<{ a: IpHost; b: IpHost; c: IpHost; w1: string; w2: string }> {
  const w1 = wireName('r1');
  const w2 = wireName('r2');
  const a = await ipHost('A', [
    { wire: w1, mac: MAC_A, keywords: { IPAddress: ['198.18.1.1/24'], IPv6Address: ['fd01::1/64'], Routes: ['10.0.0.0/8 via 198.18.1.2', 'fd09::/64 via fd01::2'], DefaultGateway: '198.18.1.2', GatewayMetric: 10 } },
    { wire: w2, mac: '02:00:00:00:0a:02', keywords: { IPAddress: ['198.18.2.1/24'], IPv6Address: ['fd02::1/64'], Routes: ['10.1.0.0/16 via 198.18.2.2', '203.0.113.0/24'], DefaultGateway: '198.18.2.2', IPv6DefaultGateway: 'fd02::2', GatewayMetric: 5 } },
  ]);
  const b = await ipHost('B', [{ wire: w1, mac: MAC_B, raw: true, keywords: { IPAddress: ['198.18.1.2/24'], IPv6Address: ['fd01::2/64'] } }]);
  const c = await ipHost('C', [{ wire: w2, mac: MAC_C, raw: true, keywords: { IPAddress: ['198.18.2.2/24', '203.0.113.7/24'], IPv6Address: ['fd02::2/64'] } }]);
  await pump([a, b, c], 1100);
  return { a, b, c, w1, w2 };
}

/** IP packets the host's raw binding saw since the last call: [source, destination]. */
function seen(h: IpHost): string[] {
  const ep = h.raw.endpoint('eth0');
  const out: string[] = [];
  for (let f = ep.tryReceive(); f !== null; f = ep.tryReceive()) {
    if (etherType(f) === 0x0800) out.push(`${formatIpv4(((f[26]! << 24) | (f[27]! << 16) | (f[28]! << 8) | f[29]!) >>> 0)} > ${formatIpv4(((f[30]! << 24) | (f[31]! << 16) | (f[32]! << 8) | f[33]!) >>> 0)}`);
    else if (etherType(f) === 0x86dd && f[20] !== 58) out.push(`${formatIpv6(f, 22)} > ${formatIpv6(f, 38)}`);
  }
  return out;
}

function send(h: IpHost, family: 4 | 6, dst: string): void {
  const s = h.ip.stack.udp.open(family);
  s.send(new Uint8Array(4), dst, 9);
  s.close();
}

test('routing: longest prefix, then metric, over two interfaces; source address follows the interface', async () => {
  const { a, b, c } = await topology();
  seen(b);
  seen(c);
  send(a, 4, '10.1.2.3'); // 10.1/16 via C beats 10/8 via B
  send(a, 4, '10.2.0.1'); // 10/8 via B
  send(a, 4, '192.0.2.1'); // default: metric 5 (C) beats 10 (B)
  send(a, 4, '198.18.2.2'); // connected on eth1
  send(a, 4, '203.0.113.7'); // on-link static route on eth1 (C answers ARP for it)
  await pump([a, b, c], 20);
  assert.deepEqual(seen(b), ['198.18.1.1 > 10.2.0.1']);
  assert.deepEqual(seen(c), ['198.18.2.1 > 10.1.2.3', '198.18.2.1 > 192.0.2.1', '198.18.2.1 > 198.18.2.2', '198.18.2.1 > 203.0.113.7']);
  // A host does not forward: the gateways drop what is not theirs, counted.
  assert.equal(c.ip.stack.counters.ipv4.inNotForUs, 2);
  assert.equal(b.ip.stack.counters.ipv4.inNotForUs, 1);
  await finish(a, b, c);
});

test('routing: IPv6 static route, default gateway, connected prefixes and RFC 6724 source selection', async () => {
  const { a, b, c } = await topology();
  seen(b);
  seen(c);
  send(a, 6, 'fd09::5'); // static via fd01::2 on eth0
  send(a, 6, '2001:db8::1'); // default via fd02::2 on eth1
  send(a, 6, 'fd02::2'); // connected
  send(a, 6, 'fe80::ff:fe00:b01%eth0'); // link-local: link-local source
  await pump([a, b, c], 20);
  assert.deepEqual(seen(b), ['fd01::1 > fd09::5', 'fe80::ff:fe00:a01 > fe80::ff:fe00:b01']);
  assert.deepEqual(seen(c), ['fd02::1 > 2001:db8::1', 'fd02::1 > fd02::2']);
  await finish(a, b, c);
});

test('routing: when an interface loses its link, routes through it are skipped (failover to the next best)', async () => {
  const { a, b, c, w2 } = await topology();
  VirtualWire.named(w2).setLink(false);
  await pump([a, b, c], 10);
  seen(b);
  send(a, 4, '10.1.2.3'); // 10.1/16 is on eth1 (down): 10/8 via B
  send(a, 4, '192.0.2.1'); // default via eth1 down: eth0's default
  await pump([a, b, c], 20);
  assert.deepEqual(seen(b), ['198.18.1.1 > 10.1.2.3', '198.18.1.1 > 192.0.2.1']);
  VirtualWire.named(w2).setLink(true);
  await pump([a, b, c], 10);
  const r = await pumpUntil([a, b, c], a.ip.stack.ping('198.18.2.2'));
  assert.equal(r.received, 1);
  await finish(a, b, c);
});

test('routing: route lookups directly — loopback and own addresses are local, no route is false', async () => {
  const { a, b, c } = await topology();
  const s = a.ip.stack;
  const rr = new RouteResult();
  assert.ok(s.route4(parseIpv4Address('127.0.0.5'), null, rr) && rr.local);
  assert.ok(s.route4(parseIpv4Address('198.18.2.1'), null, rr) && rr.local, 'own address of another interface');
  assert.ok(s.route6(ipv6('::1'), 0, null, rr) && rr.local);
  assert.ok(s.route4(parseIpv4Address('198.18.1.77'), null, rr) && !rr.local);
  assert.equal(rr.iface!.name, 'eth0');
  assert.equal(formatIpv4(rr.nextHop4), '198.18.1.77');
  assert.ok(s.route4(parseIpv4Address('8.8.8.8'), null, rr));
  assert.equal(formatIpv4(rr.nextHop4), '198.18.2.2');
  const zone = parseIpAddress('fe80::1%eth1');
  assert.ok(s.route6(zone.v6!, 0, s.interfaceByName('eth1'), rr));
  assert.equal(rr.iface!.name, 'eth1');
  assert.equal(formatIpv6(rr.src6), 'fe80::ff:fe00:a02');
  assert.deepEqual(s.routeTexts(), [
    '198.18.1.0/24 dev eth0 connected',
    '198.18.2.0/24 dev eth1 connected',
    '203.0.113.0/24 dev eth1 static',
    '10.1.0.0/16 via 198.18.2.2 dev eth1 static',
    '10.0.0.0/8 via 198.18.1.2 dev eth0 static',
    '0.0.0.0/0 via 198.18.2.2 dev eth1 metric 5 default',
    '0.0.0.0/0 via 198.18.1.2 dev eth0 metric 10 default',
    'fe80::/64 dev eth0 connected',
    'fd01::/64 dev eth0 connected',
    'fe80::/64 dev eth1 connected',
    'fd02::/64 dev eth1 connected',
    'fd09::/64 via fd01::2 dev eth0 static',
    '::/0 via fd02::2 dev eth1 metric 5 default',
  ]);
  await finish(a, b, c);
});

test('routing: bad address or route text fails the bind (logged), and nothing leaks', async () => {
  const bad: Record<string, string[]>[] = [{ IPAddress: ['198.18.9.1/33'] }, { Routes: ['10.0.0.0/8 via fd00::1'] }, { Neighbors: ['198.18.0.1'] }];
  for (const keywords of bad) {
    const logs: string[] = [];
    const rt = NdisRuntime.forTest({ name: 'X', verifier: { enabled: true }, logger: (level, source, msg) => logs.push(`${level} ${source}: ${msg}`) });
    rt.registerDriver(virtualWireMiniport);
    const ip = new TcpIpProtocol();
    rt.registerDriver(ip.characteristics);
    await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wireName() } });
    await assert.rejects(rt.bindProtocol('eth0', 'tsndis.tcpip', keywords), /failed/);
    assert.ok(logs.some((l) => l.startsWith('error')), logs.join('\n'));
    assert.equal(ip.stack.interfaces.length, 1, 'only loopback remains');
    await rt.shutdown();
    assertClean(rt);
  }
});
