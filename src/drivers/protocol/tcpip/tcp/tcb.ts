/**
 * The transmission control block: one connection's state (RFC 9293 §3.3.1), its rings, its timer, and
 * the application-facing methods (`TcpConnection`). Segment arrival is in input.ts, transmission in
 * output.ts, timers in timers.ts; they work on the fields here, which are public for them and not part
 * of the API (the API is the `TcpConnection` interface).
 */
import type { TcpConfig, TcpConnection, TcpConnectionEvents, TcpEndpoint, TcpInfo, TcpStateName } from './api.js';
import { Assembler } from './assembler.js';
import type { BbrOptions } from './bbr.js';
import { type CongestionAlgorithm, type CongestionControl, congestionNames, createCongestionControl, initialWindow, isCongestionAlgorithm } from './congestion.js';
import type { TcpCounters } from './counters.js';
import { TcpError, type TcpErrorCode } from './errors.js';
import type { TcpFlow, TcpHost, TcpRoute, TcpTimer } from './host.js';
import type { FlowHasher } from './isn.js';
import { adjustReceiveSpace, queueSend, receiveSpace, sendSpace, windowShift } from './buffers.js';
import { ReceiveChunks } from './chunks.js';
import { EMPTY_BUFFER, type RingMemory } from './memory.js';
import { ByteRing } from './ring.js';
import { RttEstimator } from './rtt.js';
import { SackScoreboard } from './scoreboard.js';
import { SendLog } from './sendlog.js';
import { DeliveryRate } from './rate.js';
import { RackState } from './rack.js';
import { seqAdd, seqDiff } from './seq.js';
import { STATE_NAMES, St, isCurrEstab } from './state.js';
import { output, sendAck, sendReset } from './output.js';
import { scheduleTimer, timerFired } from './timers.js';

/** What a TCB needs from the layer that owns it. */
export interface TcbOwner {
  readonly host: TcpHost;
  readonly config: Readonly<TcpConfig>;
  readonly counters: TcpCounters;
  readonly hasher: FlowHasher;
  /** Ring memory (blocks, stack-wide limits). */
  readonly memory: RingMemory;
  /** The TCB took ring memory: the layer's sweep looks at it until it holds none (buffers.ts). */
  holdsMemory(tcb: Tcb): void;
  /** The TCB reached CLOSED: drop it from the tables. */
  unlink(tcb: Tcb): void;
  /** The TCB left SYN-RECEIVED (half-open accounting). */
  halfOpenDone(tcb: Tcb): void;
  /** Room for one more TIME-WAIT connection? (counts it when true) */
  enterTimeWait(): boolean;
  leaveTimeWait(): void;
  callbackError(error: unknown, where: string): void;
  /** May a RST answering an unexpected segment go out now? (rate limit; counts it when not) */
  allowReset(): boolean;
  /** `tcb` merged ACKs (SACK compression): send them at the end of the host's receive batch. */
  queueAckFlush(tcb: Tcb): void;
  /** Brackets engine work (reentrancy guard for `input`). */
  enter(): void;
  leave(): void;
}

/** What a TCB needs from the listener that created it. */
export interface TcbListener {
  /** The handshake completed. */
  established(tcb: Tcb): void;
  /** The TCB closed before the application saw it (half-open or queued). */
  dropped(tcb: Tcb): void;
  /** Calls the listener's onConnection for `tcb` (from the TCB's event flush). */
  deliver(tcb: Tcb): void;
  /** May a handshake complete now (room in the accept queue)? */
  hasRoom(): boolean;
  /** A half-open entry's SYN-ACK timer fired; returns its SYN-ACK retry limit (listener.ts). */
  synAckTimeout(tcb: Tcb, configured: number): number;
}

export const EV_CONNECTED = 1;
export const EV_READABLE = 2;
export const EV_WRITABLE = 4;
export const EV_CLOSED = 8;

const NO_EVENTS: TcpConnectionEvents = Object.freeze({});

export interface TcbOptions {
  noDelay: boolean;
  delayedAck: boolean;
  keepAlive: boolean;
  keepAliveIdleMs: number;
  congestion: CongestionAlgorithm;
  sendBufferSize: number;
  receiveBufferSize: number;
  /** The range autotuning moves each buffer in; a size the socket option set pins it (no autotuning). */
  sendBufferMin: number;
  sendBufferMax: number;
  sendAutotune: boolean;
  receiveBufferMin: number;
  receiveBufferMax: number;
  receiveAutotune: boolean;
}

