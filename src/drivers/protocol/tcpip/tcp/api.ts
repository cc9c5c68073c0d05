/**
 * The engine's public types: endpoints, options, events, the connection and listener interfaces, and
 * the configuration with its defaults. See index.ts for how they fit together.
 */
import { type CongestionAlgorithm, congestionNames, isCongestionAlgorithm } from './congestion.js';
import { ASSEMBLER_HARD_MAX_RANGES } from './assembler.js';
import type { TcpError, TcpErrorCode } from './errors.js';
import type { IpFamily, TcpFlow } from './host.js';

export type TcpStateName =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

/** An address and port. For `listen`, an all-zero address means any address of the family. */
export interface TcpEndpoint {
  readonly family: IpFamily;
  readonly address: Uint8Array;
  readonly port: number;
}

/** Per-connection choices; `listen` options apply to every connection the listener accepts. */
export interface TcpSocketOptions {
  /** Disables Nagle's algorithm (default false: Nagle on). */
  noDelay?: boolean;
  /** Delayed ACKs (default from the config). */
  delayedAck?: boolean;
  keepAlive?: boolean;
  keepAliveIdleMs?: number;
  congestion?: CongestionAlgorithm;
  /**
   * Ring sizes in bytes. Left out: the config's initial size, autotuned up to its max. Given: that
   * size, pinned (no autotuning; like SO_SNDBUF/SO_RCVBUF in Linux). Memory is taken as data needs it.
   */
  sendBufferSize?: number;
  receiveBufferSize?: number;
}

export interface TcpConnectOptions extends TcpSocketOptions {
  /** Source address (default: `host.sourceAddress`). */
  localAddress?: Uint8Array;
  /** Source port (default: an ephemeral port). */
  localPort?: number;
}

export interface TcpListenOptions extends TcpSocketOptions {
  /** Bound on completed-but-unaccepted connections, the accept queue (default 128); beyond, SYNs and handshake ACKs are dropped. */
  backlog?: number;
  /** Bound on SYN-RECEIVED entries of this listener (default `config.maxHalfOpenPerListener`). */
  maxHalfOpen?: number;
}

/**
 * Connection events, all optional, called synchronously at the end of the engine call (input, timer
 * or API call) that caused them, after the engine's state is consistent: handlers may call any
 * connection method. An exception thrown by a handler is caught and passed to `config.onCallbackError`.
 */
export interface TcpConnectionEvents {
  /** An active open reached ESTABLISHED. */
  onConnected?(conn: TcpConnection): void;
  /** New in-order bytes are readable, or the peer's FIN arrived (`conn.remoteClosed`). */
  onReadable?(conn: TcpConnection): void;
  /** Send ring space was freed after a `send` returned less than asked. */
  onWritable?(conn: TcpConnection): void;
  /**
   * The connection is over for the application: both directions finished gracefully (null; the
   * engine may still hold it in TIME-WAIT), or an error: ECONNRESET (RST), ECONNREFUSED, ETIMEDOUT,
   * EHOSTUNREACH / ENETUNREACH (ICMP), or the `abortAll` reason. Called once. `abort()` ends with null.
   */
  onClosed?(conn: TcpConnection, error: TcpError | null): void;
}

export interface TcpListenerEvents {
  /** A handshake completed and the listener is accepting (not paused): the connection is yours. */
  onConnection?(conn: TcpConnection): void;
  /** The listener was closed by `abortAll` (its `close()` does not call this). */
  onClosed?(listener: TcpListener, error: TcpError | null): void;
}

/** A TCP_INFO-like snapshot. Times in ms, windows in bytes. */
export interface TcpInfo {
  state: TcpStateName;
  rttMs: number;
  rttvarMs: number;
  minRttMs: number;
  rtoMs: number;
  cwnd: number;
  ssthresh: number;
  sndWnd: number;
  rcvWnd: number;
  /** Send MSS (payload bytes per segment without options) and the MSS we advertised. */
  mss: number;
  advMss: number;
  /** Consecutive timeouts of the current segment, and all retransmitted segments so far. */
  retransmits: number;
  totalRetransmits: number;
  sackEnabled: boolean;
  tsEnabled: boolean;
  /** Window scale shifts: ours (applied to what we advertise) and the peer's. */
  wscale: { send: number; receive: number } | null;
  bytesAcked: number;
  bytesReceived: number;
  bytesInFlight: number;
  congestion: CongestionAlgorithm;
  inRecovery: boolean;
  unacked: number;
  outOfOrderBytes: number;
  /** Last soft error from ICMP, if any. */
  softError: TcpErrorCode | null;
  /** The buffer limits now (autotuned) and the ring memory held, in bytes. */
  receiveBuffer: number;
  sendBuffer: number;
  ringBytes: number;
}

