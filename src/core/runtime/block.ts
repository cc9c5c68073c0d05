/**
 * What the three kinds of runtime objects share (miniport block = adapter, filter block = filter module,
 * open block = protocol binding): identity, the resources a driver allocated through its handle (so they
 * can be checked and reclaimed at teardown), the exception boundary around driver handlers, and the edge
 * interfaces the data path is wired from.
 *
 * Data-path edges are resolved once per stack restart: every block holds direct references to the next
 * block on each path (skipping modules without a handler for that path), so nothing is looked up per
 * packet. NBL ownership moves with `transferDown` / `transferUp`, which stamp `ndisOwner` and, with the
 * verifier on, check that the giver owned what it gave.
 */
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { NetBufferListPool, NetBufferPool, type NetBufferListPoolParameters, type NetBufferPoolParameters } from '../../ndis/buffers/pools.js';
import type { ConfigurationReader, NdisDpc, NdisHandleBase, NdisPollRegistration, NdisPollSource, NdisStatusIndication, NdisTimerObject } from '../../ndis/driver-api.js';
import { type NdisRssProcessorInfo, rssProcessorInfo } from '../../ndis/rss/processor-info.js';
import type { NdisOidRequest } from '../../ndis/oid-request.js';
import type { NdisStatus } from '../../ndis/status.js';
import { registerPollSource } from '../processors/poll.js';
import type { Timer } from '../time/scheduler.js';
import { RecordingNetBufferListPool } from '../verifier/nbl-history.js';
import type { VerifierRule } from '../verifier/rules.js';
import type { RuntimeContext } from './context.js';
import type { NdisBuiltinDropReason, NdisDropCounter, NdisDropSource, NdisDropSourceRegistration } from '../../ndis/drops.js';

export interface SendSink {
  readonly id: number;
  /** `count` is the chain length (the caller walked it already). */
  deliverSend(nbls: NetBufferList, portNumber: number, sendFlags: number, count: number): void;
}
export interface SendCompleteSink {
  readonly id: number;
  deliverSendComplete(nbls: NetBufferList, flags: number): void;
}
export interface ReceiveSink {
  readonly id: number;
  deliverReceive(nbls: NetBufferList, portNumber: number, count: number, flags: number): void;
}
export interface ReturnSink {
  readonly id: number;
  deliverReturn(nbls: NetBufferList, flags: number, count: number): void;
}
export interface OidSink {
  readonly id: number;
  deliverOid(request: NdisOidRequest, direct: boolean): NdisStatus;
  deliverCancelOid(requestId: number, direct: boolean): void;
}
export interface StatusSink {
  deliverStatus(indication: NdisStatusIndication): void;
}
/** Whoever submitted an OID request at some layer: receives its completion. */
export interface OidIssuer {
  readonly name: string;
  onOidComplete(request: NdisOidRequest, status: NdisStatus, direct: boolean): void;
}

/** Per-edge NBL counters (every edge has counters, as Snabb links do). */
export class EdgeCounters {
  sent = 0;
  sendCompleted = 0;
  received = 0;
  returned = 0;
  /** NBLs completed with a non-success status on the way up. */
  sendFailed = 0;
  /** NBLs dropped by the runtime (rule violations, paused or removed targets). */
  dropped = 0;
}

class RuntimeTimerObject implements NdisTimerObject {
  freed = false;
  constructor(
    readonly owner: NdisBlock,
    readonly timer: Timer,
  ) {}
  set(dueMs: number, periodMs = 0): boolean {
    if (this.freed) throw new TypeError(`${this.owner.name}: set() on a freed timer`);
    return this.owner.rt.scheduler.setTimer(this.timer, dueMs, periodMs);
  }
  cancel(): boolean {
    return this.owner.rt.scheduler.cancelTimer(this.timer);
  }
  free(): void {
    this.cancel();
    this.freed = true;
    this.owner.timers.delete(this);
  }
}

