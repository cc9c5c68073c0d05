/**
 * Per-connection buffer memory and its autotuning, after Linux:
 * - A ring holds no memory until bytes need it, grows (into a block twice as large or more, from the
 *   layer's RingMemory) as they arrive or are queued, and goes back to the pool when it has been empty
 *   for a sweep interval (`bufferIdleMs`), at once under memory pressure; everything goes at close.
 * - The receive buffer `rcvBuf` is the most the window offers (it is a promise, not memory: the ring
 *   grows into it as data comes, and that growth is never refused). Autotuning is dynamic right-sizing
 *   (tcp_rcv_space_adjust): once per receiver-side RTT it compares what the application read with the
 *   last round and raises `rcvBuf` to about twice the delivery rate × RTT plus headroom, up to its max.
 * - The send buffer `sndBuf` follows cwnd (tcp_sndbuf_expand): about twice the congestion window.
 * - Stack-wide (`TcpMemoryLow/Pressure/High`, like tcp_mem): under pressure autotuning stops and idle
 *   rings shrink at once, buffers back toward their minimum; beyond high no ring grows past what it
 *   holds (or its minimum, which every connection is guaranteed): the window stops opening and `send`
 *   takes less. Data already accepted, and data within a window already advertised, is never dropped.
 * A socket option that sets a size pins that buffer (no autotuning), as SO_RCVBUF/SO_SNDBUF do.
 */
import type { ReceiveChunks } from './chunks.js';
import { blockSize } from './memory.js';
import type { ByteRing } from './ring.js';
import type { Segment } from './segment.js';
import { seqAdd, seqDiff, seqGe } from './seq.js';
import type { Tcb } from './tcb.js';

/** Headroom of the receive window beyond twice the delivery per RTT, in advertised MSS (Linux: 16). */
const RCV_HEADROOM_SEGMENTS = 16;
/** Segments of the initial receive-space estimate and of sndBuf's floor (TCP_INIT_CWND). */
const INIT_SEGMENTS = 10;

/**
 * What the receive window may offer beyond the unread bytes: `rcvBuf` − unread, or — under memory
 * pressure — only within the memory the ring already holds (or its guaranteed minimum): a window
 * offered is a promise of memory, and no new promise is made while memory is short.
 */
export function receiveSpace(t: Tcb): number {
  const ring = t.recvRing;
  if (ring === null) return 0;
  const chunks = t.rxChunks;
  let limit = t.rcvBuf;
  if (t.owner.memory.underPressure) limit = Math.min(limit, Math.max(ring.capacity + (chunks === null ? 0 : chunks.held), t.rcvBufMin));
  return Math.max(0, limit - ring.length - (chunks === null ? 0 : chunks.length));
}

/**
 * In-order data for a reader of chunks (chunks.ts): `len` bytes of `bytes` from `start` arrived at
 * RCV.NXT, and the assembler advanced by `n` (≥ len: out-of-order bytes they made contiguous, held
 * in the ring). All `n` go into the chunks; the ring, which stores nothing in order, moves its head on.
 */
export function chunksArrive(t: Tcb, chunks: ReceiveChunks, bytes: Uint8Array, start: number, len: number, n: number): void {
  const ring = t.recvRing!;
  const held = chunks.held;
  chunks.append(bytes, start, len);
  if (n > len) chunks.appendFromRing(ring, len, n - len);
  ring.skip(n);
  if (chunks.held > held) t.owner.holdsMemory(t);
}

/**
 * Makes the receive ring hold `need` bytes from its head (unread + out-of-order data up to the end of
 * an arriving segment) and returns the room beyond the unread bytes. Forced growth: the caller only
 * asks for bytes within the window already advertised.
 */
export function receiveRoom(t: Tcb, need: number): number {
  const ring = t.recvRing!;
  if (need > ring.capacity) grow(t, ring, need, ring.capacity, Math.max(t.rcvBuf, need), true);
  return ring.free;
}

/**
 * The send buffer's free space now (what `send` may queue), after raising `sndBuf` with cwnd. Beyond
 * TcpMemoryHigh, only within the memory the ring holds (or its guaranteed minimum).
 */
