/**
 * NBL history (the analogue of ndiskd's `!nbl -log`): each NBL's recent events — allocated, sent,
 * indicated, completed (with its status), returned, freed, cloned from / into (a clone, fragment or
 * reassembly and its parent, each naming the other) — with the module and the time, kept in a bounded
 * ring per NBL. Off by default (on in `NdisRuntime.forTest`).
 *
 * Off costs nothing on the data path: pools are plain `NetBufferListPool`s and the handoffs in
 * transfer.ts read `rt.nblHistory` once per chain (never per NBL). On, the runtime creates
 * `RecordingNetBufferListPool`s, whose rings are preallocated at pool creation: one fixed-size numeric
 * record per event (kind, module, peer, status, time), so recording allocates nothing. A derivation
 * (derived.ts) reaches the child's pool through its `onDerived` hook, null on plain pools; its records
 * name the other NBL by pool id and slot (in `peer` and `status`).
 *
 *   records: [ slot 0: depth × RECORD ][ slot 1 ] ... — `written[slot]` counts events ever written
 */
import type { BufferAllocator } from '../../ndis/buffers/allocator.js';
import type { NetBufferList } from '../../ndis/buffers/net-buffer-list.js';
import { NetBufferListPool, type DerivedNblKind, type NetBufferListPoolParameters, type PoolObserver } from '../../ndis/buffers/pools.js';

export const NblEvent = {
  Allocated: 1,
  Freed: 2,
  Sent: 3,
  Indicated: 4,
  Completed: 5,
  Returned: 6,
  /** This NBL is a clone / fragment / reassembly of another (peer: pool id × 4 + how, status: its slot). */
  ClonedFrom: 7,
  /** Another NBL was derived from this one (same encoding). */
  ClonedInto: 8,
} as const;
export type NblEventKind = (typeof NblEvent)[keyof typeof NblEvent];

export type NblEventName = 'allocated' | 'freed' | 'sent' | 'indicated' | 'completed' | 'returned' | 'cloned-from' | 'cloned-into';
/** Indexed by NblEventKind. */
const KIND_NAMES: readonly NblEventName[] = ['allocated', 'allocated', 'freed', 'sent', 'indicated', 'completed', 'returned', 'cloned-from', 'cloned-into'];
/** A derivation's `how`, by the code kept in the low 2 bits of its record's peer field. */
const HOW: readonly DerivedNblKind[] = ['clone', 'clone', 'fragment', 'reassembly'];
const howCode = (how: DerivedNblKind): number => (how === 'fragment' ? 2 : how === 'reassembly' ? 3 : 1);

/** Fields per record: kind, module id, peer id (0 = none), status, time (ms of the runtime clock). */
const RECORD = 5;

/** Events kept per NBL unless the runtime says otherwise. */
export const DEFAULT_NBL_HISTORY_DEPTH = 16;

/** One decoded event. `module` did it; `to` is whom it handed the NBL to (handoffs only). */
export interface NblHistoryEvent {
  event: NblEventName;
  module: string;
  to?: string;
  /** NET_BUFFER_LIST_STATUS, for completions. */
  status?: number;
  /** cloned-from / cloned-into: the other NBL (its parent, or what was derived from it), as `pool#slot`. */
  nbl?: string;
  /** cloned-from / cloned-into: how (NdisAllocateClone-, Fragment- or ReassembledNetBufferList). */
  how?: DerivedNblKind;
  time: number;
}

/** The bounded rings of one NBL pool. */
export class NblHistoryRing {
  readonly #records: Float64Array;
  readonly #written: Uint32Array;

  constructor(
    readonly capacity: number,
    readonly depth: number,
  ) {
    this.#records = new Float64Array(capacity * depth * RECORD);
    this.#written = new Uint32Array(capacity);
  }

  record(slot: number, kind: NblEventKind, module: number, peer: number, status: number, time: number): void {
    const n = this.#written[slot]!;
    this.#written[slot] = n + 1;
    const at = (slot * this.depth + (n % this.depth)) * RECORD;
    const r = this.#records;
    r[at] = kind;
    r[at + 1] = module;
    r[at + 2] = peer;
    r[at + 3] = status;
    r[at + 4] = time;
  }

  /** Events ever recorded for `slot` (the ring keeps the last `depth`). */
  written(slot: number): number {
    return this.#written[slot]!;
  }

  /** The kept events of `slot`, oldest first, as raw records (inspection; allocates). */
  raw(slot: number): { kind: number; module: number; peer: number; status: number; time: number }[] {
    const n = this.#written[slot]!;
    const out = [];
    for (let i = Math.max(0, n - this.depth); i < n; i++) {
      const at = (slot * this.depth + (i % this.depth)) * RECORD;
      const r = this.#records;
      out.push({ kind: r[at]!, module: r[at + 1]!, peer: r[at + 2]!, status: r[at + 3]!, time: r[at + 4]! });
    }
    return out;
  }
}

/** An NBL pool that records allocations and frees into its ring (created only with history on). */
export class RecordingNetBufferListPool extends NetBufferListPool {
  readonly history: NblHistoryRing;

