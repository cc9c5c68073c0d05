/**
 * NdisRuntime: one "host" running NDIS. It registers drivers, builds and changes adapter stacks
 * (miniport ← filter modules ← protocol bindings, intermediate drivers in between), drives every PnP
 * sequence (initialize, pause top-down, restart bottom-up, attach/detach, bind/unbind, reset, surprise
 * removal, halt) and owns the verifier, the scheduler and the buffer allocator.
 *
 * Control-plane operations on one adapter stack are serialized (NDIS never runs two PnP operations on a
 * miniport at once); each is an async function because driver handlers may pend. The data path never
 * touches this class: it runs block to block through resolved edges.
 */
import { BufferAllocator, type BufferAllocatorOptions } from '../../ndis/buffers/allocator.js';
import { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import type { NetBufferListPool, NetBufferPool, PoolFreeError, PoolObserver } from '../../ndis/buffers/pools.js';
import {
  NDIS_PAUSE_ATTACH_FILTER,
  NDIS_PAUSE_BIND_PROTOCOL,
  NDIS_PAUSE_DETACH_FILTER,
  NDIS_PAUSE_FILTER_RESTART_STACK,
  NDIS_PAUSE_MINIPORT_DEVICE_REMOVE,
  NDIS_PAUSE_NDIS_INTERNAL,
  NDIS_PAUSE_UNBIND_PROTOCOL,
  NdisDevicePnPEventSurpriseRemoved,
  NdisHaltDeviceDisabled,
  NdisHaltDeviceSurpriseRemoved,
} from '../../ndis/constants.js';
import type { ConfigValue, DriverCharacteristics, NetDevicePnPEvent, NetPnPEvent } from '../../ndis/driver-api.js';
import type { NdisOidRequest } from '../../ndis/oid-request.js';
import {
  NDIS_STATUS_ADAPTER_REMOVED,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_NOT_RESETTABLE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_RESET_END,
  NDIS_STATUS_RESET_START,
  NDIS_STATUS_SUCCESS,
  type NdisStatus,
  statusName,
} from '../../ndis/status.js';
import { RuntimeOperationError } from '../../errors.js';
import { ManualScheduler, RealScheduler, type Scheduler } from '../time/scheduler.js';
import { DEFAULT_NBL_HISTORY_DEPTH, NblHistory, type NblHistoryEvent } from '../verifier/nbl-history.js';
import { Verifier, type VerifierOptions } from '../verifier/verifier.js';
import type { NdisBlock } from './block.js';
import { Configuration } from './configuration.js';
import type { RuntimeContext } from './context.js';
import { FilterBlock, type FilterServices } from './filter-block.js';
import { MiniportBlock } from './miniport-block.js';
import { OpenBlock, adoptMergedRequest, mergedRequest, type BindingServices } from './open-block.js';
import { desiredModules, type InstalledFilter } from './filter-order.js';
import { reclaimOwnedBy, reclaimResources, teardownChecks } from './reclaim.js';
import { scanTimedRules } from './timed-rules.js';
import { submitOid } from './oid-routing.js';
import { validateDriver, type RegisteredDriver } from './registry.js';
import { NdisOidRequest as OidRequest } from '../../ndis/oid-request.js';
import { DEFAULT_LOG_LIMIT, LogRateLimiter, type LogCounters, type LogLevel, type LogLimit, type Logger } from './log-limit.js';
import { OID_802_3_MULTICAST_LIST, OID_GEN_CURRENT_LOOKAHEAD, OID_GEN_CURRENT_PACKET_FILTER } from '../../ndis/oids.js';
import type { ProcessorSet } from '../processors/processor-set.js';
import { Lane } from '../processors/lane.js';
import { type CrossingEdge, type CrossingSpec, createCrossingEdge } from '../processors/crossing-edge.js';
import { BoundaryReturn, MiniportReplica } from '../processors/miniport-replica.js';
import { RemoteReplica } from '../processors/remote-replica.js';
import type { ThreadedProcessorSet } from '../processors/threaded.js';
import type { ReceiveSink } from './block.js';
import { DropRegistry } from './drops.js';

export type { LogLevel, Logger, LogLimit } from './log-limit.js';

export interface RuntimeOptions {
  /** Host name shown by the inspector and used as the prefix of every object name. */
  name?: string;
  /** Defaults to a RealScheduler; tests pass a ManualScheduler. */
  scheduler?: Scheduler;
  verifier?: VerifierOptions;
  /**
   * NBL history (core/verifier/nbl-history.ts): each NBL's recent events in a bounded ring, printed with
   * the verifier's violations about it. `true` keeps DEFAULT_NBL_HISTORY_DEPTH events per NBL, a number
   * that many. Off by default (nothing is recorded and the data path does not look); on in `forTest`.
   * Recorded on the verifier's checked handoffs, so it needs the verifier on.
   */
  nblHistory?: boolean | number;
  allocator?: BufferAllocatorOptions;
  logger?: Logger;
  /** Rate limit of the log path (log-limit.ts); default DEFAULT_LOG_LIMIT, `intervalMs: 0` turns it off. */
  logLimit?: LogLimit;
  /**
   * The processors the host runs on (a SimulatedProcessorSet in tests). The runtime then uses processor
   * 0's scheduler and gets a lane on every processor; without it the host is one processor, as before.
   * @internal Processor sets serve the package's own tests until lanes run on threads (issue 11).
   */
  processors?: ProcessorSet;
}

/** What the binding engine wants on an adapter when it appears (used for IM virtual miniports). */
export interface AdapterPolicy {
  /** A virtual miniport's own keywords (its MiniportInitParameters.keywords); ignored for other adapters. */
  keywords?: Record<string, ConfigValue>;
  filters: { driver: string; keywords?: Record<string, ConfigValue> }[];
  protocols: { driver: string; keywords?: Record<string, ConfigValue> }[];
}

export class NdisRuntime implements RuntimeContext, BindingServices, FilterServices {
  readonly name: string;
  readonly scheduler: Scheduler;
  readonly verifier: Verifier;
  readonly verifying: boolean;
  /** The NBL history recorder (null when off); read an NBL's history with `nblHistoryOf`. @internal */
  readonly nblHistory: NblHistory | null;
  readonly allocator: BufferAllocator;
  readonly pools = new Set<NetBufferListPool | NetBufferPool>();
  readonly poolObserver: PoolObserver;
  /** Drop reasons per module (drops.ts): `tsndis drops`, the inspector, the metrics and `capture --drops` read it. */
  readonly drops: DropRegistry;
  readonly drivers = new Map<string, RegisteredDriver>();
  readonly adapters = new Map<string, MiniportBlock>();
  /** Where IM virtual miniports and late adapters get their filters and protocols from. */
  adapterPolicy: (adapterName: string) => AdapterPolicy | undefined = () => undefined;
  logger: Logger;
  /**
   * The processor set the host runs on, or null for one processor.
   * @internal Processor sets serve the package's own tests until lanes run on threads (issue 11).
   */
  readonly processors: ProcessorSet | null;
  /** The runtime's blocks run on processor 0. */
  readonly processorNumber = 0;

  readonly #lanes: RuntimeContext[] = [this];
  readonly #edges: CrossingEdge[] = [];
  readonly #replicas = new Map<MiniportBlock, (MiniportReplica | RemoteReplica)[]>();
  readonly #published = new Map<MiniportBlock, unknown>();
  readonly #logLimiter: LogRateLimiter;
  readonly #blocks: (NdisBlock | undefined)[] = [undefined];
  readonly #installedFilters = new Map<MiniportBlock, InstalledFilter[]>();
  readonly #queues = new Map<MiniportBlock, Promise<unknown>>();
  #nextIfIndex = 1;
  #driverOrder = 0;
  #partialCancelId = 0;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  #scanTimer: ReturnType<Scheduler['createTimer']> | null = null;
  #closed = false;

  constructor(options: RuntimeOptions = {}) {
    this.name = options.name ?? 'host';
    this.processors = options.processors ?? null;
    if (this.processors !== null && options.scheduler !== undefined) throw new RangeError(`${this.name}: a runtime on a processor set uses processor 0's scheduler; pass no scheduler`);
    this.scheduler = this.processors?.processor(0).scheduler ?? options.scheduler ?? new RealScheduler();
    this.logger = options.logger ?? (() => {});
    this.#logLimiter = new LogRateLimiter(this.scheduler, options.logLimit ?? DEFAULT_LOG_LIMIT, (level, source, message) => this.logger(level, source, message));
    this.verifier = new Verifier(options.verifier, () => this.scheduler.now());
    this.verifying = this.verifier.enabled;
    const depth = options.nblHistory === true ? DEFAULT_NBL_HISTORY_DEPTH : options.nblHistory === false || options.nblHistory === undefined ? 0 : options.nblHistory;
    if (depth !== 0 && !this.verifying) throw new RangeError(`${this.name}: NBL history is recorded on the verifier's checked handoffs; turn the verifier on`);
    this.nblHistory = depth === 0 ? null : new NblHistory(depth, (id) => this.#blocks[id]?.name ?? `module #${id}`, () => this.scheduler.now());
    if (this.nblHistory !== null) {
      const history = this.nblHistory;
      this.verifier.historyOf = (nbl) => history.of(nbl);
    }
    this.allocator = new BufferAllocator(options.allocator);
    this.drops = new DropRegistry(this.name, () => this.scheduler.now());
    if (this.processors !== null) {
      const set = this.processors;
      set.onLog ??= (message) => this.log('warn', `${this.name}/processors`, message);
      for (let k = 1; k < set.count; k++) this.#lanes.push(new Lane(this, set.processor(k), new BufferAllocator(options.allocator)));
    }
    this.scheduler.onError = (e, where) => this.log('error', this.name, `${where} threw: ${e instanceof Error ? e.message : String(e)}`);
    this.poolObserver = {
      badFree: (pool, error: PoolFreeError, item) => {
        const rule = error === 'children-outstanding' ? 'NblChildrenOutstanding' : 'NblBadFree';
        const owner = [...this.#blocks].find((b) => b?.pools.has(pool));
        this.verifier.report(rule, owner?.name ?? pool.name, `free refused (${error}) for ${pool.name}#${item.slot}`, item instanceof NetBufferList ? item : undefined);
      },
    };
    if (this.verifying) {
      this.#scanTimer = this.scheduler.createTimer(() => scanTimedRules(this));
      this.scheduler.setTimer(this.#scanTimer, this.verifier.scanIntervalMs, this.verifier.scanIntervalMs);
    }
  }

  /** A runtime on a manual clock with the verifier on: the usual test setup. */
  static forTest(options: Omit<RuntimeOptions, 'scheduler'> = {}): NdisRuntime & { scheduler: ManualScheduler } {
    const nblHistory = options.nblHistory ?? options.verifier?.enabled !== false;
    return new NdisRuntime({ ...options, nblHistory, scheduler: new ManualScheduler() }) as NdisRuntime & { scheduler: ManualScheduler };
  }

  /** The recent events of `nbl`, oldest first (ndiskd's `!nbl -log`); null with history off or for a pool made outside the runtime. */
  nblHistoryOf(nbl: NetBufferList): NblHistoryEvent[] | null {
    return this.nblHistory === null ? null : this.nblHistory.of(nbl);
  }

  /**
   * The history of the NBL named `pool#slot` (as violations and the inspector name NBLs): null with
   * history off, undefined when this runtime has no such NBL.
   */
  nblHistoryByName(name: string): NblHistoryEvent[] | null | undefined {
    const hash = name.lastIndexOf('#');
    const poolName = name.slice(0, hash);
    const slot = Number(name.slice(hash + 1));
    const pool = hash < 0 ? undefined : [...this.pools].find((p) => p.name === poolName && 'protocolId' in p);
    if (pool === undefined || !Number.isInteger(slot) || slot < 0 || slot >= pool.capacity) return undefined;
    return this.nblHistory === null ? null : this.nblHistory.ofSlot(pool, slot);
  }

  // ---------------------------------------------------------------------------------------------
  // RuntimeContext

  /** @internal */
  registerBlock(block: NdisBlock): number {
    this.#blocks.push(block);
    return this.#blocks.length - 1;
  }

  /** @internal */
  blockById(id: number): NdisBlock | undefined {
    return this.#blocks[id];
  }

  /** Every log message of the runtime and its drivers, rate-limited (log-limit.ts) before the logger. */
  log(level: LogLevel, source: string, message: string): void {
    this.#logLimiter.log(level, source, message);
  }

  /** Messages logged and suppressed by the rate limit. */
  get logCounters(): Readonly<LogCounters> {
    return this.#logLimiter.counters;
  }

  // ---------------------------------------------------------------------------------------------
  // Processors

  /** Processors the host runs on (1 without a processor set). */
  get processorCount(): number {
    return this.#lanes.length;
  }

  /** The context of the host's blocks on processor `k` (lane 0 is the runtime itself). */
  lane(k: number): RuntimeContext {
    const lane = this.#lanes[k];
    if (lane === undefined) throw new RangeError(`${this.name}: no processor ${k} (the host has ${this.#lanes.length})`);
    return lane;
  }

  /**
   * A data-path edge from processor `spec.from` to `spec.to`: chains handed to `edge.home` on `from` are
   * delivered as shells to `spec.target` on `to`, and come back to `spec.back` on `from` when the shells
   * are returned or completed (crossing-edge.ts).
   * @internal Processor sets serve the package's own tests until lanes run on threads (issue 11).
   */
  createCrossingEdge(spec: CrossingSpec): CrossingEdge {
    if (this.processors === null) throw new RuntimeOperationError(`${this.name}: crossing edges need a processor set`);
    const edge = createCrossingEdge(this.processors, this.lane(spec.from), this.lane(spec.to), this.name, spec);
    this.#edges.push(edge);
    return edge;
  }

  /**
   * The crossing edges that exist (inspection).
   * @internal Processor sets serve the package's own tests until lanes run on threads (issue 11).
   */
  get crossingEdges(): readonly CrossingEdge[] {
    return this.#edges;
  }

  /**
   * Takes an edge down: what is still lent through it is given back (sends complete with
   * NDIS_STATUS_REQUEST_ABORTED), both ends leave their processors, the far end's shell pools go. Call it
   * with nothing in flight (the stacks on both ends paused): a shell still held on the far processor
   * would map memory its original's owner has taken back.
   * @internal Processor sets serve the package's own tests until lanes run on threads (issue 11).
   */
  removeCrossingEdge(edge: CrossingEdge): void {
    const i = this.#edges.indexOf(edge);
    if (i < 0 || this.processors === null) return;
    this.#edges.splice(i, 1);
    edge.home.reclaim('the crossing edge was removed');
    this.processors.processor(edge.from).homeEnds.delete(edge.id);
    this.processors.processor(edge.to).farEnds.delete(edge.id);
    if (edge.far.shellsOut > 0) this.log('warn', edge.far.name, `removed with ${edge.far.shellsOut} shell(s) still out; reclaimed`);
    reclaimResources(this.pools, edge.far);
  }

  /**
   * The replicas of a multi-processor adapter (processors 1 …; empty on one processor).
   * @internal Processor sets serve the package's own tests until lanes run on threads (issue 11).
   */
  replicasOf(adapterName: string): readonly (MiniportReplica | RemoteReplica)[] {
    return this.#replicas.get(this.adapter(adapterName)) ?? [];
  }

  /**
   * A multi-processor miniport gets one replica per further processor. Each replica's receives cross to
   * processor 0, where the primary's stack takes them (the processor boundary sits above the miniport
   * until filters and protocols run replicas too); their returns go back through the stack's bottom.
   */
  #createReplicas(mb: MiniportBlock): void {
    const target: ReceiveSink = {
      get id() {
        return mb.receiveEntry.id;
      },
      deliverReceive: (nbls, portNumber, count, flags) => mb.receiveEntry.deliverReceive(nbls, portNumber, count, flags),
    };
    const shortName = mb.name.slice(this.name.length + 1);
    if (mb.publishedEarly !== null) this.#published.set(mb, mb.publishedEarly);
    const replicas: (MiniportReplica | RemoteReplica)[] = [];
    // On worker threads a replica lives in its worker: processor 0 keeps a stand-in and the edge's far end.
    if (this.processors?.kind === 'threads') {
      for (let k = 1; k < this.processorCount; k++) replicas.push(new RemoteReplica(this, this.processors as ThreadedProcessorSet, mb, k, target, this.#published.get(mb) ?? null, `${shortName}.rx${k}`));
    }
    for (let k = 1; k < this.processorCount && this.processors?.kind !== 'threads'; k++) {
      const replica = new MiniportReplica(this.lane(k), `${mb.name}@${k}`, mb);
      const status = replica.initialize(this.#published.get(mb) ?? null);
      if (status !== NDIS_STATUS_SUCCESS) {
        this.log('error', replica.name, `initializeReplica failed with ${statusName(status)}; the adapter runs without processor ${k}`);
        reclaimResources(this.pools, replica);
        continue;
      }
      replica.edge = this.createCrossingEdge({ kind: 'receive', name: `${shortName}.rx${k}`, from: k, to: 0, target, back: replica });
      replicas.push(replica);
    }
    this.#replicas.set(mb, replicas);
    if (replicas.length > 0) mb.bottomReturn = new BoundaryReturn(mb, replicas.map((r) => r.edge!.far));
    mb.publisher = (state) => {
      this.#published.set(mb, structuredClone(state));
      for (const r of replicas) r.deliverPublished(structuredClone(state));
    };
  }

  #haltReplicas(mb: MiniportBlock, haltAction: number): void {
    const replicas = this.#replicas.get(mb);
    if (replicas === undefined) return;
    this.#replicas.delete(mb);
    this.#published.delete(mb);
    for (const r of replicas) {
      r.halt(haltAction);
      if (r instanceof RemoteReplica) reclaimResources(this.pools, r.far);
      else if (r.edge !== null) this.removeCrossingEdge(r.edge);
      teardownChecks(this.pools, r, 'halt');
    }
    mb.bottomReturn = mb;
    mb.publisher = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Registration

  /** Registers a driver (NdisM/NdisF/Ndis…Register…); throws RegistrationError listing every problem. */
  registerDriver(chars: DriverCharacteristics): RegisteredDriver {
    const reg = validateDriver(chars, this.drivers, this.#driverOrder++);
    this.drivers.set(reg.name, reg);
    return reg;
  }

  /** Deregisters a driver once nothing uses it. */
  async deregisterDriver(name: string): Promise<void> {
    const reg = this.#driver(name);
    for (const mb of [...this.adapters.values()]) {
      if (reg.kind === 'filter' && mb.filters.some((f) => f.driver === reg.chars)) await this.detachFilter(mb.name, name);
      if (reg.kind !== 'filter') {
        for (const b of mb.bindings.filter((x) => x.protocol.name === name)) await this.unbindProtocol(mb.name, b.protocol.name);
        if (mb.driver.name === name) await this.removeAdapter(mb.name);
      }
    }
    const chars = reg.kind === 'intermediate' ? reg.miniport : reg.kind === 'miniport' ? reg.chars : null;
    if (chars?.unload !== undefined) {
      try {
        chars.unload();
      } catch (e) {
        this.verifier.report('HandlerException', name, `unload threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.drivers.delete(name);
  }

  #driver(name: string): RegisteredDriver {
    const d = this.drivers.get(name);
    if (d === undefined) throw new RuntimeOperationError(`${this.name}: no driver named '${name}' is registered`);
    return d;
  }

  adapter(name: string): MiniportBlock {
    const mb = this.adapters.get(name) ?? this.adapters.get(`${this.name}/${name}`);
    if (mb === undefined) throw new RuntimeOperationError(`${this.name}: no adapter named '${name}'`);
    return mb;
  }

  // ---------------------------------------------------------------------------------------------
  // Serialization and idle tracking

  /** Runs `op` after every earlier operation on `mb`'s stack finished. */
  #serialized<T>(mb: MiniportBlock, op: () => Promise<T>): Promise<T> {
    const prev = this.#queues.get(mb) ?? Promise.resolve();
    this.#inFlight++;
    const run = prev.catch(() => undefined).then(op);
    const tail = run.finally(() => {
      if (this.#queues.get(mb) === tail) this.#queues.delete(mb);
      if (--this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
    });
    this.#queues.set(mb, tail.catch(() => undefined));
    return run;
  }

  /** Resolves once no control-plane operation is queued or running (e.g. after IM virtual miniports came up). */
  async whenIdle(): Promise<void> {
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      if (this.#inFlight === 0) return;
      await new Promise<void>((r) => this.#idleWaiters.push(r));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Adapters

  /**
   * Creates a miniport adapter and runs MiniportInitializeEx (Halted → Initializing → Paused).
   * The stack is not started: attach filters and bind protocols, then `startAdapter`.
   */
  async addAdapter(spec: { name: string; driver: string; keywords?: Record<string, ConfigValue> }): Promise<MiniportBlock> {
    if (this.#closed) throw new RuntimeOperationError(`${this.name}: runtime is shut down`);
    const reg = this.#driver(spec.driver);
    if (reg.kind !== 'miniport') throw new RuntimeOperationError(`driver '${spec.driver}' is a ${reg.kind} driver, not a miniport`);
    return this.#createAdapter(spec.name, reg.chars, new Configuration(spec.keywords ?? {}, reg.chars.keywords), null, null);
  }

  async #createAdapter(
    shortName: string,
    chars: RegisteredDriver extends never ? never : MiniportBlock['driver'],
    keywords: Configuration,
    imDeviceContext: unknown,
    imParent: OpenBlock | null,
  ): Promise<MiniportBlock> {
    const name = `${this.name}/${shortName}`;
    if (this.adapters.has(name)) throw new RuntimeOperationError(`${this.name}: an adapter named '${shortName}' already exists`);
    const mb = new MiniportBlock(this, name, chars, keywords, this.#nextIfIndex++, imDeviceContext, imParent);
    mb.pnpEventRaised = (event) => this.netPnPEventAbove(mb, 0, event);
    mb.surpriseRemovalRequested = (reason) => void this.surpriseRemove(name).catch((e: unknown) => this.log('error', name, `surprise removal after "${reason}" failed: ${String(e)}`));
    this.adapters.set(name, mb);
    this.#installedFilters.set(mb, []);
    await this.#serialized(mb, async () => {
      const status = this.#initialize(mb);
      if (status !== NDIS_STATUS_SUCCESS) {
        this.adapters.delete(name);
        this.#installedFilters.delete(mb);
        const why = mb.lastErrorLog === null ? '' : `: ${mb.lastErrorLog}`;
        throw new RuntimeOperationError(`adapter ${name}: MiniportInitializeEx failed with ${statusName(status)}${why}`);
      }
    });
    return mb;
  }

  #initialize(mb: MiniportBlock): NdisStatus {
    mb.sm.fire('initialize');
    try {
      mb.instance = new mb.driver.adapter(mb);
    } catch (e) {
      mb.handlerThrew('adapter constructor', e);
    }
    let status: NdisStatus = NDIS_STATUS_FAILURE;
    if (mb.instance !== null && !mb.failed) {
      status = mb.invoke(
        'initialize',
        () => mb.instance!.initialize({ adapterName: mb.name, ifIndex: mb.ifIndex, netLuid: mb.netLuid, keywords: mb.keywords, imDeviceContext: mb.imDeviceContext }),
        NDIS_STATUS_FAILURE,
      );
    }
    if (status === NDIS_STATUS_PENDING) {
      mb.report('IllegalStateTransition', 'MiniportInitializeEx returned PENDING (it must be synchronous)');
      status = NDIS_STATUS_FAILURE;
    }
    if (status === NDIS_STATUS_SUCCESS && mb.general === null) {
      mb.report('IllegalStateTransition', 'MiniportInitializeEx succeeded without setting general attributes');
      status = NDIS_STATUS_FAILURE;
    }
    if (status !== NDIS_STATUS_SUCCESS || mb.failed) {
      // No MiniportHaltEx after a failed initialization; reclaim what it allocated.
      mb.sm.fire('initializeFailed');
      mb.instance = null;
      reclaimResources(this.pools, mb);
      return status === NDIS_STATUS_SUCCESS ? NDIS_STATUS_FAILURE : status;
    }
    mb.sm.fire('initializeComplete');
    if (this.processorCount > 1 && mb.driver.multiProcessor !== undefined) this.#createReplicas(mb);
    mb.resolveEdges();
    return NDIS_STATUS_SUCCESS;
  }

  /** Restarts the adapter's whole stack (miniport, then filters bottom-up, then bindings). */
  async startAdapter(name: string): Promise<void> {
    const mb = this.adapter(name);
    return this.#serialized(mb, () => this.#restartStack(mb));
  }

  async pauseStack(name: string, reason = NDIS_PAUSE_NDIS_INTERNAL): Promise<void> {
    const mb = this.adapter(name);
    return this.#serialized(mb, () => this.#pauseStack(mb, reason));
  }

  async restartStack(name: string): Promise<void> {
    const mb = this.adapter(name);
    return this.#serialized(mb, () => this.#restartStack(mb));
  }

  /** Pause top-down: bindings, filter modules top to bottom, then the miniport. */
  async #pauseStack(mb: MiniportBlock, reason: number): Promise<void> {
    await Promise.all(mb.bindings.filter((b) => b.state === 'Running').map((b) => b.pause(reason)));
    for (let i = mb.filters.length - 1; i >= 0; i--) {
      const f = mb.filters[i]!;
      if (f.state === 'Running') await f.pause(reason);
    }
    if (mb.state === 'Running') await this.#pauseMiniport(mb, reason);
  }

  /** Restart bottom-up: the miniport, filter modules bottom to top, then bindings. */
  async #restartStack(mb: MiniportBlock): Promise<void> {
    if (mb.stackFailure !== null) throw new RuntimeOperationError(`adapter ${mb.name} cannot run: ${mb.stackFailure}`);
    mb.resolveEdges();
    if (mb.state === 'Paused') {
      const status = await this.#restartMiniport(mb);
      if (status !== NDIS_STATUS_SUCCESS) throw new RuntimeOperationError(`adapter ${mb.name}: MiniportRestart failed with ${statusName(status)}`);
    }
    const attributes: Record<string, unknown> = { mtuSize: mb.general?.mtuSize, currentMacAddress: mb.general?.currentMacAddress };
    for (const f of mb.filters) {
      if (f.state !== 'Paused') continue;
      const status = await f.restart(attributes);
      if (status !== NDIS_STATUS_SUCCESS) {
        if (f.driver.runType === 'mandatory') throw new RuntimeOperationError(`mandatory filter module ${f.name} failed to restart: ${statusName(status)}`);
        this.log('warn', f.name, `FilterRestart failed (${statusName(status)}); the module stays paused`);
      }
    }
    mb.resolveEdges();
    for (const b of mb.bindings) {
      if (b.state === 'Paused') {
        const status = await b.restart();
        if (status !== NDIS_STATUS_SUCCESS) this.log('warn', b.name, `restart failed (${statusName(status)}); the binding stays paused`);
      }
    }
    mb.top.refreshReceivers();
  }

  async #pauseMiniport(mb: MiniportBlock, reason: number): Promise<void> {
    mb.sm.fire('pause');
    this.#stopCheckForHang(mb);
    // Every processor quiesces its own data path; the adapter is paused when all of them are.
    const replicas = Promise.all((this.#replicas.get(mb) ?? []).map((r) => r.pause(reason)));
    if (mb.instance !== null && !mb.failed) {
      mb.pauseOp.begin();
      const returned = mb.invoke('pause', () => mb.instance!.pause({ pauseReason: reason }), NDIS_STATUS_SUCCESS);
      const { completedEarly } = await mb.pauseOp.settle(returned);
      if (completedEarly) mb.report('CompletionWithoutPending', 'pauseComplete called although pause returned a final status');
      if (mb.sendsOutstanding > 0 || mb.receivesOutstanding > 0) {
        mb.report('PrematurePauseComplete', `paused with ${mb.sendsOutstanding} send(s) not completed and ${mb.receivesOutstanding} receive(s) not returned`);
      }
    }
    await replicas;
    mb.sm.fire('pauseComplete');
  }

  async #restartMiniport(mb: MiniportBlock): Promise<NdisStatus> {
    mb.sm.fire('restart');
    let status: NdisStatus = NDIS_STATUS_SUCCESS;
    if (mb.instance !== null && !mb.failed) {
      mb.restartOp.begin();
      const returned = mb.invoke('restart', () => mb.instance!.restart({ restartAttributes: {} }), NDIS_STATUS_FAILURE);
      const r = await mb.restartOp.settle(returned);
      if (r.completedEarly) mb.report('CompletionWithoutPending', 'restartComplete called although restart returned a final status');
      status = r.status;
    }
    mb.sm.fire(status === NDIS_STATUS_SUCCESS ? 'restartComplete' : 'restartFailed');
    if (status === NDIS_STATUS_SUCCESS) {
      this.#startCheckForHang(mb);
      // Then every other processor's data path (the primary runs, and may indicate, meanwhile).
      const replicas = this.#replicas.get(mb) ?? [];
      const results = await Promise.all(replicas.map((r) => r.restart()));
      results.forEach((rs, i) => {
        if (rs !== NDIS_STATUS_SUCCESS) this.log('warn', replicas[i]!.name, `restart failed (${statusName(rs)}); processor ${replicas[i]!.processorNumber} stays paused`);
      });
    }
    return status;
  }

  /** Runs `change` with the stack paused (and restarts it after) if it was running. */
  async #withStackPaused(mb: MiniportBlock, reason: number, change: () => Promise<void>): Promise<void> {
    const wasRunning = mb.state === 'Running';
    if (wasRunning) await this.#pauseStack(mb, reason);
    try {
      await change();
    } finally {
      if (wasRunning && !mb.removing && mb.stackFailure === null) await this.#restartStack(mb);
      else mb.resolveEdges();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Filters

  /**
   * Attaches `driver`'s module(s) to the adapter, in stack order (modifying filters by FilterClass, a
   * monitoring filter directly above the miniport and above each modifying module). Pauses and restarts a
   * running stack around the change.
   */
  async attachFilter(adapterName: string, driverName: string, keywords: Record<string, ConfigValue> = {}): Promise<FilterBlock[]> {
    const mb = this.adapter(adapterName);
    const reg = this.#driver(driverName);
    if (reg.kind !== 'filter') throw new RuntimeOperationError(`driver '${driverName}' is a ${reg.kind} driver, not a filter`);
    const medium = mb.general?.mediaType ?? mb.driver.medium;
    if (!reg.chars.mediaTypes.includes(medium)) {
      throw new RuntimeOperationError(`filter '${driverName}' does not attach to medium ${medium} of adapter ${mb.name} (FilterMediaTypes ${reg.chars.mediaTypes.join(', ')})`);
    }
    return this.#serialized(mb, async () => {
      const installed = this.#installedFilters.get(mb)!;
      if (installed.some((x) => x.driver === reg.chars)) throw new RuntimeOperationError(`filter '${driverName}' is already attached to ${mb.name}`);
      installed.push({ driver: reg.chars, keywords, order: reg.order });
      const before = new Set(mb.filters);
      await this.#withStackPaused(mb, NDIS_PAUSE_ATTACH_FILTER, () => this.#reconcileFilters(mb));
      return mb.filters.filter((f) => !before.has(f));
    });
  }

  async detachFilter(adapterName: string, driverName: string): Promise<void> {
    const mb = this.adapter(adapterName);
    return this.#serialized(mb, async () => {
      const installed = this.#installedFilters.get(mb)!;
      const i = installed.findIndex((x) => x.driver.name === driverName);
      if (i < 0) throw new RuntimeOperationError(`filter '${driverName}' is not attached to ${mb.name}`);
      installed.splice(i, 1);
      await this.#withStackPaused(mb, NDIS_PAUSE_DETACH_FILTER, () => this.#reconcileFilters(mb));
    });
  }

  /** Makes the attached modules match the installed filters (detaching, attaching, reordering); stack paused. */
  async #reconcileFilters(mb: MiniportBlock): Promise<void> {
    const desired = desiredModules(this.#installedFilters.get(mb)!);
    const keyOf = (f: FilterBlock) => (f.driver.filterType === 'monitoring' ? `${f.driver.name}@${f.above}` : f.driver.name);
    const wanted = new Set(desired.map((d) => d.key));
    for (const f of [...mb.filters].reverse()) {
      if (!wanted.has(keyOf(f))) {
        f.detach();
        teardownChecks(this.pools, f, 'detach');
        mb.filters = mb.filters.filter((x) => x !== f);
      }
    }
    const current = new Map(mb.filters.map((f) => [keyOf(f), f]));
    const next: FilterBlock[] = [];
    for (const d of desired) {
      let f = current.get(d.key);
      if (f === undefined) {
        f = new FilterBlock(this, mb, d.filter.driver, new Configuration(d.filter.keywords, d.filter.driver.keywords), this, d.above || 'miniport');
        const g = mb.general!;
        const lower = next[next.length - 1];
        const status = f.attach({
          ifIndex: this.#nextIfIndex++,
          netLuid: BigInt(this.#nextIfIndex) << 24n,
          lowerIfIndex: lower === undefined ? mb.ifIndex : 0,
          baseMiniportName: mb.name,
          baseMiniportIfIndex: mb.ifIndex,
          miniportMediaType: g.mediaType,
          generalAttributes: g,
        });
        if (status !== NDIS_STATUS_SUCCESS) {
          teardownChecks(this.pools, f, 'failed attach');
          if (d.filter.driver.runType === 'mandatory') {
            // FilterRunType mandatory: the stack does not come up and protocols do not bind.
            mb.stackFailure = `mandatory filter '${d.filter.driver.name}' failed to attach (${statusName(status)})`;
            const installed = this.#installedFilters.get(mb)!;
            const i = installed.indexOf(d.filter);
            if (i >= 0) installed.splice(i, 1);
            // Modules attached so far stay in the stack (they are detached at removal).
            mb.filters = next.concat(mb.filters.filter((x) => !next.includes(x)));
            mb.resolveEdges();
            throw new RuntimeOperationError(`mandatory filter '${d.filter.driver.name}' failed to attach to ${mb.name} (${statusName(status)}); the stack cannot start`);
          }
          this.log('warn', mb.name, `optional filter '${d.filter.driver.name}' failed to attach (${statusName(status)}); the stack runs without it`);
          const installed = this.#installedFilters.get(mb)!;
          const i = installed.indexOf(d.filter);
          if (i >= 0) installed.splice(i, 1);
          continue;
        }
      }
      next.push(f);
    }
    mb.filters = next;
    mb.resolveEdges();
  }

  /** @internal */
  restartFilter(block: FilterBlock): void {
    void this.#serialized(block.mb, () => this.#withStackPaused(block.mb, NDIS_PAUSE_FILTER_RESTART_STACK, async () => {})).catch((e: unknown) =>
      this.log('error', block.name, `NdisFRestartFilter failed: ${String(e)}`),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Protocol bindings

  /** Binds `protocolName` to the adapter (ProtocolBindAdapterEx); restarts the stack if it was running. */
  async bindProtocol(adapterName: string, protocolName: string, keywords: Record<string, ConfigValue> = {}): Promise<OpenBlock> {
    const mb = this.adapter(adapterName);
    const reg = this.#driver(protocolName);
    if (reg.kind !== 'protocol' && reg.kind !== 'intermediate') throw new RuntimeOperationError(`driver '${protocolName}' is a ${reg.kind} driver, not a protocol`);
    const chars = reg.kind === 'protocol' ? reg.chars : reg.protocol;
    const medium = mb.general?.mediaType ?? mb.driver.medium;
    if (!chars.mediumArray.includes(medium)) {
      throw new RuntimeOperationError(`protocol '${protocolName}' does not bind to medium ${medium} of adapter ${mb.name}`);
    }
    return this.#serialized(mb, async () => {
      if (mb.bindings.some((b) => b.protocol.name === protocolName)) throw new RuntimeOperationError(`'${protocolName}' is already bound to ${mb.name}`);
      if (mb.removing) throw new RuntimeOperationError(`adapter ${mb.name} is being removed`);
      if (mb.stackFailure !== null) throw new RuntimeOperationError(`cannot bind '${protocolName}' to ${mb.name}: ${mb.stackFailure}`);
      const b = new OpenBlock(this, mb, chars, new Configuration(keywords, chars.keywords), this, reg.kind === 'intermediate' ? reg.name : null);
      let status: NdisStatus = NDIS_STATUS_FAILURE;
      await this.#withStackPaused(mb, NDIS_PAUSE_BIND_PROTOCOL, async () => {
        mb.bindings.push(b);
        status = await b.bind();
        if (status !== NDIS_STATUS_SUCCESS) {
          mb.bindings = mb.bindings.filter((x) => x !== b);
          teardownChecks(this.pools, b, 'failed bind');
        }
        mb.resolveEdges();
      });
      if (status !== NDIS_STATUS_SUCCESS) throw new RuntimeOperationError(`binding ${b.name} failed: ${statusName(status)}`);
      return b;
    });
  }

  async unbindProtocol(adapterName: string, protocolName: string): Promise<void> {
    const mb = this.adapter(adapterName);
    return this.#serialized(mb, async () => {
      const b = mb.bindings.find((x) => x.protocol.name === protocolName);
      if (b === undefined) throw new RuntimeOperationError(`'${protocolName}' is not bound to ${mb.name}`);
      await this.#withStackPaused(mb, NDIS_PAUSE_UNBIND_PROTOCOL, () => this.#unbind(mb, b, 'unbind requested'));
    });
  }

  async #unbind(mb: MiniportBlock, b: OpenBlock, reason: string): Promise<void> {
    if (b.state === 'Running') await b.pause(NDIS_PAUSE_UNBIND_PROTOCOL);
    if (b.state === 'Paused') await b.unbind(reason);
    mb.bindings = mb.bindings.filter((x) => x !== b);
    mb.resolveEdges();
    teardownChecks(this.pools, b, 'unbind');
    // Not while the adapter is being removed: it is about to be halted, and the requests would queue behind
    // any OID its miniport still holds (the halt completes those with ADAPTER_REMOVED).
    if (!mb.surpriseRemoved && !mb.failed && !mb.removing) await this.#remerge(mb);
  }

  /** After a binding left: send the merged packet filter / multicast list / lookahead down again if they changed. */
  async #remerge(mb: MiniportBlock): Promise<void> {
    for (const oid of [OID_GEN_CURRENT_PACKET_FILTER, OID_802_3_MULTICAST_LIST, OID_GEN_CURRENT_LOOKAHEAD]) {
      const req = mergedRequest(mb, oid);
      if (req === null) continue;
      const status = await this.#internalOid(mb, req);
      if (status === NDIS_STATUS_SUCCESS) adoptMergedRequest(mb, req);
    }
  }

  /** @internal */
  requestUnbind(binding: OpenBlock): void {
    const mb = binding.mb;
    void this.#serialized(mb, () => this.#withStackPaused(mb, NDIS_PAUSE_UNBIND_PROTOCOL, () => this.#unbind(mb, binding, 'NdisUnbindAdapter'))).catch((e: unknown) =>
      this.log('error', binding.name, `NdisUnbindAdapter failed: ${String(e)}`),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Intermediate drivers: virtual miniports created from a lower binding

  /** @internal */
  initializeDeviceInstance(binding: OpenBlock, instanceName: string, deviceContext: unknown): NdisStatus {
    const reg = binding.intermediate === null ? undefined : this.drivers.get(binding.intermediate);
    if (reg === undefined || reg.kind !== 'intermediate') {
      binding.report('IllegalStateTransition', 'NdisIMInitializeDeviceInstanceEx from a binding that is not an intermediate driver');
      return NDIS_STATUS_FAILURE;
    }
    if (this.adapters.has(`${this.name}/${instanceName}`)) return NDIS_STATUS_FAILURE;
    this.#inFlight++;
    this.scheduler.defer(() => {
      void (async () => {
        try {
          const own = this.adapterPolicy(instanceName)?.keywords ?? {};
          const mb = await this.#createAdapter(instanceName, reg.miniport, new Configuration(own, reg.miniport.keywords), deviceContext, binding);
          binding.virtualMiniportIds.add(mb.id);
          await this.#applyPolicy(mb);
          await this.startAdapter(mb.name);
        } catch (e) {
          this.log('error', binding.name, `virtual miniport ${instanceName} failed to start: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          if (--this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
        }
      })();
    });
    return NDIS_STATUS_SUCCESS;
  }

  /** @internal */
  deInitializeDeviceInstance(binding: OpenBlock, instanceName: string): NdisStatus {
    const mb = this.adapters.get(`${this.name}/${instanceName}`);
    // The device instance belongs to the intermediate driver, not to one binding: a team's virtual
    // miniport outlives the member that asked for it, and its last member removes it.
    if (mb === undefined || mb.imParent === null || (mb.imParent !== binding && (binding.intermediate === null || mb.imParent.intermediate !== binding.intermediate))) return NDIS_STATUS_FAILURE;
    void this.removeAdapter(mb.name).catch((e: unknown) => this.log('error', binding.name, `removing ${instanceName} failed: ${String(e)}`));
    return NDIS_STATUS_SUCCESS;
  }

  async #applyPolicy(mb: MiniportBlock): Promise<void> {
    const policy = this.adapterPolicy(mb.name.slice(this.name.length + 1));
    if (policy !== undefined) await this.#install(mb.name, policy);
  }

  /** Attaches the filters, then binds the protocols, of `stack` to the adapter. */
  async #install(name: string, stack: AdapterPolicy): Promise<void> {
    for (const f of stack.filters) await this.attachFilter(name, f.driver, f.keywords);
    for (const p of stack.protocols) await this.bindProtocol(name, p.driver, p.keywords);
  }

  // ---------------------------------------------------------------------------------------------
  // Removal, surprise removal, reset

  /** Orderly removal: pause, unbind every binding, detach every filter, halt (NdisHaltDeviceDisabled). */
  async removeAdapter(name: string): Promise<void> {
    const mb = this.adapter(name);
    return this.#serialized(mb, () => this.#removeStack(mb, NdisHaltDeviceDisabled, NDIS_PAUSE_NDIS_INTERNAL));
  }

  /**
   * Changes keywords of a running adapter the way Windows applies an advanced property: the device is
   * disabled and enabled again — its stack removed in order (pause, unbind, detach, halt), then the
   * miniport initialized with the new keywords and the same filters and bindings (with their keywords)
   * put back and restarted. `changes` must already be checked against the driver's schema (the control
   * channel does). If the new initialization fails, the adapter comes back with its previous keywords and
   * the error is thrown. Not for an intermediate driver's virtual miniport (its device instance belongs
   * to the driver).
   */
  async reinitializeAdapter(name: string, changes: Readonly<Record<string, ConfigValue>>): Promise<MiniportBlock> {
    const mb = this.adapter(name);
    if (mb.imParent !== null) throw new RuntimeOperationError(`${name} is a virtual miniport of ${mb.imParent.name}: its keywords cannot change while it runs`);
    const shortName = name.slice(this.name.length + 1);
    const before = Object.fromEntries(mb.keywords.entries());
    const stack: AdapterPolicy = {
      filters: (this.#installedFilters.get(mb) ?? []).map((f) => ({ driver: f.driver.name, keywords: f.keywords })),
      protocols: mb.bindings.map((b) => ({ driver: b.intermediate ?? b.protocol.name, keywords: Object.fromEntries(b.keywords.entries()) })),
    };
    await this.removeAdapter(name);
    let fresh: MiniportBlock;
    try {
      fresh = await this.addAdapter({ name: shortName, driver: mb.driver.name, keywords: { ...before, ...changes } });
    } catch (e) {
      await this.addAdapter({ name: shortName, driver: mb.driver.name, keywords: before });
      await this.#rebuild(name, stack);
      throw e;
    }
    await this.#rebuild(name, stack);
    return fresh;
  }

  async #rebuild(name: string, stack: AdapterPolicy): Promise<void> {
    await this.#install(name, stack);
    await this.startAdapter(name);
  }

  /**
   * Surprise removal: the device is gone. Filters and the miniport are told first
   * (NdisDevicePnPEventSurpriseRemoved) and must complete what they hold with an error; then the stack
   * is paused, unbound, detached and halted with NdisHaltDeviceSurpriseRemoved.
   */
  async surpriseRemove(name: string): Promise<void> {
    const mb = this.adapter(name);
    if (mb.surpriseRemoved) return this.#queues.get(mb)?.then(() => undefined) ?? Promise.resolve();
    mb.surpriseRemoved = true;
    mb.removing = true;
    const event: NetDevicePnPEvent = { devicePnPEvent: NdisDevicePnPEventSurpriseRemoved, portNumber: 0, informationBuffer: null };
    this.devicePnPEventBelow(mb, mb.filters.length + 1, event);
    mb.abortOids(NDIS_STATUS_ADAPTER_REMOVED);
    return this.#serialized(mb, () => this.#removeStack(mb, NdisHaltDeviceSurpriseRemoved, NDIS_PAUSE_MINIPORT_DEVICE_REMOVE));
  }

  async #removeStack(mb: MiniportBlock, haltAction: number, pauseReason: number): Promise<void> {
    if (!this.adapters.has(mb.name)) return;
    mb.removing = true;
    // Virtual miniports of IM drivers bound here go first (their lower binding is about to disappear).
    await this.#pauseStack(mb, pauseReason);
    for (const b of [...mb.bindings]) await this.#unbind(mb, b, haltAction === NdisHaltDeviceSurpriseRemoved ? 'surprise removal' : 'adapter removal');
    for (const f of [...mb.filters].reverse()) {
      f.detach();
      teardownChecks(this.pools, f, 'detach');
    }
    mb.filters = [];
    this.#installedFilters.set(mb, []);
    mb.resolveEdges();
    this.#halt(mb, haltAction);
    this.adapters.delete(mb.name);
    this.#installedFilters.delete(mb);
  }

  #halt(mb: MiniportBlock, haltAction: number): void {
    mb.sm.fire('halt');
    this.#stopCheckForHang(mb);
    mb.abortOids(NDIS_STATUS_ADAPTER_REMOVED);
    this.#haltReplicas(mb, haltAction);
    if (mb.instance !== null && !mb.failed) mb.invoke('halt', () => mb.instance!.halt(haltAction), undefined);
    if (mb.sendsOutstanding > 0 || mb.receivesOutstanding > 0) {
      mb.report('TeardownLeak', `halted with ${mb.sendsOutstanding} send(s) not completed and ${mb.receivesOutstanding} indicated NBL(s) not returned`);
    }
    mb.instance = null;
    teardownChecks(this.pools, mb, 'halt');
  }

  /** @internal A module threw: bypass it at once, give back what it held, and tear it down. */
  moduleFailed(block: NdisBlock): void {
    this.log('error', block.name, 'module failed; bypassing and tearing it down');
    if (block instanceof FilterBlock) {
      block.mb.resolveEdges();
      reclaimOwnedBy(this.pools, block);
      const mb = block.mb;
      void this.#serialized(mb, async () => {
        if (!mb.filters.includes(block) || mb.removing) return;
        await this.#withStackPaused(mb, NDIS_PAUSE_DETACH_FILTER, async () => {
          const installed = this.#installedFilters.get(mb)!;
          const i = installed.findIndex((x) => x.driver === block.driver);
          if (i >= 0) installed.splice(i, 1);
          await this.#reconcileFilters(mb);
        });
      }).catch((e: unknown) => this.log('error', block.name, `teardown failed: ${String(e)}`));
    } else if (block instanceof OpenBlock) {
      reclaimOwnedBy(this.pools, block);
      block.mb.top.refreshReceivers();
      this.requestUnbind(block);
    } else if (block instanceof MiniportReplica || block instanceof RemoteReplica) {
      // A replica is the adapter on one processor: the adapter failed.
      reclaimOwnedBy(this.pools, block);
      this.moduleFailed(block.primary);
    } else if (block instanceof MiniportBlock) {
      reclaimOwnedBy(this.pools, block);
      block.abortOids(NDIS_STATUS_FAILURE);
      if (block.state !== 'Halted' && block.state !== 'Initializing') void this.surpriseRemove(block.name).catch((e: unknown) => this.log('error', block.name, `teardown failed: ${String(e)}`));
    }
  }

  /** Reset: NDIS_STATUS_RESET_START, MiniportResetEx, addressing restore, NDIS_STATUS_RESET_END. */
  async resetAdapter(name: string): Promise<NdisStatus> {
    const mb = this.adapter(name);
    return this.#serialized(mb, () => this.#reset(mb));
  }

  async #reset(mb: MiniportBlock): Promise<NdisStatus> {
    const inst = mb.instance;
    if (inst === null || inst.reset === undefined || mb.failed) return NDIS_STATUS_NOT_RESETTABLE;
    mb.resetInProgress = true;
    mb.indicateNdisStatus({ statusCode: NDIS_STATUS_RESET_START, statusBuffer: null });
    const out = { addressingReset: false };
    mb.resetAddressing = false;
    mb.resetOp.begin();
    const returned = mb.invoke('reset', () => inst.reset!.call(inst, out), NDIS_STATUS_FAILURE);
    const { status, completedEarly } = await mb.resetOp.settle(returned);
    if (completedEarly) mb.report('CompletionWithoutPending', 'resetComplete called although reset returned a final status');
    mb.resetInProgress = false;
    // Requests held during the reset go first; the restore below queues behind them (it would wait
    // for ever if nothing dispatched them).
    mb.pumpOidQueue();
    const addressing = returned === NDIS_STATUS_PENDING ? mb.resetAddressing : out.addressingReset;
    if (status === NDIS_STATUS_SUCCESS && addressing) {
      // The hardware forgot its filters and addresses: NDIS sets them again.
      const saved = { pf: mb.packetFilter, mc: mb.multicastList, la: mb.currentLookahead };
      mb.packetFilter = 0;
      mb.multicastList = [];
      mb.currentLookahead = 0;
      if (saved.pf !== 0) await this.#restore(mb, OID_GEN_CURRENT_PACKET_FILTER);
      if (saved.mc.length > 0) await this.#restore(mb, OID_802_3_MULTICAST_LIST);
      if (saved.la !== 0) await this.#restore(mb, OID_GEN_CURRENT_LOOKAHEAD);
    }
    mb.indicateNdisStatus({ statusCode: NDIS_STATUS_RESET_END, statusBuffer: status });
    mb.pumpOidQueue();
    return status;
  }

  async #restore(mb: MiniportBlock, oid: number): Promise<void> {
    const req = mergedRequest(mb, oid);
    if (req === null) return;
    if ((await this.#internalOid(mb, req)) === NDIS_STATUS_SUCCESS) adoptMergedRequest(mb, req);
  }

  #startCheckForHang(mb: MiniportBlock): void {
    const inst = mb.instance;
    if (inst === null || inst.checkForHang === undefined) return;
    const seconds = mb.registration?.checkForHangTimeInSeconds || 2;
    mb.checkForHangTimer ??= this.scheduler.createTimer(() => {
      if (mb.state !== 'Running' || mb.resetInProgress || mb.instance === null) return;
      const hung = mb.invoke('checkForHang', () => mb.instance!.checkForHang!(), false);
      if (hung) void this.resetAdapter(mb.name).catch(() => undefined);
    });
    this.scheduler.setTimer(mb.checkForHangTimer, seconds * 1000, seconds * 1000);
  }

  #stopCheckForHang(mb: MiniportBlock): void {
    if (mb.checkForHangTimer !== null) this.scheduler.cancelTimer(mb.checkForHangTimer);
  }

  // ---------------------------------------------------------------------------------------------
  // OIDs and PnP from tooling

  /** Issues `request` as NDIS from the top of the adapter's stack (through every filter). Resolves with the final status. */
  async oid(adapterName: string, request: NdisOidRequest): Promise<NdisStatus> {
    return this.#internalOid(this.adapter(adapterName), request);
  }

  #internalOid(mb: MiniportBlock, request: NdisOidRequest): Promise<NdisStatus> {
    return new Promise<NdisStatus>((resolve) => {
      mb.top.trackInternal(request, resolve);
      const status = submitOid(mb.top, request, mb.top, mb.oidEntry, false);
      if (status !== NDIS_STATUS_PENDING) {
        mb.top.onOidComplete(request, status);
      }
    });
  }

  /** Typed query convenience for tooling: `await rt.query(adapter, OID_GEN_LINK_STATE, 64)`. */
  async query(adapterName: string, oid: number, bufferLength = 256): Promise<{ status: NdisStatus; request: NdisOidRequest }> {
    const request = OidRequest.query(oid, bufferLength);
    const status = await this.oid(adapterName, request);
    return { status, request };
  }

  /** @internal */
  cancelSend(mb: MiniportBlock, fromLevel: number, cancelId: number): void {
    for (let i = Math.min(fromLevel, mb.filters.length + 1) - 1; i >= 1; i--) {
      const f = mb.filters[i - 1]!;
      if (!f.bypasses('cancelSendNetBufferLists')) {
        f.invoke('cancelSendNetBufferLists', () => f.instance!.cancelSendNetBufferLists!(cancelId), undefined);
        return;
      }
    }
    if (mb.instance !== null && !mb.failed) mb.invoke('cancelSend', () => mb.instance!.cancelSend(cancelId), undefined);
  }

  /** @internal */
  nextPartialCancelId(): number {
    this.#partialCancelId = (this.#partialCancelId % 255) + 1;
    return this.#partialCancelId << 24;
  }

  /** @internal NET_PNP events travel up: filters (netPnPEvent, forwarded with NdisFNetPnPEvent) then every binding. */
  netPnPEventAbove(mb: MiniportBlock, fromLevel: number, event: NetPnPEvent): NdisStatus {
    for (let i = fromLevel; i < mb.filters.length; i++) {
      const f = mb.filters[i]!;
      if (!f.bypasses('netPnPEvent')) return f.invoke('netPnPEvent', () => f.instance!.netPnPEvent!(event), NDIS_STATUS_SUCCESS);
    }
    for (const b of mb.bindings) void b.netPnPEvent(event);
    return NDIS_STATUS_SUCCESS;
  }

  /** @internal Device PnP events travel down: filters (devicePnPEventNotify) then the miniport. */
  devicePnPEventBelow(mb: MiniportBlock, fromLevel: number, event: NetDevicePnPEvent): void {
    for (let i = Math.min(fromLevel, mb.filters.length + 1) - 1; i >= 1; i--) {
      const f = mb.filters[i - 1]!;
      if (!f.bypasses('devicePnPEventNotify')) {
        f.invoke('devicePnPEventNotify', () => f.instance!.devicePnPEventNotify!(event), undefined);
        return;
      }
    }
    if (mb.instance !== null && !mb.failed) mb.invoke('devicePnPEventNotify', () => mb.instance!.devicePnPEventNotify(event), undefined);
  }

  /** Sends a device PnP event (power profile, query remove, …) to an adapter's stack. */
  devicePnPEvent(adapterName: string, event: NetDevicePnPEvent): void {
    const mb = this.adapter(adapterName);
    this.devicePnPEventBelow(mb, mb.filters.length + 1, event);
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  /** Removes every adapter (virtual miniports first) and stops the verifier's timer. Idempotent. */
  async shutdown(): Promise<void> {
    for (;;) {
      const list = [...this.adapters.values()];
      if (list.length === 0) break;
      // Top-most first: an adapter whose stack hosts an IM lower binding waits for the IM's virtual miniports.
      const virtual = list.filter((mb) => mb.imParent !== null);
      const next = virtual.length > 0 ? virtual : list;
      await Promise.all(next.map((mb) => this.removeAdapter(mb.name).catch((e: unknown) => this.log('error', mb.name, `removal failed: ${String(e)}`))));
      await this.whenIdle();
    }
    this.#closed = true;
    if (this.#scanTimer !== null) this.scheduler.cancelTimer(this.#scanTimer);
    this.#logLimiter.flush();
  }

  /** Every pool and allocator class is back to full (tests and the demo summary check this). */
  poolsFull(): boolean {
    for (const p of this.pools) if (p.inUse > 0) return false;
    for (const lane of this.#lanes) if (!lane.allocator.allFree) return false;
    for (const e of this.#edges) if (e.home.lent > 0 || e.far.shells.mdls.inUse > 0) return false;
    return true;
  }

  allBlocks(): NdisBlock[] {
    return this.#blocks.filter((b): b is NdisBlock => b !== undefined);
  }
}
