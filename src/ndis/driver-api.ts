/**
 * The contract between tsndis and a driver: characteristics (what a driver registers), handler
 * interfaces (what NDIS calls on a driver's adapter, filter module or binding object) and handles (the
 * only door a driver has into NDIS: the NdisM* / NdisF* / Ndis* calls as methods).
 *
 * Conventions, kept on every handler below:
 *   - Handler names are the NDIS names without the role prefix (MiniportPause → `pause`).
 *   - A handler that may pend returns NDIS_STATUS_PENDING and later calls the matching `…Complete` on its
 *     handle exactly once; any other return value is final and must not be followed by a completion.
 *   - Data-path handlers (send, receive, complete, return) run synchronously in "dispatch" context: no
 *     awaiting, no Promises; an NBL chain passed in is owned by the callee until it hands it on.
 *   - Optional filter handlers that are absent make the runtime bypass the module on that path.
 */
import type { NdisRssProcessorInfo } from './rss/processor-info.js';
import type { NdisBuiltinDropReason, NdisDropCounter, NdisDropSource, NdisDropSourceRegistration } from './drops.js';
import type { NetBufferList } from './buffers/net-buffer-list.js';
import type { NetBufferListPool, NetBufferListPoolParameters, NetBufferPool, NetBufferPoolParameters } from './buffers/pools.js';
import type { FilterClass } from './constants.js';
import type { NdisOidRequest } from './oid-request.js';
import type { NdisStatus } from './status.js';
import type { NdisOffload } from './offload.js';
import type { MiniportHdSplitAttributes, NdisHdSplitCurrentConfig } from './hd-split.js';
import type { NdisReceiveScaleCapabilities } from './rss/receive-scale.js';

// ---------------------------------------------------------------------------------------------------
// Common types

export interface NdisVersion {
  readonly major: number;
  readonly minor: number;
}

/** Values a configuration keyword can take (registry-like: INF `Ndi\params`). */
export type ConfigValue = string | number | boolean | readonly string[];

/** NdisReadConfiguration over the per-adapter / per-module / per-binding configuration document. */
export interface ConfigurationReader {
  /** The raw value, or undefined when the keyword is absent (the driver then uses its default). */
  read(keyword: string): ConfigValue | undefined;
  readInt(keyword: string, defaultValue: number, min?: number, max?: number): number;
  readString(keyword: string, defaultValue: string): string;
  readBoolean(keyword: string, defaultValue: boolean): boolean;
  /** All keywords, for inspection. */
  entries(): ReadonlyArray<readonly [string, ConfigValue]>;
}

/** INF-like declaration of a keyword a driver understands (validated by the config loader). */
export interface KeywordDefinition {
  readonly type: 'int' | 'enum' | 'edit' | 'boolean' | 'multi';
  readonly description: string;
  readonly default?: ConfigValue;
  readonly min?: number;
  readonly max?: number;
  /** For `enum`: allowed values. */
  readonly values?: readonly (string | number)[];
  /** A required keyword has no default; configuring an adapter without it is an error. */
  readonly required?: boolean;
  /**
   * A load-time check of what the type alone cannot tell (an address that does not parse, a file that is
   * not there). The config loader calls it with the value the driver will read (the configured one after
   * type checking, else the `default`), once per entry for a `multi`, and turns the returned text into a
   * ConfigError at the keyword's key path, so the mistake is reported before any adapter starts. Return
   * undefined when the value is fine. It must not start anything; the driver still checks at run time
   * for keywords given without a config file.
   */
  readonly check?: (value: ConfigValue, context: KeywordCheckContext) => string | undefined;
  /**
   * 'host': the keyword sets something the driver has once per host (a protocol's stack-wide
   * setting), not per binding or module; every binding of a host that gives it must give the same
   * value (the config loader checks). Default 'binding'.
   */
  readonly scope?: 'binding' | 'host';
  /**
   * 'lower': a keyword of an intermediate driver's virtual miniports whose value must differ among the
   * virtual miniports one binding of it creates over one lower adapter (tsndis.vlan's VlanID: two
   * virtual miniports of one VLAN on one adapter). The config loader checks.
   */
  readonly unique?: 'lower';
}

