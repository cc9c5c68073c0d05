/**
 * The host's drop-reason registry (src/ndis/drops.ts says what drivers see): one counter slot per
 * (module, reason), resolved when a driver asks for it, plus the drop sources modules register (counters
 * they keep themselves, read when asked). A drop on the data path is `slot.count++` and one check of
 * `registry.sink`; only while a drop capture is attached (`sink` set) is the frame copied and handed to it.
 *
 * Slots live as long as the host: a module that is detached and attached again keeps counting where it
 * left off, as pktmon's per-component counters do until reset.
 */
import type { NetBuffer } from '../../ndis/buffers/net-buffer.js';
import { DROP_REASON_PATTERN, type NdisDropCounter, type NdisDropSource, type NdisDropSourceRegistration } from '../../ndis/drops.js';

/** One dropped frame as a drop capture receives it: `bytes` is a copy the sink may keep. */
export interface DroppedFrame {
  readonly host: string;
  readonly module: string;
  readonly reason: string;
  /** Runtime clock, ms. */
  readonly time: number;
  /** The frame's bytes (a copy), or null when the place that dropped it had none. */
  readonly bytes: Uint8Array | null;
}

/** Where dropped frames go while a drop capture is attached. */
export type DropSink = (frame: DroppedFrame) => void;

/** One row of `drops`: a module, a reason, how many. */
export interface DropRow {
  module: string;
  reason: string;
  count: number;
}

/** Largest frame copied to a drop capture (the rest is cut, as a snap length would). */
export const DROP_CAPTURE_SNAPLEN = 65536;

class DropSlot implements NdisDropCounter {
  count = 0;
  constructor(
    readonly registry: DropRegistry,
    readonly module: string,
    readonly reason: string,
  ) {}

  drop(nb?: NetBuffer | null): void {
    this.count++;
    if (this.registry.sink !== null) this.registry.captureNetBuffer(this.module, this.reason, nb ?? null);
  }

  dropBytes(bytes: Uint8Array, offset: number, length: number): void {
    this.count++;
    if (this.registry.sink !== null) this.registry.captureBytes(this.module, this.reason, bytes, offset, length);
  }

  add(n: number): void {
    this.count += n;
  }
}

class SourceRegistration implements NdisDropSourceRegistration {
  refs = 1;
  constructor(
    readonly registry: DropRegistry,
    readonly source: NdisDropSource,
  ) {}
  get capturing(): boolean {
    return this.registry.sink !== null;
  }
  capture(reasonIndex: number, bytes: Uint8Array, offset: number, length: number): void {
    if (this.registry.sink === null) return;
    this.registry.captureBytes(this.source.module, this.source.reasons[reasonIndex] ?? `reason${reasonIndex}`, bytes, offset, length);
  }
  remove(): void {
    this.registry.removeSource(this);
  }
}

export class DropRegistry {
  /** Set while a drop capture is attached (`attachSink`). */
  sink: DropSink | null = null;
  readonly #slots = new Map<string, DropSlot>();
  readonly #sources = new Map<NdisDropSource, SourceRegistration>();

  constructor(
    readonly host: string,
    readonly now: () => number,
  ) {}

  /** The counter of `module` for `reason`: the same object for the same pair. */
  counter(module: string, reason: string): NdisDropCounter {
    if (!DROP_REASON_PATTERN.test(reason)) throw new RangeError(`${module}: drop reason '${reason}' is not a lowerCamelCase name`);
    const key = `${module}\u0000${reason}`;
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = new DropSlot(this, module, reason);
      this.#slots.set(key, slot);
    }
    return slot;
  }

  registerSource(source: NdisDropSource): NdisDropSourceRegistration {
    for (const r of source.reasons) if (!DROP_REASON_PATTERN.test(r)) throw new RangeError(`${source.module}: drop reason '${r}' is not a lowerCamelCase name`);
    const existing = this.#sources.get(source);
    if (existing !== undefined) {
      existing.refs++;
      return existing;
    }
    const reg = new SourceRegistration(this, source);
    this.#sources.set(source, reg);
    return reg;
  }

  /** @internal */
  removeSource(reg: SourceRegistration): void {
    if (this.#sources.get(reg.source) !== reg || --reg.refs > 0) return;
    this.#sources.delete(reg.source);
  }

  /** Every (module, reason) with a non-zero count (all of them with `all`), sorted by module then reason. */
  rows(all = false): DropRow[] {
    const rows: DropRow[] = [];
    for (const s of this.#slots.values()) if (all || s.count > 0) rows.push({ module: s.module, reason: s.reason, count: s.count });
    for (const { source } of this.#sources.values()) {
      source.reasons.forEach((reason, i) => {
        const count = source.read(i);
        if (all || count > 0) rows.push({ module: source.module, reason, count });
      });
    }
    return rows.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  }

  /** Starts sending dropped frames to `sink`; one capture at a time. */
  attachSink(sink: DropSink): void {
    if (this.sink !== null) throw new Error(`${this.host}: a drop capture is already attached`);
    this.sink = sink;
  }

  detachSink(sink: DropSink): void {
    if (this.sink === sink) this.sink = null;
  }

  /** @internal */
  captureNetBuffer(module: string, reason: string, nb: NetBuffer | null): void {
    let bytes: Uint8Array | null = null;
    if (nb !== null) {
      bytes = new Uint8Array(Math.min(nb.dataLength, DROP_CAPTURE_SNAPLEN));
      nb.copyOut(bytes, 0, 0, bytes.length);
    }
    this.#emit(module, reason, bytes);
  }

  /** @internal */
  captureBytes(module: string, reason: string, bytes: Uint8Array, offset: number, length: number): void {
    this.#emit(module, reason, bytes.slice(offset, offset + Math.min(Math.max(0, length), DROP_CAPTURE_SNAPLEN)));
  }

  #emit(module: string, reason: string, bytes: Uint8Array | null): void {
    const sink = this.sink;
    if (sink === null) return;
    try {
      sink({ host: this.host, module, reason, time: this.now(), bytes });
    } catch {
      // A failing capture must not take the data path down: it is detached.
      this.sink = null;
    }
  }
}
