/**
 * The package scripts as a user runs them: `npm run bench -- --help` (usage, unknown options refused),
 * the README's command for the demo's JSON (its stdout must parse as JSON, with no npm banner before
 * it), and the test runner's summary line, run against a fixture directory with a passing, a failing
 * and a skipped test. Every child process is bounded.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { fixtureDir, writeFixture } from '../config/helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BENCH = join(ROOT, 'dist', 'bench', 'main.js');
const RUNNER = join(ROOT, 'scripts', 'run-tests.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: readonly string[], limitMs: number): Promise<Run> {
  // Without the test runner's marker: a node:test run() that finds it declines to run any file.
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, env, timeout: limitMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

test('npm run bench -- --help prints the usage and exits 0 without measuring; an unknown option exits 2', { timeout: 60_000 }, async () => {
  const help = await exec(process.execPath, [BENCH, '--help'], 15_000);
  assert.equal(help.code, 0, `exit code (null: still running after 15 s, i.e. benchmarking); ${help.stderr}`);
  assert.match(help.stdout, /^Usage: npm run bench -- \[options\]$/m);
  for (const option of ['--json', '--seconds <n>', '--repeats <n>', '--no-tcp', '--no-impaired', '-h, --help']) assert.ok(help.stdout.includes(option), `usage lists ${option}`);
  const bogus = await exec(process.execPath, [BENCH, '--bogus'], 15_000);
  assert.equal(bogus.code, 2, bogus.stderr);
  assert.match(bogus.stderr, /^error: unknown option '--bogus'$/m);
  assert.equal(bogus.stdout, '');
});

test("the README's command for the demo as JSON prints only JSON on stdout", { timeout: 120_000 }, async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const command = /`(npm (?:start|run)[^`]*--json[^`]*)`/.exec(readme)?.[1];
  assert.ok(command !== undefined, 'README shows how to get the demo as JSON');
  const [npm, ...args] = command.split(/\s+/);
  assert.equal(npm, 'npm');
  // Runs the command exactly as documented (its build step is a no-op: the tests run after a build).
  const r = await exec('npm', args, 90_000);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { ok: boolean; directions: unknown[] };
  assert.equal(report.ok, true);
  assert.equal(report.directions.length, 2);
});

test('the test runner counts passed, failed and skipped tests apart', { timeout: 60_000 }, async () => {
  const dir = fixtureDir();
  // CommonJS, so the fixture needs no package.json; the runner looks for *.test.js under --root.
  writeFixture(
    dir,
    'a.test.js',
    [
      "const { test } = require('node:test');",
      "test('passes', () => {});",
      "test('skips at run time', (t) => { t.skip('no reason needed'); });",
      "test('skips by option', { skip: 'declared' }, () => {});",
      "test('fails', () => { throw new Error('on purpose'); });",
      '',
    ].join('\n'),
  );
  writeFixture(dir, 'b.test.js', "const { test } = require('node:test');\ntest('passes too', () => {});\n");
  const all = await exec(process.execPath, [RUNNER, '--root', dir], 30_000);
  assert.equal(all.code, 1, all.stderr);
  const lines = all.stdout.trimEnd().split('\n');
  assert.equal(lines.at(-1), '2 passed, 1 failed, 2 skipped');
  // Filters still apply, relative to the root.
  const b = await exec(process.execPath, [RUNNER, '--root', dir, 'b.test'], 30_000);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(b.stdout.trimEnd().split('\n').at(-1), '1 passed, 0 failed, 0 skipped');
  // --exclude leaves files out (CI's extra Node lines leave out the root interop tests this way).
  const notA = await exec(process.execPath, [RUNNER, '--root', dir, '--exclude', 'a.test'], 30_000);
  assert.equal(notA.code, 0, notA.stderr);
  assert.equal(notA.stdout.trimEnd().split('\n').at(-1), '1 passed, 0 failed, 0 skipped');
  const none = await exec(process.execPath, [RUNNER, '--root', dir, '--exclude', '.test'], 30_000);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no test files under .* outside \.test/);
  const bare = await exec(process.execPath, [RUNNER, '--root', dir, '--exclude'], 30_000);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^error: --exclude needs a substring$/m);
});

test('scripts/compare-builds.mjs: two builds alternated in one process, a ratio per case; misuse exits 2 with the usage', { timeout: 60_000 }, async () => {
  const script = join(ROOT, 'scripts', 'compare-builds.mjs');
  // This checkout against itself: the figures are real measurements, the format is what is checked.
  const r = await exec(process.execPath, [script, ROOT, '1', '0.1'], 50_000);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  for (const [i, v] of ['off', 'on'].entries()) {
    assert.match(lines[i]!, new RegExp(`^batch 32, verifier ${v}: other \\d+\\.\\d\\d M frames/s, this \\d+\\.\\d\\d M frames/s, ratio \\d+\\.\\d{3}$`));
  }
  for (const args of [[], [ROOT, '0'], [ROOT, '2', '-1']]) {
    const bad = await exec(process.execPath, [script, ...args], 15_000);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, /^usage: node scripts\/compare-builds\.mjs/);
  }
});
