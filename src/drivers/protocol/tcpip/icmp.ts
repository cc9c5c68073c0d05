/**
 * ICMP (RFC 792, RFC 1122 §3.2.2) and ICMPv6 (RFC 4443) for a host:
 * - echo requests to our unicast addresses are answered (ICMPv6 also to all-nodes); `ping()` sends
 *   requests and reports the round-trip time of each reply (fake time in tests);
 * - errors are generated for datagrams we cannot deliver (port unreachable for UDP, protocol
 *   unreachable, reassembly time exceeded), never about an ICMP error, a broadcast/multicast packet or
 *   a packet from an invalid source, and through a token bucket (`icmpErrorsPerSecond`, burst
 *   `icmpErrorBurst`); the quote is as much of the offending datagram as fits in 576 (IPv4) / 1280
 *   (IPv6) bytes;
 * - errors received are matched to the flow they quote (the quoted source must be ours) and passed to
 *   TCP (`TcpInput.icmpError`), to the UDP socket or to the ping that sent the quoted echo request;
 *   "fragmentation needed" / "packet too big" lower the path MTU (pmtu.ts) and bump the route
 *   generation;
 * - a packet of ours that neighbour resolution gave up on (`linkFailure`) is reported the same way, as
 *   a host unreachable, without an ICMP message on any wire (Linux's arp_error_report does the same).
 * ND messages (types 133–137) go to nd.ts once their checksum verified.
 */
import {
  ICMPV4_HEADER_LEN,
  IPV4_HEADER_LEN,
  IPV6_HEADER_LEN,
  Icmpv4Type,
  Icmpv4Unreachable,
  Icmpv4View,
  Icmpv6Type,
  Icmpv6Unreachable,
  Icmpv6View,
  IpProtocol,
  Ipv4Field,
  Ipv4View,
  Ipv6ExtensionWalk,
  Ipv6View,
  formatIpv4,
  formatIpv6,
  ipv6PseudoHeaderSum,
  walkIpv6Extensions,
} from '../../../wire/index.js';
import { IPV4_BROADCAST, copy6, eq6, isBadSource4, isMulticast6, isUnspecified6, read4, type IpFamily } from './addr.js';
import type { IpInterface } from './interface.js';
import { Cast, RouteResult, type Datagram, type TxBuffer } from './packet.js';
import { PMTU_MIN_IPV4, PMTU_MIN_IPV6 } from './pmtu.js';
import type { TcpIpStack } from './stack.js';
import type { TcpIcmpError } from './tcp/host.js';
import type { StackTimer } from './timers.js';
import { SocketError, icmpErrorCode, type SocketErrorCode } from './udp.js';

export interface PingOptions {
  /** Echo requests to send (default 1). */
  count?: number;
  /** Data bytes per request (default 56, as ping(8)). */
  size?: number;
  /** How long to wait for the last reply (default 1000 ms). */
  timeoutMs?: number;
  /** Between requests (default 1000 ms). */
  intervalMs?: number;
  /** TTL / hop limit (default 64). */
  ttl?: number;
  signal?: AbortSignal;
}

export interface PingResult {
  address: string;
  transmitted: number;
  received: number;
  /** Per request, in order: the round-trip time in ms, or null when no reply came. */
  rttMs: (number | null)[];
  /**
   * Per request: the error reported for it instead of a reply, or null: an ICMP error quoting it
   * (EHOSTUNREACH, ENETUNREACH…), or EHOSTUNREACH when the next hop never answered ARP/ND.
   */
  errors: (SocketErrorCode | null)[];
}

/** Largest ICMP error: IPv4 576 bytes (RFC 1812 §4.3.2.3), IPv6 1280 (RFC 4443 §2.4c). */
const ERROR_LIMIT_V4 = 576 - IPV4_HEADER_LEN;
const ERROR_LIMIT_V6 = 1280 - IPV6_HEADER_LEN;

