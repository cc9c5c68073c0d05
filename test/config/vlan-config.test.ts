/**
 * tsndis.vlan in a config: each virtual adapter's VlanID (its own `keywords:`) is required, in 1–4094,
 * and unique over one lower adapter; each mistake is a ConfigError naming the key. A good config loads
 * with the keywords on the virtual adapters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectConfigError, parse } from './helpers.js';

function vlanConfig(v10: string, v20: string, upper = '[v10, v20]'): string {
  return `hosts:
  h:
    adapters:
      eth0: { driver: tsndis.virtual-wire }
      v10: ${v10}
      v20: ${v20}
    intermediates:
      - { driver: tsndis.vlan, lower: eth0, upper: ${upper} }
`;
}

test('vlan config: VlanID out of range (0, 4095, -1) is an error at the keyword', async () => {
  for (const bad of [0, 4095, -1]) {
    await expectConfigError(vlanConfig(`{ keywords: { VlanID: ${bad} } }`, '{ keywords: { VlanID: 20 } }'), 'hosts.h.adapters.v10.keywords.VlanID', /keyword 'VlanID' of driver 'tsndis\.vlan': -?\d+ is out of range 1\.\.4094/);
  }
  await expectConfigError(vlanConfig('{ keywords: { VlanID: ten } }', '{ keywords: { VlanID: 20 } }'), 'hosts.h.adapters.v10.keywords.VlanID', /expected an integer/);
});

test('vlan config: two virtual adapters with one VLAN over the same lower adapter', async () => {
  await expectConfigError(
    vlanConfig('{ keywords: { VlanID: 10 } }', '{ keywords: { VlanID: 0x0a } }'),
    'hosts.h.adapters.v20.keywords.VlanID',
    /10 is already the VlanID of 'v10' over the same lower adapter 'eth0'/,
  );
});

test('vlan config: a virtual adapter without VlanID (listed, or only named in upper) names where it belongs', async () => {
  await expectConfigError(vlanConfig('{ keywords: { VlanID: 10 } }', '{ protocols: [tsndis.raw] }'), 'hosts.h.adapters.v20.keywords', /required keyword 'VlanID' of driver 'tsndis\.vlan' is missing/);
  await expectConfigError(vlanConfig('{ keywords: { VlanID: 10 } }', '{ keywords: { VlanID: 20 } }', '[v10, v20, v30]'), 'hosts.h.intermediates[0].upper[2].keywords', /required keyword 'VlanID'/);
  await expectConfigError(vlanConfig('{ keywords: { VlanId: 10 } }', '{ keywords: { VlanID: 20 } }'), 'hosts.h.adapters.v10.keywords.VlanId', /unknown keyword 'VlanId' for driver 'tsndis\.vlan' \(did you mean 'VlanID'\?\)/);
});

test('vlan config: the same VLAN over two different lower adapters is fine, and the keywords reach the description', async () => {
  const d = await parse(`hosts:
  h:
    adapters:
      eth0: { driver: tsndis.virtual-wire }
      eth1: { driver: tsndis.virtual-wire }
      a10: { keywords: { VlanID: 10 } }
      b10: { keywords: { VlanID: '10' } }
    intermediates:
      - { driver: tsndis.vlan, lower: eth0, upper: [a10] }
      - { driver: tsndis.vlan, lower: eth1, upper: [b10] }
`);
  const h = d.hosts[0]!;
  assert.deepEqual(h.adapters.find((a) => a.name === 'b10')!.keywords, { VlanID: 10 });
});
