/**
 * The open block: one protocol binding to one adapter (NdisBindingHandle). It runs the binding state
 * machine, is the protocol's `ProtocolBindingHandle`, keeps the binding's own packet filter, multicast
 * list and lookahead (NDIS merges them over all bindings before the miniport sees them), and counts the
 * binding's outstanding sends and held receives so pause and unbind can be checked.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { NDIS_PACKET_TYPE_PROMISCUOUS, NetEventPause, NetEventRestart } from '../../ndis/constants.js';
import type {
  NdisStatusIndication,
  OpenAdapterResult,
  ProtocolBinding,
  ProtocolBindingHandle,
  ProtocolDriverCharacteristics,
} from '../../ndis/driver-api.js';
import { currentLookaheadCodec, multicastListCodec, packetFilterCodec } from '../../ndis/oid-codecs.js';
import { NdisOidRequest } from '../../ndis/oid-request.js';
import { OID_802_3_MULTICAST_LIST, OID_GEN_CURRENT_LOOKAHEAD, OID_GEN_CURRENT_PACKET_FILTER } from '../../ndis/oids.js';
import {
  NDIS_STATUS_CLOSING,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_DATA,
  NDIS_STATUS_INVALID_STATE,
  NDIS_STATUS_MULTICAST_FULL,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_OPEN_LIST_FULL,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_UNSUPPORTED_MEDIA,
  type NdisStatus,
} from '../../ndis/status.js';
import { StateMachine } from '../state/state-machine.js';
import { BINDING_TRANSITIONS, type BindingEvent, type BindingState } from '../state/tables.js';
import { NdisBlock, type OidIssuer } from './block.js';
import { PendableOperation } from './completion.js';
import type { Configuration } from './configuration.js';
import type { RuntimeContext } from './context.js';
import type { MiniportBlock } from './miniport-block.js';
import { submitOid } from './oid-routing.js';
import { NblEvent } from '../verifier/nbl-history.js';
import { on, recordChain, transferOn } from './transfer.js';

/** Hooks the runtime gives a binding for the calls that reach beyond its own stack. */
export interface BindingServices {
  requestUnbind(binding: OpenBlock): void;
  initializeDeviceInstance(binding: OpenBlock, instanceName: string, deviceContext: unknown): NdisStatus;
  deInitializeDeviceInstance(binding: OpenBlock, instanceName: string): NdisStatus;
  cancelSend(mb: MiniportBlock, fromLevel: number, cancelId: number): void;
  nextPartialCancelId(): number;
}

export class OpenBlock extends NdisBlock implements ProtocolBindingHandle, OidIssuer {
  readonly protocol: ProtocolDriverCharacteristics;
  readonly mb: MiniportBlock;
  /** @internal */
  readonly sm: StateMachine<BindingState, BindingEvent>;
  readonly keywords: Configuration;
  /** @internal */
  readonly services: BindingServices;
  /** Set for an intermediate driver's lower edge: the IM driver's name. */
  readonly intermediate: string | null;
  instance: ProtocolBinding | null = null;
  opened = false;
  selectedMediumIndex = -1;

  packetFilter = 0;
  multicastList: Uint8Array[] = [];
  lookahead = 0;

  sendsOutstanding = 0;
  receivesHeld = 0;
  /**
   * This binding's bit in the holder mask of receive NBLs shared with other bindings (`ndisRefs`);
   * unique among the adapter's bindings, 0 when all 30 bits are taken (bind fails: OPEN_LIST_FULL).
   */
  readonly rxBit: number;
  /** @internal Scratch used by StackTop to split a completion chain per binding. */
  completeHead: NetBufferList | null = null;
  /** @internal */
  completeTail: NetBufferList | null = null;

  /** @internal */
  readonly bindOp = new PendableOperation('bind');
  /** @internal */
  readonly unbindOp = new PendableOperation('unbind');
  /** @internal */
  readonly pnpOp = new PendableOperation('PnP event');
  /** Internal merged-filter requests → the binding's own request they complete. */
  readonly #mergedFor = new Map<NdisOidRequest, NdisOidRequest>();