export function sendSpace(t: Tcb): number {
  const ring = t.sendRing;
  if (ring === null) return 0;
  if (t.sndAutotune) expandSendBuffer(t);
  let limit = t.sndBuf;
  if (!t.owner.memory.allows(0)) limit = Math.min(limit, Math.max(ring.capacity, t.sndBufMin));
  return Math.max(0, limit - ring.length);
}

/** tcp_sndbuf_expand: about twice cwnd (at least twice the initial window), not under pressure. */
function expandSendBuffer(t: Tcb): void {
  const want = Math.min(t.sndBufMax, 2 * Math.max(Math.floor(t.cc.cwnd), INIT_SEGMENTS * t.smss));
  if (want <= t.sndBuf || t.owner.memory.underPressure || !t.owner.memory.fits(want - t.sendRing!.capacity)) return;
  t.sndBuf = want;
  t.counters.sendBufferAutotunes++;
}

/**
 * Queues up to `n` bytes of `src` (n ≤ sendSpace), growing the ring as needed; returns how many went
 * in (fewer when growth beyond the minimum was refused).
 */
export function queueSend(t: Tcb, src: Uint8Array, offset: number, n: number): number {
  const ring = t.sendRing!;
  const need = ring.length + n;
  if (need > ring.capacity) {
    const bound = Math.max(t.sndBuf, need);
    // Refused beyond TcpMemoryHigh: the minimum is still every connection's (else nothing would wake a writer).
    if (!grow(t, ring, need, ring.length, bound, blockSize(need) <= blockSize(t.sndBufMin)) && ring.capacity < t.sndBufMin) {
      grow(t, ring, t.sndBufMin, ring.length, t.sndBufMin, true);
    }
  }
  return ring.write(src, offset, n);
}

/**
 * Moves `ring` into a block of at least `need` bytes: the next power of two, or twice the current
 * size when that is more and memory allows (amortised: each byte is copied about once), but not past
 * `bound`'s block (the buffer's limit now).
 */
function grow(t: Tcb, ring: ByteRing, need: number, extent: number, bound: number, forced: boolean): boolean {
  const m = t.owner.memory;
  let size = blockSize(need);
  const doubled = Math.min(2 * ring.capacity, blockSize(bound));
  if (doubled > size && m.allows(doubled - ring.capacity)) size = doubled;
  const block = m.take(size, forced);
  if (block === null) return false;
  const old = ring.buffer;
  ring.moveTo(block, extent);
  t.owner.memory.give(old);
  t.owner.holdsMemory(t);
  t.counters.ringGrows++;
  return true;
}

/** Moves `ring` into a block of `size` bytes (0: none), keeping its first `extent` bytes. */
function shrink(t: Tcb, ring: ByteRing, size: number, extent: number): void {
  const m = t.owner.memory;
  const block = size === 0 ? null : m.take(size, true);
  const old = ring.buffer;
  ring.moveTo(block ?? EMPTY, extent);
  m.give(old);
  t.counters.ringShrinks++;
}

const EMPTY = new Uint8Array(0);

/**
 * The layer's sweep, every `bufferIdleMs` for each connection holding ring memory: a ring empty since
 * the last sweep goes back to the pool (at once under pressure, where rings with data also move into
 * the smallest block that holds it and the buffers fall back toward their minimum). Returns whether
 * the connection still holds memory.
 */
export function sweepBuffers(t: Tcb, underPressure: boolean): boolean {
  const mark = t.bytesReceived + t.bytesAcked + t.bytesRead + (t.sendRing === null ? 0 : t.sendRing.length);
  const idle = mark === t.sweepMark;
  t.sweepMark = mark;
  const r = t.recvRing;
  if (r !== null && r.capacity > 0 && t.assembler.isEmpty && (idle || underPressure)) {
    if (r.length === 0) shrink(t, r, 0, 0);
    else if (underPressure && blockSize(r.length) < r.capacity) shrink(t, r, blockSize(r.length), r.length);
  }
  // A chunk slab with nothing unread goes too (unread chunks are kept: they will be the reader's).
  const c = t.rxChunks;
  if (c !== null && c.held > 0 && c.length === 0 && (idle || underPressure)) c.release();
  const s = t.sendRing;
  if (s !== null && s.capacity > 0 && (idle || underPressure)) {
    if (s.length === 0) shrink(t, s, 0, 0);
    else if (underPressure && blockSize(s.length) < s.capacity) shrink(t, s, blockSize(s.length), s.length);
  }
  if (underPressure) {
    if (t.rcvAutotune) t.rcvBuf = Math.max(t.rcvBufMin, Math.min(t.rcvBuf, r === null ? 0 : r.capacity));
    if (t.sndAutotune) t.sndBuf = Math.max(t.sndBufMin, Math.min(t.sndBuf, s === null ? 0 : s.capacity));
  }
  return (r !== null && r.capacity > 0) || (s !== null && s.capacity > 0) || (c !== null && c.held > 0);
}

