/**
 * BBR congestion control, version 1 ("bbr1"): the algorithm of draft-cardwell-iccrg-bbr-congestion-control-00
 * (July 2017) and the ACM Queue article "BBR: Congestion-Based Congestion Control" (Cardwell et al.,
 * 2016), with Linux's mainline tcp_bbr.c — what `congctl bbr` runs — as the reference for the details
 * the draft leaves open. One object per connection. BBRv3 (draft-ietf-ccwg-bbr) is `bbr`, in bbr.ts.
 *
 * The model has two numbers, both from the connection's delivery-rate samples:
 * - BtlBw, the bottleneck bandwidth: a windowed max of the delivery rate over 10 round trips.
 *   Application-limited samples enter only when they exceed the current max.
 * - RTprop, the round-trip propagation time: the min RTT over 10 s; when it goes 10 s without a sample
 *   at or below it, ProbeRTT holds cwnd at 4 segments for max(200 ms, one round) to measure it again.
 * Outputs: pacing rate = pacing_gain × BtlBw, 1 % under (Linux's margin); cwnd = cwnd_gain × BDP plus
 * the measured ACK aggregation, plus a quantization allowance of three send quanta rounded up to an
 * even number of segments (two segments more in the 1.25 phase), at least 4 segments; send quantum
 * about 1 ms at the pacing rate (Linux's TSO autosizing: 1 segment below 1.2 Mbit/s, else 2 to 64 KB).
 *
 * States: Startup (pacing and cwnd gain 2/ln 2 ≈ 2.89, doubling the rate each round) until three
 * non-app-limited rounds pass without BtlBw growing 25 % → Drain (pacing gain ln 2/2, the inverse)
 * until inflight is down to one BDP → ProbeBW, cycling the pacing gain through
 * [1.25, 0.75, 1, 1, 1, 1, 1, 1], one phase per RTprop, from a random phase other than 0.75; the 1.25
 * phase lasts until inflight reached 1.25 × BDP or a loss, the 0.75 phase ends early once inflight is
 * down to the BDP → ProbeRTT when RTprop expired, then back to ProbeBW (or Startup if the pipe was
 * never filled).
 *
 * Loss does not enter the model: random loss neither lowers BtlBw nor ends a phase other than 1.25.
 * Around loss recovery cwnd does what Linux's does (`packetConservation`, the default): every ACK's
 * newly lost bytes come off cwnd; the first round of fast recovery conserves packets (cwnd = inflight
 * + acked: an ACK releases what it delivered); after that cwnd grows by what is ACKed towards the
 * model's target; leaving recovery (or an RTO's recovery) restores the cwnd saved on entry.
 * `packetConservation: false` instead leaves cwnd to the model in recovery (saved on entry, restored on
 * exit), as bbr.ts does for v3, whose header notes that first-round conservation halved v3's rate at
 * 1 % loss. Measured for v1 (the choice is Linux's, since both keep Linux's outcome: most of the link
 * at 3 % and 10 % random loss, no RTO):
 * - bottleneck simulator (test/support/bottleneck-sim.ts, 300 Mbit/s, 4.5 ms, a BDP of buffer, 4 s),
 *   with retransmission, so a recovery lasts until its holes are repaired as in TCP: Linux's variant
 *   292 Mbit/s at 3 % loss and 237–260 at 10 %, the model-only one 299 and 276. Without retransmission
 *   every recovery lasts exactly one round and so is all conservation: 276 and 66 against 299 and 276
 *   — the effect bbr.ts's note saw; a real sender's recoveries are longer.
 * - the whole stack on the simulated link (test/support/tcp-link.ts: 300 Mbit/s, 2.25 ms each way,
 *   2 % reordering, 1 % duplication, 60 MB): 272–275 Mbit/s at 3 % and 259–260 at 10 % against
 *   277–279 and 263–265, with 1 660–1 670 retransmissions at 3 % against 1 920–2 140, no RTO in either.
 *
 * Units: bytes, milliseconds, bytes per millisecond (Linux counts segments; its segment rounding is
 * kept where it matters: the BDP is rounded up to whole segments). The connection calls, per ACK,
 * onEnterRecovery when fast recovery starts, then onRateSample; onExitRecovery when recovery ends;
 * onTimeout on an RTO; onAppLimited when it had nothing to send while cwnd allowed more. ssthresh
 * stays "infinite".
 *
 * Not done, or done differently:
 * - Linux's long-term bandwidth (token-bucket policer) detection is omitted: on a policed path with
 *   heavy loss BBRv1 here keeps pacing at BtlBw where Linux would fall back to the policed rate.
 * - Linux judges the ProbeBW phase and Drain's end by the inflight expected at the next departure
 *   time (fq's EDT); the connection does not share its pacer's schedule, so this takes the inflight
 *   before the ACK (plus one send quantum in the 1.25 phase, as Linux's estimate with EDT = now).
 * - Rounds count on every ACK that delivered data (the draft's UpdateRound); Linux skips samples with
 *   an invalid interval. Linux refreshes an expired RTprop with any sample not ACK-delayed; the sample
 *   carries no such flag, so any sample does.
 * - ProbeRTT marks the connection app-limited (Linux's tp->app_limited): here samples of segments sent
 *   while the mark stood (delivered count at send within the ProbeRTT's range) count as app-limited.
 * - The end of an RTO's recovery (Linux: leaving TCP_CA_Loss) is when the connection says so, or once
 *   as much data as was outstanding at the timeout has been delivered since.
 * - Linux's restart after idle is CA_EVENT_TX_START with the connection app-limited: here onAppLimited
 *   with nothing in flight, or onIdleRestart (which leaves cwnd alone, as Linux does for BBR).
 */