export interface TcpConnection {
  readonly state: TcpStateName;
  readonly flow: TcpFlow;
  readonly localEndpoint: TcpEndpoint;
  readonly remoteEndpoint: TcpEndpoint;
  events: TcpConnectionEvents;
  /** Bytes `receive` would return now. */
  readonly readableLength: number;
  /** Free send-ring space (0 once the connection cannot send any more). Reading 0 while it can still send arms onWritable, as a short `send` does. */
  readonly writableLength: number;
  /** The peer's FIN arrived: after the readable bytes, the stream ends. */
  readonly remoteClosed: boolean;
  /**
   * Queues up to `length` bytes; returns how many (0 when the ring is full). Throws TcpError EPIPE after
   * shutdown/close. With `more` (MSG_MORE), only queues: the caller sends again or calls `flush()` in the
   * same turn, so many small writes leave as few full segments rather than one burst each.
   */
  send(src: Uint8Array, offset: number, length: number, more?: boolean): number;
  /** Transmits what sends with `more` queued (as far as the windows allow now). */
  flush(): void;
  /** Copies out up to `length` in-order bytes (opening the window); returns how many. */
  receive(dst: Uint8Array, offset: number, length: number): number;
  /**
   * Takes up to `maxLength` in-order bytes (default: as many as lie together) as memory the caller
   * owns — the engine never writes into it again (one of Node's Buffers when the host's
   * `receiveMemory` gives them); null when nothing is readable. The first call switches the connection to keeping
   * in-order bytes as such chunks (chunks.ts), so a reader that takes them gets them without a copy
   * out of the ring; `receive` still copies out of them. `maxLength` 0 only switches (before data comes).
   */
  receiveChunk(maxLength?: number): Uint8Array | null;
  /** FIN after the queued data (half close). */
  shutdown(): void;
  /** shutdown() and give the connection up; an abort (RST) if unread data remains, as BSD does. */
  close(): void;
  /** RST now; onClosed(conn, null). */
  abort(): void;
  setNoDelay(noDelay: boolean): void;
  setKeepAlive(enable: boolean, idleMs?: number): void;
  info(): TcpInfo;
  /**
   * Switches the congestion control of the open connection (Linux's TCP_CONGESTION socket option): a
   * fresh controller of `algorithm` starts from the current cwnd and MSS. RangeError for an unknown name.
   */
  setCongestion(algorithm: CongestionAlgorithm): void;
}

export interface TcpListener {
  readonly localEndpoint: TcpEndpoint;
  readonly backlog: number;
  events: TcpListenerEvents;
  /** SYN-RECEIVED entries now. */
  readonly halfOpenCount: number;
  /** Completed connections waiting for `accept` (while paused, or without an onConnection handler). */
  readonly acceptQueueLength: number;
  readonly closed: boolean;
  /** Takes the oldest completed connection, if any. */
  accept(): TcpConnection | null;
  /** Stops delivering onConnection: completed connections queue (up to the backlog). */
  pause(): void;
  /** Delivers queued connections, then new ones as they complete. */
  resume(): void;
  /** Stops listening: half-open and unaccepted connections are reset; accepted ones are untouched. */
  close(): void;
}

