import { BUILTIN_DRIVERS } from '../../src/drivers/builtin.js';
/**
 * Every way a stack config is rejected: each case asserts the file name and the key path in the
 * ConfigError, and the gist of the detail.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EXAMPLES, FILTER_MODULE_JS, expectConfigError, fixtureDir, parse, writeFixture } from './helpers.js';

const ETH0 = `
      eth0:
        driver: tsndis.virtual-wire`;

/** Driver modules with media other than Ethernet, a required keyword, and broken ones. */
const dir = fixtureDir();
writeFixture(dir, 'wifi-filter.js', `${FILTER_MODULE_JS}
export default { kind: 'filter', name: 'fx.wifi-filter', ndisVersion: { major: 6, minor: 30 }, filterType: 'modifying',
  runType: 'optional', filterClass: 'custom', mediaTypes: [16], module: Module };`);
writeFixture(dir, 'wifi-protocol.js', `
class Binding { bindAdapter() { return 0; } unbindAdapter() { return 0; } netPnPEvent() { return 0; } oidRequestComplete() {}
  receiveNetBufferLists() {} sendNetBufferListsComplete() {} }
export const driver = { kind: 'protocol', name: 'fx.wifi-protocol', ndisVersion: { major: 6, minor: 30 }, mediumArray: [16], binding: Binding };`);
writeFixture(dir, 'wifi-im.js', `
class Adapter { initialize() { return 0; } halt() {} shutdown() {} pause() { return 0; } restart() { return 0; }
  sendNetBufferLists() {} returnNetBufferLists() {} cancelSend() {} devicePnPEventNotify() {} oidRequest() { return 0; } cancelOidRequest() {} }
class Binding { bindAdapter() { return 0; } unbindAdapter() { return 0; } netPnPEvent() { return 0; } oidRequestComplete() {}
  receiveNetBufferLists() {} sendNetBufferListsComplete() {} }
export const drivers = [
  { kind: 'intermediate', name: 'fx.eth-to-wifi', ndisVersion: { major: 6, minor: 30 },
    miniport: { medium: 16, adapter: Adapter }, protocol: { mediumArray: [0], binding: Binding } },
  { kind: 'intermediate', name: 'fx.wifi-only', ndisVersion: { major: 6, minor: 30 },
    miniport: { medium: 16, adapter: Adapter }, protocol: { mediumArray: [16], binding: Binding } },
];`);
writeFixture(dir, 'required.js', `${FILTER_MODULE_JS}
export default { kind: 'filter', name: 'fx.required', ndisVersion: { major: 6, minor: 30 }, filterType: 'modifying',
  runType: 'optional', filterClass: 'custom', mediaTypes: [0], module: Module,
  keywords: { Secret: { type: 'edit', description: 'a value with no default', required: true } } };`);
writeFixture(dir, 'no-export.js', `export const somethingElse = 1;\n`);
writeFixture(dir, 'not-chars.js', `export default { hello: 'world' };\n`);
writeFixture(dir, 'unregistrable.js', `
export default { kind: 'filter', name: 'fx.broken', ndisVersion: { major: 5, minor: 1 }, filterType: 'modifying',
  runType: 'optional', filterClass: 'custom', mediaTypes: [0], module: class { attach() { return 0; } } };`);
writeFixture(dir, 'clash.js', `${FILTER_MODULE_JS}
export default { kind: 'filter', name: 'tsndis.counters', ndisVersion: { major: 6, minor: 30 }, filterType: 'modifying',
  runType: 'optional', filterClass: 'custom', mediaTypes: [0], module: Module };`);
writeFixture(dir, 'throws.js', `throw new Error('boom at load time');\n`);

/** Built-in driver names of one kind, in registry order (what error messages list). */
function builtinNames(kind: string): string[] {
  return [...BUILTIN_DRIVERS].filter(([, f]) => f().characteristics.kind === kind).map(([n]) => n);
}

describe('YAML syntax', () => {
  test('a syntax error names the line', async () => {
    const e = await expectConfigError('hosts:\n  h:\n    adapters: [1, 2\n', '', /YAML syntax error/);
    assert.match(e.message, /^stack\.yaml: line \d+, column \d+: YAML syntax error/);
  });

  test('a duplicate key names its line', async () => {
    const e = await expectConfigError(`hosts:\n  h: {}\n  h: {}\n`, '', /duplicate key/);
    assert.match(e.message, /line 3, column 3/);
  });

  test('an unresolved alias is a ConfigError', async () => {
    await expectConfigError(`hosts:\n  h: *nowhere\n`, '', /alias/i);
  });

  test('an empty file', async () => {
    await expectConfigError('', '', /empty/);
  });
});

