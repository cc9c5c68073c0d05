/**
 * UDP (RFC 768; over IPv6 RFC 8200 §8.1) and its sockets.
 *
 * ## API
 *
 * ```ts
 * const sock = protocol.stack.udp.open(4);          // or 6; one family per socket (no dual stack)
 * sock.bind(7);                                      // port 0 / omitted: an ephemeral port (49152–65535)
 * sock.bind(7, '198.18.0.2');                        // a specific local address; EADDRINUSE on conflict
 * sock.connect('198.18.0.1', 9);                     // default destination + only datagrams from it
 * sock.send(bytes);                                  // connected; or sock.send(bytes, '198.18.0.1', 9)
 * sock.send(bytes, 'fe80::1%eth0', 9);               // link-local needs the zone (adapter short name)
 *
 * // Callback mode (zero copy): `bytes[offset, offset+length)` and `from` are valid during the call only.
 * sock.onMessage = (bytes, offset, length, from) => { … from.address, from.port … };
 * // Iterator mode (when no onMessage is set): copies in a bounded queue, oldest kept, overflow counted.
 * for await (const m of sock) { m.data; m.address; m.port }
 * const m = await sock.receive();                    // one message, or null once closed
 *
 * sock.segmentSize = 1400;                          // like Linux UDP_SEGMENT: a send of more bytes goes out as
 *                                                    //   a train of 1400-byte datagrams (the last shorter), cut
 *                                                    //   by the adapter (USO) when it offers it, else here
 * sock.onError = (e) => …;                           // ICMP errors on a connected socket:
 * sock.takeError();                                  //   ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EMSGSIZE …
 *                                                    //   (EHOSTUNREACH too when ARP/ND for the next hop fails)
 * sock.close();
 * ```
 * `send` returns true when the datagram went to the IP layer and false when it was dropped for lack of
 * buffers (counted); it throws `SocketError` for EDESTADDRREQ, ENETUNREACH (no route), EMSGSIZE (over
 * 65507/65527 bytes), EINVAL. Datagrams larger than the path MTU are fragmented.
 *
 * Segmented sends (`segmentSize` > 0, Linux's UDP_SEGMENT): a buffer longer than the segment size is
 * sent as ⌈length / segmentSize⌉ datagrams of segmentSize bytes (the last may be shorter). The segment
 * size plus the IP and UDP headers must fit the path MTU and a train holds at most 64 datagrams
 * (EINVAL otherwise, as Linux). When the adapter's current offload configuration has USO for the family
 * and the send meets its MaxOffLoadSize / MinSegmentCount (and divides evenly if it has no sub-MSS last
 * segment), the whole buffer goes down as one USO NBL; otherwise each datagram is sent here.
 *
 * Receive: checksums are verified unless the adapter did (a zero checksum means "none" over IPv4 and is
 * dropped over IPv6); a datagram for a port nobody bound gets an ICMP port unreachable (rate limited).
 * Broadcasts and all-hosts/all-nodes multicasts reach sockets bound to the wildcard address. Not
 * supported: multicast group membership, SO_REUSEADDR, dual-stack (v4-mapped) sockets.
 */
import {
  Icmpv4Type,
  Icmpv4Unreachable,
  Icmpv6Type,
  Icmpv6Unreachable,
  IpProtocol,
  UDP_HEADER_LEN,
  UdpView,
  formatIpv4,
  formatIpv6,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
} from '../../../wire/index.js';
import { copy6, eq6, isUnspecified6, parseIpAddress, type IpFamily } from './addr.js';
import type { IpInterface } from './interface.js';
import { RouteResult, RxChecksum, type Datagram } from './packet.js';
import type { TcpIpStack } from './stack.js';
import type { TcpIcmpError } from './tcp/host.js';

export type SocketErrorCode =
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EINVAL'
  | 'EDESTADDRREQ'
  | 'ENETUNREACH'
  | 'EHOSTUNREACH'
  | 'ECONNREFUSED'
  | 'EMSGSIZE'
  | 'ENOBUFS'
  | 'EACCES'
  | 'EPROTO';

