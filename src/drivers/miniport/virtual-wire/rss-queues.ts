/**
 * RSS on the virtual wire with one receive queue per processor (docs/architecture.md, "RSS" and "Table
 * changes without loss or reordering"). Everything the processors share is in SharedArrayBuffers; no
 * JavaScript object is used by two processors:
 *
 *   port record (SAB)   seqlock · RSS on/off · hash types · key · indirection table · default processor
 *                       busy word per sending processor · drained generation per queue
 *   counters (SAB)      per queue (written by its processor): frames, parked, fence timeouts, discarded;
 *                       per (sender, queue) (written by the sender): enqueued, no hash, ring full, fences
 *   frame rings (SABs)  one FrameRing per (sending processor s, receiving queue q)
 *
 *   sending processor s                                       processor q (primary or replica)
 *   WireRssProducer: busy=1, table generation g? ─FENCE(g)─►   WireQueue.poll: frames in ring order,
 *   hash with the port's key, table[hash] = q ──frames──►      parked while older generations drain,
 *   copy into ring (s, q), publish, busy=0                     indicated on q; drained[q] = g once every
 *                                                              frame of an older generation came back
 *
 * The fence: the primary writes a new table under the seqlock (generation g+1). A producer reads the
 * generation once per chain; its first chain under g+1 puts FENCE(g+1) into each of its rings, then
 * sends by the new table; every frame carries its generation. Queue q counts generation g+1 drained when,
 * on every inbound ring, a fence or frame of g+1 was reached (or the ring is empty while its producer is
 * between chains), and every frame it indicated before that point was returned — a return, unlike an
 * indication, proves the layers above took the frame (above a processor boundary, the crossings of two
 * queues to processor 0 are not ordered with each other). A frame of generation h is indicated only once
 * every other queue drained h, so a flow whose bucket moved cannot overtake its older frames; until
 * then its ring is parked (the frames stay in the ring, in order; a full ring refuses further frames,
 * counted), for at most PARK_LIMIT_MS (then released, counted as a fence timeout).
 *
 * On worker threads a queue's processor sleeps when none of its sources has work, so whoever gives a
 * queue work from elsewhere asks its processor to poll (`requestPoll`, a doorbell): a producer after it
 * published into the queue's ring, the primary after it wrote a new table (each queue then drains the
 * generation), a queue whose drained word advanced (the queues parked on it), a queue that ran out of
 * receive buffers when one comes back.
 */
import type { NetBufferList, NetBufferListPool, RssSettings } from '../../../ndis/index.js';
import { RssHasher, ToeplitzHasher, rssIndirectionIndex } from '../../../ndis/index.js';
import { FRAME_SLOT_HEADER_WORDS, FrameRing, FrameRingConsumer, FrameRingProducer, FrameSlotKind, frameSlotBytes } from './frame-ring.js';

/** Longest a ring stays parked on a fence before its frames are released anyway (counted). */
export const PARK_LIMIT_MS = 250;
/** Slots per frame ring. */
export const FRAME_RING_SLOTS = 256;
/** Most queues (processors) a port has. */
export const MAX_QUEUES = 64;
const TABLE_MAX = 128;

// Port record words.
const SEQ = 0;
const ENABLED = 1;
const HASH_INFO = 2;
const TABLE_LEN = 3;
const DEFAULT_PROC = 4;
const KEY_LEN = 5;
const KEY_BYTE = 8 * 4; // 40 bytes, words 8–17
const TABLE = 32;
const BUSY = TABLE + TABLE_MAX;
const DRAINED = BUSY + MAX_QUEUES;
const RECORD_WORDS = DRAINED + MAX_QUEUES;

// Counter fields.
const Q_FIELDS = 4;
const Q_FRAMES = 0;
const Q_PARKED = 1;
const Q_FENCE_TIMEOUTS = 2;
const Q_DISCARDED = 3;
const P_FIELDS = 4;
const P_ENQUEUED = 0;
const P_NO_HASH = 1;
const P_RING_FULL = 2;
const P_FENCES = 3;

/** What the primary publishes to its replicas (structured clone keeps the SABs shared). */
export interface WireRssShared {
  readonly record: SharedArrayBuffer;
  readonly counters: SharedArrayBuffer;
  /** Ring (s, q) at index s × queues + q. */
  readonly rings: readonly SharedArrayBuffer[];
  readonly queues: number;
}