export interface TcpConfig {
  /**
   * Send and receive buffers per connection, like Linux's tcp_wmem/tcp_rmem: the initial size
   * (`…Size`), the least every connection may use even beyond `memoryHigh` (`…Min`) and the most
   * autotuning may raise it to (`…Max`: the receive window's scale is chosen for it). A ring takes
   * memory only as data needs it and gives it back when idle (buffers.ts). A size given without its
   * min/max widens them; bounds given without the size move it within them.
   */
  sendBufferSize: number;
  receiveBufferSize: number;
  sendBufferMin: number;
  sendBufferMax: number;
  receiveBufferMin: number;
  receiveBufferMax: number;
  /** Autotuning: the receive buffer by dynamic right-sizing (tcp_moderate_rcvbuf), the send buffer with cwnd. */
  receiveBufferAutotuning: boolean;
  sendBufferAutotuning: boolean;
  /**
   * Stack-wide ring memory in bytes, like tcp_mem: beyond `memoryPressure` the stack is under pressure
   * (no autotuning, idle rings released at once, buffers back toward their min) until below
   * `memoryLow`; beyond `memoryHigh` no ring grows past its min (the window stops opening).
   */
  memoryLow: number;
  memoryPressure: number;
  memoryHigh: number;
  /** An empty ring goes back to the pool after about this long without traffic. */
  bufferIdleMs: number;
  /** Wholly free memory the pool keeps for reuse (bytes) and how long; the rest goes back to the system. */
  bufferPoolMaxBytes: number;
  bufferPoolIdleMs: number;
  /** All connections (half-open and TIME-WAIT included). */
  maxConnections: number;
  /** SYN-RECEIVED entries across all listeners, and the default per listener. */
  maxHalfOpen: number;
  maxHalfOpenPerListener: number;
  /** Beyond the half-open bounds, answer SYNs with SYN cookies (false: the listener's oldest half-open entry makes room). */
  synCookies: boolean;
  defaultBacklog: number;
  /** TIME-WAIT length (2·MSL) and how many connections may be in it at once. */
  timeWaitMs: number;
  maxTimeWait: number;
  /** How long an application-closed connection may sit in FIN-WAIT-2. */
  finWait2TimeoutMs: number;
  rtoInitialMs: number;
  rtoMinMs: number;
  rtoMaxMs: number;
  synRetries: number;
  synAckRetries: number;
  /** Timeouts of one segment before ETIMEDOUT (also unanswered persist probes). */
  maxRetransmits: number;
  delayedAck: boolean;
  delayedAckMs: number;
  noDelay: boolean;
  keepAlive: boolean;
  keepAliveIdleMs: number;
  keepAliveIntervalMs: number;
  keepAliveCount: number;
  congestion: CongestionAlgorithm;
  windowScaling: boolean;
  sack: boolean;
  timestamps: boolean;
  initialWindowSegments: number;
  /**
   * Tail loss probes (RFC 8985 §7, with SACK): when a flight goes unanswered for about two RTTs, send
   * one segment to draw an ACK instead of waiting for the RTO (a lost last ACK or tail segment).
   */
  tailLossProbe: boolean;
  /**
   * Out-of-order ranges the receive assembler preallocates per connection; the store grows on demand
   * (doubling) with the window (one range per half segment of window, at most 16384), so out-of-order
   * data is bounded by the window, not by this count. And SACK ranges the sender keeps.
   */
  maxOutOfOrderRanges: number;
  maxSackRanges: number;
  /** Challenge ACKs per connection per second (RFC 5961 §7). */
  challengeAcksPerSecond: number;
  /** Minimum gap between answers to out-of-window pure ACKs/SYNs (per connection). */
  outOfWindowAckIntervalMs: number;
  /**
   * RSTs a second the engine sends in answer to unexpected segments (no connection, an ACK to a
   * listener, an unacceptable ACK in SYN-SENT/SYN-RECEIVED), and how many at once: a token bucket for
   * the whole engine (FreeBSD's icmplim: 200 a second). 0: no limit. Aborts (`abort()`, data after
   * close, timeouts) are never limited.
   */
  rstRateLimit: number;
  rstBurst: number;
  ephemeralPortMin: number;
  ephemeralPortMax: number;
  /** Advertised MSS override (0: route MTU − IP header − 20). */
  mss: number;
  /**
   * BBR's LossThresh in percent: the loss rate per round trip it tolerates while probing for bandwidth
   * (draft-ietf-ccwg-bbr: 2). Higher values keep BBR's rate up on paths with random loss above 2 %.
   */
  bbrLossThresholdPercent: number;
  /**
   * SACK compression (Linux's tcp_comp_sack_nr): with SACK, out-of-order segments beyond the first
   * three per hole are ACKed together, after min(1 ms, SRTT/20) or once this many were merged.
   * 0: every out-of-order segment is ACKed at once (RFC 5681 §4.2 to the letter).
   */
  sackCompressSegments: number;
  /**
   * Pace transmissions (pacing.ts): at the controller's pacing rate, else cwnd/SRTT × 2 in slow start
   * and × 1.2 after (Linux's default), LSO buffers capped to ~1 ms of data at that rate.
   */
  pacing: boolean;
  /** Called with exceptions thrown by event handlers (default: rethrown from a microtask). */
  onCallbackError: (error: unknown, where: string) => void;
}

