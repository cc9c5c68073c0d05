/**
 * A deterministic packet-level model of one sender through a bottleneck, for driving a model-based
 * congestion controller directly: a FIFO drop-tail queue served at `rateBytesPerMs`, a fixed two-way
 * propagation delay, optional random loss on entry (seeded PRNG), one ACK per delivered segment. The
 * sender paces at `cc.pacingRate`, keeps inflight within `cc.cwnd`, samples the delivery rate as
 * draft-ietf-ccwg-bbr-06 §4.1.2 defines (send/ACK elapsed, app-limited bubbles, P.tx_in_flight,
 * P.lost), marks a segment lost once a later one is delivered (no reordering on a FIFO path) or when it
 * stays unanswered far beyond the RTT, and reports recovery entry/exit like a SACK sender. A loss-based
 * controller (CUBIC, NewReno) gets onAck outside recovery, onCongestion at its start and cwnd = ssthresh
 * at its end, for comparisons on the same path.
 * Bandwidth can change mid-run (`setRate`), the application can limit the source (`appRateBytesPerMs`).
 * With `retransmit`, lost segments are sent again (before new data) and a recovery lasts until every
 * segment sent before it began was delivered, retransmissions included, as a TCP sender's (snd_una
 * past the recovery point); without it a lost segment is simply gone and a recovery lasts one round.
 */
import type { CongestionControl, RateSample } from '../../src/drivers/protocol/tcpip/tcp/congestion.js';

export interface SimConfig {
  rateBytesPerMs: number;
  baseRttMs: number;
  queueBytes: number;
  mss: number;
  lossRate?: number;
  seed?: number;
  /** Undefined: a bulk sender that always has data. */
  appRateBytesPerMs?: number;
  /** Resend lost segments; recovery ends once everything sent before it was delivered (default false). */
  retransmit?: boolean;
}

interface Pkt {
  id: number;
  size: number;
  sendTime: number;
  delivered: number;
  deliveredTime: number;
  firstSendTime: number;
  isAppLimited: boolean;
  txInFlight: number;
  lost: number;
  /** 0 outstanding, 1 delivered, 2 lost. */
  fate: number;
  /** The id of the first transmission (itself, unless a retransmission). */
  orig: number;
}

const EV_ACK = 0;
const EV_SEND = 1;
const EV_APP = 2;
const EV_LOSS_CHECK = 3;

interface Ev {
  time: number;
  seq: number;
  kind: number;
  pkt: Pkt | null;
}