/** Per-queue counters as the inspector shows them (summed over senders). */
export interface WireQueueCounters {
  processor: number;
  /** Frames indicated by the queue. */
  frames: number;
  /** Frames the senders put in the queue's rings, and of those without a hash (sent to the default processor). */
  enqueued: number;
  noHash: number;
  /** Frames refused because the queue's ring from that sender was full. */
  ringFull: number;
  /** Times a ring of the queue was parked on a table change, and parks released by the time limit. */
  parked: number;
  fenceTimeouts: number;
  /** Frames dropped because the queue was not running (paused). */
  discarded: number;
  /** Fences the senders put in the queue's rings. */
  fences: number;
  /** The table generation the queue has drained. */
  drained: number;
  /** Frames waiting in the queue's rings now. */
  depth: number;
}

/** The shared parts of one multi-queue port, as any processor sees them. */
export class WireRssPort {
  readonly shared: WireRssShared;
  readonly record: Int32Array;
  readonly key: Uint8Array;
  readonly counters: Float64Array;
  readonly queues: number;
  readonly rings: FrameRing[];

  private constructor(shared: WireRssShared) {
    this.shared = shared;
    this.record = new Int32Array(shared.record);
    this.key = new Uint8Array(shared.record, KEY_BYTE, 40);
    this.counters = new Float64Array(shared.counters);
    this.queues = shared.queues;
    this.rings = shared.rings.map((sab) => FrameRing.attach(sab));
  }

  /** A new port with `queues` queues (and as many sending processors) for frames up to `maxFrame` bytes. */
  static create(queues: number, maxFrame: number, ringSlots = FRAME_RING_SLOTS): WireRssPort {
    if (!Number.isInteger(queues) || queues < 1 || queues > MAX_QUEUES) throw new RangeError(`a wire port has 1…${MAX_QUEUES} queues, not ${queues}`);
    const slot = frameSlotBytes(maxFrame);
    const rings: SharedArrayBuffer[] = [];
    for (let i = 0; i < queues * queues; i++) rings.push(FrameRing.create(ringSlots, slot).sab);
    return new WireRssPort({
      record: new SharedArrayBuffer(RECORD_WORDS * 4),
      counters: new SharedArrayBuffer((queues * Q_FIELDS + queues * queues * P_FIELDS) * 8),
      rings,
      queues,
    });
  }

  /** A view of a port made elsewhere (a replica given the primary's publication). */
  static attach(shared: WireRssShared): WireRssPort {
    return new WireRssPort(shared);
  }

  ring(sender: number, queue: number): FrameRing {
    return this.rings[sender * this.queues + queue]!;
  }

  /** The table generation in force (even sequence / 2). */
  get generation(): number {
    return Atomics.load(this.record, SEQ) >>> 1;
  }

  /**
   * The primary (control path, one writer) puts accepted settings in force: a new generation. Written
   * under a seqlock, so a sender on another thread never hashes with half a table.
   */
  write(settings: RssSettings): void {
    const r = this.record;
    const seq = Atomics.load(r, SEQ);
    Atomics.store(r, SEQ, seq + 1);
    r[ENABLED] = settings.enabled ? 1 : 0;
    r[HASH_INFO] = settings.hashInformation;
    const table = settings.indirectionTable;
    const n = Math.min(table.length, TABLE_MAX);
    r[TABLE_LEN] = n;
    for (let i = 0; i < n; i++) r[TABLE + i] = table[i]!.number;
    r[DEFAULT_PROC] = settings.defaultProcessorNumber.number;
    const key = settings.hashSecretKey;
    r[KEY_LEN] = Math.min(key.length, 40);
    this.key.fill(0);
    this.key.set(key.subarray(0, 40));
    Atomics.store(r, SEQ, seq + 2);
  }

  drained(queue: number): number {
    return Atomics.load(this.record, DRAINED + queue);
  }

  /** A halted queue stops holding others back. */
  retire(queue: number): void {
    Atomics.store(this.record, DRAINED + queue, 0x7fffffff);
  }

