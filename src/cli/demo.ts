/**
 * `npm start` = `tsndis demo`: the main job on an embedded configuration, no root and no files needed.
 *
 * Two hosts share an in-process virtual wire. hostA: virtual-wire miniport ← counters + monitor filters ←
 * raw protocol. hostB: virtual-wire miniport ← pass-through intermediate driver, whose virtual miniport
 * veth0 ← counters filter ← raw protocol. A bounded burst of numbered frames goes both ways; a third of
 * the way in the wire's link flaps (sends complete with NDIS_STATUS_MEDIA_DISCONNECTED), two thirds in
 * hostB's stack is paused and restarted under traffic. Every received frame is checked byte for byte,
 * then the stack tree and a summary are printed (`--json` for JSON) and everything is torn down.
 * Exit status 0 means: every frame sent, intact and accounted for, zero verifier violations, pools
 * full. Sending stops at a time limit (`--timeout`, 20 s); a run it cut short says so and exits 1.
 */
import { buildStacks } from '../config/binding-engine.js';
import { parseStackConfig } from '../config/loader.js';
import type { NdisRuntime } from '../core/runtime/runtime.js';
import { VirtualWire } from '../drivers/miniport/virtual-wire/index.js';
import type { RawBinding, RawProtocol } from '../drivers/protocol/raw/index.js';
import { renderText, snapshotRuntime, toJsonable } from '../inspect/index.js';
import type { RuntimeSnapshot } from '../inspect/model.js';

export interface DemoOptions {
  json: boolean;
  verifier: boolean;
  frames: number;
  /** How long the traffic may take (default 20 s); a run cut short by it is not OK. */
  timeoutMs?: number;
}

export const DEMO_CONFIG = `# the demo's embedded stack description (same format as tsndis stack show --config)
wires:
  demo-wire: { lossRate: 0, delayMs: 0, seed: 7 }
hosts:
  hostA:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: demo-wire, NetworkAddress: 02-00-00-00-0a-01 }
        filters: [tsndis.counters, tsndis.monitor]
        protocols: [tsndis.raw]
  hostB:
    adapters:
      eth0:
        driver: tsndis.virtual-wire
        keywords: { Wire: demo-wire, NetworkAddress: 02-00-00-00-0b-01 }
      veth0:
        filters: [tsndis.counters]
        protocols: [tsndis.raw]
    intermediates:
      - driver: tsndis.im-passthrough
        lower: eth0
        upper: [veth0]
`;

const ETHER_TYPE = 0x88b5; // IEEE local experimental EtherType
const BATCH = 32;
const DEFAULT_TIMEOUT_MS = 20_000;

/** A numbered frame: dst | src | type | direction | seq (u32) | pattern(seq). 64–127 bytes. */
function makeFrame(dst: Uint8Array, src: Uint8Array, direction: number, seq: number): Uint8Array {
  const f = new Uint8Array(64 + (seq % 64));
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = ETHER_TYPE >> 8;
  f[13] = ETHER_TYPE & 0xff;
  f[14] = direction;
  new DataView(f.buffer).setUint32(15, seq);
  for (let i = 19; i < f.length; i++) f[i] = (seq * 7 + i) & 0xff;
  return f;
}

/** Checks a received frame against what `makeFrame` would have built; returns its sequence number or -1. */
function checkFrame(f: Uint8Array, dst: Uint8Array, src: Uint8Array, direction: number): number {
  if (f.length < 19 || f[14] !== direction) return -1;
  const seq = new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(15);
  const expected = makeFrame(dst, src, direction, seq);
  if (expected.length !== f.length) return -1;
  for (let i = 0; i < f.length; i++) if (f[i] !== expected[i]) return -1;
  return seq;
}