/**
 * A miniport's DPC (NdisAllocateDpc): queued at most once until it runs, on the block's scheduler; a
 * block that halted meanwhile skips it. Shared by adapters and their replicas on other processors.
 */
export class BlockDpc implements NdisDpc {
  #queued = false;
  constructor(
    readonly block: NdisBlock,
    readonly routine: () => void,
  ) {}
  queue(): boolean {
    if (this.#queued) return false;
    this.#queued = true;
    this.block.rt.scheduler.defer(this.#run);
    return true;
  }
  readonly #run = (): void => {
    this.#queued = false;
    if (this.block.state === 'Halted') return;
    this.block.invoke('DPC', this.routine, undefined);
  };
}

export abstract class NdisBlock implements NdisHandleBase {
  readonly id: number;
  readonly name: string;
  /** @internal */
  readonly rt: RuntimeContext;
  readonly stats = new EdgeCounters();
  readonly pools = new Set<NetBufferListPool | NetBufferPool>();
  /** @internal */
  readonly timers = new Set<RuntimeTimerObject>();
  /** Position in its stack: 0 = miniport, filters 1…n bottom→top, bindings above. */
  level = 0;
  /** A handler threw: the module is bypassed and torn down. */
  failed = false;
  /** Work items queued and not yet finished (teardown waits for them). */
  pendingWorkItems = 0;

  /**
   * True when NBLs owned by block `id` are also this driver's: an intermediate driver's virtual miniport
   * and its lower binding are two edges of one driver and hand NBLs to each other without NDIS.
   * @internal
   */
  isTwin(_id: number): boolean {
    return false;
  }

  /** @internal */
  constructor(rt: RuntimeContext, name: string) {
    this.rt = rt;
    this.name = name;
    this.id = rt.registerBlock(this);
  }

  abstract get state(): string;

  now(): number {
    return this.rt.scheduler.now();
  }

  /** NdisGetCurrentProcessorNumber: the processor this object's handlers run on. */
  get processorNumber(): number {
    return this.rt.processorNumber;
  }

  /** The processors of the host this object runs in (NdisGroupActiveProcessorCount). */
  get processorCount(): number {
    return this.rt.processorCount;
  }

  /** NdisGetRssProcessorInformation: the RSS window of the adapter this object is on (rss/processor-info.ts). */
  rssProcessorInfo(): NdisRssProcessorInfo {
    return rssProcessorInfo(this.rssKeywords, this.rt.processorCount);
  }

  /**
   * The keywords of the adapter this object belongs to, for its RSS processor window; null (every
   * processor) for blocks on no adapter.
   * @internal
   */
  protected get rssKeywords(): ConfigurationReader | null {
    return null;
  }

  /**
   * NdisRegisterPoll-like: `source` is polled by this object's processor (null without a processor set).
   * Its handlers run like any handler of the module: one that throws fails the module, and a failed
   * module is not polled again.
   */
  registerPoll(source: NdisPollSource): NdisPollRegistration | null {
    return registerPollSource(this.rt, {
      pending: () => !this.failed && this.invoke('poll pending', () => source.pending(), false),
      poll: () => this.invoke('poll', () => source.poll(), 0),
    });
  }

  allocateNetBufferListPool(params: NetBufferListPoolParameters): NetBufferListPool {
    const named = { ...params, name: params.name ?? `${this.name}:nbl${this.pools.size}` };
    const history = this.rt.nblHistory;
    const pool =
      history === null
        ? new NetBufferListPool(named, this.rt.allocator, this.rt.poolObserver)
        : new RecordingNetBufferListPool(named, this.rt.allocator, this.rt.poolObserver, history.depth, this.id, () => history.time(), history);
    this.pools.add(pool);
    this.rt.pools.add(pool);
    return pool;
  }

  freeNetBufferListPool(pool: NetBufferListPool): void {
    this.#freePool(pool);
  }

