/**
 * The filter block: one filter module (an instance of a filter driver attached to one adapter). It runs
 * the filter-module state machine, is the module's `FilterModuleHandle`, and sits on every data path of
 * its stack. A module without a handler for a path is bypassed on that path (`bypasses`), so its
 * neighbours are wired straight to each other when the stack restarts.
 *
 * Ownership on the way through: NDIS stamps the module as owner when it hands it a chain; the module
 * hands it on with the NdisF* calls below. NBLs the module originated (SourceHandle = this block) are
 * counted so a pause that completes before they came back is caught.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import type {
  FilterAttachParameters,
  FilterDriverCharacteristics,
  FilterModule,
  FilterModuleHandle,
  NdisStatusIndication,
  NdisStatusIndicationInit,
  NetDevicePnPEvent,
  NetPnPEvent,
} from '../../ndis/driver-api.js';
import { NDIS_RECEIVE_FLAGS_RESOURCES } from '../../ndis/constants.js';
import type { NdisOidRequest } from '../../ndis/oid-request.js';
import { NDIS_STATUS_FAILURE, NDIS_STATUS_PAUSED, NDIS_STATUS_PENDING, NDIS_STATUS_SUCCESS, type NdisStatus } from '../../ndis/status.js';
import { StateMachine } from '../state/state-machine.js';
import { FILTER_TRANSITIONS, type FilterEvent, type FilterState } from '../state/tables.js';
import { NdisBlock, type OidIssuer, type OidSink, type ReceiveSink, type ReturnSink, type SendCompleteSink, type SendSink, type StatusSink } from './block.js';
import { PendableOperation } from './completion.js';
import type { Configuration } from './configuration.js';
import type { RuntimeContext } from './context.js';
import type { MiniportBlock } from './miniport-block.js';
import { completeOid, submitOid } from './oid-routing.js';
import { back, on, stampCountingOwn, transferBack, transferOn } from './transfer.js';

type OptionalPath =
  | 'sendNetBufferLists'
  | 'sendNetBufferListsComplete'
  | 'receiveNetBufferLists'
  | 'returnNetBufferLists'
  | 'oidRequest'
  | 'status'
  | 'cancelSendNetBufferLists'
  | 'netPnPEvent'
  | 'devicePnPEventNotify';

export interface FilterServices {
  restartFilter(block: FilterBlock): void;
  cancelSend(mb: MiniportBlock, fromLevel: number, cancelId: number): void;
  netPnPEventAbove(mb: MiniportBlock, fromLevel: number, event: NetPnPEvent): NdisStatus;
  devicePnPEventBelow(mb: MiniportBlock, fromLevel: number, event: NetDevicePnPEvent): void;
}

export class FilterBlock
  extends NdisBlock
  implements FilterModuleHandle, SendSink, SendCompleteSink, ReceiveSink, ReturnSink, OidSink, StatusSink, OidIssuer
{
  readonly driver: FilterDriverCharacteristics;
  readonly mb: MiniportBlock;
  /** @internal */
  readonly sm: StateMachine<FilterState, FilterEvent>;
  readonly keywords: Configuration;
  /** @internal */
  readonly services: FilterServices;
  /** For monitoring filters: which module (or the miniport) this instance sits directly above. */
  readonly above: string;
  instance: FilterModule | null = null;

  /** @internal */
  lowerSend!: SendSink;
  /** @internal */
  lowerReturn!: ReturnSink;
  /** @internal */
  lowerOid!: OidSink;
  /** @internal */
  upperSendComplete!: SendCompleteSink;
  /** @internal */
  upperReceive!: ReceiveSink;
  /** @internal */
  upperStatus!: StatusSink;

  /** NBLs this module originated that have not come back yet. */
  ownSendsOutstanding = 0;
  ownReceivesOutstanding = 0;

  /** @internal */
  readonly pauseOp = new PendableOperation('pause');
  /** @internal */
  readonly restartOp = new PendableOperation('restart');

  /** @internal */
  constructor(rt: RuntimeContext, mb: MiniportBlock, driver: FilterDriverCharacteristics, keywords: Configuration, services: FilterServices, above: string) {
    super(rt, driver.filterType === 'monitoring' ? `${mb.name}/${driver.name}@${above}` : `${mb.name}/${driver.name}`);
    this.driver = driver;
    this.mb = mb;
    this.keywords = keywords;
    this.services = services;
    this.above = above;
    this.sm = new StateMachine('filter', this.name, FILTER_TRANSITIONS, 'Detached', (from, event, to) => rt.log('debug', this.name, `filter ${from} --${event}--> ${to}`));
  }

  /** @internal */
  protected override get rssKeywords(): Configuration {
    return this.mb.keywords;
  }

  get state(): FilterState {
    return this.sm.state;
  }

  /** @internal True when NDIS skips this module on `path` (no handler, or the module failed). */
  bypasses(path: OptionalPath): boolean {
    if (this.failed || this.instance === null) return true;
    return typeof (this.instance as unknown as Record<string, unknown>)[path] !== 'function';
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle driven by the runtime

  /** @internal FilterAttach (synchronous): Detached → Paused, or back to Detached on failure. */
  attach(params: Omit<FilterAttachParameters, 'keywords' | 'moduleName' | 'monitoringPoint'>): NdisStatus {
    this.sm.fire('attach');
    try {
      this.instance = new this.driver.module(this);
    } catch (e) {
      this.handlerThrew('filter module constructor', e);
      this.sm.fire('attachFailed');
      return NDIS_STATUS_FAILURE;
    }
    const status = this.invoke('attach', () => this.instance!.attach({ ...params, moduleName: this.name, keywords: this.keywords, monitoringPoint: this.driver.filterType === 'monitoring' ? this.above : null }), NDIS_STATUS_FAILURE);
    if (status === NDIS_STATUS_PENDING) {
      this.report('IllegalStateTransition', 'FilterAttach returned PENDING (it must be synchronous)');
    }
    if (status !== NDIS_STATUS_SUCCESS || this.failed) {
      this.sm.fire('attachFailed');
      this.instance = null;
      return status === NDIS_STATUS_SUCCESS || status === NDIS_STATUS_PENDING ? NDIS_STATUS_FAILURE : status;
    }
    this.sm.fire('attachComplete');
    return NDIS_STATUS_SUCCESS;
  }

  /** @internal FilterRestart: Paused → Running. */
  async restart(restartAttributes: Record<string, unknown>): Promise<NdisStatus> {
    this.sm.fire('restart');
    if (this.instance === null || this.failed) {
      this.sm.fire('restartComplete');
      return NDIS_STATUS_SUCCESS;
    }
    this.restartOp.begin();
    const returned = this.invoke('restart', () => this.instance!.restart({ restartAttributes }), NDIS_STATUS_FAILURE);
    const { status, completedEarly } = await this.restartOp.settle(returned);
    if (completedEarly) this.report('CompletionWithoutPending', 'restartComplete called although restart returned a final status');
    this.sm.fire(status === NDIS_STATUS_SUCCESS ? 'restartComplete' : 'restartFailed');
    return status;
  }

  /** @internal FilterPause: Running → Paused; cannot fail; 10 s deadline (NdisFilterTimedPauseComplete). */
  async pause(pauseReason: number): Promise<void> {
    this.sm.fire('pause');
    if (this.instance !== null && !this.failed) {
      const limit = this.rt.verifier.limits.filterPauseMs;
      this.pauseOp.begin(this.rt.scheduler, limit, () => this.report('NdisFilterTimedPauseComplete', `FilterPause not completed within ${limit} ms`));
      const returned = this.invoke('pause', () => this.instance!.pause({ pauseReason }), NDIS_STATUS_SUCCESS);
      const { completedEarly } = await this.pauseOp.settle(returned);
      if (completedEarly) this.report('CompletionWithoutPending', 'pauseComplete called although pause returned a final status');
      if (this.ownSendsOutstanding > 0 || this.ownReceivesOutstanding > 0) {
        this.report('PrematurePauseComplete', `paused with ${this.ownSendsOutstanding} send(s) and ${this.ownReceivesOutstanding} receive(s) it originated outstanding`);
      }
    }
    this.sm.fire('pauseComplete');
  }

  /** @internal FilterDetach (synchronous): Paused → Detached. */
  detach(): void {
    this.sm.fire('detach');
    const inst = this.instance;
    if (inst !== null && !this.failed) this.invoke('detach', () => inst.detach(), undefined);
    this.instance = null;
  }

  pauseComplete(): void {
    this.#complete(this.pauseOp, NDIS_STATUS_SUCCESS, 'pauseComplete');
  }

  restartComplete(status: NdisStatus): void {
    this.#complete(this.restartOp, status, 'restartComplete');
  }

  #complete(op: PendableOperation, status: NdisStatus, what: string): void {
    const r = op.complete(status);
    if (r === 'already-completed') this.report(op === this.pauseOp ? 'NdisFilterTimedPauseComplete' : 'DoubleComplete', `${what} called twice`);
    else if (r === 'not-pending') this.report('CompletionWithoutPending', `${what} without a pending ${op.kind}`);
  }

  restartFilter(): void {
    this.services.restartFilter(this);
  }

  // ---------------------------------------------------------------------------------------------
  // Sinks: NDIS hands this module a chain

  /** @internal */
  deliverSend(nbls: NetBufferList, portNumber: number, sendFlags: number, _count: number): void {
    try {
      this.instance!.sendNetBufferLists!(nbls, portNumber, sendFlags);
    } catch (e) {
      this.handlerThrew('sendNetBufferLists', e);
    }
  }

  /** @internal */
  deliverSendComplete(nbls: NetBufferList, flags: number): void {
    // Only a module with sends of its own outstanding can find its own NBLs here.
    if (this.ownSendsOutstanding > 0) {
      const self: object = this;
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) if (nbl.sourceHandle === self) this.ownSendsOutstanding--;
    }
    try {
      this.instance!.sendNetBufferListsComplete!(nbls, flags);
    } catch (e) {
      this.handlerThrew('sendNetBufferListsComplete', e);
    }
  }

  /** @internal */
  deliverReceive(nbls: NetBufferList, portNumber: number, count: number, flags: number): void {
    try {
      this.instance!.receiveNetBufferLists!(nbls, portNumber, count, flags);
    } catch (e) {
      this.handlerThrew('receiveNetBufferLists', e);
    }
  }

  /** @internal */
  deliverReturn(nbls: NetBufferList, flags: number, _count: number): void {
    if (this.ownReceivesOutstanding > 0) {
      const self: object = this;
      for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) if (nbl.sourceHandle === self) this.ownReceivesOutstanding--;
    }
    try {
      this.instance!.returnNetBufferLists!(nbls, flags);
    } catch (e) {
      this.handlerThrew('returnNetBufferLists', e);
    }
  }

  /** @internal */
  deliverStatus(indication: NdisStatusIndication): void {
    this.invoke('status', () => this.instance!.status!(indication), undefined);
  }

  /** @internal */
  deliverOid(request: NdisOidRequest, direct: boolean): NdisStatus {
    const inst = this.instance!;
    if (direct) {
      const h = inst.directOidRequest;
      if (h === undefined) return this.lowerOid.deliverOid(request, true);
      return this.invoke('directOidRequest', () => h.call(inst, request), NDIS_STATUS_FAILURE);
    }
    return this.invoke('oidRequest', () => inst.oidRequest!(request), NDIS_STATUS_FAILURE);
  }

  /** @internal */
  deliverCancelOid(requestId: number, direct: boolean): void {
    const inst = this.instance;
    const h = inst === null ? undefined : direct ? inst.cancelDirectOidRequest : inst.cancelOidRequest;
    if (h === undefined) this.lowerOid.deliverCancelOid(requestId, direct);
    else this.invoke('cancelOidRequest', () => h.call(inst, requestId), undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // FilterModuleHandle: the module hands a chain on

  /** NdisFSendNetBufferLists. */
  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    const st = this.state;
    const self: object = this;
    const target = this.lowerSend;
    if (st === 'Running' && !this.rt.verifying) {
      // Hot path: one walk stamps the new owner and counts what this module originated.
      const n = stampCountingOwn(nbls, self, target.id);
      this.ownSendsOutstanding += on.own;
      this.stats.sent += n;
      target.deliverSend(nbls, portNumber, sendFlags, n);
      return;
    }
    let own = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) if (nbl.sourceHandle === self) own++;
    if (st !== 'Running' && (st !== 'Pausing' || own > 0)) {
      this.report('SendWhilePaused', `NdisFSendNetBufferLists while ${st}`);
      this.#failSendsUp(nbls);
      return;
    }
    const n = transferOn(nbls, this, target.id, this.rt.verifying);
    const head = on.head;
    // Count again what went on: the verifier may have cut NBLs out or supplied a missing SourceHandle.
    own = 0;
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) if (nbl.sourceHandle === self) own++;
    this.ownSendsOutstanding += own;
    if (head === null) return;
    this.stats.sent += n;
    target.deliverSend(head, portNumber, sendFlags, n);
  }

  /** Completes a chain this module may not pass down (paused): own NBLs come straight back to it. */
  #failSendsUp(nbls: NetBufferList): void {
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      nbl.status = NDIS_STATUS_PAUSED;
      nbl.ndisOwner = this.id;
    }
    this.stats.dropped++;
    this.sendNetBufferListsComplete(nbls, 0);
  }

  /** NdisFSendNetBufferListsComplete. */
  sendNetBufferListsComplete(nbls: NetBufferList, sendCompleteFlags: number): void {
    const target = this.upperSendComplete;
    // transferBack also cuts out this module's own NBLs (they must be freed, never completed upwards).
    const n = transferBack(nbls, this, target.id, true);
    if (back.head === null) return;
    this.stats.sendCompleted += n;
    target.deliverSendComplete(back.head, sendCompleteFlags);
  }

  /** NdisFIndicateReceiveNetBufferLists. */
  indicateReceiveNetBufferLists(nbls: NetBufferList, portNumber: number, numberOfNetBufferLists: number, receiveFlags: number): void {
    const self: object = this;
    const target = this.upperReceive;
    if (this.state === 'Running' && !this.rt.verifying && (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) === 0) {
      const n = stampCountingOwn(nbls, self, target.id);
      this.ownReceivesOutstanding += on.own;
      this.stats.received += n;
      target.deliverReceive(nbls, portNumber, n, receiveFlags);
      return;
    }
    let own = 0;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) if (nbl.sourceHandle === self) own++;
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    if (this.state !== 'Running') {
      this.report('SendWhilePaused', `NdisFIndicateReceiveNetBufferLists while ${this.state}`);
      // Send them back down, unless the indicator keeps them anyway (RESOURCES).
      if (own === 0 && !resources) this.returnNetBufferLists(nbls, 0);
      this.stats.dropped += numberOfNetBufferLists;
      this.dropCounter('indicatedWhilePaused').add(numberOfNetBufferLists);
      return;
    }
    if (resources) for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) nbl.ndisRefs = -1;
    const n = transferOn(nbls, this, target.id, this.rt.verifying);
    const head = on.head;
    if (n + on.cut !== numberOfNetBufferLists) this.report('NblReceiveCount', `NumberOfNetBufferLists ${numberOfNetBufferLists} but the chain holds ${n + on.cut}`);
    own = 0; // again, as for sends
    for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) if (nbl.sourceHandle === self) own++;
    // RESOURCES: nothing comes back by return; ownership reverts to this module when the call returns.
    if (!resources) this.ownReceivesOutstanding += own;
    if (head === null) return;
    this.stats.received += n;
    target.deliverReceive(head, portNumber, n, receiveFlags);
    if (resources) {
      for (let nbl: NetBufferList | null = head; nbl !== null; nbl = nbl.next) {
        nbl.ndisOwner = this.id;
        // Its own are free to reuse; forwarded ones stay marked until the indicator gets them back.
        if (nbl.sourceHandle === self) nbl.ndisRefs = 0;
      }
    }
  }

  /** NdisFReturnNetBufferLists. */
  returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void {
    const target = this.lowerReturn;
    const n = transferBack(nbls, this, target.id, false);
    if (back.head === null) return;
    this.stats.returned += n;
    target.deliverReturn(back.head, returnFlags, n);
  }

  cancelSendNetBufferLists(cancelId: number): void {
    this.services.cancelSend(this.mb, this.level, cancelId);
  }

  /** NdisFOidRequest: the module forwards a request (normally a clone) down. */
  oidRequest(request: NdisOidRequest): NdisStatus {
    return submitOid(this, request, this, this.lowerOid, false);
  }

  directOidRequest(request: NdisOidRequest): NdisStatus {
    return submitOid(this, request, this, this.lowerOid, true);
  }

  /** NdisFOidRequestComplete: completes a request this module received and pended. */
  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    completeOid(this, request, status, false);
  }

  directOidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    completeOid(this, request, status, true);
  }

  cancelOidRequest(requestId: number): void {
    this.lowerOid.deliverCancelOid(requestId, false);
  }

  /** @internal A request this module forwarded came back. */
  onOidComplete(request: NdisOidRequest, status: NdisStatus, direct: boolean): void {
    const inst = this.instance;
    if (inst === null) return;
    const h = direct ? inst.directOidRequestComplete : inst.oidRequestComplete;
    if (h === undefined) {
      this.report('Registration', `forwarded an OID request but has no ${direct ? 'directOidRequestComplete' : 'oidRequestComplete'} handler`);
      return;
    }
    this.invoke('oidRequestComplete', () => h.call(inst, request, status), undefined);
  }

  /** NdisFIndicateStatus. */
  indicateStatus(init: NdisStatusIndicationInit): void {
    const ind: NdisStatusIndication = {
      statusCode: init.statusCode,
      statusBuffer: init.statusBuffer,
      portNumber: init.portNumber ?? 0,
      sourceHandle: init.sourceHandle ?? this,
      destinationHandle: init.destinationHandle ?? null,
      requestId: init.requestId ?? 0,
      flags: init.flags ?? 0,
      ...(init.guid === undefined ? {} : { guid: init.guid }),
    };
    this.upperStatus.deliverStatus(ind);
  }

  netPnPEvent(event: NetPnPEvent): NdisStatus {
    return this.services.netPnPEventAbove(this.mb, this.level, event);
  }

  devicePnPEventNotify(event: NetDevicePnPEvent): void {
    this.services.devicePnPEventBelow(this.mb, this.level, event);
  }
}
