/**
 * The inspector's model of one host: plain, JSON-able data (numbers, strings, booleans, arrays, plain
 * objects; no bigint, no class instances), taken at one instant. Both renderers and the dashboard read
 * this model, never the runtime. Stacks are listed bottom → top, as NDIS numbers them (level 0 = the
 * miniport, filter modules 1…n, bindings above).
 */

/** NBL counts on the edges of one block (the runtime's EdgeCounters). */import type { OidRecord } from '../core/runtime/oid-log.js';

export interface CountersSnapshot {
  /** NBLs passed down (towards the miniport) by this block, or for a miniport: handed to the driver. */
  readonly sent: number;
  /** NBLs completed back up. */
  readonly sendCompleted: number;
  /** Completions with a failure status (bindings). */
  readonly sendFailed: number;
  /** NBLs indicated up. */
  readonly received: number;
  /** NBLs returned down. */
  readonly returned: number;
  /** NBLs the runtime dropped here (paused target, packet filter, rule violations). */
  readonly dropped: number;
}

export interface OutstandingSnapshot {
  readonly sends: number;
  readonly receives: number;
}

export interface LinkSnapshot {
  readonly connected: boolean;
  readonly mediaConnectState: 'connected' | 'disconnected' | 'unknown';
  readonly duplex: 'full' | 'half' | 'unknown';
  /** Bits per second; null when NDIS_LINK_SPEED_UNKNOWN. */
  readonly xmitSpeedBps: number | null;
  readonly rcvSpeedBps: number | null;
}

export interface DriverSnapshot {
  readonly name: string;
  readonly kind: 'miniport' | 'filter' | 'protocol' | 'intermediate';
  /** "6.30" */
  readonly ndisVersion: string;
  readonly driverVersion: string | null;
  readonly description: string | null;
  readonly filterType: string | null;
  readonly filterClass: string | null;
  readonly runType: string | null;
  /** Upper-edge medium (miniports and intermediates' virtual miniports). */
  readonly medium: string | null;
  /** Lower-edge media (FilterMediaTypes, MediumArray). */
  readonly media: readonly string[];
}

export interface FilterSnapshot {
  readonly name: string;
  readonly driver: string;
  readonly type: string;
  readonly class: string;
  readonly runType: string;
  readonly state: string;
  /** 1 = directly above the miniport. */
  readonly level: number;
  /** Monitoring modules: what they sit directly above ('miniport' or a modifying filter's name). */
  readonly above: string | null;
  readonly failed: boolean;
  readonly counters: CountersSnapshot;
  /** NBLs this module originated that have not come back. */
  readonly originated: OutstandingSnapshot;
  /** The module's own `inspect()` output, if it has one. */
  readonly inspect: unknown;
}

export interface BindingSnapshot {
  readonly name: string;
  readonly protocol: string;
  /** The lower edge of an intermediate driver. */
  readonly intermediate: boolean;
  readonly state: string;
  readonly packetFilter: number;
  readonly packetFilterNames: readonly string[];
  readonly failed: boolean;
  readonly counters: CountersSnapshot;
  /** Sends not completed, receives held (not returned). */
  readonly outstanding: OutstandingSnapshot;
  /** Virtual miniports this (intermediate) binding created. */
  readonly virtualMiniports: readonly string[];
  readonly inspect: unknown;
}

/** The adapter's task offloads as one-line descriptions (`describeOffload`). */
export interface OffloadSnapshot {
  /** The current configuration as the protocols see it. */
  readonly current: string;
  readonly hardware: string;
}

/** A replicated adapter's driver counters on one processor (the primary is processor 0). */
export interface AdapterProcessorSnapshot {
  readonly processor: number;
  readonly state: string;
  readonly statistics: Readonly<Record<string, number>> | null;
  readonly inspect: unknown;
}

export interface AdapterSnapshot {
  /** Full name, `host/eth0`. */
  readonly name: string;
  readonly shortName: string;
  readonly driver: string;
  readonly state: string;
  readonly ifIndex: number;
  /** Created by an intermediate driver: the binding that created it. */
  readonly createdBy: string | null;
  readonly medium: string;
  readonly mac: string | null;
  readonly permanentMac: string | null;
  readonly mtu: number | null;
  readonly link: LinkSnapshot | null;
  /** Null when the miniport reports no task offloads at all. */
  readonly offloads: OffloadSnapshot | null;
  /**
   * Header-data split: the current configuration (NDIS_HD_SPLIT_CURRENT_CONFIG fields) and the split
   * frames NDIS made contiguous for receivers that do not take them; null when the adapter does none.
   */
  readonly hdSplit: HdSplitSnapshot | null;
  /** Merged over every binding (what the miniport was told). */
  readonly packetFilter: number;
  readonly packetFilterNames: readonly string[];
  readonly lookahead: number;
  readonly multicastList: readonly string[];
  readonly failed: boolean;
  readonly resetInProgress: boolean;
  readonly surpriseRemoved: boolean;
  readonly counters: CountersSnapshot;
  readonly outstanding: OutstandingSnapshot;
  /**
   * The miniport's frame statistics (the OID_GEN_STATISTICS counters: frames and bytes by class,
   * discards, errors, no-buffer drops, totals) from its optional `statistics()` hook; null without one.
   */
  readonly statistics: Readonly<Record<string, number>> | null;
  /** The miniport adapter's own `inspect()` output (device-specific counters), if it has one. */
  readonly inspect: unknown;
  /**
   * A multi-processor adapter (one with replicas): `statistics` and `inspect` above are summed over its
   * processors (inspect/processors.ts), and these are the values of each processor, primary first.
   */
  readonly perProcessor?: readonly AdapterProcessorSnapshot[];
  /** Bottom → top. */
  readonly filters: readonly FilterSnapshot[];
  readonly bindings: readonly BindingSnapshot[];
  /** OID requests at the miniport: held now, and the last ones completed (oid-log.ts). */
  readonly oids: OidsSnapshot;
}