  /** @internal */
  constructor(rt: RuntimeContext, mb: MiniportBlock, protocol: ProtocolDriverCharacteristics, keywords: Configuration, services: BindingServices, intermediate: string | null) {
    super(rt, `${mb.name}<-${protocol.name}`);
    this.protocol = protocol;
    this.mb = mb;
    this.keywords = keywords;
    this.services = services;
    this.intermediate = intermediate;
    let used = 0;
    for (const b of mb.bindings) used |= b.rxBit;
    let bit = 1;
    while (bit <= 1 << 29 && (used & bit) !== 0) bit <<= 1;
    this.rxBit = bit <= 1 << 29 ? bit : 0;
    this.sm = new StateMachine('binding', this.name, BINDING_TRANSITIONS, 'Unbound', (from, event, to) => {
      rt.log('debug', this.name, `binding ${from} --${event}--> ${to}`);
      mb.top.refreshReceivers();
    });
  }

  /** @internal */
  protected override get rssKeywords(): Configuration {
    return this.mb.keywords;
  }

  get state(): BindingState {
    return this.sm.state;
  }

  /** Ids of the virtual miniports this (intermediate) binding created. */
  readonly virtualMiniportIds = new Set<number>();

  /** @internal */
  override isTwin(id: number): boolean {
    return this.virtualMiniportIds.size > 0 && this.virtualMiniportIds.has(id);
  }

  get sourceHandle(): object {
    return this;
  }

  // ---------------------------------------------------------------------------------------------
  // Open / close / completions

  openAdapter(mediumArray: readonly number[]): OpenAdapterResult {
    if (this.state !== 'Opening') {
      this.report('IllegalStateTransition', `openAdapter in state ${this.state}`);
      return { status: NDIS_STATUS_INVALID_STATE, selectedMediumIndex: -1 };
    }
    const medium = this.mb.general?.mediaType ?? this.mb.driver.medium;
    const index = mediumArray.indexOf(medium);
    if (index < 0) return { status: NDIS_STATUS_UNSUPPORTED_MEDIA, selectedMediumIndex: -1 };
    this.opened = true;
    this.selectedMediumIndex = index;
    return { status: NDIS_STATUS_SUCCESS, selectedMediumIndex: index };
  }

  closeAdapter(): NdisStatus {
    // Legal while unbinding, and inside bindAdapter after a successful open when the bind then fails.
    if (this.state !== 'Closing' && !(this.state === 'Opening' && this.opened)) {
      this.report('IllegalStateTransition', `closeAdapter in state ${this.state}`);
      return NDIS_STATUS_INVALID_STATE;
    }
    this.opened = false;
    return NDIS_STATUS_SUCCESS;
  }

  bindAdapterComplete(status: NdisStatus): void {
    this.#complete(this.bindOp, status, 'bindAdapterComplete');
  }

  unbindAdapterComplete(): void {
    this.#complete(this.unbindOp, NDIS_STATUS_SUCCESS, 'unbindAdapterComplete');
  }

  netPnPEventComplete(status: NdisStatus): void {
    this.#complete(this.pnpOp, status, 'netPnPEventComplete');
  }

