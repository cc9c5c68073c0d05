/**
 * The prepared stacks of `tsndis verify` and the traffic it drives through them. Every check gets fresh
 * stacks, built from a generated stack config by the binding engine (as `tsndis up` builds a config),
 * on the in-process virtual wire, with the built-in drivers around the driver under test:
 *
 *   filter        dut: virtual-wire ─ <filter> ─ raw          peer: virtual-wire ─ raw
 *   miniport      dut: <miniport> ─ raw                        peer: <miniport> ─ raw (when it has one)
 *   protocol      dut: virtual-wire ─ <protocol>               peer: virtual-wire ─ raw
 *   intermediate  dut: virtual-wire ─ <im> ─ vm0 ─ raw         peer: virtual-wire ─ raw (or the dut's shape
 *                 for an intermediate that changes frames on the wire, e.g. tsndis.vlan's tags)
 *
 * Test frames are broadcast Ethernet frames of EtherType 0x88B5 (local experimental) carrying a magic,
 * the run's id and a sequence number, then a pattern derived from the sequence number, so the receiver
 * can tell lost, duplicated and corrupted frames apart from everything else on the wire.
 */
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStacks, type BuiltHost, type BuiltStacks } from '../config/binding-engine.js';
import { describeStackConfig } from '../config/loader.js';
import type { AdapterConfig, HostConfig, StackConfig } from '../config/stack-config.js';
import type { StackDescription } from '../config/description.js';
import type { MiniportBlock } from '../core/runtime/miniport-block.js';
import type { VerifierLimits } from '../core/verifier/verifier.js';
import { VirtualWire } from '../drivers/miniport/virtual-wire/index.js';
import type { RawBinding } from '../drivers/protocol/raw/index.js';
import type { NdisStatusIndication } from '../ndis/driver-api.js';
import type { VerifyKeywords, VerifySubject } from './subject.js';

export const DUT = 'dut';
export const PEER = 'peer';
/** Host, adapter and wire names of the prepared stacks. */
const WIRE = 'w';
const RAW = 'tsndis.raw';
const VIRTUAL_WIRE = 'tsndis.virtual-wire';
const RAW_KEYWORDS = { ReceiveQueueDepth: 4096, SendPoolSize: 512 };

