/**
 * The miniport block: NDIS's record of one miniport adapter (physical, or an intermediate driver's
 * virtual miniport). It is the adapter's `MiniportAdapterHandle`, runs its state machine, caches its
 * attributes (and answers the OIDs NDIS answers from them), serializes OID requests, tracks outstanding
 * NBLs, and is the bottom of the adapter's stack:
 *
 *     bindings (OpenBlock) ── StackTop ── filter modules (FilterBlock, top→bottom) ── MiniportBlock ── driver
 *
 * Sends enter at `sendEntry` (the top-most filter with a send handler, or this block), receives start at
 * `receiveEntry`, and so on for every path; `resolveEdges` recomputes them while the stack is paused.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { MediaConnectStateConnected, NDIS_RECEIVE_FLAGS_RESOURCES, NdisMediaStateConnected, NdisMediaStateDisconnected } from '../../ndis/constants.js';
import type {
  MiniportAdapter,
  MiniportAdapterGeneralAttributes,
  MiniportAdapterHandle,
  MiniportAdapterOffloadAttributes,
  MiniportAdapterRegistrationAttributes,
  MiniportDriverCharacteristics,
  NdisDpc,
  NdisStatusIndication,
  NdisStatusIndicationInit,
  NetPnPEvent,
} from '../../ndis/driver-api.js';
import { OID_CODECS, linkStateCodec, maxLinkSpeedCodec, supportedListCodec } from '../../ndis/oid-codecs.js';
import type { NdisOidRequest } from '../../ndis/oid-request.js';
import type { MiniportHdSplitAttributes } from '../../ndis/hd-split.js';
import * as O from '../../ndis/oids.js';
import {
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_INVALID_PARAMETER,
  NDIS_STATUS_INVALID_STATE,
  NDIS_STATUS_NOT_ACCEPTED,
  NDIS_STATUS_NOT_SUPPORTED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_RESET_IN_PROGRESS,
  NDIS_STATUS_SUCCESS,
  NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG,
  NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES,
  type NdisStatus,
} from '../../ndis/status.js';
import type { NdisLinkState } from '../../ndis/structures.js';
import { StateMachine } from '../state/state-machine.js';
import { ADAPTER_TRANSITIONS, type AdapterEvent, type AdapterState } from '../state/tables.js';
import type { Timer } from '../time/scheduler.js';
import { BlockDpc, NdisBlock, type OidSink, type ReceiveSink, type ReturnSink, type SendCompleteSink, type SendSink, type StatusSink } from './block.js';
import { PendableOperation } from './completion.js';
import type { Configuration } from './configuration.js';
import type { RuntimeContext } from './context.js';
import type { FilterBlock } from './filter-block.js';
import type { OpenBlock } from './open-block.js';
import { checkResourcesLoan } from './im-checks.js';
import { completeOid } from './oid-routing.js';
import { OidLog } from './oid-log.js';
import { OffloadState, isNdisOffload } from './offload-state.js';
import { HdSplitState } from './hd-split-state.js';
import { StackTop } from './stack-top.js';
import { back, on, transferBack, transferOn } from './transfer.js';

/** OIDs NDIS answers itself for NDIS 6 miniports, from the cached attributes. */
export const NDIS_ANSWERED_OIDS: readonly number[] = [
  O.OID_GEN_SUPPORTED_LIST,
  O.OID_GEN_MEDIA_SUPPORTED,
  O.OID_GEN_MEDIA_IN_USE,
  O.OID_GEN_MAXIMUM_LOOKAHEAD,
  O.OID_GEN_MAXIMUM_FRAME_SIZE,
  O.OID_GEN_LINK_SPEED,
  O.OID_GEN_MAC_OPTIONS,
  O.OID_GEN_MEDIA_CONNECT_STATUS,
  O.OID_GEN_MAX_LINK_SPEED,
  O.OID_GEN_LINK_STATE,
  O.OID_GEN_PHYSICAL_MEDIUM,
  O.OID_GEN_PHYSICAL_MEDIUM_EX,
  O.OID_TCP_OFFLOAD_CURRENT_CONFIG,
];

