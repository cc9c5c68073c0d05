/**
 * A WSK-like socket API over the tsndis TCP engine: what Winsock Kernel is to kernel-mode clients of
 * the Windows TCP/IP stack, in idiomatic TypeScript.
 *
 * - `WskProvider` is the provider NPI a client gets after registering (WskRegister/WskCaptureProviderNPI):
 *   it creates sockets (WskSocket with WSK_FLAG_CONNECTION_SOCKET / WSK_FLAG_LISTEN_SOCKET).
 * - Operations that complete later return promises where WSK takes an IRP: `connect`, `send`,
 *   `receive`, `accept`, `disconnect`. A rejected promise carries a `WskError` whose `code` is Node's
 *   error code (ECONNRESET, ECONNREFUSED, ETIMEDOUT, …).
 * - Event callbacks (WSK_CLIENT_*_DISPATCH) are passed at creation: `receiveEvent` (WskReceiveEvent:
 *   bytes became readable; take them with `tryReceive` in the callback or later), `disconnectEvent`
 *   (WskDisconnectEvent: the peer closed, gracefully or abortively), `sendBacklogEvent`
 *   (WskSendBacklogEvent: send space freed) and, on listen sockets, `acceptEvent` (WskAcceptEvent).
 *   Pending `receive` requests are served before `receiveEvent` is called, as in WSK.
 *
 * Everything runs on the stack's thread synchronously with the engine's callbacks; promises resolve on
 * the microtask queue. Nothing here allocates per segment: data moves between the caller's buffers
 * and the engine's rings.
 */
import { LoopHoldGroup } from '../../../../util/loop-hold.js';
import type { TcpConnection, TcpListener, TcpSocketOptions } from '../tcp/api.js';
import { type CongestionAlgorithm, congestionNames, isCongestionAlgorithm } from '../tcp/congestion.js';
import { TcpError, type TcpErrorCode } from '../tcp/errors.js';
import type { IpFamily } from '../tcp/host.js';
import type { TcpLayer } from '../tcp/index.js';
import { anyAddress, checkPort, formatAddress, parseIpAddress, type Endpoint, type SocketAddress } from './address.js';

export type WskErrorCode = TcpErrorCode | 'EISCONN' | 'EALREADY' | 'EBADF';

export class WskError extends Error {
  constructor(
    readonly code: WskErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'WskError';
  }

  static from(e: unknown): WskError {
    if (e instanceof WskError) return e;
    if (e instanceof TcpError) return new WskError(e.code, e.message.replace(/^[A-Z]+: /, ''));
    if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string') return new WskError((e as unknown as { code: WskErrorCode }).code, e.message);
    return new WskError('EINVAL', e instanceof Error ? e.message : String(e));
  }
}

export interface WskConnectionDispatch {
  /** WskReceiveEvent: `bytesAvailable` in-order bytes can be taken with `tryReceive`. */
  receiveEvent?(socket: WskConnectionSocket, bytesAvailable: number): void;
  /** WskDisconnectEvent: the peer closed (FIN: graceful; RST or error: abortive, with the error). */
  disconnectEvent?(socket: WskConnectionSocket, abortive: boolean, error: WskError | null): void;
  /** WskSendBacklogEvent: send space was freed (`writableLength` bytes can be queued now). */
  sendBacklogEvent?(socket: WskConnectionSocket, writableLength: number): void;
}

export interface WskListenDispatch {
  /** WskAcceptEvent: a connection completed its handshake. Return false to reject (it is reset). */
  acceptEvent?(listener: WskListenSocket, socket: WskConnectionSocket): boolean | void;
}

interface PendingSend {
  readonly data: Uint8Array;
  offset: number;
  readonly resolve: (n: number) => void;
  readonly reject: (e: WskError) => void;
}

interface PendingReceive {
  readonly buffer: Uint8Array;
  readonly resolve: (n: number) => void;
  readonly reject: (e: WskError) => void;
}

export type WskSocketState = 'created' | 'bound' | 'connecting' | 'connected' | 'closed';

/** A connection-oriented socket (WSK_FLAG_CONNECTION_SOCKET). */
export class WskConnectionSocket {
  #state: WskSocketState = 'created';
  #conn: TcpConnection | null = null;
  #local: Endpoint | null = null;
  #sends: PendingSend[] = [];
  #receives: PendingReceive[] = [];
  #error: WskError | null = null;
  #remoteClosed = false;
  #disconnectSignalled = false;
  bytesSent = 0;
  bytesReceived = 0;

