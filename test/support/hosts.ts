/**
 * Test harness: hosts (runtimes on a manual clock, verifier on) with virtual-wire adapters, optional
 * filters and the raw protocol, plus frame builders and end-of-test checks (pools full, no violations).
 */
import assert from 'node:assert/strict';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import type { ManualScheduler } from '../../src/core/time/scheduler.js';
import { settle } from '../../src/core/time/scheduler.js';
import { countersFilter } from '../../src/drivers/filter/counters/index.js';
import { monitorFilter } from '../../src/drivers/filter/monitor/index.js';
import { passThroughFilter } from '../../src/drivers/filter/passthrough/index.js';
import { VirtualWire, virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import type { VerifierRule } from '../../src/core/verifier/rules.js';
import type { ConfigValue } from '../../src/ndis/driver-api.js';

let wireSerial = 0;
export function uniqueWire(prefix = 'w'): string {
  return `${prefix}-${process.pid}-${++wireSerial}`;
}

export interface TestHost {
  rt: NdisRuntime & { scheduler: ManualScheduler };
  raw: RawProtocol;
  adapter: string;
}

export interface HostOptions {
  name: string;
  wire: string;
  filters?: string[];
  mac?: string;
  verifier?: boolean;
  rawOptions?: ConstructorParameters<typeof RawProtocol>[1];
  /** More keywords for the virtual-wire adapter. */
  keywords?: Record<string, ConfigValue>;
}

/** A host with one virtual-wire adapter `eth0`, the given filters and the raw protocol, started. */
export async function makeHost(o: HostOptions): Promise<TestHost> {
  const rt = NdisRuntime.forTest({ name: o.name, verifier: { enabled: o.verifier ?? true } });
  rt.registerDriver(virtualWireMiniport);
  rt.registerDriver(countersFilter);
  rt.registerDriver(monitorFilter);
  rt.registerDriver(passThroughFilter);
  const raw = new RawProtocol('tsndis.raw', o.rawOptions);
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: o.wire, ...(o.mac === undefined ? {} : { NetworkAddress: o.mac }), ...o.keywords } });
  for (const f of o.filters ?? []) await rt.attachFilter('eth0', f);
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  return { rt, raw, adapter: `${o.name}/eth0` };
}

export function macOf(h: TestHost): Uint8Array {
  return h.rt.adapter('eth0').general!.currentMacAddress;
}

/** An Ethernet frame dst|src|type|payload (payload filled with a counter pattern). */
export function frame(dst: Uint8Array, src: Uint8Array, etherType: number, payloadLength: number, seed = 0): Uint8Array {
  const f = new Uint8Array(14 + payloadLength);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  for (let i = 0; i < payloadLength; i++) f[14 + i] = (seed + i) & 0xff;
  return f;
}

export const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export { settle };

/** Every pool full and no violation other than `expected` (end-of-test check). */
export function assertClean(rt: NdisRuntime, expected: VerifierRule[] = []): void {
  const unexpected = rt.verifier.violations.filter((v) => !expected.includes(v.rule));
  assert.deepEqual(unexpected.map((v) => v.message), [], 'unexpected verifier violations');
  const busy = [...rt.pools].filter((p) => p.inUse > 0).map((p) => `${p.name}: ${p.inUse}`);
  assert.deepEqual(busy, [], 'pools not full');
  assert.ok(rt.allocator.allFree, `allocator not free: ${JSON.stringify(rt.allocator.usage())}`);
}

export async function shutdownAll(...hosts: TestHost[]): Promise<void> {
  for (const h of hosts) await h.rt.shutdown();
}

export { VirtualWire };