export class MiniportBlock extends NdisBlock implements MiniportAdapterHandle, SendSink, ReturnSink, OidSink {
  readonly driver: MiniportDriverCharacteristics;
  /** @internal */
  readonly sm: StateMachine<AdapterState, AdapterEvent>;
  readonly keywords: Configuration;
  readonly imDeviceContext: unknown;
  readonly ifIndex: number;
  readonly netLuid: bigint;
  /** The intermediate driver binding that created this virtual miniport, if any. */
  readonly imParent: OpenBlock | null;
  instance: MiniportAdapter | null = null;

  registration: MiniportAdapterRegistrationAttributes | null = null;
  general: MiniportAdapterGeneralAttributes | null = null;
  /** NDIS's cached link state, updated from NDIS_STATUS_LINK_STATE indications. */
  linkState: NdisLinkState | null = null;
  /** Task offloads: the miniport's attributes and indications, and the protocols' view of them. */
  readonly offload = new OffloadState();

  /** Filter modules, bottom → top. */
  filters: FilterBlock[] = [];
  bindings: OpenBlock[] = [];
  /** Header-data split: the adapter's configuration and NDIS's combining for receivers that do not take split frames. */
  readonly hdSplit = new HdSplitState();
  /** @internal */
  readonly top: StackTop;

  // Resolved edges (see resolveEdges).
  /** @internal */
  sendEntry: SendSink = this;
  /** @internal */
  receiveEntry: ReceiveSink;
  /** @internal */
  sendCompleteEntry: SendCompleteSink;
  /** @internal */
  statusEntry: StatusSink;
  /** @internal */
  oidEntry: OidSink = this;

  sendsOutstanding = 0;
  receivesOutstanding = 0;
  lastSendCompleteAt = 0;
  /** When the current run of outstanding sends began (NdisTimedDataHang). */
  sendsPendingSince = 0;
  hangReported = false;
  resetInProgress = false;
  surpriseRemoved = false;
  /** Orderly removal or surprise removal in progress: new work is refused. */
  removing = false;
  /**
   * Why this stack may not run (a mandatory filter failed to attach): it stays paused, protocols do not
   * bind, and only removal is left. Null while the stack is healthy.
   */
  stackFailure: string | null = null;

  /** @internal */
  readonly pauseOp = new PendableOperation('pause');
  /** @internal */
  readonly restartOp = new PendableOperation('restart');
  /** @internal */
  readonly resetOp = new PendableOperation('reset');
  resetAddressing = false;

  /** @internal */
  oidInFlight: NdisOidRequest | null = null;
  /** @internal */
  readonly oidQueue: NdisOidRequest[] = [];
  #oidTimer: Timer | null = null;
  #oidPumpScheduled = false;
  /** @internal */
  readonly directInFlight = new Set<NdisOidRequest>();
  /** Completed OID requests and their timing, for the inspector. */
  readonly oidLog = new OidLog();

  /** Merged over bindings (NDIS combines every binding's packet filter, multicast list and lookahead). */
  packetFilter = 0;
  multicastList: Uint8Array[] = [];
  currentLookahead = 0;

  /** @internal */
  checkForHangTimer: Timer | null = null;
  /** Observer of every indication reaching the top (diagnostics, tests). */
  onStatus: ((indication: NdisStatusIndication) => void) | null = null;

  /** @internal */
  constructor(
    rt: RuntimeContext,
    name: string,
    driver: MiniportDriverCharacteristics,
    keywords: Configuration,
    ifIndex: number,
    imDeviceContext: unknown = null,
    imParent: OpenBlock | null = null,
  ) {
    super(rt, name);
    this.driver = driver;
    this.keywords = keywords;
    this.ifIndex = ifIndex;
    this.netLuid = (BigInt(ifIndex) << 24n) | (6n << 48n);
    this.imDeviceContext = imDeviceContext;
    this.imParent = imParent;
    this.sm = new StateMachine('adapter', name, ADAPTER_TRANSITIONS, 'Halted', (from, event, to) => rt.log('debug', name, `adapter ${from} --${event}--> ${to}`));
    this.top = new StackTop(rt, this);
    this.receiveEntry = this.top;
    this.sendCompleteEntry = this.top;
    this.statusEntry = this.top;
  }

  /** @internal */
  protected override get rssKeywords(): Configuration {
    return this.keywords;
  }

  get state(): AdapterState {
    return this.sm.state;
  }