  /** @internal use WskProvider.createConnectionSocket or an accept. */
  constructor(
    readonly provider: WskProvider,
    readonly family: IpFamily,
    public dispatch: WskConnectionDispatch,
    readonly options: TcpSocketOptions,
  ) {}

  get state(): WskSocketState {
    return this.#state;
  }

  /** The engine's connection once connecting (for inspection). */
  get connection(): TcpConnection | null {
    return this.#conn;
  }

  /** WskBind: the local address (and port; 0 = ephemeral) connect will use. */
  bind(local: SocketAddress): void {
    if (this.#state !== 'created') throw new WskError('EINVAL', `cannot bind a socket that is ${this.#state}`);
    checkPort(local.port, true);
    const address = local.address === undefined || local.address === '' ? anyAddress(this.family) : parseIpAddress(local.address).address;
    if (address.length !== (this.family === 4 ? 4 : 16)) throw new WskError('EINVAL', `${local.address ?? ''} is not an IPv${this.family} address`);
    this.#local = { family: this.family, address, port: local.port };
    this.#state = 'bound';
  }

  /** WskConnect: resolves once established; rejects with ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, … */
  connect(remote: SocketAddress): Promise<void> {
    if (this.#state === 'connecting') return Promise.reject(new WskError('EALREADY', 'a connect is already in progress'));
    if (this.#state === 'connected') return Promise.reject(new WskError('EISCONN', 'the socket is already connected'));
    if (this.#state === 'closed') return Promise.reject(new WskError('EBADF', 'the socket is closed'));
    let endpoint: Endpoint;
    try {
      checkPort(remote.port, false);
      const a = parseIpAddress(remote.address ?? '');
      if (a.family !== this.family) throw new WskError('EINVAL', `${remote.address ?? ''} is not an IPv${this.family} address`);
      endpoint = { family: a.family, address: a.address, port: remote.port };
    } catch (e) {
      return Promise.reject(WskError.from(e));
    }
    return new Promise<void>((resolve, reject) => {
      this.#state = 'connecting';
      const local = this.#local;
      const anyLocal = local === null || local.address.every((b) => b === 0);
      try {
        this.#conn = this.provider.tcp.connect(
          endpoint,
          {
            ...this.options,
            ...(anyLocal ? {} : { localAddress: local.address }),
            ...(local !== null && local.port !== 0 ? { localPort: local.port } : {}),
          },
          {
            onConnected: () => {
              this.#state = 'connected';
              resolve();
            },
            onClosed: (_c, error) => {
              if (this.#state === 'connecting') {
                this.#state = 'closed';
                reject(WskError.from(error ?? new WskError('ECONNABORTED', 'the connection closed before it was established')));
              }
              this.#closed(error);
            },
            onReadable: () => this.#readable(),
            onWritable: () => this.#writable(),
          },
        );
      } catch (e) {
        this.#state = this.#local === null ? 'created' : 'bound';
        reject(WskError.from(e));
      }
    });
  }

  /** @internal an accepted connection. */
  adopt(conn: TcpConnection): void {
    this.#conn = conn;
    this.#state = 'connected';
    conn.events = {
      onClosed: (_c, error) => this.#closed(error),
      onReadable: () => this.#readable(),
      onWritable: () => this.#writable(),
    };
    if (conn.readableLength > 0 || conn.remoteClosed) queueMicrotask(() => this.#readable());
  }

  get localAddress(): SocketAddress | null {
    const c = this.#conn;
    if (c !== null) return { address: formatAddress(c.localEndpoint.family, c.localEndpoint.address), port: c.localEndpoint.port };
    return this.#local === null ? null : { address: formatAddress(this.family, this.#local.address), port: this.#local.port };
  }

  get remoteAddress(): SocketAddress | null {
    const c = this.#conn;
    return c === null ? null : { address: formatAddress(c.remoteEndpoint.family, c.remoteEndpoint.address), port: c.remoteEndpoint.port };
  }

  /** In-order bytes ready for `tryReceive`. */
  get readableLength(): number {
    return this.#conn?.readableLength ?? 0;
  }

  /** Free send space in the transport now. */
  get writableLength(): number {
    return this.#state === 'connected' ? (this.#conn?.writableLength ?? 0) : 0;
  }

  /** The peer sent FIN and every byte before it has been taken. */
  get ended(): boolean {
    return this.#remoteClosed && this.readableLength === 0;
  }

  /**
   * WskSend: queues all of `data` into the transport; resolves with its length once the last byte is
   * queued (sends complete in order). Rejects with EPIPE after a disconnect, or the connection's error.
   */
  send(data: Uint8Array): Promise<number> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#state !== 'connected') return Promise.reject(new WskError(this.#state === 'closed' ? 'EPIPE' : 'ENOTCONN', `cannot send on a socket that is ${this.#state}`));
    return new Promise<number>((resolve, reject) => {
      this.#sends.push({ data, offset: 0, resolve, reject });
      if (this.#sends.length === 1) this.#writable();
    });
  }

  /**
   * Queues what fits of `data` now, without waiting; returns the bytes queued. With `more` it only
   * queues (MSG_MORE): call `trySend` without it, or `flush()`, before yielding to the event loop.
   */
  trySend(data: Uint8Array, offset = 0, length = data.length - offset, more = false): number {
    if (this.#state !== 'connected' || this.#conn === null || this.#sends.length > 0) return 0;
    const n = this.#conn.send(data, offset, length, more);
    this.bytesSent += n;
    return n;
  }

  /** Transmits what `trySend(…, more)` queued. */
  flush(): void {
    if (this.#state === 'connected') this.#conn?.flush();
  }

  /**
   * WskReceive: resolves with the bytes copied into `buffer` (at least 1), or 0 once the peer has
   * closed gracefully and everything before its FIN was received.
   */
  receive(buffer: Uint8Array): Promise<number> {
    if (buffer.length === 0) return Promise.resolve(0);
    if (this.#receives.length === 0) {
      const n = this.tryReceive(buffer);
      if (n > 0) return Promise.resolve(n);
      if (this.#remoteClosed) return Promise.resolve(0);
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#state !== 'connected' && this.#state !== 'connecting') return Promise.reject(new WskError('ENOTCONN', `cannot receive on a socket that is ${this.#state}`));
    return new Promise<number>((resolve, reject) => this.#receives.push({ buffer, resolve, reject }));
  }

  /** Takes up to `length` readable bytes into `buffer` at `offset` now; returns how many (0: none). */
  tryReceive(buffer: Uint8Array, offset = 0, length = buffer.length - offset): number {
    const c = this.#conn;
    if (c === null) return 0;
    const n = c.receive(buffer, offset, length);
    this.bytesReceived += n;
    return n;
  }

  /**
   * Takes readable bytes as a Buffer the caller owns (the engine never writes into it again), up to
   * `maxLength`; null when none. From the first call on the connection keeps in-order bytes as such
   * chunks, so they reach the caller in one copy (TcpConnection.receiveChunk); `tryReceive` still works.
   * `maxLength` 0 only switches the connection to chunks (call it before data arrives) and returns null.
   */
  tryReceiveChunk(maxLength?: number): Buffer | null {
    const c = this.#conn;
    if (c === null) return null;
    const chunk = c.receiveChunk(maxLength);
    if (chunk === null) return null;
    this.bytesReceived += chunk.length;
    // The stack's host gives Buffers; an engine on another host may not.
    return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  }

  /**
   * WskDisconnect. Graceful (default): FIN once every queued send is in the transport; resolves when
   * the FIN is queued. Abortive: RST now; pending sends and receives fail with ECONNABORTED.
   */
  disconnect(options: { abortive?: boolean } = {}): Promise<void> {
    const c = this.#conn;
    if (c === null || this.#state === 'closed') return Promise.resolve();
    if (options.abortive === true) {
      this.#fail(new WskError('ECONNABORTED', 'the socket was disconnected abortively'));
      c.abort();
      return Promise.resolve();
    }
    if (this.#sends.length === 0) {
      c.shutdown();
      return Promise.resolve();
    }
    // Shut down after the last queued send went into the transport.
    const last = this.#sends[this.#sends.length - 1]!;
    return new Promise<void>((resolve, reject) => {
      const { resolve: r0, reject: j0 } = last;
      this.#sends[this.#sends.length - 1] = {
        ...last,
        resolve: (n) => {
          r0(n);
          c.shutdown();
          resolve();
        },
        reject: (e) => {
          j0(e);
          reject(e);
        },
      };
    });
  }

  /** WskCloseSocket: gives the socket up (an RST if unread data remains, as BSD does). */
  close(): Promise<void> {
    const c = this.#conn;
    if (this.#state !== 'closed') this.#fail(new WskError('ECONNABORTED', 'the socket was closed'));
    this.#state = 'closed';
    if (c !== null && c.state !== 'CLOSED') c.close();
    return Promise.resolve();
  }

  setNoDelay(noDelay = true): void {
    this.#conn?.setNoDelay(noDelay);
  }

  setKeepAlive(enable = false, idleMs?: number): void {
    this.#conn?.setKeepAlive(enable, idleMs);
  }

  /**
   * TCP_CONGESTION on the connection ('cubic', 'newreno', 'bbr', 'bbr1'; RangeError for another name). Like
   * setNoDelay it acts on a connection; before connecting, pass `congestion` in the socket options.
   */
  setCongestion(algorithm: CongestionAlgorithm): void {
    if (!isCongestionAlgorithm(algorithm)) throw new RangeError(`setCongestion: algorithm must be one of ${congestionNames()}, got ${String(algorithm)}`);
    this.#conn?.setCongestion(algorithm);
  }

  #readable(): void {
    const c = this.#conn;
    if (c === null) return;
    while (this.#receives.length > 0 && c.readableLength > 0) {
      const r = this.#receives.shift()!;
      r.resolve(this.tryReceive(r.buffer));
    }
    if (c.remoteClosed && !this.#remoteClosed) this.#remoteClosed = true;
    if (this.#remoteClosed && c.readableLength === 0) {
      for (const r of this.#receives.splice(0)) r.resolve(0);
    }
    if (c.readableLength > 0) this.dispatch.receiveEvent?.(this, c.readableLength);
    if (this.#remoteClosed && c.readableLength === 0 && !this.#disconnectSignalled) {
      this.#disconnectSignalled = true;
      this.dispatch.disconnectEvent?.(this, false, null);
    }
  }

  #writable(): void {
    const c = this.#conn;
    if (c === null || this.#state !== 'connected') return;
    while (this.#sends.length > 0) {
      const s = this.#sends[0]!;
      let n = 0;
      try {
        n = c.send(s.data, s.offset, s.data.length - s.offset);
      } catch (e) {
        this.#fail(WskError.from(e));
        return;
      }
      s.offset += n;
      this.bytesSent += n;
      if (s.offset < s.data.length) return;
      this.#sends.shift();
      s.resolve(s.data.length);
    }
    const free = c.writableLength;
    if (free > 0) this.dispatch.sendBacklogEvent?.(this, free);
  }

  #fail(error: WskError): void {
    if (this.#error === null) this.#error = error;
    for (const s of this.#sends.splice(0)) s.reject(error);
    for (const r of this.#receives.splice(0)) r.reject(error);
  }

  #closed(error: TcpError | null): void {
    const c = this.#conn;
    // Deliver what was received before the end.
    if (c !== null && (c.readableLength > 0 || c.remoteClosed)) this.#readable();
    const wasOpen = this.#state !== 'closed';
    this.#state = 'closed';
    if (error !== null) {
      const e = WskError.from(error);
      this.#fail(e);
      if (wasOpen && !this.#disconnectSignalled) {
        this.#disconnectSignalled = true;
        this.dispatch.disconnectEvent?.(this, true, e);
      }
      return;
    }
    this.#fail(new WskError('EPIPE', 'the connection is closed'));
    if (wasOpen && !this.#disconnectSignalled) {
      this.#disconnectSignalled = true;
      this.dispatch.disconnectEvent?.(this, false, null);
    }
  }
}

/** A listening socket (WSK_FLAG_LISTEN_SOCKET). */
export class WskListenSocket {
  #listener: TcpListener | null = null;
  #local: Endpoint | null = null;
  readonly #waiting: { resolve: (s: WskConnectionSocket) => void; reject: (e: WskError) => void }[] = [];
  #closed = false;

  /** @internal use WskProvider.createListenSocket. */
  constructor(
    readonly provider: WskProvider,
    readonly family: IpFamily,
    public dispatch: WskListenDispatch,
    readonly options: TcpSocketOptions & { backlog?: number },
  ) {}

  /** WskBind: the address (all-zero: any) and port to listen on; port 0 picks an ephemeral port at listen. */
  bind(local: SocketAddress): void {
    if (this.#local !== null || this.#closed) throw new WskError('EINVAL', 'the socket is already bound or closed');
    checkPort(local.port, true);
    const address = local.address === undefined || local.address === '' ? anyAddress(this.family) : parseIpAddress(local.address).address;
    if (address.length !== (this.family === 4 ? 4 : 16)) throw new WskError('EINVAL', `${local.address ?? ''} is not an IPv${this.family} address`);
    this.#local = { family: this.family, address, port: local.port };
  }

  /** Starts listening (SO_WSK listen). Throws WskError EADDRINUSE when the port is taken. */
  listen(backlog?: number): void {
    if (this.#closed) throw new WskError('EBADF', 'the socket is closed');
    if (this.#local === null) throw new WskError('EINVAL', 'bind the socket before listening');
    if (this.#listener !== null) return;
    try {
      this.#listener = this.provider.tcp.listen(this.#local, { ...this.options, ...(backlog !== undefined ? { backlog } : {}) }, {
        onConnection: (conn) => this.#incoming(conn),
        onClosed: (_l, error) => {
          const e = WskError.from(error ?? new WskError('ECONNABORTED', 'the listener was closed'));
          for (const w of this.#waiting.splice(0)) w.reject(e);
        },
      });
    } catch (e) {
      throw WskError.from(e);
    }
    if (this.dispatch.acceptEvent === undefined) this.#listener.pause();
  }

  get localAddress(): SocketAddress | null {
    const l = this.#listener;
    const ep = l?.localEndpoint ?? this.#local;
    return ep === null ? null : { address: formatAddress(ep.family, ep.address), port: ep.port };
  }

  get listener(): TcpListener | null {
    return this.#listener;
  }

  /** WskAccept: the next completed connection. */
  accept(): Promise<WskConnectionSocket> {
    if (this.#closed) return Promise.reject(new WskError('EBADF', 'the socket is closed'));
    const l = this.#listener;
    if (l === null) return Promise.reject(new WskError('EINVAL', 'the socket is not listening'));
    const conn = l.accept();
    if (conn !== null) return Promise.resolve(this.#wrap(conn));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      l.resume();
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#listener?.close();
    const e = new WskError('ECONNABORTED', 'the listening socket was closed');
    for (const w of this.#waiting.splice(0)) w.reject(e);
    return Promise.resolve();
  }

  #wrap(conn: TcpConnection): WskConnectionSocket {
    const s = new WskConnectionSocket(this.provider, conn.flow.family, {}, this.options);
    s.adopt(conn);
    return s;
  }

  #incoming(conn: TcpConnection): void {
    const w = this.#waiting.shift();
    if (w !== undefined) {
      w.resolve(this.#wrap(conn));
      if (this.#waiting.length === 0 && this.dispatch.acceptEvent === undefined) this.#listener?.pause();
      return;
    }
    const s = this.#wrap(conn);
    if (this.dispatch.acceptEvent?.(this, s) === false) conn.abort();
  }
}

/** The provider NPI: creates sockets on one stack's TCP engine. */
export class WskProvider {
  /**
   * The event-loop holds of the Node-style servers and sockets on this provider (stream.ts): released
   * all at once when the stack goes away, so what was left open does not keep the process alive.
   */
  readonly holds = new LoopHoldGroup();

  constructor(readonly tcp: TcpLayer) {}

  /** WskSocket(…, WSK_FLAG_CONNECTION_SOCKET). */
  createConnectionSocket(family: IpFamily, dispatch: WskConnectionDispatch = {}, options: TcpSocketOptions = {}): WskConnectionSocket {
    return new WskConnectionSocket(this, family, dispatch, options);
  }

  /** WskSocket(…, WSK_FLAG_LISTEN_SOCKET). */
  createListenSocket(family: IpFamily, dispatch: WskListenDispatch = {}, options: TcpSocketOptions & { backlog?: number } = {}): WskListenSocket {
    return new WskListenSocket(this, family, dispatch, options);
  }

  /** A connection socket connected to `remote` (the family follows the address). */
  async connect(remote: SocketAddress, options: TcpSocketOptions & { localAddress?: string; localPort?: number } = {}, dispatch: WskConnectionDispatch = {}): Promise<WskConnectionSocket> {
    const family = parseIpAddress(remote.address ?? '').family;
    const s = this.createConnectionSocket(family, dispatch, options);
    if (options.localAddress !== undefined || options.localPort !== undefined) s.bind({ address: options.localAddress ?? '', port: options.localPort ?? 0 });
    await s.connect(remote);
    return s;
  }
}
