/**
 * Keeping Node's event loop alive on purpose. The runtime's timers, the stacks' timers and the TAP
 * readers are unref'd: nothing inside a stack holds a process open by accident. What a program *means*
 * to keep running — a listening server, an open socket, a running stack — takes a `LoopHold` instead,
 * as Node's own servers and sockets hold their handles, with the same `ref()` / `unref()`.
 *
 * Every hold shares one interval that is ref'd while at least one hold is active and ref'd, and unref'd
 * otherwise: taking and dropping holds (a socket per connection) costs a counter, not a timer.
 *
 * A `LoopHoldGroup` gathers the holds of one owner (a stack's sockets) so the owner can drop them all
 * when it goes away: sockets left open on a stack that was shut down no longer hold the process.
 */

/** Longest interval Node accepts (it never fires in practice; it only holds the loop). */
const FOREVER_MS = 0x7fffffff;

let holding = 0;
let keeper: NodeJS.Timeout | null = null;

function acquire(): void {
  if (holding++ > 0) return;
  keeper ??= setInterval(() => undefined, FOREVER_MS);
  keeper.ref();
}

function release(): void {
  if (--holding > 0) return;
  keeper?.unref();
}

export class LoopHoldGroup {
  readonly #members = new Set<LoopHold>();
  #released = false;

  /** Releases every hold of the group, now and for good: holds started later hold nothing. */
  releaseAll(): void {
    this.#released = true;
    for (const h of [...this.#members]) h.stop();
  }

  get released(): boolean {
    return this.#released;
  }

  /** @internal */
  track(h: LoopHold, counted: boolean): void {
    if (counted) this.#members.add(h);
    else this.#members.delete(h);
  }
}

export class LoopHold {
  #active = false;
  #refed = true;
  #counted = false;
  readonly #group: LoopHoldGroup | null;

  constructor(group: LoopHoldGroup | null = null) {
    this.#group = group;
  }

  /** The owner is alive (listening, connected, running): hold the loop if ref'd. */
  start(): void {
    this.#active = true;
    this.#update();
  }

  /** The owner is closed: hold nothing any more (idempotent). */
  stop(): void {
    this.#active = false;
    this.#update();
  }

  ref(): void {
    this.#refed = true;
    this.#update();
  }

  unref(): void {
    this.#refed = false;
    this.#update();
  }

  /** As `Timeout.hasRef()`: ref'd (whether or not active). */
  hasRef(): boolean {
    return this.#refed;
  }

  /** Whether this hold keeps the loop alive now. */
  get holding(): boolean {
    return this.#counted;
  }

  #update(): void {
    const want = this.#active && this.#refed && this.#group?.released !== true;
    if (want === this.#counted) return;
    this.#counted = want;
    if (want) acquire();
    else release();
    this.#group?.track(this, want);
  }
}
