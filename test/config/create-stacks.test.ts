/**
 * createStacks: the one call for the common case. From YAML text, a config object, a file path or a
 * loaded description it builds the hosts, starts their services and resolves once their addresses are
 * usable (IPv6 DAD done), so the first connect works; `close()` stops the services and shuts down.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createStacks, loadStackConfig, type RunningStacks, type StackConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { TsndisHttpAgent, type TcpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { uniqueWire } from '../support/hosts.js';

const TIMEOUT = { timeout: 60_000 };

function yaml(wire: string, extra = ''): string {
  return `
wires: { ${wire}: {} }
hosts:
  server:
    protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.2/24], IPv6Address: [fd00::2/64] } }]
    adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: ${wire} } } }
    services: [{ service: echo }${extra}]
  client:
    protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24], IPv6Address: [fd00::1/64] } }]
    adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: ${wire} } } }
`;
}

async function echo(socket: TcpSocket, text: string): Promise<string> {
  const parts: Buffer[] = [];
  socket.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise<void>((resolve, reject) => {
    socket.once('end', resolve);
    socket.once('error', reject);
  });
  socket.end(text);
  await ended;
  return Buffer.concat(parts).toString();
}

test('from YAML text: services run and IPv6 addresses are usable as soon as it resolves', TIMEOUT, async () => {
  const net = await createStacks(yaml(uniqueWire()));
  try {
    assert.deepEqual(
      net.services.map((s) => `${s.host}:${s.service.spec.service}`),
      ['server:echo'],
    );
    // DAD is over: the client's and the server's fd00:: addresses are preferred, so this connects at once.
    assert.equal(await echo(net.host('client').tcpip.connect({ host: 'fd00::2', port: 7 }), 'over IPv6'), 'over IPv6');
    assert.equal(await echo(net.host('client').tcpip.connect(7, '198.18.0.2'), 'over IPv4'), 'over IPv4');
  } finally {
    await net.close();
  }
  await net.close(); // idempotent
  assert.throws(() => net.host('nope'), /no host 'nope'/);
});

test('from an object, typed as StackConfig; `await using` closes it', TIMEOUT, async () => {
  const wire = uniqueWire();
  const config: StackConfig = {
    wires: { [wire]: {} },
    hosts: {
      a: { protocols: [{ driver: 'tsndis.tcpip', keywords: { IPAddress: ['198.18.0.1/24'], IPv6: false } }], adapters: { eth0: { driver: 'tsndis.virtual-wire', keywords: { Wire: wire } } } },
      b: { protocols: { driver: 'tsndis.tcpip', keywords: { IPAddress: '198.18.0.2/24', IPv6: false } }, adapters: { eth0: { driver: 'tsndis.virtual-wire', keywords: { Wire: wire } } } },
    },
  };
  let stacks: RunningStacks;
  {
    await using net = await createStacks(config);
    stacks = net;
    const server = net.host('b').tcpip.createServer((s) => s.pipe(s)).listen(9000);
    assert.equal(await echo(net.host('a').tcpip.connect(9000, '198.18.0.2'), 'object'), 'object');
    server.close();
    assert.equal(net.description.hosts.length, 2);
  }
  assert.equal(stacks.hosts.get('a')!.runtime.adapters.size, 0, 'disposed: the adapters are gone');
});

test('from a file path: relative paths (an http root) resolve against the file; from a loaded description', TIMEOUT, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-create-'));
  try {
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'index.html'), 'hello from the file\n');
    const file = join(dir, 'stack.yaml');
    writeFileSync(file, yaml(uniqueWire(), ', { service: http, root: ./www }'));
    const net = await createStacks(file);
    try {
      const agent = new TsndisHttpAgent(net.host('client').tcpip.sockets);
      const body = await new Promise<string>((resolve, reject) => {
        httpGet({ host: '198.18.0.2', path: '/', agent }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      agent.destroy();
      assert.equal(body, 'hello from the file\n');
      assert.equal(net.services.length, 2);
    } finally {
      await net.close();
    }
    writeFileSync(file, yaml(uniqueWire()));
    const again = await createStacks(await loadStackConfig(file));
    try {
      assert.equal(await echo(again.host('client').tcpip.connect(7, '198.18.0.2'), 'described'), 'described');
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad config rejects with a ConfigError and starts nothing; a missing file names it', TIMEOUT, async () => {
  await assert.rejects(createStacks('hosts:\n  h:\n    adaptors: {}\n'), (e: unknown) => e instanceof ConfigError && e.keyPath === 'hosts.h.adaptors');
  await assert.rejects(createStacks({ hosts: { h: { adapters: { eth0: { driver: 'tsndis.nope' } } } } }), (e: unknown) => e instanceof ConfigError && e.keyPath === 'hosts.h.adapters.eth0.driver');
  await assert.rejects(createStacks(join(tmpdir(), 'tsndis-no-such-config.yaml')), (e: unknown) => e instanceof ConfigError && /no such file/.test(e.message));
});
