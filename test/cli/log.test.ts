/**
 * `tsndis up` logs what the runtime and its drivers report to stderr, one line per message with time,
 * level and source, from `--log-level` up (default warn); a bad level is CLI misuse. Child processes,
 * bounded; the stderr logger's format is checked on a fixed clock.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { stderrLogger } from '../../src/cli/log.js';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { ROOT, tsndis } from '../support/cli.js';

const TIMEOUT = { timeout: 60_000 };
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn |info |debug) \S+: .+$/;

/** Two hosts on one wire that both think they are 198.18.0.1: each warns the other claims its address. */
const CONFLICT = `wires:
  lan: { link: up }
hosts:
  a:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan, NetworkAddress: 02-00-00-00-00-0a }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24] } }]
  b:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: lan, NetworkAddress: 02-00-00-00-00-0b }
        protocols: [{ driver: tsndis.tcpip, keywords: { IPAddress: [198.18.0.1/24] } }]
`;

test('stderrLogger: one line per message (time, level, source), below the level dropped, newlines escaped', () => {
  const lines: string[] = [];
  const out = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
  const log = stderrLogger('info', out, () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)));
  log('debug', 'h/eth0', 'not shown');
  log('info', 'h/eth0<-tsndis.tcpip', 'link up');
  log('error', 'h', 'two\nlines');
  assert.deepEqual(lines, ['2026-01-02T03:04:05.006Z info  h/eth0<-tsndis.tcpip: link up\n', '2026-01-02T03:04:05.006Z error h: two\\nlines\n']);
});

test('up shows driver warnings on stderr by default; --log-level debug adds the state changes; error hides the warnings', TIMEOUT, async () => {
  const file = writeFixture(fixtureDir(), 'conflict.yaml', CONFLICT);
  const warn = await tsndis('up', '--config', file, '--duration', '0.5', '--status-interval', '60');
  assert.equal(warn.code, 0, warn.stderr);
  const lines = warn.stderr.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 0, 'the address conflict is reported');
  for (const l of lines) assert.match(l, LINE);
  assert.ok(lines.some((l) => / warn {2}a\/eth0\S*: ARP: 02:00:00:00:00:0b claims our address 198\.18\.0\.1$/.test(l)), warn.stderr);
  assert.ok(!lines.some((l) => / (info |debug) /.test(l)), 'nothing below warn at the default level');
  const debug = await tsndis('up', '--config', file, '--duration', '0.5', '--status-interval', '60', '--log-level', 'debug');
  assert.equal(debug.code, 0, debug.stderr);
  assert.match(debug.stderr, /^\S+ debug a\/eth0: adapter Halted --initialize--> Initializing$/m);
  assert.match(debug.stderr, /^\S+ warn {2}a\/eth0\S*: ARP: .* claims our address/m);
  const quiet = await tsndis('up', '--config', file, '--duration', '0.5', '--status-interval', '60', '--log-level', 'error');
  assert.equal(quiet.stderr, '');
});

test('up --log-level with an unknown level exits 2', TIMEOUT, async () => {
  const r = await tsndis('up', '--config', join(ROOT, 'examples', 'two-hosts.yaml'), '--log-level', 'loud');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--log-level <level>' argument 'loud' is invalid\. Allowed choices are error, warn, info, debug/);
});