/** What a keyword check may know about the configuration around it. */
export interface KeywordCheckContext {
  /** Names of the in-process wires the configuration defines (`wires:`). */
  readonly wires: ReadonlySet<string>;
}

export type KeywordSchema = Readonly<Record<string, KeywordDefinition>>;

/** NDIS_TIMER: a timer whose callback runs in dispatch context on the runtime's clock. */
export interface NdisTimerObject {
  /** NdisSetTimerObject: due in `dueMs` ms, then every `periodMs` ms if > 0. Returns true if it was already queued. */
  set(dueMs: number, periodMs?: number): boolean;
  /** NdisCancelTimerObject: returns true if the timer was dequeued before it fired. */
  cancel(): boolean;
  /** NdisFreeTimerObject. */
  free(): void;
}

/** A deferred procedure: `queue()` runs the routine once on a later turn (queueing twice before it runs runs it once). */
export interface NdisDpc {
  queue(): boolean;
}

/** What every handle offers: resources whose lifetime the runtime tracks (and reclaims at teardown). */
export interface NdisHandleBase {
  /** Stable, human-readable path of the object, e.g. `hostA/eth0/tsndis.counters`. */
  readonly name: string;
  /** The runtime clock, in ms. */
  now(): number;
  /** NdisGetCurrentProcessorNumber: the processor this object's handlers run on (0 on a one-processor host). */
  readonly processorNumber: number;
  /** NdisGroupActiveProcessorCount: the processors of the stack this object is in (1 on a one-processor host). */
  readonly processorCount: number;
  /**
   * NdisGetRssProcessorInformation: the processors RSS may use on this object's adapter (its
   * `*RssBaseProcNumber` / `*MaxRssProcessors` window of the stack's processors); a fresh object per call.
   */
  rssProcessorInfo(): NdisRssProcessorInfo;
  allocateNetBufferListPool(params: NetBufferListPoolParameters): NetBufferListPool;
  freeNetBufferListPool(pool: NetBufferListPool): void;
  allocateNetBufferPool(params: NetBufferPoolParameters): NetBufferPool;
  freeNetBufferPool(pool: NetBufferPool): void;
  allocateTimer(callback: () => void): NdisTimerObject;
  /** NdisQueueIoWorkItem: `routine` runs later in passive context. */
  queueWorkItem(routine: () => void | Promise<void>): void;
  /** Diagnostic message tagged with the object's name. */
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /**
   * The drop counter of this object for `reason` (drops.ts), created on first use; the same counter for
   * the same reason. Take it once (initialize, attach, bind) and call `drop` on the data path.
   */
  dropCounter(reason: NdisBuiltinDropReason | (string & {})): NdisDropCounter;
  /** Offers drop counters the module keeps itself to the host's registry (drops.ts). */
  registerDropSource(source: NdisDropSource): NdisDropSourceRegistration;
}

/** NDIS_STATUS_INDICATION, with a typed StatusBuffer. */
export interface NdisStatusIndication {
  readonly statusCode: NdisStatus;
  readonly portNumber: number;
  /** Filled in by the runtime with the indicator's handle. */
  readonly sourceHandle: object | null;
  /** The RequestHandle of an OID this indication completes, else null (= every binding). */
  readonly destinationHandle: object | null;
  readonly requestId: number;
  readonly flags: number;
  readonly statusBuffer: unknown;
  readonly guid?: string;
}

export type NdisStatusIndicationInit = Pick<NdisStatusIndication, 'statusCode' | 'statusBuffer'> & Partial<NdisStatusIndication>;

/** NET_PNP_EVENT_NOTIFICATION. `buffer` is typed per `netEvent` (pause/restart parameters, power state …). */
export interface NetPnPEvent {
  readonly netEvent: number;
  readonly portNumber: number;
  readonly buffer: unknown;
}

/** NET_DEVICE_PNP_EVENT. */
export interface NetDevicePnPEvent {
  readonly devicePnPEvent: number;
  readonly portNumber: number;
  readonly informationBuffer: unknown;
}

// ---------------------------------------------------------------------------------------------------
// Attributes (NdisMSetMiniportAttributes)

