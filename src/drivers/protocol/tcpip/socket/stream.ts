/**
 * Node-style sockets over the WSK-like API: `TcpSocket` is a `stream.Duplex` shaped like `net.Socket`,
 * `TcpServer` an EventEmitter shaped like `net.Server`, so ordinary Node code runs over tsndis: pipe
 * streams through it, or hand accepted sockets to `http.Server` (`httpServer.emit('connection', s)`) and
 * give an `http.Agent` our `createConnection`.
 *
 * Back-pressure both ways: reading pulls from the engine's receive ring only while the stream's
 * buffer has room (the TCP window closes when we stop pulling); writing completes a chunk only when
 * the engine queued it, so `write()` returns false once the send ring and the stream's buffer are full.
 *
 * At bulk rates (bench: "stream vs WSK"): each chunk a reader gets is memory the engine received into
 * and hands over (tcp/chunks.ts: in-order bytes are copied once, from the frame into a slab region
 * that is never written again) — what remains above the WSK-style API's cost is what fresh memory
 * costs V8 and the allocator; `onread` (as net.Socket's) reads into one reused buffer instead.
 * A chunk being written is copied into the send ring at once (its callback runs as soon as the last
 * byte is in, the rest of a chunk that did not fit goes in as ACKs free space, with no promise or
 * closure per write), and the writes of one turn of the event loop leave together: they are queued
 * with MSG_MORE and transmitted once, in a microtask, as full-sized LSO bursts.
 *
 * Like Node's, a listening server and an open (or connecting) socket keep the process alive until they
 * are closed, unless `unref()`ed (a LoopHold in the provider's group: shutting the stack down drops them).
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { LoopHold } from '../../../../util/loop-hold.js';
import type { TcpSocketOptions } from '../tcp/api.js';
import type { CongestionAlgorithm } from '../tcp/congestion.js';
import { checkPort, nodeFamily, parseIpAddress, type NodeFamily, type SocketAddress } from './address.js';
import { WskError, type WskConnectionSocket, type WskListenSocket, type WskProvider } from './wsk.js';

type WriteCallback = (error?: Error | null) => void;

export interface TcpSocketConstructorOptions extends TcpSocketOptions {
  /** Like net.Socket: when false (default), the writable side ends when the readable side does. */
  allowHalfOpen?: boolean;
  /**
   * Like net.Socket's `onread`: received bytes are copied into `buffer` (or the buffer the function
   * returns) and passed to `callback` instead of being emitted as 'data' chunks; returning false
   * pauses the socket (resume() continues). 'end', 'error' and 'close' come as usual. No memory is
   * allocated per read: the receive path of the WSK-style API, with the Node-style socket around it.
   */
  onread?: TcpOnRead;
}

/** net.Socket's `onread` option. */
export interface TcpOnRead {
  buffer: Uint8Array | (() => Uint8Array);
  callback(bytesWritten: number, buffer: Uint8Array): boolean | void;
}

export interface TcpConnectOptions extends TcpSocketConstructorOptions {
  port: number;
  /** An IP literal (no name resolution: tsndis has no resolver). Default '127.0.0.1'. */
  host?: string;
  localAddress?: string;
  localPort?: number;
}

