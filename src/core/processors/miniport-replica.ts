/**
 * A miniport replica: the object a multi-processor miniport has on processor k ≥ 1 (the primary, on
 * processor 0, is the ordinary MiniportBlock). It is built from the same class, starts with
 * `initializeReplica`, and runs that processor's data path: its DPCs and timers run on processor k, its
 * receive indications cross to processor 0 through a crossing edge (the stack above the miniport does
 * not run replicas yet: it is the processor boundary), and the originals come back to it there.
 *
 *   processor k: replica driver ─ indicate ─► MiniportReplica ─► CrossingHome ══ NblRing ══╗
 *   processor 0:                     primary's receive path ◄─ CrossingFar ◄══════════════╝
 *   processor 0: returns ─► BoundaryReturn ─┬─► MiniportBlock (the primary's own NBLs)
 *                                           └─► CrossingFar ══ ReturnRing ══► replica returnNetBufferLists
 *
 * Pause, restart and halt reach every replica on its own processor; a control-path call on a replica
 * (attributes, status, OID or PnP completions) is a ReplicaControlCall violation, since the control path
 * has no presence there.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { NDIS_RECEIVE_FLAGS_RESOURCES } from '../../ndis/constants.js';
import type {
  MiniportAdapter,
  MiniportAdapterGeneralAttributes,
  MiniportAdapterHandle,
  MiniportAdapterOffloadAttributes,
  MiniportAdapterRegistrationAttributes,
  MiniportDriverCharacteristics,
  NdisDpc,
  NdisStatusIndicationInit,
  NetPnPEvent,
} from '../../ndis/driver-api.js';
import type { NdisOidRequest } from '../../ndis/oid-request.js';
import type { MiniportHdSplitAttributes } from '../../ndis/hd-split.js';
import { NDIS_STATUS_FAILURE, NDIS_STATUS_NOT_SUPPORTED, NDIS_STATUS_SUCCESS, type NdisStatus } from '../../ndis/status.js';
import { BlockDpc, NdisBlock, type ReturnSink } from '../runtime/block.js';
import { PendableOperation } from '../runtime/completion.js';
import type { RuntimeContext } from '../runtime/context.js';
import type { MiniportBlock } from '../runtime/miniport-block.js';
import { on, transferBack, transferOn } from '../runtime/transfer.js';
import type { CrossingEdge, CrossingFar } from './crossing-edge.js';

export type ReplicaState = 'Initializing' | 'Paused' | 'Restarting' | 'Running' | 'Pausing' | 'Halted';

export class MiniportReplica extends NdisBlock implements MiniportAdapterHandle, ReturnSink {
  readonly primary: MiniportBlock;
  readonly driver: MiniportDriverCharacteristics;
  instance: MiniportAdapter | null = null;
  /** The receive edge to processor 0 (set once the replica initialized). */
  edge: CrossingEdge | null = null;
  receivesOutstanding = 0;
  readonly pauseOp = new PendableOperation('pause');
  readonly restartOp = new PendableOperation('restart');
  #state: ReplicaState = 'Initializing';

  constructor(rt: RuntimeContext, name: string, primary: MiniportBlock) {
    super(rt, name);
    this.primary = primary;
    this.driver = primary.driver;
  }

  /** @internal */
  protected override get rssKeywords(): MiniportBlock['keywords'] {
    return this.primary.keywords;
  }

  get state(): ReplicaState {
    return this.#state;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle (the runtime calls these; each handler runs on the replica's processor)

  /** Builds the driver object and runs initializeReplica. */
  initialize(published: unknown): NdisStatus {
    try {
      this.instance = new this.driver.adapter(this);
    } catch (e) {
      this.handlerThrew('adapter constructor', e);
      return NDIS_STATUS_FAILURE;
    }
    const inst = this.instance;
    const status = this.invoke(
      'initializeReplica',
      () =>
        inst.initializeReplica!({
          adapterName: this.primary.name,
          ifIndex: this.primary.ifIndex,
          processorNumber: this.processorNumber,
          processorCount: this.rt.processorCount,
          keywords: this.primary.keywords,
          published,
        }),
      NDIS_STATUS_FAILURE,
    );
    if (status !== NDIS_STATUS_SUCCESS || this.failed) {
      this.instance = null;
      this.#state = 'Halted';
      return status === NDIS_STATUS_SUCCESS ? NDIS_STATUS_FAILURE : status;
    }
    this.#state = 'Paused';
    return NDIS_STATUS_SUCCESS;
  }

  /** Runs `fn` in a DPC step of the replica's processor; resolves with its result. */
  #onProcessor<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve) => this.rt.scheduler.defer(() => resolve(fn())));
  }

  async pause(reason: number): Promise<void> {
    if (this.#state !== 'Running') return;
    const returned = await this.#onProcessor(() => {
      this.#state = 'Pausing';
      if (this.instance === null || this.failed) return NDIS_STATUS_SUCCESS;
      this.pauseOp.begin();
      return this.invoke('pause', () => this.instance!.pause({ pauseReason: reason }), NDIS_STATUS_SUCCESS);
    });
    if (this.instance !== null && !this.failed) {
      const { completedEarly } = await this.pauseOp.settle(returned);
      if (completedEarly) this.report('CompletionWithoutPending', 'pauseComplete called although pause returned a final status');
      if (this.receivesOutstanding > 0) this.report('PrematurePauseComplete', `paused with ${this.receivesOutstanding} receive(s) not returned`);
    }
    this.#state = 'Paused';
  }

  async restart(): Promise<NdisStatus> {
    if (this.#state !== 'Paused') return NDIS_STATUS_SUCCESS;
    const returned = await this.#onProcessor(() => {
      this.#state = 'Restarting';
      if (this.instance === null || this.failed) return NDIS_STATUS_FAILURE;
      this.restartOp.begin();
      return this.invoke('restart', () => this.instance!.restart({ restartAttributes: {} }), NDIS_STATUS_FAILURE);
    });
    let status = returned;
    if (this.instance !== null && !this.failed) {
      const r = await this.restartOp.settle(returned);
      if (r.completedEarly) this.report('CompletionWithoutPending', 'restartComplete called although restart returned a final status');
      status = r.status;
    }
    this.#state = status === NDIS_STATUS_SUCCESS ? 'Running' : 'Paused';
    return status;
  }

  halt(haltAction: number): void {
    if (this.instance !== null && !this.failed) this.invoke('halt', () => this.instance!.halt(haltAction), undefined);
    if (this.receivesOutstanding > 0) this.report('TeardownLeak', `halted with ${this.receivesOutstanding} indicated NBL(s) not returned`);
    this.instance = null;
    this.#state = 'Halted';
  }

  /** Delivers the primary's published state on the replica's processor. */
  deliverPublished(state: unknown): void {
    this.rt.scheduler.defer(() => {
      const inst = this.instance;
      if (inst === null || this.failed || inst.published === undefined) return;
      this.invoke('published', () => inst.published!(state), undefined);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Data path

  indicateReceiveNetBufferLists(nbls: NetBufferList, portNumber: number, numberOfNetBufferLists: number, receiveFlags: number): void {
    if (this.#state !== 'Running' && this.#state !== 'Pausing') {
      this.report('SendWhilePaused', `receive indication while ${this.#state}`);
      this.stats.dropped += numberOfNetBufferLists;
      if ((receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) this.rt.scheduler.defer(() => this.#returnToDriver(nbls));
      return;
    }
    if ((receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0) {
      // RESOURCES NBLs must be back when the call returns; they cannot be lent to processor 0 (a crossing
      // copy path is not built yet): dropped, and the driver keeps them.
      this.stats.dropped += numberOfNetBufferLists;
      return;
    }
    const verify = this.rt.verifying;
    if (verify) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        if (nbl.sourceHandle === null) nbl.sourceHandle = this;
        else if (nbl.sourceHandle !== this) this.report('NblSourceHandle', 'indicated an NBL whose SourceHandle is not the adapter handle');
      }
    }
    const home = this.edge!.home;
    const n = transferOn(nbls, this, home.id, verify);
    if (n + on.cut !== numberOfNetBufferLists) this.report('NblReceiveCount', `NumberOfNetBufferLists ${numberOfNetBufferLists} but the chain holds ${n + on.cut}`);
    if (on.head === null) return;
    this.stats.received += n;
    this.receivesOutstanding += n;
    home.deliverReceive(on.head, portNumber, n, receiveFlags);
  }

  /** Originals back from processor 0 (or refused by the crossing). */
  deliverReturn(nbls: NetBufferList, returnFlags: number, n: number): void {
    this.receivesOutstanding -= n;
    this.stats.returned += n;
    this.#returnToDriver(nbls, returnFlags);
  }

  #returnToDriver(nbls: NetBufferList, flags = 0): void {
    if (this.instance !== null && !this.failed) {
      this.invoke('returnNetBufferLists', () => this.instance!.returnNetBufferLists(nbls, flags), undefined);
      return;
    }
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      if (nbl.allocated && nbl.childRefCount === 0) nbl.home.free(nbl);
      nbl = next;
    }
  }

  /** No send reaches a replica yet (sends stay on processor 0): whatever it completes it does not own. */
  sendNetBufferListsComplete(nbls: NetBufferList, _sendCompleteFlags: number): void {
    transferBack(nbls, this, 0, true);
  }

  allocateDpc(routine: () => void): NdisDpc {
    return new BlockDpc(this, routine);
  }

  // ---------------------------------------------------------------------------------------------
  // Control path: the primary's alone

  #control(what: string): NdisStatus {
    this.report('ReplicaControlCall', `${what} on the replica of processor ${this.processorNumber}`);
    return NDIS_STATUS_NOT_SUPPORTED;
  }

  setRegistrationAttributes(_a: MiniportAdapterRegistrationAttributes): NdisStatus {
    return this.#control('setRegistrationAttributes');
  }
  setGeneralAttributes(_a: MiniportAdapterGeneralAttributes): NdisStatus {
    return this.#control('setGeneralAttributes');
  }
  setOffloadAttributes(_a: MiniportAdapterOffloadAttributes): NdisStatus {
    return this.#control('setOffloadAttributes');
  }
  setHdSplitAttributes(_a: MiniportHdSplitAttributes): NdisStatus {
    return this.#control('setHdSplitAttributes');
  }
  indicateStatus(_i: NdisStatusIndicationInit): void {
    this.#control('indicateStatus');
  }
  oidRequestComplete(_r: NdisOidRequest, _s: NdisStatus): void {
    this.#control('oidRequestComplete');
  }
  directOidRequestComplete(_r: NdisOidRequest, _s: NdisStatus): void {
    this.#control('directOidRequestComplete');
  }
  resetComplete(_s: NdisStatus, _a: boolean): void {
    this.#control('resetComplete');
  }
  reportSurpriseRemoval(_reason: string): void {
    this.#control('reportSurpriseRemoval');
  }
  netPnPEvent(_e: NetPnPEvent): NdisStatus {
    return this.#control('netPnPEvent');
  }
  publish(_state: unknown): void {
    this.#control('publish');
  }

  pauseComplete(): void {
    const r = this.pauseOp.complete(NDIS_STATUS_SUCCESS);
    if (r === 'already-completed') this.report('DoubleComplete', 'pauseComplete called twice');
    else if (r === 'not-pending') this.report('CompletionWithoutPending', 'pauseComplete without a pending pause');
  }

  restartComplete(status: NdisStatus): void {
    const r = this.restartOp.complete(status);
    if (r === 'already-completed') this.report('DoubleComplete', 'restartComplete called twice');
    else if (r === 'not-pending') this.report('CompletionWithoutPending', 'restartComplete without a pending restart');
  }
}

