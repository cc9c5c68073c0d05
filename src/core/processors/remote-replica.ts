/**
 * Processor 0's stand-in for a miniport replica that lives on a worker (ThreadedProcessorSet): what the
 * runtime's fan-out talks to. It holds the far end of the replica's receive edge (on processor 0, in front
 * of the primary's receive path) and forwards the control path over the control port as lane functions
 * (replica-lane.ts): creation with the published state, `published`, pause and restart (their
 * completions come back as the answers), halt. Every wait is bounded by the set's deadline and the
 * worker's exit (ThreadedProcessorSet.run): a replica that does not answer is reported and counted as
 * paused / failed, so a pause of the stack never hangs on a dead thread.
 *
 *   processor 0: runtime ─ pause/restart/halt/publish ─► RemoteReplica ══ control port ══► replica-lane.ts
 *   processor 0: primary's receive path ◄─ CrossingFar ◄══ NblRing k→0 ══ CrossingHome ◄─ MiniportReplica :k
 */
import { NDIS_STATUS_FAILURE, NDIS_STATUS_SUCCESS, type NdisStatus } from '../../ndis/status.js';
import { NdisBlock, type ReceiveSink } from '../runtime/block.js';
import type { RuntimeContext } from '../runtime/context.js';
import type { MiniportBlock } from '../runtime/miniport-block.js';
import type { LaneEntry } from './control-port.js';
import { CrossingEdge, CrossingFar, type CrossingHome } from './crossing-edge.js';
import type { ReplicaState } from './miniport-replica.js';
import type { CreateReplicaData, ReplicaReport } from './replica-lane.js';
import type { ThreadedProcessorSet } from './threaded.js';

const REPLICA_LANE = new URL('./replica-lane.js', import.meta.url).href;
const entry = (name: string): LaneEntry => ({ module: REPLICA_LANE, export: name });

export class RemoteReplica extends NdisBlock {
  readonly primary: MiniportBlock;
  readonly processor: number;
  readonly edge: CrossingEdge;
  /** Resolves with initializeReplica's status on the worker. */
  readonly ready: Promise<NdisStatus>;
  receivesOutstanding = 0;
  #state: ReplicaState = 'Initializing';
  #halted: Promise<unknown> | null = null;

  constructor(
    readonly host: RuntimeContext,
    readonly set: ThreadedProcessorSet,
    primary: MiniportBlock,
    processor: number,
    target: ReceiveSink,
    published: unknown,
    edgeName: string,
  ) {
    super(host, `${primary.name}@${processor}`);
    this.primary = primary;
    this.processor = processor;
    const id = set.allocateEdgeId();
    const spec = { kind: 'receive' as const, name: edgeName, from: processor, to: 0, target, back: target as never };
    const far = new CrossingFar(host, `${host.name}/${edgeName}@0`, id, spec, set.processor(0));
    set.processor(0).farEnds.set(id, far);
    this.edge = new CrossingEdge(id, 'receive', processor, 0, null as unknown as CrossingHome, far);
    set.registerStandIn(this.name, this);
    const mp = primary.driver.multiProcessor!;
    const data: CreateReplicaData = { adapter: primary.name, ifIndex: primary.ifIndex, keywords: Object.fromEntries(primary.keywords.entries()), module: mp.module, export: mp.export, edgeId: id, edgeName, published };
    this.ready = set.run<NdisStatus>(processor, entry('createReplica'), data, host).then(
      (status) => {
        this.#state = status === NDIS_STATUS_SUCCESS ? 'Paused' : 'Halted';
        return status;
      },
      (e: unknown) => {
        this.#fail(`initializeReplica did not complete: ${e instanceof Error ? e.message : String(e)}`);
        return NDIS_STATUS_FAILURE;
      },
    );
  }

  override get processorNumber(): number {
    return this.processor;
  }

  get state(): ReplicaState {
    return this.#state;
  }

  #fail(why: string): void {
    this.#state = 'Halted';
    this.log('error', why);
  }

  #apply(r: ReplicaReport): void {
    this.#state = r.state as ReplicaState;
    this.receivesOutstanding = r.receivesOutstanding;
    this.stats.received = r.received;
    this.stats.returned = r.returned;
  }

  async pause(reason: number): Promise<void> {
    if ((await this.ready) !== NDIS_STATUS_SUCCESS || this.#state !== 'Running') return;
    this.#state = 'Pausing';
    try {
      this.#apply(await this.set.run<ReplicaReport>(this.processor, entry('pauseReplica'), { adapter: this.primary.name, reason }, this.host));
    } catch (e) {
      this.#fail(`pause did not complete: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async restart(): Promise<NdisStatus> {
    if ((await this.ready) !== NDIS_STATUS_SUCCESS) return NDIS_STATUS_FAILURE;
    if (this.#state !== 'Paused') return NDIS_STATUS_SUCCESS;
    this.#state = 'Restarting';
    try {
      const r = await this.set.run<{ status: NdisStatus; report: ReplicaReport }>(this.processor, entry('restartReplica'), { adapter: this.primary.name }, this.host);
      this.#apply(r.report);
      return r.status;
    } catch (e) {
      this.#fail(`restart did not complete: ${e instanceof Error ? e.message : String(e)}`);
      return NDIS_STATUS_FAILURE;
    }
  }

  deliverPublished(state: unknown): void {
    void this.ready.then((s) => {
      if (s === NDIS_STATUS_SUCCESS && this.#state !== 'Halted') {
        this.set.run(this.processor, entry('publishToReplica'), { adapter: this.primary.name, state }, this.host).catch((e: unknown) => this.log('warn', `publish not delivered: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  /**
   * Halts the replica on its worker (answered later: `halted`) and takes the far end off processor 0.
   * The stack above is gone by now, so every shell is back at the far end and its returns are on the way.
   */
  halt(haltAction: number): void {
    const far = this.edge.far;
    this.set.processor(0).farEnds.delete(this.edge.id);
    this.set.registerStandIn(this.name, null);
    if (far.shellsOut > 0) this.log('warn', `halted with ${far.shellsOut} shell(s) still out on processor 0`);
    const wasUp = this.#state !== 'Halted' && this.#state !== 'Initializing';
    this.#state = 'Halted';
    this.#halted = wasUp
      ? this.set.run<{ poolsFull: boolean }>(this.processor, entry('haltReplica'), { adapter: this.primary.name, haltAction }, this.host).then(
          (r) => {
            if (!r.poolsFull) this.report('TeardownLeak', `the replica's pools on processor ${this.processor} are not full after halt`);
          },
          (e: unknown) => this.log('warn', `halt not confirmed: ${e instanceof Error ? e.message : String(e)}`),
        )
      : Promise.resolve();
  }

  /** Resolves once the worker answered the halt (or it failed). */
  get halted(): Promise<unknown> {
    return this.#halted ?? Promise.resolve();
  }

  /** The far end's shell pools (reclaimed by the runtime after halt). */
  get far(): CrossingFar {
    return this.edge.far;
  }
}