/** Most datagrams one segmented send may make (Linux's UDP_MAX_SEGMENTS was 64 before 6.9). */
export const UDP_MAX_SEGMENTS = 64;

/** A socket-level failure with its errno-style code (`e.code === 'EADDRINUSE'`). */
export class SocketError extends Error {
  constructor(
    readonly code: SocketErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'SocketError';
  }
}

/** Where a datagram came from; one object reused per datagram in callback mode. */
export class UdpEndpoint {
  family: IpFamily = 4;
  address4 = 0;
  readonly address6 = new Uint8Array(16);
  port = 0;
  /** Interface it arrived on (the zone of a link-local address). */
  iface: IpInterface | null = null;

  /** The address as text (`'198.18.0.1'`, `'fe80::1%eth0'`); allocates. */
  get address(): string {
    if (this.family === 4) return formatIpv4(this.address4);
    const s = formatIpv6(this.address6);
    return this.address6[0] === 0xfe && (this.address6[1]! & 0xc0) === 0x80 && this.iface !== null ? `${s}%${this.iface.name}` : s;
  }
}

export interface UdpMessage {
  readonly data: Uint8Array;
  readonly address: string;
  readonly port: number;
  readonly family: IpFamily;
}

export type UdpMessageHandler = (bytes: Uint8Array, offset: number, length: number, from: UdpEndpoint) => void;

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

/** The socket error an ICMP error of `kind` means. */
export function icmpErrorCode(kind: TcpIcmpError): SocketErrorCode {
  switch (kind) {
    case 'port-unreachable':
    case 'protocol-unreachable':
      return 'ECONNREFUSED';
    case 'net-unreachable':
      return 'ENETUNREACH';
    case 'packet-too-big':
      return 'EMSGSIZE';
    case 'admin-prohibited':
      return 'EACCES';
    case 'parameter-problem':
      return 'EPROTO';
    default:
      return 'EHOSTUNREACH';
  }
}

export class UdpSocket {
  localPort = 0;
  local4 = 0;
  readonly local6 = new Uint8Array(16);
  connected = false;
  /**
   * UDP_SEGMENT: sends longer than this go out as a train of datagrams of this many payload bytes
   * (0 = off). Checked against the path MTU at send time (EINVAL).
   */
  segmentSize = 0;
  remote4 = 0;
  readonly remote6 = new Uint8Array(16);
  remotePort = 0;
  remoteVia: IpInterface | null = null;
  /** Callback mode: called for each datagram (see the module comment). */
  onMessage: UdpMessageHandler | null = null;
  onError: ((e: SocketError) => void) | null = null;
  #error: SocketError | null = null;
  #closed = false;
  readonly #queue: UdpMessage[] = [];
  #waiters: ((m: UdpMessage | null) => void)[] = [];

  constructor(
    readonly layer: UdpLayer,
    readonly family: IpFamily,
  ) {}

