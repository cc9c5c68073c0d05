/**
 * `tsndis verify` as a library (src/verify): every built-in driver and the examples' custom filter pass
 * the battery (this is how CI runs verify against every built-in: `npm test`), each check the kind
 * cannot take is skipped with a reason, and deliberately broken drivers (test/fixtures/verify/) fail
 * exactly the checks they should, naming the verifier rules they break, with NBL histories.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILTIN_DRIVERS } from '../../src/drivers/builtin.js';
import { runVerify, VERIFY_CHECK_NAMES, VerifyUsageError, type VerifyReport } from '../../src/verify/index.js';
import { ROOT } from '../support/cli.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'verify');
const fixture = (name: string): string => join(FIXTURES, `${name}.js`);

function statuses(r: VerifyReport): Record<string, string> {
  return Object.fromEntries(r.checks.map((c) => [c.name, c.status]));
}

/** The checks each kind of built-in cannot take (the rest must pass). */
function expectedSkips(kind: string, name: string): string[] {
  const skips = kind === 'filter' ? [] : ['filter-detach-under-traffic'];
  if (kind === 'protocol') skips.push('oid-lengths');
  if (kind === 'miniport' && name !== 'tsndis.virtual-wire') skips.push('status-indications');
  return VERIFY_CHECK_NAMES.filter((c) => skips.includes(c));
}