export class Tcb implements TcpConnection {
  readonly owner: TcbOwner;
  readonly host: TcpHost;
  readonly config: Readonly<TcpConfig>;
  readonly counters: TcpCounters;
  readonly flow: TcpFlow;
  readonly localEndpoint: TcpEndpoint;
  readonly remoteEndpoint: TcpEndpoint;
  events: TcpConnectionEvents = NO_EVENTS;
  /** The listener that accepted the SYN, until the application has the connection. */
  listener: TcbListener | null = null;
  /** Set once the application has the connection (connect, onConnection, accept). */
  visible = false;
  /** The listener whose onConnection is due for this TCB at the next event flush. */
  pendingAccept: TcbListener | null = null;
  /** Collision chain in the connection table. */
  hashNext: Tcb | null = null;
  hashKey = 0;

  st: St = St.Closed;
  readonly passive: boolean;

  // Send sequence space (RFC 9293 §3.3.1).
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent + 1 (BSD snd_max): SND.NXT goes back below it after a timeout. */
  sndMax = 0;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  maxSndWnd = 0;
  /** Sequence number of the send ring's first byte. */
  sndDataSeq = 0;
  /** Shutdown requested: a FIN follows the queued data, at `finSeq`. */
  finQueued = false;
  finSeq = 0;
  /** End of the last segment sent shorter than the MSS (Minshall's Nagle). */
  sndSmallEnd = 0;

  // Receive sequence space.
  irs = 0;
  rcvNxt = 0;
  /** Right edge of the window last advertised (never moves left). */
  rcvAdvRight = 0;
  lastAckSent = 0;
  /** A FIN arrived ahead of missing data: processed when RCV.NXT reaches `rcvFinSeq`. */
  rcvFinPending = false;
  rcvFinSeq = 0;
  remoteClosed = false;

  // Negotiated options.
  /** The peer's window shift (applied to windows it sends) and ours (applied to windows we send). */
  sndWscale = 0;
  rcvWscale = 0;
  wscaleOk = false;
  sackOk = false;
  tsOk = false;
  tsRecent = 0;
  tsRecentAge = 0;
  tsOffset = 0;
  /** The peer's MSS option (or the default), our advertised MSS, and the current path's payload MSS. */
  peerMss = 536;
  advMss = 536;
  /** Largest payload per segment before options: min(peer MSS, path MTU − IP − 20). */
  mssBase = 536;
  /** Payload per segment with this connection's usual options (timestamps): the SMSS of RFC 5681. */
  smss = 536;
  /** An ICMP packet-too-big lowered the path MTU to this (0: none). */
  pmtu = 0;
  route: TcpRoute | null = null;
  routeGeneration = -1;
  lsoMax = 0;
  lsoMinSegments = 2;
  /** Largest data segment seen from the peer (delayed-ACK "full-sized"). */
  rcvMss = 536;

  // Buffers.
  sendRing: ByteRing | null = null;
  recvRing: ByteRing | null = null;
  readonly sendBufferSize: number;
  readonly receiveBufferSize: number;
  readonly assembler: Assembler;
  readonly scoreboard: SackScoreboard;
  /** Scratch SACK blocks for outgoing segments (left, right pairs). */
  readonly txSack = new Int32Array(8);
  txSackCount = 0;
  /** txSack after a D-SACK block (a view made once: ACKs allocate nothing). */
  readonly txSackAfterDsack = this.txSack.subarray(2);
  /** A duplicate segment to report as the first SACK block of the next ACK (D-SACK, RFC 2883). */
  dsackPending = false;
  dsackStart = 0;
  dsackEnd = 0;
  /** txSack starts with that D-SACK block (until the first segment carrying it has gone). */
  txSackDsack = false;

