/**
 * Multi-processor test support: a host on a SimulatedProcessorSet, and endpoint blocks that play the two
 * sides of a crossing edge without a driver stack — a `LaneSource` on the home processor that indicates
 * or sends frames from its own pool and frees what comes back, and a `LaneTarget` on the far processor
 * that records what the shells carried and returns or completes them (at once, or after seeded delays).
 */
import { NdisBlock, type ReceiveSink, type ReturnSink, type SendCompleteSink, type SendSink } from '../../src/core/runtime/block.js';
import type { RuntimeContext } from '../../src/core/runtime/context.js';
import { NdisRuntime } from '../../src/core/runtime/runtime.js';
import { on, transferBack, transferOn, back } from '../../src/core/runtime/transfer.js';
import { SimulatedProcessorSet, type SimulatedProcessorSetOptions } from '../../src/core/processors/simulated.js';
import { CrossingEdge, CrossingFar, CrossingHome } from '../../src/core/processors/crossing-edge.js';
import type { ProcessorCounters } from '../../src/core/processors/processor.js';
import { ThreadedProcessorSet } from '../../src/core/processors/threaded.js';
import { SeededRandom } from '../../src/util/random.js';
import type { NetBufferList } from '../../src/ndis/buffers/net-buffer-list.js';
import type { NetBufferListPool } from '../../src/ndis/buffers/pools.js';
import { NDIS_STATUS_SUCCESS, type NdisStatus } from '../../src/ndis/status.js';
import type {
  MiniportAdapter,
  MiniportAdapterHandle,
  MiniportDriverCharacteristics,
  MiniportInitParameters,
  MiniportPauseParameters,
  MiniportReplicaParameters,
  MiniportRestartParameters,
  NdisDpc,
  NetDevicePnPEvent,
} from '../../src/ndis/driver-api.js';
import { NdisMedium802_3 } from '../../src/ndis/constants.js';
import { NDIS_STATUS_PENDING } from '../../src/ndis/status.js';
import type { NdisOidRequest } from '../../src/ndis/oid-request.js';
import { ethernetGeneralAttributes } from '../../src/ndis/attributes.js';
import { ETHERNET_OIDS, EthernetMiniportState, handleEthernetOid } from '../../src/drivers/common/ethernet-miniport.js';
import { TEST_MAC } from './test-drivers.js';

export function simulatedHost(options: SimulatedProcessorSetOptions & { name?: string }): { rt: NdisRuntime; set: SimulatedProcessorSet } {
  const set = new SimulatedProcessorSet(options);
  const rt = new NdisRuntime({ name: options.name ?? 'H', processors: set });
  return { rt, set };
}

/** Frame bytes: flow id and sequence number up front, then a pattern both depend on. */
export function flowFrame(flow: number, seq: number, length: number): Uint8Array {
  const f = new Uint8Array(Math.max(8, length));
  const v = new DataView(f.buffer);
  v.setUint32(0, flow);
  v.setUint32(4, seq);
  for (let i = 8; i < f.length; i++) f[i] = (flow * 31 + seq * 7 + i) & 0xff;
  return f;
}

/** All data bytes of an NBL (every NB, in order). */
export function nblBytes(nbl: NetBufferList): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let nb = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
    const out = new Uint8Array(nb.dataLength);
    nb.copyOut(out, 0, 0, nb.dataLength);
    parts.push(out);
  }
  const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return all;
}

/** The home side: owns a pool on its processor, hands chains to an edge and frees what comes back. */
export class LaneSource extends NdisBlock implements ReturnSink, SendCompleteSink {
  readonly pool: NetBufferListPool;
  edge: CrossingEdge | null = null;
  /** Frames handed over, and NBLs given back (with their completion status for sends). */
  offered = 0;
  readonly back: { bytes: Uint8Array; status: NdisStatus }[] = [];
  notMine = 0;

  constructor(rt: RuntimeContext, name: string, capacity = 256, dataSize = 2048) {
    super(rt, name);
    this.pool = this.allocateNetBufferListPool({ capacity, dataSize });
  }

  get state(): string {
    return 'Running';
  }

  /** One NBL per frame (stops early when the pool is empty), the frame `backfill` bytes into its slot. */
  build(frames: readonly Uint8Array[], backfill = 0): NetBufferList[] {
    const out: NetBufferList[] = [];
    for (const f of frames) {
      const nbl = this.pool.allocate();
      if (nbl === null) break;
      const nb = nbl.firstNetBuffer!;
      nb.advance(backfill, false);
      nb.dataLength = f.length;
      nb.copyIn(f);
      nbl.sourceHandle = this;
      out.push(nbl);
    }
    return out;
  }