export interface HdSplitSnapshot {
  readonly hardwareCapabilities: number;
  readonly currentCapabilities: number;
  readonly hdSplitFlags: number;
  readonly hdSplitCombineFlags: number;
  readonly backfillSize: number;
  readonly maxHeaderSize: number;
  readonly combinedByNdis: number;
  readonly notCombined: number;
}

export interface OidRequestSnapshot {
  readonly requestId: number;
  readonly oid: string;
  readonly type: string;
  /** in-flight (at the miniport), queued (behind it), direct (a direct OID at the miniport). */
  readonly where: 'in-flight' | 'queued' | 'direct';
  /** ms since the adapter got it. */
  readonly ageMs: number;
}

export interface OidsSnapshot {
  readonly pending: readonly OidRequestSnapshot[];
  readonly recent: readonly OidRecord[];
  readonly completed: number;
}

export interface PoolSnapshot {
  readonly name: string;
  readonly kind: 'NetBufferList' | 'NetBuffer';
  /** The block that allocated it. */
  readonly owner: string | null;
  readonly capacity: number;
  readonly inUse: number;
  /** Allocations refused because the pool was empty. */
  readonly exhausted: number;
  /** The most entries ever in use at once. */
  readonly highWater: number;
  /** Allocations served since the pool was created. */
  readonly allocations: number;
}

export interface AllocatorClassSnapshot {
  readonly capacity: number;
  readonly inUse: number;
}

export interface AllocatorSnapshot {
  readonly mappings: AllocatorClassSnapshot;
  readonly small: AllocatorClassSnapshot;
  readonly large: AllocatorClassSnapshot;
  readonly contextBlocks: AllocatorClassSnapshot;
}

export interface ViolationSnapshot {
  readonly rule: string;
  readonly module: string;
  readonly detail: string;
  /** Runtime clock, ms. */
  readonly time: number;
}

export interface VerifierSnapshot {
  readonly enabled: boolean;
  readonly total: number;
  /** Count per rule, rules in alphabetical order. */
  readonly byRule: Readonly<Record<string, number>>;
  /** The first violations recorded (at most `FIRST_VIOLATIONS`). */
  readonly first: readonly ViolationSnapshot[];
}

/** The runtime's log path (rate-limited): messages passed to the logger and suppressed. */
export interface LogSnapshot {
  readonly logged: number;
  readonly suppressed: number;
}

/** Entries waiting in the rings from processor `from` to this one (-1: the ring is dead). */
export interface RingDepthSnapshot {
  readonly from: number;
  /** NblRing: descriptors (NBLs crossing) not yet taken. */
  readonly descriptors: number;
  /** ReturnRing: returns and completions coming home not yet taken. */
  readonly returns: number;
}

/** One processor of a multi-processor host: its crossing counters (process-wide: shared by the hosts on it). */
export interface ProcessorSnapshot {
  readonly number: number;
  /** What runs it: the main thread (processor 0), a simulated processor, a worker thread. */
  readonly kind: 'main' | 'simulated' | 'worker';
  /** 'running' (processor failure handling will add 'unresponsive' and 'dead'). */
  readonly state: string;
  /** DPC batches run, and DPCs queued now (null where the processor's scheduler does not say). */
  readonly dpcRuns: number;
  readonly dpcsQueued: number | null;
  /** The rings aimed at this processor, one entry per other processor. */
  readonly rings: readonly RingDepthSnapshot[];
  readonly counters: Readonly<Record<string, number>>;
}

/** A data-path edge between two processors (core/processors/crossing-edge.ts). */
export interface CrossingEdgeSnapshot {
  readonly name: string;
  readonly kind: 'send' | 'receive';
  readonly from: number;
  readonly to: number;
  /** NBLs handed over, given back, and refused (ring, ledger or shell pool full; not transferable). */
  readonly crossed: number;
  readonly returned: number;
  readonly refused: number;
  /** Originals on loan at home, and shells out on the far processor, now. */
  readonly lent: number;
  readonly shellsOut: number;
}

export interface ReplicaSnapshot {
  readonly adapter: string;
  readonly processor: number;
  readonly state: string;
  readonly receivesOutstanding: number;
  readonly counters: CountersSnapshot;
}

/** Present when the host runs on more than one processor. */
export interface ProcessorsSnapshot {
  readonly mode: 'simulated' | 'threads';
  readonly count: number;
  readonly processors: readonly ProcessorSnapshot[];
  readonly edges: readonly CrossingEdgeSnapshot[];
  readonly replicas: readonly ReplicaSnapshot[];
}

export interface RuntimeSnapshot {
  readonly host: string;
  /** Multi-processor hosts only. */
  readonly processors?: ProcessorsSnapshot;
  readonly verifier: VerifierSnapshot;
  readonly log: LogSnapshot;
  readonly drivers: readonly DriverSnapshot[];
  /** Sorted by name. */
  readonly adapters: readonly AdapterSnapshot[];
  /** Sorted by name. */
  readonly pools: readonly PoolSnapshot[];
  readonly allocator: AllocatorSnapshot;
  /** Drop reasons (core/runtime/drops.ts): every (module, reason) that counted a frame; absent when none did. */
  readonly drops?: readonly DropSnapshot[];
}

/** Frames a module dropped under one named reason. */
export interface DropSnapshot {
  readonly module: string;
  readonly reason: string;
  readonly count: number;
}