  queueCounters(q: number): WireQueueCounters {
    const c = this.counters;
    const n = this.queues;
    let enqueued = 0;
    let noHash = 0;
    let ringFull = 0;
    let fences = 0;
    let depth = 0;
    for (let s = 0; s < n; s++) {
      const b = n * Q_FIELDS + (s * n + q) * P_FIELDS;
      enqueued += c[b + P_ENQUEUED]!;
      noHash += c[b + P_NO_HASH]!;
      ringFull += c[b + P_RING_FULL]!;
      fences += c[b + P_FENCES]!;
      depth += this.ring(s, q).depth();
    }
    const b = q * Q_FIELDS;
    return {
      processor: q,
      frames: c[b + Q_FRAMES]!,
      enqueued,
      noHash,
      ringFull,
      parked: c[b + Q_PARKED]!,
      fenceTimeouts: c[b + Q_FENCE_TIMEOUTS]!,
      discarded: c[b + Q_DISCARDED]!,
      fences,
      drained: Math.min(this.drained(q), this.generation),
      depth,
    };
  }
}

/**
 * One sending processor's side of a port: reads the port's RSS settings once per chain (seqlock),
 * hashes each frame with the port's key, and copies it into the ring of the queue the table selects.
 * Use: `begin()`, then per frame `select` → `reserve` → write the bytes → `commit`, then `end()`.
 */
export class WireRssProducer {
  readonly port: WireRssPort;
  readonly sender: number;
  readonly #rings: FrameRingProducer[] = [];
  readonly #table = new Int32Array(TABLE_MAX);
  readonly #key = new Uint8Array(40);
  /** Rings published by the current `end()` (reused). */
  readonly #published = new Uint8Array(MAX_QUEUES);
  #seq = -1;
  #gen = 0;
  #enabled = false;
  #tableLen = 0;
  #default = 0;
  #hasher: RssHasher | null = null;
  /** Hash value and info of the last `select` (0 and 0 without a hash). */
  hashValue = 0;
  hashInfo = 0;
  #offset = 0;
  /** Asks queue q's processor to poll (set by the adapter; null where every processor is stepped anyway). */
  requestPoll: ((q: number) => void) | null = null;

  constructor(port: WireRssPort, sender: number) {
    this.port = port;
    this.sender = sender;
    for (let q = 0; q < port.queues; q++) this.#rings.push(new FrameRingProducer(port.ring(sender, q)));
  }

  begin(): void {
    const r = this.port.record;
    Atomics.store(r, BUSY + this.sender, 1);
    const seq = Atomics.load(r, SEQ);
    if (seq !== this.#seq) this.#refresh();
  }

  /** Copies the settings under the seqlock (the writer is the primary; a torn read retries, bounded). */
  #refresh(): void {
    const r = this.port.record;
    for (let tries = 0; tries < 1000; tries++) {
      const s1 = Atomics.load(r, SEQ);
      if ((s1 & 1) !== 0) continue;
      const enabled = r[ENABLED] === 1;
      const hashInfo = r[HASH_INFO]!;
      const n = r[TABLE_LEN]!;
      for (let i = 0; i < n; i++) this.#table[i] = r[TABLE + i]!;
      const def = r[DEFAULT_PROC]!;
      const keyLen = r[KEY_LEN]!;
      let keyChanged = this.#hasher === null;
      for (let i = 0; i < 40; i++) {
        const b = this.port.key[i]!;
        if (b !== this.#key[i]) {
          keyChanged = true;
          this.#key[i] = b;
        }
      }
      if (Atomics.load(r, SEQ) !== s1) continue;
      this.#seq = s1;
      this.#enabled = enabled && n > 0;
      this.#tableLen = n;
      this.#default = def;
      if (enabled) {
        if (keyChanged || this.#hasher === null) this.#hasher = new RssHasher(new ToeplitzHasher(this.#key.slice(0, keyLen)), hashInfo);
        else this.#hasher.hashTypes = hashInfo;
      }
      const gen = s1 >>> 1;
      if (gen > this.#gen) {
        this.#gen = gen;
        this.#fence(gen);
      }
      return;
    }
  }

  /** FENCE(gen) into every ring of this sender: frames after it were sent by the new table. */
  #fence(gen: number): void {
    const c = this.port.counters;
    const n = this.port.queues;
    for (let q = 0; q < n; q++) {
      const ring = this.#rings[q]!;
      const off = ring.reserve();
      if (off < 0) continue; // the queue then sees a newer frame, or an empty ring once it drained
      const w = ring.ring.words;
      const b = off >> 2;
      w[b] = FrameSlotKind.Fence;
      w[b + 1] = 0;
      w[b + 2] = gen;
      ring.commit();
      c[n * Q_FIELDS + (this.sender * n + q) * P_FIELDS + P_FENCES]!++;
    }
  }