  /** Hands `nbls` (built here) to the edge's home end as one chain; `kind` picks the path. */
  offer(nbls: NetBufferList[], portNumber = 0, flags = 0): void {
    if (nbls.length === 0) return;
    const edge = this.edge!;
    for (let i = 0; i < nbls.length; i++) nbls[i]!.next = nbls[i + 1] ?? null;
    const n = transferOn(nbls[0]!, this, edge.home.id, this.rt.verifying);
    this.offered += n;
    if (on.head === null) return;
    if (edge.kind === 'receive') edge.home.deliverReceive(on.head, portNumber, n, flags);
    else edge.home.deliverSend(on.head, portNumber, flags, n);
  }

  deliverReturn(nbls: NetBufferList, _flags: number, _count: number): void {
    this.#takeBack(nbls);
  }

  deliverSendComplete(nbls: NetBufferList, _flags: number): void {
    this.#takeBack(nbls);
  }

  #takeBack(nbls: NetBufferList): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      if (nbl.home !== this.pool || nbl.sourceHandle !== this) this.notMine++;
      else {
        this.back.push({ bytes: nblBytes(nbl), status: nbl.status });
        this.pool.free(nbl);
      }
      nbl = next;
    }
  }
}

export interface TargetRecord {
  bytes: Uint8Array;
  processor: number;
  hashValue: number;
  portNumber: number;
  flags: number;
}

/** The far side: records each shell and gives it back, at once or after a seeded number of its DPC runs. */
export class LaneTarget extends NdisBlock implements ReceiveSink, SendSink {
  edge: CrossingEdge | null = null;
  readonly seen: TargetRecord[] = [];
  /** Hold shells and give them back later (seeded), instead of at once. */
  holdRandom: SeededRandom | null = null;
  /** Status given to completed sends. */
  status: NdisStatus = NDIS_STATUS_SUCCESS;
  /** Record what the shells carried (off for benchmarks). */
  record = true;
  readonly #held: NetBufferList[] = [];
  #dpcQueued = false;

  constructor(rt: RuntimeContext, name: string) {
    super(rt, name);
  }

  get state(): string {
    return 'Running';
  }

  get held(): number {
    return this.#held.length;
  }

  deliverReceive(nbls: NetBufferList, portNumber: number, _count: number, flags: number): void {
    this.#take(nbls, portNumber, flags);
  }

  deliverSend(nbls: NetBufferList, portNumber: number, sendFlags: number, _count: number): void {
    this.#take(nbls, portNumber, sendFlags);
  }

  #take(nbls: NetBufferList, portNumber: number, flags: number): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      if (this.record) this.seen.push({ bytes: nblBytes(nbl), processor: this.processorNumber, hashValue: nbl.info.hashValue, portNumber, flags });
      if (this.holdRandom === null) this.#giveBack([nbl]);
      else this.#held.push(nbl);
      nbl = next;
    }
    if (this.#held.length > 0) this.#schedule();
  }

  #schedule(): void {
    if (this.#dpcQueued) return;
    this.#dpcQueued = true;
    this.rt.scheduler.defer(() => {
      this.#dpcQueued = false;
      const r = this.holdRandom;
      const n = r === null ? this.#held.length : r.below(this.#held.length + 1);
      if (n > 0) this.#giveBack(this.#held.splice(0, n));
      if (this.#held.length > 0) this.#schedule();
    });
  }

  /** Gives every held shell back now. */
  releaseAll(): void {
    if (this.#held.length > 0) this.#giveBack(this.#held.splice(0));
  }

  #giveBack(shells: NetBufferList[]): void {
    const edge = this.edge!;
    for (let i = 0; i < shells.length; i++) {
      shells[i]!.next = shells[i + 1] ?? null;
      if (edge.kind === 'send') shells[i]!.status = this.status;
    }
    const upward = edge.kind === 'send';
    const n = transferBack(shells[0]!, this, edge.far.id, upward);
    if (back.head === null) return;
    if (upward) edge.far.deliverSendComplete(back.head, 0);
    else edge.far.deliverReturn(back.head, 0, n);
  }
}

