/**
 * Bookkeeping for one pendable operation (pause, restart, bind, reset, …): a handler may return PENDING
 * and complete later, or complete from inside the handler and then return PENDING. `begin` opens the
 * operation, `complete` is what the driver's `…Complete` call lands on, `settle` turns the handler's
 * return value into the final status. Misuse is reported, not thrown, so a wrong driver cannot wedge
 * the runtime: the caller turns `complete`'s result into a verifier violation.
 */
import { NDIS_STATUS_PENDING, type NdisStatus } from '../../ndis/status.js';
import type { Scheduler, Timer } from '../time/scheduler.js';

export type CompleteResult = 'ok' | 'not-pending' | 'already-completed';

export class PendableOperation {
  #state: 'idle' | 'running' | 'completed' = 'idle';
  #result: NdisStatus = 0;
  #resolve: ((s: NdisStatus) => void) | null = null;
  #promise: Promise<NdisStatus> | null = null;
  #deadline: Timer | null = null;
  /** The previous run ended through `complete` (so a further completion is a double completion). */
  #lastRunCompleted = false;

  constructor(readonly kind: string) {}

  get inProgress(): boolean {
    return this.#state !== 'idle';
  }

  /** Starts the operation; `onDeadline` fires if it is still open after `deadlineMs`. */
  begin(scheduler?: Scheduler, deadlineMs?: number, onDeadline?: () => void): void {
    this.#state = 'running';
    this.#lastRunCompleted = false;
    this.#result = 0;
    this.#promise = new Promise<NdisStatus>((r) => (this.#resolve = r));
    if (scheduler !== undefined && deadlineMs !== undefined && onDeadline !== undefined) {
      this.#deadline = scheduler.after(deadlineMs, () => {
        this.#deadline = null;
        if (this.#state === 'running') onDeadline();
      });
      this.#scheduler = scheduler;
    }
  }
  #scheduler: Scheduler | null = null;

  /** The driver's completion call. */
  complete(status: NdisStatus): CompleteResult {
    if (this.#state === 'idle') return this.#lastRunCompleted ? 'already-completed' : 'not-pending';
    if (this.#state === 'completed') return 'already-completed';
    this.#state = 'completed';
    this.#lastRunCompleted = true;
    this.#result = status;
    this.#clearDeadline();
    this.#resolve?.(status);
    return 'ok';
  }

  /**
   * Combines the handler's return value with any completion: resolves to the final status.
   * `completedEarly` tells the caller the driver both completed and returned a final status.
   */
  async settle(returned: NdisStatus): Promise<{ status: NdisStatus; completedEarly: boolean }> {
    if (returned === NDIS_STATUS_PENDING) {
      const status = await this.#promise!;
      this.#finish();
      return { status, completedEarly: false };
    }
    const completedEarly = this.#state === 'completed';
    this.#finish();
    return { status: completedEarly ? this.#result : returned, completedEarly };
  }

  /** Ends a running operation from outside (surprise removal, failed driver) with `status`. */
  abort(status: NdisStatus): void {
    if (this.#state === 'running') this.complete(status);
  }

  #finish(): void {
    this.#clearDeadline();
    this.#state = 'idle';
    this.#resolve = null;
    this.#promise = null;
  }

  #clearDeadline(): void {
    if (this.#deadline !== null && this.#scheduler !== null) this.#scheduler.cancelTimer(this.#deadline);
    this.#deadline = null;
  }
}