export interface MiniportAdapterRegistrationAttributes {
  readonly attributeFlags?: number;
  /** 0 ⇒ NDIS default (2 s). */
  readonly checkForHangTimeInSeconds?: number;
  readonly interfaceType?: number;
}

export interface MiniportAdapterGeneralAttributes {
  readonly mediaType: number;
  readonly physicalMediumType: number;
  /** Largest frame payload excluding the link header (1500 for standard Ethernet). */
  readonly mtuSize: number;
  readonly maxXmitLinkSpeed: bigint;
  readonly xmitLinkSpeed: bigint;
  readonly maxRcvLinkSpeed: bigint;
  readonly rcvLinkSpeed: bigint;
  readonly mediaConnectState: number;
  readonly mediaDuplexState: number;
  readonly lookaheadSize: number;
  readonly macOptions: number;
  readonly supportedPacketFilters: number;
  readonly maxMulticastListSize: number;
  readonly macAddressLength: number;
  readonly permanentMacAddress: Uint8Array;
  readonly currentMacAddress: Uint8Array;
  readonly ifType: number;
  readonly ifConnectorPresent: boolean;
  readonly supportedStatistics: number;
  readonly supportedPauseFunctions: number;
  readonly autoNegotiationFlags: number;
  /** Bytes of backfill this adapter wants in front of every send (DataBackFillSize). */
  readonly dataBackFillSize: number;
  readonly contextBackFillSize: number;
  readonly supportedOidList: readonly number[];
  readonly vendorDescription?: string;
  readonly vendorId?: number;
  readonly vendorDriverVersion?: number;
  /**
   * RecvScaleCapabilities: present when the adapter offers RSS. NDIS answers
   * OID_GEN_RECEIVE_SCALE_CAPABILITIES from it, and protocols find it in their bind parameters.
   */
  readonly recvScaleCapabilities?: NdisReceiveScaleCapabilities;
}

/**
 * NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES (task offloads only; no chimney). NDIS keeps copies: it answers
 * OID_TCP_OFFLOAD_CURRENT_CONFIG from the current configuration (later changed by
 * NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG indications) and hands both to protocols in their bind parameters.
 */
export interface MiniportAdapterOffloadAttributes {
  /** DefaultOffloadConfiguration: what is enabled when the adapter starts. */
  readonly defaultOffloadConfiguration: NdisOffload;
  /** HardwareOffloadCapabilities: everything the adapter can do (a superset of the default). */
  readonly hardwareOffloadCapabilities: NdisOffload;
}

// ---------------------------------------------------------------------------------------------------
// Miniport drivers

export interface MiniportInitParameters {
  readonly adapterName: string;
  readonly ifIndex: number;
  readonly netLuid: bigint;
  readonly keywords: ConfigurationReader;
  /** For an intermediate driver's virtual miniport: what NdisIMInitializeDeviceInstanceEx was given. */
  readonly imDeviceContext: unknown;
}

export interface MiniportPauseParameters {
  /** NDIS_PAUSE_* bits. */
  readonly pauseReason: number;
}

export interface MiniportRestartParameters {
  readonly restartAttributes: Readonly<Record<string, unknown>>;
}

/**
 * What a replica of a multi-processor adapter starts from (MiniportAdapter.initializeReplica): which
 * adapter, which processor, the keywords and the state the primary last published (null before any).
 */
export interface MiniportReplicaParameters {
  readonly adapterName: string;
  readonly ifIndex: number;
  readonly processorNumber: number;
  readonly processorCount: number;
  readonly keywords: ConfigurationReader;
  readonly published: unknown;
}

/**
 * Where a worker thread finds the driver again (multi-processor drivers): the module URL and the name of
 * the export holding its characteristics. Its presence is the driver's opt-in to running replicas.
 */
export interface MultiProcessorSupport {
  readonly module: string;
  readonly export: string;
}