test('verify: every built-in driver passes every check its kind takes; the others are skipped with a reason', { timeout: 180_000 }, async () => {
  assert.ok(BUILTIN_DRIVERS.size >= 13);
  for (const name of BUILTIN_DRIVERS.keys()) {
    const r = await runVerify(name);
    assert.equal(r.driver, name);
    assert.equal(r.source, 'builtin');
    assert.deepEqual(r.checks.map((c) => c.name), VERIFY_CHECK_NAMES, name);
    const failures = r.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${[...c.problems, ...c.violations.map((v) => `[${v.rule}] ${v.detail}`)].join('; ')}`);
    assert.deepEqual(failures, [], `${name} failed`);
    for (const c of r.checks.filter((x) => x.status === 'skip')) assert.ok((c.reason ?? '').length > 10, `${name}/${c.name}: skipped without a reason`);
    const skipped = r.checks.filter((c) => c.status === 'skip').map((c) => c.name);
    if (name === 'tsndis.tap' && process.getuid?.() !== 0) {
      assert.deepEqual(skipped, VERIFY_CHECK_NAMES, 'tsndis.tap without root: every check is skipped');
      continue;
    }
    assert.deepEqual(skipped, expectedSkips(r.kind, name), `${name} (${r.kind}): skipped checks`);
    const peerless = name === 'tsndis.pcapng' || name === 'tsndis.tap';
    const noted = r.checks.filter((c) => c.note !== undefined).map((c) => c.name);
    assert.deepEqual(noted, peerless ? ['attach-detach', 'pause-restart', 'surprise-removal', 'traffic-burst', 'no-leaks'] : [], `${name}: a note on the traffic checks of miniports without a peer`);
    assert.equal(r.ok, true);
    assert.equal(r.passed + r.skipped, VERIFY_CHECK_NAMES.length);
  }
});

test("verify: the examples' custom filter (a plain JS module) passes every check", { timeout: 60_000 }, async () => {
  const r = await runVerify('examples/custom-filter/my-filter.js', undefined, { baseDir: ROOT });
  assert.equal(r.driver, 'example.ethertype-counter');
  assert.equal(r.kind, 'filter');
  assert.equal(r.source, join(ROOT, 'examples', 'custom-filter', 'my-filter.js'));
  assert.deepEqual(statuses(r), Object.fromEntries(VERIFY_CHECK_NAMES.map((n) => [n, 'pass'])));
});

test('verify: a filter completing sends twice fails every check that carries traffic, with NblDoubleComplete and the NBL history', { timeout: 60_000 }, async () => {
  const r = await runVerify(fixture('double-complete-send'));
  assert.deepEqual(statuses(r), {
    'attach-detach': 'fail',
    'pause-restart': 'fail',
    'oid-lengths': 'pass',
    'status-indications': 'pass',
    'surprise-removal': 'fail',
    'filter-detach-under-traffic': 'fail',
    'traffic-burst': 'fail',
    'no-leaks': 'fail',
  });
  for (const c of r.checks.filter((x) => x.status === 'fail')) {
    assert.deepEqual(c.violatedRules, ['NblDoubleComplete'], c.name);
    const v = c.violations[0]!;
    assert.equal(v.module, 'dut/eth0/fixture.double-complete-send');
    // The history shows the NBL's way: allocated by raw, sent through the filter, completed back up.
    const events = (v.history ?? []).map((e) => `${e.event} ${e.module}${e.to === undefined ? '' : ` → ${e.to}`}`);
    assert.ok(events.includes('allocated dut/eth0<-tsndis.raw'), events.join('\n'));
    assert.ok(events.includes('sent dut/eth0/fixture.double-complete-send → dut/eth0'), events.join('\n'));
    assert.ok(events.includes('completed dut/eth0/fixture.double-complete-send → dut/eth0/ndis'), events.join('\n'));
  }
  assert.equal(r.ok, false);
  assert.equal(r.failed, 6);
});

test('verify: a filter ignoring OID buffer lengths fails oid-lengths alone, saying which OID and what it answered', { timeout: 60_000 }, async () => {
  const r = await runVerify(fixture('ignores-oid-length'));
  const failed = r.checks.filter((c) => c.status === 'fail');
  assert.deepEqual(failed.map((c) => c.name), ['oid-lengths']);
  assert.deepEqual(failed[0]!.violatedRules, []);
  assert.deepEqual(failed[0]!.problems, [
    'query OID_GEN_MAXIMUM_FRAME_SIZE with a 0-byte buffer: NDIS_STATUS_SUCCESS, BytesWritten 4, BytesNeeded 0 (expected BUFFER_TOO_SHORT or INVALID_LENGTH, nothing written, BytesNeeded > 0)',
  ]);
});

test('verify: a filter that never completes its pause fails pause-restart with a timeout and NdisFilterTimedPauseComplete (verify does not hang)', { timeout: 60_000 }, async () => {
  const start = performance.now();
  const r = await runVerify(fixture('never-completes-pause'), 'filter', { checks: ['pause-restart'], timeoutMs: 3000 });
  assert.deepEqual(statuses(r), { 'pause-restart': 'fail' });
  const c = r.checks[0]!;
  assert.deepEqual(c.violatedRules, ['NdisFilterTimedPauseComplete']);
  assert.equal(c.violations[0]!.module, 'dut/eth0/fixture.never-completes-pause');
  assert.ok(c.problems.includes('pausing eth0 did not finish within 2000 ms'), c.problems.join('\n'));
  // Bounded: the check (2 s for the pause) and the abandoned teardown (2 s), with room for the build.
  assert.ok(performance.now() - start < 15_000);
});

test('verify: a filter leaking an NBL and its pool fails every check (each detaches it), naming TeardownLeak', { timeout: 60_000 }, async () => {
  const r = await runVerify(fixture('leaks-nbl'));
  assert.deepEqual(r.checks.filter((c) => c.status !== 'fail').map((c) => c.name), []);
  for (const c of r.checks) assert.deepEqual(c.violatedRules, ['TeardownLeak'], c.name);
  const noLeaks = r.checks.find((c) => c.name === 'no-leaks')!;
  assert.ok(noLeaks.violations.some((v) => v.module === 'dut/eth0/fixture.leaks-nbl' && /fixture-leak/.test(v.detail)));
});

test('verify: a filter indicating while paused fails the checks that pause it, naming SendWhilePaused', { timeout: 60_000 }, async () => {
  const r = await runVerify(fixture('indicate-while-paused'), undefined, { checks: ['pause-restart', 'traffic-burst'] });
  for (const c of r.checks) {
    assert.equal(c.status, 'fail', c.name);
    assert.ok(c.violatedRules.includes('SendWhilePaused'), `${c.name}: ${c.violatedRules.join(', ')}`);
    assert.ok(c.violations.some((v) => v.rule === 'SendWhilePaused' && v.module === 'dut/eth0/fixture.indicate-while-paused'));
  }
});

test('verify: --kind chooses among the drivers a module exports; without it verify says to', { timeout: 60_000 }, async () => {
  await assert.rejects(runVerify(fixture('two-drivers')), (e: unknown) => e instanceof VerifyUsageError && /exports several drivers \(fixture\.double-complete-send \(filter\), fixture\.stuck-bind \(protocol\)\): choose one with --kind/.test(e.message));
  const r = await runVerify(fixture('two-drivers'), 'filter', { checks: ['oid-lengths', 'traffic-burst'] });
  assert.equal(r.driver, 'fixture.double-complete-send');
  assert.deepEqual(statuses(r), { 'oid-lengths': 'pass', 'traffic-burst': 'fail' });
});

test('verify: misuse is a VerifyUsageError (exit 2 in the CLI): unknown driver, not a driver module, wrong kind, unknown check, bad keyword', async () => {
  const usage = (re: RegExp) => (e: unknown) => e instanceof VerifyUsageError && e.code === 'TSNDIS_CONFIG_INVALID' && re.test(e.message);
  await assert.rejects(runVerify('tsndis.nope'), usage(/'tsndis\.nope' is neither a built-in driver \(tsndis\.virtual-wire, .*\) nor a driver module file/));
  await assert.rejects(runVerify(fixture('base')), usage(/does not export driver characteristics/));
  await assert.rejects(runVerify(fixture('no-such-file')), usage(/cannot find driver module/));
  await assert.rejects(runVerify('tsndis.counters', 'protocol'), usage(/'tsndis\.counters' has no protocol driver \(it exports: tsndis\.counters \(filter\)\)/));
  await assert.rejects(runVerify('tsndis.counters', undefined, { checks: ['nope'] }), usage(/no check named 'nope'/));
  await assert.rejects(runVerify('tsndis.capture', undefined, { keywords: { Bogus: '1' } }), usage(/^unknown keyword 'Bogus' for driver 'tsndis\.capture'/));
  await assert.rejects(runVerify('tsndis.counters', undefined, { timeoutMs: 0 }), usage(/more than 0 ms/));
});