export const DEFAULT_TCP_CONFIG: Readonly<TcpConfig> = Object.freeze({
  sendBufferSize: 64 << 10,
  receiveBufferSize: 128 << 10,
  sendBufferMin: 4 << 10,
  sendBufferMax: 4 << 20,
  receiveBufferMin: 4 << 10,
  receiveBufferMax: 32 << 20,
  receiveBufferAutotuning: true,
  sendBufferAutotuning: true,
  memoryLow: 256 << 20,
  memoryPressure: 384 << 20,
  memoryHigh: 512 << 20,
  bufferIdleMs: 1000,
  bufferPoolMaxBytes: 64 << 20,
  bufferPoolIdleMs: 10_000,
  maxConnections: 16384,
  maxHalfOpen: 1024,
  maxHalfOpenPerListener: 256,
  synCookies: true,
  defaultBacklog: 128,
  timeWaitMs: 60_000,
  maxTimeWait: 8192,
  finWait2TimeoutMs: 60_000,
  rtoInitialMs: 1000,
  rtoMinMs: 200,
  rtoMaxMs: 60_000,
  synRetries: 6,
  synAckRetries: 5,
  maxRetransmits: 15,
  delayedAck: true,
  delayedAckMs: 40,
  noDelay: false,
  keepAlive: false,
  keepAliveIdleMs: 7_200_000,
  keepAliveIntervalMs: 75_000,
  keepAliveCount: 9,
  congestion: 'cubic',
  windowScaling: true,
  sack: true,
  timestamps: true,
  initialWindowSegments: 10,
  tailLossProbe: true,
  maxOutOfOrderRanges: 16,
  maxSackRanges: 16,
  challengeAcksPerSecond: 10,
  outOfWindowAckIntervalMs: 500,
  rstRateLimit: 200,
  rstBurst: 50,
  ephemeralPortMin: 49152,
  ephemeralPortMax: 65535,
  mss: 0,
  bbrLossThresholdPercent: 2,
  sackCompressSegments: 44,
  pacing: true,
  onCallbackError: (error: unknown) => {
    queueMicrotask(() => {
      throw error;
    });
  },
});

const MIN_BUFFER = 1024;
const MAX_BUFFER = 1 << 30;
const MAX_MEMORY = 2 ** 44;

function positive(name: string, v: number, min: number, max: number): void {
  if (!Number.isFinite(v) || v < min || v > max) throw new RangeError(`TcpConfig.${name} must be in [${String(min)}, ${String(max)}], got ${String(v)}`);
}

/**
 * `base` (default: the defaults) merged with `partial`, checked (RangeError for impossible values). A
 * buffer size `partial` gives beyond the min or max it leaves out moves that bound with it.
 */