class PingSession {
  readonly sentAt: Float64Array;
  readonly rtt: (number | null)[];
  readonly errors: (SocketErrorCode | null)[];
  sent = 0;
  received = 0;
  sendTimer: StackTimer | null = null;
  doneTimer: StackTimer | null = null;
  /** Ends the session (all replies in, timeout, abort); set when it starts. */
  finish: () => void = () => undefined;
  constructor(
    readonly id: number,
    readonly family: IpFamily,
    readonly dst4: number,
    readonly dst6: Uint8Array,
    readonly via: IpInterface | null,
    readonly text: string,
    readonly count: number,
    readonly size: number,
    readonly ttl: number,
  ) {
    this.sentAt = new Float64Array(count);
    this.rtt = new Array<number | null>(count).fill(null);
    this.errors = new Array<SocketErrorCode | null>(count).fill(null);
  }
}

export class IcmpLayer {
  readonly #stack: TcpIpStack;
  readonly #v4 = new Icmpv4View();
  readonly #v6 = new Icmpv6View();
  readonly #qv4 = new Ipv4View();
  readonly #qv6 = new Ipv6View();
  readonly #walk = new Ipv6ExtensionWalk();
  readonly #rr = new RouteResult();
  readonly #quotedSrc6 = new Uint8Array(16);
  readonly #quotedDst6 = new Uint8Array(16);
  readonly #sessions = new Map<number, PingSession>();
  #tokens: number;
  #refilledAt = -1;

  constructor(stack: TcpIpStack) {
    this.#stack = stack;
    this.#tokens = stack.options.icmpErrorBurst;
  }

  // ---------------------------------------------------------------------------------------------
  // Receive

  input4(dg: Datagram): void {
    const c = this.#stack.counters.icmp;
    if (Icmpv4View.check(dg.bytes, dg.offset, dg.length) !== 0) {
      c.inTruncated++;
      return;
    }
    const v = this.#v4.bind(dg.bytes, dg.offset);
    if (!v.verifyChecksum(dg.length)) {
      c.inBadChecksum++;
      return;
    }
    const type = v.type;
    c.inMsgs++;
    c.inByType[type]! += 1;
    switch (type) {
      case Icmpv4Type.EchoRequest:
        c.echoRequestsIn++;
        if (dg.cast === Cast.Unicast) this.#echoReply(dg);
        return;
      case Icmpv4Type.EchoReply:
        c.echoRepliesIn++;
        this.#pingReply(dg, v.identifier, v.sequenceNumber);
        return;
      case Icmpv4Type.DestinationUnreachable:
      case Icmpv4Type.TimeExceeded:
      case Icmpv4Type.ParameterProblem:
        this.#errorIn4(dg, type, v.code, v.nextHopMtu);
        return;
      default:
        return;
    }
  }

