/**
 * BBR congestion control, version 3, after draft-ietf-ccwg-bbr-06 ("BBR Congestion Control",
 * Cardwell/Swett/Beshay, 6 July 2026 — the latest revision published). One object per connection.
 *
 * BBR builds a model of the path from the connection's delivery-rate samples (onRateSample) and lost
 * segments (onSegmentLost) and sets three outputs from it: the pacing rate, the send quantum, and cwnd.
 * The model: max_bw (windowed max of the delivery rate over the current and previous ProbeBW cycle),
 * min_rtt (windowed min over 10 s, refreshed by ProbeRTT every 5 s), a long-term bound on inflight
 * from loss while probing (inflight_longterm, "inflight_hi"), and short-term bounds adapted once per
 * round with loss while not probing (bw_shortterm/inflight_shortterm, "bw_lo/inflight_lo").
 *
 * State machine: Startup → Drain → ProbeBW (DOWN → CRUISE → REFILL → UP → DOWN …) with ProbeRTT from
 * any state when min_rtt went unrefreshed for 5 s. Random loss does not lower max_bw; it does lower the
 * short-term bounds each round it happens outside a probe, and loss above LossThresh (2 %) while probing
 * ends the probe and bounds inflight — by design BBRv3 tolerates about 1 % random loss, not more
 * (`bbrLossThresholdPercent` raises the threshold).
 *
 * Units: bytes, milliseconds, bytes per millisecond. The connection computes the rate samples (the
 * draft's §4.1 delivery-rate sampling) and calls, per ACK: onSegmentLost for every segment it marks
 * lost, onEnterRecovery when fast recovery starts, then onRateSample; onExitRecovery when recovery
 * ends; onTimeout on an RTO; onAppLimited when it had nothing to send while cwnd allowed more.
 * ssthresh stays "infinite": BBR does not use it, and the connection skips its ssthresh/PRR logic
 * for a model-based controller.
 *
 * Choices where the draft is silent, or where the interface carries less than the draft assumes:
 * - No packet conservation in fast recovery: -06 only saves cwnd on entry and restores it on exit, and
 *   cwnd follows the model meanwhile. (BBRv1's first-round conservation, tried here, halved throughput
 *   at 1 % random loss in the simulated bottleneck: back-to-back recoveries kept cwnd from growing.)
 * - C.is_cwnd_limited, which the rate sample does not carry, is estimated from the samples: some
 *   segment in this or the previous round was sent (or this ACK arrived) with cwnd within one MSS of
 *   full.
 * - CheckStartupHighLoss (prose only in -06), as Linux's BBRv3: ACKs that marked losses count as the
 *   "discontiguous lost ranges" of the round; "in recovery for a full round" means a segment sent after
 *   recovery began has been delivered.
 * - T_reno counts rounds in segments: min(bdp, cwnd) / SMSS.
 * - MarkConnectionAppLimited() in ProbeRTT is kept here: samples of segments sent before C.delivered
 *   passes the mark count as app-limited.
 * - An RTO recovery ends (cwnd restored) when the connection says so, or at the latest once as much
 *   data as was outstanding at the timeout has been delivered since.
 * - The initial pacing rate is re-derived from the first RTT sample (the draft's "initial C.srtt").
 */
import type { CongestionControl, LostSegment, RateSample } from './congestion.js';

export type BbrState = 'startup' | 'drain' | 'probe-bw-down' | 'probe-bw-cruise' | 'probe-bw-refill' | 'probe-bw-up' | 'probe-rtt';

export interface BbrOptions {
  /** Smoothed RTT when the controller is created (ms; 0 or absent: unknown). Seeds min_rtt and the pacing rate. */
  srttMs?: number;
  /** Uniform [0, 1) numbers for the randomized probe wait (default Math.random; tests pass a seeded one). */
  random?: () => number;
  /**
   * BBR.LossThresh, the loss rate per round trip tolerated while probing (default 0.02, the draft's).
   * Like Linux's bbr_loss_thresh parameter, for paths whose random loss is above 2 %.
   */
  lossThresh?: number;
  /** C.has_selective_acks (default true); sets `hasSelectiveAcks`. */
  selectiveAcks?: boolean;
}

// Core parameters (draft §2).
const STARTUP_PACING_GAIN = 4 * Math.LN2; // 2.77: doubles the sending rate each round
const DEFAULT_CWND_GAIN = 2;
const DRAIN_PACING_GAIN = 0.5;
const PROBE_UP_PACING_GAIN = 1.25;
const PROBE_UP_CWND_GAIN = 2.25;
const PROBE_DOWN_PACING_GAIN = 0.9;
const PROBE_RTT_CWND_GAIN = 0.5;
const PACING_MARGIN = 0.01;
const DEFAULT_LOSS_THRESH = 0.02;
const BETA = 0.7;
const HEADROOM = 0.15;
const MIN_PIPE_SEGMENTS = 4;
const STARTUP_FULL_LOSS_COUNT = 6;
const FULL_BW_GROWTH = 1.25;
const FULL_BW_ROUNDS = 3;
const EXTRA_ACKED_FILTER_ROUNDS = 10;
const MIN_RTT_FILTER_MS = 10_000;
const PROBE_RTT_INTERVAL_MS = 5_000;
const PROBE_RTT_DURATION_MS = 200;
const RENO_ROUNDS_BOUND = 63;
const MAX_SEND_QUANTUM = 65536;
const MAX_CWND = 0x3fffffff;
/** A microsecond: RTTs below it (a host-local path on a coarse clock) do not make rates infinite. */
const MIN_RTT_FOR_RATE_MS = 0.001;
const INFINITE_SSTHRESH = 0x7fffffff;

