/**
 * Where a host's processor set comes from: `createProcessorSet(count, mode)` is the one seam between a
 * host's `processors: N` and the kind of set that runs it. Two modes:
 *
 * - `sim:<seed>` — a SimulatedProcessorSet (simulated.ts), free-running: it steps itself on the event
 *   loop in the seed's interleaving, its clock following real time. Selected for hosts built from a
 *   config by `TSNDIS_PROCESSORS=sim:<seed>` (tests, the CLI).
 * - `threads` (the default) — one worker thread per processor 1…N-1. Not built yet: asking for it
 *   throws ProcessorsUnavailableError, it does not fall back to one processor, so a config never runs
 *   on fewer processors than it says without anyone noticing.
 */
import { TsndisError } from '../../errors.js';
import type { ProcessorSet } from './processor-set.js';
import { SimulatedProcessorSet } from './simulated.js';

/** The environment variable that picks the processor mode of hosts built from a config. */
export const PROCESSORS_ENV = 'TSNDIS_PROCESSORS';

export type ProcessorMode = { readonly kind: 'threads' } | { readonly kind: 'simulated'; readonly seed: number };

/** A processor set and how to let go of it once every host on it has shut down. */
export interface OwnedProcessorSet {
  readonly set: ProcessorSet;
  /** Stops the set (a free-running simulation stops stepping; threads will be terminated). Idempotent. */
  close(): Promise<void>;
}

/** The requested processor mode does not exist (yet) in this build. */
export class ProcessorsUnavailableError extends TsndisError {
  readonly code = 'TSNDIS_PROCESSORS_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'ProcessorsUnavailableError';
  }
}

/**
 * Parses a processor mode as `TSNDIS_PROCESSORS` gives it: `threads`, or `sim:<seed>` with a seed in
 * 0 … 2^31-1. Throws a RangeError saying what is accepted.
 */
export function parseProcessorMode(text: string): ProcessorMode {
  const t = text.trim();
  if (t === 'threads') return { kind: 'threads' };
  const m = /^sim:(\d{1,10})$/.exec(t);
  if (m !== null && Number(m[1]) <= 0x7fffffff) return { kind: 'simulated', seed: Number(m[1]) };
  throw new RangeError(`${JSON.stringify(text)} is not a processor mode (expected 'threads' or 'sim:<seed>' with a seed in 0…2147483647)`);
}

/** A set of `count` processors (2…64) in `mode`. */
export function createProcessorSet(count: number, mode: ProcessorMode): OwnedProcessorSet {
  if (!Number.isInteger(count) || count < 2 || count > 64) throw new RangeError(`a processor set has 2…64 processors, not ${count} (one processor needs no set)`);
  if (mode.kind === 'threads') {
    throw new ProcessorsUnavailableError(
      `${count} processors need worker threads, which this build does not have yet; set ${PROCESSORS_ENV}=sim:<seed> to run them on the simulated processor set, or use processors: 1`,
    );
  }
  const set = new SimulatedProcessorSet({ count, seed: mode.seed });
  set.startFreeRunning();
  return {
    set,
    close: async () => set.stopFreeRunning(),
  };
}
