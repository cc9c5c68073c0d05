/**
 * The offload conformance battery against tsndis.tap (root: it creates a TAP device; skipped with the
 * reason otherwise). The kernel side is the wire; the battery has no peer binding there, so it checks
 * what the miniport says — capabilities, current configuration and its indications through the
 * OID_TCP_OFFLOAD_PARAMETERS walk, send completions and the LSO completion info, and the LSO requests it
 * must refuse before anything reaches the kernel (MSS over the MTU, fewer segments than MinSegmentCount,
 * more than MaxOffLoadSize, headers not in the first MDL — the last needs a buffer without backfill, so
 * on the TAP it is left out). What the kernel makes of the frames is test/interop/tap-offload.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { formatOffloadConformance } from '../../src/verify/offload-conformance.js';
import { interopSkipReason, uniqueName } from '../support/netns.js';
import { ALL_OFFLOADS, RAW, assertConforms, kw, runOn } from './offload-helpers.js';

test('offload conformance: tsndis.tap with every offload on (statuses and completions; the kernel side is not observed)', { timeout: 60_000 }, async (t) => {
  const why = interopSkipReason();
  if (why !== null) {
    t.skip(why);
    return;
  }
  const name = uniqueName('oc');
  const yaml = `
hosts:
  dut:
    adapters:
      eth0: { driver: tsndis.tap, keywords: ${kw({ InterfaceName: name, ...ALL_OFFLOADS })}, protocols: [${RAW}] }
`;
  const r = await runOn(yaml, 'tsndis.tap', 'dut/eth0', null, () => execFileSync('ip', ['link', 'set', name, 'up']));
  assertConforms(r, ['checksum', 'lsoV2', 'lsoV1', 'uso', 'config']);
  assert.equal(r.families.find((f) => f.family === 'rsc')?.status, 'not-offered', formatOffloadConformance(r));
});