// BBR.ack_phase (§2.14).
const ACKS_INIT = 0;
const ACKS_REFILLING = 1;
const ACKS_PROBE_STARTING = 2;
const ACKS_PROBE_FEEDBACK = 3;
const ACKS_PROBE_STOPPING = 4;

const NO_RECOVERY = 0;
const FAST_RECOVERY = 1;
const RTO_RECOVERY = 2;

/**
 * Kathleen Nichols' windowed running maximum: the best, second and third best samples of the window,
 * each newer than the one before (as Linux's lib/win_minmax). O(1) per update, no allocation.
 */
export class WindowedMax {
  #v0 = 0;
  #t0 = 0;
  #v1 = 0;
  #t1 = 0;
  #v2 = 0;
  #t2 = 0;

  get value(): number {
    return this.#v0;
  }

  reset(value: number, time: number): number {
    this.#v0 = this.#v1 = this.#v2 = value;
    this.#t0 = this.#t1 = this.#t2 = time;
    return value;
  }

  update(value: number, time: number, window: number): number {
    // A new best, or every kept sample aged out: start over from this one.
    if (value >= this.#v0 || time - this.#t2 > window) return this.reset(value, time);
    if (value >= this.#v1) {
      this.#v1 = this.#v2 = value;
      this.#t1 = this.#t2 = time;
    } else if (value >= this.#v2) {
      this.#v2 = value;
      this.#t2 = time;
    }
    const age = time - this.#t0;
    if (age > window) {
      // The best aged out: promote the others; the second may be out too.
      this.#v0 = this.#v1;
      this.#t0 = this.#t1;
      this.#v1 = this.#v2;
      this.#t1 = this.#t2;
      this.#v2 = value;
      this.#t2 = time;
      if (time - this.#t0 > window) {
        this.#v0 = this.#v1;
        this.#t0 = this.#t1;
        this.#v1 = this.#v2;
        this.#t1 = this.#t2;
      }
    } else if (this.#t1 === this.#t0 && age > window / 4) {
      // A quarter of the window passed with no second choice: take one from the second quarter.
      this.#v1 = this.#v2 = value;
      this.#t1 = this.#t2 = time;
    } else if (this.#t2 === this.#t1 && age > window / 2) {
      this.#v2 = value;
      this.#t2 = time;
    }
    return this.#v0;
  }
}

export class Bbr implements CongestionControl {
  readonly algorithm = 'bbr';
  readonly modelBased = true;
  /** Congestion window, bytes (C.cwnd). */
  cwnd: number;
  /** Not used by BBR: stays "infinite". */
  readonly ssthresh = INFINITE_SSTHRESH;
  /** C.pacing_rate, bytes per ms. */
  pacingRate: number;
  /** C.send_quantum, bytes. */
  sendQuantum: number;
  /**
   * C.has_selective_acks: SACK was negotiated (more than one loss per round detectable). The
   * connection sets it after the handshake; without SACK any loss while probing counts as too high.
   */
  hasSelectiveAcks = true;

  #mss: number;
  readonly #initialCwnd: number;
  readonly #random: () => number;
  readonly #lossThresh: number;
  #initialized = false;
  #now = 0;

  #state: BbrState = 'startup';
  #pacingGain = STARTUP_PACING_GAIN;
  #cwndGain = DEFAULT_CWND_GAIN;

  // Connection state as of the latest sample: C.delivered, C.inflight.
  #delivered = 0;
  #inflight = 0;
  /** MarkConnectionAppLimited() done by ProbeRTT: samples of segments sent before C.delivered passes it are app-limited. */
  #appLimitedMark = -1;
  #cwndLimitedThisRound = false;
  #cwndLimitedLastRound = false;

  // Round counting (§5.5.1).
  #roundCount = 0;
  #roundStart = false;
  #nextRoundDelivered = 0;

  // max_bw: the max of the previous and current ProbeBW cycle (MaxBwFilterLen = 2 cycles).
  #bwLastCycle = 0;
  #bwThisCycle = 0;
  #cycleCount = 0;
  #maxBw = 0;
  #bwShortterm = Infinity;
  #bw = 0;

  // min_rtt and ProbeRTT scheduling (§5.3.4).
  #minRtt = Infinity;
  #minRttStamp = 0;
  #probeRttMinDelay = Infinity;
  #probeRttMinStamp = 0;
  #probeRttExpired = false;
  #probeRttDoneStamp = -1;
  #probeRttRoundDone = false;
  #priorCwnd = 0;
  #idleRestart = false;
  #hasSeenRtt = false;

  // ACK aggregation (§5.5.9).
  readonly #extraAckedFilter = new WindowedMax();
  #extraAcked = 0;
  #extraAckedStart = 0;
  #extraAckedDelivered = 0;

  // Inflight bounds.
  #inflightLongterm = Infinity;
  #inflightShortterm = Infinity;

  // Congestion signals (§5.5.10).
  #bwLatest = 0;
  #inflightLatest = 0;
  #lossRoundDelivered = 0;
  #lossRoundStart = false;
  #lossInRound = false;
  #lossEventsInRound = 0;

  // Full pipe (§5.3.1).
  #fullBwReached = false;
  #fullBwNow = false;
  #fullBw = 0;
  #fullBwCount = 0;
  #drainStartRound = 0;

  // ProbeBW (§5.3.3).
  #ackPhase = ACKS_INIT;
  #isBwProbeSample = false;
  #bwProbeUpAcked = 0;
  #probeUpAckedPerInc = Infinity;
  #bwProbeUpRounds = 0;
  #roundsSinceProbeUp = 0;
  #bwProbeWait = 0;
  #cycleStamp = 0;
  #prevProbeTooHigh = false;
  #prevProbePrecautionary = false;

