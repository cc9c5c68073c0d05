/**
 * The `tsndis` command line, run as a child process exactly as a user runs it: `stack show` against the
 * example config (tree or JSON, exit 0), against broken configs (exit 2, one `error:` line on stderr),
 * CLI misuse (exit 2) and `version`. Every run has a time limit.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fixtureDir, writeFixture } from '../config/helpers.js';
import { ROOT, tsndis } from '../support/cli.js';

/** Every test here is bounded (the stacks settle in milliseconds; this only catches hangs). */
const TIMEOUT_MS = 60_000;

const EXAMPLE = join(ROOT, 'examples', 'two-hosts.yaml');

describe('tsndis stack show', () => {
  test('prints the tree of examples/two-hosts.yaml and exits 0', { timeout: TIMEOUT_MS }, async () => {
    const r = await tsndis('stack', 'show', '--config', EXAMPLE);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    for (const host of ['hostA', 'hostB']) {
      assert.match(r.stdout, new RegExp(`^host ${host}$`, 'm'));
    }
    assert.match(r.stdout, /├── binding {3}tsndis\.raw +\[Running\]/);
    assert.match(r.stdout, /├── filter {4}tsndis\.counters +\[Running\]/);
    assert.match(r.stdout, /└── miniport {2}tsndis\.virtual-wire +\[Running\]/);
    assert.match(r.stdout, /MAC 02-00-00-00-00-0a/);
    assert.match(r.stdout, /└── verifier on, 0 violations/);
  });

  test('--json --no-verifier prints the model', { timeout: TIMEOUT_MS }, async () => {
    const r = await tsndis('stack', 'show', '--config', EXAMPLE, '--json', '--no-verifier');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { hosts: { host: string; verifier: { enabled: boolean }; adapters: { filters: unknown[] }[] }[] };
    assert.deepEqual(report.hosts.map((h) => [h.host, h.verifier.enabled, h.adapters[0]!.filters.length]), [['hostA', false, 3], ['hostB', false, 3]]);
  });

  test('a broken config: exit 2 and the message on stderr', { timeout: TIMEOUT_MS }, async () => {
    const dir = fixtureDir();
    const file = writeFixture(dir, 'broken.yaml', 'hosts:\n  h:\n    adapters:\n      eth0: { driver: tsndis.nope }\n');
    const r = await tsndis('stack', 'show', '--config', file);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: hosts\\.h\\.adapters\\.eth0\\.driver: unknown driver 'tsndis\\.nope' \\(known: tsndis\\.virtual-wire, .*\\)\\n$`));
  });

  test('a YAML syntax error: exit 2 with the line', { timeout: TIMEOUT_MS }, async () => {
    const file = writeFixture(fixtureDir(), 'syntax.yaml', 'hosts:\n  h: [\n');
    const r = await tsndis('stack', 'show', '--config', file);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: .*syntax\.yaml: line \d+, column \d+: YAML syntax error/);
  });

  test('a missing file: exit 2', { timeout: TIMEOUT_MS }, async () => {
    const r = await tsndis('stack', 'show', '--config', join(fixtureDir(), 'absent.yaml'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: .*absent\.yaml: cannot read the config file: no such file\n$/);
  });
});

describe('tsndis misuse and version', () => {
  test('stack show needs --config or --attach', { timeout: TIMEOUT_MS }, async () => {
    const r = await tsndis('stack', 'show');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: give exactly one of --config <file> \(build the stacks here\) or --attach <socket> \(a running tsndis up\)\n$/);
  });

  test('an unknown option', { timeout: TIMEOUT_MS }, async () => {
    const r = await tsndis('stack', 'show', '--config', EXAMPLE, '--bogus');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--bogus'/);
  });

  test('demo --frames must be a positive integer', { timeout: TIMEOUT_MS }, async () => {
    const r = await tsndis('demo', '--frames', '0');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: option '--frames <n>' argument '0' is invalid\. expected an integer from 1 to /m);
  });

  test('demo stops at its time limit: says so, with the frames that went, and does not report OK', { timeout: TIMEOUT_MS }, async () => {
    // Far more frames than fit in 0.3 s: the limit ends the run, which must not pass for a complete one.
    const json = await tsndis('demo', '--frames', '5000000', '--timeout', '0.3', '--json');
    assert.equal(json.code, 1, json.stderr);
    const report = JSON.parse(json.stdout) as { ok: boolean; stoppedEarly: boolean; timeoutMs: number; directions: { framesOffered: number; sent: number }[] };
    assert.equal(report.ok, false);
    assert.equal(report.stoppedEarly, true);
    assert.equal(report.timeoutMs, 300);
    for (const d of report.directions) {
      assert.equal(d.framesOffered, 5_000_000);
      assert.ok(d.sent > 0 && d.sent < 5_000_000, `sent ${d.sent}`);
    }
    const text = await tsndis('demo', '--frames', '5000000', '--timeout', '0.3');
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^ {2}stopped early: the 0\.3 s time limit ended the run after \d+ of 5000000 frames hostA → hostB and \d+ of 5000000 hostB → hostA$/m);
    assert.match(text.stdout, /^ {2}result: INCOMPLETE in \d+ ms$/m);
    assert.doesNotMatch(text.stdout, /result: OK/);
    // A run that sends everything in time says OK and nothing about stopping early.
    const full = await tsndis('demo', '--frames', '100', '--json');
    assert.equal(full.code, 0, full.stderr);
    const fullReport = JSON.parse(full.stdout) as { ok: boolean; stoppedEarly: boolean; directions: { sent: number }[] };
    assert.equal(fullReport.ok, true);
    assert.equal(fullReport.stoppedEarly, false);
  });

  test('version', { timeout: TIMEOUT_MS }, async () => {
    const r = await tsndis('version');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^tsndis \d+\.\d+\.\d+ \(node v\d+/);
  });
});