/** How a built-in miniport is put on the bench: its keywords per side, and whether two can talk. */
interface MiniportProfile {
  /** A dut and a peer of this miniport reach each other (frames sent on one arrive on the other). */
  readonly pair: boolean;
  keywords(run: number): Promise<{ dut: VerifyKeywords; peer: VerifyKeywords }>;
  /** Why this miniport cannot be verified here (e.g. TAP without root), or null. */
  unavailable?(): string | null;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', resolve);
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const BUILTIN_MINIPORTS: Record<string, MiniportProfile> = {
  [VIRTUAL_WIRE]: { pair: true, keywords: () => Promise.resolve({ dut: { Wire: WIRE }, peer: { Wire: WIRE } }) },
  // Two VTEPs on loopback, each the other's static remote.
  'tsndis.vxlan': {
    pair: true,
    async keywords() {
      const [a, b] = [await freeUdpPort(), await freeUdpPort()];
      return {
        dut: { LocalAddress: '127.0.0.1', LocalPort: a, Vni: 4242, Remotes: [`127.0.0.1:${b}`] },
        peer: { LocalAddress: '127.0.0.1', LocalPort: b, Vni: 4242, Remotes: [`127.0.0.1:${a}`] },
      };
    },
  },
  // No input file, no output file: nothing is received and sends are discarded (and complete).
  'tsndis.pcapng': { pair: false, keywords: () => Promise.resolve({ dut: {}, peer: {} }) },
  // A TAP device of its own per check; frames go to the kernel's (down) interface, so only send
  // completion is checked.
  'tsndis.tap': {
    pair: false,
    keywords: (run) => Promise.resolve({ dut: { InterfaceName: `tsv${process.pid % 10000}x${run % 10000}` }, peer: {} }),
    unavailable: () => (process.getuid?.() !== 0 ? 'needs root (it creates a TAP device)' : !existsSync('/dev/net/tun') ? 'needs /dev/net/tun' : null),
  },
};

/** Keywords verify gives built-in filters and protocols that need them; `scratch` collects directories to remove. */
function builtinKeywords(name: string, scratch: string[]): VerifyKeywords {
  if (name !== 'tsndis.capture') return {};
  const dir = mkdtempSync(join(tmpdir(), 'tsndis-verify-'));
  scratch.push(dir);
  return { File: join(dir, 'capture') };
}

/** How a built-in intermediate is put on the bench, where the plain shape does not do. */
interface IntermediateProfile {
  /** Keywords of its virtual miniport `vm0` (e.g. the VLAN a MUX's miniport tags with). */
  readonly upperKeywords: VerifyKeywords;
  /**
   * It changes frames on the wire (a VLAN tag), so the peer runs the same intermediate to read them:
   * peer: virtual-wire ─ <im> ─ vm0 ─ raw.
   */
  readonly mirrorPeer: boolean;
  /** Keywords of the lower adapter `eth0` (e.g. a larger frame for an encapsulating intermediate). */
  readonly lowerKeywords?: VerifyKeywords;
}

const BUILTIN_INTERMEDIATES: Record<string, IntermediateProfile> = {
  'tsndis.vlan': { upperKeywords: { VlanID: 10 }, mirrorPeer: true },
  // Both hosts run the same tunnel: each sends to the address it owns itself, at the broadcast MAC (no ARP needed).
  // The test frames are up to 1514 bytes: the underlay takes them plus the 50 bytes of VXLAN.
  'tsndis.overlay': {
    upperKeywords: { VirtualSubnetId: 100, LocalAddress: '198.18.0.1', RemoteAddress: '198.18.0.1', RemoteMacAddress: 'ff-ff-ff-ff-ff-ff' },
    mirrorPeer: true,
    lowerKeywords: { '*JumboPacket': 1600 },
  },
};

/** Why `subject` cannot run here at all (every check is then skipped with it), or null. */
export function unavailableReason(subject: VerifySubject): string | null {
  return subject.kind === 'miniport' && subject.source === 'builtin' ? (BUILTIN_MINIPORTS[subject.name]?.unavailable?.() ?? null) : null;
}

/** Whether a dut and a peer of this miniport reach each other. User miniports are assumed to (a NIC on a shared segment). */
export function miniportHasPeer(subject: VerifySubject): boolean {
  return subject.source === 'builtin' ? (BUILTIN_MINIPORTS[subject.name]?.pair ?? false) : true;
}

export interface BenchOptions {
  readonly keywords: VerifyKeywords;
  /**
   * For the offloads check: the virtual wires under the driver get every standardized offload keyword on
   * (the peer's: transmit checksums and LSO only, so it shows the wire as it is), the raw bindings send
   * buffers large enough for LSO.
   */
  readonly offloads?: boolean;
  readonly limits: VerifierLimits;
  readonly run: number;
  readonly baseDir: string;
}

/** The prepared stacks of one check. */
export class Bench {
  readonly dut: BuiltHost;
  readonly peer: BuiltHost | null;
  /** The dut's adapter at the bottom (the miniport under test, or the virtual wire under the module). */
  readonly bottom: string;
  /** The dut's adapter its raw binding is on (null for a protocol under test). */
  readonly top: string | null;
  readonly statuses: NdisStatusIndication[] = [];

  constructor(
    readonly subject: VerifySubject,
    readonly stacks: BuiltStacks,
    readonly wire: string,
    readonly keywords: VerifyKeywords,
    /** Temporary directories removed once the stacks are down. */
    readonly scratch: readonly string[] = [],
  ) {
    this.dut = stacks.host(DUT);
    this.peer = stacks.hosts.get(PEER) ?? null;
    this.bottom = 'eth0';
    this.top = subject.kind === 'protocol' ? null : subject.kind === 'intermediate' ? 'vm0' : 'eth0';
  }

