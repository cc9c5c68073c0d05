/**
 * A virtual wire across threads. A `VirtualWire` lives in one isolate (its registry is per thread), so
 * two runtimes on two worker threads cannot share one. A wire link joins a wire on one thread to a wire
 * on another: each side attaches a `WireLinkEndpoint` as an ordinary port of its local wire; frames sent
 * on one side's wire are copied into a shared-memory ring and replayed onto the other side's wire, where
 * its adapters receive them as from any port. This is what lets a host run on a thread of its own (a
 * processor of its own) while it stays on the same layer-2 segment as hosts on the main thread.
 *
 *   thread A: adapters ─ VirtualWire "lan" ─ endpoint a ══ ring a→b ══► endpoint b ─ VirtualWire "lan" ─ adapters :thread B
 *                                                       ◄══ ring b→a ══
 *
 * Each direction is a single-producer/single-consumer byte ring in a SharedArrayBuffer (the producer is
 * the sending thread's wire, the consumer the receiving thread's endpoint): records of a 16-byte header
 * (length, the NBL's checksum, LSO and supplemental (encapsulation) info words) and the frame, 16-byte aligned; the tail is published
 * once per chain. A consumer that finds its ring empty sleeps in `Atomics.waitAsync` on a doorbell word a
 * producer rings only when it wins the SLEEPING → AWAKE exchange, so a busy consumer is never signalled.
 * A full ring drops the frame (counted `ringFull`), as a full NIC queue does; nothing ever waits.
 *
 * The replayed NBLs are the endpoint's own, over the ring memory, lent to the wire for the duration of
 * `transmitChain`: wire receivers copy what they accept before they return (the wire's contract), so the
 * ring space is given back right after.
 */
import { Mdl, NDIS_STATUS_SUCCESS, type NetBuffer, type NetBufferList } from '../../../ndis/index.js';
import { BufferAllocator } from '../../../ndis/buffers/allocator.js';
import { NetBufferListPool } from '../../../ndis/buffers/pools.js';
import { waitAsync } from '../../../util/wait-async.js';
import type { VirtualWire, WirePort } from './wire.js';

// Control words (Int32, at the start of each direction's buffer).
const HEAD = 0; // consumer's position (bytes, wrapping int32)
const TAIL = 1; // producer's position
const DOORBELL = 2; // 1 = the consumer sleeps (or is about to)
const CLOSED = 3; // 1 = either side closed the link
/** Where the records start (a cache line after the control words). */
const DATA = 64;
const RECORD_HEADER = 16;
/** A record length that means "the rest of the ring is empty; continue at offset 0". */
const WRAP = 0xffffffff;
const AWAKE = 0;
const SLEEPING = 1;

/** The shared memory of one link: one ring per direction. Structured-clone it to the other thread. */
export interface WireLinkMemory {
  readonly aToB: SharedArrayBuffer;
  readonly bToA: SharedArrayBuffer;
}

export class WireLinkCounters {
  /** Frames written into the outbound ring. */
  framesOut = 0;
  /** Frames read from the inbound ring and replayed onto the local wire. */
  framesIn = 0;
  /** Frames dropped because the outbound ring had no room. */
  ringFull = 0;
  /** Frames too large for the ring (longer than a quarter of it). */
  oversize = 0;
  /** Times the consumer was woken by the other side. */
  wakeups = 0;
}

/** Creates the memory of a link whose rings hold `ringBytes` each (a power of two, 64 KiB … 1 GiB). */
export function createWireLinkMemory(ringBytes = 4 << 20): WireLinkMemory {
  if (!Number.isInteger(ringBytes) || ringBytes < 1 << 16 || ringBytes > 1 << 30 || (ringBytes & (ringBytes - 1)) !== 0) {
    throw new RangeError(`wire link: ring size ${ringBytes} is not a power of two between 64 KiB and 1 GiB`);
  }
  return { aToB: new SharedArrayBuffer(DATA + ringBytes), bToA: new SharedArrayBuffer(DATA + ringBytes) };
}

/** How many frames the consumer replays in one chain, and per task before it yields to other work. */
const REPLAY_BATCH = 64;
const REPLAY_PER_TASK = 1024;

/**
 * One side of a wire link: a port of the local wire. `side` 'a' writes the aToB ring and reads bToA;
 * 'b' the opposite.
 */
