/**
 * The TCP engine's stack-wide settings as keywords of tsndis.tcpip: a config that sets them changes the
 * running stack (the engine's config and the connections it opens); bad values, inconsistent pairs and
 * different values on two adapters of one host are ConfigErrors naming the key; a binding made from
 * code with a conflicting value fails to bind and leaves the engine as it was.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStacks } from '../../src/config/index.js';
import { DEFAULT_TCP_CONFIG, TcpIpProtocol, type TcpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { uniqueWire } from '../support/hosts.js';
import { expectConfigError, parse } from './helpers.js';

const host = (keywords: string, adapterKeywords = ''): string => `
wires: { w: {} }
hosts:
  h:
    protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24], IPv6: false${keywords} } }]
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w }${adapterKeywords} }
`;

test('TCP keywords in the config change the running stack: engine settings and the connections it opens', { timeout: 60_000 }, async () => {
  const yaml = `
wires: { w: {} }
hosts:
  server:
    protocols:
      - driver: tsndis.tcpip
        keywords: { IPAddress: [198.18.0.2/24], IPv6: false, TcpSendBufferSize: 65536, TcpReceiveBufferSize: 131072, TcpCongestion: newreno, TcpNoDelay: true, TcpRtoMinMs: 300, TcpSynCookies: false, TcpEphemeralPortMin: 50000, TcpEphemeralPortMax: 50010 }
    adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } } }
  client:
    protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24], IPv6: false, TcpSendBufferSize: 32768, TcpEphemeralPortMin: 40000, TcpEphemeralPortMax: 40000 } }]
    adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } } }
`;
  await using stacks = await buildStacks(await parse(yaml), { wirePrefix: `${uniqueWire()}-` });
  const server = stacks.host('server').tcpip;
  const client = stacks.host('client').tcpip;
  assert.equal(server.tcp.config.sendBufferSize, 65536);
  assert.equal(server.tcp.config.receiveBufferSize, 131072);
  assert.equal(server.tcp.config.congestion, 'newreno');
  assert.equal(server.tcp.config.noDelay, true);
  assert.equal(server.tcp.config.rtoMinMs, 300);
  assert.equal(server.tcp.config.synCookies, false);
  assert.equal(server.tcp.config.rtoInitialMs, DEFAULT_TCP_CONFIG.rtoInitialMs, 'a keyword left out keeps the default');
  assert.equal(client.tcp.config.sendBufferSize, 32768);

  const accepted = new Promise<TcpSocket>((resolve) => server.createServer(resolve).listen(7));
  const socket = client.connect({ host: '198.18.0.2', port: 7 });
  await new Promise((r) => socket.once('connect', r));
  const peer = await accepted;
  assert.equal(socket.localPort, 40000, 'the ephemeral port range applies');
  assert.equal(socket.wsk!.connection!.writableLength, 32768, 'the client connection has the configured send ring');
  assert.equal(peer.wsk!.connection!.writableLength, 65536, 'the accepted connection has the server host’s send ring');
  assert.equal(peer.wsk!.connection!.info().congestion, 'newreno');
  assert.equal(socket.wsk!.connection!.info().congestion, 'cubic');
  socket.destroy();
  peer.destroy();
});

test('bad TCP keyword values are ConfigErrors naming the key', async () => {
  const at = 'hosts.h.protocols[0].keywords';
  await expectConfigError(host(', TcpSendBufferSize: 100'), `${at}.TcpSendBufferSize`, /100 is out of range 1024\.\.1073741824/);
  await expectConfigError(host(', TcpCongestion: vegas'), `${at}.TcpCongestion`, /'vegas' is not one of 'cubic', 'newreno', 'bbr', 'bbr1'/);
  await expectConfigError(host(', TcpNoDelay: maybe'), `${at}.TcpNoDelay`, /expected true or false/);
  await expectConfigError(host(', TcpMaxOutOfOrderRanges: 16385'), `${at}.TcpMaxOutOfOrderRanges`, /out of range 1\.\.16384/);
  await expectConfigError(host(', TcpRtoMinMs: 5000'), `${at}.TcpRtoMinMs`, /5000 is above TcpRtoInitialMs \(1000, its default\)/);
  await expectConfigError(host(', TcpRtoInitialMs: 100'), `${at}.TcpRtoInitialMs`, /100 is below TcpRtoMinMs \(200, its default\)/);
  await expectConfigError(host(', TcpRtoMinMs: 500, TcpRtoInitialMs: 400'), `${at}.TcpRtoInitialMs`, /400 is below TcpRtoMinMs \(500\)/);
  await expectConfigError(host(', TcpEphemeralPortMin: 60000, TcpEphemeralPortMax: 50000'), `${at}.TcpEphemeralPortMax`, /50000 is below TcpEphemeralPortMin \(60000\)/);
  await expectConfigError(host(', TcpSedBufferSize: 1'), `${at}.TcpSedBufferSize`, /unknown keyword 'TcpSedBufferSize'/);
});

test('buffer and memory keywords: the autotuning range, the stack-wide ceiling, the pool; inconsistent ones name the key', async () => {
  const yaml = host(
    ', TcpReceiveBufferMin: 8192, TcpReceiveBufferMax: 1048576, TcpSendBufferMax: 262144, TcpReceiveBufferAutotuning: false, TcpMemoryLow: 1000000, TcpMemoryPressure: 2000000, TcpMemoryHigh: 3000000, TcpBufferIdleMs: 250, TcpBufferPoolMaxBytes: 0, TcpBufferPoolIdleMs: 500',
  );
  await using stacks = await buildStacks(await parse(yaml), { wirePrefix: `${uniqueWire()}-` });
  const c = stacks.host('h').tcpip.tcp.config;
  assert.deepEqual(
    [c.receiveBufferMin, c.receiveBufferSize, c.receiveBufferMax, c.sendBufferMin, c.sendBufferSize, c.sendBufferMax, c.receiveBufferAutotuning, c.sendBufferAutotuning],
    [8192, DEFAULT_TCP_CONFIG.receiveBufferSize, 1048576, DEFAULT_TCP_CONFIG.sendBufferMin, DEFAULT_TCP_CONFIG.sendBufferSize, 262144, false, true],
  );
  assert.deepEqual([c.memoryLow, c.memoryPressure, c.memoryHigh, c.bufferIdleMs, c.bufferPoolMaxBytes, c.bufferPoolIdleMs], [1000000, 2000000, 3000000, 250, 0, 500]);
  // A max below the default size takes the size with it.
  const small = await buildStacks(await parse(host(', TcpReceiveBufferMax: 65536')), { wirePrefix: `${uniqueWire()}-` });
  assert.equal(small.host('h').tcpip.tcp.config.receiveBufferSize, 65536);
  await small.shutdown();
  const at = 'hosts.h.protocols[0].keywords';
  await expectConfigError(host(', TcpReceiveBufferMin: 65536, TcpReceiveBufferMax: 32768'), `${at}.TcpReceiveBufferMax`, /32768 is below TcpReceiveBufferMin \(65536\)/);
  await expectConfigError(host(', TcpSendBufferMax: 2048'), `${at}.TcpSendBufferMax`, /2048 is below TcpSendBufferMin \(4096, its default\)/);
  await expectConfigError(host(', TcpMemoryLow: 1000, TcpMemoryPressure: 5000, TcpMemoryHigh: 4000'), `${at}.TcpMemoryHigh`, /4000 is below TcpMemoryPressure \(5000\)/);
  await expectConfigError(host(', TcpReceiveBufferSize: 4096, TcpReceiveBufferMin: 8192'), `${at}.TcpReceiveBufferSize`, /receiveBufferSize must be in \[8192, /);
  await expectConfigError(host(', TcpBufferIdleMs: 0'), `${at}.TcpBufferIdleMs`, /out of range 1\.\./);
});

test('a stack-wide keyword given differently on two adapters of a host is a ConfigError at the second', async () => {
  const yaml = `
hosts:
  h:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        protocols: [{ driver: tsndis.tcpip, keywords: { TcpSendBufferSize: 65536 } }]
      eth1:
        driver: tsndis.virtual-wire
        protocols: [{ driver: tsndis.tcpip, keywords: { TcpSendBufferSize: 131072 } }]
`;
  await expectConfigError(yaml, 'hosts.h.adapters.eth1.protocols[0].keywords.TcpSendBufferSize', /setting of the whole host.*131072 here but 65536 at hosts\.h\.adapters\.eth0\.protocols\[0\]\.keywords\.TcpSendBufferSize/);
  // The same value twice, or on one adapter only, is fine.
  await parse(yaml.replace('131072', '65536'));
  await parse(yaml.replace('{ TcpSendBufferSize: 131072 }', '{}'));
});

test('from code: a binding with a conflicting stack-wide value fails to bind and leaves the engine unchanged', async () => {
  const logs: string[] = [];
  const rt = new NdisRuntime({ name: 'code', logger: (level, source, msg) => logs.push(`${level} ${source}: ${msg}`) });
  const wire = uniqueWire();
  try {
    rt.registerDriver(virtualWireMiniport);
    const ip = new TcpIpProtocol({ seed: 1 });
    rt.registerDriver(ip.characteristics);
    for (const a of ['eth0', 'eth1']) await rt.addAdapter({ name: a, driver: 'tsndis.virtual-wire', keywords: { Wire: wire } });
    await rt.bindProtocol('eth0', 'tsndis.tcpip', { TcpSendBufferSize: 65536 });
    assert.equal(ip.tcp.config.sendBufferSize, 65536);
    await assert.rejects(rt.bindProtocol('eth1', 'tsndis.tcpip', { TcpSendBufferSize: 131072 }));
    assert.equal(ip.tcp.config.sendBufferSize, 65536);
    assert.ok(logs.some((l) => /TcpSendBufferSize is 131072 here but 65536 on code\/eth0/.test(l)), logs.join('\n'));
    await rt.bindProtocol('eth1', 'tsndis.tcpip', { TcpSendBufferSize: 65536, TcpDelayedAckMs: 10 });
    assert.equal(ip.tcp.config.delayedAckMs, 10);
    // Once no binding holds a value any more, a new binding may set another.
    await rt.unbindProtocol('eth0', 'tsndis.tcpip');
    await assert.rejects(rt.bindProtocol('eth0', 'tsndis.tcpip', { TcpSendBufferSize: 131072 }), 'eth1 still holds 65536');
    await rt.unbindProtocol('eth1', 'tsndis.tcpip');
    await rt.bindProtocol('eth0', 'tsndis.tcpip', { TcpSendBufferSize: 131072 });
    assert.equal(ip.tcp.config.sendBufferSize, 131072);
  } finally {
    await rt.shutdown();
  }
});

for (const congestion of ['bbr', 'bbr1'] as const) {
  test(`TcpCongestion: ${congestion} selects it for the stack and the connections it opens`, async () => {
    const rt = new NdisRuntime({ name: congestion, logger: () => {} });
    try {
      rt.registerDriver(virtualWireMiniport);
      const ip = new TcpIpProtocol({ seed: 1 });
      rt.registerDriver(ip.characteristics);
      await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: uniqueWire() } });
      await rt.bindProtocol('eth0', 'tsndis.tcpip', { TcpCongestion: congestion });
      assert.equal(ip.tcp.config.congestion, congestion);
    } finally {
      await rt.shutdown();
    }
  });
}
