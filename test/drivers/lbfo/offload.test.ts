/**
 * tsndis.lbfo offload intersection (offload digest §1.7): a member with LSO and checksum offloads and
 * one without. The team advertises only what both have, so TCP above segments in software; when the
 * weaker member is removed the team re-indicates the larger set and TCP starts handing down LSO buffers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NDIS_ENCAPSULATION_NOT_SUPPORTED } from '../../../src/ndis/index.js';
import { assertClean } from '../../support/hosts.js';
import { pattern, readAll, sha256, teamLab } from './helpers.js';

const OFFLOADS = { '*LsoV2IPv4': 1, '*TCPChecksumOffloadIPv4': 3, '*IPChecksumOffloadIPv4': 3, '*UDPChecksumOffloadIPv4': 3 };

async function send(lab: Awaited<ReturnType<typeof teamLab>>, port: number, size: number, seed: number): Promise<void> {
  const data = pattern(size, seed);
  const got = new Promise<Buffer>((resolve, reject) => {
    const server = lab.net.host('p').tcpip.createServer((s) => {
      readAll(s).then((b) => {
        server.close();
        resolve(b);
      }, reject);
    });
    server.listen(port);
  });
  lab.net.host('t').tcpip.connect(port, '198.18.0.2').end(data);
  assert.equal(sha256(await got), sha256(data));
}

test('lbfo offloads: the team advertises the intersection; removing the weaker member re-indicates the larger set and LSO starts', { timeout: 60_000 }, async () => {
  // m2 (the active member) has offloads, m1 none: the intersection is none.
  const lab = await teamLab({ m2: OFFLOADS });
  const rts = ['t', 'sw', 'p'].map((h) => lab.net.host(h).runtime);
  try {
    const team = lab.team();
    const rt = lab.net.host('t').runtime;
    const deadline = Date.now() + 10_000;
    while (!team.linkUp || team.members.some((m) => !m.running)) {
      assert.ok(Date.now() < deadline);
      await new Promise((r) => setTimeout(r, 5));
    }
    const m2 = team.members.find((m) => m.shortName === 'm2')!;
    assert.notEqual(m2.currentOffload.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, 'm2 offers LSO');
    assert.equal(team.current!.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, 'the team does not');
    const teamMb = rt.adapter('t/team0');
    assert.equal(teamMb.offload.protocolCurrent.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, 'what the protocols see');
    const counters = lab.net.host('t').tcpip.stack.counters.tcp;
    await send(lab, 7001, 1 << 20, 7);
    assert.equal(counters.lsoSends, 0, 'no LSO while the weaker member is in the team');

    const before = team.offloadIndications;
    await rt.surpriseRemove('t/m1');
    assert.ok(team.offloadIndications > before, 'the larger set was indicated');
    assert.notEqual(team.current!.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED);
    assert.equal(team.current!.lsoV2.ipv4.maxOffLoadSize, m2.currentOffload.lsoV2.ipv4.maxOffLoadSize);
    assert.notEqual(teamMb.offload.protocolCurrent.lsoV2.ipv4.encapsulation, NDIS_ENCAPSULATION_NOT_SUPPORTED, 'the protocols were told');
    await send(lab, 7002, 1 << 20, 8);
    assert.ok(counters.lsoSends > 0, 'TCP above uses LSO again');
  } finally {
    await lab.close();
    for (const rt of rts) assertClean(rt);
  }
});