  allocateNetBufferPool(params: NetBufferPoolParameters): NetBufferPool {
    const pool = new NetBufferPool({ ...params, name: params.name ?? `${this.name}:nb${this.pools.size}` }, this.rt.allocator, this.rt.poolObserver);
    this.pools.add(pool);
    this.rt.pools.add(pool);
    return pool;
  }

  freeNetBufferPool(pool: NetBufferPool): void {
    this.#freePool(pool);
  }

  #freePool(pool: NetBufferListPool | NetBufferPool): void {
    if (!this.pools.has(pool)) {
      this.report('TeardownLeak', `freed pool ${pool.name} it did not allocate`);
      return;
    }
    if (pool.inUse > 0) {
      // NDIS frees a pool only when empty; keep it registered so the leak stays visible.
      this.report('TeardownLeak', `freed pool ${pool.name} with ${pool.inUse} item(s) still allocated`);
      return;
    }
    this.pools.delete(pool);
    this.rt.pools.delete(pool);
  }

  allocateTimer(callback: () => void): NdisTimerObject {
    const t = new RuntimeTimerObject(this, this.rt.scheduler.createTimer(() => this.invoke('timer callback', callback, undefined)));
    this.timers.add(t);
    return t;
  }

  queueWorkItem(routine: () => void | Promise<void>): void {
    this.pendingWorkItems++;
    this.rt.scheduler.defer(() => {
      let p: void | Promise<void> = undefined;
      try {
        p = routine();
      } catch (e) {
        this.handlerThrew('work item', e);
      }
      if (p instanceof Promise) {
        p.catch((e: unknown) => this.handlerThrew('work item', e)).finally(() => this.pendingWorkItems--);
      } else {
        this.pendingWorkItems--;
      }
    });
  }

  /** The last error a driver logged through this handle (shown when its initialization fails). */
  lastErrorLog: string | null = null;

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    if (level === 'error') this.lastErrorLog = message;
    this.rt.log(level, this.name, message);
  }

  dropCounter(reason: NdisBuiltinDropReason | (string & {})): NdisDropCounter {
    return this.rt.drops.counter(this.name, reason);
  }

  registerDropSource(source: NdisDropSource): NdisDropSourceRegistration {
    return this.rt.drops.registerSource(source);
  }

  /** `nbl`: the NBL the violation is about, so it carries that NBL's history (when history is on). */
  report(rule: VerifierRule, detail: string, nbl?: NetBufferList): void {
    this.rt.verifier.report(rule, this.name, detail, nbl);
  }

  /**
   * Calls into driver code. An exception is reported (HandlerException), marks the module failed and
   * yields `fallback`, so one broken driver cannot take the runtime down.
   * @internal
   */
  invoke<T>(what: string, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (e) {
      this.handlerThrew(what, e);
      return fallback;
    }
  }

  /** @internal */
  handlerThrew(what: string, e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.report('HandlerException', `${what} threw: ${msg}`);
    if (!this.failed) {
      this.failed = true;
      this.rt.moduleFailed(this);
    }
  }

  /**
   * Frees the timers and the empty pools the driver did not free itself; returns what it left behind
   * (for TeardownLeak): timers and pools never freed, and items still allocated (those pools stay
   * registered until the runtime reclaims them).
   * @internal
   */
  releaseResources(): string[] {
    const leaks: string[] = [];
    for (const t of [...this.timers]) {
      leaks.push(t.timer.queued ? 'a queued timer' : 'a timer not freed');
      t.free();
    }
    for (const pool of [...this.pools]) {
      if (pool.inUse > 0) leaks.push(`${pool.inUse} item(s) of pool ${pool.name}`);
      else {
        leaks.push(`pool ${pool.name} not freed`);
        this.pools.delete(pool);
        this.rt.pools.delete(pool);
      }
    }
    return leaks;
  }
}
