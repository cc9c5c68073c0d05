/**
 * The client side of the control channel (control.ts): one connection to a running `tsndis up`, JSON
 * lines, requests answered in order. A command that makes one request uses `controlRequest`; one whose
 * effect must last only as long as it runs (`capture --attach`) keeps a ControlClient open, because the
 * server undoes what a connection attached with `untilClose` when that connection goes away — however
 * the client ended, SIGKILL included.
 */
import { createConnection, type Socket } from 'node:net';
import type { ControlRequest, ControlResponse } from './control.js';

interface Pending {
  id: number;
  resolve(r: ControlResponse): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class ControlClient {
  readonly path: string;
  /** Resolves when the connection is gone (closed by either side, or failed). */
  readonly closed: Promise<void>;
  readonly #sock: Socket;
  readonly #pending: Pending[] = [];
  #buf = '';
  #gone: Error | null = null;
  #nextId = 1;

  private constructor(path: string, sock: Socket) {
    this.path = path;
    this.#sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.#data(d));
    this.closed = new Promise((resolve) => {
      sock.on('close', () => {
        this.#gone ??= new Error(`${path}: the running tsndis closed the control connection`);
        for (const p of this.#pending.splice(0)) {
          clearTimeout(p.timer);
          p.reject(this.#gone);
        }
        resolve();
      });
    });
    sock.on('error', (e) => {
      this.#gone ??= new Error(`${path}: control connection failed: ${e.message}`);
    });
  }

  /** Connects to the control socket of a running `tsndis up`. */
  static connect(path: string, timeoutMs = 15_000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(path);
      const t = setTimeout(() => {
        sock.destroy();
        reject(new Error(`cannot reach a running tsndis at ${path}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (e: Error): void => {
        clearTimeout(t);
        reject(new Error(`cannot reach a running tsndis at ${path}: ${e.message}`));
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        clearTimeout(t);
        sock.off('error', onError);
        resolve(new ControlClient(path, sock));
      });
    });
  }

  /**
   * Sends `req` with a fresh `id`; resolves with its response (responses come in request order, each
   * carrying its request's id). Rejects when the server answers for the connection instead (refused: too
   * many clients; a line it would not read) — such a reply carries no id.
   */
  request(req: ControlRequest, timeoutMs = 15_000): Promise<ControlResponse> {
    if (this.#gone !== null || this.#sock.destroyed) return Promise.reject(this.#gone ?? new Error(`${this.path}: the control connection is closed`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#sock.destroy();
        this.#gone = new Error(`no answer from ${this.path} within ${timeoutMs} ms`);
      }, timeoutMs);
      const id = this.#nextId++;
      this.#pending.push({ id, resolve, reject, timer });
      this.#sock.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  /** Ends the connection (what this connection attached with `untilClose` is then detached). */
  close(): void {
    this.#sock.end();
  }

  #data(d: string): void {
    this.#buf += d;
    for (let i = this.#buf.indexOf('\n'); i >= 0; i = this.#buf.indexOf('\n')) {
      const line = this.#buf.slice(0, i);
      this.#buf = this.#buf.slice(i + 1);
      let r: ControlResponse;
      try {
        r = JSON.parse(line) as ControlResponse;
      } catch {
        this.#fail(new Error(`${this.path}: not a control reply: ${line.slice(0, 80)}`));
        return;
      }
      const id = (r as { id?: unknown }).id;
      if (id === undefined) {
        // Not an answer to a request: the server speaks for the connection (it refused or is closing it).
        this.#fail(new Error(r.ok ? `${this.path}: a reply without its request's id` : r.error));
        return;
      }
      const p = this.#pending.shift();
      if (p === undefined) continue;
      clearTimeout(p.timer);
      if (id !== p.id) {
        p.reject(new Error(`${this.path}: reply to request ${String(id)} where ${p.id} was due`));
        continue;
      }
      const { id: _, ...reply } = r as ControlResponse & { id: unknown };
      p.resolve(reply as ControlResponse);
    }
  }

  /** The connection is unusable: every waiting request fails with `e`, and so will later ones. */
  #fail(e: Error): void {
    this.#gone ??= e;
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(this.#gone);
    }
    this.#sock.destroy();
  }
}

/** Sends one request to a running `tsndis up` and resolves with its response. */
export async function controlRequest(path: string, req: ControlRequest, timeoutMs = 15_000): Promise<ControlResponse> {
  const client = await ControlClient.connect(path, timeoutMs);
  try {
    return await client.request(req, timeoutMs);
  } finally {
    client.close();
  }
}