/** A source on `from`, a target on `to`, and the edge between them. */
export function laneEdge(rt: NdisRuntime, kind: 'receive' | 'send', from: number, to: number, options: { capacity?: number; ledgerCapacity?: number; shellCapacity?: number; name?: string } = {}): { source: LaneSource; target: LaneTarget; edge: CrossingEdge } {
  const name = options.name ?? `${kind}${from}to${to}`;
  const source = new LaneSource(rt.lane(from), `${rt.name}/${name}.source`, options.capacity ?? 256);
  const target = new LaneTarget(rt.lane(to), `${rt.name}/${name}.target`);
  const common = { name, from, to, ...(options.ledgerCapacity === undefined ? {} : { ledgerCapacity: options.ledgerCapacity }), ...(options.shellCapacity === undefined ? {} : { shellCapacity: options.shellCapacity }) };
  const edge = kind === 'receive' ? rt.createCrossingEdge({ ...common, kind, target, back: source }) : rt.createCrossingEdge({ ...common, kind, target, back: source });
  source.edge = edge;
  target.edge = edge;
  return { source, target, edge };
}

// ---------------------------------------------------------------------------------------------------
// A multi-processor test miniport

/**
 * An Ethernet test miniport that opts into multi-processor operation: one receive queue per processor
 * (the primary's on 0, each replica's on its own), fed by `inject` and indicated from the queue's DPC.
 * Frames injected while the queue is paused, or beyond its receive pool, are dropped and counted. Pause
 * waits until every indicated NBL is back.
 */
export class MpTestDriver {
  readonly characteristics: MiniportDriverCharacteristics;
  /** The adapter objects by processor number (the primary at 0). */
  readonly queues: MpTestAdapter[] = [];

  constructor(name = 'test.mp-miniport', rxCapacity = 16) {
    const driver = this;
    class Adapter extends MpTestAdapter {
      constructor(handle: MiniportAdapterHandle) {
        super(handle, driver, rxCapacity);
      }
    }
    this.characteristics = {
      kind: 'miniport',
      name,
      ndisVersion: { major: 6, minor: 30 },
      medium: NdisMedium802_3,
      multiProcessor: { module: import.meta.url, export: 'MpTestDriver' },
      adapter: Adapter,
    };
  }
}

export class MpTestAdapter implements MiniportAdapter {
  readonly ndis: MiniportAdapterHandle;
  readonly driver: MpTestDriver;
  readonly rxCapacity: number;
  pool: NetBufferListPool | null = null;
  dpc: NdisDpc | null = null;
  eth: EthernetMiniportState | null = null;
  running = false;
  #pausing = false;
  readonly queue: Uint8Array[] = [];
  indicated = 0;
  outstanding = 0;
  dropped = 0;
  lastPublished: unknown = null;

  constructor(ndis: MiniportAdapterHandle, driver: MpTestDriver, rxCapacity: number) {
    this.ndis = ndis;
    this.driver = driver;
    this.rxCapacity = rxCapacity;
  }

  #setUp(processor: number): void {
    this.driver.queues[processor] = this;
    this.pool = this.ndis.allocateNetBufferListPool({ capacity: this.rxCapacity, dataSize: 2048 });
    this.dpc = this.ndis.allocateDpc(() => this.#receiveDpc());
  }

  initialize(_params: MiniportInitParameters): NdisStatus {
    this.ndis.setRegistrationAttributes({});
    const general = ethernetGeneralAttributes({ macAddress: TEST_MAC, supportedOidList: ETHERNET_OIDS, vendorDescription: 'tsndis multi-processor test miniport' });
    this.ndis.setGeneralAttributes(general);
    this.eth = new EthernetMiniportState(general);
    this.#setUp(0);
    return NDIS_STATUS_SUCCESS;
  }

  initializeReplica(params: MiniportReplicaParameters): NdisStatus {
    this.lastPublished = params.published;
    this.#setUp(params.processorNumber);
    return NDIS_STATUS_SUCCESS;
  }

  published(state: unknown): void {
    this.lastPublished = state;
  }

  /** Queues frames on this processor's receive queue; its DPC indicates them. */
  inject(frames: readonly Uint8Array[]): void {
    this.queue.push(...frames);
    this.dpc!.queue();
  }

