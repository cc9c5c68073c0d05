/**
 * Scriptable test drivers (gVisor's `channel` endpoint idea, for NDIS): a miniport, a filter and a
 * protocol whose every reaction is chosen by the test. Each records what NDIS asked of it, in one shared
 * call log when the test passes one, so ordering across a stack can be asserted.
 *
 *   TestMiniportDriver  → TestMiniportAdapter: records sent chains, completes them at once or on
 *                         command (`completeSends`), can pend pause / restart / OIDs / reset, indicates
 *                         frames with `injectReceive`, answers the general OIDs like an Ethernet NIC.
 *   TestFilterDriver    → TestFilterModule: passes everything through, can hold sends or receives,
 *                         originate sends, pend pause, fail attach or restart.
 *   TestProtocolDriver  → TestBinding: opens the adapter, sets a packet filter, sends frames, holds or
 *                         returns receives, can pend bind and pause.
 *
 * A driver that is deliberately wrong in one way (verifier tests) is a subclass overriding one handler,
 * passed as `adapterClass` / `moduleClass` / `bindingClass`. Handlers can be removed with `omit` (the
 * prototype slot is shadowed with undefined, which is what registration and bypass look at).
 *
 * Every driver frees what it allocated at halt / detach / unbind, so a test that runs a correct stack to
 * shutdown ends with every pool full.
 */
import {
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_RECEIVE_FLAGS_RESOURCES,
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_REQUEST_ABORTED,
  NDIS_STATUS_SEND_ABORTED,
  NDIS_STATUS_SUCCESS,
  NdisDevicePnPEventSurpriseRemoved,
  NdisMedium802_3,
  NdisOidRequest,
  NetEventPause,
  NetEventRestart,
  ethernetGeneralAttributes,
  packetFilterCodec,
  type BindParameters,
  type FilterAttachParameters,
  type FilterClass,
  type FilterDriverCharacteristics,
  type FilterModule,
  type FilterModuleHandle,
  type FilterPauseParameters,
  type FilterRestartParameters,
  type FilterRunType,
  type FilterType,
  type MiniportAdapter,
  type MiniportAdapterHandle,
  type MiniportDriverCharacteristics,
  type MiniportInitParameters,
  type MiniportPauseParameters,
  type MiniportRestartParameters,
  type NdisStatus,
  type NdisStatusIndication,
  type NetBufferList,
  type NetBufferListPool,
  type NetDevicePnPEvent,
  type NetPnPEvent,
  type ProtocolBinding,
  type ProtocolBindingHandle,
  type ProtocolDriverCharacteristics,
  type UnbindParameters,
} from '../../src/ndis/index.js';
import { ETHERNET_OIDS, EthernetMiniportState, handleEthernetOid } from '../../src/drivers/common/ethernet-miniport.js';
import { MiniportOffloads, TASK_OFFLOAD_OIDS } from '../../src/drivers/common/task-offload.js';
import type { NdisOffload } from '../../src/ndis/offload.js';
import { NDIS_STATUS_INVALID_OID } from '../../src/ndis/status.js';

export const TEST_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
export const PEER_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);
const SLOT = 1536;

/** Shadows `names` on `cls.prototype` with undefined: the handler is absent for NDIS. */
function omitHandlers(cls: { prototype: object }, names: readonly string[]): void {
  for (const n of names) Object.defineProperty(cls.prototype, n, { value: undefined, writable: true, configurable: true });
}

function shortName(full: string): string {
  const i = full.lastIndexOf('/');
  return i < 0 ? full : full.slice(i + 1);
}

/** The chain as an array (tests only). */
export function nblArray(chain: NetBufferList | null): NetBufferList[] {
  const out: NetBufferList[] = [];
  for (let n = chain; n !== null; n = n.next) out.push(n);
  return out;
}

/** Links `list` into a chain (tests only). */
export function chain(list: readonly NetBufferList[]): NetBufferList | null {
  for (let i = 0; i < list.length; i++) list[i]!.next = list[i + 1] ?? null;
  return list[0] ?? null;
}

/** The first NB's bytes. */
export function bytesOf(nbl: NetBufferList): Uint8Array {
  const nb = nbl.firstNetBuffer!;
  const out = new Uint8Array(nb.dataLength);
  nb.copyOut(out, 0, 0, nb.dataLength);
  return out;
}

/** An Ethernet frame whose payload starts with a 32-bit sequence number. */
export function seqFrame(dst: Uint8Array, src: Uint8Array, seq: number, payloadLength = 46): Uint8Array {
  const f = new Uint8Array(14 + Math.max(4, payloadLength));
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  new DataView(f.buffer).setUint32(14, seq >>> 0);
  return f;
}

export function seqOf(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset).getUint32(14);
}

// =====================================================================================================
// Miniport