/** Handlers NDIS calls on a miniport adapter (one object per adapter; MiniportAdapterContext). */
export interface MiniportAdapter {
  /** MiniportInitializeEx (synchronous). Must call `setRegistrationAttributes` then `setGeneralAttributes` before returning SUCCESS. */
  initialize(params: MiniportInitParameters): NdisStatus;
  /** MiniportHaltEx (synchronous, from Paused, nothing outstanding): release everything. */
  halt(haltAction: number): void;
  /** MiniportShutdownEx: quiesce; no waits. */
  shutdown(shutdownAction: number): void;
  /** MiniportPause: may pend (→ pauseComplete); cannot fail. Complete outstanding sends; wait for returns. */
  pause(params: MiniportPauseParameters): NdisStatus;
  /** MiniportRestart: may pend (→ restartComplete). */
  restart(params: MiniportRestartParameters): NdisStatus;
  /** MiniportSendNetBufferLists: owns `nbls` until sendNetBufferListsComplete. Paused ⇒ complete with NDIS_STATUS_PAUSED. */
  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void;
  /** MiniportReturnNetBufferLists: NBLs this adapter indicated come back. */
  returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void;
  /** MiniportCancelSend: complete queued NBLs with this cancel id with NDIS_STATUS_SEND_ABORTED. */
  cancelSend(cancelId: number): void;
  /** MiniportDevicePnPEventNotify (surprise removal, power profile …). */
  devicePnPEventNotify(event: NetDevicePnPEvent): void;
  /** MiniportOidRequest: may pend (→ oidRequestComplete). Serialized: one at a time per adapter. */
  oidRequest(request: NdisOidRequest): NdisStatus;
  /** MiniportCancelOidRequest: complete the matching pending request with NDIS_STATUS_REQUEST_ABORTED. */
  cancelOidRequest(requestId: number): void;
  /** MiniportCheckForHangEx (optional; not for virtual/IM miniports). True ⇒ NDIS resets the adapter. */
  checkForHang?(): boolean;
  /** MiniportResetEx (required with checkForHang). May pend (→ resetComplete). Set `out.addressingReset` to have NDIS restore filters/addresses. */
  reset?(out: { addressingReset: boolean }): NdisStatus;
  /** MiniportDirectOidRequest (optional, with cancelDirectOidRequest): not serialized. */
  directOidRequest?(request: NdisOidRequest): NdisStatus;
  cancelDirectOidRequest?(requestId: number): void;
  /**
   * The adapter's frame statistics (the OID_GEN_STATISTICS counters as plain numbers), read by the
   * inspector (optional; control plane only). Device-specific counters go in an `inspect()` method.
   */
  statistics?(): Readonly<Record<string, number>>;
  /**
   * Multi-processor drivers (characteristics `multiProcessor`): the object of processor k ≥ 1, made with
   * the same class, starts here instead of `initialize`. It gets the data path of its processor (its
   * DPCs, indications, returns), pause/restart/halt, and `published`; never OIDs or PnP.
   */
  initializeReplica?(params: MiniportReplicaParameters): NdisStatus;
  /** A replica: the primary called `publish(state)` (a structured clone of it). */
  published?(state: unknown): void;
}