import { WindowedMax } from './bbr.js';
import type { CongestionControl, LostSegment, RateSample } from './congestion.js';

export type Bbr1State = 'startup' | 'drain' | 'probe-bw' | 'probe-rtt';

export interface Bbr1Options {
  /** Smoothed RTT when the controller is created (ms; 0 or absent: unknown). Seeds RTprop and the pacing rate. */
  srttMs?: number;
  /** Uniform [0, 1) numbers for the random ProbeBW start phase (default Math.random; tests pass a seeded one). */
  random?: () => number;
  /** Linux's cwnd handling around loss recovery (default true); false: cwnd follows the model only. */
  packetConservation?: boolean;
}

/** 2/ln 2: the smallest gain that doubles the sending rate each round (Startup). */
const HIGH_GAIN = 2 / Math.LN2;
/** Its inverse: drains Startup's queue in about one round. */
const DRAIN_GAIN = 1 / HIGH_GAIN;
const CWND_GAIN = 2;
/** ProbeBW's pacing gains, one phase per RTprop. */
const PACING_GAIN_CYCLE: readonly number[] = Object.freeze([1.25, 0.75, 1, 1, 1, 1, 1, 1]);
const CYCLE_LEN = 8;
/** The start phase is drawn from this many phases: all but the 0.75 one. */
const CYCLE_RAND = 7;
/** BtlBw filter window, rounds (Linux: CYCLE_LEN + 2). */
const BW_FILTER_ROUNDS = CYCLE_LEN + 2;
const RTPROP_FILTER_MS = 10_000;
const PROBE_RTT_DURATION_MS = 200;
const MIN_PIPE_SEGMENTS = 4;
const FULL_BW_GROWTH = 1.25;
const FULL_BW_ROUNDS = 3;
const PACING_MARGIN = 0.01;
/** ACK aggregation: a max over two windows of 5 rounds each, capped at 100 ms of data at BtlBw. */
const EXTRA_ACKED_WINDOW_ROUNDS = 5;
const EXTRA_ACKED_MAX_MS = 100;
/** Linux restarts an aggregation epoch after 2^20 segments ACKed in it. */
const ACK_EPOCH_RESET_SEGMENTS = 1 << 20;
/** Below 1.2 Mbit/s (bytes per ms) one segment per send quantum, else at least two (Linux bbr_min_tso_segs). */
const MIN_TSO_RATE = 150;
const MAX_SEND_QUANTUM = 65536;
const MAX_QUANTUM_SEGMENTS = 127;
const MAX_CWND = 0x3fffffff;
/** A microsecond: an RTT below it (a host-local path on a coarse clock) does not make a rate infinite. */
const MIN_RTT_FOR_RATE_MS = 0.001;
const INFINITE_SSTHRESH = 0x7fffffff;

const NO_RECOVERY = 0;
const FAST_RECOVERY = 1;
const RTO_RECOVERY = 2;

