/**
 * A simulated io_uring kernel side for unit tests of `IoUring` (src/io/tun/uring.ts): the same ring
 * layout (offsets announced in io_uring_params, SQ index array, 64-byte SQEs, 16-byte CQEs, provided
 * buffer rings) over plain ArrayBuffers, so a test can start the heads and tails just below 2^32, take
 * fewer SQEs per io_uring_enter than offered, fail a call, hold completions back, and post any result
 * (partial writes, -EAGAIN, -ECANCELED, -EBADF) for any SQE.
 */
import { IORING_REGISTER_PBUF_RING, IORING_REGISTER_PROBE, IORING_SQ_CQ_OVERFLOW, IORING_UNREGISTER_PBUF_RING, type UringBackend } from '../../src/io/tun/uring.js';

export interface FakeSqe {
  opcode: number;
  flags: number;
  fd: number;
  address: number;
  len: number;
  tag: number;
  bufGroup: number;
}

const SQ_HEAD = 0;
const SQ_TAIL = 4;
const SQ_MASK = 8;
const SQ_ENTRIES = 12;
const SQ_FLAGS = 16;
const SQ_DROPPED = 20;
const CQ_HEAD = 32;
const CQ_TAIL = 36;
const CQ_MASK = 40;
const CQ_ENTRIES = 44;
const CQ_OVERFLOW = 48;
const SQ_ARRAY = 64;

export interface FakeUringOptions {
  sqEntries: number;
  cqEntries: number;
  /** Where every head and tail starts (to cross 2^32 quickly). */
  start?: number;
  /** What each SQE completes with: a result, [result, flags], or null to hold it (post it later with `post`). */
  handler?: (sqe: FakeSqe) => number | [number, number] | null;
  /** Ops the probe reports (default: all up to 63). */
  ops?: number[];
  features?: number;
}

export class FakeUringKernel implements UringBackend {
  readonly fd = 10_000;
  readonly params = new Uint8Array(120);
  readonly rings: ArrayBuffer;
  readonly sqes: ArrayBuffer;
  readonly #r: DataView;
  readonly #s: DataView;
  readonly #o: FakeUringOptions;
  /** SQEs the kernel took, in order. */
  readonly taken: FakeSqe[] = [];
  /** SQEs held back by the handler. */
  readonly held: FakeSqe[] = [];
  /** Results the next io_uring_enter calls return instead of doing anything (-errno). */
  readonly failNext: number[] = [];
  /** Most SQEs one io_uring_enter takes. */
  maxPerEnter = Number.POSITIVE_INFINITY;
  enters = 0;
  closed = false;
  readonly #overflow: [number, number, number][] = [];
  readonly bufferRings = new Map<number, { address: number; entries: number; group: number }>();
  readonly #memory = new Map<number, ArrayBuffer>();
  #nextAddress = 0x10000;
  #cqes: number;

  constructor(o: FakeUringOptions) {
    this.#o = o;
    const cqes = (SQ_ARRAY + o.sqEntries * 4 + 15) & ~15;
    this.#cqes = cqes;
    this.rings = new ArrayBuffer(cqes + o.cqEntries * 16);
    this.sqes = new ArrayBuffer(o.sqEntries * 64);
    this.#r = new DataView(this.rings);
    this.#s = new DataView(this.sqes);
    const p = new DataView(this.params.buffer);
    p.setUint32(0, o.sqEntries, true);
    p.setUint32(4, o.cqEntries, true);
    p.setUint32(20, o.features ?? 0x3ffff, true);
    const sqOff = [SQ_HEAD, SQ_TAIL, SQ_MASK, SQ_ENTRIES, SQ_FLAGS, SQ_DROPPED, SQ_ARRAY];
    for (const [i, v] of sqOff.entries()) p.setUint32(40 + i * 4, v, true);
    const cqOff = [CQ_HEAD, CQ_TAIL, CQ_MASK, CQ_ENTRIES, CQ_OVERFLOW, cqes, 52];
    for (const [i, v] of cqOff.entries()) p.setUint32(80 + i * 4, v, true);
    const start = o.start ?? 0;
    for (const at of [SQ_HEAD, SQ_TAIL, CQ_HEAD, CQ_TAIL]) this.#r.setUint32(at, start, true);
    this.#r.setUint32(SQ_MASK, o.sqEntries - 1, true);
    this.#r.setUint32(SQ_ENTRIES, o.sqEntries, true);
    this.#r.setUint32(CQ_MASK, o.cqEntries - 1, true);
    this.#r.setUint32(CQ_ENTRIES, o.cqEntries, true);
  }

  get sqHead(): number {
    return this.#r.getUint32(SQ_HEAD, true);
  }

  get cqTail(): number {
    return this.#r.getUint32(CQ_TAIL, true);
  }

