/**
 * BuiltHost's typed accessors: `host.tcpip` is the host's TcpIpProtocol and `host.raw` its RawProtocol
 * (typed, no cast), `host.protocol(name)` any per-host driver object; asking for one the host does not
 * bind is an error naming the host and what it does bind. `stacks.host(name)` names the known hosts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStacks, parseStackConfig } from '../../src/config/index.js';
import { ManualScheduler } from '../../src/core/time/scheduler.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import { TcpIpProtocol } from '../../src/drivers/protocol/tcpip/index.js';
import { uniqueWire } from '../support/hosts.js';

const CONFIG = `
wires: { w: {} }
hosts:
  ip:
    protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24], IPv6: false } }]
    adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } } }
  plain:
    protocols: [tsndis.raw]
    adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } } }
`;

test('host.tcpip, host.raw and host.protocol(name) return the typed per-host driver objects', async () => {
  await using stacks = await buildStacks(await parseStackConfig(CONFIG, 'hosts.yaml', '.'), { wirePrefix: `${uniqueWire()}-`, scheduler: () => new ManualScheduler() });
  const ip: TcpIpProtocol = stacks.host('ip').tcpip;
  assert.ok(ip instanceof TcpIpProtocol);
  assert.equal(ip, stacks.hosts.get('ip')!.protocols.get('tsndis.tcpip'));
  assert.equal(ip.interface('eth0').name, 'eth0');
  const raw: RawProtocol = stacks.host('plain').raw;
  assert.ok(raw instanceof RawProtocol);
  assert.equal(stacks.host('plain').protocol('tsndis.raw'), raw);
  assert.equal(stacks.host('ip').name, 'ip');
});

test('asking a host for a protocol it does not bind, or for an unknown host, is a clear error', async () => {
  await using stacks = await buildStacks(await parseStackConfig(CONFIG, 'hosts.yaml', '.'), { wirePrefix: `${uniqueWire()}-`, scheduler: () => new ManualScheduler() });
  assert.throws(() => stacks.host('plain').tcpip, { message: "host 'plain' does not bind tsndis.tcpip (it binds: tsndis.raw)" });
  assert.throws(() => stacks.host('ip').raw, { message: "host 'ip' does not bind tsndis.raw (it binds: tsndis.tcpip)" });
  assert.throws(() => stacks.host('ip').protocol('fx.nope'), { message: "host 'ip' does not bind fx.nope (it binds: tsndis.tcpip)" });
  assert.throws(() => stacks.host('nope'), { message: "no host 'nope' (hosts: ip, plain)" });
});
