/**
 * The worker side of a miniport replica on a ThreadedProcessorSet: lane functions processor 0 runs on
 * processor k (ThreadedProcessorSet.run) to make, drive and halt the replica there. The replica itself
 * is the ordinary MiniportReplica, made in the host's WorkerLane from the driver the worker imports by
 * its `multiProcessor: { module, export }`; its receive indications cross to processor 0 through the home
 * end of a crossing edge whose id processor 0 allocated (the far end is there, in front of the primary's
 * receive path).
 *
 * The export is the driver's characteristics, or a class or function whose instance / result is them
 * or holds them as `characteristics` (a driver object made with its defaults).
 */
import type { ConfigValue, MiniportDriverCharacteristics } from '../../ndis/driver-api.js';
import { Configuration } from '../runtime/configuration.js';
import { NDIS_STATUS_FAILURE, type NdisStatus } from '../../ndis/status.js';
import type { MiniportBlock } from '../runtime/miniport-block.js';
import { CrossingEdge, type CrossingFar } from './crossing-edge.js';
import { MiniportReplica } from './miniport-replica.js';
import type { WorkerLane } from './worker-lane.js';

export interface CreateReplicaData {
  adapter: string;
  ifIndex: number;
  keywords: Record<string, ConfigValue>;
  module: string;
  export: string;
  edgeId: number;
  edgeName: string;
  published: unknown;
}

function isCharacteristics(x: unknown): x is MiniportDriverCharacteristics {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'miniport';
}

/** The driver's characteristics from the export a worker imported. */
export function characteristicsOf(value: unknown): MiniportDriverCharacteristics | null {
  if (isCharacteristics(value)) return value;
  if (typeof value !== 'function') return null;
  let made: unknown;
  try {
    made = new (value as new () => unknown)();
  } catch {
    made = (value as () => unknown)();
  }
  if (isCharacteristics(made)) return made;
  const held = (made as { characteristics?: unknown } | null)?.characteristics;
  return isCharacteristics(held) ? held : null;
}

function replicaOf(lane: WorkerLane, adapter: string): MiniportReplica {
  const r = lane.objects.get(`replica:${adapter}`);
  if (!(r instanceof MiniportReplica)) throw new Error(`no replica of ${adapter} on processor ${lane.processorNumber}`);
  return r;
}

/** Makes and initializes the replica; its status (non-success: nothing is left on the worker). */
export async function createReplica(lane: WorkerLane, d: CreateReplicaData): Promise<NdisStatus> {
  const mod = (await import(d.module)) as Record<string, unknown>;
  const driver = characteristicsOf(mod[d.export]);
  if (driver === null) {
    lane.log('error', d.adapter, `${d.module} export ${d.export} holds no miniport characteristics`);
    return NDIS_STATUS_FAILURE;
  }
  // The replica reads only these of its primary; the primary itself lives on processor 0.
  const primary = { name: d.adapter, ifIndex: d.ifIndex, keywords: new Configuration(d.keywords), driver } as unknown as MiniportBlock;
  const replica = new MiniportReplica(lane, `${d.adapter}@${lane.processorNumber}`, primary);
  const status = replica.initialize(d.published);
  if (status !== 0) return status;
  const home = lane.createHome(d.edgeId, { kind: 'receive', name: d.edgeName, from: lane.processorNumber, to: 0, target: replica as never, back: replica });
  replica.edge = new CrossingEdge(d.edgeId, 'receive', lane.processorNumber, 0, home, null as unknown as CrossingFar);
  lane.objects.set(`replica:${d.adapter}`, replica);
  return status;
}

export interface ReplicaReport {
  state: string;
  receivesOutstanding: number;
  received: number;
  returned: number;
}

function reportOf(r: MiniportReplica): ReplicaReport {
  return { state: r.state, receivesOutstanding: r.receivesOutstanding, received: r.stats.received, returned: r.stats.returned };
}

export async function pauseReplica(lane: WorkerLane, d: { adapter: string; reason: number }): Promise<ReplicaReport> {
  const r = replicaOf(lane, d.adapter);
  await r.pause(d.reason);
  return reportOf(r);
}

export async function restartReplica(lane: WorkerLane, d: { adapter: string }): Promise<{ status: NdisStatus; report: ReplicaReport }> {
  const r = replicaOf(lane, d.adapter);
  const status = await r.restart();
  return { status, report: reportOf(r) };
}

export function publishToReplica(lane: WorkerLane, d: { adapter: string; state: unknown }): void {
  replicaOf(lane, d.adapter).deliverPublished(d.state);
}

/** Halts the replica, gives back what its edge still lent, and says whether the lane's pools are full. */
export function haltReplica(lane: WorkerLane, d: { adapter: string; haltAction: number }): { poolsFull: boolean; reclaimed: number } {
  const r = replicaOf(lane, d.adapter);
  let reclaimed = 0;
  const home = r.edge?.home;
  if (home !== undefined) {
    reclaimed = home.reclaim('the adapter was halted');
    lane.processor.homeEnds.delete(home.edgeId);
  }
  r.halt(d.haltAction);
  lane.objects.delete(`replica:${d.adapter}`);
  return { poolsFull: lane.poolsFull(), reclaimed };
}

export function replicaReport(lane: WorkerLane, d: { adapter: string }): ReplicaReport {
  return reportOf(replicaOf(lane, d.adapter));
}
