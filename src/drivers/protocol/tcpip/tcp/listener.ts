/**
 * A listening endpoint: admits SYNs within its bounds (backlog = SYN-RECEIVED + unaccepted; a
 * separate half-open cap), delivers completed connections through onConnection, or queues them while
 * paused (or without a handler) for `accept`.
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
  halfOpenCount = 0;
  closed = false;
  /** When this listener last answered with a SYN cookie (cookie ACKs are believed only soon after). */
  lastCookieAt = -Infinity;
  readonly #owner: ListenerOwner;
  readonly #queue: Tcb[] = [];
  #paused = false;

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

  /** SYN-RECEIVED plus completed-but-unaccepted, the quantity the backlog bounds. */
  get pending(): number {
    return this.halfOpenCount + this.#queue.length;
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
