/**
 * The binding engine: valid configs build into running stacks (filters in FilterClass order, protocols
 * and intermediates bound, virtual miniports up with their configured extras), frames flow, and
 * teardown leaves every pool full with no verifier violation. Failures are RuntimeOperationErrors naming
 * host and adapter, after everything built was shut down.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildStacks, parseStackConfig, type BuiltStacks } from '../../src/config/index.js';
import { ManualScheduler } from '../../src/core/time/scheduler.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import { RuntimeOperationError } from '../../src/errors.js';
import { VirtualWire, assertClean, frame, settle, uniqueWire } from '../support/hosts.js';
import { FILTER_MODULE_JS, fixtureDir, parse, writeFixture } from './helpers.js';

/** Every test here is bounded (the stacks settle in milliseconds; this only catches hangs). */
const TIMEOUT_MS = 60_000;

function raw(stacks: BuiltStacks, host: string): RawProtocol {
  const p = stacks.hosts.get(host)!.protocols.get('tsndis.raw');
  assert.ok(p instanceof RawProtocol);
  return p;
}

function mac(stacks: BuiltStacks, host: string, adapter: string): Uint8Array {
  return stacks.hosts.get(host)!.runtime.adapter(adapter).general!.currentMacAddress;
}

async function teardown(stacks: BuiltStacks): Promise<void> {
  await stacks.shutdown();
  for (const h of stacks.hosts.values()) assertClean(h.runtime);
}

const TWO_HOSTS = `
wires:
  wire0: { seed: 7 }
hosts:
  a:
    filters: [tsndis.counters, tsndis.monitor]
    protocols: [tsndis.raw]
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: wire0 } }
  b:
    protocols: [tsndis.raw]
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: wire0 }
        filters: [tsndis.passthrough, tsndis.counters]
`;

