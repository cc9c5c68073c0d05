/**
 * The battery can fail: against a miniport that breaks one offload rule on purpose
 * (broken-offload-wire.ts), it reports that rule, with the miniport and the frame.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatOffloadConformance } from '../../src/verify/offload-conformance.js';
import { ALL_OFFLOADS, PEER_OFFLOADS, RAW, kw, runOn, uniqueWire } from './offload-helpers.js';

const BROKEN = fileURLToPath(new URL('./broken-offload-wire.js', import.meta.url));

function yaml(mode: string, dutKeywords: Record<string, unknown>): string {
  const w = uniqueWire('ocb');
  return `
drivers: [${JSON.stringify(BROKEN)}]
wires: { ${w}: {} }
hosts:
  dut:
    adapters:
      eth0: { driver: test.broken-offload-wire, keywords: ${kw({ Wire: w, Break: mode, ...dutKeywords })}, protocols: [${RAW}] }
  peer:
    adapters:
      eth0: { driver: test.broken-offload-wire, keywords: ${kw({ Wire: w, Break: mode, ...PEER_OFFLOADS })}, protocols: [${RAW}] }
`;
}

test('offload conformance catches a miniport that puts PSH on every LSO segment (§2.4 rule 5), naming the miniport and the frame', { timeout: 60_000 }, async () => {
  const r = await runOn(yaml('psh', ALL_OFFLOADS), 'test.broken-offload-wire (psh)', 'dut/eth0', 'peer/eth0');
  assert.equal(r.ok, false);
  // Both LSO families run over the broken wire (LSOv1 is offered too): each must fail on the rule.
  assert.equal(r.families.find((f) => f.family === 'lsoV2')?.status, 'fail', formatOffloadConformance(r));
  assert.equal(r.families.find((f) => f.family === 'lsoV1')?.status, 'fail', formatOffloadConformance(r));
  const psh = r.failures.filter((f) => f.rule === '§2.4 rule 5: FIN and PSH only on the last segment');
  assert.ok(psh.length > 0, formatOffloadConformance(r));
  assert.deepEqual([...new Set(psh.map((f) => f.family))].sort(), ['lsoV1', 'lsoV2']);
  for (const f of psh) {
    assert.equal(f.target, 'test.broken-offload-wire (psh)');
    assert.match(f.detail, /segment \d+\/\d+: flags 0x[0-9a-f]+, expected 0x[0-9a-f]+/);
    assert.match(f.frame, /^ffffffffffff[0-9a-f]+… \(\d+ bytes\)$/);
  }
});

test('offload conformance catches a miniport that computes transport checksums it was not asked to (offloads off, §2.2)', { timeout: 60_000 }, async () => {
  const r = await runOn(yaml('checksum', {}), 'test.broken-offload-wire (checksum)', 'dut/eth0', 'peer/eth0');
  assert.equal(r.families.find((f) => f.family === 'checksum')?.status, 'fail', formatOffloadConformance(r));
  const wrong = r.failures.filter((f) => f.rule === '§2.1/§2.2 no transport checksum when not enabled or the flags contradict the frame');
  assert.ok(wrong.length > 0, formatOffloadConformance(r));
  assert.ok(wrong.some((f) => /^TCP\/IPv4 with IsIPv4\|TcpChecksum: TCP checksum 0x[0-9a-f]+, expected 0x[0-9a-f]+ \(as sent\)$/.test(f.detail)), formatOffloadConformance(r));
});