  /** The queue for a contiguous frame; sets `hashValue`/`hashInfo`. */
  select(bytes: Uint8Array, offset: number, length: number): number {
    let q = this.#default;
    this.hashValue = 0;
    this.hashInfo = 0;
    if (this.#enabled) {
      const h = this.#hasher!;
      const info = h.hash(bytes, offset, length);
      if (info !== 0) {
        this.hashInfo = info;
        this.hashValue = h.hashValue;
        q = this.#table[rssIndirectionIndex(h.hashValue, this.#tableLen)]!;
      }
    }
    if (this.hashInfo === 0) {
      const n = this.port.queues;
      this.port.counters[n * Q_FIELDS + (this.sender * n + q) * P_FIELDS + P_NO_HASH]!++;
    }
    return q;
  }

  /**
   * A slot of queue `q`'s ring for one frame: the byte offset where the frame goes in `bytes` (the
   * ring's memory), or -1 when the ring is full (counted).
   */
  reserve(q: number): number {
    const off = this.#rings[q]!.reserve();
    if (off < 0) {
      const n = this.port.queues;
      this.port.counters[n * Q_FIELDS + (this.sender * n + q) * P_FIELDS + P_RING_FULL]!++;
      return -1;
    }
    this.#offset = off;
    return off + FRAME_SLOT_HEADER_WORDS * 4;
  }

  /** The memory of queue `q`'s ring (for the copy into the reserved slot). */
  bytes(q: number): Uint8Array {
    return this.#rings[q]!.ring.bytes;
  }

  /** Commits the reserved slot of queue `q`: `length` frame bytes, with the last `select`'s hash. */
  commit(q: number, length: number, checksumInfo: number): void {
    const ring = this.#rings[q]!;
    const w = ring.ring.words;
    const b = this.#offset >> 2;
    w[b] = FrameSlotKind.Frame;
    w[b + 1] = length;
    w[b + 2] = this.#gen;
    w[b + 3] = this.hashValue;
    w[b + 4] = this.hashInfo;
    w[b + 5] = checksumInfo;
    ring.commit();
    const n = this.port.queues;
    this.port.counters[n * Q_FIELDS + (this.sender * n + q) * P_FIELDS + P_ENQUEUED]!++;
  }

  /** Publishes every ring written and leaves the chain (busy = 0). */
  end(): void {
    const rings = this.#rings;
    const published = this.#published;
    for (let q = 0; q < rings.length; q++) {
      const ring = rings[q]!;
      published[q] = ring.unpublished ? 1 : 0;
      ring.publish();
    }
    Atomics.store(this.port.record, BUSY + this.sender, 0);
    // After busy = 0: a queue woken now sees every ring of this chain and the sender between chains.
    const wake = this.requestPoll;
    if (wake !== null) for (let q = 0; q < rings.length; q++) if (published[q] !== 0) wake(q);
  }
}

/** What a queue needs from the adapter object on its processor. */
export interface WireQueueHost {
  readonly running: boolean;
  readonly pool: NetBufferListPool;
  /** Indicates `n` NBLs (one queue's, in ring order). */
  indicate(head: NetBufferList, n: number): void;
  now(): number;
  /** Arms a one-shot timer that calls the queue's `timer()` after `ms`; `cancelTimer` disarms it. */
  armTimer(ms: number): void;
  cancelTimer(): void;
  /** Asks processor `processor` to poll its sources (threads: its loop may sleep); may do nothing. */
  requestPoll(processor: number): void;
}

/** Receive indications carry at most this many NBLs. */
const MAX_NBLS_PER_INDICATION = 256;
/** Frames one poll takes before it yields. */
const POLL_BUDGET = 4 * MAX_NBLS_PER_INDICATION;

