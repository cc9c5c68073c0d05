/**
 * Captures the dashboard starts (its page's capture action): the same control operation as `tsndis
 * capture --attach` — attach-filter tsndis.capture above the miniport, detach-filter to end it — writing
 * to a file the dashboard names in its own directory on the server (a fresh temporary directory unless
 * the caller gave one). A browser cannot choose a path on the server, and letting it name one would let
 * the page write any file the stack's user may write; so the page shows where the file is and, once the
 * capture stopped, offers it for download. Files stay after the dashboard stops: they are the user's.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuiltStacks } from '../config/index.js';
import { handleControl } from '../cli/control.js';

const CAPTURE_DRIVER = 'tsndis.capture';

export interface DashboardCapture {
  readonly adapter: string;
  /** The file's name in the capture directory (what the download URL names). */
  readonly name: string;
  /** Where it is on the server. */
  readonly file: string;
  running: boolean;
  readonly started: number;
  stopped: number | null;
}

export type CaptureReply = { ok: true; capture: DashboardCapture & { bytes: number } } | { ok: false; error: string };

export class DashboardCaptures {
  readonly #stacks: BuiltStacks;
  #dir: string | null;
  /** By file name; every capture the dashboard started, running or not. */
  readonly #captures = new Map<string, DashboardCapture>();

  constructor(stacks: BuiltStacks, dir?: string) {
    this.#stacks = stacks;
    this.#dir = dir ?? null;
  }

  /** The directory captures go to (created on the first capture when none was given). */
  get dir(): string {
    this.#dir ??= mkdtempSync(join(tmpdir(), 'tsndis-dashboard-'));
    return this.#dir;
  }

  list(): (DashboardCapture & { bytes: number })[] {
    return [...this.#captures.values()].map((c) => this.#withSize(c));
  }

  /** The capture written to `name`, if the dashboard started it (nothing else is ever served). */
  byName(name: string): DashboardCapture | undefined {
    return this.#captures.get(name);
  }

  async start(adapter: string): Promise<CaptureReply> {
    if (this.#running(adapter) !== undefined) return { ok: false, error: `${adapter} is already being captured from the dashboard` };
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `${adapter.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${stamp}.pcapng`;
    const file = join(this.dir, name);
    const r = await handleControl(this.#stacks, { op: 'attach-filter', adapter, driver: CAPTURE_DRIVER, keywords: { File: file, Points: 'miniport' } });
    if (!r.ok) return r;
    const c: DashboardCapture = { adapter, name, file, running: true, started: Date.now(), stopped: null };
    this.#captures.set(name, c);
    return { ok: true, capture: this.#withSize(c) };
  }

  async stop(adapter: string): Promise<CaptureReply> {
    const c = this.#running(adapter);
    if (c === undefined) return { ok: false, error: `no capture of ${adapter} started from the dashboard is running` };
    const r = await handleControl(this.#stacks, { op: 'detach-filter', adapter, driver: CAPTURE_DRIVER });
    if (!r.ok) return r;
    c.running = false;
    c.stopped = Date.now();
    return { ok: true, capture: this.#withSize(c) };
  }

  /** Stops every running capture (the dashboard is closing: the files are then complete). */
  async stopAll(): Promise<void> {
    for (const c of this.#captures.values()) if (c.running) await this.stop(c.adapter);
  }

  #running(adapter: string): DashboardCapture | undefined {
    for (const c of this.#captures.values()) if (c.running && c.adapter === adapter) return c;
    return undefined;
  }

  #withSize(c: DashboardCapture): DashboardCapture & { bytes: number } {
    let bytes = 0;
    try {
      bytes = statSync(c.file).size;
    } catch {
      // not written yet
    }
    return { ...c, bytes };
  }
}
