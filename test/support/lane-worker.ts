/**
 * Lane code for thread-mode tests (ThreadedProcessorSet.run imports this module on a worker): the worker
 * ends of crossing edges with a LaneSource or LaneTarget behind them, the offering of chains from the
 * worker's DPCs, and reports of what each end saw, for the main thread's assertions.
 */
import { CrossingEdge, type CrossingFar, type CrossingHome } from '../../src/core/processors/crossing-edge.js';
import type { MiniportReplica } from '../../src/core/processors/miniport-replica.js';
import type { WorkerLane } from '../../src/core/processors/worker-lane.js';
import { SeededRandom } from '../../src/util/random.js';
import { type EdgeEndPlan, LaneSource, type MpTestAdapter, LaneTarget, offerChains, sourceReport, targetReport } from './processors.js';

export function makeEnd(lane: WorkerLane, plan: EdgeEndPlan): void {
  const spec = { name: plan.name, from: plan.from, to: plan.to, ledgerCapacity: plan.ledgerCapacity, shellCapacity: plan.shellCapacity };
  if (plan.from === lane.processorNumber) {
    const source = new LaneSource(lane, `${lane.name}/${plan.name}.source`, plan.capacity);
    const home: CrossingHome = lane.createHome(plan.id, plan.kind === 'receive' ? { ...spec, kind: 'receive', target: source as never, back: source } : { ...spec, kind: 'send', target: source as never, back: source });
    source.edge = new CrossingEdge(plan.id, plan.kind, plan.from, plan.to, home, null as unknown as CrossingFar);
    lane.objects.set(`${plan.name}.source`, source);
  } else {
    const target = new LaneTarget(lane, `${lane.name}/${plan.name}.target`);
    const far: CrossingFar = lane.createFar(plan.id, plan.kind === 'receive' ? { ...spec, kind: 'receive', target, back: target as never } : { ...spec, kind: 'send', target, back: target as never });
    target.edge = new CrossingEdge(plan.id, plan.kind, plan.from, plan.to, null as unknown as CrossingHome, far);
    if (plan.holdSeed !== null) target.holdRandom = new SeededRandom(plan.holdSeed);
    if (plan.discard === true) target.record = false;
    lane.objects.set(`${plan.name}.target`, target);
  }
}

export function offer(lane: WorkerLane, data: { name: string; chains: number[]; seed: number; flowBase: number }): void {
  const source = lane.objects.get(`${data.name}.source`) as LaneSource;
  offerChains(source, lane.scheduler, data.chains, data.flowBase, new SeededRandom(data.seed));
}

export function report(lane: WorkerLane, data: { name: string }): unknown {
  const source = lane.objects.get(`${data.name}.source`) as LaneSource | undefined;
  if (source !== undefined) return { source: sourceReport(source), poolsFull: lane.poolsFull() };
  const target = lane.objects.get(`${data.name}.target`) as LaneTarget;
  return { target: targetReport(target), poolsFull: lane.poolsFull() };
}

/** Processor counters of this worker (summed by the test over processors). */
export function counters(lane: WorkerLane): unknown {
  return { ...lane.processor.counters };
}

function replicaAdapter(lane: WorkerLane, adapter: string): MpTestAdapter {
  const r = lane.objects.get(`replica:${adapter}`) as MiniportReplica | undefined;
  if (r === undefined || r.instance === null) throw new Error(`no running replica of ${adapter} on processor ${lane.processorNumber}`);
  return r.instance as MpTestAdapter;
}

/** Queues frames on the replica's receive queue of a MpTestDriver adapter (its DPC indicates them). */
export function injectReplica(lane: WorkerLane, data: { adapter: string; frames: Uint8Array[] }): void {
  replicaAdapter(lane, data.adapter).inject(data.frames);
}

export function replicaQueue(lane: WorkerLane, data: { adapter: string }): { indicated: number; outstanding: number; dropped: number; queued: number; lastPublished: unknown } {
  const a = replicaAdapter(lane, data.adapter);
  return { indicated: a.indicated, outstanding: a.outstanding, dropped: a.dropped, queued: a.queue.length, lastPublished: a.lastPublished };
}

/** Makes the replica's receive pool throw on allocation (a driver bug inside its DPC). */
export function breakReplica(lane: WorkerLane, data: { adapter: string }): void {
  (replicaAdapter(lane, data.adapter) as unknown as { pool: { allocate(): never } }).pool.allocate = () => {
    throw new Error('receive ring corrupt');
  };
}