  input6(dg: Datagram): void {
    const s = this.#stack;
    const c = s.counters.icmp6;
    if (Icmpv6View.check(dg.bytes, dg.offset, dg.length) !== 0) {
      c.inTruncated++;
      return;
    }
    const v = this.#v6.bind(dg.bytes, dg.offset);
    if (!v.verifyChecksum(dg.length, ipv6PseudoHeaderSum(dg.src6, dg.dst6, IpProtocol.Icmpv6, dg.length))) {
      c.inBadChecksum++;
      return;
    }
    const type = v.type;
    if (type >= Icmpv6Type.RouterSolicitation && type <= Icmpv6Type.Redirect) {
      s.nd.input(dg);
      return;
    }
    c.inMsgs++;
    c.inByType[type]! += 1;
    switch (type) {
      case Icmpv6Type.EchoRequest:
        c.echoRequestsIn++;
        if (!isUnspecified6(dg.src6, 0)) this.#echoReply(dg);
        return;
      case Icmpv6Type.EchoReply:
        c.echoRepliesIn++;
        this.#pingReply(dg, v.identifier, v.sequenceNumber);
        return;
      case Icmpv6Type.DestinationUnreachable:
      case Icmpv6Type.PacketTooBig:
      case Icmpv6Type.TimeExceeded:
      case Icmpv6Type.ParameterProblem:
        this.#errorIn6(dg, type, v.code, v.mtu);
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Echo

  /** Routes back to the sender of `dg` with our address it was sent to as the source. */
  #routeBack(dg: Datagram, length: number, protocol: number): TxBuffer | null {
    const s = this.#stack;
    const rr = this.#rr;
    const via = dg.iface !== null && !dg.iface.isLoopback ? dg.iface : null;
    if (dg.family === 4) {
      if (!s.route4(dg.src4, null, rr)) {
        s.counters.ipv4.outNoRoute++;
        return null;
      }
      if (dg.cast === Cast.Unicast) rr.src4 = dg.dst4;
      return s.output.begin(4, rr, dg.src4, null, 0, protocol, length);
    }
    if (!s.route6(dg.src6, 0, via, rr) && !s.route6(dg.src6, 0, null, rr)) {
      s.counters.ipv6.outNoRoute++;
      return null;
    }
    if (dg.cast === Cast.Unicast) copy6(rr.src6, 0, dg.dst6, 0);
    return s.output.begin(6, rr, 0, dg.src6, 0, protocol, length);
  }

  #echoReply(dg: Datagram): void {
    const s = this.#stack;
    const v6 = dg.family === 6;
    const tx = this.#routeBack(dg, dg.length, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp);
    if (tx === null) return;
    const b = tx.bytes;
    const o = tx.offset;
    b.set(dg.bytes.subarray(dg.offset, dg.offset + dg.length), o);
    b[o] = v6 ? Icmpv6Type.EchoReply : Icmpv4Type.EchoReply;
    b[o + 1] = 0;
    const c = v6 ? s.counters.icmp6 : s.counters.icmp;
    c.outMsgs++;
    c.outByType[b[o]!]! += 1;
    s.output.send(tx, dg.length);
  }

