/**
 * The inspector on a small fixed stack: the text tree against a golden file (set UPDATE_GOLDEN=1 to
 * rewrite it after an intended change), and the JSON model's structure. The stack runs on manual
 * clocks with fixed MAC addresses, so every byte of the output is reproducible.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { buildStacks, parseStackConfig, type BuiltStacks } from '../../src/config/index.js';
import { ManualScheduler } from '../../src/core/time/scheduler.js';
import { renderJson, renderText, snapshotRuntime, toJsonable, type RuntimeSnapshot } from '../../src/inspect/index.js';
import { BROADCAST, assertClean, frame, settle, uniqueWire } from '../support/hosts.js';

/** Every test here is bounded (the stacks settle in milliseconds; this only catches hangs). */
const TIMEOUT_MS = 60_000;

const GOLDEN = fileURLToPath(new URL('../../../test/inspect/golden/two-hosts.txt', import.meta.url));

const CONFIG = `
wires:
  wire0: {}
hosts:
  alpha:
    filters: [tsndis.counters, tsndis.monitor]
    protocols: [tsndis.raw]
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: wire0, NetworkAddress: 02-00-00-00-00-01, "*ReceiveBuffers": 64 }
  beta:
    protocols: [{ driver: tsndis.raw, keywords: { PacketFilter: 0x2b, SendPoolSize: 32 } }]
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: wire0, NetworkAddress: 02-00-00-00-00-02, "*ReceiveBuffers": 64 }
        filters: [tsndis.passthrough]
`;

/** Builds the fixed stack, sends alpha → beta 3 unicast frames and 1 broadcast, drains beta. */
async function fixedStack(): Promise<{ stacks: BuiltStacks; snapshots: RuntimeSnapshot[] }> {
  const d = await parseStackConfig(CONFIG, 'golden.yaml', '.');
  const stacks = await buildStacks(d, { wirePrefix: `${uniqueWire()}-`, scheduler: () => new ManualScheduler() });
  const alpha = stacks.hosts.get('alpha')!;
  const beta = stacks.hosts.get('beta')!;
  const src = alpha.runtime.adapter('eth0').general!.currentMacAddress;
  const dst = beta.runtime.adapter('eth0').general!.currentMacAddress;
  const tx = alpha.raw.endpoint('eth0');
  for (let i = 0; i < 3; i++) assert.ok(tx.send(frame(dst, src, 0x0800, 46, i)));
  assert.ok(tx.send(frame(BROADCAST, src, 0x0806, 28)));
  await settle();
  const rx = beta.raw.endpoint('eth0');
  let n = 0;
  while (rx.tryReceive() !== null) n++;
  assert.equal(n, 4);
  await settle();
  return { stacks, snapshots: [snapshotRuntime(alpha.runtime), snapshotRuntime(beta.runtime)] };
}

test('renderText: golden tree of a two-host stack', { timeout: TIMEOUT_MS }, async () => {
  const { stacks, snapshots } = await fixedStack();
  const text = renderText(snapshots);
  await stacks.shutdown();
  for (const h of stacks.hosts.values()) assertClean(h.runtime);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, text);
  assert.ok(existsSync(GOLDEN), `missing ${GOLDEN}: run with UPDATE_GOLDEN=1 to create it`);
  assert.equal(text, readFileSync(GOLDEN, 'utf8'));
  // And the same stack built again renders identically (nothing time- or run-dependent).
  const again = await fixedStack();
  assert.equal(renderText(again.snapshots), text);
  await again.stacks.shutdown();
});

