/**
 * A simulated link for the TCP engine: two `TcpHost`s joined by an in-memory wire driven by a
 * ManualScheduler (fake time), with per-direction delay, jitter, random loss, reordering,
 * duplication, a bottleneck (rate + drop-tail queue), an MTU (with optional ICMP packet-too-big), a
 * software LSO that splits large buffers the way an adapter would, and an RSC mode that merges
 * in-order segments before delivery. Every segment that crosses is recorded, so tests can count and
 * inspect what was on the wire. All randomness is seeded.
 */
import { ManualScheduler } from '../../src/core/time/scheduler.js';
import { TcpLayer } from '../../src/drivers/protocol/tcpip/tcp/layer.js';
import type { TcpConfig, TcpConnection, TcpConnectionEvents } from '../../src/drivers/protocol/tcpip/tcp/api.js';
import type { TcpError } from '../../src/drivers/protocol/tcpip/tcp/errors.js';
import type { IpFamily, TcpFlow, TcpHost, TcpOutputBuffer, TcpRoute, TcpTimer } from '../../src/drivers/protocol/tcpip/tcp/host.js';
import { IpProtocol, TcpFlags, TcpView, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum } from '../../src/wire/index.js';

/** A small seeded PRNG (mulberry32). */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 0x1_0000_0000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export interface DirectionParams {
  delayMs: number;
  jitterMs: number;
  lossRate: number;
  /** Probability that a segment is held back by `reorderDelayMs` extra (so later ones overtake it). */
  reorderRate: number;
  reorderDelayMs: number;
  duplicateRate: number;
  /** Bottleneck in bytes per ms (0: unlimited) and its drop-tail queue in bytes. */
  rateBytesPerMs: number;
  queueBytes: number;
  /** Largest IP packet the link carries (TCP segment + the IP header length of the route). */
  mtu: number;
  /** Send ICMP packet-too-big back for oversized packets. */
  icmpTooBig: boolean;
  /** Merge in-order data segments of one flow that arrive together into one coalesced input (RSC). */
  rsc: boolean;
}

export const DEFAULT_DIRECTION: DirectionParams = {
  delayMs: 5,
  jitterMs: 0,
  lossRate: 0,
  reorderRate: 0,
  reorderDelayMs: 0,
  duplicateRate: 0,
  rateBytesPerMs: 0,
  queueBytes: 1 << 20,
  mtu: 1500,
  icmpTooBig: false,
  rsc: false,
};

export interface WireRecord {
  time: number;
  /** 'a' or 'b': the sender. */
  from: Side;
  /** The TCP segment (header + payload), checksum filled. */
  bytes: Uint8Array;
  fate: 'delivered' | 'lost' | 'queue-drop' | 'too-big' | 'filtered' | 'pending';
}

export type Side = 'a' | 'b';

/** What a filter may do with a segment in flight: pass it, drop it, or replace its bytes. */
export type FilterVerdict = 'pass' | 'drop' | Uint8Array;

