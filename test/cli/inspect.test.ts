/**
 * `tsndis inspect` against a running stack: the views show what the stack holds — per-object views of
 * a miniport, a filter module and a binding; pools with their high-water mark and an allocation rate
 * that is non-zero while traffic runs; the OIDs an adapter completed (with who answered and the status)
 * and one the miniport holds pending while the test keeps it from completing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveControl } from '../../src/cli/control.js';
import { createStacks, loadStackConfig } from '../../src/config/index.js';
import type { VirtualWireAdapter } from '../../src/drivers/miniport/virtual-wire/index.js';
import { NDIS_STATUS_PENDING, NdisOidRequest, OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_LINK_STATE, type NdisOidRequest as Request, type NdisStatus } from '../../src/ndis/index.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { tsndis } from '../support/cli.js';

const CONFIG = `
wires:
  lab: {}
hosts:
  hostA:
    services:
      - { service: traffic, target: 198.18.13.2, port: 9, rate: 500, size: 200, count: 100000 }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
        filters: [tsndis.counters]
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.13.1/24], IPv6: false } }
  hostB:
    services:
      - { service: discard }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.13.2/24], IPv6: false } }
`;

test('tsndis inspect: object views, pools with high water and allocation rate, OIDs pending and completed', { timeout: 60_000 }, async () => {
  const dir = fixtureDir();
  const stacks = await createStacks(await loadStackConfig(writeFixture(dir, 'inspect.yaml', CONFIG)), { addressTimeoutMs: 0 });
  const sock = join(dir, 'control.sock');
  const server = await serveControl(stacks, sock);
  const rt = stacks.hosts.get('hostB')!.runtime;
  try {
    const adapter = await tsndis('inspect', '--attach', sock, 'adapter', 'hostA/eth0', '--json');
    assert.equal(adapter.code, 0, adapter.stderr);
    const a = JSON.parse(adapter.stdout) as { name: string; state: string; filters: { name: string }[]; bindings: { name: string }[]; inspect: { wire: unknown } };
    assert.equal(a.name, 'hostA/eth0');
    assert.equal(a.state, 'Running');
    assert.deepEqual(a.filters.map((f) => f.name), ['hostA/eth0/tsndis.counters']);
    assert.ok(a.inspect.wire !== undefined, "the driver's own figures");
    const text = await tsndis('inspect', '--attach', sock, 'adapter', 'hostA/eth0');
    assert.match(text.stdout, /^adapter hostA\/eth0\n/);
    assert.match(text.stdout, /\n {2}state Running\n/);
    const filter = await tsndis('inspect', '--attach', sock, 'filter', 'hostA/eth0/tsndis.counters', '--json');
    assert.equal((JSON.parse(filter.stdout) as { driver: string }).driver, 'tsndis.counters');
    const binding = await tsndis('inspect', '--attach', sock, 'binding', 'hostB/eth0<-tsndis.tcpip', '--json');
    assert.equal((JSON.parse(binding.stdout) as { protocol: string }).protocol, 'tsndis.tcpip');
    const missing = await tsndis('inspect', '--attach', sock, 'filter', 'nope');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no filter 'nope' \(filter modules: hostA\/eth0\/tsndis\.counters\)/);

    // Pools while 500 datagrams/s flow from A to B.
    const pools = await tsndis('inspect', '--attach', sock, 'pools', '--interval', '0.5', '--json');
    assert.equal(pools.code, 0, pools.stderr);
    const rows = JSON.parse(pools.stdout) as { host: string; name: string; capacity: number; inUse: number; highWater: number; allocationsPerSecond: number }[];
    const rx = rows.find((p) => p.name === 'hostB/eth0:rx')!;
    assert.ok(rx.allocationsPerSecond > 0, `hostB's receive pool allocates under traffic: ${rx.allocationsPerSecond}/s`);
    for (const p of rows) assert.ok(p.highWater >= p.inUse && p.highWater <= p.capacity, `${p.name}: high water ${p.highWater}`);
    assert.ok(rx.highWater > 0);

    // OIDs: one the miniport answers, one NDIS answers from its cache, one the miniport holds pending.
    await rt.query('hostB/eth0', OID_GEN_CURRENT_PACKET_FILTER, 4);
    await rt.query('hostB/eth0', OID_GEN_LINK_STATE, 1024);
    const mp = rt.adapter('hostB/eth0').instance as VirtualWireAdapter & { oidRequest(r: Request): NdisStatus };
    const real = mp.oidRequest.bind(mp);
    let held: Request | null = null;
    mp.oidRequest = (r: Request): NdisStatus => {
      held = r;
      return NDIS_STATUS_PENDING;
    };
    const pending = rt.oid('hostB/eth0', NdisOidRequest.query(OID_GEN_CURRENT_PACKET_FILTER, 4));
    try {
      const oids = await tsndis('inspect', '--attach', sock, 'oids', '--json');
      const b = (JSON.parse(oids.stdout) as { adapter: string; pending: { oid: string; where: string }[]; recent: { oid: string; status: string; answeredBy: string }[] }[]).find((x) => x.adapter === 'hostB/eth0')!;
      assert.deepEqual(b.pending.map((p) => [p.oid, p.where]), [['OID_GEN_CURRENT_PACKET_FILTER', 'in-flight']]);
      assert.ok(b.recent.some((r) => r.oid === 'OID_GEN_CURRENT_PACKET_FILTER' && r.status === 'NDIS_STATUS_SUCCESS' && r.answeredBy === 'miniport'), JSON.stringify(b.recent));
      assert.ok(b.recent.some((r) => r.oid === 'OID_GEN_LINK_STATE' && r.answeredBy === 'ndis'), JSON.stringify(b.recent));
      const oidText = await tsndis('inspect', '--attach', sock, 'oids');
      assert.match(oidText.stdout, /hostB\/eth0: 1 pending, \d+ completed\n/);
    } finally {
      // The held request completes as the miniport would have (shutdown waits for it otherwise).
      mp.oidRequest = real;
      const h = held as Request | null;
      if (h !== null) rt.adapter('hostB/eth0').oidRequestComplete(h, real(h));
    }
    await pending;
  } finally {
    await server.close();
    await stacks.close();
  }
});
