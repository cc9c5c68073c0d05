/**
 * A pcapng file written from a BlockRing, with size-based rotation.
 *
 * Producers (driver data paths) encode enhanced packet blocks straight into `ring` and call `kick()`.
 * The writer drains the ring on a microtask after the current dispatch turn: it walks the contiguous
 * queued region block by block and writes as much of it as fits in the current file with one `fs.write`,
 * then releases those bytes. Every file starts with the section header and every interface description
 * block registered so far (`addInterface`), so each file is a complete pcapng on its own and interface
 * numbers stay the same in all of them.
 *
 * Rotation (maxFileBytes > 0): before a block that would take the current file past maxFileBytes — and
 * the file already holds a packet — the file is closed and the names shift like logrotate's:
 * `<base>.pcapng` → `<base>.1.pcapng` → … → `<base>.<maxFiles−1>.pcapng` (the oldest falls off), then a new
 * `<base>.pcapng` starts. The current file is always `<base>.pcapng`; a file exceeds maxFileBytes only
 * when its headers plus a single block do.
 *
 * Errors never reach the producers: a failed write, open, close or rename is counted (`writeErrors`)
 * and logged (once per streak); the blocks of a failed write are released and counted as lost, and the
 * writer moves on to a new file. If no file can be opened, queued blocks are discarded (and counted)
 * so the ring keeps accepting, and the next kick tries again.
 *
 * `whenFlushed` is how a pause waits: its callback runs once everything committed before the call has
 * been written (or lost) and the headers are on disk.
 */
import { openSync, unlinkSync, close as fsClose, open as fsOpen, rename as fsRename, write as fsWrite } from 'node:fs';
import { BlockRing } from './block-ring.js';

export interface CaptureFileOptions {
  /** Path without the `.pcapng` extension. */
  readonly basePath: string;
  /** Rotate before a file grows past this many bytes; 0 = never. */
  readonly maxFileBytes: number;
  /** Files kept including the current one (≥ 1). */
  readonly maxFiles: number;
  readonly queueBytes: number;
  readonly queueBlocks: number;
  /** The section header block every file starts with. */
  readonly sectionHeader: Uint8Array;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export class CaptureFileCounters {
  framesWritten = 0;
  /** Bytes written to files (headers included). */
  bytesWritten = 0;
  filesRotated = 0;
  /** Failed opens, writes, closes and renames. */
  writeErrors = 0;
  /** Blocks released without reaching a file because of an error. */
  framesLost = 0;
}

export type CaptureFileOpenResult =
  | { readonly ok: true; readonly file: CaptureFile }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Largest single write. */
const MAX_BATCH_BYTES = 1 << 20;
/** Failed operations after which one drain run gives up (and discards what is queued). */
const MAX_FAILURES_PER_DRAIN = 3;

function errnoOf(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'EIO';
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function writeAll(fd: number, bytes: Uint8Array, offset: number, length: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const step = (o: number, n: number): void => {
      fsWrite(fd, bytes, o, n, null, (err, written) => {
        if (err !== null) reject(err);
        else if (written < n) step(o + written, n - written);
        else resolve();
      });
    };
    step(offset, length);
  });
}

function openAsync(path: string): Promise<number> {
  return new Promise((resolve, reject) => fsOpen(path, 'w', (err, fd) => (err !== null ? reject(err) : resolve(fd))));
}

function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsClose(fd, (err) => (err !== null ? reject(err) : resolve())));
}

function renameAsync(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => fsRename(from, to, (err) => (err !== null ? reject(err) : resolve())));
}

interface FlushWaiter {
  readonly target: number;
  readonly callback: () => void;
}

export class CaptureFile {
  readonly ring: BlockRing;
  readonly counters = new CaptureFileCounters();
  readonly options: CaptureFileOptions;
  readonly #interfaces: Uint8Array[] = [];
  #fd: number | null;
  #headerWritten = false;
  #interfacesWritten = 0;
  #fileBytes = 0;
  #filePackets = 0;
  #scheduled = false;
  #draining: Promise<void> | null = null;
  #closed = false;
  #errorStreak = false;
  #gaveUp = false;
  #waiters: FlushWaiter[] = [];

  private constructor(options: CaptureFileOptions, fd: number) {
    this.options = options;
    this.#fd = fd;
    this.ring = new BlockRing(options.queueBytes, options.queueBlocks);
  }

