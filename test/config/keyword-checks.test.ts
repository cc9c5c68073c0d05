/**
 * Drivers' own keyword checks (`KeywordDefinition.check`), run by the loader: each built-in check on the
 * mistakes it exists for (key path down to the list entry, and the reason), the hook for module
 * drivers (a check that throws is reported as the driver's fault), and the address-text reasons
 * agreeing exactly with what the parsers accept (property tests).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { interfaceNameProblem } from '../../src/io/tun/interface-name.js';
import { ipAddressProblem, ipv4AddressProblem, ipv6, ipv6AddressProblem, parseIpv4Address } from '../../src/wire/index.js';
import { EXAMPLES, FILTER_MODULE_JS, expectConfigError, fixtureDir, parse, writeFixture } from './helpers.js';

const tcpip = (keywords: string): string =>
  `hosts:\n  h:\n    adapters:\n      eth0:\n        driver: tsndis.virtual-wire\n        protocols: [{ driver: tsndis.tcpip, keywords: ${keywords} }]\n`;
const KW = 'hosts.h.adapters.eth0.protocols[0].keywords';

describe('tsndis.tcpip address keywords', () => {
  test('interface addresses need a prefix length, the right family and a valid literal', async () => {
    await expectConfigError(tcpip('{ IPv6Address: [fd00::1] }'), `${KW}.IPv6Address[0]`, /^keyword 'IPv6Address' of driver 'tsndis\.tcpip': fd00::1 has no prefix length; write fd00::1\/64$/);
    await expectConfigError(tcpip('{ IPAddress: [198.18.0.1/24, 198.18.0.300/24] }'), `${KW}.IPAddress[1]`, /'198\.18\.0\.300' is not an IPv4 address: 300 is above 255$/);
    await expectConfigError(tcpip('{ IPAddress: [198.18.1/24] }'), `${KW}.IPAddress[0]`, /'198\.18\.1' is not an IPv4 address: it has 3 parts separated by '\.', not 4$/);
    await expectConfigError(tcpip("{ IPAddress: ['fd00::1/64'] }"), `${KW}.IPAddress[0]`, /fd00::1 is an IPv6 address, not IPv4 \(IPv6 addresses go in IPv6Address\)$/);
    await expectConfigError(tcpip('{ IPAddress: [198.18.0.1/33] }'), `${KW}.IPAddress[0]`, /'\/33' is not a prefix length from 0 to 32$/);
    await expectConfigError(tcpip("{ IPv6Address: ['fd00::1::2/64'] }"), `${KW}.IPv6Address[0]`, /'::' appears 2 times \(at most once\)$/);
    await expectConfigError(tcpip("{ IPv6Address: ['fe80::1%eth0/64'] }"), `${KW}.IPv6Address[0]`, /takes no zone/);
    // A single string for the list is one entry: its key path is still [0].
    await expectConfigError(tcpip('{ IPAddress: 10.0.0.1 }'), `${KW}.IPAddress[0]`, /10\.0\.0\.1 has no prefix length; write 10\.0\.0\.1\/24/);
  });

  test('gateways, routes and neighbours', async () => {
    await expectConfigError(tcpip('{ DefaultGateway: 198.18.0.256 }'), `${KW}.DefaultGateway`, /'198\.18\.0\.256' is not an IPv4 address: 256 is above 255$/);
    await expectConfigError(tcpip("{ DefaultGateway: 'fd00::1' }"), `${KW}.DefaultGateway`, /fd00::1 is an IPv6 address, not IPv4 .*DefaultGateway takes IPv4/);
    await expectConfigError(tcpip("{ Routes: ['10.0.0.0/8 via 198.18.0.1', '10.1.0.0/16 via fd00::1'] }"), `${KW}.Routes[1]`, /gateway fd00::1 is IPv6, the destination 10\.1\.0\.0 is IPv4/);
    await expectConfigError(tcpip("{ Routes: ['10.0.0.0/8 thru 198.18.0.1'] }"), `${KW}.Routes[0]`, /'thru': expected 'via <gateway>' or 'metric <n>'/);
    await expectConfigError(tcpip("{ Neighbors: ['198.18.0.1 02-00-00-00-00'] }"), `${KW}.Neighbors[0]`, /'02-00-00-00-00' is not a MAC address/);
    await expectConfigError(tcpip("{ Neighbors: ['198.18.0.1'] }"), `${KW}.Neighbors[0]`, /expected '<address> <MAC>'/);
    const ok = await parse(tcpip("{ IPAddress: [198.18.0.1/24], IPv6Address: ['fd00::1/64'], DefaultGateway: 198.18.0.254, IPv6DefaultGateway: 'fe80::1%eth0', Routes: ['203.0.113.7', 'fd01::/64 via fd00::9 metric 5'], Neighbors: ['198.18.0.2 02:00:00:00:00:02'] }"));
    assert.deepEqual(ok.hosts[0]!.adapters[0]!.protocols[0]!.keywords['IPAddress'], ['198.18.0.1/24']);
  });
});

describe('other built-in drivers', () => {
  const adapter = (driver: string, keywords: string): string => `hosts:\n  h:\n    adapters:\n      eth0: { driver: ${driver}, keywords: ${keywords} }\n`;

  test('tsndis.tap: InterfaceName must be a Linux interface name', async () => {
    await expectConfigError(adapter('tsndis.tap', '{ InterfaceName: "tap 0" }'), 'hosts.h.adapters.eth0.keywords.InterfaceName', /'tap 0' contains a space/);
    await expectConfigError(adapter('tsndis.tap', '{ InterfaceName: "a/b" }'), 'hosts.h.adapters.eth0.keywords.InterfaceName', /'a\/b' contains '\/'/);
    await expectConfigError(adapter('tsndis.tap', '{ InterfaceName: "tap%s" }'), 'hosts.h.adapters.eth0.keywords.InterfaceName', /'%' may appear once, as '%d'/);
    await expectConfigError(adapter('tsndis.tap', '{ InterfaceName: "" }'), 'hosts.h.adapters.eth0.keywords.InterfaceName', /it is empty/);
    await parse(adapter('tsndis.tap', '{ InterfaceName: "tap%d" }'));
  });

  test('tsndis.vxlan: LocalAddress and Remotes', async () => {
    await expectConfigError(adapter('tsndis.vxlan', '{ LocalAddress: 127.0.0.300, Vni: 1 }'), 'hosts.h.adapters.eth0.keywords.LocalAddress', /'127\.0\.0\.300' is not an IPv4 address: 300 is above 255/);
    await expectConfigError(adapter('tsndis.vxlan', '{ LocalAddress: 127.0.0.1, Vni: 1, Remotes: ["127.0.0.2:4789", "224.0.0.1"] }'), 'hosts.h.adapters.eth0.keywords.Remotes[1]', /multicast underlay groups are not supported/);
  });

  test('tsndis.pcapng: InputFile must exist and be a capture; the example file passes', async () => {
    const dir = fixtureDir();
    const empty = join(dir, 'empty.pcap');
    writeFileSync(empty, '');
    await expectConfigError(adapter('tsndis.pcapng', `{ InputFile: ${JSON.stringify(empty)} }`), 'hosts.h.adapters.eth0.keywords.InputFile', /empty\.pcap is empty, not a pcap or pcapng file/);
    const badShb = join(dir, 'bad-shb.pcapng');
    writeFileSync(badShb, Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4));
    await expectConfigError(adapter('tsndis.pcapng', `{ InputFile: ${JSON.stringify(badShb)} }`), 'hosts.h.adapters.eth0.keywords.InputFile', /byte-order magic is missing or invalid/);
    await expectConfigError(adapter('tsndis.pcapng', `{ InputFile: ${JSON.stringify(dir)} }`), 'hosts.h.adapters.eth0.keywords.InputFile', /is a directory/);
    await expectConfigError(adapter('tsndis.pcapng', '{ InputFile: no/such.pcapng }'), 'hosts.h.adapters.eth0.keywords.InputFile', /^keyword 'InputFile' of driver 'tsndis\.pcapng': no\/such\.pcapng \(relative to the current directory, \/.*\): no such file$/);
    const pcap = join(dir, 'micro-be.pcap');
    writeFileSync(pcap, Uint8Array.of(0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4));
    await parse(adapter('tsndis.pcapng', `{ InputFile: ${JSON.stringify(pcap)} }`));
    await parse(adapter('tsndis.pcapng', `{ InputFile: ${JSON.stringify(join(EXAMPLES, 'data', 'icmp.pcapng'))} }`));
  });
});

describe('module drivers declare checks the same way', () => {
  const dir = fixtureDir();
  writeFixture(dir, 'checked.js', `${FILTER_MODULE_JS}
export default { kind: 'filter', name: 'fx.checked', ndisVersion: { major: 6, minor: 30 }, filterType: 'modifying',
  runType: 'optional', filterClass: 'custom', mediaTypes: [0], module: Module,
  keywords: {
    Color: { type: 'edit', description: 'red or blue', default: 'red', check: (v) => (v === 'red' || v === 'blue' ? undefined : \`'\${v}' is neither red nor blue\`) },
    Tags: { type: 'multi', description: 'lower-case tags', default: [], check: (v) => (/^[a-z]+$/.test(v) ? undefined : \`'\${v}' is not lower-case\`) },
    Wired: { type: 'edit', description: 'a wire', default: 'nowhere', check: (v, ctx) => (ctx.wires.has(v) ? undefined : \`no wire '\${v}' (have \${[...ctx.wires].join(', ')})\`) },
    Buggy: { type: 'int', description: 'its check throws', check: () => { throw new Error('oops'); } },
  } };`);
  const yaml = (kw: string): string => `drivers: [./checked.js]\nwires: { w: {} }\nhosts:\n  h:\n    adapters:\n      eth0:\n        driver: tsndis.virtual-wire\n        keywords: { Wire: w }\n        filters: [{ driver: fx.checked, keywords: ${kw} }]\n`;
  const at = 'hosts.h.adapters.eth0.filters[0].keywords';

  test('a failed check names the keyword (and list entry); the default is checked when the keyword is absent', async () => {
    await expectConfigError(yaml('{ Wired: w, Color: green }'), `${at}.Color`, /^keyword 'Color' of driver 'fx\.checked': 'green' is neither red nor blue$/, dir);
    await expectConfigError(yaml('{ Wired: w, Tags: [ok, Bad] }'), `${at}.Tags[1]`, /'Bad' is not lower-case$/, dir);
    await expectConfigError(yaml('{}'), at, /^keyword 'Wired' of driver 'fx\.checked' is not set; its default 'nowhere' does not fit: no wire 'nowhere' \(have w\)$/, dir);
    const d = await parse(yaml('{ Wired: w, Color: blue, Tags: [a, b] }'), dir);
    assert.deepEqual(d.hosts[0]!.adapters[0]!.filters[0]!.keywords, { Wired: 'w', Color: 'blue', Tags: ['a', 'b'] });
  });

  test("a check that throws is reported as the driver's fault, at the keyword", async () => {
    await expectConfigError(yaml('{ Wired: w, Buggy: 1 }'), `${at}.Buggy`, /the driver's check of this keyword failed: oops/, dir);
  });
});

describe('address texts: the reason is given exactly when the parser refuses', () => {
  const parses = (f: () => unknown): boolean => {
    try {
      f();
      return true;
    } catch {
      return false;
    }
  };
  /** Address-like text: digits, hex, dots and colons, mostly near-valid. */
  const addressish = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.ipV4().map((a) => a.replace(/\d+$/, (d) => String(Number(d) + 256))),
    fc.stringMatching(/^[0-9a-fA-Fg.:]{0,24}$/),
    fc.tuple(fc.ipV6(), fc.constantFrom('::', ':', '1', ':1:', '.1')).map(([a, s]) => a + s),
  );

  test('IPv4: ipv4AddressProblem is null iff parseIpv4Address accepts', () => {
    fc.assert(fc.property(addressish, (t) => (ipv4AddressProblem(t) === null) === parses(() => parseIpv4Address(t))), { numRuns: 2000 });
  });

  test('IPv6: ipv6AddressProblem is null iff ipv6 accepts; every valid address has no problem', () => {
    fc.assert(fc.property(addressish, (t) => (ipv6AddressProblem(t) === null) === parses(() => ipv6(t))), { numRuns: 2000 });
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (t) => ipAddressProblem(t) === null), { numRuns: 500 });
  });

  test('interface names: the kernel rules', () => {
    assert.equal(interfaceNameProblem('tsndis0'), null);
    assert.equal(interfaceNameProblem('x'.repeat(15)), null);
    assert.match(interfaceNameProblem('x'.repeat(16))!, /16 characters long; Linux interface names have at most 15/);
    assert.match(interfaceNameProblem('..')!, /not allowed/);
    assert.match(interfaceNameProblem('eth:0')!, /contains ':'/);
    assert.match(interfaceNameProblem('tap%d%d')!, /'%' may appear once/);
    assert.match(interfaceNameProblem('né0')!, /U\+00E9/);
  });
});