test('renderJson: structure of the model', { timeout: TIMEOUT_MS }, async () => {
  const { stacks, snapshots } = await fixedStack();
  try {
    const parsed = JSON.parse(renderJson(snapshots)) as { hosts: RuntimeSnapshot[] };
    // JSON-able all the way down: parsing the output gives the model back unchanged.
    assert.deepEqual(parsed.hosts, snapshots);
    const [alpha, beta] = parsed.hosts;
    assert.equal(alpha!.host, 'alpha');
    assert.deepEqual(alpha!.verifier, { enabled: true, total: 0, byRule: {}, first: [] });
    assert.deepEqual(alpha!.drivers.map((d) => [d.name, d.kind]), [
      ['tsndis.counters', 'filter'], ['tsndis.monitor', 'filter'], ['tsndis.raw', 'protocol'], ['tsndis.virtual-wire', 'miniport'],
    ]);
    const a = alpha!.adapters[0]!;
    assert.equal(a.name, 'alpha/eth0');
    assert.equal(a.state, 'Running');
    assert.equal(a.mac, '02-00-00-00-00-01');
    assert.equal(a.mtu, 1500);
    assert.deepEqual(a.link, { connected: true, mediaConnectState: 'connected', duplex: 'full', xmitSpeedBps: 10e9, rcvSpeedBps: 10e9 });
    assert.equal(a.packetFilter, 0x0b);
    assert.deepEqual(a.packetFilterNames, ['DIRECTED', 'MULTICAST', 'BROADCAST']);
    assert.deepEqual(a.counters, { sent: 4, sendCompleted: 4, sendFailed: 0, received: 0, returned: 0, dropped: 0 });
    assert.deepEqual(a.outstanding, { sends: 0, receives: 0 });
    assert.deepEqual(a.filters.map((f) => [f.level, f.driver, f.type, f.class, f.above, f.state]), [
      [1, 'tsndis.monitor', 'monitoring', 'diagnostic', 'miniport', 'Running'],
      [2, 'tsndis.counters', 'modifying', 'diagnostic', null, 'Running'],
      [3, 'tsndis.monitor', 'monitoring', 'diagnostic', 'tsndis.counters', 'Running'],
    ]);
    assert.equal((a.filters[1]!.inspect as { sendNbls: number }).sendNbls, 4);
    assert.deepEqual(a.bindings.map((b) => [b.protocol, b.state, b.intermediate, b.counters.sent, b.counters.sendCompleted]), [['tsndis.raw', 'Running', false, 4, 4]]);
    const b = beta!.adapters[0]!;
    assert.equal(b.packetFilter, 0x2b);
    assert.deepEqual(b.bindings[0]!.outstanding, { sends: 0, receives: 0 });
    assert.equal(b.counters.received, 4);
    // The miniports' own statistics (NDIS_STATISTICS_INFO-like), from the driver's statistics() hook.
    assert.deepEqual(
      [a.statistics!['directedFramesXmit'], a.statistics!['broadcastFramesXmit'], a.statistics!['xmitOk'], a.statistics!['bytesXmit'], a.statistics!['rcvOk']],
      [3, 1, 4, 3 * 60 + 42, 0],
    );
    assert.deepEqual([b.statistics!['directedFramesRcv'], b.statistics!['broadcastFramesRcv'], b.statistics!['rcvOk'], b.statistics!['rcvNoBuffer'], b.statistics!['xmitOk']], [3, 1, 4, 0, 0]);
    assert.deepEqual(beta!.pools.map((p) => [p.name, p.kind, p.owner, p.capacity, p.inUse, p.exhausted]), [
      ['beta/eth0:raw-tx', 'NetBufferList', 'beta/eth0<-tsndis.raw', 32, 0, 0],
      ['beta/eth0:rx', 'NetBufferList', 'beta/eth0', 64, 0, 0],
    ]);
    assert.deepEqual(Object.keys(beta!.allocator), ['mappings', 'small', 'large', 'contextBlocks']);
  } finally {
    await stacks.shutdown();
  }
});

test('renderText: violations, failures and pending work are shown', () => {
  const base: RuntimeSnapshot = {
    host: 'x',
    verifier: { enabled: true, total: 12, byRule: { NblNotOwned: 11, TeardownLeak: 1 }, first: [{ rule: 'NblNotOwned', module: 'x/eth0', detail: 'sent an NBL it does not own', time: 5 }] },
    log: { logged: 40, suppressed: 3 },
    drivers: [],
    adapters: [],
    pools: [],
    allocator: { mappings: { capacity: 1, inUse: 0 }, small: { capacity: 1, inUse: 1 }, large: { capacity: 1, inUse: 0 }, contextBlocks: { capacity: 1, inUse: 0 } },
  };
  const text = renderText([base]);
  assert.match(text, /└── verifier on, 12 violations\n {7}NblNotOwned: 11\n {7}TeardownLeak: 1\n {7}\[NblNotOwned\] x\/eth0: sent an NBL it does not own\n {7}… 11 more\n$/);
  assert.match(text, /\(no pools\)/);
  assert.match(text, /^│ {2}log: 40 messages, 3 suppressed by the rate limit$/m);
  assert.match(text, /small 1\/1/);
  assert.match(renderText([{ ...base, verifier: { enabled: false, total: 0, byRule: {}, first: [] } }]), /└── verifier off\n$/);
});

test('toJsonable: what inspect() methods may return', () => {
  const cyclic: Record<string, unknown> = { n: 1n, big: 2n ** 70n, bytes: Uint8Array.of(1, 0xab), map: new Map([[1, new Set(['a'])]]), f: () => 1, u: undefined, inf: Infinity };
  cyclic['self'] = cyclic;
  assert.deepEqual(toJsonable(cyclic), { n: 1, big: '1180591620717411303424', bytes: '01ab', map: { 1: ['a'] }, u: null, inf: 'Infinity', self: '[circular]' });
});
