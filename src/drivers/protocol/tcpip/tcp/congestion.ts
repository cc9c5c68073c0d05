/**
 * Congestion control, one object per connection: NewReno (RFC 5681, RFC 6582), CUBIC (RFC 9438), and
 * the model-based BBR: `bbr` is BBRv3 (draft-ietf-ccwg-bbr-06, in bbr.ts), `bbr1` BBRv1 (Linux's
 * mainline `bbr`, in bbr1.ts). Windows are in bytes. The connection drives loss recovery itself (fast retransmit, NewReno partial
 * ACKs, SACK holes); a controller only decides cwnd and ssthresh at the events below.
 *
 * Slow start counts every acknowledged byte (RFC 3465 with no per-ACK limit), as Linux does, so an
 * ACK that covers a 64 KB coalesced segment grows the window as much as 44 separate ACKs would.
 */
import { Bbr, type BbrOptions } from './bbr.js';
import { Bbr1 } from './bbr1.js';

export type CongestionAlgorithm = 'newreno' | 'cubic' | 'bbr' | 'bbr1';

/** Every algorithm, in the order error messages and the keyword list name them. */
export const CONGESTION_ALGORITHMS: readonly CongestionAlgorithm[] = Object.freeze(['cubic', 'newreno', 'bbr', 'bbr1']);

export function isCongestionAlgorithm(v: unknown): v is CongestionAlgorithm {
  return v === 'cubic' || v === 'newreno' || v === 'bbr' || v === 'bbr1';
}

/** The names for error messages: 'cubic', 'newreno', 'bbr', 'bbr1'. */
export function congestionNames(): string {
  return CONGESTION_ALGORITHMS.map((a) => `'${a}'`).join(', ');
}

/**
 * One delivery-rate sample, taken for every ACK that newly acknowledged or SACKed data or marked data
 * lost (draft-ietf-ccwg-bbr §4.5.2, after draft-cheng-iccrg-delivery-rate-estimation). Bytes and ms.
 * "The segment" below is the most recently sent of the segments this ACK newly delivered (P).
 */
export interface RateSample {
  /**
   * Bytes delivered (ACKed or SACKed) over `intervalMs` (rs.delivered): since the segment was sent; 0
   * when this ACK delivered nothing (it only marked losses).
   */
  delivered: number;
  intervalMs: number;
  /** delivered / intervalMs in bytes per ms; 0 when no valid rate (nothing delivered, or an interval below the minimum RTT). */
  deliveryRate: number;
  /** The connection's delivered count when the segment was sent (P.delivered → rs.prior_delivered). */
  priorDelivered: number;
  /** The sample was taken while the sender was application-limited (P.is_app_limited). */
  isAppLimited: boolean;
  /** RTT of the segment, measured only from a segment not retransmitted (ms; −1 none). */
  rttMs: number;
  /** Bytes in flight when the segment was sent (P.tx_in_flight). */
  txInFlight: number;
  /** Bytes marked lost between the segment's send and now (C.lost − P.lost). */
  lost: number;
  /** Bytes this ACK newly acknowledged or SACKed, and bytes it newly marked lost. */
  newlyAcked: number;
  newlyLost: number;
  /** Bytes in flight before this ACK was processed, and after (C.inflight). */
  priorInFlight: number;
  inFlight: number;
  /** Totals so far: C.delivered and C.lost. */
  totalDelivered: number;
  totalLost: number;
}

/** The send-time snapshot of a segment just marked lost (BBR's per-packet loss handling). */
export interface LostSegment {
  bytes: number;
  /** Bytes in flight when it was sent (P.tx_in_flight). */
  txInFlight: number;
  /** Bytes marked lost between its send and now (C.lost − P.lost), this segment included. */
  lostSinceSend: number;
  isAppLimited: boolean;
}

export interface CongestionControl {
  readonly algorithm: CongestionAlgorithm;
  /** Congestion window, bytes. */
  readonly cwnd: number;
  readonly ssthresh: number;
  /** New data acknowledged outside recovery; `rttMs` is the smoothed RTT (0 when unknown). */
  onAck(acked: number, nowMs: number, rttMs: number): void;
  /** Loss detected by duplicate ACKs or SACK: set ssthresh, cwnd = ssthresh. */
  onCongestion(nowMs: number, flightSize: number): void;
  /** Retransmission timeout: cwnd drops to one segment. */
  onTimeout(nowMs: number, flightSize: number): void;
  /** Sets cwnd directly (NewReno inflation/deflation during recovery, recovery exit). */
  setCwnd(bytes: number): void;
  /** The sender was idle longer than an RTO (RFC 5681 §4.1): restart from the initial window. */
  onIdleRestart(restartWindow: number): void;
  /** The MSS changed (path MTU): rescale. */
  setMss(mss: number): void;
  /** The last reduction was spurious (D-SACK): restore the window and threshold from before it. */
  undo(cwnd: number, ssthresh: number): void;