describe('buildStacks', () => {
  test('two hosts on a wire: stacks up in order, frames flow, teardown is clean', { timeout: TIMEOUT_MS }, async () => {
    const stacks = await buildStacks(await parse(TWO_HOSTS), { wirePrefix: `${uniqueWire()}-`, scheduler: () => new ManualScheduler() });
    const a = stacks.hosts.get('a')!.runtime;
    const b = stacks.hosts.get('b')!.runtime;
    assert.deepEqual(a.adapter('eth0').filters.map((f) => `${f.name.slice('a/eth0/'.length)}:${f.state}`), [
      'tsndis.monitor@miniport:Running',
      'tsndis.counters:Running',
      'tsndis.monitor@tsndis.counters:Running',
    ]);
    // FilterClass decides, not the listing order: custom (passthrough) sits below diagnostic (counters).
    assert.deepEqual(b.adapter('eth0').filters.map((f) => f.driver.name), ['tsndis.passthrough', 'tsndis.counters']);
    assert.deepEqual(a.adapter('eth0').bindings.map((x) => `${x.protocol.name}:${x.state}`), ['tsndis.raw:Running']);

    const ea = raw(stacks, 'a').endpoint('eth0');
    const eb = raw(stacks, 'b').endpoint('eth0');
    for (let i = 0; i < 5; i++) assert.ok(ea.send(frame(mac(stacks, 'b', 'eth0'), mac(stacks, 'a', 'eth0'), 0x88b5, 60, i)));
    await settle();
    let got = 0;
    while (eb.tryReceive() !== null) got++;
    assert.equal(got, 5);
    await teardown(stacks);
  });

  test('filters of one FilterClass stack in order of first appearance in the config (earlier = lower)', { timeout: TIMEOUT_MS }, async () => {
    const dir = fixtureDir();
    for (const n of ['one', 'two']) {
      writeFixture(dir, `${n}.js`, `${FILTER_MODULE_JS}
export default { kind: 'filter', name: 'fx.${n}', ndisVersion: { major: 6, minor: 30 }, filterType: 'modifying',
  runType: 'optional', filterClass: 'custom', mediaTypes: [0], module: Module };`);
    }
    const d = await parseStackConfig(`
drivers: [./one.js, ./two.js]
wires: { w: {} }
hosts:
  h:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w }, filters: [fx.two, fx.one] }
      eth1: { driver: tsndis.virtual-wire, keywords: { Wire: w }, filters: [fx.one, fx.two] }
`, 'stack.yaml', dir);
    assert.deepEqual(d.hosts[0]!.drivers, ['tsndis.virtual-wire', 'fx.two', 'fx.one']);
    const stacks = await buildStacks(d, { wirePrefix: `${uniqueWire()}-` });
    const rt = stacks.hosts.get('h')!.runtime;
    for (const a of ['eth0', 'eth1']) assert.deepEqual(rt.adapter(a).filters.map((f) => f.driver.name), ['fx.two', 'fx.one'], a);
    await teardown(stacks);
  });

  test('host verifier settings, and the override', { timeout: TIMEOUT_MS }, async () => {
    const d = await parse(`hosts:\n  on: {}\n  off: { verifier: false }\n`);
    const s1 = await buildStacks(d);
    assert.deepEqual([...s1.hosts.values()].map((h) => h.runtime.verifying), [true, false]);
    await s1.shutdown();
    const s2 = await buildStacks(d, { verifier: false });
    assert.deepEqual([...s2.hosts.values()].map((h) => h.runtime.verifying), [false, false]);
    await s2.shutdown();
  });

  test('wires are configured, and released at shutdown', { timeout: TIMEOUT_MS }, async () => {
    const prefix = `${uniqueWire()}-`;
    const stacks = await buildStacks(await parse(`wires:\n  w: { lossRate: 0.25, delayMs: 3, seed: 9, link: down }\nhosts:\n  h:\n    adapters:\n      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } }\n`), { wirePrefix: prefix });
    const w = VirtualWire.named(`${prefix}w`);
    assert.deepEqual(w.impairment, { lossRate: 0.25, delayMs: 3, seed: 9 });
    assert.equal(w.linkUp, false);
    assert.equal(stacks.hosts.get('h')!.runtime.adapter('eth0').mediaConnected, false);
    await teardown(stacks);
    assert.equal(VirtualWire.exists(`${prefix}w`), false);
    await stacks.shutdown(); // idempotent
  });

  test('an intermediate: virtual miniports get their filters, protocols and stacked intermediates', { timeout: TIMEOUT_MS }, async () => {
    const d = await parse(`
wires: { w: {} }
hosts:
  h:
    protocols: [tsndis.raw]
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } }
      veth0:
        filters: [tsndis.counters]
    intermediates:
      - { driver: tsndis.im-passthrough, lower: eth0, upper: [veth0] }
`);
    await using stacks = await buildStacks(d, { wirePrefix: `${uniqueWire()}-` });
    const rt = stacks.hosts.get('h')!.runtime;
    const eth0 = rt.adapter('eth0');
    const veth0 = rt.adapter('veth0');
    assert.deepEqual(eth0.bindings.map((b) => `${b.protocol.name}:${b.state}`), ['tsndis.raw:Running', 'tsndis.im-passthrough:Running']);
    assert.equal(veth0.state, 'Running');
    assert.equal(veth0.imParent?.name, 'h/eth0<-tsndis.im-passthrough');
    assert.deepEqual(veth0.filters.map((f) => `${f.driver.name}:${f.state}`), ['tsndis.counters:Running']);
    assert.deepEqual(veth0.bindings.map((b) => `${b.protocol.name}:${b.state}`), ['tsndis.raw:Running']);
    await stacks.shutdown();
    assertClean(rt);
  });

  test('a failing mandatory filter: RuntimeOperationError naming host, adapter and filter; everything shut down', { timeout: TIMEOUT_MS }, async () => {
    const dir = fixtureDir();
    writeFixture(dir, 'refuses.js', `${FILTER_MODULE_JS}
class Refusing extends Module { attach() { return 0xc0000001; } }
export default { kind: 'filter', name: 'fx.refuses', ndisVersion: { major: 6, minor: 30 }, filterType: 'modifying',
  runType: 'mandatory', filterClass: 'custom', mediaTypes: [0], module: Refusing };`);
    const prefix = `${uniqueWire()}-`;
    const d = await parseStackConfig(`
drivers: [./refuses.js]
wires: { w: {} }
hosts:
  good:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } }
  bad:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: w }
        filters: [fx.refuses]
`, 'stack.yaml', dir);
    await assert.rejects(buildStacks(d, { wirePrefix: prefix }), (e: unknown) => {
      assert.ok(e instanceof RuntimeOperationError);
      assert.match(e.message, /^host bad: adapter bad\/eth0: filter fx\.refuses \(hosts\.bad\.adapters\.eth0\.filters\[0\]\): mandatory filter 'fx\.refuses' failed to attach/);
      return true;
    });
    assert.equal(VirtualWire.exists(`${prefix}w`), false, 'the wire was released: every adapter was removed');
  });

  test('a virtual miniport that does not come up is named', { timeout: TIMEOUT_MS }, async () => {
    const dir = fixtureDir();
    writeFixture(dir, 'dead-im.js', `
class Adapter { initialize() { return 0xc0000001; } halt() {} shutdown() {} pause() { return 0; } restart() { return 0; }
  sendNetBufferLists() {} returnNetBufferLists() {} cancelSend() {} devicePnPEventNotify() {} oidRequest() { return 0; } cancelOidRequest() {} }
class Binding {
  constructor(ndis) { this.ndis = ndis; }
  bindAdapter(p) { this.ndis.openAdapter([0]); for (const n of p.keywords.read('UpperBindings')) this.ndis.initializeDeviceInstance(n, null); return 0; }
  unbindAdapter() { this.ndis.closeAdapter(); return 0; } netPnPEvent() { return 0; } oidRequestComplete() {}
  receiveNetBufferLists(nbls) { this.ndis.returnNetBufferLists(nbls, 0); } sendNetBufferListsComplete() {} }
export default { kind: 'intermediate', name: 'fx.dead-im', ndisVersion: { major: 6, minor: 30 },
  miniport: { medium: 0, adapter: Adapter }, protocol: { mediumArray: [0], binding: Binding,
  keywords: { UpperBindings: { type: 'multi', description: 'virtual miniports' } } } };`);
    const d = await parseStackConfig(`
drivers: [./dead-im.js]
wires: { w: {} }
hosts:
  h:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: w } }
    intermediates: [{ driver: fx.dead-im, lower: eth0, upper: [v0] }]
`, 'stack.yaml', dir);
    await assert.rejects(buildStacks(d, { wirePrefix: `${uniqueWire()}-` }), /^RuntimeOperationError: host h: adapter h\/v0 \(virtual miniport of fx\.dead-im over 'eth0'\) was not created: .*MiniportInitializeEx failed/);
  });
});
