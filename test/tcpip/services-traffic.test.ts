/**
 * The traffic-source services, `ping` and `traffic`, from a stack config: they send exactly `count`
 * echo requests / datagrams to their target (another host of the config), count the answers, report
 * through netstat, stop by themselves, and stop early when closed. Client commands (`get`, `ping`) start
 * the servers only.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressesReady, startServices, tcpipOf, upTcpIp, type HostService } from '../../src/cli/tcpip-hosts.js';
import { buildStacks, parseStackConfig } from '../../src/config/index.js';
import { assertClean, uniqueWire } from '../support/hosts.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';

const config = (services: string): string => `
wires: { lan: {} }
hosts:
  a:
    services: ${services}
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24], IPv6Address: ['fd00::1/64'] } }]
  b:
    services: [{ service: echo }]
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.2/24], IPv6Address: ['fd00::2/64'] } }]
`;

async function until(what: string, done: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function withServices(services: string, body: (running: HostService[], stacks: Awaited<ReturnType<typeof buildStacks>>) => Promise<void>): Promise<void> {
  const d = await parseStackConfig(config(services), 'traffic.yaml', '.');
  const stacks = await buildStacks(d, { wirePrefix: `${uniqueWire('trafficsvc')}-` });
  for (const h of ['a', 'b']) await addressesReady(tcpipOf(stacks, h)!);
  const running = await startServices(d, stacks);
  try {
    await body(running, stacks);
  } finally {
    await Promise.all(running.map((s) => s.service.close()));
    await stacks.shutdown();
  }
  for (const h of stacks.hosts.values()) assertClean(h.runtime);
}

test('services: ping and traffic send exactly count, count the answers, reach netstat and stop', { timeout: 60_000 }, async () => {
  const services = `[{ service: ping, target: 198.18.0.2, intervalMs: 20, count: 5, size: 100 },
                     { service: ping, target: 'fd00::2', intervalMs: 20, count: 3 },
                     { service: traffic, target: 198.18.0.2, port: 7, rate: 500, size: 300, count: 40 }]`;
  await withServices(services, async (running) => {
    const [ping4, ping6, traffic] = running.filter((r) => r.host === 'a').map((r) => r.service);
    const echo = running.find((r) => r.host === 'b')!.service;
    await until('the flows to finish', () => ping4!.finished && ping6!.finished && traffic!.finished);
    await until('the last echoes', () => traffic!.counters.datagramsIn === 40);
    assert.deepEqual([ping4!.counters.pingsSent, ping4!.counters.pingsAnswered, ping4!.counters.bytesOut, ping4!.counters.errors], [5, 5, 500, 0]);
    assert.ok(ping4!.counters.lastRttMicroseconds > 0);
    assert.deepEqual([ping6!.counters.pingsSent, ping6!.counters.pingsAnswered], [3, 3]);
    assert.deepEqual([traffic!.counters.datagramsOut, traffic!.counters.bytesOut, traffic!.counters.errors], [40, 12_000, 0]);
    assert.deepEqual([echo.counters.datagramsIn, echo.counters.datagramsOut], [40, 40]);
    assert.match(ping4!.summary(), /^ping 198\.18\.0\.2: .*pingsSent 5, pingsAnswered 5.*rtt \d+\.\d{3} ms \(done\)$/);
    assert.match(traffic!.summary(), /^traffic 198\.18\.0\.2:7: .*datagramsIn 40, datagramsOut 40.* \(done\)$/);
  });
});

test('services: the counters reach netstat; closing a source stops it at once', { timeout: 60_000 }, async () => {
  await withServices('[{ service: ping, target: 198.18.0.2, intervalMs: 10, count: 100000 }, { service: traffic, target: 198.18.0.2, rate: 1000, count: 10000000 }]', async (running, stacks) => {
    const [ping, traffic] = running.filter((r) => r.host === 'a').map((r) => r.service);
    await until('some traffic', () => ping!.counters.pingsAnswered >= 3 && traffic!.counters.datagramsOut >= 50);
    const netstat = tcpipOf(stacks, 'a')!.netstat() as { services: Record<string, Record<string, number>> };
    assert.deepEqual(Object.keys(netstat.services), ['ping 198.18.0.2', 'traffic 198.18.0.2:9']);
    assert.ok(netstat.services['traffic 198.18.0.2:9']!['datagramsOut']! >= 50);
    await ping!.close();
    await traffic!.close();
    assert.equal(ping!.finished && traffic!.finished, true);
    const sent = [ping!.counters.pingsSent, traffic!.counters.datagramsOut];
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual([ping!.counters.pingsSent, traffic!.counters.datagramsOut], sent, 'nothing more is sent');
    assert.ok(sent[0]! < 100000 && sent[1]! < 10000000);
    assert.equal('services' in tcpipOf(stacks, 'a')!.netstat(), false, 'closed services leave netstat');
  });
});

test('services: a client command (tsndis get / ping) starts the servers only, not the traffic sources', { timeout: 60_000 }, async () => {
  // upTcpIp builds the stacks as the CLI does (no wire prefix): the wire gets a name of its own.
  const text = config('[{ service: ping, target: 198.18.0.2, count: 50 }, { service: discard }]').split(' lan').join(` ${uniqueWire('client')}`);
  const file = writeFixture(fixtureDir(), 'client.yaml', text);
  const t = await upTcpIp(file);
  try {
    assert.deepEqual(t.services.map((s) => `${s.host} ${s.service.name}`), ['a discard *:9', 'b echo *:7']);
  } finally {
    await t.shutdown();
  }
});