  // Congestion and retransmission.
  cc: CongestionControl;
  readonly rtt: RttEstimator;
  dupAcks = 0;
  inRecovery = false;
  recover = 0;
  highRxt = 0;
  /**
   * SND.MAX when the latest retransmission of this recovery went out: SACKs for data above it prove
   * that retransmissions sent before it, still not SACKed, were lost as well.
   */
  rxtMark = 0;
  /**
   * Undoing a spurious fast recovery (RFC 3708 detection with D-SACK, the window restored as in
   * RFC 4015): retransmissions of the episode not yet reported back as duplicates (−1: nothing to
   * undo), and the window before the episode.
   */
  undoRetrans = -1;
  /** The peer has sent SACK blocks: an empty scoreboard then means no hole is known, not "no SACK". */
  sackSeen = false;
  undoCwnd = 0;
  undoSsthresh = 0;
  /** Tail loss probe (RFC 8985 §7): its deadline, and SND.MAX after the probe while one is outstanding. */
  tlpAt = Infinity;
  tlpEnd = 0;
  tlpOutstanding = false;
  /** The probe retransmitted old data (so an ACK of it without D-SACK means it repaired a loss). */
  tlpRetransmit = false;
  /** SND.UNA when the probe timer was last armed (it is re-armed when SND.UNA moves or data is sent). */
  tlpUna = 0;
  /** Proportional Rate Reduction (RFC 6937) state for SACK recovery. */
  prrDelivered = 0;
  prrOut = 0;
  recoverFs = 0;
  cwndLimited = false;
  /** Consecutive timeouts (or unanswered persist probes) of the current data. */
  retries = 0;
  totalRetransmits = 0;
  rttActive = false;
  rttSeq = 0;
  rttStart = 0;
  synRetransmitted = false;
  /** Rebuilt from a SYN cookie: no handshake RTT sample (our TSval's low bits carried options). */
  fromCookie = false;
  persistBackoff = 0;
  lastSendTime = 0;
  lastRecvTime = 0;
  /** Per-segment send records (sendlog.ts), delivery-rate counters (rate.ts) and RACK state (rack.ts). */
  readonly sendLog: SendLog;
  readonly rate = new DeliveryRate();
  readonly rack = new RackState();
  /** Pacing (pacing.ts): earliest time of the next send, the rate (bytes/ms, 0: unpaced) and quantum in use. */
  paceNext = 0;
  paceRate = 0;
  paceQuantum = 0;

  // Receive-side ACK policy.
  ackNow = false;
  unackedBytes = 0;
  lastOowAck = -Infinity;
  challengeWindowStart = 0;
  challengeCount = 0;
  /** SACK compression: RCV.NXT when the out-of-order ACK count began, ACKs sent at once for it, and ACKs merged since the last ACK. */
  oooAckRcvNxt = 0;
  oooAcks = 0;
  ackCompressed = 0;
  /** In the owner's list of connections whose merged ACKs go out at the end of the receive batch. */
  ackFlushQueued = false;

  // Timer deadlines (ms, Infinity = none) multiplexed on one host timer.
  timer: TcpTimer | null;
  armedAt = Infinity;
  rtoAt = Infinity;
  persistAt = Infinity;
  delAckAt = Infinity;
  keepAt = Infinity;
  /** TIME-WAIT end or the FIN-WAIT-2 limit of an application-closed connection. */
  lingerAt = Infinity;
  inTimeWait = false;
  /** RACK's reordering timer and the pacer's next send. */
  rackAt = Infinity;
  paceAt = Infinity;

  // Application-facing.
  noDelay: boolean;
  delayedAck: boolean;
  keepAlive: boolean;
  keepAliveIdleMs: number;
  keepProbes = 0;
  /** close() was called: no more reads; data arriving now is answered with RST. */
  appClosed = false;
  wantWritable = false;
  pendingEvents = 0;
  closeError: TcpError | null = null;
  closedNotified = false;
  flushing = false;
  softError: TcpErrorCode | null = null;
  bytesAcked = 0;
  bytesReceived = 0;
  halfOpen = false;

  // Ring memory and autotuning (buffers.ts).
  /** The most the receive window offers now (autotuned within min..max), and likewise the send buffer. */
  rcvBuf: number;
  readonly rcvBufMin: number;
  readonly rcvBufMax: number;
  readonly rcvAutotune: boolean;
  sndBuf: number;
  readonly sndBufMin: number;
  readonly sndBufMax: number;
  readonly sndAutotune: boolean;
  /** Bytes the application has read. */
  bytesRead = 0;
  /** Dynamic right-sizing: bytes read in the last round, bytesRead and the time when it started (−1: not yet). */
  rcvSpace = 0;
  rcvSpaceMark = 0;
  rcvSpaceTime = -1;
  /** The receiver's RTT estimate ×8 (ms; 0: none), the last echo sampled, and the window being timed. */
  rcvRtt8 = 0;
  rcvRttEcho = 0;
  rcvRttSeq = 0;
  rcvRttTime = -1;
  /** Byte counters at the layer's last memory sweep (unchanged at the next one: idle). */
  sweepMark = -1;
  /**
   * In-order bytes kept as chunks for a reader that takes them (`receiveChunk`; chunks.ts), from its
   * first call on; null: they stay in the ring. Unread bytes are the ring's, then the chunks'.
   */
  rxChunks: ReceiveChunks | null = null;

