/**
 * The TAP adapter's io_uring I/O (`IoUring: auto | on`; see src/io/tun/uring.ts for the ring itself):
 *
 *   - `TapRing`: the adapter's ring and the libuv watcher on its fd. One per adapter on the main thread
 *     today; a processor will own one the same way and serve its queues of every adapter from it.
 *   - `UringRxQueue`: one receive queue. An IORING_OP_READ_MULTISHOT on the queue's TAP fd reads frames
 *     into a provided-buffer ring made of the queue's receive NBLs (bid = NBL slot), so reposting an
 *     NBL is a store into that ring and a steady flood needs no system call to keep reading. Reaped
 *     completions go into a small (slot, length) list the receive DPC drains, exactly like the other
 *     queues' `drain`.
 *   - `UringTxTable`: the writes in flight: which NBL and NET_BUFFER each belongs to and the header
 *     fields the offload path patched for it (restored when its completion arrives, not after the call).
 *
 * The multishot read stops when it runs out of buffers (-ENOBUFS) or on an error; it is re-armed when
 * buffers come back. EBADFD and other read errors are the queue's `error`, as for read(2).
 */
import type { NetBuffer, NetBufferList, NetBufferListPool } from '../../../ndis/index.js';
import { UvPoll } from '../../../io/tun/uv-poll.js';
import {
  ECANCELED,
  ENOBUFS,
  IORING_CQE_BUFFER_SHIFT,
  IORING_CQE_F_BUFFER,
  IORING_CQE_F_MORE,
  IoUring,
  URING_F_NOT_SUBMITTED,
  type BufferRing,
  type UringConsumer,
} from '../../../io/tun/uring.js';
import { EAGAIN, EINTR, libc } from '../../../io/tun/libc.js';
import { TAP_MAX_PATCHES } from './offload.js';
import type { RxQueue } from './queue.js';

/** SQ entries of an adapter's ring: the most writes one io_uring_enter hands over. */
export const URING_SQ_ENTRIES = 256;
/** Writes in flight at most (then the sender waits for completions). */
export const URING_TX_DEPTH = 512;
/** Largest provided-buffer ring; a queue with more receive buffers keeps the rest aside until there is room. */
const MAX_BUFFER_RING = 32768;

/** What the adapter's ring counts beyond the ring's own counters. */
export class TapUringCounters {
  /** Frames written with write(2) while the ring was on (staging copies, a ring that refused them). */
  fallbacks = 0;
  /** Multishot reads armed (the first, and again after running out of buffers or an error). */
  rxArms = 0;
  /** Multishot reads that stopped for want of buffers (-ENOBUFS). */
  rxNoBuffers = 0;
  /** Completions with an error (a read or a write failed, was cancelled, or was never submitted). */
  cqeErrors = 0;
  /** Send NBLs completed from a later DPC because their writes were still in flight when the call returned. */
  asyncCompletions = 0;
}

const nextPow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/**
 * An adapter's ring and its watcher. The watcher's callback runs straight from libuv (outside Node's
 * callback scope), so it only queues the adapter's ring DPC, which reaps.
 */
export class TapRing {
  readonly ring: IoUring;
  readonly counters = new TapUringCounters();
  readonly #poll: UvPoll;
  #closed = false;
  /** libuv refused to watch the ring's fd: nothing would ever be reaped, so the queues report it. */
  error = 0;

  /** `rxBuffers`: receive buffers of every queue (with the writes in flight they size the CQ). */
  constructor(rxBuffers: number, onReady: () => void) {
    const cq = Math.min(65536, nextPow2(rxBuffers + URING_TX_DEPTH));
    this.ring = IoUring.create(URING_SQ_ENTRIES, cq);
    try {
      this.#poll = new UvPoll(this.ring.fd, () => {
        if (!this.#closed) onReady();
      });
    } catch (e) {
      this.ring.close();
      throw e;
    }
  }

  /** Waits (without blocking) for completions: the watcher fires when the CQ is not empty. */
  watch(): void {
    if (this.#closed) return;
    try {
      this.#poll.start();
    } catch {
      // The ring fd went bad: the queues report it as a device error (a surprise removal).
      this.error = -1;
    }
  }

  /** Stops the watcher, then closes the ring (after libuv let go of the fd). */
  close(onClosed: () => void): void {
    if (this.#closed) {
      onClosed();
      return;
    }
    this.#closed = true;
    this.#poll.close(() => {
      this.ring.close();
      onClosed();
    });
  }
}