  #receiveDpc(): void {
    const frames = this.queue.splice(0);
    if (!this.running) {
      this.dropped += frames.length;
      return;
    }
    const list: NetBufferList[] = [];
    for (const f of frames) {
      const nbl = this.pool!.allocate();
      if (nbl === null) {
        this.dropped++;
        continue;
      }
      nbl.firstNetBuffer!.dataLength = f.length;
      nbl.firstNetBuffer!.copyIn(f);
      nbl.sourceHandle = this.ndis;
      list.push(nbl);
    }
    if (list.length === 0) return;
    for (let i = 0; i < list.length; i++) list[i]!.next = list[i + 1] ?? null;
    this.indicated += list.length;
    this.outstanding += list.length;
    this.ndis.indicateReceiveNetBufferLists(list[0]!, 0, list.length, 0);
  }

  returnNetBufferLists(nbls: NetBufferList, _flags: number): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      this.pool!.free(nbl);
      this.outstanding--;
      nbl = next;
    }
    if (this.#pausing && this.outstanding === 0) {
      this.#pausing = false;
      this.ndis.pauseComplete();
    }
  }

  pause(_params: MiniportPauseParameters): NdisStatus {
    this.running = false;
    if (this.outstanding === 0) return NDIS_STATUS_SUCCESS;
    this.#pausing = true;
    return NDIS_STATUS_PENDING;
  }

  restart(_params: MiniportRestartParameters): NdisStatus {
    this.running = true;
    return NDIS_STATUS_SUCCESS;
  }

  halt(_haltAction: number): void {
    if (this.pool !== null) this.ndis.freeNetBufferListPool(this.pool);
    this.pool = null;
  }

  shutdown(): void {}

  sendNetBufferLists(nbls: NetBufferList, _portNumber: number, _sendFlags: number): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.status = NDIS_STATUS_SUCCESS;
    this.ndis.sendNetBufferListsComplete(nbls, 0);
  }

  cancelSend(_cancelId: number): void {}
  devicePnPEventNotify(_event: NetDevicePnPEvent): void {}

  oidRequest(request: NdisOidRequest): NdisStatus {
    return handleEthernetOid(this.eth!, request);
  }

  cancelOidRequest(_requestId: number): void {}

  /** Driver counters of this processor's queue (the inspector sums them over processors). */
  statistics(): Record<string, number> {
    return { ifHCInUcastPkts: this.indicated, ifInDiscards: this.dropped };
  }

  inspect(): unknown {
    return { queue: { indicated: this.indicated, dropped: this.dropped, outstanding: this.outstanding }, published: this.lastPublished === null ? 'none' : 'yes' };
  }
}

/** Awaits a control-plane promise while the simulated processors step (bounded). */
export async function drive<T>(set: SimulatedProcessorSet, p: Promise<T>, maxSteps = 100_000): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  const r = await set.run({ until: () => done, maxSteps });
  if (!r.satisfied) throw new Error(`the operation did not finish within ${r.steps} steps (virtual time ${r.timeMs} ms)`);
  return watched;
}

// ---------------------------------------------------------------------------------------------------
// One scenario, every processor mode: seeded simulation and real worker threads

/** Where a scenario runs: the simulated set with a seed, or real threads. */
export type ProcessorMode = { kind: 'simulated'; seed: number } | { kind: 'threads' };

/** Runs `scenario` on the simulated set for every seed, then once on worker threads. */
export async function forEachProcessorMode(seeds: readonly number[], scenario: (mode: ProcessorMode) => Promise<void>): Promise<void> {
  for (const seed of seeds) await scenario({ kind: 'simulated', seed });
  await scenario({ kind: 'threads' });
}

export interface EdgeEndPlan {
  id: number;
  name: string;
  kind: 'receive' | 'send';
  from: number;
  to: number;
  capacity: number;
  ledgerCapacity: number;
  shellCapacity: number;
  holdSeed: number | null;
  /** The target records nothing (benchmarks). */
  discard?: boolean;
}

export interface SourceReport {
  offered: number;
  done: boolean;
  back: { key: string; status: number }[];
  /** Frames handed to the edge: key and bytes. */
  sent: [string, Uint8Array][];
  notMine: number;
  poolInUse: number;
  lent: number;
  refused: number;
}

export interface TargetReport {
  seen: TargetRecord[];
  held: number;
  shellsOut: number;
  delivered: number;
}

const frameKey = (b: Uint8Array): string => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return `${v.getUint32(0)}:${v.getUint32(4)}`;
};