  constructor(owner: TcbOwner, flow: TcpFlow, passive: boolean, opts: TcbOptions) {
    this.owner = owner;
    this.host = owner.host;
    this.config = owner.config;
    this.counters = owner.counters;
    this.flow = flow;
    this.passive = passive;
    this.localEndpoint = Object.freeze({ family: flow.family, address: flow.localAddress, port: flow.localPort });
    this.remoteEndpoint = Object.freeze({ family: flow.family, address: flow.remoteAddress, port: flow.remotePort });
    this.noDelay = opts.noDelay;
    this.delayedAck = opts.delayedAck;
    this.keepAlive = opts.keepAlive;
    this.keepAliveIdleMs = opts.keepAliveIdleMs;
    this.sendBufferSize = opts.sendBufferSize;
    this.receiveBufferSize = opts.receiveBufferSize;
    this.rcvBuf = opts.receiveBufferSize;
    this.rcvBufMin = opts.receiveBufferMin;
    this.rcvBufMax = opts.receiveBufferMax;
    this.rcvAutotune = opts.receiveAutotune;
    this.sndBuf = opts.sendBufferSize;
    this.sndBufMin = opts.sendBufferMin;
    this.sndBufMax = opts.sendBufferMax;
    this.sndAutotune = opts.sendAutotune;
    this.assembler = new Assembler(owner.config.maxOutOfOrderRanges);
    this.scoreboard = new SackScoreboard(owner.config.maxSackRanges);
    // Sized for the largest send buffer autotuning may reach (records grow on demand): a log sized for
    // the initial buffer would merge thousands of in-flight segments into its last record.
    this.sendLog = new SendLog(Math.ceil(Math.max(opts.sendBufferSize, opts.sendBufferMax) / 512));
    this.rtt = new RttEstimator(owner.config.rtoMinMs, owner.config.rtoMaxMs, owner.config.rtoInitialMs);
    this.cc = createCongestionControl(opts.congestion, 536, initialWindow(536, owner.config.initialWindowSegments));
    // Our window shift: from the largest the receive buffer may grow to, not its initial size.
    this.rcvWscale = windowShift(opts.receiveBufferMax);
    this.timer = this.host.createTimer(() => this.onTimer());
  }

  // ---- TcpConnection -------------------------------------------------------------------------

  get state(): TcpStateName {
    return STATE_NAMES[this.st]!;
  }

  get readableLength(): number {
    return this.recvRing === null || this.appClosed ? 0 : this.unreadBytes();
  }

  get writableLength(): number {
    if (!this.canSend() || this.sendRing === null) return 0;
    const n = sendSpace(this);
    // Full, as the application now knows: wake it when ACKs free space, as a short send would (and as
    // Linux's poll() sets SOCK_NOSPACE), else a writer that queued exactly what fitted waits forever.
    if (n === 0) this.wantWritable = true;
    return n;
  }

