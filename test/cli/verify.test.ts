/**
 * `tsndis verify` on the command line: a representative few drivers through the CLI (the rest run
 * through the library in test/verify/verify.test.ts), text and --json, a broken driver failing with its
 * rule and NBL history, exit statuses, progress only on a terminal, and the examples of docs/verify.md
 * being what the command prints.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { verifyCommand } from '../../src/cli/commands/verify.js';
import { VERIFY_CHECK_NAMES, type VerifyReport } from '../../src/verify/index.js';
import { codeBlocks } from '../docs/markdown-blocks.js';
import { ROOT, runTsndis } from '../support/cli.js';

const TIMEOUT_MS = 120_000;

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

test("tsndis verify: the examples' custom filter passes; the text report lists every check", { timeout: TIMEOUT_MS }, async () => {
  const r = await runTsndis(['verify', 'examples/custom-filter/my-filter.js'], TIMEOUT_MS);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stderr, ''); // piped: no progress line
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'tsndis verify: example.ethertype-counter (filter, examples/custom-filter/my-filter.js)');
  assert.match(lines[2]!, /^ {2}CHECK +RESULT +TIME +RULES VIOLATED \/ NOTE$/);
  const rows = lines.slice(3, 3 + VERIFY_CHECK_NAMES.length).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.map((c) => [c[0], c[1], c[3]]), VERIFY_CHECK_NAMES.map((n) => [n, 'PASS', 'ms']));
  assert.ok(r.stdout.includes('\n8 checks: 8 passed, 0 failed, 0 skipped\n'));
  assert.ok(!r.stdout.includes('FAIL'));
});

test('tsndis verify --json: built-in filter, protocol, intermediate and miniport; skipped checks carry their reason', { timeout: TIMEOUT_MS }, async () => {
  const expected: Record<string, { kind: string; skipped: string[] }> = {
    'tsndis.counters': { kind: 'filter', skipped: [] },
    'tsndis.raw': { kind: 'protocol', skipped: ['oid-lengths', 'filter-detach-under-traffic'] },
    'tsndis.im-passthrough': { kind: 'intermediate', skipped: ['filter-detach-under-traffic'] },
    'tsndis.virtual-wire': { kind: 'miniport', skipped: ['filter-detach-under-traffic'] },
  };
  for (const [driver, want] of Object.entries(expected)) {
    const r = await runTsndis(['verify', driver, '--json'], TIMEOUT_MS);
    assert.equal(r.code, 0, `${driver}: ${r.stdout}${r.stderr}`);
    const report = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(report.driver, driver);
    assert.equal(report.kind, want.kind);
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks.filter((c) => c.status === 'skip').map((c) => c.name), want.skipped, driver);
    assert.deepEqual(report.checks.filter((c) => c.status === 'pass').map((c) => c.name), VERIFY_CHECK_NAMES.filter((n) => !want.skipped.includes(n)), driver);
    for (const c of report.checks.filter((x) => x.status === 'skip')) assert.ok((c.reason ?? '').length > 0);
    assert.equal(report.passed, VERIFY_CHECK_NAMES.length - want.skipped.length);
  }
});

test('tsndis verify: a driver completing sends twice exits 1 and prints the rule, the module and the NBL history', { timeout: TIMEOUT_MS }, async () => {
  const r = await runTsndis(['verify', 'test/fixtures/verify/double-complete-send.js', '--check', 'traffic-burst', '--check', 'oid-lengths'], TIMEOUT_MS);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^ {2}oid-lengths +PASS +\d+ ms$/m);
  assert.match(r.stdout, /^ {2}traffic-burst +FAIL +\d+ ms {2}NblDoubleComplete$/m);
  assert.ok(r.stdout.includes('2 checks: 1 passed, 1 failed, 0 skipped'));
  assert.ok(r.stdout.includes('[NblDoubleComplete] dut/eth0/fixture.double-complete-send: completed NBL dut/eth0:raw-tx#'));
  assert.match(r.stdout, /history \(oldest first\):\n +[\d.]+ ms {2}allocated dut\/eth0<-tsndis\.raw\n +[\d.]+ ms {2}sent {6}dut\/eth0<-tsndis\.raw → dut\/eth0\/fixture\.double-complete-send\n/);
});

test('tsndis verify: a protocol whose bind never completes fails with a timeout and the command still exits', { timeout: TIMEOUT_MS }, async () => {
  // Before the bench's stacks were built unreferenced, the report was printed and the process never ended.
  const r = await runTsndis(['verify', 'test/fixtures/verify/stuck-bind.js', '--check', 'traffic-burst', '--check', 'no-leaks', '--timeout', '2'], 60_000);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^ {2}traffic-burst +FAIL /m);
  assert.match(r.stdout, /^ {2}no-leaks +FAIL /m);
  assert.equal(r.stdout.split('  - building the stacks did not finish within 2000 ms\n').length - 1, 2);
});

test('tsndis verify: misuse exits 2 with one error line', { timeout: TIMEOUT_MS }, async () => {
  for (const [args, message] of [
    [['verify', 'tsndis.nope'], /^error: 'tsndis\.nope' is neither a built-in driver/],
    [['verify', 'tsndis.counters', '--kind', 'router'], /argument 'router' is invalid\. expected one of miniport, filter, protocol, intermediate/],
    [['verify', 'tsndis.counters', '--kind', 'miniport'], /^error: 'tsndis\.counters' has no miniport driver/],
    [['verify', 'tsndis.counters', '--check', 'everything'], /argument 'everything' is invalid/],
    [['verify', 'tsndis.counters', '--timeout', '0'], /argument '0' is invalid/],
    [['verify', 'test/fixtures/verify/base.js'], /^error: .*does not export driver characteristics/],
    [['verify', 'tsndis.capture', '-k', 'Nope=1'], /^error: unknown keyword 'Nope' for driver 'tsndis\.capture'/],
    [['verify', 'tsndis.capture', '-k', 'MaxFiles=0'], /^error: keyword 'MaxFiles' of driver 'tsndis\.capture': 0 is out of range 1\.\.1000\n$/],
  ] as const) {
    const r = await runTsndis(args, TIMEOUT_MS);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('tsndis verify: progress names each check on a terminal and erases itself; nothing off a terminal', { timeout: TIMEOUT_MS }, async () => {
  const options = { check: ['oid-lengths', 'traffic-burst'], timeout: 10, json: true };
  const tty = new Capture(true);
  const out = new Capture(false);
  assert.equal(await verifyCommand('tsndis.counters', options, out, tty), 0);
  assert.match(tty.text, /verify 1\/2: oid-lengths, \d+ s/);
  assert.match(tty.text, /verify 2\/2: traffic-burst, \d+ s/);
  assert.ok(tty.text.endsWith('\r\x1b[K'));
  assert.equal((JSON.parse(out.text) as VerifyReport).passed, 2);
  const pipe = new Capture(false);
  assert.equal(await verifyCommand('tsndis.counters', options, new Capture(false), pipe), 0);
  assert.equal(pipe.text, '');
});

// ---- docs/verify.md: its examples are what the command prints ----------------------------------

/** Numbers vary from run to run (times, NBL slots) and so do the column widths around them. */
const normalize = (line: string): string => line.replace(/\d+(\.\d+)?/g, 'N').replace(/\s+/g, ' ').trim();