  // ---- Model-based control (BBR) and pacing. Loss-based controllers keep the defaults of `Base`. ----

  /**
   * True for a model-based controller (BBR): the connection then leaves cwnd to it (no ssthresh
   * reduction, no PRR), tells it about recovery with onEnterRecovery/onExitRecovery, and feeds it
   * every rate sample and lost segment.
   */
  readonly modelBased: boolean;
  /** Pacing rate in bytes per ms; 0: the connection paces at its default (cwnd / SRTT scaled, as Linux). */
  readonly pacingRate: number;
  /** Bytes the pacer may release back to back (BBR's send_quantum); 0: the connection's default. */
  readonly sendQuantum: number;
  /** Every ACK that delivered or marked lost data, after the connection updated its counts. */
  onRateSample(rs: RateSample, nowMs: number): void;
  /** A segment was marked lost (by SACK/RACK or a timeout), before the ACK's rate sample. */
  onSegmentLost(lost: LostSegment, nowMs: number): void;
  /** Fast recovery starts (after onSegmentLost for the first loss); `inFlight` after marking losses. */
  onEnterRecovery(nowMs: number, inFlight: number, newlyAcked: number): void;
  /** Fast recovery ended (full ACK, or undone). */
  onExitRecovery(nowMs: number): void;
  /** The sender had nothing to send while the window allowed more (app-limited). */
  onAppLimited(nowMs: number): void;
}

/** 2^31 − 1 stands for an infinite ssthresh: slow start until the first loss. */
const INITIAL_SSTHRESH = 0x7fffffff;
const MAX_CWND = 0x3fffffff;

export function initialWindow(mss: number, segments: number): number {
  // RFC 6928: min(10·MSS, max(2·MSS, 14600)) for 10 segments; other counts scale it.
  return segments === 10 ? Math.min(10 * mss, Math.max(2 * mss, 14600)) : Math.max(1, segments) * mss;
}

abstract class Base implements CongestionControl {
  abstract readonly algorithm: CongestionAlgorithm;
  cwnd: number;
  ssthresh = INITIAL_SSTHRESH;
  constructor(
    protected mss: number,
    initial: number,
  ) {
    this.cwnd = initial;
  }
  abstract onAck(acked: number, nowMs: number, rttMs: number): void;
  abstract onCongestion(nowMs: number, flightSize: number): void;
  abstract onTimeout(nowMs: number, flightSize: number): void;

  /** Slow start: grows by the bytes acknowledged, never past ssthresh; returns the bytes left over. */
  protected slowStart(acked: number): number {
    const room = this.ssthresh - this.cwnd;
    const grow = Math.min(acked, room);
    this.cwnd = Math.min(MAX_CWND, this.cwnd + grow);
    return acked - grow;
  }

  setCwnd(bytes: number): void {
    this.cwnd = Math.max(this.mss, Math.min(MAX_CWND, bytes));
  }

  onIdleRestart(restartWindow: number): void {
    this.cwnd = Math.min(this.cwnd, Math.max(restartWindow, this.mss));
  }

  /** A reduction turned out spurious: back to (at least) the window and threshold before it. */
  undo(cwnd: number, ssthresh: number): void {
    this.cwnd = Math.min(MAX_CWND, Math.max(this.cwnd, cwnd));
    this.ssthresh = Math.max(this.ssthresh, ssthresh);
  }

  setMss(mss: number): void {
    this.mss = mss;
    if (this.cwnd < mss) this.cwnd = mss;
  }

  readonly modelBased: boolean = false;
  readonly pacingRate: number = 0;
  readonly sendQuantum: number = 0;
  onRateSample(_rs: RateSample, _nowMs: number): void {}
  onSegmentLost(_lost: LostSegment, _nowMs: number): void {}
  onEnterRecovery(_nowMs: number, _inFlight: number, _newlyAcked: number): void {}
  onExitRecovery(_nowMs: number): void {}
  onAppLimited(_nowMs: number): void {}
}

export class NewReno extends Base {
  readonly algorithm = 'newreno';
  #acc = 0;

  onAck(acked: number): void {
    if (this.cwnd < this.ssthresh) acked = this.slowStart(acked);
    if (acked <= 0) return;
    // Congestion avoidance by byte counting (RFC 5681 §3.1): one MSS per cwnd of data acknowledged.
    this.#acc += acked;
    if (this.#acc >= this.cwnd) {
      this.#acc -= this.cwnd;
      this.cwnd = Math.min(MAX_CWND, this.cwnd + this.mss);
    }
  }

  onCongestion(_nowMs: number, flightSize: number): void {
    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.mss);
    this.cwnd = this.ssthresh;
    this.#acc = 0;
  }

  onTimeout(_nowMs: number, flightSize: number): void {
    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.#acc = 0;
  }
}