/** One receive queue: the consumer of every ring aimed at it, on the queue's own processor. */
export class WireQueue {
  readonly port: WireRssPort;
  readonly queue: number;
  readonly host: WireQueueHost;
  readonly #rings: FrameRingConsumer[] = [];
  /** Per inbound ring: the newest generation taken from it, the time it parked (-1: not parked), the generation a timeout released. */
  readonly #lastGen: number[];
  readonly #parkedAt: number[];
  readonly #released: number[];
  /** The lowest generation every other queue has drained (cached; drained words only grow). */
  #othersDrained = 0;
  /** Drain in progress: the generation being drained (0: none), and outstanding NBLs per epoch parity. */
  #target = 0;
  #epoch = 0;
  readonly #outstanding = [0, 0];
  #drained = 0;
  #timerArmed = false;
  /** A poll stopped for want of a receive buffer: the next return asks for a poll. */
  #starved = false;

  constructor(port: WireRssPort, queue: number, host: WireQueueHost) {
    this.port = port;
    this.queue = queue;
    this.host = host;
    const n = port.queues;
    for (let s = 0; s < n; s++) this.#rings.push(new FrameRingConsumer(port.ring(s, queue)));
    this.#lastGen = new Array<number>(n).fill(0);
    this.#parkedAt = new Array<number>(n).fill(-1);
    this.#released = new Array<number>(n).fill(0);
    this.#drained = port.drained(queue);
  }

