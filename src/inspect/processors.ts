/**
 * The inspector's view of a multi-processor host: each processor (what runs it, its state, crossing
 * counters, the depth of the rings aimed at it, DPC activity), and the sums of a replicated adapter's
 * driver counters. Counters stay plain fields of each replica's driver object (drivers need no change);
 * they are summed here, on query, and the per-processor values are kept beside the sums.
 *
 * Summing rule (`sumNumericLeaves`): numbers add up, objects merge key by key, arrays add up element by
 * element (per-queue counters indexed by processor), anything else (strings, booleans, settings given
 * as text) is taken from the first value that has it (the primary). A driver that reports a setting as a
 * number in `inspect()` sees it summed too: the per-processor values beside the sum show the truth.
 */
import type { MiniportBlock } from '../core/runtime/miniport-block.js';
import type { NdisRuntime } from '../core/runtime/runtime.js';
import { RING_CONTROL, type SpscRing } from '../core/processors/nbl-ring.js';
import type { ProcessorSet } from '../core/processors/processor-set.js';
import type { SimulatedScheduler } from '../core/processors/simulated.js';
import type { AdapterProcessorSnapshot, ProcessorSnapshot, RingDepthSnapshot } from './model.js';

/** The sum of `values` by the rule in the header; undefined/null values are skipped. */
export function sumNumericLeaves(values: readonly unknown[]): unknown {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return null;
  const first = present[0];
  if (typeof first === 'number') {
    let sum = 0;
    for (const v of present) if (typeof v === 'number') sum += v;
    return sum;
  }
  if (Array.isArray(first)) {
    const arrays = present.filter((v): v is unknown[] => Array.isArray(v));
    const length = Math.max(...arrays.map((a) => a.length));
    return Array.from({ length }, (_, i) => sumNumericLeaves(arrays.map((a) => a[i])));
  }
  if (typeof first === 'object') {
    const objects = present.filter((v): v is Record<string, unknown> => typeof v === 'object' && !Array.isArray(v));
    const out: Record<string, unknown> = {};
    for (const o of objects) for (const k of Object.keys(o)) if (!(k in out)) out[k] = sumNumericLeaves(objects.map((x) => x[k]));
    return out;
  }
  return first;
}

/** Published descriptors not yet taken, read from the ring's words without moving either end (-1: dead or impossible). */
function depth(ring: SpscRing): number {
  const w = ring.words;
  if (ring.dead) return -1;
  const n = (Atomics.load(w, RING_CONTROL.TAIL) - Atomics.load(w, RING_CONTROL.HEAD)) | 0;
  return n < 0 || n > ring.capacity ? -1 : n;
}

/** Each processor of `set`: kind, state, crossing counters, inbound ring depths, DPC activity. */
export function processorSnapshots(set: ProcessorSet): ProcessorSnapshot[] {
  const out: ProcessorSnapshot[] = [];
  for (let k = 0; k < set.count; k++) {
    const p = set.processor(k);
    const rings: RingDepthSnapshot[] = [];
    for (let from = 0; from < set.count; from++) {
      const d = p.nblIn[from];
      const r = p.retIn[from];
      if (d === null || d === undefined || r === null || r === undefined) continue;
      rings.push({ from, descriptors: depth(d.ring), returns: depth(r.ring) });
    }
    const queued = (p.scheduler as Partial<SimulatedScheduler>).dpcsQueued;
    out.push({
      number: k,
      kind: k === 0 ? 'main' : set.kind === 'simulated' ? 'simulated' : 'worker',
      state: 'running',
      dpcRuns: p.counters.dpcRuns,
      dpcsQueued: typeof queued === 'number' ? queued : null,
      rings,
      counters: { ...p.counters },
    });
  }
  return out;
}

/** The adapter's driver counters on every processor (primary first), or null when it has no replicas. */
export function adapterProcessors(rt: NdisRuntime, mb: MiniportBlock, read: (instance: unknown) => { statistics: Record<string, number> | null; inspect: unknown }): AdapterProcessorSnapshot[] | null {
  const replicas = rt.processors === null ? [] : rt.replicasOf(mb.name);
  if (replicas.length === 0) return null;
  return [
    { processor: 0, state: mb.state, ...read(mb.instance) },
    // A replica on a worker thread keeps its driver object there: its figures are not visible from here yet.
    ...replicas.map((r) => ({ processor: r.processorNumber, state: r.state, ...('instance' in r ? read(r.instance) : { statistics: null, inspect: null }) })),
  ];
}

/** `statistics` summed over processors (numbers only); null when no processor has any. */
export function summedStatistics(perProcessor: readonly AdapterProcessorSnapshot[]): Record<string, number> | null {
  const all = perProcessor.map((p) => p.statistics).filter((s): s is Readonly<Record<string, number>> => s !== null);
  return all.length === 0 ? null : (sumNumericLeaves(all) as Record<string, number>);
}
