/**
 * `tsndis inspect --attach <socket> nbl <pool#slot>` shows the parent/child link of a cloned NBL: a filter
 * attached over the control channel to a running stack sends clones of hostA's datagrams down; the
 * clone's history starts `cloned-from <the tcpip NBL>`, and that NBL's history says `cloned-into <the
 * clone>`, in the text and the JSON.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { controlRequest, serveControl } from '../../src/cli/control.js';
import { createStacks, loadStackConfig } from '../../src/config/index.js';
import type { NblHistoryEvent } from '../../src/core/verifier/nbl-history.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { cloneForwardFilter } from '../support/clone-forward.js';
import { tsndis } from '../support/cli.js';

const CONFIG = `
wires:
  lab: {}
hosts:
  hostA:
    services:
      - { service: traffic, target: 198.18.15.2, port: 9, rate: 40, size: 200, count: 40 }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.15.1/24], IPv6: false } }
  hostB:
    services:
      - { service: discard }
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lab }
        protocols:
          - { driver: tsndis.tcpip, keywords: { IPAddress: [198.18.15.2/24], IPv6: false } }
`;

const CLONER = 'hostA/eth0/test.clone-forward';

test('tsndis inspect nbl: a clone names its parent and the parent its clone', { timeout: 60_000 }, async () => {
  const dir = fixtureDir();
  const stacks = await createStacks(await loadStackConfig(writeFixture(dir, 'clone.yaml', CONFIG)), { addressTimeoutMs: 0, nblHistory: true });
  const sock = join(dir, 'control.sock');
  const server = await serveControl(stacks, sock);
  const rt = stacks.hosts.get('hostA')!.runtime;
  try {
    rt.registerDriver(cloneForwardFilter);
    const attached = await controlRequest(sock, { op: 'attach-filter', adapter: 'hostA/eth0', driver: cloneForwardFilter.name });
    assert.equal(attached.ok, true, JSON.stringify(attached));
    const clones = [...rt.pools].find((p) => p.name === `${CLONER}:clones`)!;
    for (let i = 0; i < 200 && clones.allocations < 10; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(clones.allocations >= 10, `datagrams went through the cloning filter: ${clones.allocations}`);
    // Let the datagram in flight finish, so the histories read below are complete.
    for (let i = 0; i < 100 && clones.inUse > 0; i++) await new Promise((r) => setTimeout(r, 10));

    const child = await tsndis('inspect', '--attach', sock, 'nbl', `${CLONER}:clones#0`, '--json');
    assert.equal(child.code, 0, child.stderr);
    const events = (JSON.parse(child.stdout) as { history: NblHistoryEvent[] }).history;
    const from = events.filter((e) => e.event === 'cloned-from').at(-1);
    assert.ok(from !== undefined, JSON.stringify(events));
    assert.equal(from.module, CLONER);
    assert.equal(from.how, 'clone');
    assert.match(from.nbl!, /^hostA\/eth0:tcpip-tx#\d+$/);
    // After it: sent down by the filter, completed back to it, freed by it.
    const after = events.slice(events.lastIndexOf(from) + 1).map((e) => `${e.event} ${e.module}`);
    assert.deepEqual(after, [`sent ${CLONER}`, 'completed hostA/eth0', `freed ${CLONER}`]);

    const parent = await tsndis('inspect', '--attach', sock, 'nbl', from.nbl!, '--json');
    assert.equal(parent.code, 0, parent.stderr);
    const into = (JSON.parse(parent.stdout) as { history: NblHistoryEvent[] }).history.filter((e) => e.event === 'cloned-into');
    assert.ok(into.some((e) => e.nbl === `${CLONER}:clones#0` && e.module === CLONER && e.how === 'clone'), JSON.stringify(into));

    const text = await tsndis('inspect', '--attach', sock, 'nbl', from.nbl!);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /cloned-into hostA\/eth0\/test\.clone-forward hostA\/eth0\/test\.clone-forward:clones#0 \(clone\)$/m);
  } finally {
    await server.close();
    await stacks.close();
  }
});
