/**
 * A listening endpoint, bounded as Linux bounds one: the backlog limits the accept queue (completed
 * connections the application has not taken — only while paused or without a handler), the half-open
 * budget `maxHalfOpen` limits SYN-RECEIVED entries. It delivers completed connections through
 * onConnection, or queues them for `accept`; it keeps its half-open entries oldest first (eviction when
 * cookies are off) and Linux's count of "young" ones (whose SYN-ACK timer has not fired yet), which
 * shortens the SYN-ACK retries of old entries when the budget is more than half used.
 */
import type { TcpConnection, TcpEndpoint, TcpListener, TcpListenerEvents } from './api.js';
import type { TcpError } from './errors.js';
import type { Tcb, TcbListener, TcbOptions } from './tcb.js';

export interface ListenerOwner {
  removeListener(l: Listener): void;
  /** Resets every TCB this listener created that the application does not have. */
  abortOrphans(l: Listener): void;
  callbackError(error: unknown, where: string): void;
  readonly counters: { callbackErrors: number };
}

export class Listener implements TcpListener, TcbListener {
  readonly localEndpoint: TcpEndpoint;
  readonly backlog: number;
  readonly maxHalfOpen: number;
  readonly options: TcbOptions;
  events: TcpListenerEvents;
  closed = false;
  /** When this listener last answered with a SYN cookie (cookie ACKs are believed only soon after). */
  lastCookieAt = -Infinity;
  readonly #owner: ListenerOwner;
  readonly #queue: Tcb[] = [];
  #paused = false;
  /** SYN-RECEIVED entries in arrival order; true while young (no SYN-ACK timeout yet). */
  readonly #halfOpen = new Map<Tcb, boolean>();
  #young = 0;

  constructor(owner: ListenerOwner, endpoint: TcpEndpoint, backlog: number, maxHalfOpen: number, options: TcbOptions, events: TcpListenerEvents) {
    this.#owner = owner;
    this.localEndpoint = endpoint;
    this.backlog = backlog;
    this.maxHalfOpen = maxHalfOpen;
    this.options = options;
    this.events = events;
  }

  get acceptQueueLength(): number {
    return this.#queue.length;
  }

  /** SYN-RECEIVED entries now. */
  get halfOpenCount(): number {
    return this.#halfOpen.size;
  }

  /** The accept queue is at the backlog: SYNs and handshake ACKs are dropped (as Linux). */
  get acceptQueueFull(): boolean {
    return this.#queue.length >= this.backlog;
  }

  hasRoom(): boolean {
    return this.#queue.length < this.backlog;
  }

  halfOpenAdded(tcb: Tcb): void {
    this.#halfOpen.set(tcb, true);
    this.#young++;
  }

  halfOpenRemoved(tcb: Tcb): void {
    if (this.#halfOpen.get(tcb) === true) this.#young--;
    this.#halfOpen.delete(tcb);
  }

  /** The half-open entry that arrived first (evicted first), or null. */
  oldestHalfOpen(): Tcb | null {
    for (const t of this.#halfOpen.keys()) return t;
    return null;
  }

  /**
   * A half-open entry's SYN-ACK timer fired: it is no longer young. Returns how many SYN-ACK retries it
   * may have: `configured`, fewer (down to 2) when more than half the budget is used and few entries
   * are young — Linux's reqsk_timer_handler, which keeps half the room for new SYNs by giving up on
   * old, unanswered ones sooner (a spoofed entry then holds its slot ~7 s instead of ~63 s).
   */
  synAckTimeout(tcb: Tcb, configured: number): number {
    if (this.#halfOpen.get(tcb) === true) {
      this.#halfOpen.set(tcb, false);
      this.#young--;
    }
    let max = configured;
    const qlen = this.#halfOpen.size;
    if (2 * qlen > Math.max(8, this.maxHalfOpen)) {
      let young = 2 * this.#young;
      while (max > 2 && qlen >= young) {
        max--;
        young *= 2;
      }
    }
    return max;
  }

  get queued(): readonly Tcb[] {
    return this.#queue;
  }

  established(tcb: Tcb): void {
    if (!this.#paused && this.events.onConnection !== undefined && !this.closed) {
      tcb.makeVisible();
      tcb.pendingAccept = this;
    } else {
      this.#queue.push(tcb);
    }
  }

  dropped(tcb: Tcb): void {
    const i = this.#queue.indexOf(tcb);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  deliver(tcb: Tcb): void {
    const handler = this.events.onConnection;
    if (handler === undefined) return;
    try {
      handler.call(this.events, tcb);
    } catch (err) {
      this.#owner.counters.callbackErrors++;
      this.#owner.callbackError(err, 'onConnection');
    }
  }

  accept(): TcpConnection | null {
    const tcb = this.#queue.shift();
    if (tcb === undefined) return null;
    tcb.makeVisible();
    return tcb;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    // Bounded by the queue's length at entry: handlers may pause again.
    for (let n = this.#queue.length; n > 0 && !this.#paused && !this.closed && this.events.onConnection !== undefined; n--) {
      const tcb = this.#queue.shift()!;
      tcb.makeVisible();
      tcb.pendingAccept = this;
      tcb.flushEvents();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#owner.removeListener(this);
    this.#owner.abortOrphans(this);
    this.#queue.length = 0;
  }

  /** `abortAll`: closed without RSTs. */
  shutDown(error: TcpError | null): void {
    if (this.closed) return;
    this.closed = true;
    this.#queue.length = 0;
    const handler = this.events.onClosed;
    if (handler === undefined) return;
    try {
      handler.call(this.events, this, error);
    } catch (err) {
      this.#owner.counters.callbackErrors++;
      this.#owner.callbackError(err, 'onClosed');
    }
  }
}
