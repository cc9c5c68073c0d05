/**
 * The processors of a process. A ProcessorSet owns the processors, the rings between every ordered pair
 * of them and the process-wide ids (slabs, crossing edges); hosts (runtimes) run lanes on its processors
 * (lane k of a host on processor k), so two hosts in one process share the threads instead of needing
 * their own.
 *
 * Two implementations: `SimulatedProcessorSet` (simulated.ts) interleaves every processor on one thread
 * in seeded steps, so an ordering bug replays from its seed; `ThreadedProcessorSet` (threaded.ts) runs
 * the same Processor objects, one per thread (processor 0 on the calling thread, the others on workers). Nothing outside this directory depends on which.
 */
import type { Processor } from './processor.js';

export interface ProcessorSet {
  readonly kind: 'simulated' | 'threads';
  /** Processors 0 … count-1; processor 0 is the thread that runs the control plane. */
  readonly count: number;
  processor(n: number): Processor;
  /** A process-wide id for a new crossing edge. */
  allocateEdgeId(): number;
  /** Where processors report bad input (set by the first runtime that uses the set, unless given). */
  onLog: ((message: string) => void) | null;
}