/** NdisM* calls available to a miniport adapter. */
export interface MiniportAdapterHandle extends NdisHandleBase {
  readonly state: string;
  setRegistrationAttributes(attributes: MiniportAdapterRegistrationAttributes): NdisStatus;
  setGeneralAttributes(attributes: MiniportAdapterGeneralAttributes): NdisStatus;
  /** NdisMSetMiniportAttributes with NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES: only during `initialize`, after the general attributes. */
  setOffloadAttributes(attributes: MiniportAdapterOffloadAttributes): NdisStatus;
  /**
   * NdisMSetMiniportAttributes with NDIS_HD_SPLIT_ATTRIBUTES: only during `initialize`, after the general
   * attributes. NDIS writes its choices into the outputs (hdSplitFlags, backfillSize, maxHeaderSize).
   */
  setHdSplitAttributes(attributes: MiniportHdSplitAttributes): NdisStatus;
  /** NdisMIndicateReceiveNetBufferLists. With NDIS_RECEIVE_FLAGS_RESOURCES ownership returns when this call returns. */
  indicateReceiveNetBufferLists(nbls: NetBufferList, portNumber: number, numberOfNetBufferLists: number, receiveFlags: number): void;
  /** NdisMSendNetBufferListsComplete: status per NBL in `nbl.status`. */
  sendNetBufferListsComplete(nbls: NetBufferList, sendCompleteFlags: number): void;
  /** NdisMIndicateStatusEx. */
  indicateStatus(indication: NdisStatusIndicationInit): void;
  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void;
  directOidRequestComplete(request: NdisOidRequest, status: NdisStatus): void;
  /** NdisMPauseComplete. */
  pauseComplete(): void;
  /** NdisMRestartComplete. */
  restartComplete(status: NdisStatus): void;
  /** NdisMResetComplete. */
  resetComplete(status: NdisStatus, addressingReset: boolean): void;
  /** A DPC bound to this adapter (the interrupt-DPC analogue): the routine runs in dispatch context. */
  allocateDpc(routine: () => void): NdisDpc;
  /** NdisMRemoveMiniport-like: the device is gone (surprise removal reported by the driver itself). */
  reportSurpriseRemoval(reason: string): void;
  /**
   * NdisMNetPnPEvent: raises a network PnP event (port activation/deactivation …) to the filters and
   * protocols above. Never from inside OID request handling (NdisMNetPnPEventInOIDRequest).
   */
  netPnPEvent(event: NetPnPEvent): NdisStatus;
  /**
   * Multi-processor adapters: sends `state` (structured-cloned) to every replica's `published`, on the
   * replica's processor. Only the primary (processor 0) publishes.
   */
  publish?(state: unknown): void;
  /**
   * NdisRegisterPoll-like, for multi-processor adapters: the processor this handle runs on polls
   * `source` in its loop (between DPC batches) whenever `pending()` says a poll would make progress.
   * Null when the host has no processor set (one processor: use a DPC). Remove it at halt.
   */
  registerPoll?(source: NdisPollSource): NdisPollRegistration | null;
}

/** A receive source a processor polls (registerPoll): the queue of a multi-queue miniport. */
export interface NdisPollSource {
  /** Whether `poll` would make progress now; asked before the processor sleeps, so it must be cheap and true only when so. */
  pending(): boolean;
  /** Does a bounded amount of work (indicates what is ready); returns how much. */
  poll(): number;
}

export interface NdisPollRegistration {
  /** Stops the polling (NdisDeregisterPoll). */
  remove(): void;
  /**
   * NdisRequestPoll-like: processor `processor`'s sources may have work now (a frame published into a
   * ring its queue polls, a generation it waits on drained). A processor on a thread of its own may be
   * asleep and only looks again when asked; on the simulated set this does nothing.
   */
  requestPoll(processor: number): void;
}

export interface MiniportDriverCharacteristics {
  readonly kind: 'miniport';
  /** Service name; unique per runtime (e.g. 'tsndis.virtual-wire'). */
  readonly name: string;
  readonly ndisVersion: NdisVersion;
  readonly driverVersion?: NdisVersion;
  readonly description?: string;
  /** NDIS_INTERMEDIATE_DRIVER for an IM driver's upper edge (set by the runtime for intermediate drivers). */
  readonly flags?: number;
  /** NDIS_MEDIUM presented upward (INF UpperRange), known before any adapter starts so configs can be checked. */
  readonly medium: number;
  readonly keywords?: KeywordSchema;
  readonly adapter: new (handle: MiniportAdapterHandle) => MiniportAdapter;
  /**
   * Opt-in to multi-processor operation: on a host with several processors each adapter gets a replica
   * per processor (`initializeReplica`), whose receive indications run on that processor. Without it the
   * adapter runs on processor 0 only, as on a one-processor host.
   */
  readonly multiProcessor?: MultiProcessorSupport;
  /** MiniportDriverUnload: after every adapter halted. */
  unload?(): void;
}

// ---------------------------------------------------------------------------------------------------
// Filter drivers

