/**
 * tsndis.tcpip from configuration: the example config loads (keywords validated and normalized by the
 * loader), builds with the built-in driver, the hosts ping and exchange UDP, routes and static
 * neighbours from keywords apply, `stack show` renders the stack; bad keyword values are config errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildStacks, loadStackConfig, parseStackConfig } from '../../src/config/index.js';
import { ManualScheduler } from '../../src/core/time/scheduler.js';
import type { TcpIpProtocol } from '../../src/drivers/protocol/tcpip/index.js';
import { renderText, snapshotRuntime } from '../../src/inspect/index.js';
import { EXAMPLES } from '../config/helpers.js';
import { assertClean } from '../support/hosts.js';
import { wireName } from './helpers.js';

test('config: examples/tcpip.yaml builds two hosts that ping and exchange UDP', { timeout: 60_000 }, async () => {
  const d = await loadStackConfig(join(EXAMPLES, 'tcpip.yaml'));
  const stacks = await buildStacks(d, { wirePrefix: `${wireName('cfg')}-`, scheduler: () => new ManualScheduler() });
  const hostA = stacks.hosts.get('hostA')!;
  const hostB = stacks.hosts.get('hostB')!;
  const a = hostA.protocols.get('tsndis.tcpip') as TcpIpProtocol;
  const b = hostB.protocols.get('tsndis.tcpip') as TcpIpProtocol;
  await a.whenBound('eth0');
  const clocks = [hostA.runtime.scheduler, hostB.runtime.scheduler] as ManualScheduler[];
  const pump = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 10) {
      for (const c of clocks) c.advance(10);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
  };
  await pump(1100);
  // The static route sends 203.0.113.0/24 through B, which owns 203.0.113.1.
  const r = a.stack.ping('203.0.113.1');
  await pump(50);
  assert.equal((await r).received, 1);
  const r6 = a.stack.ping('fd00::2');
  await pump(50);
  assert.equal((await r6).received, 1);
  const sock = b.stack.udp.open(4).bind(9);
  a.stack.udp.open(4).send(new Uint8Array([1, 2, 3]), '198.18.0.2', 9);
  await pump(20);
  assert.equal(sock.queued, 1);
  sock.close();
  // B never had to resolve A: the neighbour is static.
  assert.equal(b.stack.counters.arp.outRequests, 0);
  const text = renderText([snapshotRuntime(hostA.runtime), snapshotRuntime(hostB.runtime)]);
  assert.match(text, /ipv4=\[198\.18\.0\.2\/24,203\.0\.113\.1\/24\]/);
  assert.match(text, /198\.18\.0\.1 02:00:00:00:00:0a PERMANENT/);
  await stacks.shutdown();
  assertClean(hostA.runtime);
  assertClean(hostB.runtime);
});

test('config: keyword values of the wrong type are rejected with the key path; a single string for a list is accepted', async () => {
  const base = (kw: string): string => `
wires: { w: {} }
hosts:
  h:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: w }
        protocols: [ { driver: tsndis.tcpip, keywords: ${kw} } ]
`;
  await assert.rejects(parseStackConfig(base('{ Mtu: big }'), 'bad.yaml', '.'), /bad\.yaml: .*Mtu.*expected an integer/);
  await assert.rejects(parseStackConfig(base('{ Dad: maybe }'), 'bad.yaml', '.'), /Dad.*true or false/);
  await assert.rejects(parseStackConfig(base('{ IpAddress: [1.2.3.4/8] }'), 'bad.yaml', '.'), /did you mean 'IPAddress'/);
  const ok = await parseStackConfig(base('{ IPAddress: 198.18.0.1/24 }'), 'ok.yaml', '.');
  const p = ok.hosts[0]!.adapters[0]!.effectiveProtocols[0]!;
  assert.deepEqual(p.keywords['IPAddress'], ['198.18.0.1/24']);
});