export class Bbr1 implements CongestionControl {
  readonly algorithm = 'bbr1';
  readonly modelBased = true;
  /** Congestion window, bytes. */
  cwnd: number;
  /** Not used by BBR: stays "infinite". */
  readonly ssthresh = INFINITE_SSTHRESH;
  /** Bytes per ms. */
  pacingRate: number;
  /** Bytes the pacer may release back to back. */
  sendQuantum: number;

  #mss: number;
  readonly #initialCwnd: number;
  readonly #random: () => number;
  readonly #conserve: boolean;
  #initialized = false;
  #now = 0;

  #state: Bbr1State = 'startup';
  #pacingGain = HIGH_GAIN;
  #cwndGain = HIGH_GAIN;

  // The connection as of the latest sample: C.delivered, inflight.
  #delivered = 0;
  #inflight = 0;

  // Rounds.
  #roundCount = 0;
  #roundStart = false;
  #nextRoundDelivered = 0;

  // BtlBw: a max filter with the round count as its clock.
  readonly #bw = new WindowedMax();

  // RTprop and ProbeRTT.
  #minRtt = Infinity;
  #minRttStamp = 0;
  #probeRttDoneStamp = -1;
  #probeRttRoundDone = false;
  /** Samples of segments sent with C.delivered in [from, until] count as app-limited (ProbeRTT's mark). */
  #appLimitedFrom = -1;
  #appLimitedUntil = -1;
  #idleRestart = false;
  #hasSeenRtt = false;
  #priorCwnd = 0;

  // Full pipe.
  #fullBwReached = false;
  #fullBw = 0;
  #fullBwCount = 0;

  // ProbeBW gain cycle.
  #cycleIndex = 0;
  #cycleStamp = 0;

  // ACK aggregation.
  readonly #extraAcked = [0, 0];
  #extraAckedWinRounds = 0;
  #extraAckedWinIdx = 0;
  #ackEpochStart = 0;
  #ackEpochAcked = 0;

  // Loss recovery.
  #recovery = NO_RECOVERY;
  /** Fast recovery began and no ACK has applied its cwnd cut yet. */
  #enteringRecovery = false;
  /** In the packet-conserving first round of fast recovery. */
  #conserving = false;
  #rtoDelivered = 0;
  #rtoOutstanding = 0;

  constructor(mss: number, initialWindow: number, options: Bbr1Options = {}) {
    this.#mss = mss;
    this.#initialCwnd = Math.max(mss, initialWindow);
    this.cwnd = this.#initialCwnd;
    this.#random = options.random ?? Math.random;
    this.#conserve = options.packetConservation ?? true;
    const srtt = options.srttMs !== undefined && options.srttMs > 0 ? options.srttMs : 0;
    if (srtt > 0) {
      this.#minRtt = srtt;
      this.#hasSeenRtt = true;
    }
    // High gain × cwnd per SRTT (a nominal 1 ms when unknown).
    this.pacingRate = this.#rate(this.cwnd / (srtt > 0 ? Math.max(srtt, MIN_RTT_FOR_RATE_MS) : 1), HIGH_GAIN);
    this.sendQuantum = 2 * mss;
    this.#setSendQuantum();
  }

  // ---- read-only view of the model (tests, diagnostics) ----------------------------------------

  get state(): Bbr1State {
    return this.#state;
  }
  /** BtlBw, bytes per ms (no long-term policer estimate: also the bandwidth the model uses). */
  get maxBw(): number {
    return this.#bw.value;
  }
  get bw(): number {
    return this.#bw.value;
  }
  /** RTprop, ms (Infinity before the first sample). */
  get minRtt(): number {
    return this.#minRtt;
  }
  get bdp(): number {
    return this.#bdp(this.#bw.value, 1);
  }
  get fullBwReached(): boolean {
    return this.#fullBwReached;
  }
  get roundCount(): number {
    return this.#roundCount;
  }
  get pacingGain(): number {
    return this.#pacingGain;
  }
  get cwndGain(): number {
    return this.#cwndGain;
  }
  /** The ProbeBW phase, an index into [1.25, 0.75, 1, 1, 1, 1, 1, 1]. */
  get cycleIndex(): number {
    return this.#cycleIndex;
  }
  /** The cwnd allowance for ACK aggregation, bytes. */
  get extraAcked(): number {
    return this.#aggregationCwnd();
  }
  /** In fast recovery's packet-conserving first round. */
  get conserving(): boolean {
    return this.#conserving;
  }
  get inRecovery(): boolean {
    return this.#recovery !== NO_RECOVERY;
  }
  /** The cwnd saved on entering recovery or ProbeRTT, restored on leaving it. */
  get priorCwnd(): number {
    return this.#priorCwnd;
  }
  get packetConservation(): boolean {
    return this.#conserve;
  }

