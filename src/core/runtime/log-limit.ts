/**
 * Rate limiting of the runtime's log path (every driver's NdisWriteEventLogEntry-like `handle.log` and
 * the runtime's own messages go through it), so a flood of bad frames cannot turn into a flood of log
 * lines: a driver may log on every conflicting ARP frame and the log still stays readable.
 *
 * Fixed windows of `intervalMs` on the runtime clock, opened by the first message after the previous one
 * ended. Within a window, a (level, source, message) gets at most `burst` lines and a (level, source) at
 * most `perSource` (distinct messages — another MAC address in each — count against the source). Further
 * messages are counted, not formatted or kept; when the window ends, each (level, source) that lost any
 * gets one line "suppressed K similar messages from <source>". Levels have separate budgets, so debug
 * chatter never hides a warning. Memory is bounded by the messages that got through.
 */
import type { Scheduler, Timer } from '../time/scheduler.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, source: string, message: string) => void;

export interface LogLimit {
  /** Lines per (level, source, message) per interval. */
  readonly burst: number;
  /** Lines per (level, source) per interval, distinct messages together. */
  readonly perSource: number;
  /** Window length in ms; 0 turns limiting off. */
  readonly intervalMs: number;
}

export const DEFAULT_LOG_LIMIT: LogLimit = { burst: 5, perSource: 30, intervalMs: 10_000 };

/** What the log path did; shown by the inspector. */
export class LogCounters {
  /** Messages passed on to the logger. */
  logged = 0;
  /** Messages dropped by the rate limit (each is in a "suppressed K" line). */
  suppressed = 0;
}

interface SourceWindow {
  readonly level: LogLevel;
  readonly source: string;
  passed: number;
  suppressed: number;
}

export class LogRateLimiter {
  readonly counters = new LogCounters();
  readonly #scheduler: Scheduler;
  readonly #limit: LogLimit;
  readonly #sink: Logger;
  /** Start of the current window; -Infinity when none is open. */
  #windowStart = -Infinity;
  readonly #perMessage = new Map<string, number>();
  readonly #perSource = new Map<string, SourceWindow>();
  #timer: Timer | null = null;

  constructor(scheduler: Scheduler, limit: LogLimit, sink: Logger) {
    this.#scheduler = scheduler;
    this.#limit = limit;
    this.#sink = sink;
  }

  log(level: LogLevel, source: string, message: string): void {
    const limit = this.#limit;
    if (limit.intervalMs <= 0) {
      this.counters.logged++;
      this.#sink(level, source, message);
      return;
    }
    const now = this.#scheduler.now();
    if (now - this.#windowStart >= limit.intervalMs) this.#endWindow(now);
    const sourceKey = `${level}\u0000${source}`;
    let w = this.#perSource.get(sourceKey);
    if (w === undefined) {
      w = { level, source, passed: 0, suppressed: 0 };
      this.#perSource.set(sourceKey, w);
    }
    const messageKey = `${sourceKey}\u0000${message}`;
    const n = this.#perMessage.get(messageKey) ?? 0;
    if (n >= limit.burst || w.passed >= limit.perSource) {
      w.suppressed++;
      this.counters.suppressed++;
      this.#arm(now);
      return;
    }
    this.#perMessage.set(messageKey, n + 1);
    w.passed++;
    this.counters.logged++;
    this.#sink(level, source, message);
  }

  /** Reports what is still suppressed and stops the timer (runtime shutdown). */
  flush(): void {
    this.#endWindow(-Infinity);
  }

  /** Ends the current window: one summary line per (level, source) that lost messages; `start` opens the next. */
  #endWindow(start: number): void {
    if (this.#timer !== null) this.#scheduler.cancelTimer(this.#timer);
    for (const w of this.#perSource.values()) {
      if (w.suppressed > 0) this.#sink(w.level, w.source, `suppressed ${w.suppressed} similar message${w.suppressed === 1 ? '' : 's'} from ${w.source}`);
    }
    this.#perSource.clear();
    this.#perMessage.clear();
    this.#windowStart = start;
  }

  /** The summary must come when the window ends even if nothing else is logged: one timer, only while suppressing. */
  #arm(now: number): void {
    if (this.#timer === null) this.#timer = this.#scheduler.createTimer(() => this.#endWindow(-Infinity));
    if (!this.#timer.queued) this.#scheduler.setTimer(this.#timer, this.#windowStart + this.#limit.intervalMs - now);
  }
}