  // Undo (§5.5.11).
  #undoState: BbrState | null = null;
  #undoBwShortterm = 0;
  #undoInflightShortterm = 0;
  #undoInflightLongterm = 0;
  /** The round in which the model was last saved for undo. */
  #lossSavedRound = -1;

  // Loss recovery.
  #recovery = NO_RECOVERY;
  /** C.delivered when fast recovery began: a sample of a segment sent after it completes a round in recovery. */
  #recoveryDelivered = 0;
  #recoveryRoundDone = false;
  #rtoDelivered = 0;
  #rtoOutstanding = 0;

  constructor(mss: number, initialWindow: number, options: BbrOptions = {}) {
    this.#mss = mss;
    this.#initialCwnd = Math.max(mss, initialWindow);
    this.cwnd = this.#initialCwnd;
    this.#random = options.random ?? Math.random;
    const lt = options.lossThresh;
    this.#lossThresh = lt !== undefined && lt > 0 && lt < 1 ? lt : DEFAULT_LOSS_THRESH;
    this.hasSelectiveAcks = options.selectiveAcks ?? true;
    const srtt = options.srttMs !== undefined && options.srttMs > 0 ? options.srttMs : 0;
    if (srtt > 0) this.#minRtt = this.#probeRttMinDelay = srtt;
    // InitPacingRate: the initial window per SRTT (1 ms when unknown), at the Startup gain.
    this.pacingRate = (STARTUP_PACING_GAIN * this.#initialCwnd) / (srtt > 0 ? Math.max(srtt, MIN_RTT_FOR_RATE_MS) : 1);
    this.sendQuantum = 2 * mss;
    this.#setSendQuantum();
    this.#pickProbeWait();
  }

  // ---- read-only view of the model (tests, diagnostics) ----------------------------------------

  get state(): BbrState {
    return this.#state;
  }
  get maxBw(): number {
    return this.#maxBw;
  }
  /** min(max_bw, bw_shortterm): the rate the model paces around. */
  get bw(): number {
    return this.#bw;
  }
  get minRtt(): number {
    return this.#minRtt;
  }
  get bdp(): number {
    return this.#bdp();
  }
  get inflightLongterm(): number {
    return this.#inflightLongterm;
  }
  get inflightShortterm(): number {
    return this.#inflightShortterm;
  }
  get bwShortterm(): number {
    return this.#bwShortterm;
  }
  get fullBwReached(): boolean {
    return this.#fullBwReached;
  }
  get roundCount(): number {
    return this.#roundCount;
  }
  /** ProbeBW cycles the max_bw filter has advanced through (its virtual time). */
  get cycleCount(): number {
    return this.#cycleCount;
  }
  get extraAcked(): number {
    return this.#extraAcked;
  }
  /** BBR.LossThresh in use (a fraction). */
  get lossThreshold(): number {
    return this.#lossThresh;
  }
  get pacingGain(): number {
    return this.#pacingGain;
  }
  get cwndGain(): number {
    return this.#cwndGain;
  }

  // ---- CongestionControl: the loss-based entry points ------------------------------------------

  /** Growth comes from rate samples (onRateSample); a cumulative ACK alone changes nothing. */
  onAck(_acked: number, nowMs: number): void {
    this.#init(nowMs);
  }

  /** Loss reaches the model through onSegmentLost and onEnterRecovery; there is no ssthresh cut. */
  onCongestion(nowMs: number): void {
    this.#init(nowMs);
  }

  /**
   * OnEnterRTO: remember cwnd and the model for undo, then allow one segment beyond what is in flight
   * — nothing is, after a timeout marked the flight lost. The next ACK raises cwnd to MinPipeCwnd.
   */
  onTimeout(nowMs: number, flightSize: number): void {
    this.#init(nowMs);
    this.#saveCwnd();
    this.#saveStateUponLoss();
    this.#recovery = RTO_RECOVERY;
    this.#rtoDelivered = this.#delivered;
    this.#rtoOutstanding = Math.max(0, flightSize);
    this.#inflight = 0;
    this.cwnd = this.#mss;
  }

  /** The connection never steers a model-based window (no NewReno inflation, no PRR). */
  setCwnd(_bytes: number): void {}

  /**
   * Restart after idle (HandleRestartFromIdle): BBR keeps cwnd and paces at exactly bw, or finishes a
   * ProbeRTT that the idle period completed.
   */
  onIdleRestart(_restartWindow: number): void {
    this.#restartFromIdle(this.#now);
  }

  setMss(mss: number): void {
    if (!(mss > 0)) return;
    this.#mss = mss;
    this.cwnd = Math.max(this.cwnd, this.#minPipeCwnd());
    this.#setSendQuantum();
  }

  /** A loss recovery was spurious (HandleSpuriousLossDetection). */
  undo(_cwnd: number, _ssthresh: number): void {
    this.#restoreCwnd();
    this.#lossInRound = false;
    this.#resetFullBw();
    this.#bwShortterm = Math.max(this.#bwShortterm, this.#undoBwShortterm);
    this.#inflightShortterm = Math.max(this.#inflightShortterm, this.#undoInflightShortterm);
    this.#inflightLongterm = Math.max(this.#inflightLongterm, this.#undoInflightLongterm);
    if (this.#undoState === 'startup' && this.#state !== 'startup') {
      this.#fullBwReached = false;
      if (this.#state !== 'probe-rtt') this.#enterStartup();
    } else if (this.#undoState === 'probe-bw-up' && this.#state !== 'probe-bw-up') {
      if (this.#state !== 'probe-rtt') this.#startProbeBwRefill();
    }
    this.#undoState = null;
    this.#boundBwForModel();
  }

  // ---- CongestionControl: the model-based entry points -----------------------------------------

  onRateSample(rs: RateSample, nowMs: number): void {
    this.#init(nowMs);
    this.#delivered = rs.totalDelivered;
    this.#inflight = rs.inFlight;
    const appLimited = rs.isAppLimited || rs.priorDelivered <= this.#appLimitedMark;
    const delivered = rs.newlyAcked > 0;
    if (Math.max(rs.txInFlight, rs.priorInFlight) + this.#mss > this.cwnd) this.#cwndLimitedThisRound = true;
    if (this.#recovery !== NO_RECOVERY) this.#trackRecovery(rs, delivered);

    // UpdateModelAndState
    this.#updateLatestDeliverySignals(rs, delivered);
    this.#updateCongestionSignals(rs, appLimited, delivered);
    this.#updateAckAggregation(rs, nowMs);
    this.#checkFullBwReached(rs, appLimited);
    this.#checkStartupDone(rs);
    this.#checkDrainDone(nowMs);
    if (delivered) this.#updateProbeBwCyclePhase(rs, appLimited, nowMs);
    this.#updateMinRtt(rs, nowMs);
    this.#checkProbeRtt(rs, nowMs);
    this.#advanceLatestDeliverySignals(rs);
    this.#boundBwForModel();

    // UpdateControlParameters
    this.#setPacingRate(this.#pacingGain);
    this.#setSendQuantum();
    this.#setCwnd(rs);
  }

  /** HandleLostPacket: note the loss for the round; a probe that lost too much bounds inflight_longterm. */
  onSegmentLost(lost: LostSegment, nowMs: number): void {
    this.#init(nowMs);
    if (!this.#lossInRound) {
      // NoteLoss: the first loss of a round trip.
      this.#lossRoundDelivered = this.#delivered;
      this.#saveStateUponLoss();
    }
    this.#lossInRound = true;
    if (!this.#isBwProbeSample) return;
    if (!this.#isInflightTooHigh(lost.lostSinceSend, lost.txInFlight)) return;
    this.#handleInflightTooHigh(this.#inflightAtLoss(lost), lost.isAppLimited, nowMs);
  }

  /**
   * OnEnterFastRecovery: remember the last good cwnd and the model for undo. cwnd itself follows the
   * model (the loss response of "Updating the Model Upon Packet Loss"); -06 has no packet conservation.
   */
  onEnterRecovery(nowMs: number, inFlight: number, _newlyAcked: number): void {
    this.#init(nowMs);
    this.#saveCwnd();
    // The loss that started recovery was noted first and saved the model already (with undo_state,
    // which HandleInflightTooHigh may have set since): saving again would lose it.
    if (this.#lossSavedRound !== this.#roundCount) this.#saveStateUponLoss();
    this.#recovery = FAST_RECOVERY;
    this.#recoveryDelivered = this.#delivered;
    this.#recoveryRoundDone = false;
    this.#inflight = Math.max(0, inFlight);
  }

  /** Recovery over (all repaired, or undone): back to the last known good cwnd, within the model's bounds. */
  onExitRecovery(nowMs: number): void {
    this.#init(nowMs);
    if (this.#recovery === NO_RECOVERY) return;
    this.#exitRecovery();
  }

  /** Nothing to send with room in cwnd: if the pipe is empty too, the next send restarts from idle. */
  onAppLimited(nowMs: number): void {
    this.#init(nowMs);
    if (this.#inflight === 0) this.#restartFromIdle(nowMs);
  }

  // ---- model update (§5.5) ---------------------------------------------------------------------

  #init(now: number): void {
    this.#now = now;
    if (this.#initialized) return;
    this.#initialized = true;
    this.#minRttStamp = now;
    this.#probeRttMinStamp = now;
    this.#extraAckedStart = now;
    this.#cycleStamp = now;
  }

  #minPipeCwnd(): number {
    return MIN_PIPE_SEGMENTS * this.#mss;
  }

  #trackRecovery(rs: RateSample, delivered: boolean): void {
    if (delivered && rs.priorDelivered >= this.#recoveryDelivered) this.#recoveryRoundDone = true;
    if (this.#recovery === RTO_RECOVERY && rs.totalDelivered - this.#rtoDelivered >= this.#rtoOutstanding && this.#rtoOutstanding > 0) this.#exitRecovery();
  }

  #exitRecovery(): void {
    this.#recovery = NO_RECOVERY;
    this.#restoreCwnd();
    this.#boundCwndForProbeRtt();
    this.#boundCwndForModel();
  }

  #updateRound(rs: RateSample): void {
    if (rs.priorDelivered >= this.#nextRoundDelivered) {
      this.#startRound();
      this.#roundCount++;
      this.#roundsSinceProbeUp++;
      this.#roundStart = true;
      this.#cwndLimitedLastRound = this.#cwndLimitedThisRound;
      this.#cwndLimitedThisRound = false;
    } else {
      this.#roundStart = false;
    }
  }

  #startRound(): void {
    this.#nextRoundDelivered = this.#delivered;
  }

  #isCwndLimited(): boolean {
    return this.#cwndLimitedThisRound || this.#cwndLimitedLastRound;
  }

  #updateMaxBw(rs: RateSample, appLimited: boolean, delivered: boolean): void {
    if (delivered) this.#updateRound(rs);
    else this.#roundStart = false;
    const rate = rs.deliveryRate;
    if (rate > 0 && Number.isFinite(rate) && (rate >= this.#maxBw || !appLimited)) {
      if (rate > this.#bwThisCycle) this.#bwThisCycle = rate;
      this.#maxBw = Math.max(this.#bwLastCycle, this.#bwThisCycle);
    }
  }

  /** AdvanceMaxBwFilter: a new cycle slot; the previous cycle's max stays in the window. */
  #advanceMaxBwFilter(): void {
    this.#cycleCount++;
    if (this.#bwThisCycle === 0) return;
    this.#bwLastCycle = this.#bwThisCycle;
    this.#bwThisCycle = 0;
    this.#maxBw = this.#bwLastCycle;
  }

  #updateLatestDeliverySignals(rs: RateSample, delivered: boolean): void {
    this.#lossRoundStart = false;
    this.#bwLatest = Math.max(this.#bwLatest, rs.deliveryRate);
    this.#inflightLatest = Math.max(this.#inflightLatest, rs.delivered);
    if (delivered && rs.priorDelivered >= this.#lossRoundDelivered) {
      this.#lossRoundDelivered = this.#delivered;
      this.#lossRoundStart = true;
    }
  }

  #advanceLatestDeliverySignals(rs: RateSample): void {
    if (!this.#lossRoundStart) return;
    this.#bwLatest = rs.deliveryRate;
    this.#inflightLatest = rs.delivered;
  }

  #resetCongestionSignals(): void {
    this.#lossInRound = false;
    this.#bwLatest = 0;
    this.#inflightLatest = 0;
  }

  #updateCongestionSignals(rs: RateSample, appLimited: boolean, delivered: boolean): void {
    this.#updateMaxBw(rs, appLimited, delivered);
    if (rs.newlyLost > 0 && this.#lossEventsInRound < 0xff) this.#lossEventsInRound++;
    if (!this.#lossRoundStart) return;
    // Once per round: the response to congestion while not probing.
    if (!this.#isProbingBw() && this.#lossInRound) {
      if (this.#bwShortterm === Infinity) this.#bwShortterm = this.#maxBw;
      if (this.#inflightShortterm === Infinity) this.#inflightShortterm = this.cwnd;
      this.#bwShortterm = Math.max(this.#bwLatest, BETA * this.#bwShortterm);
      this.#inflightShortterm = Math.floor(Math.max(this.#inflightLatest, BETA * this.#inflightShortterm));
    }
    this.#lossInRound = false;
  }

  #resetShortTermModel(): void {
    this.#bwShortterm = Infinity;
    this.#inflightShortterm = Infinity;
  }

  #boundBwForModel(): void {
    this.#bw = Math.min(this.#maxBw, this.#bwShortterm);
  }

  #updateAckAggregation(rs: RateSample, now: number): void {
    const interval = now - this.#extraAckedStart;
    let expected = this.#bw * interval;
    // The ACK rate fell below the expected rate: the aggregation episode ended.
    if (this.#extraAckedDelivered <= expected) {
      this.#extraAckedDelivered = 0;
      this.#extraAckedStart = now;
      expected = 0;
    }
    this.#extraAckedDelivered += rs.newlyAcked;
    const extra = Math.max(0, Math.min(this.#extraAckedDelivered - expected, this.cwnd));
    const window = this.#fullBwReached ? EXTRA_ACKED_FILTER_ROUNDS : 1;
    this.#extraAcked = this.#extraAckedFilter.update(extra, this.#roundCount, window);
  }

  // ---- Startup and Drain (§5.3.1, §5.3.2) -------------------------------------------------------

  #enterStartup(): void {
    this.#setState('startup');
  }

  #resetFullBw(): void {
    this.#fullBw = 0;
    this.#fullBwCount = 0;
    this.#fullBwNow = false;
  }

  /** Three non-app-limited rounds without 25 % growth: the pipe is full. */
  #checkFullBwReached(rs: RateSample, appLimited: boolean): void {
    if (this.#fullBwNow || !this.#roundStart || appLimited) return;
    if (rs.deliveryRate >= this.#fullBw * FULL_BW_GROWTH) {
      this.#resetFullBw();
      this.#fullBw = rs.deliveryRate;
      return;
    }
    this.#fullBwCount++;
    this.#fullBwNow = this.#fullBwCount >= FULL_BW_ROUNDS;
    if (this.#fullBwNow) this.#fullBwReached = true;
  }

  #checkStartupDone(rs: RateSample): void {
    this.#checkStartupHighLoss(rs);
    if (this.#state === 'startup' && this.#fullBwReached) this.#enterDrain();
  }

  /**
   * Startup ends on loss when, at the end of a loss round, the connection has been in fast recovery for
   * a full round, lost more than 2 % of what was in flight and saw at least six loss events — or, without
   * SACK, on any loss in recovery. inflight_longterm then starts at what the round delivered or the BDP.
   */
  #checkStartupHighLoss(rs: RateSample): void {
    if (!this.#lossRoundStart) return;
    const lossEvents = this.#lossEventsInRound;
    this.#lossEventsInRound = 0;
    if (this.#fullBwReached || this.#state !== 'startup') return;
    const tooHigh = this.hasSelectiveAcks
      ? this.#recovery === FAST_RECOVERY && this.#recoveryRoundDone && lossEvents >= STARTUP_FULL_LOSS_COUNT && this.#isInflightTooHigh(rs.lost, rs.txInFlight)
      : this.#recovery === FAST_RECOVERY && lossEvents > 0;
    if (!tooHigh) return;
    this.#undoState = 'startup';
    this.#fullBwReached = true;
    this.#inflightLongterm = Math.floor(Math.max(this.#bdp(), this.#inflightLatest));
  }

  #enterDrain(): void {
    this.#setState('drain');
    this.#drainStartRound = this.#roundCount;
  }

  #checkDrainDone(now: number): void {
    if (this.#state !== 'drain') return;
    if (this.#inflight <= this.#inflightFor(this.#bw, 1) || this.#roundCount > this.#drainStartRound + 3) this.#enterProbeBw(now);
  }

  // ---- ProbeBW (§5.3.3) -------------------------------------------------------------------------

  #enterProbeBw(now: number): void {
    this.#startProbeBwDown(now);
  }

  #startProbeBwDown(now: number): void {
    this.#resetCongestionSignals();
    this.#probeUpAckedPerInc = Infinity;
    this.#pickProbeWait();
    this.#cycleStamp = now;
    this.#ackPhase = ACKS_PROBE_STOPPING;
    this.#startRound();
    this.#setState('probe-bw-down');
  }

  #startProbeBwCruise(): void {
    this.#setState('probe-bw-cruise');
  }

  #startProbeBwRefill(): void {
    this.#resetShortTermModel();
    this.#bwProbeUpRounds = 0;
    this.#bwProbeUpAcked = 0;
    this.#prevProbePrecautionary = false;
    this.#ackPhase = ACKS_REFILLING;
    this.#startRound();
    this.#setState('probe-bw-refill');
  }

  #startProbeBwUp(rs: RateSample): void {
    this.#ackPhase = ACKS_PROBE_STARTING;
    this.#startRound();
    this.#resetFullBw();
    this.#fullBw = rs.deliveryRate;
    this.#setState('probe-bw-up');
    this.#raiseInflightLongtermSlope();
  }

  #isInProbeBw(): boolean {
    const s = this.#state;
    return s === 'probe-bw-down' || s === 'probe-bw-cruise' || s === 'probe-bw-refill' || s === 'probe-bw-up';
  }

  #isProbingBw(): boolean {
    const s = this.#state;
    return s === 'startup' || s === 'probe-bw-refill' || s === 'probe-bw-up';
  }

  #updateProbeBwCyclePhase(rs: RateSample, appLimited: boolean, now: number): void {
    if (!this.#fullBwReached) return;
    if (this.#adaptLongTermModel(rs, appLimited)) return;
    switch (this.#state) {
      case 'probe-bw-down':
        if (this.#isTimeToProbeBw(now)) return;
        if (this.#isTimeToCruise()) this.#startProbeBwCruise();
        return;
      case 'probe-bw-cruise':
        this.#isTimeToProbeBw(now);
        return;
      case 'probe-bw-refill':
        // One round of refilling at bw, then probe.
        if (this.#roundStart) {
          this.#isBwProbeSample = true;
          this.#startProbeBwUp(rs);
        }
        return;
      case 'probe-bw-up':
        if (this.#isTimeToGoDown(rs)) {
          this.#prevProbeTooHigh = false;
          this.#startProbeBwDown(now);
        }
        return;
      default:
        return;
    }
  }

  /** Tracks the probe's ACK phases, advances the max_bw window, raises inflight_longterm. True: a transition happened. */
  #adaptLongTermModel(rs: RateSample, appLimited: boolean): boolean {
    if (this.#ackPhase === ACKS_PROBE_STARTING && this.#roundStart) this.#ackPhase = ACKS_PROBE_FEEDBACK;
    if (this.#ackPhase === ACKS_PROBE_STOPPING && this.#roundStart) {
      // The last samples of the bandwidth probe are in.
      this.#isBwProbeSample = false;
      this.#ackPhase = ACKS_INIT;
      if (this.#isInProbeBw() && !appLimited) this.#advanceMaxBwFilter();
      // Precautionary probing, acceleration: the short probe caused no excess loss, so probe again fully.
      if (this.#isInProbeBw() && this.#prevProbePrecautionary && !this.#prevProbeTooHigh) {
        this.#startProbeBwRefill();
        return true;
      }
    }
    if (!this.#isInflightTooHigh(rs.lost, rs.txInFlight)) {
      if (this.#inflightLongterm === Infinity) return false;
      if (rs.txInFlight > this.#inflightLongterm) this.#inflightLongterm = rs.txInFlight;
      if (this.#state === 'probe-bw-up') this.#probeInflightLongtermUpward(rs);
    }
    return false;
  }

  #isTimeToProbeBw(now: number): boolean {
    if (now > this.#cycleStamp + this.#bwProbeWait || this.#isRenoCoexistenceProbeTime()) {
      this.#startProbeBwRefill();
      return true;
    }
    return false;
  }

  /** Random wait before the next probe: 0 or 1 round head start on T_reno, 2–3 s of wall clock. */
  #pickProbeWait(): void {
    this.#roundsSinceProbeUp = this.#random() < 0.5 ? 0 : 1;
    this.#bwProbeWait = 2000 + 1000 * this.#random();
  }

  #isRenoCoexistenceProbeTime(): boolean {
    const renoRounds = Math.floor(this.#targetInflight() / this.#mss);
    return this.#roundsSinceProbeUp >= Math.min(renoRounds, RENO_ROUNDS_BOUND);
  }

  /** What we want in flight: the BDP, unless congestion cut cwnd below it. */
  #targetInflight(): number {
    return Math.min(this.#bdp(), this.cwnd);
  }

  #isTimeToCruise(): boolean {
    if (this.#inflight > this.#inflightWithHeadroom()) return false;
    return this.#inflight <= this.#inflightFor(this.#maxBw, 1);
  }

  #isTimeToGoDown(rs: RateSample): boolean {
    // Precautionary probing, deceleration: the last probe lost too much at this level.
    if (this.#prevProbeTooHigh && this.#inflight >= this.#inflightLongterm) {
      this.#prevProbePrecautionary = true;
      return true;
    }
    if (this.#isCwndLimited() && this.cwnd >= this.#inflightLongterm) {
      // Held back by inflight_longterm: no plateau can be seen yet.
      this.#resetFullBw();
      this.#fullBw = rs.deliveryRate;
    } else if (this.#fullBwNow) {
      return true;
    }
    return false;
  }

  #inflightWithHeadroom(): number {
    if (this.#inflightLongterm === Infinity) return Infinity;
    const headroom = Math.max(this.#mss, HEADROOM * this.#inflightLongterm);
    return Math.max(this.#inflightLongterm - headroom, this.#minPipeCwnd());
  }

  /** inflight_longterm grows by 1, 2, 4 … segments per round while cwnd is held at it. */
  #raiseInflightLongtermSlope(): void {
    const growthThisRound = 2 ** this.#bwProbeUpRounds;
    this.#bwProbeUpRounds = Math.min(this.#bwProbeUpRounds + 1, 30);
    this.#probeUpAckedPerInc = Math.max(this.cwnd / growthThisRound, this.#mss);
  }

  #probeInflightLongtermUpward(rs: RateSample): void {
    if (!this.#isCwndLimited() || this.cwnd < this.#inflightLongterm) return;
    this.#bwProbeUpAcked += rs.newlyAcked;
    if (this.#bwProbeUpAcked >= this.#probeUpAckedPerInc) {
      const delta = Math.floor(this.#bwProbeUpAcked / this.#probeUpAckedPerInc);
      this.#bwProbeUpAcked -= delta * this.#probeUpAckedPerInc;
      this.#inflightLongterm = Math.min(MAX_CWND, this.#inflightLongterm + delta * this.#mss);
    }
    if (this.#roundStart) this.#raiseInflightLongtermSlope();
  }

  // ---- loss while probing (§5.5.10.2) ----------------------------------------------------------

  #isInflightTooHigh(lost: number, txInFlight: number): boolean {
    return lost > txInFlight * this.#lossThresh || (lost > 0 && !this.hasSelectiveAcks);
  }

  /** The inflight at which the loss rate crossed the threshold, within the lost (possibly LSO-sized) segment. */
  #inflightAtLoss(p: LostSegment): number {
    const inflightPrev = Math.max(0, p.txInFlight - p.bytes);
    const lostPrev = Math.max(0, p.lostSinceSend - p.bytes);
    const lostPrefix = (this.#lossThresh * inflightPrev - lostPrev) / (1 - this.#lossThresh);
    return Math.max(0, inflightPrev + lostPrefix);
  }

  #handleInflightTooHigh(txInFlight: number, appLimited: boolean, now: number): void {
    this.#prevProbeTooHigh = true;
    this.#isBwProbeSample = false; // react once per probe
    if (!appLimited) this.#inflightLongterm = Math.floor(Math.max(txInFlight, BETA * this.#targetInflight()));
    if (this.#state === 'probe-bw-up') {
      this.#undoState = 'probe-bw-up';
      this.#startProbeBwDown(now);
    }
  }

  #saveStateUponLoss(): void {
    this.#lossSavedRound = this.#roundCount;
    this.#saveCwnd();
    this.#undoState = null;
    this.#undoBwShortterm = this.#bwShortterm;
    this.#undoInflightShortterm = this.#inflightShortterm;
    this.#undoInflightLongterm = this.#inflightLongterm;
  }

  // ---- min_rtt and ProbeRTT (§5.3.4) -------------------------------------------------------------

  #updateMinRtt(rs: RateSample, now: number): void {
    this.#probeRttExpired = now > this.#probeRttMinStamp + PROBE_RTT_INTERVAL_MS;
    const rtt = rs.rttMs;
    if (rtt >= 0 && Number.isFinite(rtt) && (rtt < this.#probeRttMinDelay || this.#probeRttExpired)) {
      this.#probeRttMinDelay = rtt;
      this.#probeRttMinStamp = now;
    }
    const minRttExpired = now > this.#minRttStamp + MIN_RTT_FILTER_MS;
    if (this.#probeRttMinDelay < this.#minRtt || (minRttExpired && this.#probeRttMinDelay !== Infinity)) {
      this.#minRtt = this.#probeRttMinDelay;
      this.#minRttStamp = this.#probeRttMinStamp;
    }
    if (!this.#hasSeenRtt && rtt > 0 && Number.isFinite(rtt)) {
      // The first RTT: the initial pacing rate from it instead of the 1 ms guess.
      this.#hasSeenRtt = true;
      this.pacingRate = (STARTUP_PACING_GAIN * this.#initialCwnd) / Math.max(rtt, MIN_RTT_FOR_RATE_MS);
    }
  }

  #checkProbeRtt(rs: RateSample, now: number): void {
    if (this.#state !== 'probe-rtt' && this.#probeRttExpired && !this.#idleRestart) {
      this.#setState('probe-rtt');
      this.#saveCwnd();
      this.#probeRttDoneStamp = -1;
      this.#ackPhase = ACKS_PROBE_STOPPING;
      this.#startRound();
    }
    if (this.#state === 'probe-rtt') this.#handleProbeRtt(now);
    if (rs.delivered > 0) this.#idleRestart = false;
  }

  #handleProbeRtt(now: number): void {
    // Samples taken while inflight is held low say nothing about the path's bandwidth.
    this.#appLimitedMark = Math.max(this.#appLimitedMark, this.#delivered + this.#inflight, 1);
    if (this.#probeRttDoneStamp < 0 && this.#inflight <= this.#probeRttCwnd()) {
      // Hold for ProbeRTTDuration and at least one round.
      this.#probeRttDoneStamp = now + PROBE_RTT_DURATION_MS;
      this.#probeRttRoundDone = false;
      this.#startRound();
    } else if (this.#probeRttDoneStamp >= 0) {
      if (this.#roundStart) this.#probeRttRoundDone = true;
      if (this.#probeRttRoundDone) this.#checkProbeRttDone(now);
    }
  }

  #checkProbeRttDone(now: number): void {
    if (this.#probeRttDoneStamp < 0 || now <= this.#probeRttDoneStamp) return;
    this.#probeRttMinStamp = now; // the next ProbeRTT in 5 s
    this.#restoreCwnd();
    this.#resetShortTermModel();
    if (this.#fullBwReached) {
      this.#startProbeBwDown(now);
      this.#startProbeBwCruise(); // inflight is below the BDP already
    } else {
      this.#enterStartup();
    }
  }

  #probeRttCwnd(): number {
    return Math.max(this.#bdpMultiple(this.#bw, PROBE_RTT_CWND_GAIN), this.#minPipeCwnd());
  }

  #restartFromIdle(now: number): void {
    this.#idleRestart = true;
    this.#extraAckedStart = now;
    this.#extraAckedDelivered = 0;
    if (this.#isInProbeBw()) this.#setPacingRate(1);
    else if (this.#state === 'probe-rtt') this.#checkProbeRttDone(now);
  }

  // ---- control parameters (§5.6) -----------------------------------------------------------------

  #setState(state: BbrState): void {
    this.#state = state;
    switch (state) {
      case 'startup':
        this.#pacingGain = STARTUP_PACING_GAIN;
        this.#cwndGain = DEFAULT_CWND_GAIN;
        return;
      case 'drain':
        this.#pacingGain = DRAIN_PACING_GAIN;
        this.#cwndGain = DEFAULT_CWND_GAIN;
        return;
      case 'probe-bw-down':
        this.#pacingGain = PROBE_DOWN_PACING_GAIN;
        this.#cwndGain = DEFAULT_CWND_GAIN;
        return;
      case 'probe-bw-cruise':
      case 'probe-bw-refill':
        this.#pacingGain = 1;
        this.#cwndGain = DEFAULT_CWND_GAIN;
        return;
      case 'probe-bw-up':
        this.#pacingGain = PROBE_UP_PACING_GAIN;
        this.#cwndGain = PROBE_UP_CWND_GAIN;
        return;
      case 'probe-rtt':
        this.#pacingGain = 1;
        this.#cwndGain = PROBE_RTT_CWND_GAIN;
        return;
    }
  }

  /** bw · gain, 1 % under; lowered only once the pipe was filled (so app-limited starts never slow it). */
  #setPacingRate(gain: number): void {
    const rate = gain * this.#bw * (1 - PACING_MARGIN);
    if (rate > 0 && Number.isFinite(rate) && (this.#fullBwReached || rate > this.pacingRate)) this.pacingRate = rate;
  }

  /** About 1 ms of data at the pacing rate, within [2·SMSS, 64 KB]. */
  #setSendQuantum(): void {
    this.sendQuantum = Math.max(Math.min(this.pacingRate, MAX_SEND_QUANTUM), 2 * this.#mss);
  }

  #bdp(): number {
    return this.#minRtt === Infinity ? this.#initialCwnd : this.#bw * this.#minRtt;
  }

  #bdpMultiple(bw: number, gain: number): number {
    if (this.#minRtt === Infinity) return this.#initialCwnd; // no RTT sample yet
    return gain * bw * this.#minRtt;
  }

  /** Room for the offload engines (3 send quanta), at least MinPipeCwnd, and 2 segments more while probing up. */
  #quantizationBudget(cap: number): number {
    cap = Math.max(cap, 3 * this.sendQuantum, this.#minPipeCwnd());
    if (this.#state === 'probe-bw-up') cap += 2 * this.#mss;
    return cap;
  }

  #inflightFor(bw: number, gain: number): number {
    return this.#quantizationBudget(this.#bdpMultiple(bw, gain));
  }

  #setCwnd(rs: RateSample): void {
    const maxInflight = this.#quantizationBudget(this.#bdpMultiple(this.#bw, this.#cwndGain) + this.#extraAcked);
    const acked = Math.max(0, rs.newlyAcked);
    let cwnd = this.cwnd;
    if (this.#fullBwReached) cwnd = Math.min(cwnd + acked, maxInflight);
    else if (cwnd < maxInflight || this.#delivered < this.#initialCwnd) cwnd += acked;
    this.cwnd = Math.floor(Math.min(MAX_CWND, Math.max(cwnd, this.#minPipeCwnd())));
    this.#boundCwndForProbeRtt();
    this.#boundCwndForModel();
  }

  #boundCwndForProbeRtt(): void {
    if (this.#state === 'probe-rtt') this.cwnd = Math.floor(Math.min(this.cwnd, this.#probeRttCwnd()));
  }

  /** The volume caps of the current state: inflight_longterm (with headroom while cruising), inflight_shortterm. */
  #boundCwndForModel(): void {
    let cap = Infinity;
    if (this.#isInProbeBw() && this.#state !== 'probe-bw-cruise') cap = this.#inflightLongterm;
    else if (this.#state === 'probe-rtt' || this.#state === 'probe-bw-cruise') cap = this.#inflightWithHeadroom();
    cap = Math.min(cap, this.#inflightShortterm);
    cap = Math.max(cap, this.#minPipeCwnd());
    this.cwnd = Math.floor(Math.min(this.cwnd, cap));
  }

  /** The last known good cwnd, outside loss recovery and ProbeRTT. */
  #saveCwnd(): void {
    if (this.#recovery === NO_RECOVERY && this.#state !== 'probe-rtt') this.#priorCwnd = this.cwnd;
    else this.#priorCwnd = Math.max(this.#priorCwnd, this.cwnd);
  }

  #restoreCwnd(): void {
    this.cwnd = Math.max(this.cwnd, this.#priorCwnd);
  }
}