export interface TestMiniportOptions {
  /** Driver (service) name; default 'test.miniport'. */
  name?: string;
  /** Shared call log: entries like 'mp:pause'. */
  log?: string[];
  mac?: Uint8Array;
  /** Register checkForHang (the adapter then also has reset, which it always has). */
  checkForHang?: boolean;
  checkForHangSeconds?: number;
  /** Register directOidRequest + cancelDirectOidRequest. */
  directOids?: boolean;
  /** Handlers to leave out (registration tests). */
  omit?: readonly string[];
  /** A subclass that is wrong in one way. */
  adapterClass?: new (handle: MiniportAdapterHandle, driver: TestMiniportDriver) => TestMiniportAdapter;
  /** NDIS version to register with. */
  ndisVersion?: { major: number; minor: number };
  flags?: number;
  rxCapacity?: number;
  /** Scripts each new adapter object (runs at the end of its constructor). */
  setup?: (adapter: TestMiniportAdapter) => void;
  /** Report task offloads (setOffloadAttributes) and answer the offload OIDs through MiniportOffloads. */
  offload?: { readonly hardware: NdisOffload; readonly current?: NdisOffload };
}

export class TestMiniportAdapter implements MiniportAdapter {
  readonly ndis: MiniportAdapterHandle;
  readonly driver: TestMiniportDriver;
  name = '';
  eth!: EthernetMiniportState;
  rxPool: NetBufferListPool | null = null;
  offloads: MiniportOffloads | null = null;

  // ---- script ----
  initStatus: NdisStatus = NDIS_STATUS_SUCCESS;
  /** 'complete': complete every send at once with `sendStatus`; 'hold': queue until completeSends. */
  sendMode: 'complete' | 'hold' = 'complete';
  sendStatus: NdisStatus = NDIS_STATUS_SUCCESS;
  /** 'auto': complete when held sends and indicated receives are back; 'pend': only on completePause(). */
  pauseMode: 'auto' | 'pend' = 'auto';
  restartStatus: NdisStatus | 'pend' = NDIS_STATUS_SUCCESS;
  /** 'answer': answer like an Ethernet NIC; 'pend': keep the request until completeOid. */
  oidMode: 'answer' | 'pend' = 'answer';
  resetStatus: NdisStatus | 'pend' = NDIS_STATUS_SUCCESS;
  resetAddressing = false;
  hung = false;
  /** Allocate a pool in initialize and leak it when initialize fails (reclamation test). */
  allocateInInit = true;

  // ---- records ----
  readonly sentNbls: NetBufferList[] = [];
  readonly sentFrames: Uint8Array[] = [];
  readonly held: NetBufferList[] = [];
  readonly oidsSeen: NdisOidRequest[] = [];
  readonly pendingOids: NdisOidRequest[] = [];
  readonly pendingDirect: NdisOidRequest[] = [];
  readonly cancelledSendIds: number[] = [];
  readonly cancelledOidIds: number[] = [];
  readonly deviceEvents: number[] = [];
  indicated = 0;
  pausePending = false;
  removed = false;
  halted = false;
  haltAction = -1;
  checkForHangCalls = 0;
  resets = 0;

  constructor(ndis: MiniportAdapterHandle, driver: TestMiniportDriver) {
    this.ndis = ndis;
    this.driver = driver;
    driver.options.setup?.(this);
  }

  protected log(what: string): void {
    this.driver.log?.push(`mp:${what}`);
  }

  initialize(params: MiniportInitParameters): NdisStatus {
    this.name = shortName(params.adapterName);
    this.driver.adapters.set(this.name, this);
    this.driver.last = this;
    this.log('initialize');
    if (this.allocateInInit) this.rxPool = this.ndis.allocateNetBufferListPool({ name: `${params.adapterName}:test-rx`, capacity: this.driver.options.rxCapacity ?? 64, dataSize: SLOT });
    if (this.initStatus !== NDIS_STATUS_SUCCESS) return this.initStatus; // (deliberately leaves the pool to the runtime)
    this.ndis.setRegistrationAttributes({ checkForHangTimeInSeconds: this.driver.options.checkForHangSeconds ?? 0 });
    const offload = this.driver.options.offload;
    const oids = offload === undefined ? ETHERNET_OIDS : [...ETHERNET_OIDS, ...TASK_OFFLOAD_OIDS];
    const general = ethernetGeneralAttributes({ macAddress: this.driver.options.mac ?? TEST_MAC, supportedOidList: oids, vendorDescription: 'tsndis test miniport' });
    this.ndis.setGeneralAttributes(general);
    this.eth = new EthernetMiniportState(general);
    if (offload !== undefined) {
      this.offloads = new MiniportOffloads(this.ndis, offload.hardware, offload.current ?? offload.hardware);
      this.ndis.setOffloadAttributes(this.offloads.attributes);
    }
    return NDIS_STATUS_SUCCESS;
  }

