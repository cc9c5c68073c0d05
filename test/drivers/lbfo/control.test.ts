/**
 * tsndis.lbfo members removed and added at run time through the control operation (`tsndis lbfo`):
 * removing the active member fails over with TCP byte-exact, adding it back makes it a standby member
 * that gets the team's packet filter; bad requests are clear errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controlLbfo } from '../../../src/cli/control-ops.js';
import { renderTeam } from '../../../src/cli/commands/lbfo.js';
import { NDIS_PACKET_TYPE_PROMISCUOUS, NDIS_STATUS_SUCCESS, OID_GEN_STATISTICS, statisticsCodec } from '../../../src/ndis/index.js';
import { assertClean } from '../../support/hosts.js';
import { pattern, readAll, sha256, teamLab } from './helpers.js';

test('lbfo control: remove the active member mid-transfer, add it back; show renders the team', { timeout: 60_000 }, async () => {
  const lab = await teamLab();
  const rts = ['t', 'sw', 'p'].map((h) => lab.net.host(h).runtime);
  try {
    const rt = lab.net.host('t').runtime;
    const team = lab.team();
    const deadline = Date.now() + 10_000;
    while (!team.linkUp) {
      assert.ok(Date.now() < deadline);
      await new Promise((r) => setTimeout(r, 5));
    }
    const shown = await controlLbfo(rt, { op: 'lbfo', team: 't/team0', action: 'show' });
    assert.deepEqual((shown['members'] as { adapter: string; role: string }[]).map((m) => [m.adapter, m.role]), [['m1', 'active'], ['m2', 'standby']]);
    assert.match(renderTeam(shown), /t\/team0: ActiveStandby, link up 10000 Mb\/s, active m1, failovers 0\n/);

    const size = 2 << 20;
    const data = pattern(size, 3);
    const got = new Promise<Buffer>((resolve, reject) => {
      const server = lab.net.host('p').tcpip.createServer((s) => {
        readAll(s).then((b) => {
          server.close();
          resolve(b);
        }, reject);
      });
      server.listen(5002);
    });
    const c = lab.net.host('t').tcpip.connect(5002, '198.18.0.2');
    c.write(data.subarray(0, size / 2));
    const removed = await controlLbfo(rt, { op: 'lbfo', team: 't/team0', action: 'remove', member: 't/m1' });
    assert.equal(removed['active'], 'm2');
    c.end(data.subarray(size / 2));
    assert.equal(sha256(await got), sha256(data), 'byte-exact across the removal');

    const added = await controlLbfo(rt, { op: 'lbfo', team: 't/team0', action: 'add', member: 't/m1' });
    assert.deepEqual((added['members'] as { adapter: string; role: string }[]).map((m) => [m.adapter, m.role]), [['m2', 'active'], ['m1', 'standby']]);
    // The team keeps its MAC (m1's) for its life, so m1 is back on the team's own address.
    const m1 = rt.adapter('t/m1').bindings.find((b) => b.protocol.name === 'tsndis.lbfo')!;
    assert.ok(m1.packetFilter !== 0, 'the team packet filter was replayed to the new member');
    const m2 = rt.adapter('t/m2').bindings.find((b) => b.protocol.name === 'tsndis.lbfo')!;
    assert.equal(m2.packetFilter & NDIS_PACKET_TYPE_PROMISCUOUS, NDIS_PACKET_TYPE_PROMISCUOUS, 'a member with a MAC of its own is promiscuous');

    // OID_GEN_STATISTICS on the team is the sum of the members'.
    const stats = async (a: string) => {
      const q = await rt.query(a, OID_GEN_STATISTICS, 512);
      assert.equal(q.status, NDIS_STATUS_SUCCESS, a);
      return q.request.queryResult(statisticsCodec)!;
    };
    const [ts, s1, s2] = [await stats('t/team0'), await stats('t/m1'), await stats('t/m2')];
    for (const k of ['ifHCInOctets', 'ifHCInUcastPkts', 'ifHCOutOctets', 'ifHCOutUcastPkts', 'ifHCOutBroadcastPkts'] as const) assert.equal(ts[k], s1[k] + s2[k], `${k} summed`);
    assert.ok(ts.ifHCOutOctets > BigInt(size), 'the transfer is in the sum');

    await assert.rejects(controlLbfo(rt, { op: 'lbfo', team: 't/m1', action: 'show' }), /'t\/m1' is not a tsndis\.lbfo team adapter/);
    await assert.rejects(controlLbfo(rt, { op: 'lbfo', team: 't/team0', action: 'remove', member: 't/nope' }), /no adapter 't\/nope'/);
    await assert.rejects(controlLbfo(rt, { op: 'lbfo', team: 't/team0', action: 'add', member: 't/m2' }), /already bound/);
  } finally {
    await lab.close();
    for (const rt of rts) assertClean(rt);
  }
});