export function resolveTcpConfig(partial: Partial<TcpConfig> = {}, base: Readonly<TcpConfig> = DEFAULT_TCP_CONFIG): Readonly<TcpConfig> {
  const c: TcpConfig = { ...base, ...partial };
  for (const k of ['send', 'receive'] as const) {
    if (partial[`${k}BufferSize`] === undefined) {
      // A size not given follows the bounds that were.
      c[`${k}BufferSize`] = Math.min(Math.max(c[`${k}BufferSize`], c[`${k}BufferMin`]), c[`${k}BufferMax`]);
    }
    const size = c[`${k}BufferSize`];
    if (partial[`${k}BufferMin`] === undefined && size < c[`${k}BufferMin`]) c[`${k}BufferMin`] = size;
    if (partial[`${k}BufferMax`] === undefined && size > c[`${k}BufferMax`]) c[`${k}BufferMax`] = size;
    positive(`${k}BufferMin`, c[`${k}BufferMin`], MIN_BUFFER, MAX_BUFFER);
    positive(`${k}BufferMax`, c[`${k}BufferMax`], c[`${k}BufferMin`], MAX_BUFFER);
    positive(`${k}BufferSize`, size, c[`${k}BufferMin`], c[`${k}BufferMax`]);
  }
  positive('memoryLow', c.memoryLow, 0, MAX_MEMORY);
  positive('memoryPressure', c.memoryPressure, c.memoryLow, MAX_MEMORY);
  positive('memoryHigh', c.memoryHigh, c.memoryPressure, MAX_MEMORY);
  positive('bufferIdleMs', c.bufferIdleMs, 1, 3_600_000);
  positive('bufferPoolMaxBytes', c.bufferPoolMaxBytes, 0, MAX_MEMORY);
  positive('bufferPoolIdleMs', c.bufferPoolIdleMs, 0, 3_600_000);
  positive('maxConnections', c.maxConnections, 1, 1 << 24);
  positive('maxHalfOpen', c.maxHalfOpen, 0, 1 << 24);
  positive('maxHalfOpenPerListener', c.maxHalfOpenPerListener, 0, 1 << 24);
  positive('defaultBacklog', c.defaultBacklog, 1, 1 << 24);
  positive('timeWaitMs', c.timeWaitMs, 0, 3_600_000);
  positive('maxTimeWait', c.maxTimeWait, 0, 1 << 24);
  positive('finWait2TimeoutMs', c.finWait2TimeoutMs, 0, 3_600_000);
  positive('rtoMinMs', c.rtoMinMs, 1, 60_000);
  positive('rtoMaxMs', c.rtoMaxMs, c.rtoMinMs, 3_600_000);
  positive('rtoInitialMs', c.rtoInitialMs, c.rtoMinMs, c.rtoMaxMs);
  positive('synRetries', c.synRetries, 0, 255);
  positive('synAckRetries', c.synAckRetries, 0, 255);
  positive('maxRetransmits', c.maxRetransmits, 1, 255);
  positive('delayedAckMs', c.delayedAckMs, 1, 500);
  positive('keepAliveIdleMs', c.keepAliveIdleMs, 1, 1e9);
  positive('keepAliveIntervalMs', c.keepAliveIntervalMs, 1, 1e9);
  positive('keepAliveCount', c.keepAliveCount, 1, 1000);
  positive('initialWindowSegments', c.initialWindowSegments, 1, 1000);
  positive('maxOutOfOrderRanges', c.maxOutOfOrderRanges, 1, ASSEMBLER_HARD_MAX_RANGES);
  positive('maxSackRanges', c.maxSackRanges, 1, 256);
  positive('challengeAcksPerSecond', c.challengeAcksPerSecond, 0, 1e6);
  positive('outOfWindowAckIntervalMs', c.outOfWindowAckIntervalMs, 0, 60_000);
  positive('rstRateLimit', c.rstRateLimit, 0, 1e6);
  positive('rstBurst', c.rstBurst, 1, 1e6);
  if (!Number.isInteger(c.rstBurst)) throw new RangeError(`TcpConfig.rstBurst must be an integer, got ${String(c.rstBurst)}`);
  positive('ephemeralPortMin', c.ephemeralPortMin, 1, 65535);
  positive('ephemeralPortMax', c.ephemeralPortMax, c.ephemeralPortMin, 65535);
  positive('mss', c.mss, 0, 65495);
  positive('bbrLossThresholdPercent', c.bbrLossThresholdPercent, 1, 50);
  if (!isCongestionAlgorithm(c.congestion)) throw new RangeError(`TcpConfig.congestion must be one of ${congestionNames()}, got ${String(c.congestion)}`);
  positive('sackCompressSegments', c.sackCompressSegments, 0, 255);
  return Object.freeze(c);
}

export type { TcpErrorCode };