  halt(haltAction: number): void {
    this.log('halt');
    this.halted = true;
    this.haltAction = haltAction;
    if (this.rxPool !== null) this.ndis.freeNetBufferListPool(this.rxPool);
    this.rxPool = null;
  }

  shutdown(): void {
    this.log('shutdown');
  }

  pause(_params: MiniportPauseParameters): NdisStatus {
    this.log('pause');
    if (this.pauseMode === 'pend' || this.held.length > 0 || this.indicated > 0) {
      this.pausePending = true;
      return NDIS_STATUS_PENDING;
    }
    return NDIS_STATUS_SUCCESS;
  }

  /** Completes a pended pause (mode 'pend'). */
  completePause(): void {
    this.pausePending = false;
    this.ndis.pauseComplete();
  }

  #maybeCompletePause(): void {
    if (this.pausePending && this.pauseMode === 'auto' && this.held.length === 0 && this.indicated === 0) {
      this.pausePending = false;
      this.ndis.pauseComplete();
    }
  }

  restart(_params: MiniportRestartParameters): NdisStatus {
    this.log('restart');
    return this.restartStatus === 'pend' ? NDIS_STATUS_PENDING : this.restartStatus;
  }

  sendNetBufferLists(nbls: NetBufferList, _portNumber: number, _sendFlags: number): void {
    this.log('send');
    for (let n: NetBufferList | null = nbls; n !== null; n = n.next) {
      this.sentNbls.push(n);
      this.sentFrames.push(bytesOf(n));
    }
    if (this.removed || this.ndis.state !== 'Running' || this.sendMode === 'complete') {
      const status = this.removed ? NDIS_STATUS_ADAPTER_REMOVED : this.ndis.state !== 'Running' ? NDIS_STATUS_PAUSED : this.sendStatus;
      for (let n: NetBufferList | null = nbls; n !== null; n = n.next) n.status = status;
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    for (let n: NetBufferList | null = nbls; n !== null; ) {
      const next: NetBufferList | null = n.next;
      n.next = null;
      this.held.push(n);
      n = next;
    }
  }

  /**
   * Completes `count` held sends (oldest first) as one chain; `status` is one status for all or one per
   * NBL. Returns the completed NBLs.
   */
  completeSends(count = this.held.length, status: NdisStatus | readonly NdisStatus[] = NDIS_STATUS_SUCCESS): NetBufferList[] {
    const list = this.held.splice(0, count);
    for (const [i, n] of list.entries()) n.status = typeof status === 'number' ? status : status[i]!;
    const head = chain(list);
    if (head !== null) this.ndis.sendNetBufferListsComplete(head, 0);
    this.#maybeCompletePause();
    return list;
  }

  cancelSend(cancelId: number): void {
    this.log('cancelSend');
    this.cancelledSendIds.push(cancelId);
    const hit = this.held.filter((n) => n.info.cancelId === cancelId);
    if (hit.length === 0) return;
    for (const n of hit) this.held.splice(this.held.indexOf(n), 1);
    for (const n of hit) n.status = NDIS_STATUS_SEND_ABORTED;
    this.ndis.sendNetBufferListsComplete(chain(hit)!, 0);
    this.#maybeCompletePause();
  }

  /**
   * Copies `frames` into receive NBLs and indicates them as one chain. Returns the NBLs (with RESOURCES
   * they are back in the pool when this returns).
   */
  injectReceive(frames: readonly Uint8Array[], opts: { flags?: number; count?: number } = {}): NetBufferList[] {
    const pool = this.rxPool!;
    const list: NetBufferList[] = [];
    for (const f of frames) {
      const nbl = pool.allocate();
      if (nbl === null) throw new Error('test miniport: receive pool empty');
      const nb = nbl.firstNetBuffer!;
      nb.dataLength = f.length;
      nb.copyIn(f, 0, f.length, 0);
      nbl.sourceHandle = this.ndis;
      list.push(nbl);
    }
    const flags = opts.flags ?? 0;
    const resources = (flags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    if (!resources) this.indicated += list.length;
    this.ndis.indicateReceiveNetBufferLists(chain(list)!, 0, opts.count ?? list.length, flags);
    if (resources) for (const n of list) pool.free(n);
    return list;
  }

  returnNetBufferLists(nbls: NetBufferList, _returnFlags: number): void {
    this.log('return');
    for (let n: NetBufferList | null = nbls; n !== null; ) {
      const next: NetBufferList | null = n.next;
      this.indicated--;
      n.home.free(n);
      n = next;
    }
    this.#maybeCompletePause();
  }

  devicePnPEventNotify(event: NetDevicePnPEvent): void {
    this.log(`devicePnP:${event.devicePnPEvent}`);
    this.deviceEvents.push(event.devicePnPEvent);
    if (event.devicePnPEvent === NdisDevicePnPEventSurpriseRemoved) {
      this.removed = true;
      // The device is gone: whatever it held completes with an error.
      if (this.held.length > 0) this.completeSends(this.held.length, NDIS_STATUS_ADAPTER_REMOVED);
    }
  }

  oidRequest(request: NdisOidRequest): NdisStatus {
    this.log(`oid:${request.oidName}`);
    this.oidsSeen.push(request);
    if (this.oidMode === 'pend') {
      this.pendingOids.push(request);
      return NDIS_STATUS_PENDING;
    }
    if (this.offloads !== null) {
      const status = this.offloads.handleOid(request);
      if (status !== NDIS_STATUS_INVALID_OID) return status;
    }
    return handleEthernetOid(this.eth, request);
  }

  /** Completes the oldest pended request (answering it like 'answer' mode unless `status` is given). */
  completeOid(status?: NdisStatus, request = this.pendingOids[0]): void {
    if (request === undefined) throw new Error('no pending OID');
    this.pendingOids.splice(this.pendingOids.indexOf(request), 1);
    this.ndis.oidRequestComplete(request, status ?? handleEthernetOid(this.eth, request));
  }

  cancelOidRequest(requestId: number): void {
    this.log('cancelOid');
    this.cancelledOidIds.push(requestId);
    const r = this.pendingOids.find((x) => x.requestId === requestId);
    if (r !== undefined) this.completeOid(NDIS_STATUS_REQUEST_ABORTED, r);
  }

  reset(out: { addressingReset: boolean }): NdisStatus {
    this.log('reset');
    this.resets++;
    this.hung = false;
    if (this.resetStatus === 'pend') return NDIS_STATUS_PENDING;
    out.addressingReset = this.resetAddressing;
    if (this.resetAddressing) this.eth.packetFilter = 0;
    return this.resetStatus;
  }

  completeReset(status: NdisStatus = NDIS_STATUS_SUCCESS): void {
    if (this.resetAddressing) this.eth.packetFilter = 0;
    this.ndis.resetComplete(status, this.resetAddressing);
  }

  // Optional handlers, enabled per driver by the options (see TestMiniportDriver).
  checkForHang(): boolean {
    this.checkForHangCalls++;
    return this.hung;
  }

  directOidRequest(request: NdisOidRequest): NdisStatus {
    this.log(`directOid:${request.oidName}`);
    this.pendingDirect.push(request);
    return NDIS_STATUS_PENDING;
  }

  cancelDirectOidRequest(requestId: number): void {
    const r = this.pendingDirect.find((x) => x.requestId === requestId);
    if (r !== undefined) this.completeDirect(NDIS_STATUS_REQUEST_ABORTED, r);
  }

  completeDirect(status: NdisStatus = NDIS_STATUS_SUCCESS, request = this.pendingDirect[0]): void {
    if (request === undefined) throw new Error('no pending direct OID');
    this.pendingDirect.splice(this.pendingDirect.indexOf(request), 1);
    this.ndis.directOidRequestComplete(request, status);
  }
}

export class TestMiniportDriver {
  readonly characteristics: MiniportDriverCharacteristics;
  readonly adapters = new Map<string, TestMiniportAdapter>();
  last: TestMiniportAdapter | null = null;
  readonly log: string[] | undefined;

  constructor(readonly options: TestMiniportOptions = {}) {
    this.log = options.log;
    const driver = this;
    const Base = options.adapterClass ?? TestMiniportAdapter;
    class Adapter extends Base {
      constructor(handle: MiniportAdapterHandle) {
        super(handle, driver);
      }
    }
    const omit = [...(options.omit ?? [])];
    if (options.checkForHang !== true) omit.push('checkForHang');
    if (options.directOids !== true) omit.push('directOidRequest', 'cancelDirectOidRequest');
    omitHandlers(Adapter, omit);
    this.characteristics = {
      kind: 'miniport',
      name: options.name ?? 'test.miniport',
      ndisVersion: options.ndisVersion ?? { major: 6, minor: 30 },
      medium: NdisMedium802_3,
      ...(options.flags === undefined ? {} : { flags: options.flags }),
      adapter: Adapter,
    };
  }

  adapter(name = 'eth0'): TestMiniportAdapter {
    const a = this.adapters.get(name);
    if (a === undefined) throw new Error(`no test adapter ${name}`);
    return a;
  }
}

// =====================================================================================================
// Filter

export interface TestFilterOptions {
  name?: string;
  log?: string[];
  filterType?: FilterType;
  runType?: FilterRunType;
  filterClass?: FilterClass;
  omit?: readonly string[];
  moduleClass?: new (handle: FilterModuleHandle, driver: TestFilterDriver) => TestFilterModule;
  ndisVersion?: { major: number; minor: number };
  /** Scripts each new module object. */
  setup?: (module: TestFilterModule) => void;
}

export class TestFilterModule implements FilterModule {
  readonly ndis: FilterModuleHandle;
  readonly driver: TestFilterDriver;
  pool: NetBufferListPool | null = null;

  // ---- script ----
  attachStatus: NdisStatus = NDIS_STATUS_SUCCESS;
  pauseMode: 'auto' | 'pend' = 'auto';
  restartStatus: NdisStatus = NDIS_STATUS_SUCCESS;
  holdSends = false;
  holdReceives = false;

  // ---- records ----
  readonly heldSends: NetBufferList[] = [];
  readonly heldReceives: NetBufferList[] = [];
  readonly statuses: NdisStatusIndication[] = [];
  readonly cancelledSendIds: number[] = [];
  sendsSeen = 0;
  receivesSeen = 0;
  ownSendsOutstanding = 0;
  pausePending = false;

  constructor(ndis: FilterModuleHandle, driver: TestFilterDriver) {
    this.ndis = ndis;
    this.driver = driver;
    driver.options.setup?.(this);
  }

  protected log(what: string): void {
    this.driver.log?.push(`${this.driver.tag}:${what}`);
  }

  attach(_params: FilterAttachParameters): NdisStatus {
    this.driver.modules.push(this);
    this.driver.last = this;
    this.log('attach');
    if (this.driver.nextAttachStatus !== NDIS_STATUS_SUCCESS) return this.driver.nextAttachStatus;
    this.pool = this.ndis.allocateNetBufferListPool({ name: `${this.ndis.name}:own`, capacity: 16, dataSize: SLOT });
    return this.attachStatus;
  }

  detach(): void {
    this.log('detach');
    if (this.pool !== null) this.ndis.freeNetBufferListPool(this.pool);
    this.pool = null;
  }

  pause(_params: FilterPauseParameters): NdisStatus {
    this.log('pause');
    // Queued traffic goes on its way: sends down, receives back down.
    this.releaseSends();
    this.returnHeldReceives();
    if (this.pauseMode === 'pend' || this.ownSendsOutstanding > 0) {
      this.pausePending = true;
      return NDIS_STATUS_PENDING;
    }
    return NDIS_STATUS_SUCCESS;
  }

  completePause(): void {
    this.pausePending = false;
    this.ndis.pauseComplete();
  }

  restart(_params: FilterRestartParameters): NdisStatus {
    this.log('restart');
    return this.restartStatus;
  }

  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void {
    this.log('send');
    for (let n: NetBufferList | null = nbls; n !== null; n = n.next) this.sendsSeen++;
    if (this.ndis.state !== 'Running') {
      for (let n: NetBufferList | null = nbls; n !== null; n = n.next) n.status = NDIS_STATUS_PAUSED;
      this.ndis.sendNetBufferListsComplete(nbls, 0);
      return;
    }
    if (this.holdSends) {
      for (const n of nblArray(nbls)) {
        n.next = null;
        this.heldSends.push(n);
      }
      return;
    }
    this.ndis.sendNetBufferLists(nbls, portNumber, sendFlags);
  }

  /** Passes held sends down. */
  releaseSends(): void {
    const head = chain(this.heldSends.splice(0));
    if (head !== null) this.ndis.sendNetBufferLists(head, 0, 0);
  }

  sendNetBufferListsComplete(nbls: NetBufferList, flags: number): void {
    this.log('sendComplete');
    // Own NBLs come back here and are freed; the rest go up.
    const self: object = this.ndis;
    const up: NetBufferList[] = [];
    for (const n of nblArray(nbls)) {
      n.next = null;
      if (n.sourceHandle === self) {
        this.ownSendsOutstanding--;
        this.driver.ownCompleted.push(n.status);
        n.home.free(n);
      } else up.push(n);
    }
    if (up.length > 0) this.ndis.sendNetBufferListsComplete(chain(up)!, flags);
    if (this.pausePending && this.pauseMode === 'auto' && this.ownSendsOutstanding === 0) this.completePause();
  }

  /** Sends frames this module originates (SourceHandle = the module's handle). */
  originateSend(frames: readonly Uint8Array[]): void {
    const list: NetBufferList[] = [];
    for (const f of frames) {
      const nbl = this.pool!.allocate()!;
      nbl.firstNetBuffer!.dataLength = f.length;
      nbl.firstNetBuffer!.copyIn(f, 0, f.length, 0);
      nbl.sourceHandle = this.ndis;
      list.push(nbl);
    }
    this.ownSendsOutstanding += list.length;
    this.ndis.sendNetBufferLists(chain(list)!, 0, 0);
  }

  cancelSendNetBufferLists(cancelId: number): void {
    this.log('cancelSend');
    this.cancelledSendIds.push(cancelId);
    const hit = this.heldSends.filter((n) => n.info.cancelId === cancelId);
    for (const n of hit) this.heldSends.splice(this.heldSends.indexOf(n), 1);
    for (const n of hit) n.status = NDIS_STATUS_SEND_ABORTED;
    if (hit.length > 0) this.ndis.sendNetBufferListsComplete(chain(hit)!, 0);
    this.ndis.cancelSendNetBufferLists(cancelId);
  }

  receiveNetBufferLists(nbls: NetBufferList, portNumber: number, count: number, receiveFlags: number): void {
    this.log('receive');
    this.receivesSeen += count;
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    if (this.ndis.state !== 'Running') {
      if (!resources) this.ndis.returnNetBufferLists(nbls, 0);
      return;
    }
    if (this.holdReceives && !resources) {
      for (const n of nblArray(nbls)) {
        n.next = null;
        this.heldReceives.push(n);
      }
      return;
    }
    this.ndis.indicateReceiveNetBufferLists(nbls, portNumber, count, receiveFlags);
  }

  /** Indicates held receives up. */
  releaseReceives(): void {
    const list = this.heldReceives.splice(0);
    if (list.length > 0) this.ndis.indicateReceiveNetBufferLists(chain(list)!, 0, list.length, 0);
  }

  returnHeldReceives(): void {
    const list = this.heldReceives.splice(0);
    if (list.length > 0) this.ndis.returnNetBufferLists(chain(list)!, 0);
  }

  returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void {
    this.log('return');
    this.ndis.returnNetBufferLists(nbls, returnFlags);
  }

  oidRequest(request: NdisOidRequest): NdisStatus {
    this.log(`oid:${request.oidName}`);
    const clone = request.clone();
    clone.sourceReserved[0] = request;
    const status = this.ndis.oidRequest(clone);
    if (status !== NDIS_STATUS_PENDING) clone.copyResultTo(request);
    return status;
  }

  oidRequestComplete(clone: NdisOidRequest, status: NdisStatus): void {
    this.log('oidComplete');
    const original = clone.sourceReserved[0] as NdisOidRequest;
    clone.copyResultTo(original);
    this.ndis.oidRequestComplete(original, status);
  }

  cancelOidRequest(requestId: number): void {
    this.log('cancelOid');
    this.ndis.cancelOidRequest(requestId);
  }

  status(indication: NdisStatusIndication): void {
    this.log(`status:${indication.statusCode.toString(16)}`);
    this.statuses.push(indication);
    this.ndis.indicateStatus(indication);
  }

  /** Surprise removal: pass the news down, then let held sends go on (the adapter fails them). */
  devicePnPEventNotify(event: NetDevicePnPEvent): void {
    this.log(`devicePnP:${event.devicePnPEvent}`);
    this.ndis.devicePnPEventNotify(event);
    if (event.devicePnPEvent === NdisDevicePnPEventSurpriseRemoved) {
      this.holdSends = false;
      this.releaseSends();
    }
  }
}

export class TestFilterDriver {
  readonly characteristics: FilterDriverCharacteristics;
  readonly modules: TestFilterModule[] = [];
  last: TestFilterModule | null = null;
  readonly log: string[] | undefined;
  /** Short tag in the call log (default: the driver name). */
  readonly tag: string;
  /** Status the next attach returns (attach-failure tests). */
  nextAttachStatus: NdisStatus = NDIS_STATUS_SUCCESS;
  /** Statuses of completed NBLs the modules originated. */
  readonly ownCompleted: NdisStatus[] = [];

  constructor(readonly options: TestFilterOptions = {}) {
    this.log = options.log;
    const driver = this;
    this.tag = options.name ?? 'test.filter';
    const Base = options.moduleClass ?? TestFilterModule;
    class Module extends Base {
      constructor(handle: FilterModuleHandle) {
        super(handle, driver);
      }
    }
    omitHandlers(Module, options.omit ?? []);
    this.characteristics = {
      kind: 'filter',
      name: options.name ?? 'test.filter',
      ndisVersion: options.ndisVersion ?? { major: 6, minor: 30 },
      filterType: options.filterType ?? 'modifying',
      runType: options.runType ?? 'optional',
      filterClass: options.filterClass ?? 'custom',
      mediaTypes: [NdisMedium802_3],
      module: Module,
    };
  }

  get module(): TestFilterModule {
    if (this.last === null) throw new Error(`${this.tag}: no module attached`);
    return this.last;
  }
}

// =====================================================================================================
// Protocol

export interface TestProtocolOptions {
  name?: string;
  log?: string[];
  /** Media passed to openAdapter (default [NdisMedium802_3]). */
  openMedia?: readonly number[];
  /** Packet filter set on bind (0 = none set). */
  packetFilter?: number;
  omit?: readonly string[];
  bindingClass?: new (handle: ProtocolBindingHandle, driver: TestProtocolDriver) => TestBinding;
  /** Scripts each new binding object. */
  setup?: (binding: TestBinding) => void;
}

export interface ReceivedFrame {
  readonly bytes: Uint8Array;
  readonly flags: number;
}

export class TestBinding implements ProtocolBinding {
  readonly ndis: ProtocolBindingHandle;
  readonly driver: TestProtocolDriver;
  adapterName = '';
  pool: NetBufferListPool | null = null;
  running = false;

  // ---- script ----
  /** 'sync': finish inside bindAdapter; 'pend': return PENDING, complete on the next turn; 'early': complete, then return PENDING. */
  bindMode: 'sync' | 'pend' | 'early' = 'sync';
  bindStatus: NdisStatus = NDIS_STATUS_SUCCESS;
  pauseMode: 'auto' | 'pend' = 'auto';
  restartStatus: NdisStatus = NDIS_STATUS_SUCCESS;
  holdReceives = false;
  /** Copy and return held receives when pausing (the protocol rule); false keeps holding them. */
  returnOnPause = true;
  freeOnUnbind = true;

  // ---- records ----
  readonly received: ReceivedFrame[] = [];
  readonly held: NetBufferList[] = [];
  readonly completions: { nbl: NetBufferList; status: NdisStatus; bytes: Uint8Array }[] = [];
  readonly statuses: NdisStatusIndication[] = [];
  readonly pnpEvents: number[] = [];
  readonly oidDone = new Map<NdisOidRequest, NdisStatus>();
  /** What bindAdapter was given. */
  bindParameters: BindParameters | null = null;
  sendsOutstanding = 0;
  pausePending = false;

  constructor(ndis: ProtocolBindingHandle, driver: TestProtocolDriver) {
    this.ndis = ndis;
    this.driver = driver;
    driver.options.setup?.(this);
  }

  protected log(what: string): void {
    this.driver.log?.push(`${this.driver.tag}:${what}`);
  }

  bindAdapter(params: BindParameters): NdisStatus {
    this.adapterName = shortName(params.adapterName);
    this.bindParameters = params;
    this.driver.bindings.set(this.adapterName, this);
    this.driver.last = this;
    this.log('bind');
    const open = this.ndis.openAdapter(this.driver.options.openMedia ?? [NdisMedium802_3]);
    if (open.status !== NDIS_STATUS_SUCCESS) {
      this.driver.bindings.delete(this.adapterName);
      return open.status;
    }
    if (this.bindStatus !== NDIS_STATUS_SUCCESS) {
      this.ndis.closeAdapter();
      this.driver.bindings.delete(this.adapterName);
      return this.bindStatus;
    }
    this.pool = this.ndis.allocateNetBufferListPool({ name: `${this.ndis.name}:tx`, capacity: 64, dataSize: SLOT });
    const pf = this.driver.options.packetFilter ?? NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
    if (pf !== 0) {
      const status = this.ndis.oidRequest(NdisOidRequest.set(packetFilterCodec, pf));
      if (status !== NDIS_STATUS_SUCCESS) throw new Error(`test binding: packet filter set returned 0x${status.toString(16)}`);
    }
    if (this.bindMode === 'pend') {
      setImmediate(() => this.ndis.bindAdapterComplete(NDIS_STATUS_SUCCESS));
      return NDIS_STATUS_PENDING;
    }
    if (this.bindMode === 'early') {
      this.ndis.bindAdapterComplete(NDIS_STATUS_SUCCESS);
      return NDIS_STATUS_PENDING;
    }
    return NDIS_STATUS_SUCCESS;
  }

  unbindAdapter(_params: UnbindParameters): NdisStatus {
    this.log('unbind');
    this.returnHeld();
    if (this.pool !== null && this.freeOnUnbind) this.ndis.freeNetBufferListPool(this.pool);
    this.pool = null;
    this.ndis.closeAdapter();
    this.driver.bindings.delete(this.adapterName);
    return NDIS_STATUS_SUCCESS;
  }

  netPnPEvent(event: NetPnPEvent): NdisStatus {
    this.pnpEvents.push(event.netEvent);
    if (event.netEvent === NetEventPause) {
      this.log('pause');
      this.running = false;
      if (this.returnOnPause) this.returnHeld();
      if (this.pauseMode === 'pend' || this.sendsOutstanding > 0) {
        this.pausePending = true;
        return NDIS_STATUS_PENDING;
      }
      return NDIS_STATUS_SUCCESS;
    }
    if (event.netEvent === NetEventRestart) {
      this.log('restart');
      if (this.restartStatus === NDIS_STATUS_SUCCESS) this.running = true;
      return this.restartStatus;
    }
    return NDIS_STATUS_SUCCESS;
  }

  completePause(): void {
    this.pausePending = false;
    this.ndis.netPnPEventComplete(NDIS_STATUS_SUCCESS);
  }

  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    this.oidDone.set(request, status);
    this.driver.oidWaiters.get(request)?.(status);
    this.driver.oidWaiters.delete(request);
  }

  directOidRequestComplete(request: NdisOidRequest, status: NdisStatus): void {
    this.oidRequestComplete(request, status);
  }

  /** Issues a direct request; resolves with its final status. */
  directOid(request: NdisOidRequest): Promise<NdisStatus> {
    return new Promise((resolve) => {
      this.driver.oidWaiters.set(request, resolve);
      const status = this.ndis.directOidRequest(request);
      if (status !== NDIS_STATUS_PENDING) {
        this.driver.oidWaiters.delete(request);
        resolve(status);
      }
    });
  }

  /** Issues `request`; resolves with its final status (synchronous or completed later). */
  oid(request: NdisOidRequest): Promise<NdisStatus> {
    return new Promise((resolve) => {
      this.driver.oidWaiters.set(request, resolve);
      const status = this.ndis.oidRequest(request);
      if (status !== NDIS_STATUS_PENDING) {
        this.driver.oidWaiters.delete(request);
        resolve(status);
      }
    });
  }

  receiveNetBufferLists(nbls: NetBufferList, _portNumber: number, _count: number, receiveFlags: number): void {
    this.log('receive');
    const resources = (receiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) !== 0;
    for (let n: NetBufferList | null = nbls; n !== null; n = n.next) this.received.push({ bytes: bytesOf(n), flags: receiveFlags });
    if (resources) return; // copied above; the indicator keeps them
    if (this.holdReceives) {
      for (const n of nblArray(nbls)) this.held.push(n);
      return;
    }
    this.ndis.returnNetBufferLists(nbls, 0);
  }

  /** Returns every held receive (each on its own, as a reader would). */
  returnHeld(count = this.held.length): void {
    for (const n of this.held.splice(0, count)) {
      n.next = null;
      this.ndis.returnNetBufferLists(n, 0);
    }
  }

  sendNetBufferListsComplete(nbls: NetBufferList, _flags: number): void {
    this.log('sendComplete');
    for (const n of nblArray(nbls)) {
      n.next = null;
      this.completions.push({ nbl: n, status: n.status, bytes: bytesOf(n) });
      this.sendsOutstanding--;
      n.home.free(n);
    }
    if (this.pausePending && this.pauseMode === 'auto' && this.sendsOutstanding === 0) this.completePause();
  }

  /** Allocates one NBL per frame (SourceHandle set) without sending it. */
  allocate(frames: readonly Uint8Array[], cancelId = 0): NetBufferList[] {
    const list: NetBufferList[] = [];
    for (const f of frames) {
      const nbl = this.pool!.allocate();
      if (nbl === null) throw new Error('test binding: send pool empty');
      nbl.firstNetBuffer!.dataLength = f.length;
      nbl.firstNetBuffer!.copyIn(f, 0, f.length, 0);
      nbl.sourceHandle = this.ndis.sourceHandle;
      nbl.info.cancelId = cancelId;
      list.push(nbl);
    }
    return list;
  }

  /** Sends `frames` as one chain. */
  send(frames: readonly Uint8Array[], cancelId = 0): NetBufferList[] {
    const list = this.allocate(frames, cancelId);
    this.sendsOutstanding += list.length;
    this.ndis.sendNetBufferLists(chain(list)!, 0, 0);
    return list;
  }

  status(indication: NdisStatusIndication): void {
    this.log(`status:${indication.statusCode.toString(16)}`);
    this.statuses.push(indication);
  }
}

export class TestProtocolDriver {
  readonly characteristics: ProtocolDriverCharacteristics;
  readonly bindings = new Map<string, TestBinding>();
  last: TestBinding | null = null;
  readonly log: string[] | undefined;
  readonly tag: string;
  readonly oidWaiters = new Map<NdisOidRequest, (s: NdisStatus) => void>();

  constructor(readonly options: TestProtocolOptions = {}) {
    this.log = options.log;
    this.tag = options.name ?? 'test.protocol';
    const driver = this;
    const Base = options.bindingClass ?? TestBinding;
    class Binding extends Base {
      constructor(handle: ProtocolBindingHandle) {
        super(handle, driver);
      }
    }
    omitHandlers(Binding, options.omit ?? []);
    this.characteristics = {
      kind: 'protocol',
      name: options.name ?? 'test.protocol',
      ndisVersion: { major: 6, minor: 30 },
      mediumArray: [NdisMedium802_3],
      binding: Binding,
    };
  }

  binding(adapter = 'eth0'): TestBinding {
    const b = this.bindings.get(adapter);
    if (b === undefined) throw new Error(`${this.tag} is not bound to ${adapter}`);
    return b;
  }
}
