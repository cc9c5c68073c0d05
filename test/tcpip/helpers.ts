/**
 * Test harness for tsndis.tcpip: hosts (one runtime each, manual clock, verifier on) with virtual-wire
 * adapters bound to the TCP/IP protocol, a pump that moves every host's fake time forward while DPCs
 * and work items run, and the end-of-test checks (pools full, no violations, receive accounting).
 */
import assert from 'node:assert/strict';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { settle, type ManualScheduler } from '../../src/core/time/scheduler.js';
import { VirtualWire, virtualWireMiniport } from '../../src/drivers/miniport/virtual-wire/index.js';
import { RawProtocol } from '../../src/drivers/protocol/raw/index.js';
import { TcpIpProtocol, receiveInputs, terminalTotal, type TcpIpOptions } from '../../src/drivers/protocol/tcpip/index.js';
import type { ConfigValue } from '../../src/ndis/index.js';
import { assertClean } from '../support/hosts.js';

export interface AdapterSpec {
  name?: string;
  wire: string;
  mac: string;
  keywords?: Record<string, ConfigValue>;
  /** Keywords of the virtual-wire miniport itself (offloads, jumbo frames…). */
  miniportKeywords?: Record<string, ConfigValue>;
  /** Also bind the raw protocol (to inject or capture frames). */
  raw?: boolean;
}

export interface IpHost {
  readonly name: string;
  readonly rt: NdisRuntime & { scheduler: ManualScheduler };
  readonly ip: TcpIpProtocol;
  readonly raw: RawProtocol;
}

let serial = 0;
export function wireName(tag = 'ip'): string {
  return `${tag}-${process.pid}-${++serial}`;
}

/** A started host: every adapter on its wire with tsndis.tcpip (and optionally tsndis.raw) bound. */
export async function ipHost(name: string, adapters: AdapterSpec[], options: TcpIpOptions = {}, logs?: string[]): Promise<IpHost> {
  const rt = NdisRuntime.forTest({ name, verifier: { enabled: true }, ...(logs === undefined ? {} : { logger: (level: string, source: string, msg: string) => logs.push(`${level} ${source}: ${msg}`) }) });
  rt.registerDriver(virtualWireMiniport);
  const ip = new TcpIpProtocol({ seed: 7, ...options });
  rt.registerDriver(ip.characteristics);
  const raw = new RawProtocol('tsndis.raw', { receiveQueueDepth: 1024 });
  rt.registerDriver(raw.characteristics);
  for (const [i, a] of adapters.entries()) {
    const an = a.name ?? `eth${i}`;
    await rt.addAdapter({ name: an, driver: 'tsndis.virtual-wire', keywords: { Wire: a.wire, NetworkAddress: a.mac, ...a.miniportKeywords } });
    await rt.bindProtocol(an, 'tsndis.tcpip', a.keywords ?? {});
    if (a.raw === true) await rt.bindProtocol(an, 'tsndis.raw');
    await rt.startAdapter(an);
  }
  await settle();
  return { name, rt, ip, raw };
}

/** Moves every host's clock forward by `ms` in `stepMs` steps, letting DPCs and work items run. */
export async function pump(hosts: readonly IpHost[], ms: number, stepMs = 10): Promise<void> {
  await settle();
  for (let t = 0; t < ms; t += stepMs) {
    const d = Math.min(stepMs, ms - t);
    for (const h of hosts) h.rt.scheduler.advance(d);
    await settle();
  }
  await settle();
}

/** Waits for `p` while pumping fake time (bounded: `maxMs` of fake time). */
export async function pumpUntil<T>(hosts: readonly IpHost[], p: Promise<T>, maxMs = 60_000, stepMs = 10): Promise<T> {
  let done = false;
  let value!: T;
  let error: unknown = null;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      error = e ?? new Error('rejected');
    },
  );
  for (let t = 0; t <= maxMs && !done; t += stepMs) {
    await settle();
    if (done) break;
    for (const h of hosts) h.rt.scheduler.advance(stepMs);
  }
  await settle();
  if (!done) throw new Error(`not settled within ${maxMs} ms of fake time`);
  if (error !== null) throw error;
  return value;
}

/** Every received frame ended in exactly one counter. */
export function assertAccounted(h: IpHost): void {
  const c = h.ip.stack.counters;
  assert.equal(terminalTotal(c), receiveInputs(c), `${h.name}: receive accounting (terminal vs inputs)`);
}

/** Shuts every host down, then checks pools, violations and accounting. */
export async function finish(...hosts: IpHost[]): Promise<void> {
  for (const h of hosts) assertAccounted(h);
  for (const h of hosts) await h.rt.shutdown();
  for (const h of hosts) assertClean(h.rt);
  for (const h of hosts) for (const b of h.ip.bindings.values()) assert.equal(b.sendsOutstanding, 0);
}

export function releaseWire(name: string): void {
  VirtualWire.release(name);
}

export const MAC_A = '02:00:00:00:0a:01';
export const MAC_B = '02:00:00:00:0b:01';
export const MAC_C = '02:00:00:00:0c:01';

/** Two hosts A (198.18.0.1, fd00::1) and B (.2, ::2) on one wire. */
export async function pair(keywordsA: Record<string, ConfigValue> = {}, keywordsB: Record<string, ConfigValue> = {}, options: TcpIpOptions = {}): Promise<{ a: IpHost; b: IpHost; wire: string }> {
  const wire = wireName();
  const a = await ipHost('A', [{ wire, mac: MAC_A, keywords: { IPAddress: ['198.18.0.1/24'], IPv6Address: ['fd00::1/64'], ...keywordsA } }], options);
  const b = await ipHost('B', [{ wire, mac: MAC_B, keywords: { IPAddress: ['198.18.0.2/24'], IPv6Address: ['fd00::2/64'], ...keywordsB } }], options);
  return { a, b, wire };
}

/** A host with only a promiscuous raw protocol on `wire`: sees every frame on it. */
export async function sniffer(wire: string): Promise<{ rt: NdisRuntime & { scheduler: ManualScheduler }; raw: RawProtocol; take(): Uint8Array[] }> {
  const rt = NdisRuntime.forTest({ name: 'S', verifier: { enabled: true } });
  rt.registerDriver(virtualWireMiniport);
  const raw = new RawProtocol('tsndis.raw', { packetFilter: 0x20, receiveQueueDepth: 4096 });
  rt.registerDriver(raw.characteristics);
  await rt.addAdapter({ name: 'eth0', driver: 'tsndis.virtual-wire', keywords: { Wire: wire, NetworkAddress: '02:00:00:00:ff:01' } });
  await rt.bindProtocol('eth0', 'tsndis.raw');
  await rt.startAdapter('eth0');
  const ep = raw.endpoint('eth0');
  return {
    rt,
    raw,
    take() {
      const out: Uint8Array[] = [];
      for (let f = ep.tryReceive(); f !== null; f = ep.tryReceive()) out.push(f);
      return out;
    },
  };
}

export function etherType(f: Uint8Array): number {
  return (f[12]! << 8) | f[13]!;
}

/** ARP frames: [operation, isBroadcast]. */
export function arpOps(frames: readonly Uint8Array[]): string[] {
  return frames.filter((f) => etherType(f) === 0x0806).map((f) => `${f[21] === 1 ? 'request' : 'reply'}${f[0] === 0xff ? ' broadcast' : ' unicast'}`);
}