/** Transient read failures in a row (cancelled, refused by the ring …) that make the queue give up. */
const MAX_FAILED_ARMS = 8;

/** Tag indexes of a receive queue's SQEs. */
const RX_READ = 0;
const RX_CANCEL = 1;

export class UringRxQueue implements RxQueue, UringConsumer {
  readonly index: number;
  readonly pool: NetBufferListPool;
  readonly #fd: number;
  readonly #tap: TapRing;
  readonly #ring: IoUring;
  readonly #id: number;
  readonly #buffers: BufferRing;
  readonly #onReady: () => void;
  /** Every buffer, by slot (in the buffer ring, aside, reaped or lent to the stack). */
  readonly #slots: (NetBufferList | null)[];
  /** Buffers that did not fit in the buffer ring (only with more than 32768). */
  readonly #aside: NetBufferList[] = [];
  /** Reaped frames waiting for the DPC: (slot, length) pairs. */
  readonly #fill: Int32Array;
  #fillHead = 0;
  #fillTail = 0;
  #armed = false;
  /** Read failures since the last frame (a read that keeps failing is the device's error). */
  #failures = 0;
  #cancelling = false;
  #stopped = false;
  #fatal = 0;

  constructor(index: number, fd: number, pool: NetBufferListPool, tap: TapRing, onReady: () => void) {
    this.index = index;
    this.pool = pool;
    this.#fd = fd;
    this.#tap = tap;
    this.#ring = tap.ring;
    this.#onReady = onReady;
    this.#slots = new Array<NetBufferList | null>(pool.capacity).fill(null);
    this.#fill = new Int32Array(nextPow2(pool.capacity) * 2);
    this.#buffers = this.#ring.registerBufferRing(Math.min(MAX_BUFFER_RING, nextPow2(pool.capacity)));
    this.#id = this.#ring.addConsumer(this);
    for (let nbl = pool.allocate(); nbl !== null; nbl = pool.allocate()) this.repost(nbl);
    this.arm();
  }

  get error(): number {
    return this.#fatal !== 0 ? this.#fatal : this.#tap.error;
  }

  hasWork(): boolean {
    return this.#fillHead !== this.#fillTail || this.#ring.ready > 0;
  }

