/**
 * tsndis.lbfo address-hash mode over an in-process switch: 8 TCP flows from fixed local ports (so the
 * hash, and the test, are deterministic) use both members, every flow's frames leave through exactly one
 * member, and when a member is surprise-removed mid-transfer the flows move to the other and finish
 * byte-exact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LbfoMember } from '../../../src/drivers/intermediate/lbfo/index.js';
import type { NetBufferList } from '../../../src/ndis/index.js';
import { assertClean } from '../../support/hosts.js';
import { pattern, readAll, sha256, teamLab } from './helpers.js';

const FLOWS = 8;

/** TCP source port of an Ethernet/IPv4/TCP frame (0 for anything else). */
function tcpSourcePort(nbl: NetBufferList): number {
  const nb = nbl.firstNetBuffer;
  if (nb === null) return 0;
  const b: number[] = [];
  let off = nb.currentMdlOffset;
  for (let m = nb.currentMdl; m !== null && b.length < 64; m = m.next) {
    for (let i = off; i < m.byteCount && b.length < 64; i++) b.push(m.bytes[m.byteOffset + i]!);
    off = 0;
  }
  if (b.length < 38 || b[12] !== 0x08 || b[13] !== 0x00 || b[23] !== 6) return 0;
  const l4 = 14 + (b[14]! & 0x0f) * 4;
  return (b[l4]! << 8) | b[l4 + 1]!;
}

/** Records, per TCP source port, the members whose binding sent its frames. */
function watch(members: readonly LbfoMember[]): Map<number, Set<string>> {
  const seen = new Map<number, Set<string>>();
  for (const m of members) {
    const send = m.ndis.sendNetBufferLists.bind(m.ndis);
    m.ndis.sendNetBufferLists = (nbls, port, flags) => {
      for (let n: NetBufferList | null = nbls; n !== null; n = n.next) {
        const sp = tcpSourcePort(n);
        if (sp === 0) continue;
        const s = seen.get(sp) ?? new Set<string>();
        seen.set(sp, s);
        s.add(m.shortName);
      }
      send(nbls, port, flags);
    };
  }
  return seen;
}

test('lbfo address hash: 8 flows spread over both members, each on exactly one; after a removal they finish on the other', { timeout: 90_000 }, async () => {
  const lab = await teamLab({ mode: 'AddressHash' });
  const rts = ['t', 'sw', 'p'].map((h) => lab.net.host(h).runtime);
  try {
    const team = lab.team();
    const deadline = Date.now() + 10_000;
    while (!team.linkUp || team.sendMembers.length < 2) {
      assert.ok(Date.now() < deadline, 'both members eligible');
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(team.linkSpeed, 20_000_000_000n, 'address hash: the speed is the sum of the members');
    const seen = watch(team.members);
    const size = 1 << 20;
    const p = lab.net.host('p').tcpip;
    const t = lab.net.host('t').tcpip;
    const received: Promise<Buffer>[] = [];
    const server = p.createServer((s) => received.push(readAll(s)));
    server.listen(6000);

    // Phase 1: all flows, both members.
    const data = Array.from({ length: FLOWS }, (_, i) => pattern(size, 100 + i));
    const clients = data.map((d, i) => {
      const c = t.connect({ host: '198.18.0.2', port: 6000, localPort: 41000 + i });
      c.write(d.subarray(0, size / 2));
      return c;
    });
    while (received.length < FLOWS) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 200));
    const phase1 = new Map([...seen].map(([k, v]) => [k, new Set(v)]));
    for (let i = 0; i < FLOWS; i++) {
      const members = phase1.get(41000 + i);
      assert.ok(members !== undefined, `flow ${i} was seen`);
      assert.equal(members.size, 1, `flow ${i} used exactly one member (${[...members].join(', ')})`);
    }
    const used = new Set([...phase1.values()].flatMap((s) => [...s]));
    assert.deepEqual([...used].sort(), ['m1', 'm2'], 'both members carry flows');
    const m1 = team.members.find((m) => m.shortName === 'm1')!;
    const m2 = team.members.find((m) => m.shortName === 'm2')!;
    assert.ok(m1.counters.sentNbls > 0 && m2.counters.sentNbls > 0);

    // Phase 2: m2 goes away; every flow finishes through m1.
    await lab.net.host('t').runtime.surpriseRemove('t/m2');
    seen.clear();
    clients.forEach((c, i) => {
      c.end(data[i]!.subarray(size / 2));
    });
    const got = await Promise.all(received);
    server.close();
    const bySha = new Set(data.map(sha256));
    for (const g of got) assert.ok(bySha.has(sha256(g)), 'every flow byte-exact');
    assert.equal(got.length, FLOWS);
    for (const [port, members] of seen) assert.deepEqual([...members], ['m1'], `flow from port ${port} moved to m1`);
    assert.deepEqual(team.sendMembers.map((m) => m.shortName), ['m1']);
  } finally {
    await lab.close();
    for (const rt of rts) assertClean(rt);
  }
});
