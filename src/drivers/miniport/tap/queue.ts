/**
 * One receive queue of a TAP adapter: a TAP fd, a helper worker and the receive buffers (NBLs of the
 * adapter's receive pool). Two designs behind one interface, chosen with the `ReaderMode` keyword:
 *
 *   - 'worker' (TapWorkerQueue): the worker reads frames straight into posted buffers — a NIC receive
 *     ring with the worker as the hardware; the main thread never makes a system call on receive.
 *   - 'poll' (TapPollQueue): the worker only waits for readability (poll(2)) and wakes the main thread,
 *     which then reads frames into buffers itself in batches until EAGAIN (NAPI-style). One fewer busy
 *     thread, which matters when cores are scarce.
 *   - 'uv' (TapUvQueue): no worker; libuv's epoll watches the fd and the kernel wakes the main thread
 *     directly, which reads as in 'poll'. One wake-up per burst instead of two: the lowest latency.
 *
 * In the worker designs the main thread is woken with Atomics.waitAsync; in none does it block.
 */
import { Worker } from 'node:worker_threads';
import type { NetBufferList, NetBufferListPool } from '../../../ndis/index.js';
import { EAGAIN, EINTR, libc } from '../../../io/tun/libc.js';
import { UvPoll } from '../../../io/tun/uv-poll.js';
import { waitAsync } from '../../../util/wait-async.js';
import {
  CTRL_ARMED,
  CTRL_DOORBELL,
  CTRL_ERROR,
  CTRL_FILL_HEAD,
  CTRL_FILL_TAIL,
  CTRL_FREE_HEAD,
  CTRL_FREE_TAIL,
  RxRingMain,
  createRxRing,
  type RxWorkerData,
} from '../../../io/tun/rx-ring.js';

/** The receive designs; 'uring' is not a ReaderMode value: the adapter reports it when io_uring reads. */
export type ReaderMode = 'worker' | 'poll' | 'uv' | 'uring';

/** What the adapter needs from a receive queue. */
export interface RxQueue {
  readonly index: number;
  readonly pool: NetBufferListPool;
  /** errno of a fatal read error, 0 while the device is healthy. */
  readonly error: number;
  /** Frames are (probably) waiting to be drained. */
  hasWork(): boolean;
  /**
   * Poll mode: looks for frames now, without blocking or waiting for a wake-up (the io_uring CQ read from
   * memory, else a non-blocking read of the fd at the next `drain`); true when `drain` has work.
   */
  pollNow(): boolean;
  /** Takes up to `max` frames, calling `take(nbl, length)` for each (length includes any virtio-net header). */
  drain(max: number, take: (nbl: NetBufferList, length: number) => void): number;
  /** Gives an empty receive buffer back to the queue. */
  repost(nbl: NetBufferList): void;
  /** Buffers were reposted (wakes a starved reader). */
  buffersChanged(): void;
  /** Waits (without blocking) for frames; calls the queue's onReady when there is work. */
  arm(): void;
  /** Empty buffers the queue holds. */
  readonly postedFree: number;
  stop(onExit: () => void): void;
  releaseBuffers(): void;
}


abstract class WorkerBackedQueue {
  readonly index: number;
  readonly fd: number;
  readonly pool: NetBufferListPool;
  readonly ring: RxRingMain;
  worker!: Worker;
  /** Every buffer, by slot (posted, filled or lent to the stack). */
  readonly buffers: (NetBufferList | null)[];
  protected readonly onReady: () => void;
  #waiting = false;
  stopped = false;

  readonly #shared: ReturnType<typeof createRxRing>;

