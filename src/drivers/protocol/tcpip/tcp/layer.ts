/**
 * TcpLayer: the engine's entry points. It decodes each segment once (header check, options) into a
 * reused `Segment`, finds the connection by 4-tuple, or a listener, or answers with RST; it owns the
 * listeners, the connection table, port allocation, the SYN-flood bounds, and the ring memory
 * (memory.ts) with its sweep: every `bufferIdleMs` while any connection holds ring memory or the pool
 * holds free slabs, idle rings go back to the pool and idle slabs back to the system (buffers.ts).
 */
import { TcpOptionReader, TcpView, emitTcpOptions, tcpOptionsLength, type TcpOptions } from '../../../../wire/index.js';
import { type TcpConfig, type TcpConnectOptions, type TcpConnection, type TcpConnectionEvents, type TcpEndpoint, type TcpListenOptions, type TcpListener, type TcpListenerEvents, type TcpSocketOptions, resolveTcpConfig } from './api.js';
import { congestionNames, isCongestionAlgorithm } from './congestion.js';
import { TcpCounters } from './counters.js';
import { TcpError, type TcpErrorCode } from './errors.js';
import type { IpFamily, TcpFlow, TcpHost, TcpIcmpError, TcpInput, TcpTimer } from './host.js';
import { icmpArrives } from './icmp.js';
import { sweepBuffers, windowShift } from './buffers.js';
import { INPUT_REOPEN, acceptCookie, acceptSyn, segmentArrives, startConnect } from './input.js';
import { FlowHasher, HashDomain } from './isn.js';
import { Listener, type ListenerOwner } from './listener.js';
import { sendAck } from './output.js';
import { type MemoryLimits, RingMemory } from './memory.js';
import { TokenBucket } from './rate-limit.js';
import { ACK, RST, SYN, Segment } from './segment.js';
import { seqAdd } from './seq.js';
import { St } from './state.js';
import { COOKIE_MSS, COOKIE_RECENT_MS, checkCookie, cookieMssIndex, cookieSack, cookieTsBits, cookieWscale, makeCookie } from './syncookie.js';
import { ConnectionTable } from './table.js';
import { Tcb, type TcbOptions, type TcbOwner } from './tcb.js';
import { addressLength, isZeroAddress, ownFlow, sameAddress } from './util.js';

export class TcpLayer implements TcpInput, TcbOwner, ListenerOwner {
  readonly host: TcpHost;
  #config: Readonly<TcpConfig>;
  readonly counters = new TcpCounters();
  /** @internal */
  readonly hasher: FlowHasher;
  readonly #table: ConnectionTable;
  readonly #listeners = new Map<number, Listener[]>();
  readonly #seg = new Segment();
  readonly #view = new TcpView();
  readonly #reader = new TcpOptionReader();
  /** @internal */
  readonly memory: RingMemory;
  /** Connections holding ring memory, and the sweep's timer (armed while there is anything to sweep). */
  readonly #holders = new Set<Tcb>();
  readonly #sweepTimer: TcpTimer;
  #sweepArmed = false;
  /** RSTs in answer to unexpected segments (`rstRateLimit`, `rstBurst`). */
  readonly #rsts: TokenBucket;
  #busy = 0;
  /** Connections with merged out-of-order ACKs to send at `inputBatchEnd` (reused, never shrinks). */
  readonly #ackFlush: Tcb[] = [];
  #halfOpen = 0;
  #timeWait = 0;

