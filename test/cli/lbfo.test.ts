/**
 * `tsndis lbfo` against a running stack (a child process of the CLI on the control socket this test
 * serves): `show` prints the team, its members, roles, states and counters; `remove` and `add` change
 * the membership (seen from code); misuse exits 2, a request the stack refuses exits 1, each with one
 * `error:` line.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveControl } from '../../src/cli/control.js';
import { upTcpIp } from '../../src/cli/tcpip-hosts.js';
import { findTeam } from '../../src/drivers/intermediate/lbfo/index.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { tsndis } from '../support/cli.js';
import { uniqueWire } from '../support/hosts.js';

test('tsndis lbfo: show, remove and add a member of a live team; misuse and refusals', { timeout: 90_000 }, async () => {
  const [a, b, c] = [uniqueWire('cla'), uniqueWire('clb'), uniqueWire('clc')];
  const config = `
wires: { ${a}: {}, ${b}: {}, ${c}: {} }
hosts:
  t:
    adapters:
      m1: { driver: tsndis.virtual-wire, keywords: { Wire: ${a}, NetworkAddress: "02-00-00-00-2a-01" } }
      m2: { driver: tsndis.virtual-wire, keywords: { Wire: ${b}, NetworkAddress: "02-00-00-00-2a-02" } }
      team0: { protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: 198.18.8.1/24, IPv6: false } }] }
    intermediates:
      - { driver: tsndis.lbfo, lower: [m1, m2], upper: team0 }
  sw:
    adapters:
      a: { driver: tsndis.virtual-wire, keywords: { Wire: ${a} }, protocols: [tsndis.bridge] }
      b: { driver: tsndis.virtual-wire, keywords: { Wire: ${b} }, protocols: [tsndis.bridge] }
      c: { driver: tsndis.virtual-wire, keywords: { Wire: ${c} }, protocols: [tsndis.bridge] }
  p:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: ${c} }, protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: 198.18.8.2/24, IPv6: false } }] }
`;
  const dir = fixtureDir();
  const t = await upTcpIp(writeFixture(dir, 'lbfo.yaml', config), { family: 4 });
  const sock = join(dir, 'control.sock');
  const server = await serveControl(t.stacks, sock);
  try {
    const show = await tsndis('lbfo', '--attach', sock, 'show', 't/team0');
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^t\/team0: ActiveStandby, link up 10000 Mb\/s, active m1, failovers 0\n/);
    assert.match(show.stdout, /\n {2}m1\s+active\s+up\s+\d+/);
    assert.match(show.stdout, /\n {2}m2\s+standby\s+up\s+\d+/);

    const removed = await tsndis('lbfo', '--attach', sock, 'remove', 't/team0', 't/m1', '--json');
    assert.equal(removed.code, 0, removed.stderr);
    const r = JSON.parse(removed.stdout) as { active: string; failovers: number; members: { adapter: string }[] };
    assert.deepEqual([r.active, r.failovers, r.members.map((m) => m.adapter)], ['m2', 1, ['m2']]);
    assert.deepEqual(findTeam('t/team0')!.members.map((m) => m.shortName), ['m2']);

    const added = await tsndis('lbfo', '--attach', sock, 'add', 't/team0', 't/m1');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /\n {2}m1\s+standby\s+up/);

    const misuse = await tsndis('lbfo', '--attach', sock, 'frob', 't/team0');
    assert.equal(misuse.code, 2);
    assert.match(misuse.stderr, /^error: 'frob' is not show, add or remove\n$/);
    const noMember = await tsndis('lbfo', '--attach', sock, 'add', 't/team0');
    assert.equal(noMember.code, 2);
    const notTeam = await tsndis('lbfo', '--attach', sock, 'show', 't/m1');
    assert.equal(notTeam.code, 1);
    assert.match(notTeam.stderr, /^error: 't\/m1' is not a tsndis\.lbfo team adapter\n$/);
  } finally {
    await server.close();
    await t.shutdown();
  }
});
