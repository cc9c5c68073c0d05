/**
 * The offload conformance battery against the intermediate drivers' virtual miniports, over virtual
 * wires with every offload on below:
 *   tsndis.vlan   dut: virtual-wire ─ vlan ─ vm0 (VLAN 10) ─ raw      peer: the same shape (it reads the tags)
 *   tsndis.lbfo   dut: m1, m2 (virtual wires) ─ lbfo ─ team0 ─ raw    peer: a bridge joins m1's and m2's
 *                 wires to the peer's (a switch), as in test/drivers/lbfo
 * The IMs pass the per-packet offload info down (VLAN moves the header offsets by the tag) and
 * advertise what their lower adapters offer (§1.7), so the battery's families run through them. The
 * virtual wire declares checksums and LSO for tagged frames too; tsndis.vlan maps them and keeps RSC
 * off (vlan/offload.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_OFFLOADS, PEER_OFFLOADS, RAW, assertConforms, kw, runOn, uniqueWire } from './offload-helpers.js';

test('offload conformance: tsndis.vlan over a virtual wire passes checksum, LSOv2 and the configuration walk; RSC is not offered', { timeout: 60_000 }, async () => {
  const w = uniqueWire('ocv');
  const host = (offloads: Record<string, unknown>) => `
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: ${kw({ Wire: w, ...offloads })} }
      vm0: { keywords: { VlanID: 10 }, protocols: [${RAW}] }
    intermediates:
      - { driver: tsndis.vlan, lower: eth0, upper: [vm0] }`;
  const yaml = `
wires: { ${w}: {} }
hosts:
  dut:${host(ALL_OFFLOADS)}
  peer:${host(PEER_OFFLOADS)}
`;
  const r = await runOn(yaml, 'tsndis.vlan (over tsndis.virtual-wire)', 'dut/vm0', 'peer/vm0');
  assertConforms(r, ['checksum', 'lsoV2', 'config']);
  assert.equal(r.families.find((x) => x.family === 'rsc')?.status, 'not-offered');
});

test('offload conformance: tsndis.lbfo over two virtual wires passes checksum, LSOv2, RSC and the configuration walk', { timeout: 60_000 }, async () => {
  const [a, b, c] = [uniqueWire('ocA'), uniqueWire('ocB'), uniqueWire('ocC')];
  const yaml = `
wires: { ${a}: {}, ${b}: {}, ${c}: {} }
hosts:
  dut:
    adapters:
      m1: { driver: tsndis.virtual-wire, keywords: ${kw({ Wire: a, NetworkAddress: '02-00-00-00-0a-01', ...ALL_OFFLOADS })} }
      m2: { driver: tsndis.virtual-wire, keywords: ${kw({ Wire: b, NetworkAddress: '02-00-00-00-0a-02', ...ALL_OFFLOADS })} }
      team0: { protocols: [${RAW}] }
    intermediates:
      - { driver: tsndis.lbfo, lower: [m1, m2], upper: team0, keywords: { TeamingMode: ActiveStandby } }
  sw:
    adapters:
      a: { driver: tsndis.virtual-wire, keywords: { Wire: ${a} }, protocols: [{ driver: tsndis.bridge }] }
      b: { driver: tsndis.virtual-wire, keywords: { Wire: ${b} }, protocols: [{ driver: tsndis.bridge }] }
      c: { driver: tsndis.virtual-wire, keywords: { Wire: ${c} }, protocols: [{ driver: tsndis.bridge }] }
  peer:
    adapters:
      eth0: { driver: tsndis.virtual-wire, keywords: ${kw({ Wire: c, ...PEER_OFFLOADS })}, protocols: [${RAW}] }
`;
  const r = await runOn(yaml, 'tsndis.lbfo (over tsndis.virtual-wire)', 'dut/team0', 'peer/eth0');
  assertConforms(r, ['checksum', 'lsoV2', 'rsc', 'config']);
});
