/**
 * The engine's public types: endpoints, options, events, the connection and listener interfaces, and
 * the configuration with its defaults. See index.ts for how they fit together.
 */
import type { CongestionAlgorithm } from './congestion.js';
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
  /** Ring sizes in bytes (defaults from the config). */
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
  /** Bound on SYN-RECEIVED + completed-but-unaccepted connections (default 128). */
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
}

export interface TcpConnection {
  readonly state: TcpStateName;
  readonly flow: TcpFlow;
  readonly localEndpoint: TcpEndpoint;
  readonly remoteEndpoint: TcpEndpoint;
  events: TcpConnectionEvents;
  /** Bytes `receive` would return now. */
  readonly readableLength: number;
  /** Free send-ring space (0 once the connection cannot send any more). */
  readonly writableLength: number;
  /** The peer's FIN arrived: after the readable bytes, the stream ends. */
  readonly remoteClosed: boolean;
  /** Queues up to `length` bytes; returns how many (0 when the ring is full). Throws TcpError EPIPE after shutdown/close. */
  send(src: Uint8Array, offset: number, length: number): number;
  /** Copies out up to `length` in-order bytes (opening the window); returns how many. */
  receive(dst: Uint8Array, offset: number, length: number): number;
  /** FIN after the queued data (half close). */
  shutdown(): void;
  /** shutdown() and give the connection up; an abort (RST) if unread data remains, as BSD does. */
  close(): void;
  /** RST now; onClosed(conn, null). */
  abort(): void;
  setNoDelay(noDelay: boolean): void;
  setKeepAlive(enable: boolean, idleMs?: number): void;
  info(): TcpInfo;
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
  sendBufferSize: number;
  receiveBufferSize: number;
  /** All connections (half-open and TIME-WAIT included). */
  maxConnections: number;
  /** SYN-RECEIVED entries across all listeners, and the default per listener. */
  maxHalfOpen: number;
  maxHalfOpenPerListener: number;
  /** Beyond the half-open bounds, answer SYNs with SYN cookies instead of dropping them. */
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
  /** Out-of-order ranges the receive assembler tracks (≤ 32), and SACK ranges the sender keeps. */
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
   * Pace transmissions (pacing.ts): at the controller's pacing rate, else cwnd/SRTT × 2 in slow start
   * and × 1.2 after (Linux's default), LSO buffers capped to ~1 ms of data at that rate.
   */
  pacing: boolean;
  /** Called with exceptions thrown by event handlers (default: rethrown from a microtask). */
  onCallbackError: (error: unknown, where: string) => void;
}

export const DEFAULT_TCP_CONFIG: Readonly<TcpConfig> = Object.freeze({
  sendBufferSize: 1 << 20,
  receiveBufferSize: 1 << 20,
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
  pacing: true,
  onCallbackError: (error: unknown) => {
    queueMicrotask(() => {
      throw error;
    });
  },
});

const MIN_BUFFER = 1024;
const MAX_BUFFER = 1 << 30;

function positive(name: string, v: number, min: number, max: number): void {
  if (!Number.isFinite(v) || v < min || v > max) throw new RangeError(`TcpConfig.${name} must be in [${String(min)}, ${String(max)}], got ${String(v)}`);
}

/** Defaults merged with `partial`, checked (RangeError for impossible values). */
export function resolveTcpConfig(partial: Partial<TcpConfig> = {}): Readonly<TcpConfig> {
  const c: TcpConfig = { ...DEFAULT_TCP_CONFIG, ...partial };
  positive('sendBufferSize', c.sendBufferSize, MIN_BUFFER, MAX_BUFFER);
  positive('receiveBufferSize', c.receiveBufferSize, MIN_BUFFER, MAX_BUFFER);
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
  positive('maxOutOfOrderRanges', c.maxOutOfOrderRanges, 1, 32);
  positive('maxSackRanges', c.maxSackRanges, 1, 256);
  positive('challengeAcksPerSecond', c.challengeAcksPerSecond, 0, 1e6);
  positive('outOfWindowAckIntervalMs', c.outOfWindowAckIntervalMs, 0, 60_000);
  positive('rstRateLimit', c.rstRateLimit, 0, 1e6);
  positive('rstBurst', c.rstBurst, 1, 1e6);
  if (!Number.isInteger(c.rstBurst)) throw new RangeError(`TcpConfig.rstBurst must be an integer, got ${String(c.rstBurst)}`);
  positive('ephemeralPortMin', c.ephemeralPortMin, 1, 65535);
  positive('ephemeralPortMax', c.ephemeralPortMax, c.ephemeralPortMin, 65535);
  positive('mss', c.mss, 0, 65495);
  if (c.congestion !== 'cubic' && c.congestion !== 'newreno') throw new RangeError(`TcpConfig.congestion must be 'cubic' or 'newreno'`);
  return Object.freeze(c);
}

export type { TcpErrorCode };