  constructor(host: TcpHost, config: Partial<TcpConfig> = {}) {
    this.host = host;
    this.#config = resolveTcpConfig(config);
    this.hasher = new FlowHasher(() => host.random32());
    this.#table = new ConnectionTable(this.hasher);
    this.#rsts = new TokenBucket(this.config.rstRateLimit, this.config.rstBurst);
    this.memory = new RingMemory(this.counters, memoryLimits(this.#config), () => host.now());
    this.#sweepTimer = host.createTimer(() => this.#sweep());
  }

  /** The RST bucket's rate (a second; 0: no limit) and burst. */
  get rstLimit(): { ratePerSecond: number; burst: number } {
    return { ratePerSecond: this.#rsts.ratePerSecond, burst: this.#rsts.burst };
  }

  get config(): Readonly<TcpConfig> {
    return this.#config;
  }

  /**
   * Changes settings (checked as at construction; RangeError for impossible values). Connections and
   * listeners opened afterwards use them; existing ones keep the settings they were opened with. The
   * RST bucket takes a new rate or burst at once (and starts full).
   */
  configure(partial: Partial<TcpConfig>): void {
    const next = resolveTcpConfig(partial, this.#config);
    if (next.rstRateLimit !== this.#config.rstRateLimit || next.rstBurst !== this.#config.rstBurst) this.#rsts.configure(next.rstRateLimit, next.rstBurst);
    this.#config = next;
    this.memory.limits = memoryLimits(next);
  }

  /** Connections in the table (half-open and TIME-WAIT included). */
  get connectionCount(): number {
    return this.#table.size;
  }

  /** netstat's view of the engine: connections, listeners and every counter. */
  stats(): Record<string, number> {
    return { connections: this.connectionCount, listeners: this.listeners().length, ...this.counters.snapshot() };
  }

  /** Exceptions caught at the engine's edge (a bug if ever non-zero; `counters.internalErrors`). */
  get internalErrors(): number {
    return this.counters.internalErrors;
  }

  get halfOpenCount(): number {
    return this.#halfOpen;
  }

  get timeWaitCount(): number {
    return this.#timeWait;
  }

  /** Longest collision chain in the connection table. */
  get longestHashChain(): number {
    return this.#table.longestChain();
  }

  // ---- TcpInput --------------------------------------------------------------------------------

  input(flow: TcpFlow, bytes: Uint8Array, offset: number, length: number, coalescedSegments: number): void {
    if (this.#busy > 0) {
      this.counters.reentrantInput++;
      return;
    }
    this.#busy++;
    let tcb: Tcb | null = null;
    try {
      tcb = this.#input(flow, bytes, offset, length, coalescedSegments);
    } catch (e) {
      this.counters.internalErrors++;
      this.callbackError(e, 'input');
    } finally {
      this.#busy--;
    }
    tcb?.flushEvents();
  }

  /**
   * An ICMP error about `flow` (local = this host). `quotedSeq`, when the IP layer passes the sequence
   * number of the quoted segment, must lie in the flight or the error is ignored (RFC 5927 §4.1).
   * `detail` replaces "ICMP <error>" in the error the application sees.
   */
  icmpError(flow: TcpFlow, error: TcpIcmpError, nextHopMtu: number, quotedSeq?: number, detail?: string): void {
    if (this.#busy > 0) {
      this.counters.reentrantInput++;
      return;
    }
    this.#busy++;
    let tcb: Tcb | null = null;
    try {
      if ((flow.family === 4 || flow.family === 6) && this.#addressesOk(flow)) {
        tcb = this.#table.find(flow.family, flow.localAddress, flow.localPort, flow.remoteAddress, flow.remotePort);
      }
      if (tcb === null) this.counters.icmpIgnored++;
      else icmpArrives(tcb, error, nextHopMtu, quotedSeq, detail);
    } catch (e) {
      this.counters.internalErrors++;
      this.callbackError(e, 'icmpError');
    } finally {
      this.#busy--;
    }
    tcb?.flushEvents();
  }

  #addressesOk(flow: TcpFlow): boolean {
    const n = addressLength(flow.family);
    return flow.localAddress instanceof Uint8Array && flow.remoteAddress instanceof Uint8Array && flow.localAddress.length >= n && flow.remoteAddress.length >= n;
  }

  #input(flow: TcpFlow, bytes: Uint8Array, offset: number, length: number, coalesced: number): Tcb | null {
    const c = this.counters;
    const segs = Number.isInteger(coalesced) && coalesced > 1 ? Math.min(coalesced, 0xffff) : 1;
    c.inSegs += segs;
    if (segs > 1) {
      c.coalescedBuffers++;
      c.coalescedSegments += segs;
    }
    if ((flow.family !== 4 && flow.family !== 6) || !this.#addressesOk(flow)) {
      c.inErrs++;
      return null;
    }
    if (TcpView.check(bytes, offset, length) !== 0) {
      c.badOffset++;
      c.inErrs++;
      return null;
    }
    const v = this.#view.bind(bytes, offset);
    const seg = this.#seg;
    seg.srcPort = v.srcPort;
    seg.dstPort = v.dstPort;
    if (seg.srcPort === 0 || seg.dstPort === 0) {
      c.badPort++;
      c.inErrs++;
      return null;
    }
    if (!seg.opt.read(this.#reader, bytes, v.optionsOffset, v.optionsLength)) {
      c.badOptions++;
      c.inErrs++;
      return null;
    }
    const hl = v.headerLength;
    seg.bytes = bytes;
    // int32, not uint32: see seq.ts.
    seg.seq = v.seqNumber | 0;
    seg.ack = v.ackNumber | 0;
    // FIN SYN RST PSH ACK URG; ECN bits are not used.
    seg.flags = v.flags & 0x3f;
    seg.window = v.windowSize;
    seg.dataStart = offset + hl;
    seg.dataLen = length - hl;
    seg.coalesced = segs;
    if (seg.dataLen > 0) c.dataSegmentsIn += segs;
    const family = flow.family;
    const now = this.host.now();
    const tcb = this.#table.find(family, flow.localAddress, seg.dstPort, flow.remoteAddress, seg.srcPort);
    if (tcb !== null) {
      if (segmentArrives(tcb, seg, now) !== INPUT_REOPEN) return tcb;
      // A SYN for a tuple in TIME-WAIT: the old incarnation goes, a listener may take the SYN.
      const l = this.#findListener(family, flow.localAddress, seg.dstPort);
      if (l === null) return tcb;
      c.timeWaitReopened++;
      tcb.terminate(null);
      return this.#listenInput(l, flow, seg, now);
    }
    const l = this.#findListener(family, flow.localAddress, seg.dstPort);
    if (l === null) {
      if (!seg.rst) {
        c.noListener++;
        this.#resetFor(flow, seg);
      }
      return null;
    }
    return this.#listenInput(l, flow, seg, now);
  }

  #listenInput(l: Listener, flow: TcpFlow, seg: Segment, now: number): Tcb | null {
    const c = this.counters;
    if (seg.rst) {
      c.ignored++;
      return null;
    }
    if (seg.flags & ACK) {
      if (!seg.syn && this.config.synCookies && now - l.lastCookieAt < COOKIE_RECENT_MS) {
        const t = this.#cookieAck(l, flow, seg, now);
        if (t !== 'invalid') return t;
        c.synCookiesRejected++;
      }
      c.listenAckRejected++;
      this.#resetFor(flow, seg);
      return null;
    }
    if (!seg.syn) {
      c.ignored++;
      return null;
    }
    if (isZeroAddress(flow.remoteAddress.subarray(0, addressLength(flow.family)))) {
      c.badPort++;
      return null;
    }
    // Only a full accept queue drops a SYN (Linux too, cookies or not): its connection could not be
    // handed over anyway.
    if (l.acceptQueueFull) {
      c.listenOverflow++;
      return null;
    }
    if (l.halfOpenCount >= l.maxHalfOpen || this.#halfOpen >= this.config.maxHalfOpen) {
      if (this.config.synCookies) {
        this.#sendCookie(l, flow, seg, now);
        return null;
      }
      // Without cookies the oldest entry makes room (FreeBSD's syncache does so): under a flood it
      // is most likely spoofed, and a real peer answers its SYN-ACK within a round trip.
      const old = l.oldestHalfOpen();
      if (old === null) {
        c.synFloodDropped++;
        return null;
      }
      c.halfOpenEvicted++;
      old.terminate(null);
    }
    if (this.#table.size >= this.config.maxConnections) {
      c.connectionLimitDropped++;
      return null;
    }
    const f = ownFlow(flow.family, flow.localAddress, seg.dstPort, flow.remoteAddress, seg.srcPort);
    const t = new Tcb(this, f, true, l.options);
    t.listener = l;
    this.#table.insert(t);
    l.halfOpenAdded(t);
    this.#halfOpen++;
    acceptSyn(t, seg, now);
    return t;
  }

  /** A stateless SYN-ACK whose ISN is a SYN cookie (syncookie.ts). */
  #sendCookie(l: Listener, flow: TcpFlow, seg: Segment, now: number): void {
    const cfg = this.config;
    const family = flow.family;
    const f = ownFlow(family, flow.localAddress, seg.dstPort, flow.remoteAddress, seg.srcPort);
    const route = this.host.route(f);
    if (route === null) {
      this.counters.noRoute++;
      return;
    }
    const o = seg.opt;
    const mssIndex = cookieMssIndex(o.mss > 0 ? o.mss : family === 4 ? 536 : 1220);
    const cookie = makeCookie(this.hasher, now, family, f.localAddress, f.localPort, f.remoteAddress, f.remotePort, seg.seq, mssIndex);
    // Window scale and SACK survive only through the timestamp echo.
    const ts = cfg.timestamps && o.hasTimestamps;
    const wscale = ts && cfg.windowScaling && o.windowScale >= 0;
    const sack = ts && cfg.sack && o.sackPermitted;
    const shift = windowShift(l.options.receiveBufferMax);
    const tsOffset = this.hasher.hash(HashDomain.TimestampOffset, family, f.localAddress, f.localPort, f.remoteAddress, f.remotePort);
    // As Linux's cookie_init_timestamp: the option bits replace the clock's low 6 bits, stepping back
    // 64 when that would put TSval ahead of the clock (later TSvals must not go back: PAWS at the peer).
    const clock = (Math.floor(now) + tsOffset) | 0;
    let tsBits = (clock & ~63) | cookieTsBits(wscale ? o.windowScale : -1, sack);
    if (((tsBits - clock) | 0) > 0) tsBits -= 64;
    const tsValue = tsBits >>> 0;
    const options: TcpOptions = {
      mss: Math.max(88, Math.min(0xffff, cfg.mss > 0 ? cfg.mss : route.mtu - route.ipHeaderLength - 20)),
      windowScale: wscale ? shift : null,
      sackPermitted: sack,
      sackBlocks: [],
      timestamps: ts ? { value: tsValue, echo: o.tsValue >>> 0 } : null,
    };
    const hl = 20 + tcpOptionsLength(options);
    const buf = this.host.allocate(f, hl);
    if (buf === null) {
      this.counters.noBuffers++;
      return;
    }
    const v = this.#view.bind(buf.bytes, buf.offset);
    v.srcPort = f.localPort;
    v.dstPort = f.remotePort;
    v.seqNumber = cookie;
    v.ackNumber = seqAdd(seg.seq, 1);
    buf.bytes[buf.offset + 12] = (hl >>> 2) << 4;
    buf.bytes[buf.offset + 13] = SYN | ACK;
    v.windowSize = Math.min(l.options.receiveBufferSize, 0xffff);
    v.checksum = 0;
    v.urgentPointer = 0;
    emitTcpOptions(options, buf.bytes, buf.offset + 20);
    this.host.transmit(f, buf, hl, hl, 0);
    l.lastCookieAt = now;
    this.counters.synCookiesSent++;
    this.counters.outSegs++;
  }

  /** The handshake's ACK carrying a SYN cookie: rebuilds the connection, or 'invalid'. */
  #cookieAck(l: Listener, flow: TcpFlow, seg: Segment, now: number): Tcb | null | 'invalid' {
    const c = this.counters;
    const clientIsn = (seg.seq - 1) | 0;
    const cookie = (seg.ack - 1) | 0;
    const mssIndex = checkCookie(this.hasher, now, flow.family, flow.localAddress, seg.dstPort, flow.remoteAddress, seg.srcPort, clientIsn, cookie);
    if (mssIndex < 0) return 'invalid';
    if (l.acceptQueueFull) {
      c.listenOverflow++;
      return null;
    }
    if (this.#table.size >= this.config.maxConnections) {
      c.connectionLimitDropped++;
      return null;
    }
    const o = seg.opt;
    const ts = this.config.timestamps && o.hasTimestamps && o.tsEcho !== 0;
    const t = new Tcb(this, ownFlow(flow.family, flow.localAddress, seg.dstPort, flow.remoteAddress, seg.srcPort), true, l.options);
    t.listener = l;
    this.#table.insert(t);
    acceptCookie(t, seg, clientIsn, cookie, COOKIE_MSS[mssIndex]!, ts ? cookieWscale(o.tsEcho) : -1, ts && cookieSack(o.tsEcho), ts, now);
    c.synCookiesAccepted++;
    segmentArrives(t, seg, now);
    return t;
  }

  /** RFC 9293 §3.10.7.1: the reset for a segment that has no connection (rate limited). */
  #resetFor(flow: TcpFlow, seg: Segment): void {
    if (!this.allowReset()) return;
    const f = ownFlow(flow.family, flow.localAddress, seg.dstPort, flow.remoteAddress, seg.srcPort);
    if (this.host.route(f) === null) {
      this.counters.noRoute++;
      return;
    }
    const buf = this.host.allocate(f, 20);
    if (buf === null) {
      this.counters.noBuffers++;
      return;
    }
    const v = this.#view.bind(buf.bytes, buf.offset);
    v.srcPort = seg.dstPort;
    v.dstPort = seg.srcPort;
    if (seg.flags & ACK) {
      v.seqNumber = seg.ack;
      v.ackNumber = 0;
      buf.bytes[buf.offset + 13] = RST;
    } else {
      v.seqNumber = 0;
      v.ackNumber = seqAdd(seg.seq, seg.length);
      buf.bytes[buf.offset + 13] = RST | ACK;
    }
    buf.bytes[buf.offset + 12] = 5 << 4;
    v.windowSize = 0;
    v.checksum = 0;
    v.urgentPointer = 0;
    this.host.transmit(f, buf, 20, 20, 0);
    this.counters.outRsts++;
    this.counters.outSegs++;
  }