  /** Shuts the stacks down (idempotent), then removes the bench's temporary files. */
  async teardown(): Promise<void> {
    try {
      await this.stacks.shutdown();
    } finally {
      removeScratch(this.scratch);
    }
  }

  get rt() {
    return this.dut.runtime;
  }

  /** The dut's miniport block `name` (short name), or null when it is gone. */
  adapter(name: string): MiniportBlock | null {
    return this.rt.adapters.get(`${DUT}/${name}`) ?? null;
  }

  /** The raw binding at the top of the dut (throws when it is not bound). */
  dutRaw(): RawBinding {
    if (this.top === null) throw new Error('the protocol under test has the top of the dut');
    return this.dut.raw.endpoint(`${DUT}/${this.top}`);
  }

  peerRaw(): RawBinding | null {
    if (this.peer === null) return null;
    // A mirrored peer (an intermediate that changes frames on the wire) has its raw protocol on vm0.
    return this.peer.raw.endpoint(this.peer.runtime.adapters.has(`${PEER}/vm0`) ? `${PEER}/vm0` : `${PEER}/eth0`);
  }

  /** Records every status indication that reaches the top of the dut (what its bindings are given). */
  watchStatus(adapter: string): void {
    const mb = this.adapter(adapter);
    if (mb === null) return;
    const before = mb.onStatus;
    mb.onStatus = (ind) => {
      this.statuses.push(ind);
      before?.(ind);
    };
  }

  /** Brings the virtual wire under the dut down or up (its adapters indicate NDIS_STATUS_LINK_STATE). */
  setLink(up: boolean): void {
    VirtualWire.named(this.wire).setLink(up);
  }

  /**
   * The miniport's keywords for adding it again in round `round` of attach-detach: a TAP gets a new
   * interface name (the kernel lets go of the old one asynchronously).
   */
  readdKeywords(round: number): VerifyKeywords {
    const name = this.keywords['InterfaceName'];
    return this.subject.name === 'tsndis.tap' && typeof name === 'string' ? { ...this.keywords, InterfaceName: `${name}r${round}` } : { ...this.keywords };
  }

