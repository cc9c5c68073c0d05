/**
 * One receive queue of a TAP adapter: a TAP fd, its reader worker, the shared rings and the receive
 * buffers posted to them. Buffers are NBLs of the adapter's receive pool; "posting" one hands its slot
 * in the pool's SharedArrayBuffer slab to the worker, which reads a frame straight into it — the NIC
 * receive ring, with the worker as the hardware.
 */
import { Worker } from 'node:worker_threads';
import type { NetBufferList, NetBufferListPool } from '../../../ndis/index.js';
import { CTRL_DOORBELL, CTRL_ERROR, CTRL_FILL_HEAD, CTRL_FILL_TAIL, RxRingMain, createRxRing, type RxWorkerData } from '../../../io/tun/rx-ring.js';

/** Atomics.waitAsync (Node 16+; the compiler's bundled lib for our target does not declare it). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

export class TapRxQueue {
  readonly index: number;
  readonly fd: number;
  readonly pool: NetBufferListPool;
  readonly ring: RxRingMain;
  readonly worker: Worker;
  /** NBL by slot, for buffers currently posted or filled. */
  readonly posted: (NetBufferList | null)[];
  #waiting = false;
  #onReady: () => void;
  stopped = false;

  constructor(index: number, fd: number, pool: NetBufferListPool, onReady: () => void) {
    this.index = index;
    this.fd = fd;
    this.pool = pool;
    this.#onReady = onReady;
    const shared = createRxRing(pool.capacity);
    this.ring = new RxRingMain(shared);
    this.posted = new Array<NetBufferList | null>(pool.capacity).fill(null);
    // Post every buffer before the worker starts.
    for (let nbl = pool.allocate(); nbl !== null; nbl = pool.allocate()) {
      this.posted[nbl.slot] = nbl;
      this.ring.post(nbl.slot);
    }
    const first = pool.capacity > 0 ? this.posted[0] ?? null : null;
    const slab = first?.firstNetBuffer?.poolMdl?.bytes.buffer as SharedArrayBuffer;
    const data: RxWorkerData = { fd, slab, slotSize: pool.dataSize, ring: shared, batch: 64 };
    this.worker = new Worker(new URL('../../../io/tun/rx-worker.js', import.meta.url), { workerData: data });
    this.worker.unref();
    this.worker.on('error', () => {
      Atomics.store(this.ring.control, CTRL_ERROR, -1);
      this.#onReady();
    });
    this.arm();
  }

  /** errno of a fatal read error, 0 while the device is healthy. */
  get error(): number {
    return Atomics.load(this.ring.control, CTRL_ERROR);
  }

  /** Waits (without blocking the event loop) for the worker's next doorbell, then calls onReady. */
  arm(): void {
    if (this.#waiting || this.stopped) return;
    const bell = Atomics.load(this.ring.control, CTRL_DOORBELL);
    if (this.ring.filled > 0 || this.error !== 0) {
      this.#onReady();
      return;
    }
    this.#waiting = true;
    const w = waitAsync(this.ring.control, CTRL_DOORBELL, bell);
    if (!w.async) {
      this.#waiting = false;
      this.#onReady();
      return;
    }
    void w.value.then(() => {
      this.#waiting = false;
      if (!this.stopped) this.#onReady();
    });
  }

  /** Takes up to `max` filled entries: calls `take(nbl, length)` for each, then advances the fill head. */
  drain(max: number, take: (nbl: NetBufferList, length: number) => void): number {
    const control = this.ring.control;
    const fill = this.ring.fill;
    const cap = this.ring.capacity;
    let head = Atomics.load(control, CTRL_FILL_HEAD);
    const tail = Atomics.load(control, CTRL_FILL_TAIL);
    let n = 0;
    while (head !== tail && n < max) {
      const e = (head % cap) * 2;
      const slot = fill[e]!;
      const len = fill[e + 1]!;
      const nbl = this.posted[slot]!;
      take(nbl, len);
      head++;
      n++;
    }
    Atomics.store(control, CTRL_FILL_HEAD, head);
    return n;
  }

  /** Posts a receive buffer back to the worker (after it was returned, or when its frame was dropped). */
  repost(nbl: NetBufferList): void {
    this.posted[nbl.slot] = nbl;
    this.ring.post(nbl.slot);
  }

  /** Buffers currently posted and empty. */
  get postedFree(): number {
    const c = this.ring.control;
    return Atomics.load(c, 2) - Atomics.load(c, 1);
  }

  /** Stops the worker; the fd is closed by `onExit` once the worker has let go of it. */
  stop(onExit: () => void): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ring.stop();
    this.worker.once('exit', onExit);
    void this.worker.terminate();
  }

  /** Frees every buffer this queue holds (posted or filled) back to the pool. */
  releaseBuffers(): void {
    for (let i = 0; i < this.posted.length; i++) {
      const nbl = this.posted[i];
      if (nbl !== null && nbl !== undefined && nbl.allocated) this.pool.free(nbl);
      this.posted[i] = null;
    }
  }
}