/**
 * The receiver's RTT estimate (tcp_rcv_rtt_measure_ts / tcp_rcv_rtt_measure): from the echo of our
 * timestamp in a full-sized data segment (smoothed), else the time one window takes to arrive (a
 * minimum). Called for each arriving data segment; kept ×8 in `rcvRtt8` (ms).
 */
export function measureReceiveRtt(t: Tcb, seg: Segment, len: number, now: number): void {
  if (t.tsOk && seg.opt.hasTimestamps && seg.opt.tsEcho !== 0 && seg.opt.tsEcho !== t.rcvRttEcho && len >= t.rcvMss) {
    t.rcvRttEcho = seg.opt.tsEcho;
    const delta = seqDiff(t.tsNow(), seg.opt.tsEcho);
    if (delta > 0) {
      rcvRttUpdate(t, delta, false);
      return;
    }
  }
  // No timestamp sample (none, or below the 1 ms clock): time a window's worth of data.
  if (t.rcvRttTime >= 0) {
    if (!seqGe(t.rcvNxt, t.rcvRttSeq)) return;
    rcvRttUpdate(t, now - t.rcvRttTime, true);
  }
  t.rcvRttSeq = seqAdd(t.rcvNxt, Math.max(1, seqDiff(t.rcvAdvRight, t.rcvNxt)));
  t.rcvRttTime = now;
}

function rcvRttUpdate(t: Tcb, sample: number, windowBased: boolean): void {
  const old = t.rcvRtt8;
  const m = sample * 8;
  if (old === 0 || m < old) t.rcvRtt8 = m;
  else if (!windowBased) t.rcvRtt8 = old - old / 8 + sample;
}

/**
 * Dynamic right-sizing (tcp_rcv_space_adjust), after the application read: once per receiver RTT,
 * when it read more than in the last round, `rcvBuf` becomes 2 × read + headroom, scaled up further by
 * the round's growth, within its max (not under memory pressure, not when pinned).
 */
export function adjustReceiveSpace(t: Tcb, now: number): void {
  if (t.rcvSpaceTime < 0) {
    t.rcvSpace = Math.min(t.rcvBuf, INIT_SEGMENTS * t.advMss);
    t.rcvSpaceTime = now;
    t.rcvSpaceMark = 0;
    return;
  }
  const rtt = t.rcvRtt8 > 0 ? t.rcvRtt8 / 8 : t.rtt.srtt;
  if (rtt <= 0 || now - t.rcvSpaceTime < rtt) return;
  const copied = t.bytesRead - t.rcvSpaceMark;
  if (copied > t.rcvSpace) {
    if (t.rcvAutotune && !t.owner.memory.underPressure) {
      let rcvwin = 2 * copied + RCV_HEADROOM_SEGMENTS * t.advMss;
      rcvwin += 2 * Math.floor((rcvwin * (copied - t.rcvSpace)) / t.rcvSpace);
      const target = Math.min(rcvwin, t.rcvBufMax);
      // The raise is a promise of memory: it must fit below TcpMemoryPressure with what the rings hold.
      if (target > t.rcvBuf && t.owner.memory.fits(target - t.recvRing!.capacity)) {
        t.rcvBuf = target;
        t.counters.receiveBufferAutotunes++;
      }
    }
    t.rcvSpace = copied;
  }
  t.rcvSpaceMark = t.bytesRead;
  t.rcvSpaceTime = now;
}

/** The window shift to offer: the smallest whose field covers `maxWindow` (RFC 7323 §2.3). */
export function windowShift(maxWindow: number): number {
  let shift = 0;
  while (shift < 14 && maxWindow >>> shift > 0xffff) shift++;
  return shift;
}