  constructor(index: number, fd: number, pool: NetBufferListPool, onReady: () => void) {
    this.index = index;
    this.fd = fd;
    this.pool = pool;
    this.onReady = onReady;
    this.#shared = createRxRing(pool.capacity);
    this.ring = new RxRingMain(this.#shared);
    this.buffers = new Array<NetBufferList | null>(pool.capacity).fill(null);
  }

  /** Takes every buffer and starts the worker; subclasses call it once their own fields exist. */
  protected start(mode: ReaderMode): void {
    this.takeAllBuffers();
    const any = this.buffers.find((b) => b !== null) ?? null;
    const slab = any?.firstNetBuffer?.poolMdl?.bytes.buffer as SharedArrayBuffer;
    // The buffers' window inside their slots (a headroom for header-data split moves its start).
    const m0 = any?.firstNetBuffer?.poolMdl;
    const headroom = m0 === null || m0 === undefined ? 0 : m0.byteOffset - any!.slot * this.pool.dataSize;
    const data: RxWorkerData = { fd: this.fd, slab, slotSize: this.pool.dataSize, headroom, ring: this.#shared, batch: 64, mode: mode === 'worker' ? 'read' : 'poll' };
    this.worker = new Worker(new URL('../../../io/tun/rx-worker.js', import.meta.url), { workerData: data });
    this.worker.unref();
    this.worker.on('error', () => {
      Atomics.store(this.ring.control, CTRL_ERROR, -1);
      this.onReady();
    });
  }

  /** Allocates every buffer of the pool for this queue. */
  protected abstract takeAllBuffers(): void;
  abstract hasWork(): boolean;

  get error(): number {
    return Atomics.load(this.ring.control, CTRL_ERROR);
  }

  /** Tells the worker to watch the fd (poll mode); nothing in worker mode. */
  protected beforeWait(): void {}

  arm(): void {
    if (this.#waiting || this.stopped) return;
    if (this.hasWork() || this.error !== 0) {
      this.onReady();
      return;
    }
    const bell = Atomics.load(this.ring.control, CTRL_DOORBELL);
    this.beforeWait();
    this.#waiting = true;
    const w = waitAsync(this.ring.control, CTRL_DOORBELL, bell);
    if (!w.async) {
      this.#waiting = false;
      this.onWake();
      this.onReady();
      return;
    }
    void w.value.then(() => {
      this.#waiting = false;
      if (this.stopped) return;
      this.onWake();
      this.onReady();
    });
  }

  /** The doorbell rang. */
  protected onWake(): void {}

  stop(onExit: () => void): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ring.stop();
    this.worker.once('exit', onExit);
    void this.worker.terminate();
  }

  releaseBuffers(): void {
    for (let i = 0; i < this.buffers.length; i++) {
      const nbl = this.buffers[i];
      if (nbl !== null && nbl !== undefined && nbl.allocated) this.pool.free(nbl);
      this.buffers[i] = null;
    }
  }
}

export class TapWorkerQueue extends WorkerBackedQueue implements RxQueue {
  constructor(index: number, fd: number, pool: NetBufferListPool, onReady: () => void) {
    super(index, fd, pool, onReady);
    this.start('worker');
    this.arm();
  }

  protected takeAllBuffers(): void {
    // Post every buffer before the worker starts.
    for (let nbl = this.pool.allocate(); nbl !== null; nbl = this.pool.allocate()) {
      this.buffers[nbl.slot] = nbl;
      this.ring.post(nbl.slot);
    }
  }

  hasWork(): boolean {
    return this.ring.filled > 0;
  }

  pollNow(): boolean {
    return this.ring.filled > 0;
  }

  drain(max: number, take: (nbl: NetBufferList, length: number) => void): number {
    const control = this.ring.control;
    const fill = this.ring.fill;
    const cap = this.ring.capacity;
    let head = Atomics.load(control, CTRL_FILL_HEAD);
    const tail = Atomics.load(control, CTRL_FILL_TAIL);
    let n = 0;
    while (head !== tail && n < max) {
      const e = (head % cap) * 2;
      take(this.buffers[fill[e]!]!, fill[e + 1]!);
      head++;
      n++;
    }
    Atomics.store(control, CTRL_FILL_HEAD, head);
    return n;
  }

  repost(nbl: NetBufferList): void {
    this.buffers[nbl.slot] = nbl;
    this.ring.post(nbl.slot);
  }

  buffersChanged(): void {
    this.ring.ringFreeBell();
  }

  get postedFree(): number {
    const c = this.ring.control;
    return Atomics.load(c, CTRL_FREE_TAIL) - Atomics.load(c, CTRL_FREE_HEAD);
  }
}

/**
 * Receive buffers the main thread reads frames into itself (non-blocking read(2) until EAGAIN), for the
 * queues whose helper only reports readiness: a stack of empty NBLs and whether the fd may have more.
 */
class DirectReader {
  readonly fd: number;
  /** Every buffer, by slot (free or lent to the stack). */
  readonly buffers: (NetBufferList | null)[];
  /** Empty buffers, as a stack of NBLs. */
  readonly free: NetBufferList[] = [];
  /** The fd was reported readable and has not been drained to EAGAIN since. */
  readable = true;
  fatal = 0;

  /** `buffers`: the slot table to fill (a worker-backed queue's own), else a new one. */
  constructor(fd: number, pool: NetBufferListPool, buffers = new Array<NetBufferList | null>(pool.capacity).fill(null)) {
    this.fd = fd;
    this.buffers = buffers;
    for (let nbl = pool.allocate(); nbl !== null; nbl = pool.allocate()) {
      this.buffers[nbl.slot] = nbl;
      this.free.push(nbl);
    }
  }

  hasWork(): boolean {
    return this.readable && this.free.length > 0;
  }

  /** Poll mode: the next `drain` tries a read (EAGAIN then clears `readable` again). */
  pollNow(): boolean {
    if (this.free.length > 0) this.readable = true;
    return this.hasWork();
  }

  drain(max: number, take: (nbl: NetBufferList, length: number) => void): number {
    const c = libc();
    const fd = this.fd;
    let n = 0;
    while (n < max && this.free.length > 0) {
      const nbl = this.free.pop()!;
      const m = nbl.firstNetBuffer!.poolMdl!;
      if (m.mappedSystemVa < 0) m.mappedSystemVa = c.address(m.bytes);
      const len = c.readAt(fd, m.mappedSystemVa + m.byteOffset, m.byteCount);
      if (len < 0) {
        this.free.push(nbl);
        const e = c.errno();
        if (e === EINTR) continue;
        if (e === EAGAIN) this.readable = false;
        else this.fatal = e;
        break;
      }
      take(nbl, len);
      n++;
    }
    return n;
  }

  repost(nbl: NetBufferList): void {
    this.buffers[nbl.slot] = nbl;
    this.free.push(nbl);
  }

  release(pool: NetBufferListPool): void {
    for (let i = 0; i < this.buffers.length; i++) {
      const nbl = this.buffers[i];
      if (nbl !== null && nbl !== undefined && nbl.allocated) pool.free(nbl);
      this.buffers[i] = null;
    }
    this.free.length = 0;
  }
}

export class TapPollQueue extends WorkerBackedQueue implements RxQueue {
  #reader!: DirectReader;

  constructor(index: number, fd: number, pool: NetBufferListPool, onReady: () => void) {
    super(index, fd, pool, onReady);
    this.start('poll');
    this.arm();
  }

  protected takeAllBuffers(): void {
    this.#reader = new DirectReader(this.fd, this.pool, this.buffers);
  }

  override get error(): number {
    return this.#reader.fatal !== 0 ? this.#reader.fatal : super.error;
  }

  hasWork(): boolean {
    return this.#reader.hasWork();
  }

  pollNow(): boolean {
    return this.#reader.pollNow();
  }

  protected override beforeWait(): void {
    Atomics.store(this.ring.control, CTRL_ARMED, 1);
    Atomics.notify(this.ring.control, CTRL_ARMED);
  }

  protected override onWake(): void {
    this.#reader.readable = true;
  }

  drain(max: number, take: (nbl: NetBufferList, length: number) => void): number {
    return this.#reader.drain(max, take);
  }

  repost(nbl: NetBufferList): void {
    this.#reader.repost(nbl);
  }

  buffersChanged(): void {
    // Buffers came back while frames were waiting: drain again.
    if (this.#reader.readable && !this.stopped && this.#reader.free.length > 0) this.onReady();
  }

  get postedFree(): number {
    return this.#reader.free.length;
  }
}

/**
 * 'uv': no helper thread at all. libuv's own epoll (the one Node's event loop sleeps in) watches the
 * TAP fd, so the kernel wakes the main thread directly; the main thread reads in batches as in 'poll'.
 * The lowest latency of the three (one wake-up per burst instead of two) and one fewer busy thread.
 */
export class TapUvQueue implements RxQueue {
  readonly index: number;
  readonly pool: NetBufferListPool;
  readonly #reader: DirectReader;
  readonly #poll: UvPoll;
  readonly #onReady: () => void;
  #stopped = false;
  #pollError = 0;

  constructor(index: number, fd: number, pool: NetBufferListPool, onReady: () => void) {
    this.index = index;
    this.pool = pool;
    this.#onReady = onReady;
    this.#reader = new DirectReader(fd, pool);
    this.#poll = new UvPoll(fd, (status) => {
      if (status < 0) this.#pollError = status;
      this.#reader.readable = true;
      if (!this.#stopped) this.#onReady();
    });
    this.arm();
  }

  get error(): number {
    return this.#reader.fatal !== 0 ? this.#reader.fatal : this.#pollError;
  }

  hasWork(): boolean {
    return this.#reader.hasWork();
  }

  pollNow(): boolean {
    return this.#reader.pollNow();
  }

  drain(max: number, take: (nbl: NetBufferList, length: number) => void): number {
    return this.#reader.drain(max, take);
  }

  repost(nbl: NetBufferList): void {
    this.#reader.repost(nbl);
  }

  buffersChanged(): void {
    if (this.#reader.readable && !this.#stopped && this.#reader.free.length > 0) this.#onReady();
  }

  arm(): void {
    if (this.#stopped) return;
    if (this.hasWork() || this.error !== 0) {
      this.#onReady();
      return;
    }
    // Out of buffers with frames waiting: buffersChanged() resumes; polling now would spin.
    if (this.#reader.readable) return;
    try {
      this.#poll.start();
    } catch {
      // libuv refused the fd (it went bad): report it like a failed read, as a device error.
      this.#pollError = -1;
      this.#onReady();
    }
  }

  get postedFree(): number {
    return this.#reader.free.length;
  }

  stop(onExit: () => void): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#poll.close(onExit);
  }

  releaseBuffers(): void {
    this.#reader.release(this.pool);
  }
}