  get bound(): boolean {
    return this.localPort !== 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get localAddress(): string {
    return this.family === 4 ? formatIpv4(this.local4) : formatIpv6(this.local6);
  }

  /** Binds to `port` (0: ephemeral) on `address` (default: any). Throws SocketError EADDRINUSE / EADDRNOTAVAIL / EINVAL. */
  bind(port = 0, address?: string): this {
    this.layer.bind(this, port, address);
    return this;
  }

  /** Sets the default destination and accepts datagrams only from it. Binds an ephemeral port first if needed. */
  connect(address: string, port: number): this {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SocketError('EINVAL', `port ${port}`);
    const d = this.layer.stack.parseDestination(address);
    if (d.family !== this.family) throw new SocketError('EINVAL', `${address} is not an IPv${this.family} address`);
    if (!this.bound) this.layer.bind(this, 0, undefined);
    this.remote4 = d.v4;
    copy6(this.remote6, 0, d.v6, 0);
    this.remotePort = port;
    this.remoteVia = d.via;
    this.connected = true;
    return this;
  }

  disconnect(): void {
    this.connected = false;
  }

  /** Sends `data` to the connected peer or to `address`:`port`. See the module comment for results. */
  send(data: Uint8Array, address?: string, port?: number): boolean {
    if (this.#closed) throw new SocketError('EINVAL', 'socket closed');
    if (address === undefined) {
      if (!this.connected) throw new SocketError('EDESTADDRREQ', 'not connected and no destination given');
      return this.layer.sendTo(this, data, this.remote4, this.remote6, this.remotePort, this.remoteVia);
    }
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) throw new SocketError('EINVAL', `port ${String(port)}`);
    const d = this.layer.stack.parseDestination(address);
    if (d.family !== this.family) throw new SocketError('EINVAL', `${address} is not an IPv${this.family} address`);
    return this.layer.sendTo(this, data, d.v4, d.v6, port, d.via);
  }

  /** The next datagram (a copy), or null once the socket is closed. */
  receive(): Promise<UdpMessage | null> {
    const m = this.#queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<UdpMessage> {
    for (;;) {
      const m = await this.receive();
      if (m === null) return;
      yield m;
    }
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** The pending ICMP-reported error (SO_ERROR), cleared by reading it. */
  takeError(): SocketError | null {
    const e = this.#error;
    this.#error = null;
    return e;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.layer.unbind(this);
    for (const w of this.#waiters.splice(0)) w(null);
  }

  /** Queues a copy for the iterator; false when the queue is full. */
  enqueue(bytes: Uint8Array, offset: number, length: number, from: UdpEndpoint, limit: number): boolean {
    const w = this.#waiters.shift();
    const m: UdpMessage = { data: bytes.slice(offset, offset + length), address: from.address, port: from.port, family: from.family };
    if (w !== undefined) {
      w(m);
      return true;
    }
    if (this.#queue.length >= limit) return false;
    this.#queue.push(m);
    return true;
  }

  reportError(e: SocketError): void {
    this.#error = e;
    this.onError?.(e);
  }
}

export class UdpLayer {
  readonly stack: TcpIpStack;
  readonly #ports4 = new Map<number, UdpSocket[]>();
  readonly #ports6 = new Map<number, UdpSocket[]>();
  readonly #view = new UdpView();
  readonly #from = new UdpEndpoint();
  readonly #rr = new RouteResult();
  #nextEphemeral: number;
  /** Exceptions thrown by onMessage handlers (caught: a user bug must not take the binding down). */
  callbackErrors = 0;

  /** @internal */
  constructor(stack: TcpIpStack) {
    this.stack = stack;
    this.#nextEphemeral = stack.random.nextU32() % EPHEMERAL_COUNT;
  }

  open(family: IpFamily): UdpSocket {
    if (family !== 4 && family !== 6) throw new SocketError('EINVAL', `family ${String(family)}`);
    return new UdpSocket(this, family);
  }

  get socketCount(): number {
    let n = 0;
    for (const l of this.#ports4.values()) n += l.length;
    for (const l of this.#ports6.values()) n += l.length;
    return n;
  }

  #table(family: IpFamily): Map<number, UdpSocket[]> {
    return family === 4 ? this.#ports4 : this.#ports6;
  }

  #conflicts(sock: UdpSocket, port: number): boolean {
    const list = this.#table(sock.family).get(port);
    if (list === undefined) return false;
    for (const o of list) {
      if (sock.family === 4) {
        if (o.local4 === 0 || sock.local4 === 0 || o.local4 === sock.local4) return true;
      } else if (isUnspecified6(o.local6) || isUnspecified6(sock.local6) || eq6(o.local6, 0, sock.local6, 0)) return true;
    }
    return false;
  }

  /** @internal */
  bind(sock: UdpSocket, port: number, address: string | undefined): void {
    if (sock.closed) throw new SocketError('EINVAL', 'socket closed');
    if (sock.bound) throw new SocketError('EINVAL', 'already bound');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SocketError('EINVAL', `port ${port}`);
    if (address !== undefined) {
      const a = parseIpAddress(address);
      if (a.family !== sock.family) throw new SocketError('EINVAL', `${address} is not an IPv${sock.family} address`);
      if (a.family === 4) {
        if (a.v4 !== 0 && this.stack.findLocal4(a.v4) === null && a.v4 >>> 24 !== 127) throw new SocketError('EADDRNOTAVAIL', `${address} is not ours`);
        sock.local4 = a.v4;
      } else {
        if (!isUnspecified6(a.v6) && this.stack.findLocal6(a.v6, 0) === null && !this.stack.isLocalPreferred6(a.v6, 0)) throw new SocketError('EADDRNOTAVAIL', `${address} is not ours`);
        copy6(sock.local6, 0, a.v6, 0);
      }
    }
    if (port === 0) {
      for (let i = 0; i < EPHEMERAL_COUNT; i++) {
        const p = EPHEMERAL_FIRST + ((this.#nextEphemeral + i) % EPHEMERAL_COUNT);
        if (!this.#conflicts(sock, p)) {
          port = p;
          this.#nextEphemeral = (this.#nextEphemeral + i + 1) % EPHEMERAL_COUNT;
          break;
        }
      }
      if (port === 0) throw new SocketError('EADDRINUSE', 'no ephemeral port left');
    } else if (this.#conflicts(sock, port)) {
      throw new SocketError('EADDRINUSE', `port ${port} is in use`);
    }
    const t = this.#table(sock.family);
    const list = t.get(port);
    if (list === undefined) t.set(port, [sock]);
    else list.push(sock);
    sock.localPort = port;
  }

  /** @internal */
  unbind(sock: UdpSocket): void {
    if (!sock.bound) return;
    const t = this.#table(sock.family);
    const list = t.get(sock.localPort);
    if (list !== undefined) {
      const rest = list.filter((s) => s !== sock);
      if (rest.length === 0) t.delete(sock.localPort);
      else t.set(sock.localPort, rest);
    }
  }

  /** The socket for a datagram to `dstPort` from (`src`, `srcPort`): connected and exact matches first. */
  #match(dg: Datagram, dstPort: number, srcPort: number): UdpSocket | null {
    const list = this.#table(dg.family).get(dstPort);
    if (list === undefined) return null;
    let best: UdpSocket | null = null;
    let bestScore = -1;
    for (let i = 0; i < list.length; i++) {
      const sock = list[i]!;
      let score = 0;
      if (dg.family === 4) {
        if (sock.local4 !== 0) {
          if (sock.local4 !== dg.dst4) continue;
          score += 1;
        }
        if (sock.connected) {
          if (sock.remote4 !== dg.src4 || sock.remotePort !== srcPort) continue;
          score += 2;
        }
      } else {
        if (!isUnspecified6(sock.local6)) {
          if (!eq6(sock.local6, 0, dg.dst6, 0)) continue;
          score += 1;
        }
        if (sock.connected) {
          if (!eq6(sock.remote6, 0, dg.src6, 0) || sock.remotePort !== srcPort) continue;
          score += 2;
        }
      }
      if (score > bestScore) {
        best = sock;
        bestScore = score;
      }
    }
    return best;
  }

  /** @internal A datagram for UDP; counts exactly one outcome. */
  input(dg: Datagram): void {
    const s = this.stack;
    const c = s.counters.udp;
    const err = UdpView.check(dg.bytes, dg.offset, dg.length);
    if (err !== 0) {
      c.badLength++;
      return;
    }
    const v = this.#view.bind(dg.bytes, dg.offset);
    if ((dg.checksum & RxChecksum.UdpFailed) !== 0) {
      c.hwChecksumFailed++;
      return;
    }
    if (v.checksum === 0) {
      if (dg.family === 6) {
        c.zeroChecksum6++;
        return;
      }
    } else if ((dg.checksum & RxChecksum.UdpOk) === 0) {
      const pseudo = dg.family === 4 ? ipv4PseudoHeaderSum(dg.src4, dg.dst4, IpProtocol.Udp, v.length) : ipv6PseudoHeaderSum(dg.src6, dg.dst6, IpProtocol.Udp, v.length);
      if (!v.verifyChecksum(pseudo)) {
        c.badChecksum++;
        return;
      }
    }
    const dstPort = v.dstPort;
    const srcPort = v.srcPort;
    const sock = this.#match(dg, dstPort, srcPort);
    if (sock === null) {
      c.noPorts++;
      if (dg.family === 4) s.icmp.sendError(dg, Icmpv4Type.DestinationUnreachable, Icmpv4Unreachable.Port, 0);
      else s.icmp.sendError(dg, Icmpv6Type.DestinationUnreachable, Icmpv6Unreachable.Port, 0);
      return;
    }
    const from = this.#from;
    from.family = dg.family;
    from.address4 = dg.src4;
    if (dg.family === 6) copy6(from.address6, 0, dg.src6, 0);
    from.port = srcPort;
    from.iface = dg.iface;
    const payloadOff = v.payloadOffset;
    const payloadLen = v.payloadLength;
    const handler = sock.onMessage;
    if (handler !== null) {
      c.inDatagrams++;
      try {
        handler(dg.bytes, payloadOff, payloadLen, from);
      } catch (e) {
        this.callbackErrors++;
        dg.iface?.log('error', `UDP onMessage handler threw: ${e instanceof Error ? e.message : String(e)}`);
      }
      return;
    }
    if (sock.enqueue(dg.bytes, payloadOff, payloadLen, from, s.options.udpReceiveQueue)) c.inDatagrams++;
    else c.receiveQueueFull++;
  }

  /** @internal Sends one datagram from `sock`; see UdpSocket.send. */
  sendTo(sock: UdpSocket, data: Uint8Array, dst4: number, dst6: Uint8Array, port: number, via: IpInterface | null): boolean {
    const s = this.stack;
    const c = s.counters.udp;
    const v6 = sock.family === 6;
    const max = 65535 - (v6 ? 0 : 20) - UDP_HEADER_LEN;
    if (data.length > max) throw new SocketError('EMSGSIZE', `${data.length} bytes exceed the ${max}-byte UDP maximum`);
    const rr = this.#rr;
    if (!(v6 ? s.route6(dst6, 0, via, rr) : s.route4(dst4, via, rr))) {
      if (v6) s.counters.ipv6.outNoRoute++;
      else s.counters.ipv4.outNoRoute++;
      c.sendErrors++;
      throw new SocketError('ENETUNREACH', `no route to ${v6 ? formatIpv6(dst6) : formatIpv4(dst4)}`);
    }
    if (!sock.bound) this.bind(sock, 0, undefined);
    if (v6) {
      if (!isUnspecified6(sock.local6)) copy6(rr.src6, 0, sock.local6, 0);
    } else if (sock.local4 !== 0) rr.src4 = sock.local4;
    const gso = sock.segmentSize;
    if (gso > 0 && data.length > gso) return this.#sendSegmented(sock, data, dst4, dst6, port, gso);
    return this.#sendOne(sock, data, 0, data.length, dst4, dst6, port);
  }

  /** One datagram of `data[from, from + n)` on the route in this.#rr. */
  #sendOne(sock: UdpSocket, data: Uint8Array, from: number, n: number, dst4: number, dst6: Uint8Array, port: number): boolean {
    const s = this.stack;
    const c = s.counters.udp;
    const v6 = sock.family === 6;
    const rr = this.#rr;
    const total = UDP_HEADER_LEN + n;
    s.enter();
    try {
      const tx = s.output.begin(sock.family, rr, dst4, v6 ? dst6 : null, 0, IpProtocol.Udp, total);
      if (tx === null) {
        c.sendErrors++;
        return false;
      }
      const b = tx.bytes;
      const o = tx.offset;
      b[o] = sock.localPort >>> 8;
      b[o + 1] = sock.localPort;
      b[o + 2] = port >>> 8;
      b[o + 3] = port;
      b[o + 4] = total >>> 8;
      b[o + 5] = total;
      b[o + 6] = 0;
      b[o + 7] = 0;
      b.set(n === data.length ? data : data.subarray(from, from + n), o + UDP_HEADER_LEN);
      c.outDatagrams++;
      s.output.send(tx, total);
      return true;
    } finally {
      s.exit();
    }
  }

  /**
   * A UDP_SEGMENT send: one USO NBL when the interface's offloads allow this one, else a train of
   * datagrams sent one by one. True when every datagram went to the IP layer.
   */
  #sendSegmented(sock: UdpSocket, data: Uint8Array, dst4: number, dst6: Uint8Array, port: number, gso: number): boolean {
    const s = this.stack;
    const c = s.counters.udp;
    const v6 = sock.family === 6;
    const rr = this.#rr;
    const ipHeader = v6 ? 40 : 20;
    const count = Math.ceil(data.length / gso);
    if (ipHeader + UDP_HEADER_LEN + gso > rr.mtu || count > UDP_MAX_SEGMENTS) {
      c.sendErrors++;
      throw new SocketError('EINVAL', `segment size ${gso} with ${data.length} bytes: each datagram must fit the ${rr.mtu}-byte path MTU and a send holds at most ${UDP_MAX_SEGMENTS} datagrams`);
    }
    const o = rr.iface?.offload;
    const max = o === undefined || rr.local ? 0 : v6 ? o.uso6MaxPayload : o.uso4MaxPayload;
    const minSegments = v6 ? o?.uso6MinSegments ?? 0 : o?.uso4MinSegments ?? 0;
    const subMss = v6 ? o?.uso6SubMss === true : o?.uso4SubMss === true;
    const room = rr.iface?.port?.largeTransportCapacity ?? 0;
    if (max > 0 && data.length <= max && UDP_HEADER_LEN + data.length <= room && count >= minSegments && (subMss || data.length % gso === 0)) {
      const total = UDP_HEADER_LEN + data.length;
      s.enter();
      try {
        const tx = s.output.begin(sock.family, rr, dst4, v6 ? dst6 : null, 0, IpProtocol.Udp, total, true);
        if (tx !== null && tx.capacity >= total) {
          const b = tx.bytes;
          const at = tx.offset;
          b[at] = sock.localPort >>> 8;
          b[at + 1] = sock.localPort;
          b[at + 2] = port >>> 8;
          b[at + 3] = port;
          // The length of the whole datagram: the adapter writes each datagram's own.
          b[at + 4] = total >>> 8;
          b[at + 5] = total;
          b.set(data, at + UDP_HEADER_LEN);
          c.outDatagrams += count;
          c.usoSends++;
          c.usoDatagrams += count;
          s.output.sendUso(tx, total, gso);
          return true;
        }
        if (tx !== null) s.output.release(tx);
      } finally {
        s.exit();
      }
    }
    // No USO for this send: the datagrams one by one, each with its own header and checksum.
    c.segmentedSends++;
    let all = true;
    for (let from = 0; from < data.length; from += gso) {
      if (!this.#sendOne(sock, data, from, Math.min(gso, data.length - from), dst4, dst6, port)) all = false;
    }
    return all;
  }

  /** @internal An ICMP error quoting a datagram we sent from `localPort` to `remotePort`: reported on the connected socket. */
  icmpError(family: IpFamily, src4: number, dst4: number, src6: Uint8Array, dst6: Uint8Array, localPort: number, remotePort: number, kind: TcpIcmpError, _mtu: number, detail?: string): boolean {
    const list = this.#table(family).get(localPort);
    if (list === undefined) return false;
    for (const sock of list) {
      if (!sock.connected || sock.remotePort !== remotePort) continue;
      if (family === 4 ? sock.remote4 !== dst4 || (sock.local4 !== 0 && sock.local4 !== src4) : !eq6(sock.remote6, 0, dst6, 0) || (!isUnspecified6(sock.local6) && !eq6(sock.local6, 0, src6, 0))) continue;
      sock.reportError(new SocketError(icmpErrorCode(kind), detail ?? `ICMP ${kind} from ${family === 4 ? formatIpv4(dst4) : formatIpv6(dst6)}:${remotePort}`));
      return true;
    }
    return false;
  }
}
