/**
 * tsndis.lbfo active/standby over an in-process switch (no root): TCP through the team stays byte-exact
 * while the active member's link goes down, or the member adapter is surprise-removed, mid-transfer;
 * the team's link state follows its members; the switch learns the team's port from the announcement.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualWire } from '../../../src/drivers/miniport/virtual-wire/wire.js';
import { assertClean } from '../../support/hosts.js';
import { pattern, readAll, sha256, teamLab } from './helpers.js';

const TIMEOUT = { timeout: 60_000 };

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Sends `size` bytes from t to p, calling `midway` once half of it has arrived; returns what p received. */
async function transfer(lab: Awaited<ReturnType<typeof teamLab>>, size: number, midway: () => Promise<void> | void, seed: number): Promise<{ sent: Buffer; got: Buffer }> {
  const data = pattern(size, seed);
  let received = 0;
  let fired = false;
  let midwayDone: Promise<void> = Promise.resolve();
  const got = new Promise<Buffer>((resolve, reject) => {
    const server = lab.net.host('p').tcpip.createServer((s) => {
      s.on('data', (d: Buffer) => {
        received += d.length;
        if (!fired && received >= size / 2) {
          fired = true;
          midwayDone = Promise.resolve(midway());
        }
      });
      readAll(s).then((b) => {
        server.close();
        resolve(b);
      }, reject);
    });
    server.listen(5001);
  });
  const c = lab.net.host('t').tcpip.connect(5001, '198.18.0.2');
  c.end(data);
  const b = await got;
  await midwayDone;
  return { sent: data, got: b };
}

test('lbfo active/standby: link down on the active member mid-transfer fails over; TCP byte-exact; team link stays up', TIMEOUT, async () => {
  const lab = await teamLab();
  try {
    const team = lab.team();
    await until('team link up', () => team.linkUp);
    assert.equal(team.active?.shortName, 'm1');
    assert.equal(team.linkSpeed, 10_000_000_000n, 'active/standby: the speed of the one active member');
    const linkIndicationsBefore = team.linkIndications;
    const { sent, got } = await transfer(lab, 4 << 20, () => VirtualWire.named(lab.wires.a).setLink(false), 1);
    assert.equal(sha256(got), sha256(sent), 'byte-exact after failover');
    assert.equal(team.active?.shortName, 'm2');
    assert.equal(team.failovers, 1);
    assert.equal(team.failoverLog[0]!.from, 'm1');
    assert.equal(team.failoverLog[0]!.to, 'm2');
    assert.ok(team.failoverLog[0]!.gapMs !== null, 'the gap to the first frame on the new member was measured');
    assert.equal(team.linkUp, true, 'the team stays up while a member is up');
    assert.equal(team.linkIndications, linkIndicationsBefore, 'speed and state unchanged: no link indication');
    const m1 = team.members.find((m) => m.shortName === 'm1')!;
    const m2 = team.members.find((m) => m.shortName === 'm2')!;
    assert.equal(m2.counters.announcements, 1, 'one announcement on the new member');
    assert.ok(m1.counters.sentNbls > 100 && m2.counters.sentNbls > 100, `both members carried the transfer (m1 ${m1.counters.sentNbls}, m2 ${m2.counters.sentNbls})`);
    assert.equal(lab.net.host('t').runtime.verifier.enabled, true);
    // Both members down: the team indicates link down; one back: up again.
    VirtualWire.named(lab.wires.b).setLink(false);
    await until('team link down', () => !team.linkUp);
    assert.equal(team.linkIndications, linkIndicationsBefore + 1);
    VirtualWire.named(lab.wires.a).setLink(true);
    await until('team link up again', () => team.linkUp);
    assert.equal(team.active?.shortName, 'm1');
    assert.equal(team.linkIndications, linkIndicationsBefore + 2);
    VirtualWire.named(lab.wires.b).setLink(true);
  } finally {
    const rts = ['t', 'sw', 'p'].map((h) => lab.net.host(h).runtime);
    await lab.close();
    for (const rt of rts) assertClean(rt);
  }
});

test('lbfo active/standby: surprise removal of the active member mid-transfer; TCP byte-exact; pools full', TIMEOUT, async () => {
  const lab = await teamLab();
  try {
    const team = lab.team();
    await until('team link up', () => team.linkUp);
    const rt = lab.net.host('t').runtime;
    const { sent, got } = await transfer(lab, 4 << 20, () => rt.surpriseRemove('t/m1'), 2);
    assert.equal(sha256(got), sha256(sent));
    assert.deepEqual(team.members.map((m) => m.shortName), ['m2']);
    assert.equal(team.active?.shortName, 'm2');
    assert.equal(rt.adapter('t/team0').state, 'Running', 'the team adapter outlives the member that created it');
  } finally {
    const rts = ['t', 'sw', 'p'].map((h) => lab.net.host(h).runtime);
    await lab.close();
    for (const rt of rts) assertClean(rt);
  }
});

test('examples/lbfo.yaml: the team pings and echoes through the switch; the stack tree shows the team and its members', TIMEOUT, async () => {
  const { createStacks } = await import('../../../src/config/index.js');
  const { snapshotRuntime } = await import('../../../src/inspect/index.js');
  const { uniqueWire: unique } = await import('../../support/hosts.js');
  const { EXAMPLES } = await import('../../config/helpers.js');
  const { join } = await import('node:path');
  const prefix = `${unique('lbx')}-`;
  const net = await createStacks(join(EXAMPLES, 'lbfo.yaml'), { wirePrefix: prefix });
  const rts = [...net.hosts.values()].map((h) => h.runtime);
  try {
    const data = pattern(64 << 10, 9);
    const c = net.host('team').tcpip.connect(7, '198.18.7.2');
    const back = readAll(c);
    c.end(data);
    assert.equal(sha256(await back), sha256(data));
    const team = snapshotRuntime(net.host('team').runtime).adapters.find((a) => a.name === 'team/team0')!;
    const inspect = team.inspect as { mode: string; active: string; members: { adapter: string; role: string; state: string; sentNbls: number }[] };
    assert.equal(inspect.mode, 'ActiveStandby');
    assert.equal(inspect.active, 'm1');
    assert.deepEqual(inspect.members.map((m) => [m.adapter, m.role, m.state]), [['m1', 'active', 'up'], ['m2', 'standby', 'up']]);
    assert.ok(inspect.members[0]!.sentNbls > 0);
    assert.ok((team.statistics as Record<string, number>)['sentNbls']! > 0, 'member counters reach the statistics');
  } finally {
    await net.close();
    for (const w of ['lbfo-a', 'lbfo-b', 'lbfo-c']) VirtualWire.release(prefix + w);
  }
  for (const rt of rts) assertClean(rt);
});