  // ---- CongestionControl: the loss-based entry points ------------------------------------------

  onAck(_acked: number, nowMs: number): void {
    this.#init(nowMs);
  }

  onCongestion(nowMs: number): void {
    this.#init(nowMs);
  }

  /**
   * An RTO (Linux: entering TCP_CA_Loss): save cwnd, and since the timeout marked the flight lost,
   * cwnd is what is in flight plus one segment. Slow start by the bytes ACKed follows, towards the
   * model's target, until the recovery ends and the saved cwnd returns.
   */
  onTimeout(nowMs: number, flightSize: number): void {
    this.#init(nowMs);
    this.#saveCwnd();
    this.#recovery = RTO_RECOVERY;
    this.#enteringRecovery = false;
    this.#conserving = false;
    this.#rtoDelivered = this.#delivered;
    this.#rtoOutstanding = Math.max(0, flightSize);
    this.#fullBw = 0;
    this.#inflight = 0;
    this.cwnd = this.#mss;
  }

  /** The connection never steers a model-based window. */
  setCwnd(_bytes: number): void {}

  /** Restart after idle: BBR keeps cwnd (Linux skips the RFC 5681 restart for it) and paces at BtlBw. */
  onIdleRestart(_restartWindow: number): void {
    this.#restartFromIdle(this.#now);
  }