  #complete(op: PendableOperation, status: NdisStatus, what: string): void {
    const r = op.complete(status);
    if (r === 'already-completed') this.report('DoubleComplete', `${what} called twice`);
    else if (r === 'not-pending') this.report('CompletionWithoutPending', `${what} without a pending ${op.kind}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle driven by the runtime

  /** @internal */
  bindParameters() {
    const g = this.mb.general!;
    return {
      adapterName: this.mb.name,
      ifIndex: this.mb.ifIndex,
      netLuid: this.mb.netLuid,
      mediaType: g.mediaType,
      generalAttributes: g,
      defaultOffloadConfiguration: this.mb.offload.protocolCurrent,
      hardwareOffloadCapabilities: this.mb.offload.protocolHardware,
      // What this protocol will see: split frames only if it takes them (NDIS combines them otherwise).
      hdSplitCurrentConfig: this.protocol.headerDataSplit === true ? this.mb.hdSplit.config : null,
      keywords: this.keywords,
    };
  }

  /** @internal ProtocolBindAdapterEx … Paused. Returns the bind status. */
  async bind(): Promise<NdisStatus> {
    this.sm.fire('bind');
    if (this.rxBit === 0) {
      this.sm.fire('bindFailed');
      return NDIS_STATUS_OPEN_LIST_FULL;
    }
    try {
      this.instance = new this.protocol.binding(this);
    } catch (e) {
      this.handlerThrew('binding constructor', e);
      this.sm.fire('bindFailed');
      return NDIS_STATUS_FAILURE;
    }
    this.bindOp.begin();
    const returned = this.invoke('bindAdapter', () => this.instance!.bindAdapter(this.bindParameters()), NDIS_STATUS_FAILURE);
    const { status, completedEarly } = await this.bindOp.settle(returned);
    if (completedEarly) this.report('CompletionWithoutPending', 'bindAdapterComplete called although bindAdapter returned a final status');
    if (status === NDIS_STATUS_SUCCESS && !this.opened) {
      this.report('IllegalStateTransition', 'bindAdapter succeeded without opening the adapter (openAdapter)');
      this.sm.fire('bindFailed');
      return NDIS_STATUS_FAILURE;
    }
    if (status !== NDIS_STATUS_SUCCESS || this.failed) {
      this.opened = false;
      this.sm.fire('bindFailed');
      return status === NDIS_STATUS_SUCCESS ? NDIS_STATUS_FAILURE : status;
    }
    this.sm.fire('bindComplete');
    return NDIS_STATUS_SUCCESS;
  }

  /** @internal NetEventRestart: Paused → Running. */
  async restart(): Promise<NdisStatus> {
    this.sm.fire('restart');
    const filterNames = this.mb.filters.map((f) => f.name);
    const status = await this.#pnp({ netEvent: NetEventRestart, portNumber: 0, buffer: { filterModuleNames: filterNames } });
    this.sm.fire(status === NDIS_STATUS_SUCCESS ? 'restartComplete' : 'restartFailed');
    return status;
  }

  /** @internal NetEventPause: Running → Paused (cannot fail). */
  async pause(pauseReason: number): Promise<void> {
    this.sm.fire('pause');
    await this.#pnp({ netEvent: NetEventPause, portNumber: 0, buffer: { pauseReason } });
    if (this.sendsOutstanding > 0) this.report('PrematurePauseComplete', `paused with ${this.sendsOutstanding} send(s) outstanding`);
    this.sm.fire('pauseComplete');
  }

  async #pnp(event: { netEvent: number; portNumber: number; buffer: unknown }): Promise<NdisStatus> {
    if (this.failed || this.instance === null) return NDIS_STATUS_SUCCESS;
    this.pnpOp.begin();
    const returned = this.invoke('netPnPEvent', () => this.instance!.netPnPEvent(event), NDIS_STATUS_SUCCESS);
    const { status, completedEarly } = await this.pnpOp.settle(returned);
    if (completedEarly) this.report('CompletionWithoutPending', 'netPnPEventComplete called although netPnPEvent returned a final status');
    return status;
  }

  /** @internal Delivers a PnP event other than pause/restart (reconfigure, power, …). */
  async netPnPEvent(event: { netEvent: number; portNumber: number; buffer: unknown }): Promise<NdisStatus> {
    return this.#pnp(event);
  }

  /** @internal ProtocolUnbindAdapterEx … Unbound (from Paused). */
  async unbind(reason: string): Promise<void> {
    this.sm.fire('unbind');
    if (this.instance !== null && !this.failed) {
      this.unbindOp.begin();
      const returned = this.invoke('unbindAdapter', () => this.instance!.unbindAdapter({ reason }), NDIS_STATUS_SUCCESS);
      const { completedEarly } = await this.unbindOp.settle(returned);
      if (completedEarly) this.report('CompletionWithoutPending', 'unbindAdapterComplete called although unbindAdapter returned a final status');
      if (this.opened) {
        this.report('IllegalStateTransition', 'unbindAdapter finished without closeAdapter');
        this.opened = false;
      }
    }
    this.opened = false;
    this.sm.fire('unbindComplete');
  }

  // ---------------------------------------------------------------------------------------------
  // Data path

  /** NdisSendNetBufferLists. Ownership of `nbls` moves down the stack. */
  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    // Running during a removal is still Running: the binding is paused next, and until then its sends go
    // down (a removed device fails them with NDIS_STATUS_ADAPTER_REMOVED).
    if (this.state !== 'Running') {
      this.report('SendWhilePaused', `send while the binding is ${this.state}`);
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        nbl.status = NDIS_STATUS_PAUSED;
        if (nbl.sourceHandle === null) nbl.sourceHandle = this;
        nbl.ndisOwner = this.id;
      }
      this.stats.dropped++;
      this.invoke('sendNetBufferListsComplete', () => this.instance?.sendNetBufferListsComplete(nbls, 0), undefined);
      return;
    }
    const target = this.mb.sendEntry;
    if (!this.rt.verifying) {
      // Hot path: one walk fills in SourceHandle where the protocol left it null and stamps the next owner.
      const self: object = this;
      const tid = target.id;
      let n = 0;
      let odd: NetBufferList | null = null;
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        const src = nbl.sourceHandle;
        if (src !== self) {
          if (src !== null || (nbl.ndisOwner !== 0 && nbl.ndisOwner !== this.id)) {
            odd = nbl;
            break;
          }
          nbl.sourceHandle = self;
        }
        nbl.ndisOwner = tid;
        n++;
      }
      if (odd === null) {
        this.sendsOutstanding += n;
        this.stats.sent += n;
        target.deliverSend(nbls, portNumber, sendFlags, n);
        return;
      }
      // Something unusual in the chain: undo the stamps and take the careful path.
      for (let nbl: NetBufferList | null = nbls; nbl !== null && nbl !== odd; nbl = nbl.next) nbl.ndisOwner = this.id;
    }
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      // (An NBL owned elsewhere is not ours to relabel: transferOn cuts it out below.)
      if (nbl.sourceHandle !== this && (nbl.ndisOwner === 0 || nbl.ndisOwner === this.id)) {
        if (nbl.sourceHandle !== null) this.report('NblSourceHandle', 'sent an NBL whose SourceHandle is another handle');
        // NDIS routes the completion by SourceHandle: it must come back here.
        nbl.sourceHandle = this;
      }
    }
    const n = transferOn(nbls, this, target.id, this.rt.verifying);
    const head = on.head;
    if (head === null) return;
    this.sendsOutstanding += n;
    this.stats.sent += n;
    target.deliverSend(head, portNumber, sendFlags, n);
  }

  /**
   * From StackTop when this is the only binding: one walk checks every NBL is ours while stamping it.
   * Returns false (delivering nothing) when some NBL belongs to someone else.
   * @internal
   */
  tryDeliverOwnSendComplete(nbls: NetBufferList, flags: number): boolean {
    const self: object = this;
    const id = this.id;
    // The chain arrives stamped with StackTop's id; restored below if some NBL is not ours.
    const was = nbls.ndisOwner;
    let n = 0;
    let failed = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      if (nbl.sourceHandle !== self) {
        for (let s: NetBufferList | null = nbls; s !== nbl; s = s!.next) s!.ndisOwner = was;
        return false;
      }
      nbl.ndisOwner = id;
      if (nbl.status !== NDIS_STATUS_SUCCESS) failed++;
      n++;
    }
    this.#completeSends(nbls, flags, n, failed);
    return true;
  }

  /** @internal From StackTop: this binding's NBLs come back (owned by StackTop's caller, stamped here). */
  deliverSendComplete(nbls: NetBufferList, flags: number): void {
    let n = 0;
    let failed = 0;
    const id = this.id;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      nbl.ndisOwner = id;
      if (nbl.status !== NDIS_STATUS_SUCCESS) failed++;
      n++;
    }
    this.#completeSends(nbls, flags, n, failed);
  }

  /** Counts `n` completed sends (`failed` of them failed) and hands them to the protocol. */
  #completeSends(nbls: NetBufferList, flags: number, n: number, failed: number): void {
    this.sendsOutstanding -= n;
    this.stats.sendCompleted += n;
    this.stats.sendFailed += failed;
    const history = this.rt.nblHistory;
    if (history !== null) recordChain(history, nbls, NblEvent.Completed, this.mb.top.id, this.id, history.time());
    if (this.instance === null) return;
    try {
      this.instance.sendNetBufferListsComplete(nbls, flags);
    } catch (e) {
      this.handlerThrew('sendNetBufferListsComplete', e);
    }
  }

  /**
   * From StackTop: a receive indication. `shared` NBLs also went to other bindings; they stay owned by
   * NDIS (StackTop) with a count of bindings still holding them.
   * @internal
   */
  deliverReceive(nbls: NetBufferList, portNumber: number, count: number, flags: number, shared: boolean): void {
    if (!shared) transferOn(nbls, this.mb.top, this.id, false);
    const history = this.rt.nblHistory;
    if (history !== null) recordChain(history, nbls, NblEvent.Indicated, this.mb.top.id, this.id, history.time());
    this.stats.received += count;
    if (nbls.ndisRefs !== -1) this.receivesHeld += count;
    if (this.instance === null) return;
    try {
      this.instance.receiveNetBufferLists(nbls, portNumber, count, flags);
    } catch (e) {
      this.handlerThrew('receiveNetBufferLists', e);
    }
  }

  /** NdisReturnNetBufferLists. */
  returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void {
    const id = this.id;
    // Common case: every NBL was indicated to this binding alone. One walk checks and stamps the next
    // owner; on the first exception the stamps are undone and the careful path below takes over.
    const top = this.mb.top;
    const nextId = top.returnEntry.id;
    // History records the attempt, so a return twice shows as two returns in the NBL's history.
    const history = this.rt.nblHistory;
    if (history !== null) recordChain(history, nbls, NblEvent.Returned, id, nextId, history.time());
    let n0 = 0;
    let stop: NetBufferList | null = null;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      if (nbl.ndisOwner !== id || nbl.ndisRefs !== 0) {
        stop = nbl;
        break;
      }
      nbl.ndisOwner = nextId;
      n0++;
    }
    if (stop === null) {
      this.receivesHeld -= n0;
      this.stats.returned += n0;
      top.returnStamped(nbls, returnFlags, n0);
      return;
    }
    for (let nbl: NetBufferList | null = nbls; nbl !== stop && nbl !== null; nbl = nbl.next) nbl.ndisOwner = id;
    const topId = this.mb.top.id;
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    let n = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      let pass = false;
      if (nbl.ndisRefs === -1) {
        this.report('NblResourcesReturned', `returned NBL ${nbl.home.name}#${nbl.slot} indicated with NDIS_RECEIVE_FLAGS_RESOURCES`);
      } else if (nbl.ndisOwner === id || this.isTwin(nbl.ndisOwner)) {
        pass = true;
        this.receivesHeld--;
      } else if (nbl.ndisOwner === topId && nbl.ndisRefs > 0) {
        if ((nbl.ndisRefs & this.rxBit) === 0) {
          this.report('NblDoubleComplete', `returned shared NBL ${nbl.home.name}#${nbl.slot} it no longer holds (returned twice)`, nbl);
        } else {
          this.receivesHeld--;
          nbl.ndisRefs &= ~this.rxBit;
          pass = nbl.ndisRefs === 0;
        }
      } else {
        const owner = this.rt.blockById(nbl.ndisOwner);
        const again = owner === undefined || owner.level < this.level;
        this.report(again ? 'NblDoubleComplete' : 'NblNotOwned', `returned NBL ${nbl.home.name}#${nbl.slot} ${again ? 'twice' : `owned by ${owner.name}`}`, nbl);
      }
      if (pass) {
        if (tail === null) head = nbl;
        else tail.next = nbl;
        tail = nbl;
        n++;
      }
      nbl = next;
    }
    this.stats.returned += n;
    if (head !== null) this.mb.top.returnFromBinding(head, returnFlags);
  }

  cancelSendNetBufferLists(cancelId: number): void {
    this.services.cancelSend(this.mb, this.level, cancelId);
  }

  generatePartialCancelId(): number {
    return this.services.nextPartialCancelId();
  }

  /** @internal */
  deliverStatus(indication: NdisStatusIndication): void {
    if (this.state === 'Unbound' || this.instance === null) return;
    const h = this.instance.status;
    if (h !== undefined) this.invoke('status', () => h.call(this.instance, indication), undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // OID requests

  oidRequest(request: NdisOidRequest): NdisStatus {
    const st = this.state;
    if (st === 'Unbound' || st === 'Closing' || (st === 'Opening' && !this.opened)) {
      return st === 'Closing' ? NDIS_STATUS_CLOSING : NDIS_STATUS_INVALID_STATE;
    }
    if (request.isSet) {
      const merged = this.#mergedSet(request);
      if (merged !== undefined) return merged;
    }
    return submitOid(this, request, this, this.mb.oidEntry, false);
  }

  directOidRequest(request: NdisOidRequest): NdisStatus {
    if (this.state === 'Unbound' || this.state === 'Closing') return NDIS_STATUS_CLOSING;
    return submitOid(this, request, this, this.mb.oidEntry, true);
  }

  cancelOidRequest(requestId: number): void {
    this.mb.oidEntry.deliverCancelOid(requestId, false);
  }

  /** @internal */
  onOidComplete(request: NdisOidRequest, status: NdisStatus, direct: boolean): void {
    const original = this.#mergedFor.get(request);
    if (original !== undefined) {
      this.#mergedFor.delete(request);
      if (status === NDIS_STATUS_SUCCESS) adoptMergedRequest(this.mb, request);
      original.bytesRead = status === NDIS_STATUS_SUCCESS ? original.informationBuffer.length : 0;
      original.ndisCompleted = true;
      original.ndisPending = false;
      this.#toProtocol(original, status, false);
      return;
    }
    this.#toProtocol(request, status, direct);
  }

  #toProtocol(request: NdisOidRequest, status: NdisStatus, direct: boolean): void {
    const inst = this.instance;
    if (inst === null) return;
    if (direct) {
      const h = inst.directOidRequestComplete;
      if (h !== undefined) this.invoke('directOidRequestComplete', () => h.call(inst, request, status), undefined);
    } else {
      this.invoke('oidRequestComplete', () => inst.oidRequestComplete(request, status), undefined);
    }
  }

  /** Packet filter, multicast list and lookahead: validated here, merged over bindings, then sent down. */
  #mergedSet(request: NdisOidRequest): NdisStatus | undefined {
    const g = this.mb.general;
    if (g === null) return undefined;
    switch (request.oid) {
      case OID_GEN_CURRENT_PACKET_FILTER: {
        const r = request.readSet(packetFilterCodec);
        if (!r.ok) return r.status;
        if ((r.value & ~(g.supportedPacketFilters | NDIS_PACKET_TYPE_PROMISCUOUS)) !== 0 || ((r.value & NDIS_PACKET_TYPE_PROMISCUOUS) !== 0 && (g.supportedPacketFilters & NDIS_PACKET_TYPE_PROMISCUOUS) === 0)) {
          return NDIS_STATUS_NOT_SUPPORTED;
        }
        this.packetFilter = r.value;
        break;
      }
      case OID_802_3_MULTICAST_LIST: {
        const r = request.readSet(multicastListCodec);
        if (!r.ok) return r.status;
        if (r.value.length > g.maxMulticastListSize) return NDIS_STATUS_MULTICAST_FULL;
        this.multicastList = r.value.map((m) => m.slice());
        break;
      }
      case OID_GEN_CURRENT_LOOKAHEAD: {
        const r = request.readSet(currentLookaheadCodec);
        if (!r.ok) return r.status;
        if (r.value > g.lookaheadSize) return NDIS_STATUS_INVALID_DATA;
        this.lookahead = r.value;
        break;
      }
      default:
        return undefined;
    }
    const internal = mergedRequest(this.mb, request.oid);
    if (internal === null) return NDIS_STATUS_SUCCESS;
    if (request.ndisPending) {
      this.report('NdisOidDoubleRequest', `${request.oidName} submitted again while still pending`);
      return NDIS_STATUS_FAILURE;
    }
    request.ndisPending = true;
    request.ndisCompleted = false;
    this.#mergedFor.set(internal, request);
    const status = submitOid(this, internal, this, this.mb.oidEntry, false);
    if (status === NDIS_STATUS_PENDING) return status;
    this.#mergedFor.delete(internal);
    request.ndisPending = false;
    request.ndisCompleted = true;
    if (status === NDIS_STATUS_SUCCESS) adoptMergedRequest(this.mb, internal);
    return status;
  }


  // ---------------------------------------------------------------------------------------------
  // Requests that reach beyond this stack

  unbindAdapter(): void {
    this.services.requestUnbind(this);
  }

  initializeDeviceInstance(instanceName: string, deviceContext: unknown): NdisStatus {
    return this.services.initializeDeviceInstance(this, instanceName, deviceContext);
  }

  deInitializeDeviceInstance(instanceName: string): NdisStatus {
    return this.services.deInitializeDeviceInstance(this, instanceName);
  }
}