  /**
   * Opens (truncates) `<base>.pcapng` synchronously — so a bad path fails the caller's initialization —
   * and removes rotated files a previous run left under the same base name.
   */
  static open(options: CaptureFileOptions): CaptureFileOpenResult {
    if (!(options.maxFiles >= 1)) throw new RangeError(`maxFiles must be ≥ 1 (got ${options.maxFiles})`);
    let fd: number;
    try {
      fd = openSync(CaptureFile.pathOf(options.basePath, 0), 'w');
    } catch (e) {
      return { ok: false, code: errnoOf(e), message: `cannot create ${CaptureFile.pathOf(options.basePath, 0)}: ${messageOf(e)}` };
    }
    if (options.maxFileBytes > 0) {
      for (let i = 1; i < options.maxFiles; i++) {
        try {
          unlinkSync(CaptureFile.pathOf(options.basePath, i));
        } catch {
          // not there
        }
      }
    }
    const file = new CaptureFile(options, fd);
    file.kick();
    return { ok: true, file };
  }

  /** `<base>.pcapng` for index 0, `<base>.<index>.pcapng` for older files. */
  static pathOf(basePath: string, index: number): string {
    return index === 0 ? `${basePath}.pcapng` : `${basePath}.${index}.pcapng`;
  }

  get path(): string {
    return CaptureFile.pathOf(this.options.basePath, 0);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Registers an interface; its IDB goes into the current file (before any later block) and every later file. Returns its id. */
  addInterface(interfaceDescriptionBlock: Uint8Array): number {
    this.#interfaces.push(interfaceDescriptionBlock);
    this.kick();
    return this.#interfaces.length - 1;
  }

  get interfaceCount(): number {
    return this.#interfaces.length;
  }

  /** Data path: blocks were committed to the ring. Schedules a drain unless one is running or scheduled. */
  kick(): void {
    if (this.#closed) return;
    this.#gaveUp = false; // new work: worth another try even after a failed drain
    if (this.#scheduled || this.#draining !== null) return; // the running drain re-checks when it ends
    this.#scheduled = true;
    queueMicrotask(this.#drainTask);
  }

  /** True when everything committed so far is written (or lost) and the headers are on disk. */
  isFlushed(target = this.ring.committedTotal): boolean {
    return this.ring.releasedTotal >= target && (this.#fd === null || (this.#headerWritten && this.#interfacesWritten === this.#interfaces.length));
  }

  /**
   * Calls `callback` once what was committed before this call is flushed. Returns true (and does not
   * call back) when that is already the case.
   */
  whenFlushed(callback: () => void): boolean {
    const target = this.ring.committedTotal;
    if (this.isFlushed(target)) return true;
    this.#waiters.push({ target, callback });
    this.kick();
    return false;
  }

  /** Drains what is queued, closes the file. Idempotent; later blocks are refused by the caller. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#draining !== null) await this.#draining;
    await this.#drain();
    this.#closed = true;
    const fd = this.#fd;
    this.#fd = null;
    if (fd !== null) {
      try {
        await closeAsync(fd);
      } catch (e) {
        this.#error('close', e);
      }
    }
    this.#notify(true);
  }

  readonly #drainTask = (): void => {
    this.#scheduled = false;
    if (this.#draining !== null || this.#closed) return;
    void this.#drain();
  };

  #drain(): Promise<void> {
    this.#gaveUp = false;
    const p = this.#drainLoop().finally(() => {
      this.#draining = null;
      // Work that arrived while the last turn of the loop was finishing (its kick saw a drain running).
      if (!this.#gaveUp && this.#hasWork()) this.kick();
    });
    this.#draining = p;
    return p;
  }

  #hasWork(): boolean {
    return this.ring.readable() > 0 || (this.#fd !== null && (!this.#headerWritten || this.#interfacesWritten < this.#interfaces.length));
  }

  async #drainLoop(): Promise<void> {
    const ring = this.ring;
    const bytes = ring.bytes;
    const maxFileBytes = this.options.maxFileBytes;
    // A file system that keeps failing must not keep this loop busy: give up for this run after a few.
    let failures = 0;
    for (;;) {
      if (failures >= MAX_FAILURES_PER_DRAIN || (this.#fd === null && !(await this.#openCurrent()))) {
        // Give up until the next kick: what is queued is lost (counted), producers keep going.
        this.#gaveUp = true;
        this.#discardQueued();
        return;
      }
      const fd = this.#fd!;
      if (!this.#headerWritten) {
        if (!(await this.#writeBlock(fd, this.options.sectionHeader))) {
          failures++;
          await this.#afterFailure();
          continue;
        }
        this.#headerWritten = true;
      }
      let headersOk = true;
      while (this.#interfacesWritten < this.#interfaces.length) {
        if (!(await this.#writeBlock(fd, this.#interfaces[this.#interfacesWritten]!))) {
          headersOk = false;
          break;
        }
        this.#interfacesWritten++;
      }
      if (!headersOk) {
        failures++;
        await this.#afterFailure();
        continue;
      }
      this.#notify(false);
      const len = ring.readable();
      if (len === 0) return;
      const start = ring.readOffset;
      let take = 0;
      let blocks = 0;
      let rotate = false;
      while (take < len && take < MAX_BATCH_BYTES) {
        const p = start + take;
        const blockLen = (bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) | (bytes[p + 7]! << 24)) >>> 0;
        if (maxFileBytes > 0 && this.#filePackets + blocks > 0 && this.#fileBytes + take + blockLen > maxFileBytes) {
          rotate = true;
          break;
        }
        take += blockLen;
        blocks++;
      }
      if (take > 0) {
        let ok = true;
        try {
          await writeAll(fd, bytes, start, take);
          this.#fileBytes += take;
          this.#filePackets += blocks;
          this.counters.framesWritten += blocks;
          this.counters.bytesWritten += take;
          this.#recovered();
        } catch (e) {
          this.#error('write', e);
          this.counters.framesLost += blocks;
          ok = false;
        }
        ring.release(take, blocks);
        this.#notify(false);
        if (!ok) {
          failures++;
          await this.#afterFailure();
          continue;
        }
      }
      if (rotate) await this.#rotate();
    }
  }

  async #writeBlock(fd: number, block: Uint8Array): Promise<boolean> {
    try {
      await writeAll(fd, block, 0, block.length);
      this.#fileBytes += block.length;
      this.counters.bytesWritten += block.length;
      return true;
    } catch (e) {
      this.#error('write', e);
      return false;
    }
  }

  /**
   * After a failed write the file may end in a partial block. With rotation on, keep it and continue
   * in a new file; without rotation, keep writing to the same file (the failure may be transient).
   */
  async #afterFailure(): Promise<void> {
    if (this.options.maxFileBytes > 0) await this.#rotate();
  }

  /** Closes the current file, shifts the older ones, opens a new current file. */
  async #rotate(): Promise<void> {
    const fd = this.#fd;
    this.#fd = null;
    if (fd !== null) {
      try {
        await closeAsync(fd);
      } catch (e) {
        this.#error('close', e);
      }
    }
    const { basePath, maxFiles } = this.options;
    for (let i = maxFiles - 1; i >= 1; i--) {
      try {
        await renameAsync(CaptureFile.pathOf(basePath, i - 1), CaptureFile.pathOf(basePath, i));
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') this.#error('rename', e);
      }
    }
    this.counters.filesRotated++;
    await this.#openCurrent();
  }

  async #openCurrent(): Promise<boolean> {
    try {
      this.#fd = await openAsync(this.path);
    } catch (e) {
      this.#error('open', e);
      return false;
    }
    this.#headerWritten = false;
    this.#interfacesWritten = 0;
    this.#fileBytes = 0;
    this.#filePackets = 0;
    return true;
  }

  /** No file to write to: give the queued blocks up (counted) so producers are never blocked. */
  #discardQueued(): void {
    const ring = this.ring;
    for (let len = ring.readable(); len > 0; len = ring.readable()) {
      const start = ring.readOffset;
      let blocks = 0;
      for (let p = start; p < start + len; ) {
        const b = ring.bytes;
        p += (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0;
        blocks++;
      }
      this.counters.framesLost += blocks;
      ring.release(len, blocks);
    }
    this.#notify(true);
  }

  #error(op: string, e: unknown): void {
    this.counters.writeErrors++;
    if (!this.#errorStreak) {
      this.#errorStreak = true;
      this.options.log?.('error', `capture file ${this.path}: ${op} failed (${errnoOf(e)}): ${messageOf(e)}`);
    }
  }

  #recovered(): void {
    if (!this.#errorStreak) return;
    this.#errorStreak = false;
    this.options.log?.('info', `capture file ${this.path}: writing again`);
  }

  /** Calls the waiters whose target is reached (all of them when `force`: nothing more will be written). */
  #notify(force: boolean): void {
    if (this.#waiters.length === 0) return;
    const ready: FlushWaiter[] = [];
    this.#waiters = this.#waiters.filter((w) => {
      if (force || this.isFlushed(w.target)) {
        ready.push(w);
        return false;
      }
      return true;
    });
    for (const w of ready) w.callback();
  }
}