  /** @internal */
  override isTwin(id: number): boolean {
    return this.imParent !== null && this.imParent.id === id;
  }

  get mediaConnected(): boolean {
    return this.linkState !== null && this.linkState.mediaConnectState === MediaConnectStateConnected;
  }

  // ---------------------------------------------------------------------------------------------
  // Edges

  /** @internal Recomputes every data-path edge of this stack; call only while the stack is paused. */
  resolveEdges(): void {
    const fs = this.filters;
    this.level = 0;
    for (let i = 0; i < fs.length; i++) fs[i]!.level = i + 1;
    this.top.level = fs.length + 1;
    for (const b of this.bindings) b.level = fs.length + 2;

    let sendBelow: SendSink = this;
    let returnBelow: ReturnSink = this.bottomReturn;
    let oidBelow: OidSink = this;
    for (const f of fs) {
      f.lowerSend = sendBelow;
      f.lowerReturn = returnBelow;
      f.lowerOid = oidBelow;
      if (f.bypasses('sendNetBufferLists') === false) sendBelow = f;
      if (f.bypasses('returnNetBufferLists') === false) returnBelow = f;
      if (f.bypasses('oidRequest') === false) oidBelow = f;
    }
    this.sendEntry = sendBelow;
    this.top.returnEntry = returnBelow;
    this.oidEntry = oidBelow;

    let completeAbove: SendCompleteSink = this.top;
    let receiveAbove: ReceiveSink = this.top;
    let statusAbove: StatusSink = this.top;
    for (let i = fs.length - 1; i >= 0; i--) {
      const f = fs[i]!;
      f.upperSendComplete = completeAbove;
      f.upperReceive = receiveAbove;
      f.upperStatus = statusAbove;
      if (f.bypasses('sendNetBufferListsComplete') === false) completeAbove = f;
      if (f.bypasses('receiveNetBufferLists') === false) receiveAbove = f;
      if (f.bypasses('status') === false) statusAbove = f;
    }
    this.sendCompleteEntry = completeAbove;
    this.receiveEntry = receiveAbove;
    this.statusEntry = statusAbove;
    this.top.refreshReceivers();
  }

  // ---------------------------------------------------------------------------------------------
  // MiniportAdapterHandle: attributes

  setRegistrationAttributes(attributes: MiniportAdapterRegistrationAttributes): NdisStatus {
    if (this.state !== 'Initializing') {
      this.report('IllegalStateTransition', `setRegistrationAttributes in state ${this.state}`);
      return NDIS_STATUS_INVALID_STATE;
    }
    this.registration = attributes;
    return NDIS_STATUS_SUCCESS;
  }

  setGeneralAttributes(attributes: MiniportAdapterGeneralAttributes): NdisStatus {
    if (this.state !== 'Initializing') {
      this.report('IllegalStateTransition', `setGeneralAttributes in state ${this.state}`);
      return NDIS_STATUS_INVALID_STATE;
    }
    if (this.registration === null) {
      this.report('IllegalStateTransition', 'setGeneralAttributes before setRegistrationAttributes');
    }
    this.general = attributes;
    this.linkState = {
      mediaConnectState: attributes.mediaConnectState as NdisLinkState['mediaConnectState'],
      mediaDuplexState: attributes.mediaDuplexState as NdisLinkState['mediaDuplexState'],
      xmitLinkSpeed: attributes.xmitLinkSpeed,
      rcvLinkSpeed: attributes.rcvLinkSpeed,
      pauseFunctions: attributes.supportedPauseFunctions as NdisLinkState['pauseFunctions'],
      autoNegotiationFlags: attributes.autoNegotiationFlags,
    };
    this.currentLookahead = 0;
    return NDIS_STATUS_SUCCESS;
  }

  /** NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES. */
  setOffloadAttributes(attributes: MiniportAdapterOffloadAttributes): NdisStatus {
    if (this.state !== 'Initializing') {
      this.report('IllegalStateTransition', `setOffloadAttributes in state ${this.state}`);
      return NDIS_STATUS_INVALID_STATE;
    }
    if (attributes === null || typeof attributes !== 'object' || !isNdisOffload(attributes.defaultOffloadConfiguration) || !isNdisOffload(attributes.hardwareOffloadCapabilities)) {
      return NDIS_STATUS_INVALID_PARAMETER;
    }
    this.offload.setAttributes(attributes.defaultOffloadConfiguration, attributes.hardwareOffloadCapabilities);
    return NDIS_STATUS_SUCCESS;
  }