describe('shape', () => {
  test('unknown key at the top', async () => {
    await expectConfigError(`hostz: {}\nhosts: {}\n`, 'hostz', /unknown key 'hostz' \(allowed here: wires, drivers, hosts\)/);
  });

  test('unknown key in an adapter', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:\n      eth0: { drvier: tsndis.virtual-wire }\n`, 'hosts.h.adapters.eth0.drvier', /unknown key 'drvier' \(allowed here: driver, keywords, filters, protocols\)/);
  });

  test('unknown key in a filter entry', async () => {
    await expectConfigError(`hosts:\n  h:\n    filters: [{ driver: tsndis.counters, keywrods: {} }]\n`, 'hosts.h.filters[0].keywrods', /unknown key 'keywrods'/);
  });

  test('hosts is required', async () => {
    await expectConfigError(`wires: {}\n`, 'hosts', /is required/);
  });

  test('no hosts at all', async () => {
    await expectConfigError(`hosts: {}\n`, 'hosts', /no hosts/);
  });

  test('a bad adapter name', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:\n      "eth 0": { driver: tsndis.virtual-wire }\n`, 'hosts.h.adapters["eth 0"]', /invalid name "eth 0"/);
  });

  test('wrong type', async () => {
    await expectConfigError(`hosts:\n  h:\n    verifier: maybe\n`, 'hosts.h.verifier', /expected true or false, got the string "maybe"/);
  });

  test('an intermediate without lower', async () => {
    await expectConfigError(`hosts:\n  h:\n    intermediates: [{ driver: tsndis.im-passthrough, upper: [v] }]\n`, 'hosts.h.intermediates[0].lower', /is required/);
  });
});

describe('wires', () => {
  test('loss rate above 1', async () => {
    await expectConfigError(`wires:\n  w: { lossRate: 2 }\nhosts:\n  h:\n    adapters:${ETH0}\n`, 'wires.w.lossRate', /above the maximum 1/);
  });

  test('negative delay', async () => {
    await expectConfigError(`wires:\n  w: { delayMs: -1 }\nhosts:\n  h: {}\n`, 'wires.w.delayMs', /below the minimum 0/);
  });

  test('link neither up nor down', async () => {
    await expectConfigError(`wires:\n  w: { link: sideways }\nhosts:\n  h: {}\n`, 'wires.w.link', /"sideways" is not one of "up", "down"/);
  });

  test('a fractional seed', async () => {
    await expectConfigError(`wires:\n  w: { seed: 1.5 }\nhosts:\n  h: {}\n`, 'wires.w.seed', /expected an integer/);
  });

  test('unknown wire property', async () => {
    await expectConfigError(`wires:\n  w: { jitterMs: 3 }\nhosts:\n  h: {}\n`, 'wires.w.jitterMs', /unknown key 'jitterMs' \(allowed here: lossRate, delayMs, seed, link\)/);
  });

  test('defaults are filled in', async () => {
    const d = await parse(`wires:\n  w:\n  v: { lossRate: 0.5, link: down }\nhosts:\n  h:\n    adapters:${ETH0}\n        keywords: { Wire: w }\n`);
    assert.deepEqual(d.wires.map((w) => [w.name, w.lossRate, w.delayMs, w.seed, w.link]), [['w', 0, 0, 1, 'up'], ['v', 0.5, 0, 1, 'down']]);
  });

  const onWire = (wires: string, keywords: string): string => `${wires}hosts:\n  h:\n    adapters:${ETH0}\n        keywords: ${keywords}\n`;

  test('a Wire must be one of `wires`', async () => {
    await expectConfigError(onWire('wires: { lan: {}, wan: {} }\n', '{ Wire: lna }'), 'hosts.h.adapters.eth0.keywords.Wire', /^keyword 'Wire' of driver 'tsndis\.virtual-wire': wire 'lna' is not defined under `wires` \(defined: lan, wan\)$/);
    await expectConfigError(onWire('', '{ Wire: lan }'), 'hosts.h.adapters.eth0.keywords.Wire', /wire 'lan' is not defined \(add it under `wires`, or leave Wire out: a config without `wires` has one wire, 'default'\)/);
  });

  test('with `wires`, an adapter without Wire is an error; without `wires`, it is on the one wire, default', async () => {
    await expectConfigError(onWire('wires: { lan: {} }\n', '{ NetworkAddress: 02-00-00-00-00-01 }'), 'hosts.h.adapters.eth0.keywords', /^keyword 'Wire' of driver 'tsndis\.virtual-wire' is not set; its default 'default' does not fit: wire 'default' is not defined under `wires` \(defined: lan\)$/);
    for (const kw of ['{ NetworkAddress: 02-00-00-00-00-01 }', '{ Wire: default }']) {
      const d = await parse(onWire('', kw));
      assert.equal(d.hosts[0]!.adapters[0]!.driver, 'tsndis.virtual-wire');
    }
    const d = await parse(onWire('wires: { default: { lossRate: 0.5 } }\n', '{}'));
    assert.deepEqual(d.wires.map((w) => w.name), ['default']);
  });
});

