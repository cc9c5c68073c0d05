/**
 * A stand-in NDIS handle for unit tests of the stack's timer-driven parts (neighbour cache, reassembly):
 * `now()`, one-shot NDIS timers fired by `advance`, logs collected. No runtime involved.
 */
import type { NdisHandleBase, NdisTimerObject } from '../../src/ndis/index.js';

class FakeTimer implements NdisTimerObject {
  due = -1;
  freed = false;
  constructor(
    readonly clock: FakeClock,
    readonly callback: () => void,
  ) {}
  set(dueMs: number): boolean {
    const was = this.due >= 0;
    this.due = this.clock.time + dueMs;
    return was;
  }
  cancel(): boolean {
    const was = this.due >= 0;
    this.due = -1;
    return was;
  }
  free(): void {
    this.cancel();
    this.freed = true;
  }
}

export class FakeClock {
  time = 0;
  readonly timers: FakeTimer[] = [];
  readonly logs: string[] = [];

  readonly handle = {
    name: 'fake',
    now: () => this.time,
    allocateTimer: (cb: () => void): NdisTimerObject => {
      const t = new FakeTimer(this, cb);
      this.timers.push(t);
      return t;
    },
    log: (level: string, message: string) => this.logs.push(`${level}: ${message}`),
    queueWorkItem: (routine: () => void) => setImmediate(routine),
  } as unknown as NdisHandleBase;

  /** Moves time forward, firing due timers in order (bounded). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      let next: FakeTimer | null = null;
      for (const t of this.timers) if (!t.freed && t.due >= 0 && t.due <= end && (next === null || t.due < next.due)) next = t;
      if (next === null) break;
      this.time = Math.max(this.time, next.due);
      next.due = -1;
      next.callback();
    }
    this.time = end;
  }
}