  /** NDIS_HD_SPLIT_ATTRIBUTES (hd-split-state.ts writes NDIS's outputs). */
  setHdSplitAttributes(attributes: MiniportHdSplitAttributes): NdisStatus {
    if (this.state !== 'Initializing') {
      this.report('IllegalStateTransition', `setHdSplitAttributes in state ${this.state}`);
      return NDIS_STATUS_INVALID_STATE;
    }
    return this.hdSplit.setAttributes(attributes);
  }

  /** Every filter and protocol above takes split frames (drivers declare `headerDataSplit`). */
  #allTakeSplitFrames(): boolean {
    for (const f of this.filters) if (f.driver.headerDataSplit !== true) return false;
    for (const b of this.bindings) if (b.protocol.headerDataSplit !== true) return false;
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Data path: sends arriving from above (SendSink) and their completion

  /** @internal The send edge into the miniport driver. Ownership: `nbls` now belongs to this adapter. */
  deliverSend(nbls: NetBufferList, portNumber: number, sendFlags: number, n: number): void {
    this.stats.sent += n;
    if (this.sendsOutstanding === 0 && this.rt.verifying) this.sendsPendingSince = this.rt.scheduler.now();
    this.sendsOutstanding += n;
    if (this.failed || this.surpriseRemoved || this.resetInProgress || this.instance === null) {
      // NDIS fails sends itself when the driver cannot take them.
      const status = this.resetInProgress ? NDIS_STATUS_RESET_IN_PROGRESS : NDIS_STATUS_ADAPTER_REMOVED;
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.status = status;
      this.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    if (this.rt.verifying) this.#checkOffloadInfo(nbls);
    try {
      this.instance.sendNetBufferLists(nbls, portNumber, sendFlags);
    } catch (e) {
      this.handlerThrew('sendNetBufferLists', e);
    }
  }

  /** NblOffloadNotEnabled: per-NBL offload requests against the miniport's current configuration. */
  #checkOffloadInfo(nbls: NetBufferList): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      const why = this.offload.offloadViolation(nbl) ?? this.offload.usoViolation(nbl);
      if (why !== null) {
        const src = nbl.sourceHandle as { name?: string } | null;
        this.report('NblOffloadNotEnabled', `NBL ${nbl.home.name}#${nbl.slot} from ${src?.name ?? 'an unknown originator'}: ${why}`);
      }
    }
  }

  /** NdisMSendNetBufferListsComplete. */
  sendNetBufferListsComplete(nbls: NetBufferList, sendCompleteFlags: number): void {
    const target = this.sendCompleteEntry;
    const n = transferBack(nbls, this, target.id, true);
    const head = back.head;
    if (head === null) return;
    this.sendsOutstanding -= n;
    this.stats.sendCompleted += n;
    if (this.rt.verifying) {
      this.lastSendCompleteAt = this.rt.scheduler.now();
      this.sendsPendingSince = this.lastSendCompleteAt;
      this.hangReported = false;
    }
    target.deliverSendComplete(head, sendCompleteFlags);
  }

  // ---------------------------------------------------------------------------------------------
  // Data path: receive indications and their return (ReturnSink)

  /** NdisMIndicateReceiveNetBufferLists. */
  indicateReceiveNetBufferLists(nbls: NetBufferList, portNumber: number, numberOfNetBufferLists: number, receiveFlags: number): void {
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    // (While the stack is being removed the adapter is Running until its pause: indications are legal.)
    if (this.state !== 'Running') {
      this.report('SendWhilePaused', `receive indication while ${this.state}${this.imParent === null ? '' : ` (a virtual miniport of ${this.imParent.name}: indicate only between its restart and its pause)`}`);
      this.stats.dropped += numberOfNetBufferLists;
      this.dropCounter('indicatedWhilePaused').add(numberOfNetBufferLists);
      if (!resources) this.rt.scheduler.defer(() => this.#returnToDriver(nbls));
      return;
    }
    const verify = this.rt.verifying;
    if (verify) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        if (nbl.sourceHandle !== this) {
          if (nbl.sourceHandle === null) nbl.sourceHandle = this;
          else this.report('NblSourceHandle', `indicated an NBL whose SourceHandle is not the adapter handle`);
        }
      }
    }
    const target = this.receiveEntry;
    if (this.hdSplit.config !== null && !this.#allTakeSplitFrames()) this.hdSplit.combineChain(nbls);
    // RESOURCES NBLs are marked so that any return of them, at any layer, is caught; they are also
    // remembered in order, because receivers may relink `next` while they hold the chain.
    const lent = this.#lent;
    let lentCount = 0;
    if (resources) {
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
        nbl.ndisRefs = -1;
        lent[lentCount++] = nbl;
      }
    }
    const n = transferOn(nbls, this, target.id, verify);
    const head = on.head;
    if (n + on.cut !== numberOfNetBufferLists) this.report('NblReceiveCount', `NumberOfNetBufferLists ${numberOfNetBufferLists} but the chain holds ${n + on.cut}`);
    if (head === null) return;
    this.stats.received += n;
    if (!resources) this.receivesOutstanding += n;
    target.deliverReceive(head, portNumber, n, receiveFlags);
    if (resources) {
      // Ownership reverts to the indicator when the call returns (cut-out NBLs were never delivered).
      for (let i = 0; i < lentCount; i++) {
        const nbl = lent[i]!;
        lent[i] = null;
        if (nbl.ndisRefs === -1) {
          nbl.ndisOwner = this.id;
          nbl.ndisRefs = 0;
        }
        if (verify && nbl.childRefCount > 0) checkResourcesLoan(this, nbl);
      }
    }
  }

  /** NBLs of the RESOURCES indication in progress (reused; never shrinks). */
  readonly #lent: (NetBufferList | null)[] = [];

  /** @internal NBLs coming back down to the driver (MiniportReturnNetBufferLists). */
  deliverReturn(nbls: NetBufferList, returnFlags: number, n: number): void {
    this.receivesOutstanding -= n;
    this.stats.returned += n;
    if (this.instance === null || this.failed) {
      this.#absorb(nbls);
      return;
    }
    try {
      this.instance.returnNetBufferLists(nbls, returnFlags);
    } catch (e) {
      this.handlerThrew('returnNetBufferLists', e);
    }
  }

  #returnToDriver(nbls: NetBufferList): void {
    if (this.instance !== null && !this.failed) this.invoke('returnNetBufferLists', () => this.instance!.returnNetBufferLists(nbls, 0), undefined);
    else this.#absorb(nbls);
  }

  /** A failed or halted driver cannot take NBLs back: give them straight to their pools. */
  #absorb(nbls: NetBufferList): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; ) {
      const next: NetBufferList | null = nbl.next;
      nbl.next = null;
      if (nbl.allocated && nbl.childRefCount === 0) nbl.home.free(nbl);
      nbl = next;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  /** NdisMIndicateStatusEx. */
  indicateStatus(init: NdisStatusIndicationInit): void {
    const s = this.state;
    if (s === 'Halted' || s === 'Initializing' || s === 'Shutdown') {
      this.report('IllegalStateTransition', `status indication 0x${init.statusCode.toString(16)} in state ${s}`);
      return;
    }
    // NDIS caches the miniport's own offload reports (OID_TCP_OFFLOAD_CURRENT_CONFIG, the verifier).
    if (init.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG || init.statusCode === NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES) {
      if (!isNdisOffload(init.statusBuffer)) {
        this.report('IllegalStateTransition', `${init.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG ? 'NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG' : 'NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES'} without an NDIS_OFFLOAD status buffer`);
        return;
      }
      if (init.statusCode === NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG) this.offload.miniportCurrent(init.statusBuffer);
      else this.offload.miniportHardware(init.statusBuffer);
    }
    this.statusEntry.deliverStatus(this.#indication(init));
  }

  /** An indication NDIS itself raises (reset start/end): same path as the miniport's own. */
  indicateNdisStatus(init: NdisStatusIndicationInit): void {
    this.statusEntry.deliverStatus(this.#indication(init));
  }

  #indication(init: NdisStatusIndicationInit): NdisStatusIndication {
    return {
      statusCode: init.statusCode,
      statusBuffer: init.statusBuffer,
      portNumber: init.portNumber ?? 0,
      sourceHandle: this,
      destinationHandle: init.destinationHandle ?? null,
      requestId: init.requestId ?? 0,
      flags: init.flags ?? 0,
      ...(init.guid === undefined ? {} : { guid: init.guid }),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // OID requests (OidSink): NDIS-answered OIDs, then one regular request at a time

  /** @internal */
  deliverOid(request: NdisOidRequest, direct: boolean): NdisStatus {
    if (this.failed || this.surpriseRemoved || this.instance === null) return NDIS_STATUS_ADAPTER_REMOVED;
    const log = this.oidLog;
    log.arrived(request, this.rt.scheduler.now());
    if (direct) {
      const handler = this.instance.directOidRequest;
      if (handler === undefined) return NDIS_STATUS_NOT_SUPPORTED;
      this.directInFlight.add(request);
      const status = this.invoke('directOidRequest', () => handler.call(this.instance, request), NDIS_STATUS_FAILURE);
      if (status !== NDIS_STATUS_PENDING) {
        this.directInFlight.delete(request);
        log.completed(request, status, 'direct', this.rt.scheduler.now());
      }
      return status;
    }
    if (request.isQuery) {
      const cached = this.answerFromCache(request);
      if (cached !== undefined) {
        log.completed(request, cached, 'ndis', this.rt.scheduler.now());
        return cached;
      }
    }
    if (this.oidInFlight !== null || this.resetInProgress || this.oidQueue.length > 0) {
      this.oidQueue.push(request);
      return NDIS_STATUS_PENDING;
    }
    return this.#dispatchOid(request, false);
  }

  #dispatchOid(request: NdisOidRequest, queued: boolean): NdisStatus {
    this.oidInFlight = request;
    this.#oidTimer = this.rt.verifying
      ? this.rt.scheduler.after(this.rt.verifier.limits.oidCompleteMs, () => {
          if (this.oidInFlight === request) this.report('NdisTimedOidComplete', `${request.oidName} not completed within ${this.rt.verifier.limits.oidCompleteMs} ms`);
        })
      : null;
    const status = this.invoke('oidRequest', () => this.instance!.oidRequest(request), NDIS_STATUS_FAILURE);
    if (status === NDIS_STATUS_PENDING) return status;
    if (this.oidInFlight !== request) {
      // The driver completed it from inside the handler and then returned a final status as well.
      this.report('NdisOidDoubleComplete', `${request.oidName} completed and also returned 0x${status.toString(16)}`);
      return NDIS_STATUS_PENDING;
    }
    this.#finishInFlight();
    this.oidLog.completed(request, status, 'miniport', this.rt.scheduler.now());
    if (queued) completeOid(this, request, status, false);
    this.#pumpOids();
    return status;
  }

  #finishInFlight(): void {
    this.oidInFlight = null;
    if (this.#oidTimer !== null) this.rt.scheduler.cancelTimer(this.#oidTimer);
    this.#oidTimer = null;
  }

  /** NdisMOidRequestComplete. */
  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    if (request !== this.oidInFlight) {
      this.report(request.ndisCompleted ? 'NdisOidDoubleComplete' : 'CompletionWithoutPending', `oidRequestComplete for ${request.oidName} that is not pending at this adapter`);
      return;
    }
    if (status === NDIS_STATUS_PENDING) {
      this.report('NdisOidComplete', `${request.oidName} completed with NDIS_STATUS_PENDING`);
      status = NDIS_STATUS_FAILURE;
    } else if (request.oid === O.OID_PNP_SET_POWER && status !== NDIS_STATUS_SUCCESS && status !== NDIS_STATUS_NOT_ACCEPTED) {
      this.report('NdisOidComplete', `OID_PNP_SET_POWER completed with 0x${status.toString(16)} (only SUCCESS or NOT_ACCEPTED)`);
    }
    this.#finishInFlight();
    this.oidLog.completed(request, status, 'miniport', this.rt.scheduler.now());
    completeOid(this, request, status, false);
    this.#pumpOids();
  }

  /** NdisMDirectOidRequestComplete. */
  directOidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    if (!this.directInFlight.delete(request)) {
      this.report(request.ndisCompleted ? 'NdisOidDoubleComplete' : 'CompletionWithoutPending', `directOidRequestComplete for ${request.oidName} that is not pending`);
      return;
    }
    this.oidLog.completed(request, status, 'direct', this.rt.scheduler.now());
    completeOid(this, request, status, true);
  }

  /** @internal */
  deliverCancelOid(requestId: number, direct: boolean): void {
    const i = this.oidQueue.findIndex((r) => r.requestId === requestId);
    if (!direct && i >= 0) {
      const [req] = this.oidQueue.splice(i, 1);
      this.oidLog.completed(req!, NDIS_STATUS_REQUEST_ABORTED, 'aborted', this.rt.scheduler.now());
      completeOid(this, req!, NDIS_STATUS_REQUEST_ABORTED, false);
      return;
    }
    if (this.instance === null) return;
    if (direct) {
      const h = this.instance.cancelDirectOidRequest;
      if (h !== undefined) this.invoke('cancelDirectOidRequest', () => h.call(this.instance, requestId), undefined);
    } else if (this.oidInFlight !== null && this.oidInFlight.requestId === requestId) {
      this.invoke('cancelOidRequest', () => this.instance!.cancelOidRequest(requestId), undefined);
    }
  }

  #pumpOids(): void {
    if (this.#oidPumpScheduled) return;
    this.#oidPumpScheduled = true;
    this.rt.scheduler.defer(() => {
      this.#oidPumpScheduled = false;
      this.pumpOidQueue();
    });
  }

  /** @internal Dispatches queued requests while the adapter can take them. */
  pumpOidQueue(): void {
    while (this.oidInFlight === null && !this.resetInProgress && this.oidQueue.length > 0) {
      const req = this.oidQueue.shift()!;
      if (this.failed || this.surpriseRemoved || this.instance === null) {
        completeOid(this, req, NDIS_STATUS_ADAPTER_REMOVED, false);
        continue;
      }
      const status = this.#dispatchOid(req, true);
      if (status === NDIS_STATUS_PENDING) return;
    }
  }

  /** @internal Completes every queued and in-flight request with `status` (teardown of a removed/failed adapter). */
  abortOids(status: NdisStatus): void {
    const inflight = this.oidInFlight;
    if (inflight !== null) {
      this.#finishInFlight();
      completeOid(this, inflight, status, false);
    }
    for (const req of this.oidQueue.splice(0)) completeOid(this, req, status, false);
    for (const req of [...this.directInFlight]) {
      this.directInFlight.delete(req);
      completeOid(this, req, status, true);
    }
  }

  /** The value NDIS caches for `oid`, or undefined when the miniport must answer. */
  cachedValue(oid: number): unknown {
    const g = this.general;
    if (g === null) return undefined;
    switch (oid) {
      case O.OID_GEN_SUPPORTED_LIST:
        return [...new Set([...g.supportedOidList, ...NDIS_ANSWERED_OIDS])].sort((a, b) => a - b);
      case O.OID_GEN_MEDIA_SUPPORTED:
      case O.OID_GEN_MEDIA_IN_USE:
        return g.mediaType;
      case O.OID_GEN_MAXIMUM_LOOKAHEAD:
        return g.lookaheadSize;
      case O.OID_GEN_MAXIMUM_FRAME_SIZE:
        return g.mtuSize;
      case O.OID_GEN_LINK_SPEED: {
        const bps = this.linkState?.xmitLinkSpeed ?? g.xmitLinkSpeed;
        const units = bps / 100n;
        return Number(units > 0xffffffffn ? 0xffffffffn : units);
      }
      case O.OID_GEN_MAC_OPTIONS:
        return g.macOptions;
      case O.OID_GEN_MEDIA_CONNECT_STATUS:
        return this.mediaConnected ? NdisMediaStateConnected : NdisMediaStateDisconnected;
      case O.OID_GEN_MAX_LINK_SPEED:
        return { xmitLinkSpeed: g.maxXmitLinkSpeed, rcvLinkSpeed: g.maxRcvLinkSpeed };
      case O.OID_GEN_LINK_STATE:
        return this.linkState;
      case O.OID_GEN_PHYSICAL_MEDIUM:
      case O.OID_GEN_PHYSICAL_MEDIUM_EX:
        return g.physicalMediumType;
      case O.OID_TCP_OFFLOAD_CURRENT_CONFIG:
        // The configuration as the protocols were told it (after filters that hide offloads).
        return this.offload.protocolCurrent;
      case O.OID_GEN_RECEIVE_SCALE_CAPABILITIES:
        // RecvScaleCapabilities of the general attributes; a miniport without RSS is asked itself.
        return g.recvScaleCapabilities;
      default:
        return undefined;
    }
  }

  /** @internal Answers a query NDIS handles itself; undefined when the OID is not one of those. */
  answerFromCache(request: NdisOidRequest): NdisStatus | undefined {
    const value = this.cachedValue(request.oid);
    if (value === undefined || value === null) return undefined;
    const codec =
      request.oid === O.OID_GEN_LINK_STATE ? linkStateCodec
      : request.oid === O.OID_GEN_MAX_LINK_SPEED ? maxLinkSpeedCodec
      : request.oid === O.OID_GEN_SUPPORTED_LIST ? supportedListCodec
      : OID_CODECS.get(request.oid);
    if (codec === undefined) return undefined;
    return request.completeQuery(codec as typeof linkStateCodec, value as NdisLinkState);
  }

  // ---------------------------------------------------------------------------------------------
  // PnP completions

  pauseComplete(): void {
    this.#complete(this.pauseOp, NDIS_STATUS_SUCCESS, 'pauseComplete');
  }

  restartComplete(status: NdisStatus): void {
    this.#complete(this.restartOp, status, 'restartComplete');
  }

  resetComplete(status: NdisStatus, addressingReset: boolean): void {
    this.resetAddressing = addressingReset;
    this.#complete(this.resetOp, status, 'resetComplete');
  }

  #complete(op: PendableOperation, status: NdisStatus, what: string): void {
    const r = op.complete(status);
    if (r === 'already-completed') this.report('DoubleComplete', `${what} called twice`);
    else if (r === 'not-pending') this.report('CompletionWithoutPending', `${what} without a pending ${op.kind}`);
  }

  allocateDpc(routine: () => void): NdisDpc {
    return new BlockDpc(this, routine);
  }

  reportSurpriseRemoval(reason: string): void {
    this.rt.log('warn', this.name, `driver reports the device is gone: ${reason}`);
    this.surpriseRemovalRequested?.(reason);
  }

  /** Set by the runtime: starts the surprise-removal sequence. */
  surpriseRemovalRequested: ((reason: string) => void) | null = null;

  /** NdisMNetPnPEvent: up through the filters to every binding. */
  netPnPEvent(event: NetPnPEvent): NdisStatus {
    if (this.oidInFlight !== null || this.directInFlight.size > 0) {
      const r = this.oidInFlight ?? [...this.directInFlight][0]!;
      this.report('NdisMNetPnPEventInOIDRequest', `NdisMNetPnPEvent (event ${event.netEvent}) while ${r.oidName} is being handled`);
    }
    const s = this.state;
    if (s === 'Halted' || s === 'Initializing' || s === 'Shutdown') {
      this.report('IllegalStateTransition', `NdisMNetPnPEvent in state ${s}`);
      return NDIS_STATUS_INVALID_STATE;
    }
    return this.pnpEventRaised?.(event) ?? NDIS_STATUS_SUCCESS;
  }

  /** Set by the runtime: delivers a PnP event the miniport raised. */
  pnpEventRaised: ((event: NetPnPEvent) => NdisStatus) | null = null;

  /** Multi-processor adapters: sends `state` to every replica (set by the runtime when it made replicas). */
  publish(state: unknown): void {
    if (this.publisher === null) this.publishedEarly = structuredClone(state);
    else this.publisher(state);
  }

  /** @internal What the adapter published before it had replicas (during initialize): their starting state. */
  publishedEarly: unknown = null;

  /** @internal Set by the runtime when the adapter has replicas. */
  publisher: ((state: unknown) => void) | null = null;

  /**
   * @internal Where returns leave the bottom of the stack: this block, or (with replicas) a sink that
   * sends the shells of the replicas' receives back to their processors and the rest here.
   */
  bottomReturn: ReturnSink = this;

  get outstanding(): { sends: number; receives: number } {
    return { sends: this.sendsOutstanding, receives: this.receivesOutstanding };
  }
}
