/**
 * One runtime (manual clock, verifier on) with one TestMiniport adapter `eth0`, the given test filters
 * and test protocols, started unless asked otherwise; `finish` shuts it down and runs the end-of-test
 * checks (pools full, no violations but the expected ones).
 */
import type { MiniportBlock } from '../../src/core/runtime/miniport-block.js';
import { NdisRuntime, type Logger } from '../../src/core/runtime/runtime.js';
import type { ManualScheduler } from '../../src/core/time/scheduler.js';
import type { VerifierRule } from '../../src/core/verifier/rules.js';
import type { VerifierOptions } from '../../src/core/verifier/verifier.js';
import type { FilterDriverCharacteristics } from '../../src/ndis/index.js';
import { assertClean } from './hosts.js';
import {
  TestFilterDriver,
  TestMiniportDriver,
  TestProtocolDriver,
  type TestBinding,
  type TestFilterModule,
  type TestFilterOptions,
  type TestMiniportAdapter,
  type TestMiniportOptions,
  type TestProtocolOptions,
} from './test-drivers.js';

export interface StackSpec {
  name?: string;
  miniport?: TestMiniportOptions;
  /** Bottom → top only when their FilterClass says so; the runtime orders them. */
  filters?: TestFilterOptions[];
  protocols?: TestProtocolOptions[];
  /** Real filter drivers attached after the test filters. */
  extraFilters?: FilterDriverCharacteristics[];
  /** Start the stack (default true). */
  start?: boolean;
  verifier?: VerifierOptions;
  /** NBL history (on by default in forTest). */
  nblHistory?: boolean | number;
  logger?: Logger;
  /** One call log shared by every driver. */
  log?: string[];
  /** Runs after the adapter initialized, before filters attach (set scripts here). */
  beforeAttach?: (adapter: TestMiniportAdapter) => void;
}

export interface TestStack {
  rt: NdisRuntime & { scheduler: ManualScheduler };
  mp: TestMiniportDriver;
  filters: TestFilterDriver[];
  protocols: TestProtocolDriver[];
  log: string[];
  /** The TestMiniport adapter object. */
  adapter: TestMiniportAdapter;
  /** NDIS's miniport block for eth0. */
  mb: MiniportBlock;
  module(i?: number): TestFilterModule;
  binding(i?: number): TestBinding;
  /** Shuts the runtime down and checks pools and violations. */
  finish(expected?: VerifierRule[]): Promise<void>;
}

export async function testStack(spec: StackSpec = {}): Promise<TestStack> {
  const log = spec.log ?? [];
  const rt = NdisRuntime.forTest({ name: spec.name ?? 'T', ...(spec.verifier === undefined ? {} : { verifier: spec.verifier }), ...(spec.nblHistory === undefined ? {} : { nblHistory: spec.nblHistory }), ...(spec.logger === undefined ? {} : { logger: spec.logger }) });
  const mp = new TestMiniportDriver({ log, ...spec.miniport });
  rt.registerDriver(mp.characteristics);
  const filters = (spec.filters ?? []).map((o, i) => new TestFilterDriver({ log, name: `test.filter${i}`, ...o }));
  for (const f of filters) rt.registerDriver(f.characteristics);
  const protocols = (spec.protocols ?? []).map((o, i) => new TestProtocolDriver({ log, name: `test.protocol${i}`, ...o }));
  for (const p of protocols) rt.registerDriver(p.characteristics);
  const mb = await rt.addAdapter({ name: 'eth0', driver: mp.characteristics.name });
  const adapter = mp.adapter('eth0');
  spec.beforeAttach?.(adapter);
  for (const f of filters) await rt.attachFilter('eth0', f.characteristics.name);
  for (const f of spec.extraFilters ?? []) {
    rt.registerDriver(f);
    await rt.attachFilter('eth0', f.name);
  }
  for (const p of protocols) await rt.bindProtocol('eth0', p.characteristics.name);
  if (spec.start !== false) await rt.startAdapter('eth0');
  return {
    rt,
    mp,
    filters,
    protocols,
    log,
    adapter,
    mb,
    module: (i = 0) => filters[i]!.module,
    binding: (i = 0) => protocols[i]!.binding('eth0'),
    async finish(expected: VerifierRule[] = []) {
      // Removal re-sends merged OIDs (packet filter after unbind): answer them from now on.
      for (const a of mp.adapters.values()) a.oidMode = 'answer';
      await rt.shutdown();
      assertClean(rt, expected);
    },
  };
}