/** Numbers in `time` and `durationMs` vary; the source path is the reader's own. */
function normalizeJson(v: unknown, key = ''): unknown {
  if (key === 'time' || key === 'durationMs') return typeof v === 'number' ? 0 : v;
  if (key === 'source' && typeof v === 'string') return v.endsWith('test/fixtures/verify/double-complete-send.js') ? 'SOURCE' : v;
  if (Array.isArray(v)) return v.map((x) => normalizeJson(x));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeJson(x, k)]));
  return v;
}

/** `doc` is `actual` with array tails left out (the document shows the first violations only). */
function assertPrefix(doc: unknown, actual: unknown, at = '$'): void {
  if (Array.isArray(doc)) {
    assert.ok(Array.isArray(actual) && actual.length >= doc.length, `${at}: the document shows more elements than the command printed`);
    for (const [i, x] of doc.entries()) assertPrefix(x, (actual as unknown[])[i], `${at}[${i}]`);
  } else if (typeof doc === 'object' && doc !== null) {
    assert.deepEqual(Object.keys(doc).sort(), Object.keys(actual as object).sort(), `${at}: keys`);
    for (const [k, x] of Object.entries(doc)) assertPrefix(x, (actual as Record<string, unknown>)[k], `${at}.${k}`);
  } else {
    assert.deepEqual(doc, actual, at);
  }
}

test('docs/verify.md: each `$ tsndis verify …` example is what the command prints (numbers aside)', { timeout: TIMEOUT_MS }, async () => {
  const doc = 'docs/verify.md';
  const blocks = codeBlocks(doc, readFileSync(join(ROOT, doc), 'utf8'));
  let examples = 0;
  for (const [i, b] of blocks.entries()) {
    const first = b.code.split('\n')[0]!;
    if (b.lang !== 'text' || !first.startsWith('$ tsndis verify ')) continue;
    const args = first.slice('$ '.length).split(' ').slice(1);
    const r = await runTsndis(args, TIMEOUT_MS);
    assert.equal(r.stderr, '', first);
    const shown = b.code.split('\n').slice(1).filter((l) => l.trim() !== '');
    if (shown.length > 0) {
      // The printed report, line for line.
      const printed = r.stdout.split('\n').filter((l) => l.trim() !== '');
      const cut = printed.slice(0, shown.length);
      assert.deepEqual(shown.map(normalize), cut.map(normalize), `${doc}:${b.line}: ${first}`);
    } else {
      // The JSON block right after it.
      const json = blocks[i + 1]!;
      assert.equal(json.lang, 'json', `${doc}:${b.line}: a command without output is followed by its JSON`);
      assertPrefix(normalizeJson(JSON.parse(json.code)), normalizeJson(JSON.parse(r.stdout)));
      assert.equal(relative(ROOT, (JSON.parse(r.stdout) as VerifyReport).source), 'test/fixtures/verify/double-complete-send.js');
    }
    examples++;
  }
  assert.equal(examples, 4, 'the text report, the failure with history, the JSON report and the offload battery');
});
