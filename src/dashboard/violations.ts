/**
 * Verifier violations for the dashboard as they happen: each host's verifier reports to this feed (its
 * `onViolation` hook, chained after whatever was there), which keeps the latest ones in a bounded list and
 * pushes each to the pages that listen (server-sent events: plain HTTP, so the token check of every other
 * request applies unchanged). The inspector snapshot only has the first violations recorded; a page open
 * for hours wants the newest.
 *
 * A listener is written to without waiting for it; one that lets over MAX_UNREAD bytes pile up unread is
 * dropped, and at most MAX_LISTENERS listen at once, so no page can make the stacks wait or grow memory.
 */
import type { ServerResponse } from 'node:http';
import type { BuiltStacks } from '../config/index.js';
import type { VerifierViolation } from '../core/verifier/verifier.js';

/** How many of the latest violations a page gets when it opens. */
const KEPT = 200;
const MAX_LISTENERS = 16;
const MAX_UNREAD = 1 << 20;
const KEEPALIVE_MS = 5000;

export interface LiveViolation {
  /** 1, 2, … in the order the dashboard saw them (across hosts). */
  readonly seq: number;
  readonly host: string;
  readonly rule: string;
  readonly module: string;
  readonly detail: string;
  /** Runtime clock, ms. */
  readonly time: number;
  /** The NBL's history, oldest first, when the host keeps NBL history and the violation is about one. */
  readonly history?: readonly { event: string; module: string; to?: string; status?: number; time: number }[];
}

export class ViolationFeed {
  readonly #latest: LiveViolation[] = [];
  readonly #listeners = new Set<ServerResponse>();
  readonly #restore: (() => void)[] = [];
  readonly #keepalive: NodeJS.Timeout;
  #seq = 0;

  constructor(stacks: BuiltStacks) {
    for (const [host, h] of stacks.hosts) {
      const verifier = h.runtime.verifier;
      const before = verifier.onViolation;
      const mine = (v: VerifierViolation): void => {
        before?.(v);
        this.#add(host, v);
      };
      verifier.onViolation = mine;
      this.#restore.push(() => {
        if (verifier.onViolation === mine) verifier.onViolation = before;
      });
    }
    this.#keepalive = setInterval(() => this.#send(':\n\n'), KEEPALIVE_MS);
    this.#keepalive.unref();
  }

  /** The latest violations, oldest first. */
  latest(): readonly LiveViolation[] {
    return this.#latest;
  }

  /** Streams violations to `res` from now on; false (nothing written) when MAX_LISTENERS already listen. */
  listen(res: ServerResponse): boolean {
    if (this.#listeners.size >= MAX_LISTENERS) return false;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    // Long-lived by design: the server's idle timeout must not cut it (keep-alive comments flow anyway).
    res.socket?.setTimeout(0);
    res.write(':\n\n');
    this.#listeners.add(res);
    res.on('close', () => this.#listeners.delete(res));
    return true;
  }

  close(): void {
    clearInterval(this.#keepalive);
    for (const r of this.#restore.splice(0)) r();
    for (const res of this.#listeners) res.destroy();
    this.#listeners.clear();
  }

  #add(host: string, v: VerifierViolation): void {
    const live: LiveViolation = { seq: ++this.#seq, host, rule: v.rule, module: v.module, detail: v.detail, time: v.time, ...(v.history === undefined ? {} : { history: v.history }) };
    this.#latest.push(live);
    if (this.#latest.length > KEPT) this.#latest.shift();
    if (this.#listeners.size > 0) this.#send(`event: violation\ndata: ${JSON.stringify(live)}\n\n`);
  }

  #send(text: string): void {
    for (const res of this.#listeners) {
      if (res.writableLength > MAX_UNREAD) {
        res.destroy();
        this.#listeners.delete(res);
        continue;
      }
      res.write(text);
    }
  }
}