const CUBIC_C = 0.4;
const CUBIC_BETA = 0.7;
const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/**
 * CUBIC (RFC 9438): after a congestion event the window follows W(t) = C·(t − K)³ + W_max (segments,
 * seconds), with the Reno-friendly estimate W_est as a floor, fast convergence, and β = 0.7.
 */
export class Cubic extends Base {
  readonly algorithm = 'cubic';
  /** Window before the last reduction, segments. */
  wMax = 0;
  /** Start of the current congestion-avoidance epoch (ms), or −1. */
  #epochStart = -1;
  #k = 0;
  #origin = 0;
  #wEst = 0;
  #cwndEpoch = 0;
  /** Fractional segments of growth not yet added to cwnd. */
  #credit = 0;

  onAck(acked: number, nowMs: number, rttMs: number): void {
    if (this.cwnd < this.ssthresh) {
      acked = this.slowStart(acked);
      if (acked <= 0) return;
    }
    const mss = this.mss;
    const cwndSeg = this.cwnd / mss;
    if (this.#epochStart < 0) {
      this.#epochStart = nowMs;
      this.#cwndEpoch = cwndSeg;
      this.#wEst = cwndSeg;
      if (cwndSeg < this.wMax) {
        this.#k = Math.cbrt((this.wMax - cwndSeg) / CUBIC_C);
        this.#origin = this.wMax;
      } else {
        this.#k = 0;
        this.#origin = cwndSeg;
      }
    }
    const ackedSeg = acked / mss;
    const t = (nowMs - this.#epochStart + rttMs) / 1000;
    let target = this.#origin + CUBIC_C * (t - this.#k) ** 3;
    // RFC 9438 §4.2: the target stays within [cwnd, 1.5·cwnd].
    if (target < cwndSeg) target = cwndSeg;
    else if (target > 1.5 * cwndSeg) target = 1.5 * cwndSeg;
    // Reno-friendly region (§4.3): W_est grows by α per window (1 once it passed W_max).
    const alpha = this.#wEst >= this.wMax ? 1 : CUBIC_ALPHA;
    this.#wEst += (alpha * ackedSeg) / cwndSeg;
    let growth = ((target - cwndSeg) / cwndSeg) * ackedSeg;
    if (this.#wEst > cwndSeg + growth) growth = this.#wEst - cwndSeg;
    this.#credit += growth * mss;
    if (this.#credit >= 1) {
      const whole = Math.floor(this.#credit);
      this.#credit -= whole;
      this.cwnd = Math.min(MAX_CWND, this.cwnd + whole);
    }
  }

  /** W_max before the last reduction, for undo. */
  #priorWMax = 0;

  override undo(cwnd: number, ssthresh: number): void {
    super.undo(cwnd, ssthresh);
    this.wMax = Math.max(this.wMax, this.#priorWMax);
    this.#epochStart = -1;
  }

  #reduce(): void {
    this.#priorWMax = this.wMax;
    const cwndSeg = this.cwnd / this.mss;
    // Fast convergence (§4.7): release bandwidth to newer flows when W_max shrinks.
    this.wMax = cwndSeg < this.wMax ? (cwndSeg * (1 + CUBIC_BETA)) / 2 : cwndSeg;
    this.ssthresh = Math.max(Math.floor(this.cwnd * CUBIC_BETA), 2 * this.mss);
    this.#epochStart = -1;
    this.#credit = 0;
  }

  onCongestion(_nowMs: number, _flightSize: number): void {
    this.#reduce();
    this.cwnd = this.ssthresh;
  }

  onTimeout(_nowMs: number, _flightSize: number): void {
    this.#reduce();
    this.cwnd = this.mss;
  }

  override onIdleRestart(restartWindow: number): void {
    super.onIdleRestart(restartWindow);
    this.#epochStart = -1;
  }

  /** For tests and `info()`: the epoch's K (seconds) and the cwnd at its start (segments). */
  get epoch(): { k: number; cwndEpoch: number; started: boolean } {
    return { k: this.#k, cwndEpoch: this.#cwndEpoch, started: this.#epochStart >= 0 };
  }
}

/** `options` matter to BBR (v3 and v1) only: the SRTT known so far seeds its min_rtt and pacing rate. */
export function createCongestionControl(algorithm: CongestionAlgorithm, mss: number, initialWindowBytes: number, options: BbrOptions = {}): CongestionControl {
  switch (algorithm) {
    case 'newreno':
      return new NewReno(mss, initialWindowBytes);
    case 'bbr':
      return new Bbr(mss, initialWindowBytes, options);
    case 'bbr1':
      return new Bbr1(mss, initialWindowBytes, { srttMs: options.srttMs, random: options.random });
    default:
      return new Cubic(mss, initialWindowBytes);
  }
}
