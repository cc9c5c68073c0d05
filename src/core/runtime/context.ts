/**
 * What runtime objects (blocks) need from their runtime. Kept as an interface so blocks do not import
 * the runtime class (and tests can see exactly which services a block uses).
 */
import type { BufferAllocator } from '../../ndis/buffers/allocator.js';
import type { NetBufferListPool, NetBufferPool, PoolObserver } from '../../ndis/buffers/pools.js';
import type { Scheduler } from '../time/scheduler.js';
import type { NblHistory } from '../verifier/nbl-history.js';
import type { Verifier } from '../verifier/verifier.js';
import type { NdisBlock } from './block.js';
import type { DropRegistry } from './drops.js';

export interface RuntimeContext {
  readonly name: string;
  readonly scheduler: Scheduler;
  readonly verifier: Verifier;
  /** Verifier checks on the data path (ownership, timestamps). */
  readonly verifying: boolean;
  /** NBL history (nbl-history.ts), or null when off: the handoffs read it once per chain. */
  readonly nblHistory: NblHistory | null;
  readonly allocator: BufferAllocator;
  readonly pools: Set<NetBufferListPool | NetBufferPool>;
  readonly poolObserver: PoolObserver;
  /** The host's drop-reason counters (drops.ts). */
  readonly drops: DropRegistry;
  /** The processor this context's blocks run on (0 unless the host runs on several). */
  readonly processorNumber: number;
  /** Processors the host runs on. */
  readonly processorCount: number;
  /** Assigns the block its id (ids index `blockById`). */
  registerBlock(block: NdisBlock): number;
  blockById(id: number): NdisBlock | undefined;
  /** A module's handler threw: bypass it, reclaim what it held, and tear it down. */
  moduleFailed(block: NdisBlock): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', source: string, message: string): void;
}
