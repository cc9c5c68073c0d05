/**
 * Hosts for the capture filter and pcapng miniport tests: a virtual-wire host with `tsndis.capture`
 * (and optional modifying filters below it), and a replay host whose adapter is `tsndis.pcapng`. Both on
 * a manual clock with the verifier on, like makeHost; a real clock on request (interop tests).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NdisRuntime, type Logger } from '../../src/core/runtime/runtime.js';
import { ManualScheduler, RealScheduler } from '../../src/core/time/scheduler.js';
import { captureFilter } from '../../src/drivers/filter/capture/index.js';
import { countersFilter } from '../../src/drivers/filter/counters/index.js';
import { passThroughFilter } from '../../src/drivers/filter/passthrough/index.js';
import { type PcapngAdapter, pcapngMiniport } from '../../src/drivers/miniport/pcapng/index.js';
import { virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol, type RawOptions } from '../../src/drivers/protocol/raw/index.js';
import type { ConfigValue } from '../../src/ndis/index.js';
import type { TestHost } from './hosts.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tsndis-${prefix}-`));
}

/** Log lines of one runtime, for asserting on logged reasons. */
export class LogLines {
  readonly lines: string[] = [];
  readonly logger: Logger = (level, source, message) => {
    this.lines.push(`${level} ${source}: ${message}`);
  };
  matching(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }
}

export interface CaptureHostOptions {
  name: string;
  wire: string;
  capture?: Record<string, ConfigValue>;
  /** Modifying filters attached before the capture filter (each gets a capture module above it). */
  filters?: string[];
  rawOptions?: RawOptions;
  log?: LogLines;
}

/** A virtual-wire host with the capture filter (keywords `capture`) and the raw protocol, started. */
export async function captureHost(o: CaptureHostOptions): Promise<TestHost> {
  const rt = NdisRuntime.forTest({ name: o.name, verifier: { enabled: true }, ...(o.log === undefined ? {} : { logger: o.log.logger }) });
  rt.registerDriver(virtualWireMiniport);
  rt.registerDriver(countersFilter);
  rt.registerDriver(passThroughFilter);
  rt.registerDriver(captureFilter);
  const raw = new RawProtocol('tsndis.raw', o.rawOptions);
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: o.wire } });
  for (const f of o.filters ?? []) await rt.attachFilter('eth0', f);
  if (o.capture !== undefined) await rt.attachFilter('eth0', 'tsndis.capture', o.capture);
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  return { rt, raw, adapter: `${o.name}/eth0` };
}

export interface ReplayHost {
  rt: NdisRuntime;
  raw: RawProtocol;
  adapter: PcapngAdapter;
}

export interface ReplayHostOptions {
  name?: string;
  keywords: Record<string, ConfigValue>;
  /** Default: promiscuous (0x20) with a 4096-frame receive queue. */
  rawOptions?: RawOptions;
  filters?: { driver: string; keywords?: Record<string, ConfigValue> }[];
  realClock?: boolean;
  log?: LogLines;
}

/** A host whose adapter `eth0` is tsndis.pcapng with `keywords`, the raw protocol bound, started. */
export async function replayHost(o: ReplayHostOptions): Promise<ReplayHost> {
  const rt = new NdisRuntime({
    name: o.name ?? 'R',
    scheduler: o.realClock === true ? new RealScheduler() : new ManualScheduler(),
    verifier: { enabled: true },
    ...(o.log === undefined ? {} : { logger: o.log.logger }),
  });
  rt.registerDriver(pcapngMiniport);
  rt.registerDriver(captureFilter);
  rt.registerDriver(countersFilter);
  const raw = new RawProtocol('tsndis.raw', o.rawOptions ?? { packetFilter: 0x20, receiveQueueDepth: 4096 });
  rt.registerDriver(raw.characteristics);
  const mb = await rt.addAdapter({ name: 'eth0', driver: 'tsndis.pcapng', keywords: o.keywords });
  for (const f of o.filters ?? []) await rt.attachFilter('eth0', f.driver, f.keywords);
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  return { rt, raw, adapter: mb.instance as PcapngAdapter };
}

/**
 * Drains the raw endpoint until `n` frames arrived or `timeoutMs` (real time) passed: file reads
 * complete on libuv's thread pool, so this waits in real turns whatever the runtime's clock.
 */
export async function receiveFrames(raw: RawProtocol, n: number, timeoutMs = 5000): Promise<Uint8Array[]> {
  const ep = raw.endpoint('eth0');
  const out: Uint8Array[] = [];
  const deadline = performance.now() + timeoutMs;
  for (let turn = 0; out.length < n && performance.now() < deadline; turn++) {
    for (let f = ep.tryReceive(); f !== null; f = ep.tryReceive()) out.push(f);
    if (out.length < n) await new Promise<void>((r) => (turn % 16 === 15 ? setTimeout(r, 1) : setImmediate(r)));
  }
  return out;
}