interface Direction {
  readonly name: string;
  readonly tx: RawBinding;
  readonly rx: RawBinding;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly id: number;
  next: number;
  readonly seen: Set<number>;
  corrupt: number;
  duplicates: number;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function runDemo(options: DemoOptions): Promise<number> {
  const out = (s: string): void => void process.stdout.write(s);
  const description = await parseStackConfig(DEMO_CONFIG, '<embedded demo config>', process.cwd());
  const prefix = `demo${process.pid}-`;
  const stacks = await buildStacks(description, { verifier: options.verifier, wirePrefix: prefix });
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    const hostA = stacks.hosts.get('hostA')!;
    const hostB = stacks.hosts.get('hostB')!;
    const rtA = hostA.runtime;
    const rtB = hostB.runtime;
    const rawA = hostA.protocols.get('tsndis.raw') as RawProtocol;
    const rawB = hostB.protocols.get('tsndis.raw') as RawProtocol;
    const epA = await rawA.whenBound('hostA/eth0');
    const epB = await rawB.whenBound('hostB/veth0');
    const macA = rtA.adapter('eth0').general!.currentMacAddress;
    const macB = rtB.adapter('veth0').general!.currentMacAddress;
    const dirs: Direction[] = [
      { name: 'hostA → hostB', tx: epA, rx: epB, dst: macB, src: macA, id: 0xab, next: 0, seen: new Set(), corrupt: 0, duplicates: 0 },
      { name: 'hostB → hostA', tx: epB, rx: epA, dst: macA, src: macB, id: 0xba, next: 0, seen: new Set(), corrupt: 0, duplicates: 0 },
    ];
    const wire = VirtualWire.named(`${prefix}demo-wire`);
    const events: string[] = [];

    const drain = (): void => {
      for (const d of dirs) {
        for (let f = d.rx.tryReceive(); f !== null; f = d.rx.tryReceive()) {
          const seq = checkFrame(f, d.dst, d.src, d.id);
          if (seq < 0) d.corrupt++;
          else if (d.seen.has(seq)) d.duplicates++;
          else d.seen.add(seq);
        }
      }
    };
    const sendRound = async (): Promise<void> => {
      for (const d of dirs) {
        if (d.next >= options.frames) continue;
        const frames: Uint8Array[] = [];
        for (let i = 0; i < BATCH && d.next + i < options.frames; i++) frames.push(makeFrame(d.dst, d.src, d.id, d.next + i));
        // A frame refused before it reaches NDIS (binding paused, no buffers) is retried next round.
        d.next += d.tx.sendBatch(frames);
      }
      await turn();
      await turn();
      drain();
    };
    const progress = (): number => Math.min(...dirs.map((d) => d.next)) / options.frames;
    const rounds = async (until: number): Promise<void> => {
      while (progress() < until && performance.now() - started < timeoutMs) await sendRound();
    };

    await rounds(1 / 3);
    wire.setLink(false);
    events.push('link down (wire unplugged)');
    for (let i = 0; i < 3; i++) await sendRound(); // these complete with NDIS_STATUS_MEDIA_DISCONNECTED
    wire.setLink(true);
    events.push('link up');
    await rounds(2 / 3);
    const pausing = rtB.pauseStack('eth0');
    events.push('hostB/eth0 stack pause requested under traffic');
    await sendRound();
    await pausing;
    for (let i = 0; i < 3; i++) await sendRound(); // hostB paused: its sends are refused, frames to it are dropped
    await rtB.restartStack('eth0');
    events.push('hostB/eth0 stack restarted');
    await rounds(1);
    for (let i = 0; i < 10; i++) {
      await turn();
      drain();
    }

    const snapshots: RuntimeSnapshot[] = [snapshotRuntime(rtA), snapshotRuntime(rtB)];
    const poolsBusy = [rtA, rtB].flatMap((rt) => [...rt.pools].filter((p) => p.inUse > 0).map((p) => `${p.name}: ${p.inUse} in use`));
    const totalPools = rtA.pools.size + rtB.pools.size;
    const violations = [...rtA.verifier.violations, ...rtB.verifier.violations];
    const discardedAtB = adapterStat(rtB, 'eth0', 'rcvDiscards');
    const discardedAtA = adapterStat(rtA, 'eth0', 'rcvDiscards');
    const summary = dirs.map((d) => {
      const c = d.tx.counters;
      const droppedByPeer = d.id === 0xab ? discardedAtB : discardedAtA;
      const accounted = d.seen.size + droppedByPeer === c.sendCompleted;
      return {
        direction: d.name,
        framesOffered: options.frames,
        sent: c.framesSent,
        completedOk: c.sendCompleted,
        completedWithError: Object.fromEntries(c.failedByStatus),
        refusedBeforeNdis: c.refusedNotRunning + c.refusedNoResources,
        received: d.seen.size,
        droppedByPausedPeer: droppedByPeer,
        corrupt: d.corrupt,
        duplicates: d.duplicates,
        accounted,
      };
    });
    // The time limit ended the run before every frame went: report it, and never as a success.
    const stoppedEarly = dirs.some((d) => d.next < options.frames);
    const ok = !stoppedEarly && violations.length === 0 && poolsBusy.length === 0 && summary.every((s) => s.corrupt === 0 && s.duplicates === 0 && s.accounted && s.received > 0);
    const report = {
      ok,
      verifier: options.verifier,
      elapsedMs: Math.round(performance.now() - started),
      timeoutMs,
      stoppedEarly,
      events,
      directions: summary,
      verifierViolations: violations.map((v) => v.toJSON()),
      pools: { total: totalPools, busy: poolsBusy, allFull: poolsBusy.length === 0 && rtA.allocator.allFree && rtB.allocator.allFree },
      hosts: snapshots,
    };
    if (options.json) {
      out(`${JSON.stringify(toJsonable(report), null, 2)}\n`);
    } else {
      out(renderText(snapshots));
      out('\nSUMMARY\n');
      for (const e of events) out(`  event: ${e}\n`);
      if (stoppedEarly) {
        const [ab, ba] = dirs.map((d) => `${d.next} of ${options.frames}`);
        out(`  stopped early: the ${timeoutMs / 1000} s time limit ended the run after ${ab} frames ${dirs[0]!.name} and ${ba} ${dirs[1]!.name}\n`);
      }
      for (const s of summary) {
        const errs = Object.entries(s.completedWithError).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
        out(`  ${s.direction}: ${s.sent} sent, ${s.completedOk} completed ok, errors: ${errs}, ${s.refusedBeforeNdis} refused (paused), ` +
          `${s.received} received intact, ${s.droppedByPausedPeer} dropped by the paused peer, ${s.corrupt} corrupt, ${s.duplicates} duplicate` +
          `${s.accounted ? ' (every completed frame accounted for)' : ' (NOT ALL FRAMES ACCOUNTED FOR)'}\n`);
      }
      out(`  verifier: ${options.verifier ? 'on' : 'off'}, ${violations.length} violation(s)\n`);
      for (const v of violations.slice(0, 10)) out(`    ${v.message}\n`);
      out(`  pools: ${totalPools} pools, ${poolsBusy.length === 0 ? 'all full' : `busy: ${poolsBusy.join('; ')}`}\n`);
      out(`  result: ${ok ? 'OK' : stoppedEarly ? 'INCOMPLETE' : 'FAILED'} in ${report.elapsedMs} ms\n`);
    }
    return ok ? 0 : 1;
  } finally {
    await stacks.shutdown();
  }
}

/** A counter of the miniport driver's own statistics (virtual wire adapters expose `eth.stats`). */
function adapterStat(rt: NdisRuntime, adapter: string, name: string): number {
  const inst = rt.adapter(adapter).instance as { eth?: { stats?: Record<string, unknown> } } | null;
  const v = inst?.eth?.stats?.[name];
  return typeof v === 'number' ? v : 0;
}
