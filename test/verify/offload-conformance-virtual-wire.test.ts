/**
 * The offload conformance battery against tsndis.virtual-wire: with every offload on (checksums, LSOv2, LSOv1, USO,
 * RSC — the receiver takes a peer's large sends whole), and with none (a miniport without offloads must
 * do no checksum work whatever the NBL info asks, and refuse LSO).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_OFFLOADS, PEER_OFFLOADS, RAW, assertConforms, kw, runOn, uniqueWire } from './offload-helpers.js';

function yaml(dutKeywords: Record<string, unknown>): string {
  const w = uniqueWire('oc');
  return `
wires: { ${w}: {} }
hosts:
  dut:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: ${kw({ Wire: w, ...dutKeywords })}, protocols: [${RAW}] }
  peer:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: ${kw({ Wire: w, ...PEER_OFFLOADS })}, protocols: [${RAW}] }
`;
}

test('offload conformance: tsndis.virtual-wire with every offload on passes checksum, LSOv2, LSOv1, USO, RSC and the configuration walk', { timeout: 60_000 }, async () => {
  const r = await runOn(yaml(ALL_OFFLOADS), 'tsndis.virtual-wire', 'dut/eth0', 'peer/eth0');
  assertConforms(r, ['checksum', 'lsoV2', 'lsoV1', 'uso', 'rsc', 'config']);
});

test('offload conformance: tsndis.virtual-wire without offloads does no checksum work and reports every offload family not offered', { timeout: 60_000 }, async () => {
  const r = await runOn(yaml({}), 'tsndis.virtual-wire', 'dut/eth0', 'peer/eth0');
  assertConforms(r, ['checksum']);
  for (const f of ['lsoV2', 'lsoV1', 'uso', 'rsc', 'config']) assert.equal(r.families.find((x) => x.family === f)?.status, 'not-offered', f);
});