  constructor(
    params: NetBufferListPoolParameters,
    allocator: BufferAllocator,
    observer: PoolObserver | null,
    depth: number,
    /** Id of the module that allocated the pool (the one that allocates and frees its NBLs). */
    readonly ownerId: number,
    readonly now: () => number,
    /** The runtime's recorder: derivations name pools by its ids. */
    recorder: NblHistory | null = null,
  ) {
    super(params, allocator, observer);
    this.history = new NblHistoryRing(this.capacity, depth);
    if (recorder !== null) {
      const selfId = recorder.poolId(this);
      this.onDerived = (child, parent, how) => {
        const time = this.now();
        const code = howCode(how);
        this.history.record(child.slot, NblEvent.ClonedFrom, this.ownerId, recorder.poolId(parent.home) * 4 + code, parent.slot, time);
        const ring = (parent.home as { history?: NblHistoryRing }).history;
        if (ring !== undefined) ring.record(parent.slot, NblEvent.ClonedInto, this.ownerId, selfId * 4 + code, child.slot, time);
      };
    }
  }

  override allocate(contextSize = 0, contextBackfill = 0): NetBufferList | null {
    const nbl = super.allocate(contextSize, contextBackfill);
    if (nbl !== null) this.history.record(nbl.slot, NblEvent.Allocated, this.ownerId, 0, 0, this.now());
    return nbl;
  }

  override free(nbl: NetBufferList): boolean {
    const ok = super.free(nbl);
    if (ok) this.history.record(nbl.slot, NblEvent.Freed, this.ownerId, 0, 0, this.now());
    return ok;
  }
}

/** The runtime's side: records handoffs and decodes an NBL's history with module names. */
export class NblHistory {
  #cached = -1;
  /** Pools that took part in a derivation, by id (1, 2, …): their names, for decoding. */
  readonly #poolIds = new WeakMap<object, number>();
  readonly #poolNames: string[] = [''];
  readonly #clear = (): void => {
    this.#cached = -1;
  };

  constructor(
    readonly depth: number,
    private readonly nameOf: (id: number) => string,
    private readonly clock: () => number,
  ) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 4096) throw new RangeError(`NBL history depth must be an integer 1…4096, got ${depth}`);
  }

  /**
   * The clock, read once per synchronous run of the data path (a microtask forgets it): reading the real
   * clock for every allocation and free was a fifth of the path with history on.
   */
  time(): number {
    if (this.#cached < 0) {
      this.#cached = this.clock();
      queueMicrotask(this.#clear);
    }
    return this.#cached;
  }

  /** The id derivation records name `pool` by (assigned on first use). */
  poolId(pool: { readonly name: string }): number {
    let id = this.#poolIds.get(pool);
    if (id === undefined) {
      id = this.#poolNames.push(pool.name) - 1;
      this.#poolIds.set(pool, id);
    }
    return id;
  }

  /** Records one event for `nbl` when its pool keeps history (pools made outside the runtime do not). */
  record(nbl: NetBufferList, kind: NblEventKind, module: number, peer: number, status: number, time: number): void {
    const ring = (nbl.home as { history?: NblHistoryRing }).history;
    if (ring !== undefined) ring.record(nbl.slot, kind, module, peer, status, time);
  }

  /** The NBL's kept events, oldest first, with module names; null when its pool keeps no history. */
  of(nbl: NetBufferList): NblHistoryEvent[] | null {
    return this.ofSlot(nbl.home, nbl.slot);
  }

  /** The kept events of slot `slot` of `pool` (the inspector names an NBL `pool#slot`). */
  ofSlot(pool: object, slot: number): NblHistoryEvent[] | null {
    const ring = (pool as { history?: NblHistoryRing }).history;
    if (ring === undefined || !Number.isInteger(slot) || slot < 0 || slot >= ring.capacity) return null;
    return ring.raw(slot).map((r) => {
      const e: NblHistoryEvent = { event: KIND_NAMES[r.kind]!, module: this.nameOf(r.module), time: r.time };
      if (r.kind === NblEvent.ClonedFrom || r.kind === NblEvent.ClonedInto) {
        e.nbl = `${this.#poolNames[Math.floor(r.peer / 4)] ?? '?'}#${r.status}`;
        e.how = HOW[r.peer % 4]!;
        return e;
      }
      if (r.peer !== 0) e.to = this.nameOf(r.peer);
      if (r.kind === NblEvent.Completed) e.status = r.status;
      return e;
    });
  }
}

/** One line per event, as a violation prints it. */
export function formatNblHistory(events: readonly NblHistoryEvent[]): string {
  return events
    .map((e) => {
      const to = e.to === undefined ? '' : ` → ${e.to}`;
      const status = e.status === undefined ? '' : ` status 0x${(e.status >>> 0).toString(16).padStart(8, '0')}`;
      const other = e.nbl === undefined ? '' : ` ${e.nbl} (${e.how ?? 'clone'})`;
      return `  ${e.time.toFixed(3)} ms  ${e.event.padEnd(9)} ${e.module}${to}${status}${other}`;
    })
    .join('\n');
}