export class WireLinkEndpoint implements WirePort {
  readonly portName: string;
  readonly counters = new WireLinkCounters();
  readonly #wire: VirtualWire;
  // Outbound ring (this side produces).
  readonly #outCtl: Int32Array;
  readonly #outBytes: Uint8Array;
  readonly #outView: DataView;
  // Inbound ring (this side consumes).
  readonly #inCtl: Int32Array;
  readonly #inBytes: Uint8Array;
  readonly #inWords: Int32Array;
  readonly #inView: DataView;
  readonly #mask: number;
  readonly #capacity: number;
  /** Replay NBLs (one NB, one MDL each), reused for every chain. */
  readonly #nbls: NetBufferList[] = [];
  readonly #mdls: Mdl[] = [];
  #closed = false;
  #waiting = false;
  #scheduled = false;

  constructor(wire: VirtualWire, memory: WireLinkMemory, side: 'a' | 'b', portName = `link-${side}`) {
    this.portName = portName;
    this.#wire = wire;
    const out = side === 'a' ? memory.aToB : memory.bToA;
    const inb = side === 'a' ? memory.bToA : memory.aToB;
    this.#capacity = out.byteLength - DATA;
    this.#mask = this.#capacity - 1;
    this.#outCtl = new Int32Array(out, 0, DATA / 4);
    this.#outBytes = new Uint8Array(out);
    this.#outView = new DataView(out);
    this.#inCtl = new Int32Array(inb, 0, DATA / 4);
    this.#inBytes = new Uint8Array(inb);
    this.#inWords = new Int32Array(inb, 0, inb.byteLength >> 2);
    this.#inView = new DataView(inb);
    const pool = new NetBufferListPool({ name: `${portName}-replay`, capacity: REPLAY_BATCH, allocateNetBuffer: true }, new BufferAllocator({ mappingMdls: 1, smallChunks: 1, largeChunks: 1, contextBlocks: 1 }));
    for (let i = 0; i < REPLAY_BATCH; i++) {
      const mdl = Mdl.over(this.#inBytes, DATA, 0);
      mdl.words = this.#inWords;
      const nbl = pool.allocateWithNetBuffer(mdl, 0, 0)!;
      this.#mdls.push(mdl);
      this.#nbls.push(nbl);
    }
    wire.attach(this);
    this.#schedule();
  }

  /** Detaches from the wire, marks the link closed and wakes the other side's consumer so it stops too. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wire.detach(this);
    for (const ctl of [this.#outCtl, this.#inCtl]) {
      Atomics.store(ctl, CLOSED, 1);
      Atomics.store(ctl, DOORBELL, AWAKE);
      Atomics.notify(ctl, DOORBELL);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- producer: frames from the local wire -----------------------------------------------------

  receiveChain(nbls: NetBufferList, wire: VirtualWire): void {
    if (this.#closed || Atomics.load(this.#outCtl, CLOSED) === 1) return;
    const ctl = this.#outCtl;
    const head = Atomics.load(ctl, HEAD);
    let tail = ctl[TAIL]!;
    const lossy = wire.lossy;
    const c = this.counters;
    let wrote = false;
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      if (nbl.status !== NDIS_STATUS_SUCCESS) continue;
      const cs = nbl.info.tcpIpChecksum;
      const lso = nbl.info.tcpLargeSend;
      const supp = nbl.info.tcpSendOffloadsSupplemental;
      for (let nb: NetBuffer | null = nbl.firstNetBuffer; nb !== null; nb = nb.next) {
        if (lossy && wire.lose()) continue;
        const next = this.#write(nb, cs, lso, supp, head, tail);
        if (next === tail) continue;
        tail = next;
        wrote = true;
        c.framesOut++;
      }
    }
    if (!wrote) return;
    Atomics.store(ctl, TAIL, tail);
    if (Atomics.compareExchange(ctl, DOORBELL, SLEEPING, AWAKE) === SLEEPING) Atomics.notify(ctl, DOORBELL);
  }

  /** Writes one record at `tail`; returns the new tail, or `tail` unchanged when it did not fit. */
  #write(nb: NetBuffer, cs: number, lso: number, supp: number, head: number, tail: number): number {
    const len = nb.dataLength;
    const size = (RECORD_HEADER + len + 15) & ~15;
    const cap = this.#capacity;
    if (size > cap >> 2) {
      this.counters.oversize++;
      return tail;
    }
    const used = (tail - head) >>> 0;
    let off = tail & this.#mask;
    const pad = off + size > cap ? cap - off : 0;
    if (used + pad + size > cap) {
      this.counters.ringFull++;
      return tail;
    }
    const v = this.#outView;
    if (pad > 0) {
      v.setUint32(DATA + off, WRAP, true);
      tail = (tail + pad) | 0;
      off = 0;
    }
    const at = DATA + off;
    v.setUint32(at, len, true);
    v.setUint32(at + 4, cs >>> 0, true);
    v.setUint32(at + 8, lso >>> 0, true);
    v.setUint32(at + 12, supp >>> 0, true);
    nb.copyOut(this.#outBytes, at + RECORD_HEADER, 0, len);
    return (tail + size) | 0;
  }

  // ---- consumer: frames from the other side ------------------------------------------------------

  /** Replays what the inbound ring holds, in tasks of a bounded size, then sleeps on the doorbell. */
  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(this.#run);
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    if (this.#closed) return;
    const ctl = this.#inCtl;
    if (this.#drain(REPLAY_PER_TASK)) {
      this.#schedule();
      return;
    }
    // Empty: announce the sleep, then look once more (a producer may have published in between).
    Atomics.store(ctl, DOORBELL, SLEEPING);
    if (Atomics.load(ctl, TAIL) !== Atomics.load(ctl, HEAD) || Atomics.load(ctl, CLOSED) === 1) {
      Atomics.store(ctl, DOORBELL, AWAKE);
      if (Atomics.load(ctl, CLOSED) === 1) return;
      this.#schedule();
      return;
    }
    if (this.#waiting) return;
    this.#waiting = true;
    const w = waitAsync(ctl, DOORBELL, SLEEPING);
    const woke = (): void => {
      this.#waiting = false;
      this.counters.wakeups++;
      if (Atomics.load(ctl, CLOSED) === 1) {
        if (!this.#closed) this.close();
        return;
      }
      this.#run();
    };
    if (w.async) void w.value.then(woke);
    else woke();
  };

  /** Replays up to `budget` frames; true when the ring may hold more. */
  #drain(budget: number): boolean {
    const ctl = this.#inCtl;
    const v = this.#inView;
    const cap = this.#capacity;
    let head = ctl[HEAD]!;
    let done = 0;
    while (done < budget) {
      const tail = Atomics.load(ctl, TAIL);
      if (tail === head) return false;
      // One chain of up to REPLAY_BATCH frames, all inside [head, tail).
      let n = 0;
      let first: NetBufferList | null = null;
      let last: NetBufferList | null = null;
      let pos = head;
      while (n < REPLAY_BATCH && pos !== tail) {
        const off = pos & this.#mask;
        const len = v.getUint32(DATA + off, true);
        if (len === WRAP) {
          pos = (pos + (cap - off)) | 0;
          continue;
        }
        const nbl = this.#nbls[n]!;
        const mdl = this.#mdls[n]!;
        mdl.byteOffset = DATA + off + RECORD_HEADER;
        mdl.byteCount = len;
        nbl.firstNetBuffer!.setData(mdl, 0, len);
        nbl.status = NDIS_STATUS_SUCCESS;
        nbl.info.tcpIpChecksum = v.getUint32(DATA + off + 4, true);
        nbl.info.tcpLargeSend = v.getUint32(DATA + off + 8, true);
        nbl.info.tcpSendOffloadsSupplemental = v.getUint32(DATA + off + 12, true);
        nbl.next = null;
        if (last === null) first = nbl;
        else last.next = nbl;
        last = nbl;
        n++;
        pos = (pos + ((RECORD_HEADER + len + 15) & ~15)) | 0;
      }
      if (n > 0) {
        this.counters.framesIn += n;
        this.#wire.transmitChain(this, first!, n);
      }
      head = pos;
      Atomics.store(ctl, HEAD, head);
      done += n;
      if (this.#closed) return false;
    }
    return true;
  }

  linkChanged(_up: boolean): void {
    // The link carries frames only; each side's wire keeps its own link state.
  }
}
