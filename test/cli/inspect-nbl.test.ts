/**
 * `tsndis inspect --attach <socket> nbl <pool#slot>`: the recent events of one NBL of a running stack
 * with NBL history on — a receive NBL of host B shows its miniport allocating it and indicating it up;
 * an NBL that does not exist, and a stack without history, are clear errors (exit 2).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serveControl } from '../../src/cli/control.js';
import { createStacks, loadStackConfig } from '../../src/config/index.js';
import type { NblHistoryEvent } from '../../src/core/verifier/nbl-history.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { tsndis } from '../support/cli.js';

const CONFIG = `
wires:
  lab: {}
hosts:
  hostA:
    services:
      - { service: traffic, target: 198.18.14.2, port: 9, rate: 500, size: 200, count: 100000 }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.14.1/24], IPv6: false } }
  hostB:
    services:
      - { service: discard }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
        filters: [tsndis.counters]
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.14.2/24], IPv6: false } }
`;

for (const history of [true, false]) {
  test(`tsndis inspect nbl: ${history ? "a receive NBL's history through the stack" : 'without --nbl-history it says so'}`, { timeout: 60_000 }, async () => {
    const dir = fixtureDir();
    const stacks = await createStacks(await loadStackConfig(writeFixture(dir, 'inspect-nbl.yaml', CONFIG)), { addressTimeoutMs: 0, nblHistory: history });
    const sock = join(dir, 'control.sock');
    const server = await serveControl(stacks, sock);
    const rt = stacks.hosts.get('hostB')!.runtime;
    try {
      const rx = [...rt.pools].find((p) => p.name === 'hostB/eth0:rx')!;
      for (let i = 0; i < 100 && rx.allocations === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(rx.allocations > 0, 'traffic reached host B');
      const r = await tsndis('inspect', '--attach', sock, 'nbl', 'hostB/eth0:rx#0', '--json');
      if (!history) {
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^error: host 'hostB' keeps no NBL history \(run tsndis up --nbl-history\)\n$/);
        return;
      }
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as { host: string; nbl: string; history: NblHistoryEvent[] };
      assert.equal(j.host, 'hostB');
      const events = j.history.map((e) => `${e.event} ${e.module}${e.to === undefined ? '' : ` -> ${e.to}`}`);
      assert.equal(events.find((e) => e.startsWith('allocated')), 'allocated hostB/eth0');
      assert.ok(events.includes('indicated hostB/eth0 -> hostB/eth0/tsndis.counters'), events.join(' | '));
      const text = await tsndis('inspect', '--attach', sock, 'nbl', 'hostB/eth0:rx#0');
      assert.match(text.stdout, /^nbl hostB\/eth0:rx#0 \(host hostB\), oldest first\n/);
      assert.match(text.stdout, /indicated hostB\/eth0 → hostB\/eth0\/tsndis\.counters/);
      const missing = await tsndis('inspect', '--attach', sock, 'nbl', 'hostB/eth0:rx#999999');
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /^error: no NBL 'hostB\/eth0:rx#999999'/);
    } finally {
      await server.close();
      await stacks.close();
    }
  });
}
