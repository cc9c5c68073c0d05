/**
 * Control-channel operations for drop reasons (control.ts routes to them): the counters of every host's
 * registry (core/runtime/drops.ts), and the drop capture — dropped frames written to pcapng, each packet
 * with an opt_comment naming the reason and the module (pktmon's drop capture, readable in Wireshark).
 *
 *   → {"op":"drops"}                        (or {"op":"drops","host":"hostA"})
 *   ← {"ok":true,"hosts":[{"name":"hostA","drops":[{"module":"hostA/eth0","reason":"malformedFrame","count":3}]}]}
 *   → {"op":"drop-capture","action":"start","file":"drops.pcapng","untilClose":true}
 *   ← {"ok":true,"file":"drops.pcapng","hosts":["hostA","hostB"]}
 *   → {"op":"drop-capture","action":"stop"}
 *   ← {"ok":true,"file":"drops.pcapng","frames":12,"lost":0}
 *
 * The capture's file is written by the running tsndis (as tsndis.capture's is): blocks are queued as
 * drops happen (a copy of the frame, made only while the capture is attached) and written on a short
 * timer and at stop, so the data path never waits on the disk. The queue is bounded; beyond it frames
 * are counted `lost`.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { BuiltStacks } from '../config/index.js';
import type { DropRow, DropSink, DroppedFrame } from '../core/runtime/drops.js';
import { LINKTYPE_ETHERNET, TSRESOL_MICROSECONDS, enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock } from '../io/pcapng/index.js';

export type DropsControlRequest = { op: 'drops'; host?: string };
export type DropCaptureControlRequest = { op: 'drop-capture'; action: 'start'; file: string; untilClose?: boolean } | { op: 'drop-capture'; action: 'stop' };

/** The drop counters of each host (every (module, reason) that counted at least one frame). */
export function controlDrops(stacks: BuiltStacks, req: DropsControlRequest): { ok: true; hosts: { name: string; drops: DropRow[] }[] } {
  if (req.host !== undefined && !stacks.hosts.has(req.host)) throw new Error(`no host '${req.host}'`);
  const hosts: { name: string; drops: DropRow[] }[] = [];
  for (const [name, h] of stacks.hosts) {
    if (req.host !== undefined && name !== req.host) continue;
    hosts.push({ name, drops: h.runtime.drops.rows() });
  }
  return { ok: true, hosts };
}

/** Bytes the capture may hold before writing; frames beyond are counted lost. */
const MAX_QUEUED_BYTES = 16 << 20;
/** How often queued blocks are written, ms. */
const FLUSH_INTERVAL_MS = 100;

/** A drop capture: one pcapng file, one interface per module that dropped something. */
export class DropCaptureFile {
  frames = 0;
  lost = 0;
  readonly #fd: number;
  readonly #interfaces = new Map<string, number>();
  #queue: Uint8Array[] = [];
  #queued = 0;
  readonly #timer: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(readonly path: string) {
    this.#fd = openSync(path, 'w');
    writeSync(this.#fd, sectionHeaderBlock({ userApplication: 'tsndis (drop capture)', comment: 'frames dropped by tsndis; each packet comment names the reason and the module' }));
    this.#timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  /** The sink attached to each host's registry. */
  readonly sink: DropSink = (f: DroppedFrame): void => {
    if (this.#closed) return;
    const data = f.bytes ?? new Uint8Array(0);
    if (this.#queued + data.length > MAX_QUEUED_BYTES) {
      this.lost++;
      return;
    }
    let id = this.#interfaces.get(f.module);
    if (id === undefined) {
      id = this.#interfaces.size;
      this.#interfaces.set(f.module, id);
      this.#push(interfaceDescriptionBlock({ linkType: LINKTYPE_ETHERNET, snapLength: 0, name: f.module, description: `tsndis drops of ${f.module}`, tsresol: TSRESOL_MICROSECONDS }));
    }
    const ms = Date.now();
    this.#push(
      enhancedPacketBlock({
        interfaceId: id,
        seconds: Math.floor(ms / 1000),
        nanoseconds: (ms % 1000) * 1_000_000,
        data,
        comment: `drop: ${f.reason} module: ${f.module}${f.bytes === null ? ' (no frame bytes at this drop point)' : ''}`,
      }),
    );
    this.frames++;
  };

  #push(block: Uint8Array): void {
    this.#queue.push(block);
    this.#queued += block.length;
  }

  /** Writes what is queued. */
  flush(): void {
    if (this.#queue.length === 0) return;
    const blocks = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    writeSync(this.#fd, Buffer.concat(blocks));
  }

  close(): void {
    if (this.#closed) return;
    clearInterval(this.#timer);
    this.flush();
    this.#closed = true;
    closeSync(this.#fd);
  }
}

const sessions = new WeakMap<BuiltStacks, DropCaptureFile>();

/** Starts or stops the drop capture of every host (one at a time per running tsndis). */
export function controlDropCapture(stacks: BuiltStacks, req: DropCaptureControlRequest): { ok: true; [k: string]: unknown } {
  const running = sessions.get(stacks);
  if (req.action === 'start') {
    if (running !== undefined) throw new Error(`a drop capture is already running (to ${running.path})`);
    if (typeof req.file !== 'string' || req.file === '') throw new Error('drop-capture start needs a file');
    let file: DropCaptureFile;
    try {
      file = new DropCaptureFile(req.file);
    } catch (e) {
      throw new Error(`${req.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const hosts = [...stacks.hosts.values()];
    try {
      for (const h of hosts) h.runtime.drops.attachSink(file.sink);
    } catch (e) {
      for (const h of hosts) h.runtime.drops.detachSink(file.sink);
      file.close();
      throw e;
    }
    sessions.set(stacks, file);
    return { ok: true, file: req.file, hosts: [...stacks.hosts.keys()] };
  }
  if (req.action === 'stop') {
    if (running === undefined) throw new Error('no drop capture is running');
    for (const h of stacks.hosts.values()) h.runtime.drops.detachSink(running.sink);
    running.close();
    sessions.delete(stacks);
    return { ok: true, file: running.path, frames: running.frames, lost: running.lost };
  }
  throw new Error(`drop-capture action '${String((req as { action?: unknown }).action)}' is not start or stop`);
}