  /** Every NBL pool of the dut with NBLs still in use: `name: n`. */
  busyPools(): string[] {
    return [...this.rt.pools].filter((p) => p.inUse > 0).map((p) => `${p.name}: ${p.inUse} in use`);
  }
}

/** The stack config of one check's bench. */
/** Every standardized offload keyword on (the offloads check's dut), and what its peer offers: transmit checksums and LSO. */
const DUT_OFFLOADS: VerifyKeywords = {
  '*IPChecksumOffloadIPv4': 3,
  '*TCPChecksumOffloadIPv4': 3,
  '*TCPChecksumOffloadIPv6': 3,
  '*UDPChecksumOffloadIPv4': 3,
  '*UDPChecksumOffloadIPv6': 3,
  '*LsoV2IPv4': 1,
  '*LsoV2IPv6': 1,
  '*RscIPv4': 1,
  '*RscIPv6': 1,
  '*LsoV1IPv4': 1,
  '*UsoIPv4': 1,
  '*UsoIPv6': 1,
};
const PEER_OFFLOADS: VerifyKeywords = {
  '*IPChecksumOffloadIPv4': 1,
  '*TCPChecksumOffloadIPv4': 1,
  '*TCPChecksumOffloadIPv6': 1,
  '*UDPChecksumOffloadIPv4': 1,
  '*UDPChecksumOffloadIPv6': 1,
  '*LsoV2IPv4': 1,
  '*LsoV2IPv6': 1,
};

async function benchConfig(subject: VerifySubject, o: BenchOptions, scratch: string[]): Promise<StackConfig> {
  const keywords = { ...(subject.source === 'builtin' ? builtinKeywords(subject.name, scratch) : {}), ...o.keywords };
  const use = { driver: subject.name, keywords };
  const raw = { driver: RAW, keywords: o.offloads === true ? { ...RAW_KEYWORDS, SendFrameSize: 65600 } : RAW_KEYWORDS };
  const dutOffloads = o.offloads === true ? DUT_OFFLOADS : {};
  const peerOffloads = o.offloads === true ? PEER_OFFLOADS : {};
  const wireAdapter = (extra: AdapterConfig = {}, offloads: VerifyKeywords = dutOffloads): AdapterConfig => ({ driver: VIRTUAL_WIRE, keywords: { Wire: WIRE, ...offloads }, ...extra });
  const peer: HostConfig = { adapters: { eth0: wireAdapter({ protocols: [raw] }, peerOffloads) } };
  let dut: HostConfig;
  let peerHost: HostConfig | null = peer;
  switch (subject.kind) {
    case 'filter':
      dut = { adapters: { eth0: wireAdapter({ filters: [use], protocols: [raw] }) } };
      break;
    case 'protocol':
      dut = { adapters: { eth0: wireAdapter({ protocols: [use] }) } };
      break;
    case 'intermediate': {
      const profile = subject.source === 'builtin' ? BUILTIN_INTERMEDIATES[subject.name] : undefined;
      const vm0: AdapterConfig = { ...(profile === undefined ? {} : { keywords: profile.upperKeywords }), protocols: [raw] };
      const host = (offloads: VerifyKeywords): HostConfig => ({
        adapters: { eth0: wireAdapter({}, { ...offloads, ...profile?.lowerKeywords }), vm0 },
        intermediates: [{ driver: subject.name, lower: 'eth0', upper: ['vm0'], keywords }],
      });
      dut = host(dutOffloads);
      if (profile?.mirrorPeer === true) peerHost = host(peerOffloads);
      break;
    }
    case 'miniport': {
      const builtin = subject.source === 'builtin' ? BUILTIN_MINIPORTS[subject.name] : undefined;
      // A user's miniport that plugs into a virtual wire (it has the Wire keyword) gets the bench's.
      const wired = builtin === undefined && subject.kind === 'miniport' && 'Wire' in ((subject.characteristics as { keywords?: object }).keywords ?? {});
      const k = builtin === undefined ? (wired ? { dut: { Wire: WIRE }, peer: { Wire: WIRE } } : { dut: {}, peer: {} }) : await builtin.keywords(o.run);
      // The built-in miniports with task offloads take the standardized keywords; a user's gets -k only.
      const offloadable = (subject.source === 'builtin' && (subject.name === VIRTUAL_WIRE || subject.name === 'tsndis.tap')) || wired;
      dut = { adapters: { eth0: { driver: subject.name, keywords: { ...k.dut, ...(offloadable ? dutOffloads : {}), ...o.keywords }, protocols: [raw] } } };
      peerHost = miniportHasPeer(subject) ? { adapters: { eth0: { driver: subject.name, keywords: { ...k.peer, ...(offloadable ? peerOffloads : {}), ...o.keywords }, protocols: [raw] } } } : null;
      break;
    }
  }
  return {
    ...(subject.source === 'builtin' ? {} : { drivers: [subject.source] }),
    wires: { [WIRE]: {} },
    hosts: peerHost === null ? { [DUT]: dut } : { [DUT]: dut, [PEER]: peerHost },
  };
}

/**
 * The bench's stack config, validated as a config file is (bad keywords are ConfigErrors). Temporary
 * directories it needs (a capture file's) are added to `scratch` for the caller to remove.
 */
export async function describeBench(subject: VerifySubject, o: BenchOptions, scratch: string[]): Promise<StackDescription> {
  return describeStackConfig(await benchConfig(subject, o, scratch), `verify ${subject.name}`, o.baseDir);
}

export function removeScratch(dirs: readonly string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** Builds one check's bench: verifier on with `limits`, NBL history on, its own wire. */
export async function buildBench(subject: VerifySubject, o: BenchOptions): Promise<Bench> {
  const scratch: string[] = [];
  const prefix = `verify-${process.pid}-${o.run}-`;
  let description: StackDescription;
  let stacks: BuiltStacks;
  try {
    description = await describeBench(subject, o, scratch);
    stacks = await buildStacks(description, {
      verifier: true,
      nblHistory: true,
      verifierOptions: { limits: o.limits, scanIntervalMs: 100 },
      wirePrefix: prefix,
      settleTimeoutMs: o.limits.filterPauseMs,
      logger: () => undefined,
      // The checks' own promises keep the process alive while they run; stacks a driver hung (even
      // while being built) must not keep it alive once verify gave up on them.
      ref: false,
    });
  } catch (e) {
    removeScratch(scratch);
    throw e;
  }
  // The keywords the engine gave the driver under test, for checks that detach and attach it again.
  const host = description.hosts.find((h) => h.name === DUT)!;
  const eth0 = host.adapters.find((a) => a.name === 'eth0')!;
  let keywords: VerifyKeywords;
  switch (subject.kind) {
    case 'miniport':
      keywords = { ...eth0.keywords, ...(subject.name === VIRTUAL_WIRE ? { Wire: prefix + WIRE } : {}) };
      break;
    case 'filter':
      keywords = { ...(eth0.effectiveFilters.find((u) => u.driver === subject.name)?.keywords ?? {}) };
      break;
    case 'protocol':
      keywords = { ...(eth0.effectiveProtocols.find((u) => u.driver === subject.name)?.keywords ?? {}) };
      break;
    case 'intermediate':
      keywords = { ...(host.intermediates[0]?.keywords ?? {}) };
      break;
  }
  return new Bench(subject, stacks, prefix + WIRE, keywords, scratch);
}

// =====================================================================================================
// Test frames

const ETHERTYPE = 0x88b5;
const MAGIC = 0x54535646; // 'TSVF'
const HEADER = 14 + 12;
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/** A test frame: broadcast, EtherType 0x88B5, magic, stream id, sequence, then a pattern (60…1514 bytes). */
export function testFrame(stream: number, seq: number): Uint8Array {
  const len = 60 + ((seq * 397 + stream * 13) % 1455);
  const f = new Uint8Array(len);
  f.set(BROADCAST, 0);
  f.set([0x02, 0x76, 0x65, 0x72, (stream >>> 8) & 0xff, stream & 0xff], 6);
  const v = new DataView(f.buffer);
  v.setUint16(12, ETHERTYPE);
  v.setUint32(14, MAGIC);
  v.setUint32(18, stream);
  v.setUint32(22, seq);
  for (let i = HEADER; i < len; i++) f[i] = (seq * 31 + i * 7 + stream) & 0xff;
  return f;
}

/** What a receiver saw of one stream. */
export class StreamTally {
  readonly seen = new Map<number, number>();
  corrupted = 0;
  duplicated = 0;

  constructor(readonly stream: number) {}

  /** Counts `f` when it belongs to this stream; false otherwise. */
  take(f: Uint8Array): boolean {
    if (f.length < HEADER) return false;
    const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
    if (v.getUint16(12) !== ETHERTYPE || v.getUint32(14) !== MAGIC || v.getUint32(18) !== this.stream) return false;
    const seq = v.getUint32(22);
    const want = testFrame(this.stream, seq);
    if (want.length !== f.length || want.some((b, i) => b !== f[i])) {
      this.corrupted++;
      return true;
    }
    const n = this.seen.get(seq) ?? 0;
    if (n > 0) this.duplicated++;
    this.seen.set(seq, n + 1);
    return true;
  }

  /** Sequence numbers below `sent` never seen. */
  missing(sent: number): number {
    let m = 0;
    for (let s = 0; s < sent; s++) if (!this.seen.has(s)) m++;
    return m;
  }
}

/** One direction of traffic: a sending raw binding, a receiving one (or none), and what happened. */
export class Flow {
  next = 0;
  readonly tally: StreamTally;
  readonly #sentBefore: number;
  readonly #doneBefore: number;

  constructor(
    readonly from: RawBinding,
    readonly to: RawBinding | null,
    readonly stream: number,
    /** Frames this flow sends at most. */
    readonly limit = Infinity,
  ) {
    this.tally = new StreamTally(stream);
    this.#sentBefore = from.counters.framesSent;
    this.#doneBefore = from.counters.sendCompleted + from.counters.sendFailed;
  }

  /** Sends up to `max` more frames (fewer when the binding is paused or out of NBLs), at most up to `limit`. */
  pump(max: number, limit = this.limit): void {
    const n = Math.min(max, limit - this.next);
    if (n <= 0) return;
    const frames: Uint8Array[] = [];
    for (let i = 0; i < n; i++) frames.push(testFrame(this.stream, this.next + i));
    this.next += this.from.sendBatch(frames);
  }


  get sent(): number {
    return this.from.counters.framesSent - this.#sentBefore;
  }

  /** Sends completed (successfully or not) since the flow began. */
  get completed(): number {
    return this.from.counters.sendCompleted + this.from.counters.sendFailed - this.#doneBefore;
  }

  get received(): number {
    let n = 0;
    for (const c of this.tally.seen.values()) n += c;
    return n;
  }
}

/** Takes every frame queued at the flows' receivers and counts it for the flow whose stream it is. */
export function drainAll(flows: readonly Flow[]): void {
  const receivers = new Set<RawBinding>();
  for (const f of flows) if (f.to !== null) receivers.add(f.to);
  for (const r of receivers) {
    for (let frame = r.tryReceive(); frame !== null; frame = r.tryReceive()) {
      for (const f of flows) if (f.to === r && f.tally.take(frame)) break;
    }
  }
}

/** Resolves on the next turn of the event loop (after I/O), rejecting once `signal` aborted. */
export function tick(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve) => setImmediate(resolve));
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends `count` frames on each flow (batches of 32 a turn), draining the receivers, until every frame
 * arrived and every send completed, or nothing moved for `quietMs`.
 */
export async function burst(flows: readonly Flow[], count: number, signal: AbortSignal, quietMs = 2000): Promise<void> {
  let last = performance.now();
  let progress = -1;
  for (;;) {
    for (const f of flows) f.pump(32, count);
    drainAll(flows);
    const done = flows.every((f) => f.next >= count && f.completed >= f.sent && (f.to === null || f.received + f.tally.corrupted >= count));
    if (done) return;
    const p = flows.reduce((s, f) => s + f.next + f.completed + f.received + f.tally.corrupted, 0);
    if (p !== progress) {
      progress = p;
      last = performance.now();
    } else if (performance.now() - last > quietMs) {
      return;
    }
    await tick(signal);
  }
}

/** A flow's end-to-end problems after `count` frames were meant to go: lost, duplicated, corrupted, unfinished sends. */
export function flowProblems(name: string, f: Flow, count: number): string[] {
  const out: string[] = [];
  if (f.next < count) out.push(`${name}: only ${f.next} of ${count} frames could be sent`);
  if (f.completed !== f.sent) out.push(`${name}: ${f.sent} sends, ${f.completed} completed`);
  if (f.to !== null) {
    const missing = f.tally.missing(f.next);
    if (missing > 0) out.push(`${name}: ${missing} of ${f.next} frames lost`);
    if (f.tally.duplicated > 0) out.push(`${name}: ${f.tally.duplicated} frames duplicated`);
    if (f.tally.corrupted > 0) out.push(`${name}: ${f.tally.corrupted} frames corrupted`);
  }
  return out;
}