/** Min-heap of events by time, then insertion order (determinism). */
class EventQueue {
  readonly #h: Ev[] = [];
  #seq = 0;
  get size(): number {
    return this.#h.length;
  }
  push(time: number, kind: number, pkt: Pkt | null): void {
    const h = this.#h;
    const e: Ev = { time, seq: this.#seq++, kind, pkt };
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }
  pop(): Ev {
    const h = this.#h;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && less(h[r]!, h[l]!) ? r : l;
        if (less(last, h[c]!)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
  peekTime(): number {
    return this.#h.length > 0 ? this.#h[0]!.time : Infinity;
  }
}

function less(a: Ev, b: Ev): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** mulberry32: a small seeded PRNG with a uniform [0, 1) output. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class BottleneckSim {
  now = 0;
  rate: number;
  readonly cfg: SimConfig;
  readonly random: () => number;
  readonly events = new EventQueue();

  // Connection (C.*) state.
  delivered = 0;
  deliveredTime = 0;
  firstSendTime = 0;
  lost = 0;
  inflight = 0;
  appLimited = 0;
  minRtt = Infinity;
  nextSendTime = 0;
  inRecovery = false;
  recoveryPoint = 0;
  nextId = 1;
  readonly outstanding: Pkt[] = [];
  #head = 0;
  /** `retransmit`: lost segments waiting to go again, and the first-transmission ids of those not yet delivered. */
  readonly #resend: Pkt[] = [];
  readonly #holes = new Set<number>();

  // Bottleneck.
  linkFreeAt = 0;
  appSent = 0;
  appRate: number | undefined;
  #sendScheduled = false;
  #appTicking = false;

  // Statistics.
  sentPackets = 0;
  droppedPackets = 0;
  maxQueueBytes = 0;
  recoveries = 0;
  samples = 0;
  retransmits = 0;
  /** Called after every rate sample (tests record the controller's state here). */
  onSample: ((rs: RateSample) => void) | null = null;

  constructor(
    readonly cc: CongestionControl,
    cfg: SimConfig,
  ) {
    this.cfg = cfg;
    this.rate = cfg.rateBytesPerMs;
    this.appRate = cfg.appRateBytesPerMs;
    this.random = prng(cfg.seed ?? 1);
  }

  setRate(rateBytesPerMs: number): void {
    this.rate = rateBytesPerMs;
  }

  setAppRate(rate: number | undefined): void {
    this.appRate = rate;
    this.appSent = rate === undefined ? 0 : this.#appAvailable(0);
    this.#tickApp();
  }

  queueBytes(): number {
    return Math.max(0, this.linkFreeAt - this.now) * this.rate;
  }

  /** Runs until `untilMs` (bounded by the event count as well). */
  run(untilMs: number): void {
    if (this.now === 0 && this.sentPackets === 0) {
      this.#tickApp();
      this.#trySend();
    }
    let guard = 50_000_000;
    while (this.events.peekTime() <= untilMs && guard-- > 0) {
      const e = this.events.pop();
      this.now = e.time;
      switch (e.kind) {
        case EV_ACK:
          this.#onAck(e.pkt!);
          break;
        case EV_SEND:
          this.#sendScheduled = false;
          break;
        case EV_APP:
          this.#appTicking = false;
          this.#tickApp();
          break;
        case EV_LOSS_CHECK:
          if (e.pkt!.fate === 0) this.#markLost(e.pkt!);
          break;
      }
      this.#trySend();
    }
    if (guard <= 0) throw new Error('simulation event bound reached');
    this.now = untilMs;
  }

  /** The application's data arrives continuously; wake the sender every ms while it is rate-limited. */
  #tickApp(): void {
    if (this.appRate === undefined || this.#appTicking) return;
    this.#appTicking = true;
    this.events.push(this.now + 1, EV_APP, null);
  }

  #appAvailable(extra: number): number {
    return this.appRate === undefined ? Infinity : this.appRate * this.now + extra;
  }

  #trySend(): void {
    const mss = this.cfg.mss;
    for (;;) {
      if (this.inflight + mss > this.cc.cwnd) return;
      const again = this.#resend.length > 0;
      if (!again && this.appRate !== undefined && this.appSent + mss > this.#appAvailable(0)) {
        // Nothing to send with room in cwnd: an app-limited bubble (§4.1.2.4).
        this.appLimited = Math.max(this.delivered + this.inflight, 1);
        this.cc.onAppLimited(this.now);
        return;
      }
      if (this.now < this.nextSendTime) {
        if (!this.#sendScheduled) {
          this.#sendScheduled = true;
          this.events.push(this.nextSendTime, EV_SEND, null);
        }
        return;
      }
      if (again) {
        const lost = this.#resend.shift()!;
        this.retransmits++;
        this.#send(lost.size, lost.orig);
      } else {
        this.#send(mss);
      }
    }
  }

  #send(size: number, orig = 0): void {
    const now = this.now;
    const id = this.nextId++;
    if (this.inflight === 0) this.firstSendTime = this.deliveredTime = now;
    this.inflight += size;
    const p: Pkt = {
      id,
      size,
      sendTime: now,
      delivered: this.delivered,
      deliveredTime: this.deliveredTime,
      firstSendTime: this.firstSendTime,
      isAppLimited: this.appLimited !== 0,
      txInFlight: this.inflight,
      lost: this.lost,
      fate: 0,
      orig: orig === 0 ? id : orig,
    };
    this.outstanding.push(p);
    this.sentPackets++;
    if (this.appRate !== undefined && orig === 0) this.appSent += size;
    const rate = this.cc.pacingRate > 0 ? this.cc.pacingRate : Infinity;
    this.nextSendTime = Math.max(now, this.nextSendTime) + size / rate;
    // The bottleneck: random loss, then drop-tail.
    const backlog = this.queueBytes();
    if (backlog > this.maxQueueBytes) this.maxQueueBytes = backlog;
    const lossRate = this.cfg.lossRate ?? 0;
    if ((lossRate > 0 && this.random() < lossRate) || backlog + size > this.cfg.queueBytes + size) {
      this.droppedPackets++;
      this.events.push(now + 4 * this.cfg.baseRttMs + this.cfg.queueBytes / this.rate + 50, EV_LOSS_CHECK, p);
      return;
    }
    this.linkFreeAt = Math.max(this.linkFreeAt, now) + size / this.rate;
    this.events.push(this.linkFreeAt + this.cfg.baseRttMs, EV_ACK, p);
  }

