/**
 * Runs the walkthrough of docs/writing-a-driver.md: the TypeScript drop filter (examples/drop-filter,
 * compiled with the project and importing the package by its name) loaded by module path and tested
 * exactly as the document shows.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ManualScheduler, buildStacks, parseStackConfig, type RawProtocol } from 'tsndis';

const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '../../examples/drop-filter');

test('writing-a-driver walkthrough: the drop filter drops ARP and passes the rest', async () => {
  const yaml = `
drivers: [./my-drop-filter.js]
wires: { t: {} }
hosts:
  a: { protocols: [tsndis.raw], adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: t } } } }
  b: { protocols: [tsndis.raw], adapters: { eth0: { driver: tsndis.virtual-wire, keywords: { Wire: t },
       filters: [ { driver: example.drop, keywords: { DropEtherType: 0x0806 } } ] } } }`;
  const desc = await parseStackConfig(yaml, 'test.yaml', exampleDir);
  const stacks = await buildStacks(desc, { scheduler: () => new ManualScheduler(), wirePrefix: `drop-test-${process.pid}-` });
  const a = stacks.hosts.get('a')!;
  const b = stacks.hosts.get('b')!;
  const tx = (a.protocols.get('tsndis.raw') as RawProtocol).endpoint('eth0');
  const rx = (b.protocols.get('tsndis.raw') as RawProtocol).endpoint('eth0');
  const dst = b.runtime.adapter('eth0').general!.currentMacAddress;
  const frame = (type: number): Uint8Array => Uint8Array.from([...dst, 2, 0, 0, 0, 0, 1, type >> 8, type & 0xff, ...new Uint8Array(46)]);
  assert.ok(tx.send(frame(0x0806)));
  assert.ok(tx.send(frame(0x0800)));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(rx.tryReceive()?.[12], 0x08);
  assert.equal(rx.tryReceive(), null);
  const module = b.runtime.adapter('eth0').filters[0]!.instance as unknown as { dropped: number };
  assert.equal(module.dropped, 1);
  assert.equal(b.runtime.verifier.total, 0);
  await stacks.shutdown();
  assert.ok(b.runtime.poolsFull());
});
