/**
 * A lane: one host's presence on one processor. It is the RuntimeContext the host's blocks on that
 * processor see — the processor's scheduler (their timers and DPCs run there) and a buffer allocator of
 * the lane's own (mapping MDLs, retreat chunks, context blocks are per processor, as memory a worker
 * allocates is) — while identity, the verifier, pool accounting and logging stay the host's. Lane 0 is
 * the runtime itself.
 */
import type { BufferAllocator } from '../../ndis/buffers/allocator.js';
import type { NetBufferListPool, NetBufferPool, PoolObserver } from '../../ndis/buffers/pools.js';
import type { NdisBlock } from '../runtime/block.js';
import type { RuntimeContext } from '../runtime/context.js';
import type { DropRegistry } from '../runtime/drops.js';
import type { Scheduler } from '../time/scheduler.js';
import type { NblHistory } from '../verifier/nbl-history.js';
import type { Verifier } from '../verifier/verifier.js';
import type { Processor } from './processor.js';

export class Lane implements RuntimeContext {
  readonly name: string;
  readonly scheduler: Scheduler;
  readonly verifier: Verifier;
  readonly verifying: boolean;
  readonly nblHistory: NblHistory | null;
  readonly pools: Set<NetBufferListPool | NetBufferPool>;
  readonly poolObserver: PoolObserver;
  readonly drops: DropRegistry;
  readonly processorNumber: number;

  constructor(
    readonly host: RuntimeContext,
    readonly processor: Processor,
    readonly allocator: BufferAllocator,
  ) {
    this.name = host.name;
    this.scheduler = processor.scheduler;
    this.verifier = host.verifier;
    this.verifying = host.verifying;
    this.nblHistory = host.nblHistory;
    this.pools = host.pools;
    this.poolObserver = host.poolObserver;
    this.drops = host.drops;
    this.processorNumber = processor.number;
  }

  get processorCount(): number {
    return this.host.processorCount;
  }

  registerBlock(block: NdisBlock): number {
    return this.host.registerBlock(block);
  }

  blockById(id: number): NdisBlock | undefined {
    return this.host.blockById(id);
  }

  moduleFailed(block: NdisBlock): void {
    this.host.moduleFailed(block);
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', source: string, message: string): void {
    this.host.log(level, source, message);
  }
}