  #findListener(family: IpFamily, localAddress: Uint8Array, port: number): Listener | null {
    const list = this.#listeners.get(port);
    if (list === undefined) return null;
    const n = addressLength(family);
    let wildcard: Listener | null = null;
    for (const l of list) {
      if (l.localEndpoint.family !== family) continue;
      if (isZeroAddress(l.localEndpoint.address)) wildcard = l;
      else if (sameAddress(l.localEndpoint.address, localAddress, n)) return l;
    }
    return wildcard;
  }

  // ---- API ---------------------------------------------------------------------------------------

  #tcbOptions(o: TcpSocketOptions): TcbOptions {
    const cfg = this.config;
    const size = (v: number | undefined, d: number, what: string): number => {
      if (v === undefined) return d;
      if (!Number.isInteger(v) || v < 1024 || v > 1 << 30) throw new RangeError(`${what} must be an integer in [1024, 2^30]`);
      return v;
    };
    // An explicit size pins the buffer there: no autotuning, and the window scale fits that size.
    const sendBufferSize = size(o.sendBufferSize, cfg.sendBufferSize, 'sendBufferSize');
    const receiveBufferSize = size(o.receiveBufferSize, cfg.receiveBufferSize, 'receiveBufferSize');
    const sendPinned = o.sendBufferSize !== undefined;
    const receivePinned = o.receiveBufferSize !== undefined;
    const congestion = o.congestion ?? cfg.congestion;
    if (!isCongestionAlgorithm(congestion)) throw new RangeError(`congestion must be one of ${congestionNames()}, got ${String(congestion)}`);
    const idle = o.keepAliveIdleMs ?? cfg.keepAliveIdleMs;
    if (!(idle >= 1)) throw new RangeError('keepAliveIdleMs must be ≥ 1');
    return {
      noDelay: o.noDelay ?? cfg.noDelay,
      delayedAck: o.delayedAck ?? cfg.delayedAck,
      keepAlive: o.keepAlive ?? cfg.keepAlive,
      keepAliveIdleMs: idle,
      congestion,
      sendBufferSize,
      receiveBufferSize,
      sendBufferMin: Math.min(cfg.sendBufferMin, sendBufferSize),
      sendBufferMax: sendPinned ? sendBufferSize : cfg.sendBufferMax,
      sendAutotune: !sendPinned && cfg.sendBufferAutotuning,
      receiveBufferMin: Math.min(cfg.receiveBufferMin, receiveBufferSize),
      receiveBufferMax: receivePinned ? receiveBufferSize : cfg.receiveBufferMax,
      receiveAutotune: !receivePinned && cfg.receiveBufferAutotuning,
    };
  }

  #checkEndpoint(e: TcpEndpoint, what: string, portZeroOk: boolean): void {
    if (e.family !== 4 && e.family !== 6) throw new TcpError('EINVAL', `${what}: family must be 4 or 6`);
    if (!(e.address instanceof Uint8Array) || e.address.length !== addressLength(e.family)) {
      throw new TcpError('EINVAL', `${what}: an IPv${String(e.family)} address has ${String(addressLength(e.family))} bytes`);
    }
    if (!Number.isInteger(e.port) || e.port < (portZeroOk ? 0 : 1) || e.port > 65535) throw new TcpError('EINVAL', `${what}: bad port ${String(e.port)}`);
  }

  /** Listens on `local` (all-zero address: any; port 0: an ephemeral port). Throws TcpError EADDRINUSE. */
  listen(local: TcpEndpoint, options: TcpListenOptions = {}, events: TcpListenerEvents = {}): TcpListener {
    this.#checkEndpoint(local, 'listen', true);
    let port = local.port;
    if (port === 0) {
      port = this.#freeListenPort();
      if (port < 0) throw new TcpError('EADDRNOTAVAIL', 'no free port');
    }
    const list = this.#listeners.get(port) ?? [];
    const n = addressLength(local.family);
    for (const l of list) {
      const a = l.localEndpoint;
      if (a.family !== local.family) continue;
      if (isZeroAddress(a.address) || isZeroAddress(local.address) || sameAddress(a.address, local.address, n)) {
        throw new TcpError('EADDRINUSE', `port ${String(port)}`);
      }
    }
    const backlog = options.backlog ?? this.config.defaultBacklog;
    if (!Number.isInteger(backlog) || backlog < 1) throw new RangeError('backlog must be an integer ≥ 1');
    const maxHalfOpen = options.maxHalfOpen ?? this.config.maxHalfOpenPerListener;
    if (!Number.isInteger(maxHalfOpen) || maxHalfOpen < 0) throw new RangeError('maxHalfOpen must be an integer ≥ 0');
    const endpoint: TcpEndpoint = Object.freeze({ family: local.family, address: local.address.slice(), port });
    const l = new Listener(this, endpoint, backlog, maxHalfOpen, this.#tcbOptions(options), events);
    list.push(l);
    this.#listeners.set(port, list);
    return l;
  }

  #freeListenPort(): number {
    const { ephemeralPortMin: lo, ephemeralPortMax: hi } = this.config;
    const range = hi - lo + 1;
    let p = lo + (this.host.random32() % range);
    for (let i = 0; i < range; i++, p = p === hi ? lo : p + 1) if (!this.#listeners.has(p)) return p;
    return -1;
  }

  /**
   * Active open towards `remote`. The source address comes from `host.sourceAddress` unless given.
   * Throws TcpError: ENETUNREACH (no route), EADDRINUSE (explicit local port, tuple taken),
   * EADDRNOTAVAIL (no ephemeral port free), EMFILE (connection limit), EINVAL.
   */
  connect(remote: TcpEndpoint, options: TcpConnectOptions = {}, events: TcpConnectionEvents = {}): TcpConnection {
    this.#checkEndpoint(remote, 'connect', false);
    const family = remote.family;
    if (isZeroAddress(remote.address)) throw new TcpError('EADDRNOTAVAIL', 'remote address is unspecified');
    const opts = this.#tcbOptions(options);
    let local = options.localAddress ?? null;
    if (local !== null && (!(local instanceof Uint8Array) || local.length !== addressLength(family))) throw new TcpError('EINVAL', 'localAddress length');
    if (local === null) local = this.host.sourceAddress(family, remote.address);
    if (local === null) throw new TcpError('ENETUNREACH', 'no route to the remote address');
    if (this.#table.size >= this.config.maxConnections) throw new TcpError('EMFILE');
    let port: number;
    if (options.localPort !== undefined && options.localPort !== 0) {
      port = options.localPort;
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TcpError('EINVAL', `bad local port ${String(port)}`);
      if (this.#table.find(family, local, port, remote.address, remote.port) !== null) throw new TcpError('EADDRINUSE', `port ${String(port)}`);
    } else {
      port = this.#ephemeralPort(family, local, remote);
      if (port < 0) throw new TcpError('EADDRNOTAVAIL', 'no ephemeral port free for this destination');
    }
    const t = new Tcb(this, ownFlow(family, local, port, remote.address, remote.port), false, opts);
    t.events = events;
    t.visible = true;
    this.#table.insert(t);
    this.enter();
    try {
      startConnect(t, this.host.now());
    } finally {
      this.leave();
    }
    return t;
  }

  /** RFC 6056 algorithm 1: a random start in the ephemeral range, then the next free one. */
  #ephemeralPort(family: IpFamily, local: Uint8Array, remote: TcpEndpoint): number {
    const { ephemeralPortMin: lo, ephemeralPortMax: hi } = this.config;
    const range = hi - lo + 1;
    let p = lo + (this.host.random32() % range);
    for (let i = 0; i < range; i++, p = p === hi ? lo : p + 1) {
      if (!this.#listeners.has(p) && this.#table.find(family, local, p, remote.address, remote.port) === null) return p;
    }
    return -1;
  }

  /** Every connection in the table (inspection; includes half-open and TIME-WAIT ones). */
  *connections(): IterableIterator<TcpConnection> {
    yield* [...this.#table.values()];
  }

  listeners(): TcpListener[] {
    return [...this.#listeners.values()].flat();
  }

  /** The binding is gone or the stack shuts down: every connection and listener ends, no RSTs sent. */
  abortAll(reason: TcpErrorCode = 'ENETDOWN'): void {
    const error = new TcpError(reason);
    const all = [...this.#table.values()];
    this.enter();
    try {
      for (const t of all) t.terminate(error);
    } finally {
      this.leave();
    }
    for (const t of all) t.flushEvents();
    const listeners = [...this.#listeners.values()].flat();
    this.#listeners.clear();
    for (const l of listeners) l.shutDown(error);
  }

  // ---- TcbOwner / ListenerOwner --------------------------------------------------------------------

  /** @internal */
  allowReset(): boolean {
    if (this.#rsts.take(this.host.now())) return true;
    this.counters.rstsSuppressed++;
    return false;
  }

  /** @internal */
  holdsMemory(tcb: Tcb): void {
    this.#holders.add(tcb);
    this.#armSweep();
  }

  #armSweep(): void {
    if (this.#sweepArmed) return;
    this.#sweepArmed = true;
    this.#sweepTimer.set(this.config.bufferIdleMs);
  }

  /** Idle rings back to the pool, idle slabs back to the system (buffers.ts, memory.ts). */
  #sweep(): void {
    this.#sweepArmed = false;
    try {
      const pressure = this.memory.underPressure;
      for (const t of this.#holders) if (!sweepBuffers(t, pressure)) this.#holders.delete(t);
      this.memory.release(this.host.now());
    } catch (e) {
      this.counters.internalErrors++;
      this.callbackError(e, 'sweep');
    }
    if (this.#holders.size > 0 || this.memory.emptyBytes > 0) this.#armSweep();
  }

  /** @internal */
  unlink(tcb: Tcb): void {
    this.#table.remove(tcb);
  }

  /** @internal */
  halfOpenDone(tcb: Tcb): void {
    this.#halfOpen--;
    if (tcb.listener instanceof Listener) tcb.listener.halfOpenRemoved(tcb);
  }

  /** @internal */
  enterTimeWait(): boolean {
    if (this.#timeWait >= this.config.maxTimeWait) return false;
    this.#timeWait++;
    return true;
  }

  /** @internal */
  leaveTimeWait(): void {
    this.#timeWait--;
  }

  /** @internal */
  callbackError(error: unknown, where: string): void {
    try {
      this.config.onCallbackError(error, where);
    } catch {
      // The reporter itself failed: nothing more to do on the data path.
    }
  }

  /** @internal */
  queueAckFlush(tcb: Tcb): void {
    this.#ackFlush.push(tcb);
  }

  /** TcpInput: the receive batch ended; merged out-of-order ACKs go out (bounded by the queue). */
  inputBatchEnd(): void {
    const q = this.#ackFlush;
    if (q.length === 0 || this.#busy > 0) return;
    this.#busy++;
    try {
      for (let i = 0; i < q.length; i++) {
        const t = q[i]!;
        t.ackFlushQueued = false;
        // An ACK sent since (the hole filled, the 44th merged) cleared what was owed.
        if (t.ackCompressed > 0) sendAck(t);
      }
    } catch (e) {
      this.counters.internalErrors++;
      this.callbackError(e, 'inputBatchEnd');
    } finally {
      q.length = 0;
      this.#busy--;
    }
  }

  /** @internal */
  enter(): void {
    this.#busy++;
  }

  /** @internal */
  leave(): void {
    this.#busy--;
  }

  /** @internal */
  removeListener(l: Listener): void {
    const list = this.#listeners.get(l.localEndpoint.port);
    if (list === undefined) return;
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#listeners.delete(l.localEndpoint.port);
  }

  /** @internal */
  abortOrphans(l: Listener): void {
    const victims = [...this.#table.values()].filter((t) => t.listener === l && !t.visible);
    this.enter();
    try {
      for (const t of victims) if (t.st !== St.Closed) t.resetAndClose(null);
    } finally {
      this.leave();
    }
  }
}

function memoryLimits(c: Readonly<TcpConfig>): MemoryLimits {
  return { low: c.memoryLow, pressure: c.memoryPressure, high: c.memoryHigh, poolMaxBytes: c.bufferPoolMaxBytes, poolIdleMs: c.bufferPoolIdleMs };
}
