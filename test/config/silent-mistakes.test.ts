/**
 * Config mistakes that used to pass silently (or fail only once adapters were initializing) are
 * ConfigErrors found when the config is loaded: `tsndis stack show` / `tsndis up` exit 2 with one
 * `error: <file>: <key path>: <reason>` line, and nothing has started. "Nothing started" is observed:
 * every bad config has a host ahead of the bad one with a probe miniport (a module driver) that writes a
 * marker file when it is initialized, so a config that got past loading leaves the marker behind; the
 * TAP case, as root, also puts a valid TAP adapter first and watches the kernel for it being created.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { interopSkipReason, uniqueName } from '../support/netns.js';
import { tsndis } from '../support/cli.js';
import { fixtureDir, writeFixture } from './helpers.js';

const TIMEOUT_MS = 60_000;

const dir = fixtureDir();
writeFixture(dir, 'probe.js', `
import { writeFileSync } from 'node:fs';
class Adapter {
  constructor(ndis) { this.ndis = ndis; }
  initialize(params) { writeFileSync(params.keywords.readString('Marker', ''), 'initialized'); return 0xC0000001; }
  halt() {} shutdown() {} pause() { return 0; } restart() { return 0; }
  sendNetBufferLists() {} returnNetBufferLists() {} cancelSend() {} devicePnPEventNotify() {}
  oidRequest() { return 0xC00000BB; } cancelOidRequest() {}
}
export default { kind: 'miniport', name: 'fx.probe', ndisVersion: { major: 6, minor: 30 }, medium: 0, adapter: Adapter,
  keywords: { Marker: { type: 'edit', description: 'file written at initialization', required: true } } };
`);

let serial = 0;

/**
 * Writes `hosts` (YAML lines indented under `hosts:`) after a probe host (and `first` before it), runs
 * the command on it and asserts exit 2, the key path and reason on stderr, nothing on stdout, no marker.
 */
async function expectRejected(name: string, body: { wires?: string; first?: string; hosts: string }, keyPath: string, reason: RegExp, command: string[] = ['stack', 'show']): Promise<void> {
  const marker = join(dir, `${name}-${++serial}.initialized`);
  const file = writeFixture(
    dir,
    `${name}.yaml`,
    `drivers: [./probe.js]\n${body.wires ?? ''}hosts:\n${body.first ?? ''}  probe:\n    adapters:\n      p0: { driver: fx.probe, keywords: { Marker: ${JSON.stringify(marker)} } }\n${body.hosts}`,
  );
  const r = await tsndis(...command, '--config', file);
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  const prefix = `error: ${file}: ${keyPath}: `;
  assert.ok(r.stderr.startsWith(prefix), `stderr starts with ${JSON.stringify(prefix)}: ${r.stderr}`);
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.match(r.stderr.slice(prefix.length), reason);
  assert.equal(existsSync(marker), false, 'no adapter was initialized');
}

const TCPIP_HOST = (keywords: string): string => `  h:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        protocols:
          - driver: tsndis.tcpip
            keywords: ${keywords}
`;

describe('config mistakes are found at load time (exit 2, file and key path, nothing started)', () => {
  test('a Wire no `wires:` entry defines', { timeout: TIMEOUT_MS }, async () => {
    await expectRejected(
      'undefined-wire',
      { wires: 'wires:\n  lan: {}\n', hosts: `  h:\n    adapters:\n      eth0: { driver: tsndis.virtual-wire, keywords: { Wire: lna } }\n` },
      'hosts.h.adapters.eth0.keywords.Wire',
      /^keyword 'Wire' of driver 'tsndis\.virtual-wire': wire 'lna' is not defined under `wires` \(defined: lan\)/,
    );
  });

  test('an address without a prefix length', { timeout: TIMEOUT_MS }, async () => {
    await expectRejected('no-prefix', { hosts: TCPIP_HOST('{ IPAddress: [198.18.0.1] }') }, 'hosts.h.adapters.eth0.protocols[0].keywords.IPAddress[0]', /198\.18\.0\.1 has no prefix length; write 198\.18\.0\.1\/24/);
  });

  test('an invalid IP address, with the reason', { timeout: TIMEOUT_MS }, async () => {
    await expectRejected(
      'bad-address',
      { hosts: TCPIP_HOST("{ IPAddress: [198.18.0.1/24], IPv6Address: ['fd00::1/64', 'fd00::12345/64'] }") },
      'hosts.h.adapters.eth0.protocols[0].keywords.IPv6Address[1]',
      /'fd00::12345' is not an IPv6 address: '12345' is not a group of 1 to 4 hex digits/,
      ['up', '--duration', '1'],
    );
  });

  test('an InterfaceName longer than 15 characters: no TAP device is created', { timeout: TIMEOUT_MS }, async (t) => {
    // With root, a valid TAP adapter precedes the bad one; `ip monitor` sees whether it was ever created.
    const skip = interopSkipReason();
    const good = uniqueName('cfg');
    const monitor = skip === null ? spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] }) : null;
    let events = '';
    monitor?.stdout?.setEncoding('utf8').on('data', (d: string) => (events += d));
    if (monitor !== null) await new Promise((r) => setTimeout(r, 300));
    try {
      await expectRejected(
        'long-ifname',
        {
          first: skip === null ? `  tapper:\n    adapters:\n      eth0: { driver: tsndis.tap, keywords: { InterfaceName: ${good} } }\n` : '',
          hosts: `  h:\n    adapters:\n      eth0: { driver: tsndis.tap, keywords: { InterfaceName: tsndis-much-too-long } }\n`,
        },
        'hosts.h.adapters.eth0.keywords.InterfaceName',
        /'tsndis-much-too-long' is 20 characters long; Linux interface names have at most 15/,
      );
    } finally {
      if (monitor !== null) {
        await new Promise((r) => setTimeout(r, 300));
        monitor.kill();
      }
    }
    if (skip !== null) t.diagnostic(`TAP creation not watched: ${skip}`);
    else assert.equal(events.includes(good), false, `no TAP device was created: ${events}`);
  });

  test('an InputFile that is not a pcap or pcapng file, or is missing', { timeout: TIMEOUT_MS }, async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello, this is not a capture\n');
    await expectRejected(
      'not-pcap',
      { hosts: `  h:\n    adapters:\n      eth0: { driver: tsndis.pcapng, keywords: { InputFile: ${JSON.stringify(text)} } }\n` },
      'hosts.h.adapters.eth0.keywords.InputFile',
      /is not a pcap or pcapng file \(it starts with 68 65 6c 6c, neither a pcap magic number nor a pcapng section header block\)/,
      ['up', '--duration', '1'],
    );
    await expectRejected(
      'missing-pcap',
      { hosts: `  h:\n    adapters:\n      eth0: { driver: tsndis.pcapng, keywords: { InputFile: ${JSON.stringify(join(dir, 'absent.pcapng'))} } }\n` },
      'hosts.h.adapters.eth0.keywords.InputFile',
      /absent\.pcapng: no such file/,
    );
  });
});
