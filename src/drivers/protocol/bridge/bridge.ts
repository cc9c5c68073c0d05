/**
 * One transparent learning bridge (802.1D without spanning tree): the ports that joined it, its
 * forwarding table and the forwarding decision for each received frame.
 *
 *   source address    learned on the ingress port (a group source is dropped)
 *   01-80-C2-00-00-0x dropped (802.1D reserved: never relayed by a bridge)
 *   known unicast     sent on the port it was learned on, or dropped when that is the ingress port
 *   anything else     flooded: a copy on every running port except the ingress port
 *
 * Flooding is rate limited (`floodLimit` frames per second, a token bucket holding a tenth of a second's
 * worth), which bounds what a loop in the topology can amplify: without spanning tree a broadcast in a
 * loop circulates for ever, here at most at that rate. Nothing is ever sent back out of the ingress port.
 *
 * The table is the VXLAN miniport's learning table (fixed capacity, typed arrays, nothing allocated per
 * frame), with the port number where VXLAN keeps the remote endpoint. Ageing: an entry older than
 * `ageingMs` is ignored by lookups at once (its frames are flooded, its next frame learns it again); a
 * sweep that runs on received traffic (every tenth of the ageing time at most) removes such entries and
 * counts them `aged`.
 */
import { FdbLearn, ForwardingTable } from '../../miniport/vxlan/fdb.js';
import { BridgeCounters } from './counters.js';
import type { NetBufferList } from '../../../ndis/index.js';
import type { BridgePort } from './port.js';

export interface BridgeSettings {
  /** Ageing time of learned addresses, ms. */
  readonly ageingMs: number;
  /** Most addresses the table holds. */
  readonly maxAddresses: number;
  /** Frames flooded per second at most (0: unlimited). */
  readonly floodLimit: number;
}

/** Ports a bridge can have (port numbers index a small array). */
export const MAX_BRIDGE_PORTS = 256;

export class Bridge {
  readonly counters = new BridgeCounters();
  readonly fdb: ForwardingTable;
  /** Ports by port number; a departed port leaves a hole that the next joiner fills. */
  readonly ports: (BridgePort | null)[] = [];
  readonly #settings: BridgeSettings;
  #tokens: number;
  #tokensAt = -1;
  readonly #burst: number;
  #lastSweep = 0;
  readonly #sweepEveryMs: number;
  /** The 12 address bytes of a frame split across MDLs, copied here. */
  readonly #scratch = new Uint8Array(12);

  constructor(
    readonly name: string,
    settings: BridgeSettings,
  ) {
    this.#settings = settings;
    this.fdb = new ForwardingTable(settings.maxAddresses, settings.ageingMs);
    this.#burst = Math.max(1, Math.ceil(settings.floodLimit / 10));
    this.#tokens = this.#burst;
    this.#sweepEveryMs = Math.max(1, settings.ageingMs / 10);
  }

  get settings(): BridgeSettings {
    return this.#settings;
  }

  /** Adds a port; returns its number, or -1 when the bridge is full. */
  join(port: BridgePort): number {
    let n = this.ports.indexOf(null);
    if (n < 0) {
      if (this.ports.length >= MAX_BRIDGE_PORTS) return -1;
      n = this.ports.length;
      this.ports.push(port);
    } else {
      this.ports[n] = port;
    }
    return n;
  }

  /** Removes a port and forgets what was learned on it. */
  leave(port: BridgePort): void {
    const n = this.ports.indexOf(port);
    if (n < 0) return;
    this.ports[n] = null;
    while (this.ports.length > 0 && this.ports[this.ports.length - 1] === null) this.ports.pop();
    this.counters.flushed += this.fdb.flushPort(n);
  }

  /** Forgets what was learned on port `n` (its link went down: the stations behind it may reappear elsewhere). */
  flush(n: number): void {
    this.counters.flushed += this.fdb.flushPort(n);
  }

  get portCount(): number {
    let n = 0;
    for (const p of this.ports) if (p !== null) n++;
    return n;
  }

  /** Takes a token from the flood bucket; false when the flood limit is reached. */
  #floodAllowed(now: number): boolean {
    const limit = this.#settings.floodLimit;
    if (limit === 0) return true;
    if (this.#tokensAt < 0) this.#tokensAt = now;
    const refill = ((now - this.#tokensAt) * limit) / 1000;
    if (refill > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + refill);
      this.#tokensAt = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Runs the ageing sweep when it is due. */
  age(now: number): void {
    if (now - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = now;
    this.counters.aged += this.fdb.sweep(now);
  }

  /**
   * Forwards the frames of a receive chain that came in on `ingress` (copies queued on the egress ports;
   * the caller flushes them and returns the chain). Allocates nothing.
   */
  receive(ingress: BridgePort, nbls: NetBufferList, now: number): void {
    const c = ingress.counters;
    const inPort = ingress.portNumber;
    const ports = this.ports;
    const span = ingress.span;
    this.age(now);
    for (let nbl: NetBufferList | null = nbls; nbl !== null; nbl = nbl.next) {
      const nb = nbl.firstNetBuffer;
      if (nb === null || nb.dataLength < 14 || !nb.getDataBuffer(12, this.#scratch, span)) {
        c.droppedMalformed++;
        continue;
      }
      const len = nb.dataLength;
      c.rxFrames++;
      c.rxBytes += len;
      const b = span.bytes;
      const o = span.offset;
      if ((b[o + 6]! & 1) !== 0) {
        c.droppedBadSource++;
        continue;
      }
      const learned = this.fdb.learn(b, o + 6, '', inPort, now);
      if (learned === FdbLearn.Learned) c.learned++;
      else if (learned === FdbLearn.Moved) c.moved++;
      else if (learned === FdbLearn.Full) c.tableFull++;
      const dst0 = b[o]!;
      if ((dst0 & 1) === 0) {
        const slot = this.fdb.lookup(b, o, now);
        const out = slot < 0 ? -1 : this.fdb.portAt(slot);
        if (out === inPort) {
          c.droppedSameSegment++;
          continue;
        }
        if (out >= 0) {
          const egress = ports[out];
          if (egress !== null && egress !== undefined) {
            if (egress.queueCopy(nb, len)) c.forwarded++;
            continue;
          }
        }
      } else if (dst0 === 0x01 && b[o + 1] === 0x80 && b[o + 2] === 0xc2 && b[o + 3] === 0 && b[o + 4] === 0 && (b[o + 5]! & 0xf0) === 0) {
        c.droppedLinkLocal++;
        continue;
      }
      // Broadcast, multicast, or a unicast address not (or no longer) in the table: flood.
      if (!this.#floodAllowed(now)) {
        c.droppedFloodLimit++;
        continue;
      }
      let copies = 0;
      for (let i = 0; i < ports.length; i++) {
        const p = ports[i];
        if (p === null || p === undefined || i === inPort) continue;
        if (p.queueCopy(nb, len)) copies++;
      }
      if (copies === 0 && this.portCount < 2) c.droppedNoPort++;
      c.flooded++;
      c.floodCopies += copies;
    }
  }

  /** Hands every port's queued copies down (one send call per port). */
  flushAll(): void {
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) ports[i]?.flush();
  }
}