  /** Sends echo requests to `address` and reports each reply's round-trip time. */
  async ping(address: string, options: PingOptions = {}): Promise<PingResult> {
    const s = this.#stack;
    const count = options.count ?? 1;
    const size = options.size ?? 56;
    if (!Number.isInteger(count) || count < 1 || count > 65536) throw new RangeError(`ping count ${count}`);
    if (!Number.isInteger(size) || size < 0 || size > 65000) throw new RangeError(`ping size ${size}`);
    const d = s.parseDestination(address);
    let id = s.random.nextU32() & 0xffff;
    for (let i = 0; i < 65536 && this.#sessions.has(id); i++) id = (id + 1) & 0xffff;
    if (this.#sessions.has(id)) throw new SocketError('ENOBUFS', 'too many ping sessions');
    const session = new PingSession(id, d.family, d.v4, d.v6, d.via, address, count, size, options.ttl ?? 64);
    // Fail fast when there is no route at all.
    const rr = this.#rr;
    if (!(d.family === 4 ? s.route4(d.v4, d.via, rr) : s.route6(d.v6, 0, d.via, rr))) throw new SocketError('ENETUNREACH', `no route to ${address}`);
    this.#sessions.set(id, session);
    const interval = options.intervalMs ?? 1000;
    const timeout = options.timeoutMs ?? 1000;
    let resolve!: (r: PingResult) => void;
    const done = new Promise<PingResult>((r) => (resolve = r));
    const finish = (): void => {
      if (this.#sessions.get(id) !== session) return;
      this.#sessions.delete(id);
      session.sendTimer?.free();
      session.doneTimer?.free();
      options.signal?.removeEventListener('abort', finish);
      resolve({ address, transmitted: session.sent, received: session.received, rttMs: session.rtt, errors: session.errors });
    };
    session.finish = finish;
    session.doneTimer = s.timers.create(finish);
    session.sendTimer = s.timers.create(() => this.#sendNext(session, interval, timeout));
    options.signal?.addEventListener('abort', finish, { once: true });
    if (options.signal?.aborted === true) finish();
    else s.batch(() => this.#sendNext(session, interval, timeout));
    return done;
  }

  #sendNext(p: PingSession, intervalMs: number, timeoutMs: number): void {
    const s = this.#stack;
    const seq = p.sent++;
    p.sentAt[seq] = s.timers.now();
    this.#sendEcho(p, seq);
    if (p.sent < p.count) p.sendTimer!.set(intervalMs);
    else p.doneTimer!.set(timeoutMs);
  }

  #sendEcho(p: PingSession, seq: number): void {
    const s = this.#stack;
    const rr = this.#rr;
    const v6 = p.family === 6;
    if (!(v6 ? s.route6(p.dst6, 0, p.via, rr) : s.route4(p.dst4, p.via, rr))) {
      if (v6) s.counters.ipv6.outNoRoute++;
      else s.counters.ipv4.outNoRoute++;
      return;
    }
    const len = ICMPV4_HEADER_LEN + p.size;
    const tx = s.output.begin(p.family, rr, p.dst4, v6 ? p.dst6 : null, 0, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, len);
    if (tx === null) return;
    tx.hopLimit = p.ttl;
    const b = tx.bytes;
    const o = tx.offset;
    b[o] = v6 ? Icmpv6Type.EchoRequest : Icmpv4Type.EchoRequest;
    b[o + 1] = 0;
    b[o + 4] = p.id >>> 8;
    b[o + 5] = p.id;
    b[o + 6] = seq >>> 8;
    b[o + 7] = seq;
    for (let i = 0; i < p.size; i++) b[o + 8 + i] = (seq + i) & 0xff;
    const c = v6 ? s.counters.icmp6 : s.counters.icmp;
    c.outMsgs++;
    c.outByType[b[o]!]! += 1;
    s.output.send(tx, len);
  }

  #pingReply(dg: Datagram, id: number, seq: number): void {
    const p = this.#sessions.get(id);
    if (p === undefined || p.family !== dg.family || seq >= p.sent || p.rtt[seq] !== null) return;
    if (dg.family === 4 ? dg.src4 !== p.dst4 && p.dst4 !== IPV4_BROADCAST : !isMulticast6(p.dst6, 0) && !eq6(dg.src6, 0, p.dst6, 0)) return;
    p.rtt[seq] = this.#stack.timers.now() - p.sentAt[seq]!;
    p.received++;
    if (p.received === p.count) p.finish();
  }

  // ---------------------------------------------------------------------------------------------
  // Errors we send

  #takeToken(): boolean {
    const o = this.#stack.options;
    const now = this.#stack.timers.now();
    if (this.#refilledAt >= 0) this.#tokens = Math.min(o.icmpErrorBurst, this.#tokens + ((now - this.#refilledAt) * o.icmpErrorsPerSecond) / 1000);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True when `dg` is itself an ICMP error (never answered with another error). */
  #isError(dg: Datagram): boolean {
    if (dg.length < 1) return false;
    if (dg.family === 4) {
      if (dg.protocol !== IpProtocol.Icmp) return false;
      const t = dg.bytes[dg.offset]!;
      return t === 3 || t === 4 || t === 5 || t === 11 || t === 12;
    }
    return dg.protocol === IpProtocol.Icmpv6 && dg.bytes[dg.offset]! < 128;
  }

  /**
   * Sends an ICMP(v6) error of `type`/`code` about `dg` (`rest` is the 32-bit word after the checksum:
   * next-hop MTU, pointer…), unless the rules or the rate limit forbid it.
   */
  sendError(dg: Datagram, type: number, code: number, rest: number): void {
    const s = this.#stack;
    const v6 = dg.family === 6;
    const c = v6 ? s.counters.icmp6 : s.counters.icmp;
    const badSource = v6 ? isUnspecified6(dg.src6, 0) || isMulticast6(dg.src6, 0) : isBadSource4(dg.src4);
    if (dg.cast !== Cast.Unicast || badSource || this.#isError(dg)) {
      c.suppressed++;
      return;
    }
    if (!this.#takeToken()) {
      c.rateLimited++;
      return;
    }
    const headBytes = dg.hdrBytes;
    const headOff = dg.hdrOffset;
    const headLen = dg.hdrLength;
    const tailStart = headBytes === dg.bytes ? headOff + headLen : 0;
    const tailLen = Math.max(0, dg.offset + dg.length - tailStart);
    const limit = (v6 ? ERROR_LIMIT_V6 : ERROR_LIMIT_V4) - 8;
    const quoteHead = Math.min(headLen, limit);
    const quoteTail = Math.min(tailLen, limit - quoteHead);
    const len = 8 + quoteHead + quoteTail;
    const tx = this.#routeBack(dg, len, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp);
    if (tx === null) return;
    const b = tx.bytes;
    const o = tx.offset;
    b[o] = type;
    b[o + 1] = code;
    b[o + 2] = 0;
    b[o + 3] = 0;
    b[o + 4] = rest >>> 24;
    b[o + 5] = rest >>> 16;
    b[o + 6] = rest >>> 8;
    b[o + 7] = rest;
    b.set(headBytes.subarray(headOff, headOff + quoteHead), o + 8);
    b.set(dg.bytes.subarray(tailStart, tailStart + quoteTail), o + 8 + quoteHead);
    c.outMsgs++;
    c.outErrors++;
    c.outByType[type]! += 1;
    s.output.send(tx, len);
  }

  // ---------------------------------------------------------------------------------------------
  // Errors we receive

  #errorIn4(dg: Datagram, type: number, code: number, nextHopMtu: number): void {
    const s = this.#stack;
    const qOff = dg.offset + ICMPV4_HEADER_LEN;
    const qLen = dg.length - ICMPV4_HEADER_LEN;
    if (Ipv4View.checkHeader(dg.bytes, qOff, qLen) !== 0) return;
    const q = this.#qv4.bind(dg.bytes, qOff);
    const src = read4(dg.bytes, qOff + Ipv4Field.SrcAddr);
    const dst = read4(dg.bytes, qOff + Ipv4Field.DstAddr);
    if (s.findLocal4(src) === null) return;
    let kind: TcpIcmpError;
    let mtu = 0;
    if (type === Icmpv4Type.TimeExceeded) kind = 'time-exceeded';
    else if (type === Icmpv4Type.ParameterProblem) kind = 'parameter-problem';
    else {
      switch (code) {
        case Icmpv4Unreachable.Net:
        case Icmpv4Unreachable.NetUnknown:
          kind = 'net-unreachable';
          break;
        case Icmpv4Unreachable.Protocol:
          kind = 'protocol-unreachable';
          break;
        case Icmpv4Unreachable.Port:
          kind = 'port-unreachable';
          break;
        case Icmpv4Unreachable.FragmentationNeeded:
          kind = 'packet-too-big';
          mtu = nextHopMtu;
          break;
        case Icmpv4Unreachable.NetProhibited:
        case Icmpv4Unreachable.HostProhibited:
        case Icmpv4Unreachable.AdministrativelyProhibited:
          kind = 'admin-prohibited';
          break;
        default:
          kind = 'host-unreachable';
      }
    }
    if (kind === 'packet-too-big') {
      if (mtu < PMTU_MIN_IPV4) return; // RFC 1191 plateau search is not done: a 0 MTU is ignored
      const route = s.findLocal4(dst) !== null ? null : s.routes4.lookup4(dst, null);
      const linkMtu = route?.iface.mtu ?? 0;
      if (s.pmtu.update(4, dst, null, 0, mtu, linkMtu, s.timers.now())) {
        s.counters.icmp.pathMtuUpdates++;
        s.routeGeneration++;
      }
    }
    const t = qOff + q.headerLength;
    const avail = dg.offset + dg.length - t;
    if (avail < 4) return;
    if (this.#deliverError(4, q.protocol, dg.bytes, t, avail, kind, mtu, src, dst, null)) s.counters.icmp.errorsDelivered++;
  }

  #errorIn6(dg: Datagram, type: number, code: number, mtuField: number): void {
    const s = this.#stack;
    const qOff = dg.offset + 8;
    const qLen = dg.length - 8;
    if (Ipv6View.checkHeader(dg.bytes, qOff, qLen) !== 0) return;
    const q = this.#qv6.bind(dg.bytes, qOff);
    if (!s.isLocalPreferred6(dg.bytes, q.srcAddrOffset)) return;
    copy6(this.#quotedSrc6, 0, dg.bytes, q.srcAddrOffset);
    copy6(this.#quotedDst6, 0, dg.bytes, q.dstAddrOffset);
    let kind: TcpIcmpError;
    let mtu = 0;
    if (type === Icmpv6Type.PacketTooBig) {
      kind = 'packet-too-big';
      mtu = Math.max(PMTU_MIN_IPV6, Math.min(mtuField, 0xffff));
      const route = s.routes6.lookup6(this.#quotedDst6, 0, null);
      const linkMtu = route?.iface.mtu ?? 0;
      if (s.pmtu.update(6, 0, this.#quotedDst6, 0, mtu, linkMtu, s.timers.now())) {
        s.counters.icmp6.pathMtuUpdates++;
        s.routeGeneration++;
      }
    } else if (type === Icmpv6Type.TimeExceeded) kind = 'time-exceeded';
    else if (type === Icmpv6Type.ParameterProblem) kind = 'parameter-problem';
    else if (code === Icmpv6Unreachable.NoRoute) kind = 'net-unreachable';
    else if (code === Icmpv6Unreachable.AdministrativelyProhibited) kind = 'admin-prohibited';
    else if (code === Icmpv6Unreachable.Port) kind = 'port-unreachable';
    else kind = 'host-unreachable';
    // Find the quoted upper-layer header behind any extension headers that fit in the quote.
    const w = this.#walk;
    const quoted = dg.offset + dg.length - q.payloadOffset;
    if (walkIpv6Extensions(dg.bytes, q.payloadOffset, quoted, q.nextHeader, w) !== 0 || w.fragmentOffset !== 0) return;
    const avail = dg.offset + dg.length - w.offset;
    if (avail < 4) return;
    if (this.#deliverError(6, w.protocol, dg.bytes, w.offset, avail, kind, mtu, 0, 0, null)) s.counters.icmp6.errorsDelivered++;
  }

  /**
   * Neighbour resolution gave up on the next hop of a packet we sent (`bytes[ip, ip + length)`, our
   * own IP packet as it was queued): its sender is told the host is unreachable, as if an ICMP host
   * unreachable quoting it had come back. True when a TCP connection, UDP socket or ping was told.
   */
  linkFailure(family: IpFamily, bytes: Uint8Array, ip: number, length: number): boolean {
    if (family === 4) {
      if (Ipv4View.checkHeader(bytes, ip, length) !== 0) return false;
      const q = this.#qv4.bind(bytes, ip);
      // Only the first fragment carries the transport header.
      if (q.fragmentOffset !== 0) return false;
      const dst = read4(bytes, ip + Ipv4Field.DstAddr);
      const t = ip + q.headerLength;
      const avail = ip + length - t;
      if (avail < 4) return false;
      return this.#deliverError(4, q.protocol, bytes, t, avail, 'host-unreachable', 0, read4(bytes, ip + Ipv4Field.SrcAddr), dst, `no ARP reply from ${formatIpv4(dst)}`);
    }
    if (Ipv6View.checkHeader(bytes, ip, length) !== 0) return false;
    const q = this.#qv6.bind(bytes, ip);
    copy6(this.#quotedSrc6, 0, bytes, q.srcAddrOffset);
    copy6(this.#quotedDst6, 0, bytes, q.dstAddrOffset);
    const w = this.#walk;
    if (walkIpv6Extensions(bytes, q.payloadOffset, ip + length - q.payloadOffset, q.nextHeader, w) !== 0 || w.fragmentOffset !== 0) return false;
    const avail = ip + length - w.offset;
    if (avail < 4) return false;
    return this.#deliverError(6, w.protocol, bytes, w.offset, avail, 'host-unreachable', 0, 0, 0, `no neighbour advertisement from ${formatIpv6(this.#quotedDst6)}`);
  }

  /**
   * Passes an error quoting a `protocol` header at `bytes[t]` (`avail` bytes of it; ports in the first
   * 4) to TCP or UDP, or to the ping whose echo request it quotes; true when one took it. `detail`
   * replaces the "ICMP <kind>" text of the error the application sees.
   */
  #deliverError(family: IpFamily, protocol: number, bytes: Uint8Array, t: number, avail: number, kind: TcpIcmpError, mtu: number, src4: number, dst4: number, detail: string | null): boolean {
    const s = this.#stack;
    if (protocol === (family === 4 ? IpProtocol.Icmp : IpProtocol.Icmpv6)) return avail >= 8 && this.#pingError(family, bytes, t, kind, dst4);
    const localPort = (bytes[t]! << 8) | bytes[t + 1]!;
    const remotePort = (bytes[t + 2]! << 8) | bytes[t + 3]!;
    if (protocol === IpProtocol.Tcp) {
      // The quoted sequence number (RFC 5927 §4.1: it must be in flight) when the quote has it.
      const seq = avail >= 8 ? ((bytes[t + 4]! << 24) | (bytes[t + 5]! << 16) | (bytes[t + 6]! << 8) | bytes[t + 7]!) : undefined;
      // Passed for our own queued segments only; received errors are matched by the flow alone.
      return s.tcpHost.icmpError(family, src4, dst4, this.#quotedSrc6, this.#quotedDst6, localPort, remotePort, kind, mtu, detail === null ? undefined : seq, detail ?? undefined);
    }
    if (protocol === IpProtocol.Udp) return s.udp.icmpError(family, src4, dst4, this.#quotedSrc6, this.#quotedDst6, localPort, remotePort, kind, mtu, detail ?? undefined);
    return false;
  }

  /** An error quoting one of our echo requests: recorded against that request of its ping. */
  #pingError(family: IpFamily, bytes: Uint8Array, t: number, kind: TcpIcmpError, dst4: number): boolean {
    if (bytes[t] !== (family === 4 ? Icmpv4Type.EchoRequest : Icmpv6Type.EchoRequest)) return false;
    const p = this.#sessions.get((bytes[t + 4]! << 8) | bytes[t + 5]!);
    const seq = (bytes[t + 6]! << 8) | bytes[t + 7]!;
    if (p === undefined || p.family !== family || seq >= p.sent || p.rtt[seq] !== null) return false;
    if (family === 4 ? (dst4 | 0) !== (p.dst4 | 0) : !eq6(this.#quotedDst6, 0, p.dst6, 0)) return false;
    p.errors[seq] = icmpErrorCode(kind);
    return true;
  }

  /** Ping sessions in progress (tests, inspection). */
  get pingSessions(): number {
    return this.#sessions.size;
  }

  /** Ends every ping in progress (the last interface went away: no reply can come). */
  finishAll(): void {
    for (const p of [...this.#sessions.values()]) p.finish();
  }
}
