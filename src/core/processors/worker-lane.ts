/**
 * A host's lane on a worker processor: the RuntimeContext its blocks see there. The host itself (its
 * NdisRuntime, block table and verifier) lives on processor 0, in another isolate, so the lane keeps its
 * own block ids, pools and allocator, and forwards log lines and verifier violations to processor 0
 * over the control port, where they reach the host's logger and verifier.
 *
 * Code that runs in a lane (a `LaneEntry` function, ThreadedProcessorSet.run) makes its blocks here and
 * the worker's ends of crossing edges (`createHome` / `createFar`, with ids processor 0 allocated), and
 * keeps its objects between calls in `objects`.
 */
import { BufferAllocator } from '../../ndis/buffers/allocator.js';
import type { NetBufferListPool, NetBufferPool, PoolObserver } from '../../ndis/buffers/pools.js';
import type { NdisBlock } from '../runtime/block.js';
import type { RuntimeContext } from '../runtime/context.js';
import { DropRegistry } from '../runtime/drops.js';
import type { Scheduler } from '../time/scheduler.js';
import { Verifier } from '../verifier/verifier.js';
import type { FromWorker, LaneHostInfo } from './control-port.js';
import { CrossingHome, CrossingFar, type CrossingSpec } from './crossing-edge.js';
import type { Processor } from './processor.js';

export class WorkerLane implements RuntimeContext {
  readonly name: string;
  readonly scheduler: Scheduler;
  readonly verifier: Verifier;
  readonly verifying: boolean;
  /** NBL history stays with the host's pools on processor 0; a worker records none. */
  readonly nblHistory = null;
  readonly allocator = new BufferAllocator();
  readonly pools = new Set<NetBufferListPool | NetBufferPool>();
  readonly poolObserver: PoolObserver;
  /** Drop counters of the blocks on this worker (kept here: they do not reach processor 0 yet). */
  readonly drops: DropRegistry;
  readonly processorNumber: number;
  readonly processorCount: number;
  /** What lane code keeps between calls, by its own keys. */
  readonly objects = new Map<string, unknown>();
  readonly #blocks: (NdisBlock | undefined)[] = [undefined];

  constructor(
    host: LaneHostInfo,
    readonly processor: Processor,
    readonly post: (message: FromWorker) => void,
  ) {
    this.name = host.name;
    this.scheduler = processor.scheduler;
    this.processorNumber = processor.number;
    this.processorCount = host.processorCount;
    this.verifying = host.verifying;
    this.drops = new DropRegistry(host.name, () => this.scheduler.now());
    this.verifier = new Verifier({ enabled: host.verifying }, () => this.scheduler.now());
    this.verifier.onViolation = (v) => post({ t: 'violation', host: this.name, rule: v.rule, module: v.module, detail: v.detail });
    this.poolObserver = {
      badFree: (pool, error, item) => {
        const owner = this.#blocks.find((b) => b?.pools.has(pool));
        this.verifier.report(error === 'children-outstanding' ? 'NblChildrenOutstanding' : 'NblBadFree', owner?.name ?? pool.name, `free refused (${error}) for ${pool.name}#${item.slot}`);
      },
    };
  }

  registerBlock(block: NdisBlock): number {
    this.#blocks.push(block);
    return this.#blocks.length - 1;
  }

  blockById(id: number): NdisBlock | undefined {
    return this.#blocks[id];
  }

  /** Processor 0 fails the module's stand-in there (a replica: the adapter), which tears it down on every processor. */
  moduleFailed(block: NdisBlock): void {
    this.log('error', block.name, `a handler failed on processor ${this.processorNumber}`);
    this.post({ t: 'failed', host: this.name, module: block.name });
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', source: string, message: string): void {
    this.post({ t: 'log', host: this.name, level, source, message });
  }

  /** The home end of edge `id` on this processor (spec.from is this processor). */
  createHome(id: number, spec: CrossingSpec): CrossingHome {
    if (spec.from !== this.processorNumber) throw new RangeError(`edge ${spec.name}: home on processor ${spec.from}, lane on ${this.processorNumber}`);
    const home = new CrossingHome(this, `${this.name}/${spec.name}@${spec.from}`, id, spec, this.processor);
    this.processor.homeEnds.set(id, home);
    return home;
  }

  /** The far end of edge `id` on this processor (spec.to is this processor). */
  createFar(id: number, spec: CrossingSpec): CrossingFar {
    if (spec.to !== this.processorNumber) throw new RangeError(`edge ${spec.name}: far end on processor ${spec.to}, lane on ${this.processorNumber}`);
    const far = new CrossingFar(this, `${this.name}/${spec.name}@${spec.to}`, id, spec, this.processor);
    this.processor.farEnds.set(id, far);
    return far;
  }

  /** Every pool of the lane full and nothing allocated (the end-of-test check, per processor). */
  poolsFull(): boolean {
    for (const p of this.pools) if (p.inUse > 0) return false;
    return this.allocator.allFree;
  }
}