/** Offers `chains` (frame counts) from DPCs on the source's processor, three flows per source. */
export function offerChains(source: LaneSource, scheduler: { defer(task: () => void): void }, chains: readonly number[], flowBase: number, random: SeededRandom): void {
  const seqs = [0, 0, 0];
  const sent = sentOf(source);
  let chain = 0;
  const next = (): void => {
    if (chain === chains.length) {
      doneOf.add(source);
      return;
    }
    const frames: Uint8Array[] = [];
    for (let k = 0; k < chains[chain]!; k++) {
      const f = random.below(3);
      frames.push(flowFrame(flowBase + f, ++seqs[f]!, 14 + random.below(1500)));
    }
    const nbls = source.build(frames, random.below(2) * 64);
    for (let k = 0; k < nbls.length; k++) sent.push([frameKey(frames[k]!), frames[k]!]);
    source.offer(nbls, 0, source.edge!.kind === 'receive' ? 0x10 : 0x20);
    chain++;
    scheduler.defer(next);
  };
  scheduler.defer(next);
}

const sentFrames = new WeakMap<LaneSource, [string, Uint8Array][]>();
const doneOf = new WeakSet<LaneSource>();
function sentOf(source: LaneSource): [string, Uint8Array][] {
  let s = sentFrames.get(source);
  if (s === undefined) {
    s = [];
    sentFrames.set(source, s);
  }
  return s;
}

export function sourceReport(source: LaneSource): SourceReport {
  const home = source.edge!.home;
  return {
    offered: source.offered,
    done: doneOf.has(source),
    back: source.back.map((b) => ({ key: frameKey(b.bytes), status: b.status })),
    sent: sentOf(source),
    notMine: source.notMine,
    poolInUse: source.pool.inUse,
    lent: home.lent,
    refused: home.refused,
  };
}

export function targetReport(target: LaneTarget): TargetReport {
  const far = target.edge!.far;
  return { seen: target.seen, held: target.held, shellsOut: far.shellsOut, delivered: far.delivered };
}

const LANE_WORKER = new URL('./lane-worker.js', import.meta.url).href;

/** A host on either kind of set, with edges whose ends are made where their processors run. */
export class ModeHost {
  readonly #local = new Map<string, { source?: LaneSource; target?: LaneTarget }>();
  readonly #plans = new Map<string, EdgeEndPlan>();

  private constructor(
    readonly mode: ProcessorMode,
    readonly rt: NdisRuntime,
    readonly sim: SimulatedProcessorSet | null,
    readonly threads: ThreadedProcessorSet | null,
  ) {}

  static async create(mode: ProcessorMode, count: number, rings: { ringSlots?: number; returnSlots?: number; maxBatch?: number } = {}): Promise<ModeHost> {
    if (mode.kind === 'simulated') {
      const { rt, set } = simulatedHost({ count, seed: mode.seed, ...rings });
      return new ModeHost(mode, rt, set, null);
    }
    const set = new ThreadedProcessorSet({ count, ...(rings.ringSlots === undefined ? {} : { ringSlots: rings.ringSlots }), ...(rings.returnSlots === undefined ? {} : { returnSlots: rings.returnSlots }), ...(rings.maxBatch === undefined ? {} : { batch: rings.maxBatch }) });
    try {
      await set.ready;
    } catch (e) {
      await set.close();
      throw e;
    }
    return new ModeHost(mode, new NdisRuntime({ name: 'H', processors: set }), null, set);
  }