/**
 * The set request NDIS sends down after a binding changed its share of a merged setting, or null when
 * the merged value did not change.
 */
export function mergedRequest(mb: MiniportBlock, oid: number): NdisOidRequest | null {
  const live = mb.bindings.filter((b) => b.state !== 'Unbound' && b.state !== 'Closing');
  switch (oid) {
    case OID_GEN_CURRENT_PACKET_FILTER: {
      let pf = 0;
      for (const b of live) pf |= b.packetFilter;
      return pf === mb.packetFilter ? null : NdisOidRequest.set(packetFilterCodec, pf);
    }
    case OID_802_3_MULTICAST_LIST: {
      const seen = new Map<string, Uint8Array>();
      for (const b of live) for (const m of b.multicastList) seen.set(Buffer.from(m).toString('hex'), m);
      const list = [...seen.values()];
      const same = list.length === mb.multicastList.length && list.every((m, i) => Buffer.from(m).equals(Buffer.from(mb.multicastList[i]!)));
      return same ? null : NdisOidRequest.set(multicastListCodec, list);
    }
    case OID_GEN_CURRENT_LOOKAHEAD: {
      let la = 0;
      for (const b of live) la = Math.max(la, b.lookahead);
      return la === mb.currentLookahead ? null : NdisOidRequest.set(currentLookaheadCodec, la);
    }
    default:
      return null;
  }
}

/** After a merged-setting request succeeded at the miniport: NDIS's record of the merged value. */
export function adoptMergedRequest(mb: MiniportBlock, internal: NdisOidRequest): void {
  if (internal.oid === OID_GEN_CURRENT_PACKET_FILTER) mb.packetFilter = internal.decodeInformationBuffer(packetFilterCodec) ?? mb.packetFilter;
  else if (internal.oid === OID_802_3_MULTICAST_LIST) mb.multicastList = [...(internal.decodeInformationBuffer(multicastListCodec) ?? mb.multicastList)];
  else if (internal.oid === OID_GEN_CURRENT_LOOKAHEAD) mb.currentLookahead = internal.decodeInformationBuffer(currentLookaheadCodec) ?? mb.currentLookahead;
}