  /** CQEs waiting for the ring's user. */
  get cqPending(): number {
    return (this.#r.getUint32(CQ_TAIL, true) - this.#r.getUint32(CQ_HEAD, true)) >>> 0;
  }

  /** Posts a CQE (to the overflow list when the CQ is full, as the kernel does with NODROP). */
  post(tag: number, res: number, flags = 0): void {
    const head = this.#r.getUint32(CQ_HEAD, true);
    const tail = this.#r.getUint32(CQ_TAIL, true);
    const entries = this.#o.cqEntries;
    if (((tail - head) >>> 0) >= entries || this.#overflow.length > 0) {
      this.#overflow.push([tag, res, flags]);
      this.#r.setUint32(SQ_FLAGS, this.#r.getUint32(SQ_FLAGS, true) | IORING_SQ_CQ_OVERFLOW, true);
      this.#r.setUint32(CQ_OVERFLOW, this.#r.getUint32(CQ_OVERFLOW, true) + 1, true);
      return;
    }
    const c = this.#cqes + (tail & (entries - 1)) * 16;
    this.#r.setUint32(c, tag, true);
    this.#r.setUint32(c + 4, 0, true);
    this.#r.setInt32(c + 8, res, true);
    this.#r.setUint32(c + 12, flags, true);
    this.#r.setUint32(CQ_TAIL, (tail + 1) >>> 0, true);
  }

  #flushOverflow(): void {
    const backlog = this.#overflow.splice(0);
    this.#r.setUint32(SQ_FLAGS, this.#r.getUint32(SQ_FLAGS, true) & ~IORING_SQ_CQ_OVERFLOW, true);
    for (const [tag, res, flags] of backlog) this.post(tag, res, flags);
  }

  enter(toSubmit: number, _minComplete: number, flags: number, _timeoutNs: number): number {
    if (this.closed) return -9;
    this.enters++;
    const forced = this.failNext.shift();
    if (forced !== undefined) return forced;
    if ((flags & 1) !== 0) this.#flushOverflow();
    let head = this.#r.getUint32(SQ_HEAD, true);
    const tail = this.#r.getUint32(SQ_TAIL, true);
    let n = 0;
    while (head !== tail && n < toSubmit && n < this.maxPerEnter) {
      const index = this.#r.getUint32(SQ_ARRAY + (head & (this.#o.sqEntries - 1)) * 4, true);
      const o = index * 64;
      const s = this.#s;
      const sqe: FakeSqe = {
        opcode: s.getUint8(o),
        flags: s.getUint8(o + 1),
        fd: s.getInt32(o + 4, true),
        address: s.getUint32(o + 16, true) + s.getUint32(o + 20, true) * 2 ** 32,
        len: s.getUint32(o + 24, true),
        tag: s.getUint32(o + 32, true),
        bufGroup: s.getUint16(o + 40, true),
      };
      head = (head + 1) >>> 0;
      n++;
      this.taken.push(sqe);
      const r = this.#o.handler === undefined ? 0 : this.#o.handler(sqe);
      if (r === null) this.held.push(sqe);
      else if (typeof r === 'number') this.post(sqe.tag, r);
      else this.post(sqe.tag, r[0], r[1]);
    }
    this.#r.setUint32(SQ_HEAD, head, true);
    return n;
  }

  /** The next buffer a multishot read of `group` would take: [bid, address, len] (and consumes it). */
  takeBuffer(group: number): [number, number, number] | null {
    const ring = this.bufferRings.get(group);
    if (ring === undefined) return null;
    const mem = new DataView(this.#memory.get(ring.address)!);
    const state = ring as { head?: number };
    const head = state.head ?? 0;
    const tail = mem.getUint16(14, true);
    if ((head & 0xffff) === tail) return null;
    const e = (head & (ring.entries - 1)) * 16;
    state.head = head + 1;
    return [mem.getUint16(e + 12, true), mem.getUint32(e, true) + mem.getUint32(e + 4, true) * 2 ** 32, mem.getUint32(e + 8, true)];
  }

  register(opcode: number, arg: Uint8Array | null, nrArgs: number): number {
    if (this.closed) return -9;
    if (opcode === IORING_REGISTER_PROBE && arg !== null) {
      const ops = this.#o.ops ?? Array.from({ length: 64 }, (_, i) => i);
      arg[0] = Math.max(...ops);
      arg[1] = Math.min(nrArgs, 64);
      for (let i = 0; i < arg[1]; i++) {
        arg[16 + i * 8] = i;
        arg[16 + i * 8 + 2] = ops.includes(i) ? 1 : 0;
      }
      return 0;
    }
    if (opcode === IORING_REGISTER_PBUF_RING && arg !== null) {
      const d = new DataView(arg.buffer, arg.byteOffset);
      const address = d.getUint32(0, true) + d.getUint32(4, true) * 2 ** 32;
      const group = d.getUint16(12, true);
      if (this.bufferRings.has(group) || !this.#memory.has(address)) return -22;
      this.bufferRings.set(group, { address, entries: d.getUint32(8, true), group });
      return 0;
    }
    if (opcode === IORING_UNREGISTER_PBUF_RING && arg !== null) {
      const group = new DataView(arg.buffer, arg.byteOffset).getUint16(12, true);
      return this.bufferRings.delete(group) ? 0 : -22;
    }
    return -22;
  }

  mapBufferRing(bytes: number): { address: number; memory: ArrayBuffer } {
    const address = this.#nextAddress;
    this.#nextAddress += Math.max(4096, bytes);
    const memory = new ArrayBuffer(bytes);
    this.#memory.set(address, memory);
    return { address, memory };
  }

  unmapBufferRing(address: number): void {
    this.#memory.delete(address);
  }

  close(): void {
    this.closed = true;
  }
}