class TestTimer implements TcpTimer {
  readonly #timer;
  #freed = false;
  constructor(
    readonly host: TestTcpHost,
    callback: () => void,
  ) {
    this.#timer = host.scheduler.createTimer(callback);
    host.liveTimers++;
  }
  set(delayMs: number): void {
    if (this.#freed) throw new Error('TcpTimer.set after free');
    if (!(delayMs >= 0)) throw new Error(`TcpTimer.set(${String(delayMs)})`);
    this.host.scheduler.setTimer(this.#timer, delayMs);
  }
  cancel(): void {
    this.host.scheduler.cancelTimer(this.#timer);
  }
  free(): void {
    if (this.#freed) throw new Error('TcpTimer freed twice');
    this.#freed = true;
    this.host.liveTimers--;
    this.host.scheduler.cancelTimer(this.#timer);
  }
}

/** Headroom the host leaves in front of the TCP header (Ethernet + IPv6), so offsets are exercised. */
const HEADROOM = 54;

export class TestTcpHost implements TcpHost {
  readonly layer: TcpLayer;
  readonly routeInfo: { mtu: number; ipHeaderLength: number; lsoMaxPayload: number; lsoMinSegments: number; generation: number };
  liveTimers = 0;
  outstandingBuffers = 0;
  /** Segments put on the wire (LSO buffers counted as their pieces). */
  segmentsSent = 0;
  /** When > 0, `allocate` fails that many more times. */
  failAllocations = 0;
  #noRoute = false;
  readonly #rng: Rng;

  constructor(
    readonly link: TcpLink,
    readonly side: Side,
    readonly family: IpFamily,
    readonly address: Uint8Array,
    seed: number,
    config: Partial<TcpConfig>,
  ) {
    this.#rng = new Rng(seed);
    this.routeInfo = { mtu: 1500, ipHeaderLength: family === 4 ? 20 : 40, lsoMaxPayload: 0, lsoMinSegments: 2, generation: 1 };
    this.layer = new TcpLayer(this, config);
    // Connection timers only: the layer's own (its memory sweep) lives as long as the layer.
    this.liveTimers = 0;
  }

  get scheduler(): ManualScheduler {
    return this.link.scheduler;
  }

  now(): number {
    return this.link.scheduler.now();
  }
  createTimer(callback: () => void): TcpTimer {
    return new TestTimer(this, callback);
  }
  random32(): number {
    return this.#rng.u32();
  }
  sourceAddress(family: IpFamily): Uint8Array | null {
    return family === this.family ? this.address : null;
  }
  route(): TcpRoute | null {
    return this.#noRoute ? null : this.routeInfo;
  }
  /** When set, `route` returns null; like the IP layer, the change bumps the route's generation. */
  get noRoute(): boolean {
    return this.#noRoute;
  }
  set noRoute(v: boolean) {
    this.#noRoute = v;
    this.routeInfo.generation++;
  }
  /** Changes the route (MTU, LSO) and bumps its generation, as the IP layer does. */
  setRoute(change: Partial<Omit<TcpRoute, 'generation'>>): void {
    Object.assign(this.routeInfo, change);
    this.routeInfo.generation++;
  }
  allocate(_flow: TcpFlow, length: number): TcpOutputBuffer | null {
    if (this.failAllocations > 0) {
      this.failAllocations--;
      return null;
    }
    this.outstandingBuffers++;
    const bytes = new Uint8Array(HEADROOM + length);
    bytes.fill(0xee);
    return { bytes, offset: HEADROOM, capacity: length };
  }
  release(): void {
    this.outstandingBuffers--;
  }
  transmit(flow: TcpFlow, buffer: TcpOutputBuffer, length: number, tcpHeaderLength: number, mss: number): void {
    this.outstandingBuffers--;
    if (length > buffer.capacity) throw new Error(`transmit: ${String(length)} bytes in a ${String(buffer.capacity)}-byte buffer`);
    const seg = buffer.bytes.slice(buffer.offset, buffer.offset + length);
    const payload = length - tcpHeaderLength;
    if (mss > 0 && payload > mss) {
      if (this.routeInfo.lsoMaxPayload === 0) throw new Error('LSO buffer without LSO in the route');
      if (payload > this.routeInfo.lsoMaxPayload) throw new Error(`LSO buffer of ${String(payload)} > lsoMaxPayload`);
      if (Math.ceil(payload / mss) < this.routeInfo.lsoMinSegments) throw new Error('LSO buffer below lsoMinSegments');
      this.link.lsoBuffers++;
      for (const piece of segmentLso(seg, tcpHeaderLength, mss)) this.#send(flow, piece);
      return;
    }
    this.#send(flow, seg);
  }
  #send(flow: TcpFlow, seg: Uint8Array): void {
    this.segmentsSent++;
    fillChecksum(flow, seg);
    this.link.carry(this.side, flow, seg);
  }
}

/** Splits an LSO buffer into segments of `mss` payload bytes (sequence numbers advance; FIN/PSH only on the last). */
export function segmentLso(seg: Uint8Array, hl: number, mss: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const payload = seg.length - hl;
  const v = new TcpView();
  const seq = v.bind(seg, 0).seqNumber;
  const flags = v.flags;
  for (let at = 0; at < payload; at += mss) {
    const n = Math.min(mss, payload - at);
    const piece = new Uint8Array(hl + n);
    piece.set(seg.subarray(0, hl), 0);
    piece.set(seg.subarray(hl + at, hl + at + n), hl);
    const pv = v.bind(piece, 0);
    pv.seqNumber = (seq + at) >>> 0;
    const last = at + n >= payload;
    pv.flags = last ? flags : flags & ~(TcpFlags.Fin | TcpFlags.Psh);
    out.push(piece);
  }
  return out;
}

function pseudoSum(flow: TcpFlow, length: number, reverse: boolean): number {
  const src = reverse ? flow.remoteAddress : flow.localAddress;
  const dst = reverse ? flow.localAddress : flow.remoteAddress;
  if (flow.family === 4) {
    const a = ((src[0]! << 24) | (src[1]! << 16) | (src[2]! << 8) | src[3]!) >>> 0;
    const b = ((dst[0]! << 24) | (dst[1]! << 16) | (dst[2]! << 8) | dst[3]!) >>> 0;
    return ipv4PseudoHeaderSum(a, b, IpProtocol.Tcp, length);
  }
  return ipv6PseudoHeaderSum(src, dst, IpProtocol.Tcp, length);
}

/** Fills the checksum of a segment sent on `flow` (as the host's IP layer would). */
export function fillChecksum(flow: TcpFlow, seg: Uint8Array): void {
  new TcpView().bind(seg, 0).fillChecksum(seg.length, pseudoSum(flow, seg.length, false));
}

export interface LinkOptions {
  family?: IpFamily;
  seed?: number;
  /** Both directions, then per direction. */
  params?: Partial<DirectionParams>;
  ab?: Partial<DirectionParams>;
  ba?: Partial<DirectionParams>;
  config?: Partial<TcpConfig>;
  configA?: Partial<TcpConfig>;
  configB?: Partial<TcpConfig>;
  /** Keep every segment in `trace` (default true). */
  trace?: boolean;
}

export const ADDR_A4 = new Uint8Array([198, 18, 0, 1]);
export const ADDR_B4 = new Uint8Array([198, 18, 0, 2]);
export const ADDR_A6 = new Uint8Array([0xfd, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
export const ADDR_B6 = new Uint8Array([0xfd, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);

interface InFlight {
  from: Side;
  flow: TcpFlow;
  bytes: Uint8Array;
  record: WireRecord | null;
}

export class TcpLink {
  readonly scheduler = new ManualScheduler(1_000_000);
  readonly a: TestTcpHost;
  readonly b: TestTcpHost;
  readonly params: Record<'ab' | 'ba', DirectionParams>;
  readonly trace: WireRecord[] = [];
  readonly #traceOn: boolean;
  readonly #rng: Rng;
  /** Called for every segment before the link's own impairments. */
  filter: ((from: Side, bytes: Uint8Array, flow: TcpFlow) => FilterVerdict) | null = null;
  lsoBuffers = 0;
  delivered = 0;
  /** Departure time of the last packet through each bottleneck. */
  readonly #busyUntil = { ab: 0, ba: 0 };
  /** Packets held for RSC merging per direction, flushed at the end of the current time step. */
  readonly #rscHold: { ab: InFlight[]; ba: InFlight[] } = { ab: [], ba: [] };
  #inFlight = 0;

  constructor(options: LinkOptions = {}) {
    const family = options.family ?? 4;
    const seed = options.seed ?? 1;
    this.#rng = new Rng(seed * 7919 + 1);
    this.#traceOn = options.trace ?? true;
    this.params = {
      ab: { ...DEFAULT_DIRECTION, ...options.params, ...options.ab },
      ba: { ...DEFAULT_DIRECTION, ...options.params, ...options.ba },
    };
    this.a = new TestTcpHost(this, 'a', family, family === 4 ? ADDR_A4 : ADDR_A6, seed * 2 + 11, { ...options.config, ...options.configA });
    this.b = new TestTcpHost(this, 'b', family, family === 4 ? ADDR_B4 : ADDR_B6, seed * 2 + 12, { ...options.config, ...options.configB });
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  host(side: Side): TestTcpHost {
    return side === 'a' ? this.a : this.b;
  }

  /** Called by a host's transmit. */
  carry(from: Side, flow: TcpFlow, bytes: Uint8Array): void {
    const dir = from === 'a' ? 'ab' : 'ba';
    const p = this.params[dir];
    const now = this.scheduler.now();
    const record: WireRecord | null = this.#traceOn ? { time: now, from, bytes, fate: 'pending' } : null;
    if (record !== null) this.trace.push(record);
    if (this.filter !== null) {
      const verdict = this.filter(from, bytes, flow);
      if (verdict === 'drop') {
        if (record !== null) record.fate = 'filtered';
        return;
      }
      if (verdict instanceof Uint8Array) {
        bytes = verdict;
        fillChecksum(flow, bytes);
        if (record !== null) record.bytes = bytes;
      }
    }
    const ipLength = bytes.length + this.host(from).routeInfo.ipHeaderLength;
    if (ipLength > p.mtu) {
      if (record !== null) record.fate = 'too-big';
      if (p.icmpTooBig) {
        const seq = new TcpView().bind(bytes, 0).seqNumber;
        const sender = this.host(from);
        this.scheduler.after(p.delayMs, () => sender.layer.icmpError(flow, 'packet-too-big', p.mtu, seq));
      }
      return;
    }
    if (p.lossRate > 0 && this.#rng.next() < p.lossRate) {
      if (record !== null) record.fate = 'lost';
      return;
    }
    let depart = now;
    if (p.rateBytesPerMs > 0) {
      const start = Math.max(now, this.#busyUntil[dir]);
      if ((start - now) * p.rateBytesPerMs + ipLength > p.queueBytes) {
        if (record !== null) record.fate = 'queue-drop';
        return;
      }
      depart = start + ipLength / p.rateBytesPerMs;
      this.#busyUntil[dir] = depart;
    }
    const copies = p.duplicateRate > 0 && this.#rng.next() < p.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = depart - now + p.delayMs;
      if (p.jitterMs > 0) delay += this.#rng.next() * p.jitterMs;
      if (p.reorderRate > 0 && this.#rng.next() < p.reorderRate) delay += p.reorderDelayMs;
      const item: InFlight = { from, flow, bytes: i === 0 ? bytes : bytes.slice(), record };
      this.#inFlight++;
      this.scheduler.after(delay, () => this.#arrive(item));
    }
  }

  #arrive(item: InFlight): void {
    this.#inFlight--;
    const dir = item.from === 'a' ? 'ab' : 'ba';
    if (this.params[dir].rsc) {
      const hold = this.#rscHold[dir];
      hold.push(item);
      // Everything arriving at this instant is merged, then delivered once the instant's timers ran.
      if (hold.length === 1) this.scheduler.after(0, () => this.#flushRsc(dir));
      return;
    }
    this.#deliver(item, item.bytes, 1);
  }

  #flushRsc(dir: 'ab' | 'ba'): void {
    const items = this.#rscHold[dir].splice(0);
    const v = new TcpView();
    let i = 0;
    while (i < items.length) {
      const first = items[i]!;
      let bytes = first.bytes;
      let count = 1;
      const hl = v.bind(bytes, 0).headerLength;
      for (let j = i + 1; j < items.length; j++) {
        const next = items[j]!.bytes;
        const a = v.bind(bytes, 0);
        const aSeq = a.seqNumber;
        const aFlags = a.flags;
        const aAck = a.ackNumber;
        const aLen = bytes.length - hl;
        const b = new TcpView().bind(next, 0);
        const plain = (f: number): boolean => (f & ~(TcpFlags.Ack | TcpFlags.Psh)) === 0;
        if (b.headerLength !== hl || !plain(aFlags) || !plain(b.flags) || aLen === 0 || next.length === hl) break;
        if (((aSeq + aLen) >>> 0) !== b.seqNumber || b.ackNumber !== aAck) break;
        const merged = new Uint8Array(bytes.length + next.length - hl);
        merged.set(bytes, 0);
        merged.set(next.subarray(hl), bytes.length);
        const mv = new TcpView().bind(merged, 0);
        mv.flags = aFlags | b.flags;
        mv.windowSize = b.windowSize;
        bytes = merged;
        count++;
      }
      if (count > 1) fillChecksum(reverseFlow(first.flow), bytes);
      this.#deliver(first, bytes, count);
      for (let k = i + 1; k < i + count; k++) if (items[k]!.record !== null) items[k]!.record!.fate = 'delivered';
      i += count;
    }
  }

  #deliver(item: InFlight, bytes: Uint8Array, coalesced: number): void {
    if (item.record !== null) item.record.fate = 'delivered';
    const to = item.from === 'a' ? this.b : this.a;
    const flow = reverseFlow(item.flow);
    // The receiving IP layer verifies the checksum before TCP sees the segment.
    if (!new TcpView().bind(bytes, 0).verifyChecksum(bytes.length, pseudoSum(flow, bytes.length, true))) {
      throw new Error('tcp-link: a segment with a bad checksum reached the wire');
    }
    this.delivered++;
    to.layer.input(flow, bytes, 0, bytes.length, coalesced);
  }

  /** Moves fake time forward. */
  run(ms: number): void {
    this.scheduler.advance(ms);
  }

  /** Steps time until `done()` (checked every `stepMs`), at most `maxMs`; returns whether it happened. */
  runUntil(done: () => boolean, maxMs: number, stepMs = 1): boolean {
    const end = this.scheduler.now() + maxMs;
    while (!done()) {
      if (this.scheduler.now() >= end) return false;
      this.scheduler.advance(stepMs);
    }
    return true;
  }

  /** Segments from `from` on the wire (optionally only delivered ones). */
  sent(from: Side, onlyDelivered = false): Uint8Array[] {
    return this.trace.filter((r) => r.from === from && (!onlyDelivered || r.fate === 'delivered')).map((r) => r.bytes);
  }
}

/** The flow as seen by the other end. */
export function reverseFlow(f: TcpFlow): TcpFlow {
  return { family: f.family, localAddress: f.remoteAddress, localPort: f.remotePort, remoteAddress: f.localAddress, remotePort: f.localPort };
}

/** Collects what an application sees on one connection. */
export class Endpoint {
  conn: TcpConnection | null = null;
  readonly chunks: Uint8Array[] = [];
  received = 0;
  connected = false;
  closed = false;
  error: TcpError | null = null;
  readableEvents = 0;
  writableEvents = 0;
  /** Read automatically on onReadable (default), or leave data in the ring. */
  autoRead = true;
  /**
   * Read with `receiveChunk` and keep each chunk itself (not a copy), as a 'data' listener may: `data()`
   * then also proves that no chunk was written into after it was handed over.
   */
  readChunks = false;
  /** Data still to write with `pump`. */
  #pending: Uint8Array | null = null;
  #pendingAt = 0;
  #shutdownAfter = false;
  readonly #scratch = new Uint8Array(65536);

  readonly events: TcpConnectionEvents = {
    onConnected: () => {
      this.connected = true;
      this.pump();
    },
    onReadable: () => {
      this.readableEvents++;
      if (this.autoRead) this.drain();
    },
    onWritable: () => {
      this.writableEvents++;
      this.pump();
    },
    onClosed: (_c, err) => {
      this.closed = true;
      this.error = err;
    },
  };

  attach(conn: TcpConnection): this {
    this.conn = conn;
    conn.events = this.events;
    return this;
  }

  drain(max = Infinity): number {
    const c = this.conn;
    if (c === null) return 0;
    let total = 0;
    for (let guard = 0; guard < 1 << 20 && total < max; guard++) {
      if (this.readChunks) {
        const chunk = c.receiveChunk(max - total);
        if (chunk === null) break;
        this.chunks.push(chunk);
        total += chunk.length;
        continue;
      }
      const n = c.receive(this.#scratch, 0, Math.min(this.#scratch.length, max - total));
      if (n === 0) break;
      this.chunks.push(this.#scratch.slice(0, n));
      total += n;
    }
    this.received += total;
    return total;
  }

  /** Queues `data` to send as the ring allows; with `shutdown`, a FIN follows it. */
  write(data: Uint8Array, shutdown = false): void {
    this.#pending = data;
    this.#pendingAt = 0;
    this.#shutdownAfter = shutdown;
    this.pump();
  }

  pump(): void {
    const c = this.conn;
    const p = this.#pending;
    if (c === null || p === null) return;
    if (c.state === 'SYN-SENT' || c.state === 'SYN-RECEIVED') return;
    while (this.#pendingAt < p.length) {
      const n = c.send(p, this.#pendingAt, p.length - this.#pendingAt);
      if (n === 0) return;
      this.#pendingAt += n;
    }
    this.#pending = null;
    if (this.#shutdownAfter) c.shutdown();
  }

  get writeDone(): boolean {
    return this.#pending === null;
  }

  data(): Uint8Array {
    const out = new Uint8Array(this.received);
    let at = 0;
    for (const ch of this.chunks) {
      out.set(ch, at);
      at += ch.length;
    }
    return out;
  }
}

export const SERVER_PORT = 8080;

/** A link with a listener on b and a connection from a, run until both ends are ESTABLISHED. */
export function connectedPair(options: LinkOptions & { clientOptions?: Parameters<TcpLayer['connect']>[1]; serverOptions?: Parameters<TcpLayer['listen']>[1] } = {}): {
  link: TcpLink;
  client: Endpoint;
  server: Endpoint;
} {
  const link = new TcpLink(options);
  const client = new Endpoint();
  const server = new Endpoint();
  link.b.layer.listen({ family: link.b.family, address: new Uint8Array(link.b.address.length), port: SERVER_PORT }, options.serverOptions ?? {}, {
    onConnection: (conn) => {
      server.attach(conn);
      server.connected = true;
    },
  });
  client.attach(link.a.layer.connect({ family: link.b.family, address: link.b.address, port: SERVER_PORT }, options.clientOptions ?? {}, client.events));
  if (!link.runUntil(() => client.connected && server.connected, 60_000)) throw new Error('connectedPair: the handshake did not complete');
  return { link, client, server };
}

/** Deterministic test data. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  const r = new Rng(seed);
  for (let i = 0; i < n; i += 4) {
    const v = r.u32();
    out[i] = v;
    if (i + 1 < n) out[i + 1] = v >>> 8;
    if (i + 2 < n) out[i + 2] = v >>> 16;
    if (i + 3 < n) out[i + 3] = v >>> 24;
  }
  return out;
}