export class TcpSocket extends Duplex {
  #wsk: WskConnectionSocket | null = null;
  readonly #provider: WskProvider;
  readonly #options: TcpSocketOptions;
  #reading = false;
  readonly #onread: TcpOnRead | null;
  #timeoutMs = 0;
  #timer: NodeJS.Timeout | null = null;
  /** The chunk `_write` is queueing, the bytes of it already queued, and its callback (at most one: writes are sequential). */
  #writeChunk: Uint8Array | null = null;
  #writeOffset = 0;
  #writeCallback: WriteCallback | null = null;
  /** A microtask will transmit what this turn's writes queued. */
  #flushQueued = false;
  readonly #flush = (): void => {
    this.#flushQueued = false;
    this.#wsk?.flush();
  };
  /** Holds the event loop from connect (or accept) until destroyed, unless unref'd. */
  readonly #hold: LoopHold;
  connecting = false;

  constructor(provider: WskProvider, options: TcpSocketConstructorOptions = {}) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false, emitClose: true, autoDestroy: true });
    this.#provider = provider;
    this.#options = options;
    this.#hold = new LoopHold(provider.holds);
    this.#onread = options.onread ?? null;
    if (this.#onread !== null) {
      if ((typeof this.#onread.buffer !== 'function' && !(this.#onread.buffer instanceof Uint8Array)) || typeof this.#onread.callback !== 'function') {
        throw new TypeError('onread: expected { buffer: Uint8Array | () => Uint8Array, callback: function }');
      }
      // As net.Socket with onread: bytes flow to the callback from the start, with no reader pulling.
      this.#reading = true;
    }
  }

  /** Wraps a connected WSK socket (an accepted connection). */
  static fromWsk(provider: WskProvider, wsk: WskConnectionSocket, options: TcpSocketConstructorOptions = {}): TcpSocket {
    const s = new TcpSocket(provider, options);
    s.#hold.start();
    s.#attach(wsk);
    return s;
  }

  /** The WSK socket underneath (null before connect). */
  get wsk(): WskConnectionSocket | null {
    return this.#wsk;
  }

  connect(options: TcpConnectOptions, listener?: () => void): this;
  connect(port: number, host?: string, listener?: () => void): this;
  connect(a: number | TcpConnectOptions, b?: string | (() => void), c?: () => void): this {
    const o: TcpConnectOptions = typeof a === 'number' ? { port: a, ...(typeof b === 'string' ? { host: b } : {}) } : a;
    const listener = typeof b === 'function' ? b : c;
    if (listener !== undefined) this.once('connect', listener);
    if (this.#wsk !== null || this.connecting) {
      queueMicrotask(() => this.destroy(new WskError('EISCONN', 'the socket is already connected or connecting')));
      return this;
    }
    this.connecting = true;
    this.#hold.start();
    let family: 4 | 6;
    try {
      checkPort(o.port, false);
      family = parseIpAddress(o.host ?? '127.0.0.1').family;
    } catch (e) {
      queueMicrotask(() => this.destroy(WskError.from(e)));
      return this;
    }
    const wsk = this.#provider.createConnectionSocket(family, {}, { ...this.#options, ...o });
    try {
      if (o.localAddress !== undefined || o.localPort !== undefined) wsk.bind({ address: o.localAddress ?? '', port: o.localPort ?? 0 });
    } catch (e) {
      queueMicrotask(() => this.destroy(WskError.from(e)));
      return this;
    }
    wsk.connect({ address: o.host ?? '127.0.0.1', port: o.port }).then(
      () => {
        this.connecting = false;
        this.#attach(wsk);
        this.emit('connect');
        this.emit('ready');
      },
      (e: unknown) => {
        this.connecting = false;
        this.destroy(WskError.from(e));
      },
    );
    return this;
  }

  #attach(wsk: WskConnectionSocket): void {
    this.#wsk = wsk;
    wsk.dispatch = {
      receiveEvent: () => {
        this.#touch();
        if (this.#reading) this.#pull();
      },
      disconnectEvent: (_s, abortive, error) => {
        if (abortive) this.destroy(error ?? new WskError('ECONNRESET', 'connection reset'));
        else {
          if (this.#reading) this.#pull();
          // A write waiting for space fails now if the connection is gone.
          if (this.#writeChunk !== null && wsk.state !== 'connected') this.#queueWrite(wsk);
        }
      },
      sendBacklogEvent: () => {
        this.#touch();
        if (this.#writeChunk !== null) this.#queueWrite(wsk);
      },
    };
    // 'data' readers take chunks: from now on in-order bytes are received into them, not the ring.
    if (this.#onread === null) wsk.tryReceiveChunk(0);
    if (this.#reading) this.#pull();
  }

  /** With onread, pausing stops taking bytes from the engine (its window closes) … */
  override pause(): this {
    if (this.#onread !== null) this.#reading = false;
    return super.pause();
  }

  /** … and resuming takes them again. */
  override resume(): this {
    super.resume();
    if (this.#onread !== null && !this.#reading && !this.readableEnded) {
      this.#reading = true;
      queueMicrotask(() => this.#pull());
    }
    return this;
  }

  override _read(): void {
    // With onread, a pause holds until resume(), whoever asks the stream to read.
    if (this.#onread !== null && this.isPaused()) return;
    this.#reading = true;
    if (this.#wsk !== null) this.#pull();
  }

  /** Moves readable bytes into the stream while it wants more. */
  #pull(): void {
    const w = this.#wsk;
    if (w === null) return;
    while (this.#reading) {
      const n = w.readableLength;
      if (n === 0) {
        if (w.ended) {
          this.#reading = false;
          this.push(null);
          // With onread nothing reads the stream: this read ends it ('end').
          if (this.#onread !== null) this.read(0);
        }
        return;
      }
      if (this.#onread !== null) {
        const b = this.#onread.buffer;
        const buffer = typeof b === 'function' ? b() : b;
        const got = w.tryReceive(buffer);
        if (got === 0) return;
        if (this.#onread.callback(got, buffer) === false) this.pause();
        continue;
      }
      // The engine hands over the memory it received into: the reader owns the chunk (tcp/chunks.ts).
      const chunk = w.tryReceiveChunk();
      if (chunk === null) return;
      this.#reading = this.push(chunk);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const w = this.#wsk;
    if (w === null) {
      // Writes before the connection is up wait for it (as net.Socket does).
      this.once('connect', () => this._write(chunk, _encoding, callback));
      return;
    }
    this.#touch();
    this.#writeChunk = chunk;
    this.#writeOffset = 0;
    this.#writeCallback = callback;
    this.#queueWrite(w);
  }

  /**
   * Copies what fits of the current chunk into the send ring (MSG_MORE: the transmission waits for
   * this turn's flush) and completes the chunk once all of it is in; until then the socket's
   * sendBacklogEvent calls again. On a connection that can no longer send, the WSK send reports why.
   */
  #queueWrite(w: WskConnectionSocket): void {
    const chunk = this.#writeChunk!;
    let n: number;
    try {
      n = w.trySend(chunk, this.#writeOffset, chunk.length - this.#writeOffset, true);
    } catch (e) {
      this.#completeWrite(WskError.from(e));
      return;
    }
    if (n > 0 && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
    this.#writeOffset += n;
    if (this.#writeOffset === chunk.length) {
      this.#completeWrite(null);
      return;
    }
    if (w.state !== 'connected') {
      const callback = this.#writeCallback!;
      const rest = chunk.subarray(this.#writeOffset);
      this.#writeChunk = null;
      this.#writeCallback = null;
      w.send(rest).then(
        () => callback(),
        (e: unknown) => callback(WskError.from(e)),
      );
    }
  }

  #completeWrite(error: Error | null): void {
    const callback = this.#writeCallback!;
    this.#writeChunk = null;
    this.#writeCallback = null;
    callback(error);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const w = this.#wsk;
    if (w === null) {
      if (this.connecting) this.once('connect', () => this._final(callback));
      else callback();
      return;
    }
    w.disconnect().then(
      () => callback(),
      (e: unknown) => callback(WskError.from(e)),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clearTimer();
    this.#hold.stop();
    // A write still waiting for send space fails (after the destroy, as a WSK send's rejection would).
    if (this.#writeChunk !== null) {
      const callback = this.#writeCallback!;
      this.#writeChunk = null;
      this.#writeCallback = null;
      queueMicrotask(() => callback(new WskError('ECONNABORTED', 'the socket was destroyed')));
    }
    const w = this.#wsk;
    if (w !== null && w.state !== 'closed') {
      // An error or an early destroy resets the connection; after a clean end, close is graceful.
      if (error !== null || !this.writableFinished) void w.disconnect({ abortive: true });
      else void w.close();
    }
    callback(error);
  }

  get remoteAddress(): string | undefined {
    return this.#wsk?.remoteAddress?.address;
  }

  get remotePort(): number | undefined {
    return this.#wsk?.remoteAddress?.port;
  }

  get remoteFamily(): NodeFamily | undefined {
    return this.#wsk === null ? undefined : nodeFamily(this.#wsk.family);
  }

  get localAddress(): string | undefined {
    return this.#wsk?.localAddress?.address;
  }

  get localPort(): number | undefined {
    return this.#wsk?.localAddress?.port;
  }

  get bytesRead(): number {
    return this.#wsk?.bytesReceived ?? 0;
  }

  get bytesWritten(): number {
    return this.#wsk?.bytesSent ?? 0;
  }

  get pending(): boolean {
    return this.#wsk === null;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.destroyed || this.#wsk === null) return 'closed';
    if (this.readable && this.writable) return 'open';
    return this.readable ? 'readOnly' : this.writable ? 'writeOnly' : 'closed';
  }

  address(): { address: string; family: NodeFamily; port: number } | Record<string, never> {
    const a = this.#wsk?.localAddress;
    return a === null || a === undefined || this.#wsk === null ? {} : { address: a.address ?? '', family: nodeFamily(this.#wsk.family), port: a.port };
  }

  setNoDelay(noDelay = true): this {
    this.#wsk?.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelayMs = 0): this {
    this.#wsk?.setKeepAlive(enable, initialDelayMs > 0 ? initialDelayMs : undefined);
    return this;
  }

  /** TCP_CONGESTION ('cubic', 'newreno', 'bbr', 'bbr1'); not in net.Socket, which has no such option. */
  setCongestion(algorithm: CongestionAlgorithm): this {
    this.#wsk?.setCongestion(algorithm);
    return this;
  }

  /** Idle timeout as in net.Socket: emits 'timeout' after `ms` without activity (0 disables). */
  setTimeout(ms: number, callback?: () => void): this {
    this.#timeoutMs = ms;
    if (callback !== undefined) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#touch();
    return this;
  }

  /** As net.Socket: an open socket keeps the process alive (the default) … */
  ref(): this {
    this.#hold.ref();
    return this;
  }

  /** … or not, once unref'd. */
  unref(): this {
    this.#hold.unref();
    return this;
  }

  /** Resets the connection (net.Socket#resetAndDestroy). */
  resetAndDestroy(): this {
    void this.#wsk?.disconnect({ abortive: true });
    return this.destroy();
  }

  #touch(): void {
    this.#clearTimer();
    if (this.#timeoutMs > 0 && !this.destroyed) {
      this.#timer = setTimeout(() => this.emit('timeout'), this.#timeoutMs);
      this.#timer.unref();
    }
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

export interface TcpServerOptions extends TcpSocketConstructorOptions {
  backlog?: number;
}

/** A `net.Server`-like listener: 'listening', 'connection' (TcpSocket), 'error', 'close'. */
export class TcpServer extends EventEmitter {
  readonly #provider: WskProvider;
  readonly #options: TcpServerOptions;
  #wsk: WskListenSocket[] = [];
  readonly #connections = new Set<TcpSocket>();
  #closing = false;
  #closeEmitted = false;
  /** Holds the event loop while listening, unless unref'd. */
  readonly #hold: LoopHold;

  constructor(provider: WskProvider, options: TcpServerOptions = {}, connectionListener?: (socket: TcpSocket) => void) {
    super();
    this.#provider = provider;
    this.#options = options;
    this.#hold = new LoopHold(provider.holds);
    if (connectionListener !== undefined) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.#wsk.length > 0;
  }

  /**
   * listen(port[, host][, backlog][, cb]) or listen({ port, host, backlog }[, cb]). Without a host it
   * listens on every IPv4 and IPv6 address (two WSK listen sockets), like Node's default '::' socket.
   */
  listen(port?: number | { port?: number; host?: string; backlog?: number }, host?: string | number | (() => void), backlog?: number | (() => void), cb?: () => void): this {
    let o: { port?: number; host?: string; backlog?: number };
    if (typeof port === 'object') o = port;
    else o = { ...(port !== undefined ? { port } : {}) };
    const rest = [host, backlog, cb];
    let callback: (() => void) | undefined;
    for (const r of rest) {
      if (typeof r === 'function') callback = r;
      else if (typeof r === 'string') o = { ...o, host: r };
      else if (typeof r === 'number') o = { ...o, backlog: r };
    }
    if (callback !== undefined) this.once('listening', callback);
    try {
      const p = o.port ?? 0;
      checkPort(p, true);
      const families: (4 | 6)[] = o.host === undefined || o.host === '' ? [4, 6] : [parseIpAddress(o.host).family];
      let boundPort = p;
      for (const family of families) {
        const ls = this.#provider.createListenSocket(family, { acceptEvent: (_l, s) => this.#accepted(s) }, { ...this.#options, ...(o.backlog !== undefined ? { backlog: o.backlog } : {}) });
        ls.bind({ address: families.length === 1 ? (o.host ?? '') : '', port: boundPort });
        ls.listen();
        boundPort = ls.localAddress?.port ?? boundPort;
        this.#wsk.push(ls);
      }
    } catch (e) {
      for (const ls of this.#wsk.splice(0)) void ls.close();
      const err = WskError.from(e);
      queueMicrotask(() => this.emit('error', err));
      return this;
    }
    this.#hold.start();
    queueMicrotask(() => this.emit('listening'));
    return this;
  }

  address(): { address: string; family: NodeFamily; port: number } | null {
    const ls = this.#wsk[this.#wsk.length - 1];
    const a = ls?.localAddress;
    if (ls === undefined || a === null || a === undefined) return null;
    return { address: a.address ?? '', family: nodeFamily(ls.family), port: a.port };
  }

  /** Stops accepting; 'close' once every accepted connection has closed. */
  close(callback?: (error?: Error) => void): this {
    if (callback !== undefined) this.once('close', () => callback());
    if (this.#closing) return this;
    this.#closing = true;
    this.#hold.stop();
    for (const ls of this.#wsk.splice(0)) void ls.close();
    this.#maybeClosed();
    return this;
  }

  getConnections(callback: (error: Error | null, count: number) => void): this {
    queueMicrotask(() => callback(null, this.#connections.size));
    return this;
  }

  /** As net.Server: a listening server keeps the process alive (the default) … */
  ref(): this {
    this.#hold.ref();
    return this;
  }

  /** … or not, once unref'd. */
  unref(): this {
    this.#hold.unref();
    return this;
  }

  #accepted(wsk: WskConnectionSocket): boolean {
    if (this.#closing) return false;
    const s = TcpSocket.fromWsk(this.#provider, wsk, this.#options);
    this.#connections.add(s);
    s.once('close', () => {
      this.#connections.delete(s);
      this.#maybeClosed();
    });
    this.emit('connection', s);
    return true;
  }

  #maybeClosed(): void {
    if (!this.#closing || this.#connections.size > 0 || this.#closeEmitted) return;
    this.#closeEmitted = true;
    queueMicrotask(() => this.emit('close'));
  }
}

/** A connected TcpSocket (net.createConnection analogue). */
export function createConnection(provider: WskProvider, options: TcpConnectOptions, listener?: () => void): TcpSocket {
  return new TcpSocket(provider, options).connect(options, listener);
}

export function createServer(provider: WskProvider, options: TcpServerOptions = {}, listener?: (socket: TcpSocket) => void): TcpServer {
  return new TcpServer(provider, options, listener);
}

export type { SocketAddress };
