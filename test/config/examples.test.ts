/**
 * The example configs in examples/ load, build and run: two hosts exchanging frames through counting
 * and monitoring filters, and a filter driver written in plain JavaScript loaded by module path.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildStacks, loadStackConfig } from '../../src/config/index.js';
import { ManualScheduler } from '../../src/core/time/scheduler.js';
import { renderText, snapshotRuntime } from '../../src/inspect/index.js';
import { BROADCAST, assertClean, frame, settle, uniqueWire } from '../support/hosts.js';
import { EXAMPLES } from './helpers.js';

/** Every test here is bounded (the stacks settle in milliseconds; this only catches hangs). */
const TIMEOUT_MS = 60_000;

test('examples/two-hosts.yaml: hostA sends, hostB receives through counters and monitor', { timeout: TIMEOUT_MS }, async () => {
  const d = await loadStackConfig(join(EXAMPLES, 'two-hosts.yaml'));
  assert.deepEqual(d.hosts.map((h) => h.name), ['hostA', 'hostB']);
  const stacks = await buildStacks(d, { wirePrefix: `${uniqueWire()}-`, scheduler: () => new ManualScheduler() });
  const rawA = stacks.host('hostA').raw;
  const rawB = stacks.host('hostB').raw;
  const a = stacks.hosts.get('hostA')!.runtime;
  const b = stacks.hosts.get('hostB')!.runtime;
  const macA = a.adapter('eth0').general!.currentMacAddress;
  const macB = b.adapter('eth0').general!.currentMacAddress;
  assert.deepEqual([...macB], [2, 0, 0, 0, 0, 0x0b]);
  for (let i = 0; i < 4; i++) assert.ok(rawA.endpoint('eth0').send(frame(macB, macA, 0x0800, 50, i)));
  assert.ok(rawA.endpoint('eth0').send(frame(BROADCAST, macA, 0x0806, 28)));
  await settle();
  let received = 0;
  while (rawB.endpoint('eth0').tryReceive() !== null) received++;
  assert.equal(received, 5);
  const snap = snapshotRuntime(b);
  const monitor = snap.adapters[0]!.filters.find((f) => f.above === 'miniport')!;
  assert.deepEqual((monitor.inspect as { received: Record<string, number> }).received, { ipv4: 4, ipv6: 0, arp: 1, vlan: 0, other: 0, runt: 0 });
  await stacks.shutdown();
  assertClean(a);
  assertClean(b);
});

test('examples/custom-filter: the module-path filter is in the stack and counts by EtherType', { timeout: TIMEOUT_MS }, async () => {
  const d = await loadStackConfig(join(EXAMPLES, 'custom-filter', 'stack.yaml'));
  assert.deepEqual(d.modules.map((m) => m.characteristics.map((c) => c.name)), [['example.ethertype-counter']]);
  const stacks = await buildStacks(d, { wirePrefix: `${uniqueWire()}-`, scheduler: () => new ManualScheduler() });
  const left = stacks.hosts.get('left')!;
  const right = stacks.hosts.get('right')!;
  // Bottom → top on `left`: the custom filter (FilterClass custom) below the counters (diagnostic).
  assert.deepEqual(left.runtime.adapter('eth0').filters.map((f) => `${f.driver.name}:${f.state}`), ['example.ethertype-counter:Running', 'tsndis.counters:Running']);

  const src = left.runtime.adapter('eth0').general!.currentMacAddress;
  const dst = right.runtime.adapter('eth0').general!.currentMacAddress;
  const ep = left.raw.endpoint('eth0');
  for (let i = 0; i < 3; i++) assert.ok(ep.send(frame(dst, src, 0x86dd, 60, i)));
  assert.ok(ep.send(frame(BROADCAST, src, 0x0806, 28)));
  await settle();
  const rx = right.raw.endpoint('eth0');
  while (rx.tryReceive() !== null);

  const custom = (host: typeof left) => snapshotRuntime(host.runtime).adapters[0]!.filters.find((f) => f.driver === 'example.ethertype-counter')!;
  assert.deepEqual(custom(left).inspect, { sent: { '0x0806': 1, '0x86dd': 3 }, received: {} });
  assert.deepEqual(custom(right).inspect, { sent: {}, received: { '0x0806': 1, '0x86dd': 3 } });
  const text = renderText([snapshotRuntime(left.runtime)]);
  assert.match(text, /filter {4}example\.ethertype-counter \[Running\]/);
  assert.match(text, /inspect: sent\.0x0806=1 sent\.0x86dd=3/);
  await stacks.shutdown();
  assertClean(left.runtime);
  assertClean(right.runtime);
});
