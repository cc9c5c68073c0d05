/**
 * The `tsndis` command line, run as a child process exactly as a user runs it: `stack show` against the
 * example config (tree or JSON, exit 0), against broken configs (exit 2, one `error:` line on stderr),
 * CLI misuse (exit 2) and `version`. Every run has a time limit.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { fixtureDir, writeFixture } from '../config/helpers.js';

/** Every test here is bounded (the stacks settle in milliseconds; this only catches hangs). */
const TIMEOUT_MS = 60_000;

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const EXAMPLE = join(ROOT, 'examples', 'two-hosts.yaml');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tsndis(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: ROOT, timeout: 30_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') reject(err);
      else resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
  });
}

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
    assert.match(r.stderr, /--frames <n>' argument '0' is invalid\. expected a positive integer/);
  });

  test('version', { timeout: TIMEOUT_MS }, async () => {
    const r = await tsndis('version');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^tsndis \d+\.\d+\.\d+ \(node v\d+/);
  });
});