  #counter(field: number): number {
    return this.queue * Q_FIELDS + field;
  }

  /** The generation of the frame or fence at the head of ring `s`. */
  #headGen(s: number): number {
    const c = this.#rings[s]!;
    return c.ring.words[(c.headOffset >> 2) + 2]!;
  }

  /** Whether a frame of generation `gen` on ring `s` may be indicated now. */
  #mayPass(s: number, gen: number): boolean {
    if (gen <= this.#othersDrained || gen <= this.#released[s]!) return true;
    const port = this.port;
    let min = 0x7fffffff;
    for (let x = 0; x < port.queues; x++) if (x !== this.queue) min = Math.min(min, port.drained(x));
    this.#othersDrained = min;
    return gen <= min;
  }

  /** Whether a poll would make progress now (the loop asks before sleeping). */
  pending(): boolean {
    const running = this.host.running;
    const now = this.host.now();
    const room = this.host.pool.available > 0;
    for (let s = 0; s < this.#rings.length; s++) {
      const c = this.#rings[s]!;
      if (c.available() === 0) continue;
      if (!running || c.ring.words[c.headOffset >> 2] === FrameSlotKind.Fence) return true;
      const parked = this.#parkedAt[s]!;
      if (this.#mayPass(s, this.#headGen(s))) {
        if (room) return true;
      } else if (parked < 0 || (now >= parked + PARK_LIMIT_MS && room)) {
        return true; // a park to record, or one to release
      }
    }
    return this.#target === 0 && this.#drained < this.port.generation && this.#drainable(this.port.generation) > this.#drained;
  }

  /** Takes what the rings hold (in ring order), indicates it, and advances the drain. Returns frames taken. */
  poll(): number {
    const host = this.host;
    const counters = this.port.counters;
    const running = host.running;
    const pool = host.pool;
    const now = host.now();
    let head: NetBufferList | null = null;
    let tail: NetBufferList | null = null;
    let n = 0;
    let taken = 0;
    for (let s = 0; s < this.#rings.length && taken < POLL_BUDGET; s++) {
      const c = this.#rings[s]!;
      let avail = c.available();
      const w = c.ring.words;
      const bytes = c.ring.bytes;
      while (avail > 0 && taken < POLL_BUDGET) {
        const off = c.headOffset;
        const b = off >> 2;
        const kind = w[b]!;
        const gen = w[b + 2]!;
        if (kind === FrameSlotKind.Frame && running) {
          if (!this.#mayPass(s, gen)) {
            const parked = this.#parkedAt[s]!;
            if (parked < 0) {
              this.#parkedAt[s] = now;
              counters[this.#counter(Q_PARKED)]!++;
              this.#arm(PARK_LIMIT_MS);
              break;
            }
            if (now < parked + PARK_LIMIT_MS) break;
            // Whoever should have drained did not within the limit: release, in order, counted.
            this.#released[s] = gen;
            counters[this.#counter(Q_FENCE_TIMEOUTS)]!++;
          }
          this.#parkedAt[s] = -1;
          const nbl = pool.allocate();
          if (nbl === null) {
            this.#starved = true;
            break; // no receive buffer: the frame waits in the ring
          }
          const len = w[b + 1]!;
          const nb = nbl.firstNetBuffer!;
          const m = nb.poolMdl!;
          m.bytes.set(bytes.subarray(off + FRAME_SLOT_HEADER_WORDS * 4, off + FRAME_SLOT_HEADER_WORDS * 4 + len), m.byteOffset);
          nb.dataLength = len;
          const info = nbl.info;
          info.hashValue = w[b + 3]! >>> 0;
          info.hashInfo = w[b + 4]! >>> 0;
          const cs = w[b + 5]!;
          if (cs !== 0) info.tcpIpChecksum = cs >>> 0;
          nbl.miniportReserved[1] = this.#epoch & 1;
          this.#outstanding[this.#epoch & 1]!++;
          if (tail === null) head = nbl;
          else tail.next = nbl;
          tail = nbl;
          n++;
          if (n === MAX_NBLS_PER_INDICATION) {
            this.#indicate(head!, n);
            head = tail = null;
            n = 0;
          }
        } else if (kind === FrameSlotKind.Frame) {
          counters[this.#counter(Q_DISCARDED)]!++;
        }
        if (gen > this.#lastGen[s]!) this.#lastGen[s] = gen;
        c.release();
        avail--;
        taken++;
      }
      c.commit();
    }
    if (head !== null) this.#indicate(head, n);
    this.#advanceDrain();
    if (this.#timerArmed && this.#parkedAt.every((t) => t < 0)) {
      this.#timerArmed = false;
      this.host.cancelTimer();
    }
    return taken;
  }

  #indicate(head: NetBufferList, n: number): void {
    this.port.counters[this.#counter(Q_FRAMES)]! += n;
    this.host.indicate(head, n);
  }

  #arm(ms: number): void {
    if (this.#timerArmed) return;
    this.#timerArmed = true;
    this.host.armTimer(ms);
  }

  /** The queue's timer fired: poll again (a park may have reached its limit). */
  timer(): void {
    this.#timerArmed = false;
    this.poll();
    for (let s = 0; s < this.#parkedAt.length; s++) {
      if (this.#parkedAt[s]! >= 0) {
        this.#arm(Math.max(0, this.#parkedAt[s]! + PARK_LIMIT_MS - this.host.now()));
        return;
      }
    }
  }

  /**
   * The highest generation h ≤ `gen` such that every frame of a generation below h left the rings: per
   * ring, the generation at its head (frames stay in order), or, for an empty ring whose sender is
   * between chains, `gen` itself (its next chain reads the generation again and fences first).
   */
  #drainable(gen: number): number {
    const r = this.port.record;
    let h = gen;
    for (let s = 0; s < this.#rings.length && h > this.#drained; s++) {
      const c = this.#rings[s]!;
      let b: number;
      if (c.available() > 0) b = this.#headGen(s);
      else if (Atomics.load(r, BUSY + s) !== 0) b = this.#lastGen[s]!;
      // Between chains: what its last chain published is visible now (it published before leaving).
      else b = c.available() > 0 ? this.#headGen(s) : gen;
      if (b < h) h = b;
    }
    return h;
  }

  #advanceDrain(): void {
    if (this.#target !== 0) return;
    const h = this.#drainable(this.port.generation);
    if (h <= this.#drained) return;
    // Every older frame was taken and indicated; the NBLs out now are the epoch to wait for.
    this.#target = h;
    this.#epoch++;
    this.#finishDrain();
  }

  #finishDrain(): void {
    if (this.#outstanding[(this.#epoch - 1) & 1] !== 0) return;
    this.#drained = this.#target;
    this.#target = 0;
    Atomics.store(this.port.record, DRAINED + this.queue, this.#drained);
    // Queues parked on this generation may pass now.
    const n = this.port.queues;
    for (let x = 0; x < n; x++) if (x !== this.queue) this.host.requestPoll(x);
  }

  /** An NBL this queue indicated came back (call before freeing it). */
  returned(nbl: NetBufferList): void {
    const parity = nbl.miniportReserved[1] as number;
    this.#outstanding[parity]!--;
    if (this.#target !== 0 && parity === ((this.#epoch - 1) & 1)) this.#finishDrain();
    if (this.#starved) {
      this.#starved = false;
      this.host.requestPoll(this.queue);
    }
  }

  /** The queue leaves (halt): it no longer holds other queues' table changes back. */
  retire(): void {
    this.port.retire(this.queue);
  }
}