  /** Poll mode: the CQ is read from memory; a system call only when the kernel holds completions back. */
  pollNow(): boolean {
    if (this.#fillHead !== this.#fillTail) return true;
    if (this.#ring.ready > 0 || this.#ring.kernelHasWork) this.#ring.reap();
    return this.#fillHead !== this.#fillTail;
  }

  /** One completion of this queue's multishot read (or of its cancellation). */
  complete(index: number, res: number, flags: number): void {
    if (index !== RX_READ) return;
    if ((flags & IORING_CQE_F_BUFFER) !== 0) {
      this.#buffers.consumed();
      const slot = flags >>> IORING_CQE_BUFFER_SHIFT;
      const nbl = this.#slots[slot];
      if (nbl !== null && nbl !== undefined) {
        if (res > 0) {
          const i = (this.#fillTail & ((this.#fill.length >> 1) - 1)) << 1;
          this.#fill[i] = slot;
          this.#fill[i + 1] = res;
          this.#fillTail++;
        } else {
          this.repost(nbl);
        }
      }
    }
    const ended = (flags & IORING_CQE_F_MORE) === 0;
    if (ended) this.#armed = false;
    if (res > 0) this.#failures = 0;
    if (res < 0) {
      const e = -res;
      if (e === ENOBUFS) this.#tap.counters.rxNoBuffers++;
      else this.#tap.counters.cqeErrors++;
      // Out of buffers, cancelled, interrupted, or never submitted because the ring refused it: read
      // again (from the DPC, which re-arms). Anything else is the device's error (EBADFD: it was
      // deleted), and so is a read that keeps failing without a frame in between.
      const transient = (flags & URING_F_NOT_SUBMITTED) !== 0 || e === ENOBUFS || e === ECANCELED || e === EAGAIN || e === EINTR;
      if (e !== ENOBUFS) this.#failures++;
      if (this.#fatal === 0 && (!transient || this.#failures >= MAX_FAILED_ARMS)) this.#fatal = e;
    }
    if (!this.#stopped && (this.#fillHead !== this.#fillTail || this.#fatal !== 0 || ended)) this.#onReady();
  }

  drain(max: number, take: (nbl: NetBufferList, length: number) => void): number {
    let n = 0;
    const fill = this.#fill;
    const mask = (fill.length >> 1) - 1;
    for (let round = 0; round < 2 && n < max; round++) {
      while (this.#fillHead !== this.#fillTail && n < max) {
        const i = (this.#fillHead & mask) << 1;
        this.#fillHead++;
        const nbl = this.#slots[fill[i]!]!;
        take(nbl, fill[i + 1]!);
        n++;
      }
      // Completions posted meanwhile (reaping is memory reads unless the kernel holds some back).
      if (n < max && this.#ring.reap() === 0) break;
    }
    return n;
  }

  repost(nbl: NetBufferList): void {
    this.#slots[nbl.slot] = nbl;
    const m = nbl.firstNetBuffer!.poolMdl!;
    if (m.mappedSystemVa < 0) m.mappedSystemVa = libc().address(m.bytes);
    if (this.#buffers.add(m.mappedSystemVa + m.byteOffset, m.byteCount, nbl.slot)) this.#buffers.publish();
    else this.#aside.push(nbl);
  }

  buffersChanged(): void {
    while (this.#aside.length > 0 && this.#buffers.space > 0) {
      const nbl = this.#aside.pop()!;
      this.repost(nbl);
    }
    if (!this.#armed && !this.#stopped && this.#fatal === 0 && this.#buffers.available > 0) this.#arm();
  }

  /** Arms the multishot read when it is not (and there are buffers), then waits for completions. */
  arm(): void {
    if (this.#stopped) return;
    if (this.#fillHead !== this.#fillTail || this.#fatal !== 0) {
      this.#onReady();
      return;
    }
    this.buffersChanged();
    this.#tap.watch();
    if (this.#tap.error !== 0) this.#onReady();
  }

  #arm(): void {
    if (!this.#ring.prepReadMultishot(this.#fd, this.#buffers.group, IoUring.tag(this.#id, RX_READ))) {
      this.#ring.submit();
      if (!this.#ring.prepReadMultishot(this.#fd, this.#buffers.group, IoUring.tag(this.#id, RX_READ))) return;
    }
    this.#armed = true;
    this.#tap.counters.rxArms++;
    const r = this.#ring.submit();
    // Refused (after which it is read again from the DPC, a bounded number of times).
    if (r < 0 && r !== -EINTR) this.#ring.failUnsubmitted(r);
  }

  get postedFree(): number {
    return this.#buffers.available + this.#aside.length;
  }

  /**
   * Cancels the multishot read and waits (bounded) for its last completion, so the kernel writes into
   * no buffer once the queue's NBLs go back to their pool.
   */
  stop(onExit: () => void): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#armed && !this.#ring.closed && !this.#cancelling) {
      this.#cancelling = true;
      const target = IoUring.tag(this.#id, RX_READ);
      const tag = IoUring.tag(this.#id, RX_CANCEL);
      if (this.#ring.sqSpace === 0) this.#ring.submit();
      if (this.#ring.prepCancel(target, tag)) {
        const deadline = performance.now() + 1000;
        this.#ring.submit();
        while (this.#armed && performance.now() < deadline) {
          if (this.#ring.reap() === 0 && this.#ring.submit(1, 50_000_000) < 0 && this.#ring.ready === 0 && !this.#ring.kernelHasWork) break;
        }
      }
    }
    // Closing the buffer ring unregisters it: from here the kernel has no address of ours.
    this.#buffers.close();
    this.#ring.removeConsumer(this.#id);
    setImmediate(onExit);
  }

  releaseBuffers(): void {
    for (let i = 0; i < this.#slots.length; i++) {
      const nbl = this.#slots[i];
      if (nbl !== null && nbl !== undefined && nbl.allocated) this.pool.free(nbl);
      this.#slots[i] = null;
    }
    this.#aside.length = 0;
    this.#fillHead = this.#fillTail = 0;
  }
}

/** What the transmit table tells the adapter about each write and each NBL. */
export interface UringTxOwner {
  /** One write completed with `res` (bytes, or -errno; `notSubmitted`: the ring never took it). */
  frameDone(nbl: NetBufferList, nb: NetBuffer, fd: number, address: number, len: number, res: number, notSubmitted: boolean): void;
  /** Every write of `nbl` completed. */
  nblDone(nbl: NetBufferList): void;
}

/**
 * Writes in flight, by tag index: the NBL and NB each belongs to, what was asked for, and the header
 * fields patched for it (up to three (offset, original) pairs, put back when the write completed).
 * An NBL's count of writes in flight is kept in `miniportReserved[0]` while the adapter owns it.
 */
export class UringTxTable implements UringConsumer {
  readonly #ring: IoUring;
  readonly #owner: UringTxOwner;
  readonly #id: number;
  readonly #nbl: (NetBufferList | null)[] = new Array<NetBufferList | null>(URING_TX_DEPTH).fill(null);
  readonly #nb: (NetBuffer | null)[] = new Array<NetBuffer | null>(URING_TX_DEPTH).fill(null);
  readonly #fd = new Int32Array(URING_TX_DEPTH);
  readonly #address = new Float64Array(URING_TX_DEPTH);
  readonly #len = new Int32Array(URING_TX_DEPTH);
  readonly patchCount = new Uint8Array(URING_TX_DEPTH);
  readonly patchAt = new Int32Array(URING_TX_DEPTH * TAP_MAX_PATCHES);
  readonly patchWas = new Int32Array(URING_TX_DEPTH * TAP_MAX_PATCHES);
  readonly #patchBytes: (Uint8Array | null)[] = new Array<Uint8Array | null>(URING_TX_DEPTH).fill(null);
  readonly #free = new Int32Array(URING_TX_DEPTH);
  #freeCount = URING_TX_DEPTH;

  constructor(ring: IoUring, owner: UringTxOwner) {
    this.#ring = ring;
    this.#owner = owner;
    this.#id = ring.addConsumer(this);
    for (let i = 0; i < URING_TX_DEPTH; i++) this.#free[i] = URING_TX_DEPTH - 1 - i;
  }

  get inFlight(): number {
    return URING_TX_DEPTH - this.#freeCount;
  }

  /** A free entry for the next write, or -1. The caller fills its patch record, then calls `post`. */
  reserve(): number {
    return this.#freeCount === 0 ? -1 : this.#free[this.#freeCount - 1]!;
  }

  /** Queues the write reserved as `i` (the SQ has room: the caller checked `ring.sqSpace`). */
  post(i: number, fd: number, address: number, len: number, nbl: NetBufferList, nb: NetBuffer, patched: Uint8Array | null): void {
    this.#freeCount--;
    this.#nbl[i] = nbl;
    this.#nb[i] = nb;
    this.#fd[i] = fd;
    this.#address[i] = address;
    this.#len[i] = len;
    this.#patchBytes[i] = patched;
    if (patched === null) this.patchCount[i] = 0;
    nbl.miniportReserved[0] = (nbl.miniportReserved[0] as number) + 1;
    this.#ring.prepWrite(fd, address, len, IoUring.tag(this.#id, i));
  }

  complete(i: number, res: number, flags: number): void {
    const nbl = this.#nbl[i];
    const nb = this.#nb[i];
    if (nbl === null || nbl === undefined || nb === null || nb === undefined) return;
    // First the owner (a write that never reached the ring is done with write(2) from the patched
    // bytes), then the protocol's header fields go back.
    this.#owner.frameDone(nbl, nb, this.#fd[i]!, this.#address[i]!, this.#len[i]!, res, (flags & URING_F_NOT_SUBMITTED) !== 0);
    const bytes = this.#patchBytes[i];
    if (bytes !== null && bytes !== undefined) {
      for (let p = this.patchCount[i]! - 1; p >= 0; p--) {
        const at = this.patchAt[i * TAP_MAX_PATCHES + p]!;
        const was = this.patchWas[i * TAP_MAX_PATCHES + p]!;
        bytes[at] = was >>> 8;
        bytes[at + 1] = was & 0xff;
      }
    }
    this.#nbl[i] = null;
    this.#nb[i] = null;
    this.#patchBytes[i] = null;
    this.#free[this.#freeCount++] = i;
    const left = (nbl.miniportReserved[0] as number) - 1;
    nbl.miniportReserved[0] = left;
    if (left === 0) this.#owner.nblDone(nbl);
  }

  close(): void {
    this.#ring.removeConsumer(this.#id);
  }
}
