/**
 * `tsndis verify --check offloads`: the offload conformance battery as a check of `tsndis verify` (opt-in:
 * not in the default battery). The built-in virtual wire, tsndis.lbfo's and tsndis.vlan's virtual
 * miniports and a pass-through filter pass it; the miniport broken on purpose fails it naming the rule;
 * through the CLI it exits 1 with the rule in the report, and 0 for a driver that conforms.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { runVerify, VERIFY_CHECK_NAMES, VERIFY_OPTIONAL_CHECK_NAMES } from '../../src/verify/index.js';
import { runTsndis } from '../support/cli.js';

const BROKEN = fileURLToPath(new URL('./broken-offload-wire.js', import.meta.url));

test('verify: offloads is an opt-in check, not part of the default battery', () => {
  assert.deepEqual(VERIFY_OPTIONAL_CHECK_NAMES, ['offloads']);
  assert.equal(VERIFY_CHECK_NAMES.includes('offloads'), false);
});

test('verify --check offloads: tsndis.virtual-wire, tsndis.vlan, tsndis.lbfo and tsndis.passthrough pass; a protocol is skipped with a reason', { timeout: 120_000 }, async () => {
  for (const driver of ['tsndis.virtual-wire', 'tsndis.vlan', 'tsndis.lbfo', 'tsndis.passthrough']) {
    const r = await runVerify(driver, undefined, { checks: ['offloads'] });
    assert.deepEqual(r.checks.map((c) => c.name), ['offloads']);
    const c = r.checks[0]!;
    assert.equal(c.status, 'pass', `${driver}: ${c.problems.join('\n')}`);
  }
  const p = await runVerify('tsndis.raw', undefined, { checks: ['offloads'] });
  assert.equal(p.checks[0]!.status, 'skip');
  assert.match(p.checks[0]!.reason ?? '', /protocol/);
});

test('verify --check offloads: a miniport putting PSH on every segment fails with §2.4 rule 5', { timeout: 60_000 }, async () => {
  const r = await runVerify(BROKEN, undefined, { checks: ['offloads'], keywords: { Break: 'psh' } });
  const c = r.checks[0]!;
  assert.equal(c.status, 'fail');
  assert.ok(c.problems.some((p) => p.startsWith('[lsoV2] §2.4 rule 5: FIN and PSH only on the last segment — ')), c.problems.slice(0, 5).join('\n'));
});

test('tsndis verify --check offloads on the command line: exit 1 with the rule for the broken miniport, 0 for the virtual wire', { timeout: 120_000 }, async () => {
  const bad = await runTsndis(['verify', BROKEN, '--check', 'offloads', '-k', 'Break=checksum'], 60_000);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stdout, /offloads\s+FAIL/);
  assert.match(bad.stdout, /\[checksum\] §2\.1\/§2\.2 no transport checksum when not enabled or the flags contradict the frame/);
  const good = await runTsndis(['verify', 'tsndis.virtual-wire', '--check', 'offloads'], 60_000);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /offloads\s+PASS/);
  const misuse = await runTsndis(['verify', 'tsndis.virtual-wire', '--check', 'offload'], 30_000);
  assert.equal(misuse.code, 2);
  assert.match(misuse.stderr, /^error: .*offloads/m);
});
