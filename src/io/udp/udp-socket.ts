/**
 * A UDP/IPv4 socket for drivers (the VXLAN miniport's underlay), on Node's `dgram`, with two properties
 * drivers need and plain `dgram` does not give:
 *
 *   - **Synchronous bind and send.** The socket's `lookup` accepts IPv4 literals only and answers at
 *     once, so `dgram` binds inside `bind()` (a failure such as EADDRNOTAVAIL is known before it returns,
 *     which MiniportInitializeEx needs) and hands each datagram to libuv inside `send()` instead of on a
 *     later tick after a DNS lookup. libuv then tries `sendmsg` at once; when the kernel's send buffer is
 *     full it queues the datagram (and every later one, in order) and sends it when the socket is
 *     writable. Either way `send()` never blocks the event loop.
 *   - **Buffer lifetime is explicit.** The bytes passed to `send()` are not copied by Node: they must stay
 *     untouched until that datagram's `done` callback ran. `done(null)` means the kernel took the datagram
 *     (for a synchronous send, on the next tick), `done(error)` means it did not (ECANCELED for datagrams
 *     still queued when the socket closes: every send gets exactly one `done`, even across `close()`).
 *
 * Receive: every datagram is passed to `onMessage(bytes, address, port)` (a fresh Buffer per datagram,
 * allocated by Node). A handler that throws is caught here, once per datagram, and reported through
 * `onError`, so a bug in a driver cannot take the process down from an I/O callback.
 *
 * Not supported: IPv6, multicast membership, connected sockets, sendmmsg batching (Node has none: one
 * `sendmsg` per datagram).
 */
import dgram from 'node:dgram';
import { isIPv4 } from 'node:net';

export interface UdpSocketOptions {
  /** IPv4 literal to bind ('0.0.0.0' for every address). */
  readonly address: string;
  /** 1..65535, or 0 for an ephemeral port. */
  readonly port: number;
  /** SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max); 0 keeps the default. */
  readonly receiveBufferBytes?: number;
  /** SO_SNDBUF to ask for; 0 keeps the default. */
  readonly sendBufferBytes?: number;
  /** Each received datagram. `bytes` is only valid during the call. */
  readonly onMessage: (bytes: Uint8Array, address: string, port: number) => void;
  /** Socket errors after the bind, and exceptions thrown by `onMessage`. */
  readonly onError?: (error: Error) => void;
}

/** Why a bind failed: the errno code (EADDRNOTAVAIL, EADDRINUSE, EACCES …) and a sentence. */
export interface UdpBindFailure {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
}

export type UdpBindResult = { readonly ok: true; readonly socket: UdpSocket } | UdpBindFailure;

/** Called once per datagram: null when the kernel took it. */
export type UdpSendDone = (error: Error | null) => void;

/** `dgram`'s lookup hook: IPv4 literals only, answered synchronously (no DNS, no deferral). */
function literalLookup(address: string, options: unknown, callback?: unknown): void {
  const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, address: string, family: number) => void;
  if (isIPv4(address)) {
    cb(null, address, 4);
    return;
  }
  const err = Object.assign(new Error(`not an IPv4 address literal: '${address}'`), { code: 'EINVAL' });
  cb(err, address, 4);
}

export class UdpSocket {
  readonly #socket: dgram.Socket;
  readonly #onError: (error: Error) => void;
  #closed = false;

  private constructor(socket: dgram.Socket, onError: (error: Error) => void) {
    this.#socket = socket;
    this.#onError = onError;
  }

  /** Creates and binds a socket; never throws for OS errors (they come back as a failure). */
  static bind(options: UdpSocketOptions): UdpBindResult {
    if (!isIPv4(options.address)) return { ok: false, code: 'EINVAL', message: `'${options.address}' is not an IPv4 address literal` };
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      return { ok: false, code: 'EINVAL', message: `port ${options.port} is outside 0..65535` };
    }
    const onError = options.onError ?? (() => {});
    const socket = dgram.createSocket({ type: 'udp4', lookup: literalLookup as never });
    let bindError: (Error & { code?: string }) | null = null;
    const captureBindError = (e: Error): void => {
      bindError = e;
    };
    socket.on('error', captureBindError);
    // With the synchronous lookup, dgram binds (or emits 'error') before bind() returns.
    socket.bind({ address: options.address, port: options.port, exclusive: true });
    socket.off('error', captureBindError);
    if (bindError !== null) {
      const e = bindError as Error & { code?: string };
      socket.close();
      return { ok: false, code: e.code ?? 'EIO', message: `cannot bind UDP ${options.address}:${options.port}: ${e.message}` };
    }
    const wrapper = new UdpSocket(socket, onError);
    socket.on('error', (e: Error) => onError(e));
    const onMessage = options.onMessage;
    socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      try {
        onMessage(msg, rinfo.address, rinfo.port);
      } catch (e) {
        onError(e instanceof Error ? e : new Error(String(e)));
      }
    });
    try {
      if ((options.receiveBufferBytes ?? 0) > 0) socket.setRecvBufferSize(options.receiveBufferBytes!);
      if ((options.sendBufferBytes ?? 0) > 0) socket.setSendBufferSize(options.sendBufferBytes!);
    } catch {
      // Buffer sizes are a hint; the kernel's limits apply.
    }
    return { ok: true, socket: wrapper };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The bound address and port. */
  get local(): { address: string; port: number } {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  /** Datagrams libuv holds because the kernel's send buffer was full. */
  get sendQueueCount(): number {
    return this.#closed ? 0 : this.#socket.getSendQueueCount();
  }

  /**
   * Sends `bytes[offset, offset+length)` to `address:port` (an IPv4 literal and 1..65535, which the caller
   * has validated). Returns false without sending, and without calling `done`, when the socket is closed.
   * Otherwise `done` runs exactly once, later; until then the bytes must not change.
   */
  send(bytes: Uint8Array, offset: number, length: number, port: number, address: string, done: UdpSendDone): boolean {
    if (this.#closed) return false;
    // `done` goes to dgram as is: no closure per datagram (callers preallocate one per buffer).
    this.#socket.send(bytes, offset, length, port, address, done);
    return true;
  }

  /** Closes the socket; datagrams still queued complete with ECANCELED. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket.close();
    } catch (e) {
      this.#onError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Lets the process exit while the socket is open (ref() undoes it). */
  unref(): void {
    if (!this.#closed) this.#socket.unref();
  }

  ref(): void {
    if (!this.#closed) this.#socket.ref();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
