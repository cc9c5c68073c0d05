/**
 * Doorbells: how a producer wakes a processor that went to sleep with nothing to do.
 *
 * One Int32 word per processor in a SharedArrayBuffer, AWAKE or SLEEPING. A consumer about to sleep
 * stores SLEEPING, looks at its rings (and control port) once more, and only then waits on the word; a
 * producer that published into one of its rings rings the doorbell, which notifies only if it wins
 * `compareExchange(SLEEPING → AWAKE)`. So a busy consumer is never signalled (no system call on the data
 * path while both sides run) and a sleeping one exactly once; a publish that races the consumer's
 * recheck either is seen by the recheck or flips the word, and the wait then returns at once.
 *
 * `AtomicsDoorbell` waits with `Atomics.wait` on a worker (a blocking futex wait; the loop has nothing
 * else to do) and with `Atomics.waitAsync` on processor 0 (the main thread must not block). An eventfd
 * in a poll set with the processor's other fds is the design's later form (`EventFdDoorbell`).
 */

export const DoorbellState = { Awake: 0, Sleeping: 1 } as const;

type WaitResult = 'ok' | 'not-equal' | 'timed-out';
type WaitAsync = (array: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: WaitResult | Promise<WaitResult> };

/** `Atomics.waitAsync` (Node 16+; not in the ES2023 lib typings the package builds against). */
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class AtomicsDoorbell {
  /** Times this doorbell woke a sleeper (counted on the producing thread's object). */
  rings = 0;

  constructor(
    readonly words: Int32Array,
    readonly index: number,
  ) {}

  /** The doorbell words of a processor set: one per processor, all AWAKE. */
  static createWords(count: number): Int32Array {
    return new Int32Array(new SharedArrayBuffer(Math.max(1, count) * 4));
  }

  get sleeping(): boolean {
    return Atomics.load(this.words, this.index) === DoorbellState.Sleeping;
  }

  // Consumer side (the processor that owns the doorbell)

  /** Announces the sleep; recheck every source afterwards, then `wait` (or `awake` if work turned up). */
  prepareSleep(): void {
    Atomics.store(this.words, this.index, DoorbellState.Sleeping);
  }

  awake(): void {
    Atomics.store(this.words, this.index, DoorbellState.Awake);
  }

  /** Blocks until rung or `timeoutMs` pass (workers only: the main thread may not block). */
  wait(timeoutMs: number): WaitResult {
    const r = Atomics.wait(this.words, this.index, DoorbellState.Sleeping, timeoutMs === Infinity ? undefined : Math.max(0, timeoutMs));
    Atomics.store(this.words, this.index, DoorbellState.Awake);
    return r;
  }

  /** Resolves when rung or after `timeoutMs`, without blocking the thread. */
  waitAsync(timeoutMs: number): Promise<WaitResult> {
    const r = waitAsync(this.words, this.index, DoorbellState.Sleeping, timeoutMs === Infinity ? undefined : Math.max(0, timeoutMs));
    return r.async ? (r.value as Promise<WaitResult>) : Promise.resolve(r.value as WaitResult);
  }

  // Producer side (any other thread)

  /** Wakes the owner if it sleeps; true when this call woke it. */
  ring(): boolean {
    if (Atomics.compareExchange(this.words, this.index, DoorbellState.Sleeping, DoorbellState.Awake) !== DoorbellState.Sleeping) return false;
    Atomics.notify(this.words, this.index, 1);
    this.rings++;
    return true;
  }
}