describe('drivers and kinds', () => {
  test('unknown adapter driver lists the known miniports', async () => {
    const miniports = builtinNames('miniport');
    assert.ok(miniports.includes('tsndis.virtual-wire'));
    const e = await expectConfigError(`hosts:\n  h:\n    adapters:\n      eth0: { driver: tsndis.nope }\n`, 'hosts.h.adapters.eth0.driver', /^unknown driver 'tsndis\.nope' \(known: /);
    assert.equal(e.message, `stack.yaml: hosts.h.adapters.eth0.driver: unknown driver 'tsndis.nope' (known: ${miniports.join(', ')})`);
  });

  test('unknown filter', async () => {
    const e = await expectConfigError(`hosts:\n  h:\n    filters: [tsndis.nope]\n`, 'hosts.h.filters[0].driver', /unknown driver 'tsndis\.nope' \(known: /);
    assert.ok(e.message.endsWith(`(known: ${builtinNames('filter').join(', ')})`), e.message);
  });

  test('a filter listed as a protocol', async () => {
    await expectConfigError(`hosts:\n  h:\n    protocols: [tsndis.counters]\n`, 'hosts.h.protocols[0].driver', /'tsndis\.counters' is a filter driver, not a protocol driver \(filter drivers go under `filters`\)/);
  });

  test('a protocol listed as a filter', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n        filters: [tsndis.raw]\n`, 'hosts.h.adapters.eth0.filters[0].driver', /is a protocol driver, not a filter driver/);
  });

  test('a filter driving an adapter', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:\n      eth0: { driver: tsndis.monitor }\n`, 'hosts.h.adapters.eth0.driver', /is a filter driver, not a miniport driver/);
  });

  test('an intermediate listed as a protocol', async () => {
    await expectConfigError(`hosts:\n  h:\n    protocols: [tsndis.im-passthrough]\n`, 'hosts.h.protocols[0].driver', /is an intermediate driver, not a protocol driver \(intermediate drivers go under `intermediates`\)/);
  });

  test('a protocol listed as an intermediate', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [{ driver: tsndis.raw, lower: eth0, upper: [v] }]\n`, 'hosts.h.intermediates[0].driver', /is a protocol driver, not an intermediate driver/);
  });
});

describe('media', () => {
  const drivers = `drivers: [./wifi-filter.js, ./wifi-protocol.js, ./wifi-im.js]\n`;

  test('an adapter-level filter of another medium', async () => {
    await expectConfigError(`${drivers}hosts:\n  h:\n    adapters:${ETH0}\n        filters: [fx.wifi-filter]\n`, 'hosts.h.adapters.eth0.filters[0]',
      /filter 'fx\.wifi-filter' does not attach to medium NdisMedium802_3 of adapter 'eth0' \(its FilterMediaTypes: NdisMediumNative802_11\)/, dir);
  });

  test('an adapter-level protocol of another medium', async () => {
    await expectConfigError(`${drivers}hosts:\n  h:\n    adapters:${ETH0}\n        protocols: [fx.wifi-protocol]\n`, 'hosts.h.adapters.eth0.protocols[0]', /protocol 'fx\.wifi-protocol' does not bind to medium NdisMedium802_3/, dir);
  });

  test('host-level entries go only where the medium matches', async () => {
    const d = await parse(`${drivers}hosts:\n  h:\n    filters: [fx.wifi-filter, tsndis.counters]\n    protocols: [fx.wifi-protocol, tsndis.raw]\n    adapters:${ETH0}\n`, dir);
    const a = d.hosts[0]!.adapters[0]!;
    assert.deepEqual(a.effectiveFilters.map((u) => u.driver), ['tsndis.counters']);
    assert.deepEqual(a.effectiveProtocols.map((u) => u.driver), ['tsndis.raw']);
  });

  test("a virtual adapter has its intermediate's miniport medium", async () => {
    const yaml = `${drivers}hosts:\n  h:\n    adapters:${ETH0}\n      wlan0:\n        filters: [tsndis.counters]\n    intermediates: [{ driver: fx.eth-to-wifi, lower: eth0, upper: [wlan0] }]\n`;
    await expectConfigError(yaml, 'hosts.h.adapters.wlan0.filters[0]', /does not attach to medium NdisMediumNative802_11 of adapter 'wlan0'/, dir);
    const ok = await parse(yaml.replace('tsndis.counters', 'fx.wifi-filter'), dir);
    assert.equal(ok.hosts[0]!.adapters.find((a) => a.name === 'wlan0')!.medium, 16);
  });

  test("an intermediate whose protocol edge does not bind to its lower's medium", async () => {
    await expectConfigError(`${drivers}hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [{ driver: fx.wifi-only, lower: eth0, upper: [v] }]\n`, 'hosts.h.intermediates[0].lower',
      /intermediate 'fx\.wifi-only' does not bind to medium NdisMedium802_3 of adapter 'eth0'/, dir);
  });
});

describe('keywords', () => {
  const adapter = (kw: string) => `hosts:\n  h:\n    adapters:\n      eth0:\n        driver: tsndis.virtual-wire\n        keywords: ${kw}\n`;

  test('unknown keyword, with a suggestion', async () => {
    await expectConfigError(adapter('{ wire: w }'), 'hosts.h.adapters.eth0.keywords.wire', /unknown keyword 'wire' for driver 'tsndis\.virtual-wire' \(did you mean 'Wire'\?\) \(known: Wire, NetworkAddress/);
  });

  test('an int out of range', async () => {
    await expectConfigError(adapter('{ "*JumboPacket": 100 }'), 'hosts.h.adapters.eth0.keywords["*JumboPacket"]', /100 is out of range 1514\.\.16384/);
  });

  test('an int that is not one', async () => {
    await expectConfigError(adapter('{ LinkSpeedMbps: fast }'), 'hosts.h.adapters.eth0.keywords.LinkSpeedMbps', /expected an integer, got 'fast'/);
  });

  test('a hex int is accepted and normalized', async () => {
    const d = await parse(`hosts:\n  h:\n    adapters:${ETH0}\n        protocols: [{ driver: tsndis.raw, keywords: { PacketFilter: "0x2b" } }]\n`);
    assert.equal(d.hosts[0]!.adapters[0]!.protocols[0]!.keywords['PacketFilter'], 0x2b);
  });

  test('a malformed MAC address', async () => {
    await expectConfigError(adapter('{ NetworkAddress: 020000000001 }'), 'hosts.h.adapters.eth0.keywords.NetworkAddress', /is not a MAC address/);
  });

  test('an enum value outside its list', async () => {
    const mod = join(EXAMPLES, 'custom-filter', 'my-filter.js');
    await expectConfigError(`drivers: [${JSON.stringify(mod)}]\nhosts:\n  h:\n    adapters:${ETH0}\n        filters: [{ driver: example.ethertype-counter, keywords: { Direction: sideways } }]\n`,
      'hosts.h.adapters.eth0.filters[0].keywords.Direction', /'sideways' is not one of 'both', 'send', 'receive'/);
  });

  test('keywords for a driver without any', async () => {
    await expectConfigError(`hosts:\n  h:\n    filters: [{ driver: tsndis.counters, keywords: { Depth: 3 } }]\n`, 'hosts.h.filters[0].keywords.Depth', /driver 'tsndis\.counters' takes no keywords/);
  });

  test('a required keyword missing', async () => {
    await expectConfigError(`drivers: [./required.js]\nhosts:\n  h:\n    filters: [fx.required]\n`, 'hosts.h.filters[0].keywords', /required keyword 'Secret' of driver 'fx\.required' is missing/, dir);
    await parse(`drivers: [./required.js]\nhosts:\n  h:\n    filters: [{ driver: fx.required, keywords: { Secret: x } }]\n`, dir);
  });

  test('UpperBindings comes from upper, not from keywords', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [{ driver: tsndis.im-passthrough, lower: eth0, upper: [v], keywords: { UpperBindings: [x] } }]\n`,
      'hosts.h.intermediates[0].keywords.UpperBindings', /is set by the configuration itself/);
  });

  test('a virtual adapter takes no keywords', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n      v:\n        keywords: { Wire: w }\n    intermediates: [{ driver: tsndis.im-passthrough, lower: eth0, upper: [v] }]\n`,
      'hosts.h.adapters.v.keywords', /virtual adapter 'v' takes no keywords/);
  });
});

describe('intermediates', () => {
  const im = (lower: string, upper: string) => `{ driver: tsndis.im-passthrough, lower: ${lower}, upper: [${upper}] }`;

  test('an adapter both physical and an upper', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n      eth1: { driver: tsndis.virtual-wire }\n    intermediates: [${im('eth0', 'eth1')}]\n`,
      'hosts.h.intermediates[0].upper[0]', /'eth1' is a physical adapter/);
  });

  test('an upper not listed under adapters is created with no extras', async () => {
    const d = await parse(`hosts:\n  h:\n    protocols: [tsndis.raw]\n    adapters:${ETH0}\n    intermediates: [${im('eth0', 'veth0')}]\n`);
    const v = d.hosts[0]!.adapters.find((a) => a.name === 'veth0')!;
    assert.equal(v.implicit, true);
    assert.equal(v.driver, null);
    assert.equal(v.createdBy, 0);
    assert.deepEqual(v.effectiveProtocols.map((u) => u.driver), ['tsndis.raw']);
    assert.deepEqual(d.hosts[0]!.intermediates[0]!.keywords['UpperBindings'], ['veth0']);
  });

  test('an upper used by two intermediates', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n      eth1: { driver: tsndis.virtual-wire }\n    intermediates: [${im('eth0', 'v')}, ${im('eth1', 'v')}]\n`,
      'hosts.h.intermediates[1].upper[0]', /virtual adapter 'v' is already created by hosts\.h\.intermediates\[0\]/);
  });

  test('an upper listed twice', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${im('eth0', 'v, v')}]\n`, 'hosts.h.intermediates[0].upper[1]', /listed twice/);
  });

  test('an intermediate on its own upper', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${im('v', 'v')}]\n`, 'hosts.h.intermediates[0].lower', /cycle: this intermediate creates 'v' and also sits on it/);
  });

  test('a cycle through two intermediates', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${im('v1', 'v0')}, ${im('v0', 'v1')}]\n`, 'hosts.h.intermediates[0].lower', /cycle: .*\(lower v1 → v0\)/);
  });

  test('a cycle through three intermediates', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${im('eth0', 'ok')}, ${im('c', 'a')}, ${im('a', 'b')}, ${im('b', 'c')}]\n`,
      'hosts.h.intermediates[1].lower', /cycle: .*\(lower c → b → a\)/);
  });

  test('stacked intermediates are fine', async () => {
    const d = await parse(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${im('v0', 'v1')}, ${im('eth0', 'v0')}]\n`);
    assert.deepEqual(d.hosts[0]!.adapters.map((a) => a.name), ['eth0', 'v1', 'v0']);
  });

  test('a lower that does not exist', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${im('eth9', 'v')}]\n`, 'hosts.h.intermediates[0].lower', /no adapter 'eth9' on host 'h' \(adapters: eth0, v\)/);
  });

  test('the same intermediate bound twice to one adapter', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${im('eth0', 'a')}, ${im('eth0', 'b')}]\n`, 'hosts.h.intermediates[1].lower', /already bound to 'eth0'/);
  });

  test('a driverless adapter nobody creates', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n      veth9:\n        filters: [tsndis.counters]\n`, 'hosts.h.adapters.veth9', /has no driver and no intermediate creates it/);
  });
});

describe('duplicates', () => {
  test('a filter listed twice', async () => {
    await expectConfigError(`hosts:\n  h:\n    filters: [tsndis.counters, tsndis.monitor, tsndis.counters]\n`, 'hosts.h.filters[2]', /filter 'tsndis\.counters' is listed twice \(also at hosts\.h\.filters\[0\]\)/);
  });

  test('an adapter filter already installed at host level', async () => {
    await expectConfigError(`hosts:\n  h:\n    filters: [tsndis.counters]\n    adapters:${ETH0}\n        filters: [tsndis.counters]\n`, 'hosts.h.adapters.eth0.filters[0]', /already installed for every adapter at hosts\.h\.filters\[0\]/);
  });

  test('an adapter protocol already installed at host level', async () => {
    await expectConfigError(`hosts:\n  h:\n    protocols: [tsndis.raw]\n    adapters:${ETH0}\n        protocols: [tsndis.raw]\n`, 'hosts.h.adapters.eth0.protocols[0]', /already installed/);
  });

  test('the same module twice', async () => {
    await expectConfigError(`drivers: [./wifi-filter.js, ./wifi-filter.js]\nhosts:\n  h: {}\n`, 'drivers[1]', /already loaded by drivers\[0\]/, dir);
  });

  test('a module driver named like a built-in one', async () => {
    await expectConfigError(`drivers: [./clash.js]\nhosts:\n  h: {}\n`, 'drivers[0]', /a driver named 'tsndis\.counters' is already registered/, dir);
  });
});

describe('driver modules', () => {
  test('a missing file', async () => {
    await expectConfigError(`drivers: [./nowhere.js]\nhosts:\n  h: {}\n`, 'drivers[0]', /cannot find driver module '\.\/nowhere\.js'/, dir);
  });

  test('a directory', async () => {
    await expectConfigError(`drivers: [.]\nhosts:\n  h: {}\n`, 'drivers[0]', /is not a file/, dir);
  });

  test('no characteristics exported', async () => {
    await expectConfigError(`drivers: [./no-export.js]\nhosts:\n  h: {}\n`, 'drivers[0]', /does not export driver characteristics/, dir);
  });

  test('an export that is not characteristics', async () => {
    await expectConfigError(`drivers: [./not-chars.js]\nhosts:\n  h: {}\n`, 'drivers[0]', /the default export is not driver characteristics/, dir);
  });

  test('registration failure is wrapped', async () => {
    const e = await expectConfigError(`drivers: [./unregistrable.js]\nhosts:\n  h: {}\n`, 'drivers[0]', /cannot register driver 'fx\.broken': .*NDIS_STATUS_BAD_VERSION.*missing mandatory handler\(s\): detach, pause, restart/, dir);
    assert.equal((e.cause as { code?: string }).code, 'TSNDIS_REGISTRATION');
  });

  test('a module that throws while loading', async () => {
    await expectConfigError(`drivers: [./throws.js]\nhosts:\n  h: {}\n`, 'drivers[0]', /cannot load driver module '\.\/throws\.js': boom at load time/, dir);
  });

  test('named exports `driver` and `drivers` are accepted', async () => {
    const d = await parse(`drivers: [./wifi-protocol.js, ./wifi-im.js]\nhosts:\n  h: {}\n`, dir);
    assert.deepEqual(d.modules.map((m) => m.characteristics.map((c) => c.name)), [['fx.wifi-protocol'], ['fx.eth-to-wifi', 'fx.wifi-only']]);
    assert.deepEqual([...d.moduleDriverNames], ['fx.wifi-protocol', 'fx.eth-to-wifi', 'fx.wifi-only']);
    // Every module driver is registered on every host, after the drivers the host uses.
    assert.deepEqual(d.hosts[0]!.drivers, ['fx.wifi-protocol', 'fx.eth-to-wifi', 'fx.wifi-only']);
  });
});

describe('teams (an intermediate whose lower is a list)', () => {
  const ETH1 = `
      eth1:
        driver: tsndis.virtual-wire`;
  const team = (lower: string, extra = '') => `{ driver: tsndis.lbfo, lower: ${lower}, upper: team0${extra} }`;

  test('a team of two members: every member binds the intermediate, all share the one upper', async () => {
    const d = await parse(`hosts:\n  h:\n    adapters:${ETH0}${ETH1}\n    intermediates: [${team('[eth0, eth1]')}]\n`);
    const im = d.hosts[0]!.intermediates[0]!;
    assert.deepEqual(im.lowers, ['eth0', 'eth1']);
    assert.equal(im.lower, 'eth0');
    assert.deepEqual(im.keywords['UpperBindings'], ['team0']);
  });

  test('a team with no members', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${team('[]')}]\n`, 'hosts.h.intermediates[0].lower', /a team needs at least one member adapter/);
  });

  test('a member listed twice', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${team('[eth0, eth0]')}]\n`, 'hosts.h.intermediates[0].lower[1]', /'eth0' is listed twice in lower/);
  });

  test('a list of lowers for an intermediate that is not a teaming driver', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}${ETH1}\n    intermediates: [{ driver: tsndis.im-passthrough, lower: [eth0, eth1], upper: v }]\n`, 'hosts.h.intermediates[0].lower',
      /binds to one lower adapter; only a teaming driver/);
  });

  test('a member that does not exist', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n    intermediates: [${team('[eth0, eth9]')}]\n`, 'hosts.h.intermediates[0].lower[1]', /no adapter 'eth9' on host 'h'/);
  });

  test('two members of different media', async () => {
    // fx.team-any binds to Ethernet and native 802.11; wlan0 is an 802.11 virtual adapter over eth1.
    writeFixture(dir, 'team-any.js', `
class Adapter { initialize() { return 0; } halt() {} shutdown() {} pause() { return 0; } restart() { return 0; }
  sendNetBufferLists() {} returnNetBufferLists() {} cancelSend() {} devicePnPEventNotify() {} oidRequest() { return 0; } cancelOidRequest() {} }
class Binding { bindAdapter() { return 0; } unbindAdapter() { return 0; } netPnPEvent() { return 0; } oidRequestComplete() {}
  receiveNetBufferLists() {} sendNetBufferListsComplete() {} }
export default { kind: 'intermediate', name: 'fx.team-any', ndisVersion: { major: 6, minor: 30 }, lowerAdapters: 'many',
  miniport: { medium: 0, adapter: Adapter }, protocol: { mediumArray: [0, 16], binding: Binding } };`);
    const drivers = `drivers: [${join(dir, 'wifi-im.js')}, ${join(dir, 'team-any.js')}]\n`;
    await expectConfigError(
      `${drivers}hosts:\n  h:\n    adapters:${ETH0}${ETH1}\n    intermediates: [{ driver: fx.eth-to-wifi, lower: eth1, upper: wlan0 }, { driver: fx.team-any, lower: [eth0, wlan0], upper: t0 }]\n`,
      'hosts.h.intermediates[1].lower[1]', /team members of different media: 'wlan0' is NdisMediumNative802_11, 'eth0' is NdisMedium802_3/, dir);
  });

  test('a member with a protocol of its own', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}\n        protocols: [tsndis.raw]${ETH1}\n    intermediates: [${team('[eth0, eth1]')}]\n`, 'hosts.h.intermediates[0].lower[0]',
      /team member 'eth0' also has protocol 'tsndis\.raw' bound \(hosts\.h\.adapters\.eth0\.protocols\[0\]\); a team member carries only the team/);
  });

  test('a host-level protocol lands on the members too', async () => {
    await expectConfigError(`hosts:\n  h:\n    protocols: [tsndis.raw]\n    adapters:${ETH0}${ETH1}\n    intermediates: [${team('[eth0, eth1]')}]\n`, 'hosts.h.intermediates[0].lower[0]',
      /team member 'eth0' also has protocol 'tsndis\.raw' bound \(hosts\.h\.protocols\[0\]\)/);
  });

  test('a member that is also the lower of another intermediate', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}${ETH1}\n    intermediates: [${team('[eth0, eth1]')}, { driver: tsndis.im-passthrough, lower: eth1, upper: v }]\n`, 'hosts.h.intermediates[0].lower[1]',
      /team member 'eth1' is also the lower adapter of hosts\.h\.intermediates\[1\] \(tsndis\.im-passthrough\)/);
  });

  test('a member in two teams', async () => {
    await expectConfigError(`hosts:\n  h:\n    adapters:${ETH0}${ETH1}\n    intermediates: [${team('[eth0, eth1]')}, { driver: tsndis.lbfo, lower: [eth1], upper: team1 }]\n`, 'hosts.h.intermediates[1].lower[0]',
      /intermediate 'tsndis\.lbfo' is already bound to 'eth1' by hosts\.h\.intermediates\[0\]/);
  });
});