  #remote(p: number): boolean {
    return this.threads !== null && p !== 0;
  }

  /** An edge from `from` to `to` with a LaneSource behind its home end and a LaneTarget behind its far end. */
  async edge(plan: Omit<EdgeEndPlan, 'id'>): Promise<void> {
    if (this.sim !== null) {
      const { source, target } = laneEdge(this.rt, plan.kind, plan.from, plan.to, { name: plan.name, capacity: plan.capacity, ledgerCapacity: plan.ledgerCapacity, shellCapacity: plan.shellCapacity });
      if (plan.holdSeed !== null) target.holdRandom = new SeededRandom(plan.holdSeed);
      this.#local.set(plan.name, { source, target });
      this.#plans.set(plan.name, { ...plan, id: source.edge!.id });
      return;
    }
    const set = this.threads!;
    const full: EdgeEndPlan = { ...plan, id: set.allocateEdgeId() };
    this.#plans.set(plan.name, full);
    const local: { source?: LaneSource; target?: LaneTarget } = {};
    this.#local.set(plan.name, local);
    const spec = { name: plan.name, from: plan.from, to: plan.to, ledgerCapacity: plan.ledgerCapacity, shellCapacity: plan.shellCapacity };
    for (const p of [plan.from, plan.to]) {
      if (this.#remote(p)) {
        await set.run(p, { module: LANE_WORKER, export: 'makeEnd' }, full, this.rt);
        continue;
      }
      const main = set.processor(0);
      if (p === plan.from) {
        const source = new LaneSource(this.rt, `H/${plan.name}.source`, plan.capacity);
        const home = new CrossingHome(this.rt, `H/${plan.name}@0`, full.id, plan.kind === 'receive' ? { ...spec, kind: 'receive', target: source as never, back: source } : { ...spec, kind: 'send', target: source as never, back: source }, main);
        main.homeEnds.set(full.id, home);
        source.edge = new CrossingEdge(full.id, plan.kind, plan.from, plan.to, home, null as unknown as CrossingFar);
        local.source = source;
      } else {
        const target = new LaneTarget(this.rt, `H/${plan.name}.target`);
        const far = new CrossingFar(this.rt, `H/${plan.name}@0`, full.id, plan.kind === 'receive' ? { ...spec, kind: 'receive', target, back: target as never } : { ...spec, kind: 'send', target, back: target as never }, main);
        main.farEnds.set(full.id, far);
        target.edge = new CrossingEdge(full.id, plan.kind, plan.from, plan.to, null as unknown as CrossingHome, far);
        if (plan.holdSeed !== null) target.holdRandom = new SeededRandom(plan.holdSeed);
        local.target = target;
      }
    }
  }

  /** Starts offering `chains` on the edge's source (from DPCs of its processor). */
  async offer(name: string, chains: number[], seed: number, flowBase: number): Promise<void> {
    const plan = this.#plans.get(name)!;
    if (this.#remote(plan.from)) {
      await this.threads!.run(plan.from, { module: LANE_WORKER, export: 'offer' }, { name, chains, seed, flowBase }, this.rt);
      return;
    }
    offerChains(this.#local.get(name)!.source!, this.rt.lane(plan.from).scheduler, chains, flowBase, new SeededRandom(seed));
  }

  async report(name: string): Promise<{ source: SourceReport; target: TargetReport; poolsFull: boolean }> {
    const plan = this.#plans.get(name)!;
    const local = this.#local.get(name)!;
    let poolsFull = true;
    const get = async <T>(p: number, key: 'source' | 'target'): Promise<T> => {
      if (!this.#remote(p)) return (key === 'source' ? sourceReport(local.source!) : targetReport(local.target!)) as T;
      const r = await this.threads!.run<{ source?: SourceReport; target?: TargetReport; poolsFull: boolean }>(p, { module: LANE_WORKER, export: 'report' }, { name }, this.rt);
      poolsFull &&= r.poolsFull;
      return r[key] as T;
    };
    const source = await get<SourceReport>(plan.from, 'source');
    const target = await get<TargetReport>(plan.to, 'target');
    return { source, target, poolsFull };
  }

  /** Every processor's crossing counters. */
  async counters(): Promise<ProcessorCounters[]> {
    const out: ProcessorCounters[] = [];
    for (let k = 0; k < this.rt.processorCount; k++) {
      if (this.#remote(k)) out.push(await this.threads!.run<ProcessorCounters>(k, { module: LANE_WORKER, export: 'counters' }, null, this.rt));
      else out.push(this.rt.processors!.processor(k).counters);
    }
    return out;
  }

  /** Lets the processors run until `pred` holds (bounded in steps or wall time). */
  async waitFor(pred: () => Promise<boolean>, what: string, limitMs = 10_000, describe: () => Promise<string> = async () => ''): Promise<void> {
    if (this.sim !== null) {
      for (let i = 0; i < 2_000; i++) {
        if (await pred()) return;
        const r = await this.sim.run({ maxSteps: 200 });
        if (r.quiescent && r.steps === 0 && !(await pred())) {
          await this.sim.advance(300);
        }
      }
      throw new Error(`${this.mode.kind} seed ${(this.mode as { seed: number }).seed}: ${what} did not happen`);
    }
    const end = performance.now() + limitMs;
    while (performance.now() < end) {
      if (await pred()) return;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`threads: ${what} did not happen within ${limitMs} ms ${await describe()}`);
  }

  async close(): Promise<void> {
    await this.threads?.close();
  }
}
