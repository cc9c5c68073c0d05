/**
 * The echo and discard services answer on UDP as well as TCP (as inetd's do): two hosts from a stack
 * config on a virtual wire, the server's services started the way `tsndis up` starts them, and a UDP
 * client on the other host exchanging datagrams over IPv4 and IPv6 (one of them fragmented). Echo
 * returns each datagram byte-exact to its sender; discard answers nothing; both count what they did;
 * echo does not answer a datagram from a service port (two echo services would bounce one forever).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressesReady, startServices, tcpipOf } from '../../src/cli/tcpip-hosts.js';
import { buildStacks, parseStackConfig } from '../../src/config/index.js';
import type { UdpMessage, UdpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { assertClean, uniqueWire } from '../support/hosts.js';

const CONFIG = `
wires: { lan: {} }
hosts:
  client:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan, NetworkAddress: 02-00-00-00-00-0a }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24], IPv6Address: ['fd00::1/64'] } }]
  server:
    services: [{ service: echo }, { service: discard }]
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan, NetworkAddress: 02-00-00-00-00-0b }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.2/24], IPv6Address: ['fd00::2/64'] } }]
`;

/** The next datagram on `sock`, or null after `ms` (bounded wait). */
async function receive(sock: UdpSocket, ms: number): Promise<UdpMessage | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  try {
    return await Promise.race([sock.receive(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

test('services: UDP echo answers byte-exact over IPv4 and IPv6, UDP discard answers nothing, both count', { timeout: 60_000 }, async () => {
  const d = await parseStackConfig(CONFIG, 'udp-services.yaml', '.');
  const stacks = await buildStacks(d, { wirePrefix: `${uniqueWire('udpsvc')}-` });
  const services = await startServices(d, stacks);
  try {
    const client = tcpipOf(stacks, 'client')!;
    for (const h of ['client', 'server']) await addressesReady(tcpipOf(stacks, h)!);
    const echo = services.find((s) => s.service.spec.service === 'echo')!.service;
    const discard = services.find((s) => s.service.spec.service === 'discard')!.service;

    let sent = 0;
    let bytes = 0;
    for (const [family, server] of [[4, '198.18.0.2'], [6, 'fd00::2']] as const) {
      const sock = client.stack.udp.open(family).bind(0);
      for (const size of [1, 512, 3000]) {
        const data = pattern(size, size + family);
        assert.ok(sock.send(data, server, 7));
        const m = await receive(sock, 5000);
        assert.ok(m !== null, `an echo of ${size} bytes over IPv${family}`);
        assert.equal(m.port, 7);
        assert.equal(m.address, server);
        assert.deepEqual(m.data, data);
        sent++;
        bytes += size;
      }
      for (const size of [100, 2000]) assert.ok(sock.send(pattern(size, 1), server, 9));
      assert.equal(await receive(sock, 300), null, 'discard answers nothing');
      sock.close();
    }
    assert.deepEqual([echo.counters.datagramsIn, echo.counters.datagramsOut, echo.counters.bytesIn, echo.counters.bytesOut], [sent, sent, bytes, bytes]);
    assert.deepEqual([discard.counters.datagramsIn, discard.counters.bytesIn, discard.counters.datagramsOut], [4, 2 * 2100, 0]);

    // A datagram from port 7 (another echo service, say) is not answered, and counted.
    const fromEcho = client.stack.udp.open(4).bind(7);
    assert.ok(fromEcho.send(pattern(10, 3), '198.18.0.2', 7));
    assert.equal(await receive(fromEcho, 300), null);
    assert.equal(echo.counters.refused, 1);
    fromEcho.close();
    // The services reach netstat.
    const netstat = tcpipOf(stacks, 'server')!.netstat() as { services?: Record<string, Record<string, number>> };
    assert.equal(netstat.services?.['echo *:7']?.['datagramsIn'], sent + 1);
  } finally {
    await Promise.all(services.map((s) => s.service.close()));
    await stacks.shutdown();
  }
  for (const h of stacks.hosts.values()) assertClean(h.runtime);
});
