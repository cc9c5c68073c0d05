/**
 * The shared-memory rings between a TAP reader worker and the main thread, like a NIC's receive rings:
 *
 *   main ──(free ring: slot numbers of posted receive buffers)──► worker
 *   main ◄──(fill ring: slot, length of each frame read)──────── worker     + doorbell / Atomics.notify
 *
 * Both rings are single-producer single-consumer Int32Arrays over SharedArrayBuffers; heads and tails
 * live in `control` and move with Atomics.load/store, so neither side ever locks. The worker reads
 * frames straight into the posted slots of the receive pool's slab (no copy); when the free ring is
 * empty it stops reading and the kernel's TAP queue absorbs (and eventually drops) the excess.
 */
export const CTRL_STOP = 0;
export const CTRL_FREE_HEAD = 1;
export const CTRL_FREE_TAIL = 2;
export const CTRL_FILL_HEAD = 3;
export const CTRL_FILL_TAIL = 4;
/** Bumped by the worker after publishing fills; the main thread waits on it. */
export const CTRL_DOORBELL = 5;
/** Bumped by the main thread after posting free slots; the worker waits on it when starved. */
export const CTRL_FREE_BELL = 6;
/** errno of a fatal read error (the device went away), 0 while healthy. */
export const CTRL_ERROR = 7;
export const CTRL_FRAMES = 8;
export const CTRL_READ_CALLS = 9;
/** Frames longer than a slot (the kernel truncated them into it). */
export const CTRL_TRUNCATED = 10;
/** Poll mode: 1 while the main thread wants to be told the fd is readable. */
export const CTRL_ARMED = 11;
export const CTRL_WORDS = 16;

export interface RxRingShared {
  readonly control: SharedArrayBuffer;
  readonly free: SharedArrayBuffer;
  readonly fill: SharedArrayBuffer;
  readonly capacity: number;
}

export interface RxWorkerData {
  readonly fd: number;
  readonly slab: SharedArrayBuffer;
  readonly slotSize: number;
  /** Bytes at the start of every slot the reads leave free (header-data split's backfill); 0 if absent. */
  readonly headroom?: number;
  readonly ring: RxRingShared;
  /** Most frames read per wake-up before publishing. */
  readonly batch: number;
  /**
   * 'read': the worker reads frames into posted slots (the main thread never makes a system call).
   * 'poll': the worker only waits for readability; the main thread reads in batches itself.
   */
  readonly mode: 'read' | 'poll';
}

export function createRxRing(capacity: number): RxRingShared {
  return {
    control: new SharedArrayBuffer(CTRL_WORDS * 4),
    free: new SharedArrayBuffer(capacity * 4),
    fill: new SharedArrayBuffer(capacity * 8),
    capacity,
  };
}

/** The main thread's side of the rings. */
export class RxRingMain {
  readonly control: Int32Array;
  readonly free: Int32Array;
  readonly fill: Int32Array;
  readonly capacity: number;

  constructor(shared: RxRingShared) {
    this.control = new Int32Array(shared.control);
    this.free = new Int32Array(shared.free);
    this.fill = new Int32Array(shared.fill);
    this.capacity = shared.capacity;
  }

  /** Posts a receive buffer (slot) to the worker. The ring holds at most `capacity` slots in total. */
  post(slot: number): void {
    const tail = Atomics.load(this.control, CTRL_FREE_TAIL);
    this.free[tail % this.capacity] = slot;
    Atomics.store(this.control, CTRL_FREE_TAIL, tail + 1);
  }

  /** Wakes a starved worker after posting. */
  ringFreeBell(): void {
    Atomics.add(this.control, CTRL_FREE_BELL, 1);
    Atomics.notify(this.control, CTRL_FREE_BELL);
  }

  /** Filled entries waiting for the main thread. */
  get filled(): number {
    return Atomics.load(this.control, CTRL_FILL_TAIL) - Atomics.load(this.control, CTRL_FILL_HEAD);
  }

  stop(): void {
    Atomics.store(this.control, CTRL_STOP, 1);
    this.ringFreeBell();
  }
}