  setMss(mss: number): void {
    if (!(mss > 0)) return;
    this.#mss = mss;
    this.cwnd = Math.max(this.cwnd, this.#minPipeCwnd());
    this.#setSendQuantum();
  }

  /** A spurious recovery (Linux bbr_undo_cwnd): full-pipe detection starts over; cwnd back to the saved one. */
  undo(_cwnd: number, _ssthresh: number): void {
    this.#fullBw = 0;
    this.#fullBwCount = 0;
    if (this.#recovery !== NO_RECOVERY) this.#exitRecovery();
  }

  // ---- CongestionControl: the model-based entry points -----------------------------------------

  onRateSample(rs: RateSample, nowMs: number): void {
    this.#init(nowMs);
    this.#delivered = rs.totalDelivered;
    this.#inflight = rs.inFlight;
    if (this.#recovery === RTO_RECOVERY && this.#rtoOutstanding > 0 && rs.totalDelivered - this.#rtoDelivered >= this.#rtoOutstanding) this.#exitRecovery();
    const appLimited = rs.isAppLimited || (rs.priorDelivered >= this.#appLimitedFrom && rs.priorDelivered <= this.#appLimitedUntil);

    // Update the model.
    this.#updateBw(rs, appLimited);
    this.#updateAckAggregation(rs, nowMs);
    this.#updateCyclePhase(rs, nowMs);
    this.#checkFullBwReached(appLimited);
    this.#checkDrain(nowMs);
    this.#updateMinRtt(rs, nowMs);
    this.#updateGains();

    // Set the control parameters.
    if (!this.#hasSeenRtt && rs.rttMs > 0 && Number.isFinite(rs.rttMs)) {
      // The first RTT: the initial pacing rate from it instead of the nominal 1 ms.
      this.#hasSeenRtt = true;
      this.pacingRate = this.#rate(this.cwnd / Math.max(rs.rttMs, MIN_RTT_FOR_RATE_MS), HIGH_GAIN);
    }
    this.#setPacingRate(this.#pacingGain);
    this.#setSendQuantum();
    this.#setCwnd(rs);
  }

  /** BBRv1 takes losses from the rate sample (newlyLost); a single lost segment changes nothing. */
  onSegmentLost(_lost: LostSegment, nowMs: number): void {
    this.#init(nowMs);
  }

  /** Fast recovery starts (Linux: bbr_ssthresh, then the Recovery state): save cwnd; the next ACK cuts it. */
  onEnterRecovery(nowMs: number, inFlight: number, _newlyAcked: number): void {
    this.#init(nowMs);
    this.#saveCwnd();
    this.#recovery = FAST_RECOVERY;
    this.#enteringRecovery = true;
    this.#inflight = Math.max(0, inFlight);
  }

  /** Recovery over: back to the cwnd saved on entry (the next ACK caps it at the model's target). */
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

  // ---- model update ----------------------------------------------------------------------------

  #init(now: number): void {
    this.#now = now;
    if (this.#initialized) return;
    this.#initialized = true;
    this.#minRttStamp = now;
    this.#ackEpochStart = now;
    this.#cycleStamp = now;
  }

  #minPipeCwnd(): number {
    return MIN_PIPE_SEGMENTS * this.#mss;
  }

  #exitRecovery(): void {
    this.#recovery = NO_RECOVERY;
    this.#enteringRecovery = false;
    this.#conserving = false;
    this.cwnd = Math.max(this.cwnd, this.#priorCwnd);
    if (this.#state === 'probe-rtt') this.cwnd = Math.min(this.cwnd, this.#minPipeCwnd());
  }

  /** Round counting and the BtlBw filter. */
  #updateBw(rs: RateSample, appLimited: boolean): void {
    this.#roundStart = false;
    if (rs.newlyAcked <= 0) return;
    if (rs.priorDelivered >= this.#nextRoundDelivered) {
      this.#nextRoundDelivered = this.#delivered;
      this.#roundCount++;
      this.#roundStart = true;
      this.#conserving = false;
    }
    const rate = rs.deliveryRate;
    // An app-limited sample says little about the path unless it beats the max.
    if (rate > 0 && Number.isFinite(rate) && (!appLimited || rate >= this.#bw.value)) this.#bw.update(rate, this.#roundCount, BW_FILTER_ROUNDS);
  }

  /** Data ACKed beyond what BtlBw explains since the epoch began: room cwnd keeps for ACK aggregation. */
  #updateAckAggregation(rs: RateSample, now: number): void {
    const acked = rs.newlyAcked;
    if (acked <= 0) return;
    if (this.#roundStart) {
      this.#extraAckedWinRounds = Math.min(31, this.#extraAckedWinRounds + 1);
      if (this.#extraAckedWinRounds >= EXTRA_ACKED_WINDOW_ROUNDS) {
        this.#extraAckedWinRounds = 0;
        this.#extraAckedWinIdx ^= 1;
        this.#extraAcked[this.#extraAckedWinIdx] = 0;
      }
    }
    let expected = this.#bw.value * (now - this.#ackEpochStart);
    if (this.#ackEpochAcked <= expected || this.#ackEpochAcked + acked >= ACK_EPOCH_RESET_SEGMENTS * this.#mss) {
      // The ACK rate fell to the expected rate (or the epoch is very old): a new epoch.
      this.#ackEpochAcked = 0;
      this.#ackEpochStart = now;
      expected = 0;
    }
    this.#ackEpochAcked += acked;
    const extra = Math.min(this.#ackEpochAcked - expected, this.cwnd);
    if (extra > this.#extraAcked[this.#extraAckedWinIdx]!) this.#extraAcked[this.#extraAckedWinIdx] = extra;
  }

  #aggregationCwnd(): number {
    if (!this.#fullBwReached) return 0;
    return Math.min(Math.max(this.#extraAcked[0]!, this.#extraAcked[1]!), this.#bw.value * EXTRA_ACKED_MAX_MS);
  }

  // ---- ProbeBW's gain cycle ----------------------------------------------------------------------

  #updateCyclePhase(rs: RateSample, now: number): void {
    if (this.#state === 'probe-bw' && this.#isNextCyclePhase(rs, now)) this.#advanceCyclePhase(now);
  }

  /** A phase lasts one RTprop; the 1.25 phase until inflight reached 1.25·BDP or a loss, the 0.75 phase less if inflight is down to the BDP. */
  #isNextCyclePhase(rs: RateSample, now: number): boolean {
    const fullLength = now - this.#cycleStamp > this.#minRtt;
    const gain = this.#pacingGain;
    if (gain === 1) return fullLength;
    const bw = this.#bw.value;
    if (gain > 1) {
      // What is in the network once the segment about to leave has left (EDT = now).
      const inflight = rs.priorInFlight + this.sendQuantum;
      return fullLength && (rs.newlyLost > 0 || inflight >= this.#inflightFor(bw, gain));
    }
    return fullLength || rs.priorInFlight <= this.#inflightFor(bw, 1);
  }

  #advanceCyclePhase(now: number): void {
    this.#cycleIndex = (this.#cycleIndex + 1) % CYCLE_LEN;
    this.#cycleStamp = now;
  }

  /** ProbeBW from a random phase, never the 0.75 one (it would drain a queue that is not there). */
  #enterProbeBw(now: number): void {
    this.#state = 'probe-bw';
    this.#cycleIndex = CYCLE_LEN - 1 - Math.min(CYCLE_RAND - 1, Math.floor(this.#random() * CYCLE_RAND));
    this.#advanceCyclePhase(now);
  }

  // ---- Startup and Drain -------------------------------------------------------------------------

  /** Three non-app-limited rounds without BtlBw growing 25 %: the pipe is full. */
  #checkFullBwReached(appLimited: boolean): void {
    if (this.#fullBwReached || !this.#roundStart || appLimited) return;
    const bw = this.#bw.value;
    if (bw >= this.#fullBw * FULL_BW_GROWTH) {
      this.#fullBw = bw;
      this.#fullBwCount = 0;
      return;
    }
    this.#fullBwCount++;
    this.#fullBwReached = this.#fullBwCount >= FULL_BW_ROUNDS;
  }

  #checkDrain(now: number): void {
    if (this.#state === 'startup' && this.#fullBwReached) this.#state = 'drain';
    if (this.#state === 'drain' && this.#inflight <= this.#inflightFor(this.#bw.value, 1)) this.#enterProbeBw(now);
  }

  // ---- RTprop and ProbeRTT -----------------------------------------------------------------------

  #updateMinRtt(rs: RateSample, now: number): void {
    const expired = now > this.#minRttStamp + RTPROP_FILTER_MS;
    const rtt = rs.rttMs;
    if (rtt >= 0 && Number.isFinite(rtt) && (rtt <= this.#minRtt || expired)) {
      this.#minRtt = rtt;
      this.#minRttStamp = now;
    }
    if (expired && !this.#idleRestart && this.#state !== 'probe-rtt') {
      // Dip: drain the queue so the path's RTT shows.
      this.#state = 'probe-rtt';
      this.#saveCwnd();
      this.#probeRttDoneStamp = -1;
      this.#appLimitedFrom = this.#delivered;
    }
    if (this.#state === 'probe-rtt') {
      // Samples taken while inflight is held low say nothing about the bandwidth.
      this.#appLimitedUntil = Math.max(this.#appLimitedUntil, this.#delivered + this.#inflight, 1);
      if (this.#probeRttDoneStamp < 0 && this.#inflight <= this.#minPipeCwnd()) {
        // Hold for max(200 ms, one round) at this inflight.
        this.#probeRttDoneStamp = now + PROBE_RTT_DURATION_MS;
        this.#probeRttRoundDone = false;
        this.#nextRoundDelivered = this.#delivered;
      } else if (this.#probeRttDoneStamp >= 0) {
        if (this.#roundStart) this.#probeRttRoundDone = true;
        if (this.#probeRttRoundDone) this.#checkProbeRttDone(now);
      }
    }
    // A restart after idle ends with the first new delivery.
    if (rs.newlyAcked > 0) this.#idleRestart = false;
  }

  #checkProbeRttDone(now: number): void {
    if (this.#probeRttDoneStamp < 0 || now <= this.#probeRttDoneStamp) return;
    this.#minRttStamp = now; // the next ProbeRTT in 10 s unless a lower RTT comes first
    this.cwnd = Math.max(this.cwnd, this.#priorCwnd);
    if (this.#fullBwReached) this.#enterProbeBw(now);
    else this.#state = 'startup';
  }

  #restartFromIdle(now: number): void {
    this.#idleRestart = true;
    this.#ackEpochStart = now;
    this.#ackEpochAcked = 0;
    // Restarting app-limited: no need for more speed than BtlBw.
    if (this.#state === 'probe-bw') this.#setPacingRate(1);
    else if (this.#state === 'probe-rtt') this.#checkProbeRttDone(now);
  }

  // ---- control parameters ------------------------------------------------------------------------

  #updateGains(): void {
    switch (this.#state) {
      case 'startup':
        this.#pacingGain = HIGH_GAIN;
        this.#cwndGain = HIGH_GAIN;
        return;
      case 'drain':
        this.#pacingGain = DRAIN_GAIN;
        this.#cwndGain = HIGH_GAIN; // keep cwnd while the queue drains
        return;
      case 'probe-bw':
        this.#pacingGain = PACING_GAIN_CYCLE[this.#cycleIndex]!;
        this.#cwndGain = CWND_GAIN;
        return;
      case 'probe-rtt':
        this.#pacingGain = 1;
        this.#cwndGain = 1;
        return;
    }
  }

  /** bw × gain, 1 % under. */
  #rate(bw: number, gain: number): number {
    return gain * bw * (1 - PACING_MARGIN);
  }

  /** Lowered only once the pipe was filled, so a slow start that runs out of data never slows down. */
  #setPacingRate(gain: number): void {
    const rate = this.#rate(this.#bw.value, gain);
    if (rate > 0 && Number.isFinite(rate) && (this.#fullBwReached || rate > this.pacingRate)) this.pacingRate = rate;
  }

  /** About 1 ms of data at the pacing rate in whole segments: 1 segment below 1.2 Mbit/s, else 2 to 64 KB. */
  #setSendQuantum(): void {
    const mss = this.#mss;
    const bytes = Math.min(this.pacingRate, MAX_SEND_QUANTUM);
    const segments = Math.min(Math.max(Math.floor(bytes / mss), this.pacingRate < MIN_TSO_RATE ? 1 : 2), MAX_QUANTUM_SEGMENTS);
    this.sendQuantum = segments * mss;
  }

  /** gain × BtlBw × RTprop, rounded up to whole segments; the initial window before any RTT sample. */
  #bdp(bw: number, gain: number): number {
    if (this.#minRtt === Infinity) return this.#initialCwnd;
    const mss = this.#mss;
    return Math.ceil((gain * bw * this.#minRtt) / mss) * mss;
  }

  /** Room for full-sized bursts at both ends (3 send quanta), an even number of segments, +2 in the 1.25 phase. */
  #quantizationBudget(cwnd: number): number {
    const pair = 2 * this.#mss;
    cwnd = Math.ceil((cwnd + 3 * this.sendQuantum) / pair) * pair;
    if (this.#state === 'probe-bw' && this.#cycleIndex === 0) cwnd += pair;
    return cwnd;
  }

  #inflightFor(bw: number, gain: number): number {
    return this.#quantizationBudget(this.#bdp(bw, gain));
  }

  #setCwnd(rs: RateSample): void {
    const acked = rs.newlyAcked;
    if (acked > 0) this.cwnd = this.#cwndAfterAck(rs, acked);
    this.cwnd = Math.floor(Math.min(this.cwnd, MAX_CWND));
    if (this.#state === 'probe-rtt') this.cwnd = Math.min(this.cwnd, this.#minPipeCwnd());
  }

  #cwndAfterAck(rs: RateSample, acked: number): number {
    let cwnd = this.cwnd;
    if (this.#conserve) {
      // An ACK for P bytes releases at most 2·P: the losses come off here, slow start adds acked below.
      if (rs.newlyLost > 0) cwnd = Math.max(cwnd - rs.newlyLost, this.#mss);
      if (this.#enteringRecovery) {
        // The first round of recovery conserves packets; the round starts now.
        this.#enteringRecovery = false;
        this.#conserving = true;
        this.#nextRoundDelivered = this.#delivered;
        cwnd = this.#inflight + acked;
      }
      if (this.#conserving) return Math.max(cwnd, this.#inflight + acked);
    } else {
      this.#enteringRecovery = false;
    }
    // Slow start towards the target (the BDP grew, or loss drew cwnd below it); above it, snap down once the pipe was full.
    const target = this.#quantizationBudget(this.#bdp(this.#bw.value, this.#cwndGain) + this.#aggregationCwnd());
    if (this.#fullBwReached) cwnd = Math.min(cwnd + acked, target);
    else if (cwnd < target || this.#delivered < this.#initialCwnd) cwnd += acked;
    return Math.max(cwnd, this.#minPipeCwnd());
  }

  /** The last known good cwnd, outside loss recovery and ProbeRTT. */
  #saveCwnd(): void {
    if (this.#recovery === NO_RECOVERY && this.#state !== 'probe-rtt') this.#priorCwnd = this.cwnd;
    else this.#priorCwnd = Math.max(this.#priorCwnd, this.cwnd);
  }
}
