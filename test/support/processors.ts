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
import type { CrossingEdge } from '../../src/core/processors/crossing-edge.js';
import type { NetBufferList } from '../../src/ndis/buffers/net-buffer-list.js';
import type { NetBufferListPool } from '../../src/ndis/buffers/pools.js';
import { NDIS_STATUS_SUCCESS, type NdisStatus } from '../../src/ndis/status.js';
import type { SeededRandom } from '../../src/util/random.js';
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
      this.seen.push({ bytes: nblBytes(nbl), processor: this.processorNumber, hashValue: nbl.info.hashValue, portNumber, flags });
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