/**
 * The bottom of an adapter stack with replicas (MiniportBlock.bottomReturn): returns of the replicas'
 * shells go to their crossing edges' far ends, everything else to the primary, each as one chain.
 */
export class BoundaryReturn implements ReturnSink {
  readonly id: number;
  readonly #fars: CrossingFar[];
  readonly #heads: (NetBufferList | null)[];
  readonly #tails: (NetBufferList | null)[];
  readonly #counts: number[];

  constructor(
    readonly primary: MiniportBlock,
    fars: readonly CrossingFar[],
  ) {
    this.id = primary.id;
    this.#fars = [...fars];
    this.#heads = new Array<NetBufferList | null>(fars.length + 1).fill(null);
    this.#tails = new Array<NetBufferList | null>(fars.length + 1).fill(null);
    this.#counts = new Array<number>(fars.length + 1).fill(0);
  }

  deliverReturn(nbls: NetBufferList, flags: number, _count: number): void {
    const fars = this.#fars;
    const heads = this.#heads;
    const tails = this.#tails;
    const counts = this.#counts;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      let i = fars.length; // the primary's slot
      const src = nbl.sourceHandle;
      if (src !== this.primary) for (let k = 0; k < fars.length; k++) if (fars[k] === src) i = k;
      if (tails[i] === null) heads[i] = nbl;
      else tails[i]!.next = nbl;
      tails[i] = nbl;
      counts[i]!++;
      nbl = next;
    }
    for (let i = 0; i <= fars.length; i++) {
      const head = heads[i];
      if (head === null || head === undefined) continue;
      const n = counts[i]!;
      heads[i] = tails[i] = null;
      counts[i] = 0;
      if (i === fars.length) this.primary.deliverReturn(head, flags, n);
      else fars[i]!.deliverReturn(head, flags, n);
    }
  }
}