export interface FilterAttachParameters {
  readonly moduleName: string;
  readonly ifIndex: number;
  readonly netLuid: bigint;
  readonly lowerIfIndex: number;
  readonly baseMiniportName: string;
  readonly baseMiniportIfIndex: number;
  readonly miniportMediaType: number;
  readonly generalAttributes: Readonly<MiniportAdapterGeneralAttributes>;
  readonly keywords: ConfigurationReader;
  /**
   * tsndis: for a module of a monitoring filter, the point of the stack it sits directly above —
   * 'miniport' or the name of a modifying filter driver (a monitoring filter gets one module per point,
   * possibly with other monitoring modules in between); null for a modifying filter.
   */
  readonly monitoringPoint: string | null;
}

export interface FilterPauseParameters {
  readonly pauseReason: number;
}

export interface FilterRestartParameters {
  /** The attributes going up the stack; a filter may edit them before they reach modules above it. */
  readonly restartAttributes: Record<string, unknown>;
}

/** Handlers NDIS calls on a filter module (one object per (filter driver, adapter); FilterModuleContext). */
export interface FilterModule {
  /** FilterAttach (synchronous): SUCCESS or a failure that leaves the module Detached. */
  attach(params: FilterAttachParameters): NdisStatus;
  /** FilterDetach (synchronous, from Paused, nothing outstanding). */
  detach(): void;
  /** FilterPause: may pend (→ pauseComplete); cannot fail; wait for everything this module originated. */
  pause(params: FilterPauseParameters): NdisStatus;
  /** FilterRestart: may pend (→ restartComplete). */
  restart(params: FilterRestartParameters): NdisStatus;
  sendNetBufferLists?(nbls: NetBufferList, portNumber: number, sendFlags: number): void;
  sendNetBufferListsComplete?(nbls: NetBufferList, sendCompleteFlags: number): void;
  cancelSendNetBufferLists?(cancelId: number): void;
  receiveNetBufferLists?(nbls: NetBufferList, portNumber: number, numberOfNetBufferLists: number, receiveFlags: number): void;
  returnNetBufferLists?(nbls: NetBufferList, returnFlags: number): void;
  oidRequest?(request: NdisOidRequest): NdisStatus;
  oidRequestComplete?(request: NdisOidRequest, status: NdisStatus): void;
  cancelOidRequest?(requestId: number): void;
  directOidRequest?(request: NdisOidRequest): NdisStatus;
  directOidRequestComplete?(request: NdisOidRequest, status: NdisStatus): void;
  cancelDirectOidRequest?(requestId: number): void;
  /** FilterStatus: forward with handle.indicateStatus unless deliberately consumed. */
  status?(indication: NdisStatusIndication): void;
  /** FilterNetPnPEvent: forward with handle.netPnPEvent and return its status. */
  netPnPEvent?(event: NetPnPEvent): NdisStatus;
  /** FilterDevicePnPEventNotify: forward with handle.devicePnPEventNotify. */
  devicePnPEventNotify?(event: NetDevicePnPEvent): void;
}

/** NdisF* calls available to a filter module. */
export interface FilterModuleHandle extends NdisHandleBase {
  readonly state: string;
  /** NdisFSendNetBufferLists: down towards the miniport. */
  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void;
  /** NdisFSendNetBufferListsComplete: up towards the originator. */
  sendNetBufferListsComplete(nbls: NetBufferList, sendCompleteFlags: number): void;
  /** NdisFIndicateReceiveNetBufferLists: up towards the protocols. */
  indicateReceiveNetBufferLists(nbls: NetBufferList, portNumber: number, numberOfNetBufferLists: number, receiveFlags: number): void;
  /** NdisFReturnNetBufferLists: down towards the indicator. */
  returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void;
  cancelSendNetBufferLists(cancelId: number): void;
  /** NdisFOidRequest: forward (usually a clone) down; returns the lower layer's status or PENDING. */
  oidRequest(request: NdisOidRequest): NdisStatus;
  /** NdisFOidRequestComplete: complete a request received in oidRequest that this module pended. */
  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void;
  cancelOidRequest(requestId: number): void;
  directOidRequest(request: NdisOidRequest): NdisStatus;
  directOidRequestComplete(request: NdisOidRequest, status: NdisStatus): void;
  /** NdisFIndicateStatus: up. */
  indicateStatus(indication: NdisStatusIndicationInit): void;
  /** NdisFNetPnPEvent: forward a PnP event up. */
  netPnPEvent(event: NetPnPEvent): NdisStatus;
  /** NdisFDevicePnPEventNotify: forward a device event down. */
  devicePnPEventNotify(event: NetDevicePnPEvent): void;
  pauseComplete(): void;
  restartComplete(status: NdisStatus): void;
  /** NdisFRestartFilter: ask for a pause + restart of this module. */
  restartFilter(): void;
}