  #markLost(p: Pkt): void {
    p.fate = 2;
    this.lost += p.size;
    this.inflight -= p.size;
    if (this.cfg.retransmit === true) {
      this.#resend.push(p);
      this.#holes.add(p.orig);
    }
    this.cc.onSegmentLost({ bytes: p.size, txInFlight: p.txInFlight, lostSinceSend: this.lost - p.lost, isAppLimited: p.isAppLimited }, this.now);
  }

  /** A segment first sent before `id` is still undelivered (always false without `retransmit`). */
  #holeBelow(id: number): boolean {
    for (const h of this.#holes) if (h < id) return true;
    return false;
  }

  #onAck(p: Pkt): void {
    const now = this.now;
    const priorInFlight = this.inflight;
    this.delivered += p.size;
    this.deliveredTime = now;
    p.fate = 1;
    this.inflight -= p.size;
    const sendElapsed = p.sendTime - p.firstSendTime;
    const ackElapsed = now - p.deliveredTime;
    this.firstSendTime = p.sendTime;
    // Everything sent before p and still outstanding was dropped (FIFO: no reordering).
    let newlyLost = 0;
    const q = this.outstanding;
    while (this.#head < q.length) {
      const o = q[this.#head]!;
      if (o.fate === 0 && o.id < p.id) {
        this.#markLost(o);
        newlyLost += o.size;
      }
      if (o.fate === 0) break;
      this.#head++;
    }
    if (this.#head > 4096) {
      q.splice(0, this.#head);
      this.#head = 0;
    }
    const cc = this.cc;
    if (p.orig !== p.id) this.#holes.delete(p.orig);
    if (newlyLost > 0 && !this.inRecovery) {
      this.inRecovery = true;
      this.recoveries++;
      this.recoveryPoint = this.nextId;
      if (cc.modelBased) cc.onEnterRecovery(now, this.inflight, p.size);
      else cc.onCongestion(now, priorInFlight);
    } else if (!this.inRecovery && !cc.modelBased) {
      cc.onAck(p.size, now, this.minRtt);
    }
    if (this.appLimited !== 0 && this.delivered > this.appLimited) this.appLimited = 0;
    // Microsecond clock, as a real stack's: equal path delays give equal RTT samples.
    const rtt = Math.round((now - p.sendTime) * 1000) / 1000;
    if (rtt < this.minRtt) this.minRtt = rtt;
    const interval = Math.round(Math.max(sendElapsed, ackElapsed) * 1000) / 1000;
    const valid = interval >= this.minRtt && interval > 0;
    const rsDelivered = this.delivered - p.delivered;
    this.samples++;
    const rs: RateSample = {
      delivered: valid ? rsDelivered : 0,
      intervalMs: valid ? interval : 0,
      deliveryRate: valid ? rsDelivered / interval : 0,
      priorDelivered: p.delivered,
      isAppLimited: p.isAppLimited,
      rttMs: rtt,
      txInFlight: p.txInFlight,
      lost: this.lost - p.lost,
      newlyAcked: p.size,
      newlyLost,
      priorInFlight,
      inFlight: this.inflight,
      totalDelivered: this.delivered,
      totalLost: this.lost,
    };
    cc.onRateSample(rs, now);
    if (this.inRecovery && p.id >= this.recoveryPoint && !this.#holeBelow(this.recoveryPoint)) {
      this.inRecovery = false;
      cc.onExitRecovery(now);
      if (!cc.modelBased) cc.setCwnd(cc.ssthresh);
    }
    this.onSample?.(rs);
  }
}