  send(src: Uint8Array, offset: number, length: number, more = false): number {
    if (!this.canSend() || this.sendRing === null) throw new TcpError('EPIPE', `connection is ${this.state}${this.finQueued ? ', shut down' : ''}`);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > src.length) {
      throw new RangeError('send: offset/length outside the source');
    }
    const n = queueSend(this, src, offset, Math.min(length, sendSpace(this)));
    if (n < length) this.wantWritable = true;
    if (n > 0 && !more && this.st !== St.SynSent && this.st !== St.SynReceived) {
      this.owner.enter();
      try {
        output(this);
      } finally {
        this.end();
      }
    }
    return n;
  }

  flush(): void {
    if (this.sendRing === null || this.st === St.SynSent || this.st === St.SynReceived || this.st === St.Closed) return;
    this.owner.enter();
    try {
      output(this);
    } finally {
      this.end();
    }
  }

  receive(dst: Uint8Array, offset: number, length: number): number {
    if (this.recvRing === null || this.appClosed) return 0;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > dst.length) {
      throw new RangeError('receive: offset/length outside the destination');
    }
    let n = this.recvRing.read(dst, offset, length);
    if (n < length && this.rxChunks !== null) n += this.rxChunks.read(dst, offset + n, length - n);
    if (n > 0) this.consumed(n);
    return n;
  }

  receiveChunk(maxLength = Infinity): Uint8Array | null {
    if (this.recvRing === null || this.appClosed) return null;
    if (!(maxLength >= 0)) throw new RangeError('receiveChunk: maxLength must be 0 or more');
    // From now on in-order bytes go into chunks, once the ring's unread bytes (if any) are taken.
    this.rxChunks ??= new ReceiveChunks(this.owner.memory, this.counters, this.host);
    const chunks = this.rxChunks;
    if (maxLength === 0) return null;
    const ring = this.recvRing;
    let chunk: Uint8Array | null;
    if (ring.length > 0) {
      chunk = chunks.fresh(Math.min(ring.length, maxLength));
      ring.read(chunk, 0, chunk.length);
    } else {
      chunk = chunks.take(maxLength);
    }
    if (chunk !== null) this.consumed(chunk.length);
    return chunk;
  }

  /** In-order bytes not yet read: the ring's, then the chunks'. */
  unreadBytes(): number {
    return (this.recvRing === null ? 0 : this.recvRing.length) + (this.rxChunks === null ? 0 : this.rxChunks.length);
  }

  /** The application took `n` bytes: autotuning, and a window update when worth one. */
  private consumed(n: number): void {
    this.owner.enter();
    try {
      this.bytesRead += n;
      adjustReceiveSpace(this, this.host.now());
      this.afterRead();
    } finally {
      this.end();
    }
  }

  shutdown(): void {
    this.work(() => this.doShutdown());
  }

  close(): void {
    if (this.appClosed) return;
    this.work(() => {
      this.appClosed = true;
      if (this.st === St.Closed || this.st === St.TimeWait) {
        this.releaseReceiveRing();
        return;
      }
      if (this.st === St.SynSent) {
        this.terminate(null);
        return;
      }
      if (this.unreadBytes() > 0) {
        // Unread data: RFC 2525 §2.17, what BSD and Linux do.
        this.releaseReceiveRing();
        this.resetAndClose(null);
        return;
      }
      this.releaseReceiveRing();
      this.doShutdown();
      if (this.st === St.FinWait2) {
        this.lingerAt = this.host.now() + this.config.finWait2TimeoutMs;
        scheduleTimer(this);
      }
    });
  }

  abort(): void {
    this.work(() => {
      if (this.st === St.Closed) return;
      if (this.st === St.TimeWait || this.st === St.SynSent) {
        this.terminate(null);
        return;
      }
      this.resetAndClose(null);
    });
  }

  setNoDelay(noDelay: boolean): void {
    this.noDelay = noDelay;
    if (noDelay && this.synchronized()) this.work(() => output(this));
  }

  setKeepAlive(enable: boolean, idleMs?: number): void {
    this.keepAlive = enable;
    if (idleMs !== undefined) {
      if (!(idleMs >= 1)) throw new RangeError('setKeepAlive: idleMs must be ≥ 1');
      this.keepAliveIdleMs = idleMs;
    }
    this.keepProbes = 0;
    this.keepAt = enable && this.st !== St.Closed ? this.lastRecvTime + this.keepAliveIdleMs : Infinity;
    if (enable) scheduleTimer(this);
  }

  /**
   * TCP_CONGESTION: a fresh controller of `algorithm`, seeded with the current cwnd (the initial window
   * before ESTABLISHED, where establish() builds it again), the MSS and the SRTT. Same name: no change.
   */
  setCongestion(algorithm: CongestionAlgorithm): void {
    if (!isCongestionAlgorithm(algorithm)) throw new RangeError(`setCongestion: algorithm must be one of ${congestionNames()}, got ${String(algorithm)}`);
    if (algorithm === this.cc.algorithm) return;
    this.work(() => {
      const open = this.synchronized();
      const seed = open ? Math.max(Math.floor(this.cc.cwnd), this.smss) : initialWindow(this.smss, this.config.initialWindowSegments);
      this.cc = createCongestionControl(algorithm, this.smss, seed, this.ccOptions());
      if (open) output(this);
    });
  }

  /**
   * What a new controller needs to know of the connection (BBR: SRTT, SACK, the configured loss
   * threshold), and its random numbers from the host's source (seeded in tests), not Math.random.
   */
  ccOptions(): BbrOptions {
    return { srttMs: this.rtt.srtt, selectiveAcks: this.sackOk, lossThresh: this.config.bbrLossThresholdPercent / 100, random: () => this.host.random32() / 0x1_0000_0000 };
  }

  info(): TcpInfo {
    return {
      state: this.state,
      rttMs: this.rtt.srtt,
      rttvarMs: this.rtt.rttvar,
      minRttMs: Number.isFinite(this.rtt.minRtt) ? this.rtt.minRtt : 0,
      rtoMs: this.rtt.rto,
      cwnd: Math.floor(this.cc.cwnd),
      ssthresh: this.cc.ssthresh,
      sndWnd: this.sndWnd,
      rcvWnd: Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt)),
      mss: this.smss,
      advMss: this.advMss,
      retransmits: this.retries,
      totalRetransmits: this.totalRetransmits,
      sackEnabled: this.sackOk,
      tsEnabled: this.tsOk,
      wscale: this.wscaleOk ? { send: this.sndWscale, receive: this.rcvWscale } : null,
      bytesAcked: this.bytesAcked,
      bytesReceived: this.bytesReceived,
      bytesInFlight: Math.max(0, seqDiff(this.sndNxt, this.sndUna)),
      congestion: this.cc.algorithm,
      inRecovery: this.inRecovery,
      unacked: Math.max(0, seqDiff(this.sndMax, this.sndUna)),
      outOfOrderBytes: this.assembler.bytes,
      softError: this.softError,
      receiveBuffer: this.rcvBuf,
      sendBuffer: this.sndBuf,
      ringBytes: (this.recvRing === null ? 0 : this.recvRing.capacity) + (this.sendRing === null ? 0 : this.sendRing.capacity) + (this.rxChunks === null ? 0 : this.rxChunks.held),
    };
  }

  toString(): string {
    return `TcpConnection(${this.state} :${String(this.flow.localPort)} -> :${String(this.flow.remotePort)})`;
  }

  // ---- shared with input/output/timers ---------------------------------------------------------

  /** Runs engine work from a control-path API call: reentrancy guard, then events. */
  work(fn: () => void): void {
    this.owner.enter();
    try {
      fn();
    } finally {
      this.end();
    }
  }

  /** Leaves the engine and delivers events (pairs with `owner.enter()`). */
  end(): void {
    this.owner.leave();
    this.flushEvents();
  }

  synchronized(): boolean {
    return this.st >= St.Established;
  }

  canSend(): boolean {
    return !this.finQueued && (this.st === St.SynSent || this.st === St.SynReceived || this.st === St.Established || this.st === St.CloseWait);
  }

  /** End of the queued data in sequence space. */
  dataEnd(): number {
    return seqAdd(this.sndDataSeq, this.sendRing === null ? 0 : this.sendRing.length);
  }

  setState(s: St): void {
    const was = this.st;
    if (was === s) return;
    this.st = s;
    const c = this.counters;
    if (isCurrEstab(was) && !isCurrEstab(s)) c.currEstab--;
    else if (!isCurrEstab(was) && isCurrEstab(s)) c.currEstab++;
    if (was === St.SynReceived && this.halfOpen) {
      this.halfOpen = false;
      this.owner.halfOpenDone(this);
    }
    if (was === St.TimeWait && this.inTimeWait) {
      this.inTimeWait = false;
      this.owner.leaveTimeWait();
    }
  }

  /** Sets up both rings (active open, or a passive handshake that completed); memory comes with data (buffers.ts). */
  allocateRings(): void {
    if (this.sendRing === null) this.sendRing = new ByteRing(EMPTY_BUFFER);
    if (this.recvRing === null) this.recvRing = new ByteRing(EMPTY_BUFFER);
  }

  releaseSendRing(): void {
    if (this.sendRing !== null) {
      this.owner.memory.give(this.sendRing.buffer);
      this.sendRing = null;
    }
    this.sendLog.release();
  }

  releaseReceiveRing(): void {
    if (this.recvRing !== null) {
      this.owner.memory.give(this.recvRing.buffer);
      this.recvRing = null;
    }
    if (this.rxChunks !== null) {
      this.rxChunks.release();
      this.rxChunks = null;
    }
  }

  /** Sets up the send side once the peer's SYN options are known. */
  applyPeerOptions(mss: number, wscale: number, sackPermitted: boolean, timestamps: boolean): void {
    const cfg = this.config;
    this.peerMss = mss > 0 ? mss : this.flow.family === 4 ? 536 : 1220;
    if (cfg.windowScaling && wscale >= 0) {
      this.wscaleOk = true;
      this.sndWscale = Math.min(wscale, 14);
    } else {
      this.wscaleOk = false;
      this.sndWscale = 0;
      this.rcvWscale = 0;
    }
    this.sackOk = cfg.sack && sackPermitted;
    this.tsOk = cfg.timestamps && timestamps;
    this.updateMss();
  }

  /** Recomputes the MSS from the peer's option and the route (RFC 9293 §3.7.1, RFC 1191). */
  updateMss(): void {
    const r = this.route;
    let mtu = r !== null ? r.mtu : this.flow.family === 4 ? 576 : 1280;
    if (this.pmtu > 0 && this.pmtu < mtu) mtu = this.pmtu;
    const ipHeader = r !== null ? r.ipHeaderLength : this.flow.family === 4 ? 20 : 40;
    // Linux's floor: a hostile MSS option or ICMP cannot make segments absurdly small.
    const base = Math.max(88, Math.min(this.peerMss, mtu - ipHeader - 20, 0xffff));
    this.mssBase = base;
    const smss = base - (this.tsOk ? 12 : 0);
    if (smss !== this.smss) {
      this.smss = smss;
      this.cc.setMss(smss);
    }
    this.lsoMax = r !== null && r.lsoMaxPayload > 0 ? r.lsoMaxPayload : 0;
    this.lsoMinSegments = r !== null ? Math.max(1, r.lsoMinSegments) : 2;
  }

  /**
   * The route, re-read from the host only when the one held has a new generation (the host bumps it
   * on any change, its disappearance included), so the data path does not look it up per segment.
   * False when there is none.
   */
  refreshRoute(): boolean {
    const held = this.route;
    if (held !== null && held.generation === this.routeGeneration) return true;
    const r = this.host.route(this.flow);
    if (r === null) {
      this.route = null;
      return false;
    }
    if (r !== this.route || r.generation !== this.routeGeneration) {
      this.route = r;
      this.routeGeneration = r.generation;
      this.updateMss();
    }
    return true;
  }

  /** The timestamp clock: ms since an arbitrary per-connection origin (RFC 7323 §5.4, §7.1). */
  tsNow(): number {
    return (Math.floor(this.host.now()) + this.tsOffset) | 0;
  }

  /** Read side: a window update when the application freed enough room (RFC 9293 §3.8.6.2.2). */
  afterRead(): void {
    if (this.recvRing === null) return;
    if (this.st === St.Closed || this.st === St.TimeWait) {
      if (this.unreadBytes() === 0) this.releaseReceiveRing();
      return;
    }
    if (this.st !== St.Established && this.st !== St.FinWait1 && this.st !== St.FinWait2) return;
    const advertised = Math.max(0, seqDiff(this.rcvAdvRight, this.rcvNxt));
    const possible = receiveSpace(this);
    const threshold = Math.min(this.rcvBuf >>> 1, this.advMss);
    // Receiver SWS avoidance: only an increase of at least min(buffer/2, MSS) is worth a segment.
    if (possible - advertised < threshold || possible >>> this.rcvWscale <= advertised >>> this.rcvWscale) return;
    // A delayed ACK on its way carries the new window, unless the sender is nearly starved.
    if (this.delAckAt !== Infinity && advertised >= 2 * this.advMss) return;
    // Like Linux: worth it when the window at least doubles (always so from a closed window).
    if (possible < 2 * advertised) return;
    this.counters.windowUpdatesSent++;
    sendAck(this);
  }

  doShutdown(): void {
    switch (this.st) {
      case St.SynSent:
      case St.SynReceived:
        // Sent after the handshake completes (RFC 9293 §3.10.4).
        this.queueFin();
        return;
      case St.Established:
        this.queueFin();
        this.setState(St.FinWait1);
        output(this);
        return;
      case St.CloseWait:
        this.queueFin();
        this.setState(St.LastAck);
        output(this);
        return;
      default:
        return;
    }
  }

  queueFin(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.finSeq = this.dataEnd();
  }

  /** Sends RST and closes (abort, data after close, unread data at close). */
  resetAndClose(error: TcpError | null): void {
    if (this.st === St.SynReceived || this.synchronized()) sendReset(this);
    if (isCurrEstab(this.st)) this.counters.estabResets++;
    this.terminate(error);
  }

  /**
   * CLOSED: frees the timer and send ring, unlinks the TCB, reports `error` (unless the application
   * was already told the connection ended). The receive ring stays while it holds unread data.
   */
  terminate(error: TcpError | null): void {
    if (this.st === St.Closed) return;
    if (this.st === St.SynSent || this.st === St.SynReceived) this.counters.attemptFails++;
    this.setState(St.Closed);
    this.rtoAt = this.tlpAt = this.persistAt = this.delAckAt = this.keepAt = this.lingerAt = Infinity;
    if (this.timer !== null) {
      this.timer.free();
      this.timer = null;
    }
    this.releaseSendRing();
    if (this.recvRing !== null && (this.unreadBytes() === 0 || this.appClosed)) this.releaseReceiveRing();
    this.owner.unlink(this);
    if (!this.visible) {
      const l = this.listener;
      this.listener = null;
      l?.dropped(this);
      return;
    }
    this.finish(error);
  }

  /** Tells the application the connection is over (once). */
  finish(error: TcpError | null): void {
    if (this.closedNotified) return;
    this.closedNotified = true;
    this.closeError = error;
    this.pendingEvents |= EV_CLOSED;
  }

  /** Both directions are done: TIME-WAIT for 2·MSL (or CLOSED when TIME-WAIT is full). */
  enterTimeWait(): void {
    this.setState(St.TimeWait);
    this.releaseSendRing();
    if (this.recvRing !== null && (this.unreadBytes() === 0 || this.appClosed)) this.releaseReceiveRing();
    this.rtoAt = this.tlpAt = this.persistAt = this.delAckAt = this.keepAt = Infinity;
    this.rackAt = this.paceAt = Infinity;
    this.finish(null);
    if (this.config.timeWaitMs === 0 || !this.owner.enterTimeWait()) {
      if (this.config.timeWaitMs > 0) this.counters.timeWaitOverflow++;
      this.terminate(null);
      return;
    }
    this.inTimeWait = true;
    this.lingerAt = this.host.now() + this.config.timeWaitMs;
    scheduleTimer(this);
  }

  /** The application now owns this connection (active open, onConnection, accept). */
  makeVisible(): void {
    this.visible = true;
    this.listener = null;
  }

  onTimer(): void {
    this.owner.enter();
    try {
      timerFired(this);
    } finally {
      this.end();
    }
  }

  /** Delivers pending events; handlers may call back into the connection. */
  flushEvents(): void {
    if (this.flushing || (this.pendingEvents === 0 && this.pendingAccept === null) || !this.visible) return;
    this.flushing = true;
    try {
      const accept = this.pendingAccept;
      if (accept !== null) {
        this.pendingAccept = null;
        accept.deliver(this);
      }
      for (let guard = 0; this.pendingEvents !== 0 && guard < 16; guard++) {
        const ev = this.pendingEvents;
        this.pendingEvents = 0;
        const e = this.events;
        if (ev & EV_CONNECTED) this.call(e.onConnected, 'onConnected');
        if (ev & EV_READABLE && !this.appClosed) this.call(e.onReadable, 'onReadable');
        if (ev & EV_WRITABLE && !this.appClosed) this.call(e.onWritable, 'onWritable');
        if (ev & EV_CLOSED) {
          const handler = e.onClosed;
          if (handler !== undefined) {
            try {
              handler.call(e, this, this.closeError);
            } catch (err) {
              this.counters.callbackErrors++;
              this.owner.callbackError(err, 'onClosed');
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private call(handler: ((conn: TcpConnection) => void) | undefined, where: string): void {
    if (handler === undefined) return;
    try {
      handler.call(this.events, this);
    } catch (err) {
      this.counters.callbackErrors++;
      this.owner.callbackError(err, where);
    }
  }
}