export type FilterType = 'monitoring' | 'modifying';
export type FilterRunType = 'mandatory' | 'optional';

export interface FilterDriverCharacteristics {
  readonly kind: 'filter';
  /** Service name; unique per runtime. */
  readonly name: string;
  readonly friendlyName?: string;
  /** NetCfgInstanceId-like unique name (defaults to `name`). */
  readonly uniqueName?: string;
  readonly ndisVersion: NdisVersion;
  readonly driverVersion?: NdisVersion;
  readonly description?: string;
  readonly filterType: FilterType;
  readonly runType: FilterRunType;
  /** Ordering of modifying filters (FilterClass); ignored for monitoring filters. */
  readonly filterClass: FilterClass;
  /** NDIS_MEDIUM values of lower edges this filter attaches to (FilterMediaTypes). */
  readonly mediaTypes: readonly number[];
  readonly keywords?: KeywordSchema;
  /** The filter takes header-data split receive NBLs; without it NDIS makes them contiguous first (§5.3). */
  readonly headerDataSplit?: boolean;
  readonly module: new (handle: FilterModuleHandle) => FilterModule;
}

// ---------------------------------------------------------------------------------------------------
// Protocol drivers

export interface BindParameters {
  readonly adapterName: string;
  readonly ifIndex: number;
  readonly netLuid: bigint;
  readonly mediaType: number;
  readonly generalAttributes: Readonly<MiniportAdapterGeneralAttributes>;
  /** DefaultOffloadConfiguration: the task offloads the adapter performs now (follow changes through NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG). */
  readonly defaultOffloadConfiguration: Readonly<NdisOffload>;
  /** HardwareOffloadCapabilities: everything the adapter could be configured to do. */
  readonly hardwareOffloadCapabilities: Readonly<NdisOffload>;
  /** HDSplitCurrentConfig: null (or absent) when the adapter does no header-data split. */
  readonly hdSplitCurrentConfig?: Readonly<NdisHdSplitCurrentConfig> | null;
  /** Per-binding configuration (e.g. an intermediate driver's UpperBindings). */
  readonly keywords: ConfigurationReader;
}

export interface UnbindParameters {
  readonly reason: string;
}

/** Handlers NDIS calls on a protocol binding (ProtocolBindingContext). */
export interface ProtocolBinding {
  /** ProtocolBindAdapterEx: call handle.openAdapter; may pend (→ bindAdapterComplete). */
  bindAdapter(params: BindParameters): NdisStatus;
  /** ProtocolUnbindAdapterEx: call handle.closeAdapter; may pend (→ unbindAdapterComplete). */
  unbindAdapter(params: UnbindParameters): NdisStatus;
  /** ProtocolNetPnPEvent (pause, restart, power, …): may pend (→ netPnPEventComplete). */
  netPnPEvent(event: NetPnPEvent): NdisStatus;
  /** ProtocolOidRequestComplete: only for requests that returned PENDING. */
  oidRequestComplete(request: NdisOidRequest, status: NdisStatus): void;
  /** ProtocolReceiveNetBufferLists: return later with handle.returnNetBufferLists unless RESOURCES is set. */
  receiveNetBufferLists(nbls: NetBufferList, portNumber: number, numberOfNetBufferLists: number, receiveFlags: number): void;
  /** ProtocolSendNetBufferListsComplete: the NBLs this binding sent, with per-NBL status. */
  sendNetBufferListsComplete(nbls: NetBufferList, sendCompleteFlags: number): void;
  /** ProtocolStatusEx (optional). */
  status?(indication: NdisStatusIndication): void;
  directOidRequestComplete?(request: NdisOidRequest, status: NdisStatus): void;
  /** ProtocolOpenAdapterCompleteEx / ProtocolCloseAdapterCompleteEx: tsndis completes opens and closes synchronously, so these are optional. */
  openAdapterComplete?(status: NdisStatus): void;
  closeAdapterComplete?(): void;
}

export interface OpenAdapterResult {
  readonly status: NdisStatus;
  readonly selectedMediumIndex: number;
}

/** Ndis* calls available to a protocol binding (NdisBindingHandle). */
export interface ProtocolBindingHandle extends NdisHandleBase {
  readonly state: string;
  /** NdisOpenAdapterEx: matches `mediumArray` against the adapter's medium (UNSUPPORTED_MEDIA if none). */
  openAdapter(mediumArray: readonly number[]): OpenAdapterResult;
  /** NdisCloseAdapterEx. */
  closeAdapter(): NdisStatus;
  bindAdapterComplete(status: NdisStatus): void;
  unbindAdapterComplete(): void;
  netPnPEventComplete(status: NdisStatus): void;
  /** NdisSendNetBufferLists: set `nbl.sourceHandle` is done for you; ownership moves down. */
  sendNetBufferLists(nbls: NetBufferList, portNumber: number, sendFlags: number): void;
  /** NdisReturnNetBufferLists. */
  returnNetBufferLists(nbls: NetBufferList, returnFlags: number): void;
  cancelSendNetBufferLists(cancelId: number): void;
  /** NdisGeneratePartialCancelId: the high byte to OR into cancel ids. */
  generatePartialCancelId(): number;
  oidRequest(request: NdisOidRequest): NdisStatus;
  cancelOidRequest(requestId: number): void;
  directOidRequest(request: NdisOidRequest): NdisStatus;
  /** NdisUnbindAdapter: ask NDIS to unbind this binding (asynchronously). */
  unbindAdapter(): void;
  /** The NDIS handle to put in `sourceHandle` of NBLs this binding originates. */
  readonly sourceHandle: object;
  /** For intermediate drivers: NdisIMInitializeDeviceInstanceEx (the virtual miniport starts asynchronously). */
  initializeDeviceInstance(instanceName: string, deviceContext: unknown): NdisStatus;
  /** NdisIMDeInitializeDeviceInstance. */
  deInitializeDeviceInstance(instanceName: string): NdisStatus;
}

export interface ProtocolDriverCharacteristics {
  readonly kind: 'protocol';
  readonly name: string;
  readonly ndisVersion: NdisVersion;
  readonly driverVersion?: NdisVersion;
  readonly description?: string;
  /** NDIS_MEDIUM values this protocol binds to (MediumArray / INF LowerRange). */
  readonly mediumArray: readonly number[];
  readonly keywords?: KeywordSchema;
  /**
   * The protocol takes header-data split receive NBLs (header MDL + data MDLs, offload digest §5). A
   * protocol without it never sees one: NDIS makes split frames contiguous before they reach it.
   */
  readonly headerDataSplit?: boolean;
  readonly binding: new (handle: ProtocolBindingHandle) => ProtocolBinding;
}

// ---------------------------------------------------------------------------------------------------
// Intermediate drivers: a miniport upper edge and a protocol lower edge in one driver.

export interface IntermediateDriverCharacteristics {
  readonly kind: 'intermediate';
  readonly name: string;
  readonly ndisVersion: NdisVersion;
  readonly driverVersion?: NdisVersion;
  readonly description?: string;
  /** Upper edge: the virtual miniports (NDIS_INTERMEDIATE_DRIVER is implied). */
  readonly miniport: Omit<MiniportDriverCharacteristics, 'kind' | 'name' | 'ndisVersion'>;
  /** Lower edge: bindings to the underlying adapters. */
  readonly protocol: Omit<ProtocolDriverCharacteristics, 'kind' | 'name' | 'ndisVersion'>;
  /**
   * 'many' for a teaming driver (LBFO): one instance binds to several lower adapters (its members) that
   * all feed the same virtual miniports, and the config's `lower` may be a list. Default 'one'.
   */
  readonly lowerAdapters?: 'one' | 'many';
}

export type DriverCharacteristics =
  | MiniportDriverCharacteristics
  | FilterDriverCharacteristics
  | ProtocolDriverCharacteristics
  | IntermediateDriverCharacteristics;
