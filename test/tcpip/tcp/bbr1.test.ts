/**
 * BBRv1 (`bbr1`, bbr1.ts: draft-cardwell-iccrg-bbr-congestion-control-00 with Linux's tcp_bbr.c as the
 * reference) driven directly through the deterministic simulated bottleneck
 * (test/support/bottleneck-sim.ts) and with hand-made rate samples: Startup at 2/ln 2 until BtlBw
 * stops growing 25 % for three rounds, Drain to one BDP, ProbeBW's eight-phase gain cycle from a
 * random phase other than 0.75 and its phase-advance rules, cwnd = 2·BDP + the quantization allowance,
 * pacing = gain · BtlBw · 0.99, BtlBw as a 10-round windowed max that app-limited samples do not
 * lower, ProbeRTT (4 segments for ≥ 200 ms and a round) once RTprop is 10 s old, Linux's packet
 * conservation in the first round of recovery and the cwnd restored after it and after an RTO; random
 * loss (3 %, 10 %) that does not lower the model where BBRv3 bounds itself; a property test; and the
 * controller selected on a live connection and through a whole transfer on a lossy simulated link.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Bbr } from '../../../src/drivers/protocol/tcpip/tcp/bbr.js';
import { Bbr1, type Bbr1State } from '../../../src/drivers/protocol/tcpip/tcp/bbr1.js';
import type { RateSample } from '../../../src/drivers/protocol/tcpip/tcp/congestion.js';
import { BottleneckSim, prng, type SimConfig } from '../../support/bottleneck-sim.js';
import { tcb } from '../../support/tcp-inject.js';
import { connectedPair, pattern } from '../../support/tcp-link.js';

const MSS = 1000;
/** 10 Mbit/s, 40 ms: a BDP of 51 segments (RTprop 40.8 ms with the serialization). */
const PATH: SimConfig = { rateBytesPerMs: 1250, baseRttMs: 40, queueBytes: 100_000, mss: MSS };
const RTPROP = 40.8;
const BDP = 1250 * RTPROP;
const GAINS = [1.25, 0.75, 1, 1, 1, 1, 1, 1];
const HIGH_GAIN = 2 / Math.LN2;

function bbr1(seed = 7, packetConservation = true): Bbr1 {
  return new Bbr1(MSS, 10 * MSS, { random: prng(seed), packetConservation });
}

interface Change {
  at: number;
  round: number;
  state: Bbr1State;
  phase: number;
  gain: number;
  inflight: number;
  priorInFlight: number;
}

/** Runs the path, recording every change of state or ProbeBW phase (after the sample that made it). */
function traced(cc: Bbr1, cfg: SimConfig): { sim: BottleneckSim; changes: Change[] } {
  const sim = new BottleneckSim(cc, cfg);
  const changes: Change[] = [];
  let last = '';
  sim.onSample = (rs) => {
    const key = `${cc.state}/${String(cc.cycleIndex)}`;
    if (key === last) return;
    last = key;
    changes.push({ at: sim.now, round: cc.roundCount, state: cc.state, phase: cc.cycleIndex, gain: cc.pacingGain, inflight: sim.inflight, priorInFlight: rs.priorInFlight });
  };
  return { sim, changes };
}

/**
 * gain × BDP in whole segments plus three send quanta, rounded up to an even segment count (two more in
 * the 1.25 phase): the inflight a ProbeBW phase aims at. cwnd's target adds the ACK aggregation allowance.
 */
function inflightFor(cc: Bbr1, gain: number, phaseZero = false, aggregation = 0): number {
  const bdp = Math.ceil((gain * cc.bw * cc.minRtt) / MSS) * MSS;
  return Math.ceil((bdp + aggregation + 3 * cc.sendQuantum) / (2 * MSS)) * 2 * MSS + (phaseZero ? 2 * MSS : 0);
}

function cwndTarget(cc: Bbr1): number {
  return inflightFor(cc, 2, cc.state === 'probe-bw' && cc.cycleIndex === 0, cc.extraAcked);
}

test('bbr1: Startup (pacing and cwnd gain 2/ln 2) finds BtlBw and leaves after three rounds without 25 % growth; Drain (ln 2/2) empties the queue', () => {
  const cc = bbr1();
  const { sim, changes } = traced(cc, PATH);
  const startupGains = new Set<string>();
  const drainGains = new Set<string>();
  const record = sim.onSample!;
  let plateauRound = -1;
  sim.onSample = (rs) => {
    record(rs);
    if (cc.state === 'startup') startupGains.add(`${cc.pacingGain.toFixed(4)}/${cc.cwndGain.toFixed(4)}`);
    if (cc.state === 'drain') drainGains.add(`${cc.pacingGain.toFixed(4)}/${cc.cwndGain.toFixed(4)}`);
    if (plateauRound < 0 && cc.maxBw >= 0.8 * PATH.rateBytesPerMs) plateauRound = cc.roundCount;
  };
  sim.run(3000);
  assert.deepEqual([...startupGains], [`${HIGH_GAIN.toFixed(4)}/${HIGH_GAIN.toFixed(4)}`]);
  assert.deepEqual([...drainGains], [`${(1 / HIGH_GAIN).toFixed(4)}/${HIGH_GAIN.toFixed(4)}`]);
  const drain = changes.find((c) => c.state === 'drain');
  assert.ok(drain !== undefined, 'Startup ended');
  // 10 segments to a 51-segment BDP at ×2 per round, then three rounds without 25 % growth.
  assert.ok(drain.round >= plateauRound + 3 && drain.round <= plateauRound + 4, `Startup left in round ${String(drain.round)}, the plateau began in round ${String(plateauRound)}`);
  assert.ok(plateauRound <= Math.ceil(Math.log2(BDP / (10 * MSS))) + 2, `BtlBw reached in round ${String(plateauRound)}`);
  assert.ok(Math.abs(cc.maxBw - PATH.rateBytesPerMs) <= 0.01 * PATH.rateBytesPerMs, `BtlBw ${String(cc.maxBw)}`);
  const probeBw = changes.find((c) => c.state === 'probe-bw');
  assert.ok(probeBw !== undefined && probeBw.at > drain.at);
  // Drain ends once inflight is down to the BDP (and its quantization allowance): the queue is gone.
  assert.ok(probeBw.inflight <= inflightFor(cc, 1), `inflight ${String(probeBw.inflight)} at the end of Drain`);
  assert.ok(probeBw.round <= drain.round + 4, 'Drain takes a few rounds');
  assert.equal(cc.minRtt, RTPROP);
});

test('bbr1: ProbeBW cycles the pacing gain [1.25, 0.75, 1 ×6] one RTprop per phase, from a random phase that is never 0.75', () => {
  // The random draw r ∈ 0..6 picks the start phase (8 − r) mod 8: 0, 7, 6 … 2, never 1.
  const starts = new Set<number>();
  for (let r = 0; r < 7; r++) {
    const cc = new Bbr1(MSS, 10 * MSS, { random: () => (r + 0.5) / 7 });
    const { sim, changes } = traced(cc, PATH);
    sim.run(1500);
    const first = changes.find((c) => c.state === 'probe-bw')!;
    assert.equal(first.phase, (8 - r) % 8, `draw ${String(r)}`);
    starts.add(first.phase);
  }
  assert.deepEqual([...starts].sort(), [0, 2, 3, 4, 5, 6, 7]);

  const cc = bbr1(3);
  const { sim, changes } = traced(cc, PATH);
  const gains = new Map<number, Set<string>>();
  const record = sim.onSample!;
  sim.onSample = (rs) => {
    record(rs);
    if (cc.state !== 'probe-bw') return;
    const g = gains.get(cc.cycleIndex) ?? new Set<string>();
    gains.set(cc.cycleIndex, g);
    g.add(`${String(cc.pacingGain)}/${String(cc.cwndGain)}`);
  };
  sim.run(8000); // before the first ProbeRTT
  for (let i = 0; i < 8; i++) assert.deepEqual([...gains.get(i)!], [`${String(GAINS[i])}/2`], `phase ${String(i)}`);
  const phases = changes.filter((c) => c.state === 'probe-bw');
  assert.ok(phases.length > 100);
  for (let i = 1; i < phases.length; i++) {
    const prev = phases[i - 1]!;
    const cur = phases[i]!;
    assert.equal(cur.phase, (prev.phase + 1) % 8, 'phases in order');
    const length = cur.at - prev.at;
    if (prev.gain === 1) assert.ok(length > RTPROP && length < RTPROP + 3, `a 1.0 phase lasted ${String(length)} ms`);
    // 1.25: at least an RTprop, and until inflight reached 1.25 × BDP (no loss on this path).
    if (prev.gain > 1) assert.ok(length > RTPROP && cur.priorInFlight + cc.sendQuantum >= inflightFor(cc, 1.25, true), `1.25 phase: ${String(length)} ms, inflight ${String(cur.priorInFlight)}`);
    // 0.75: an RTprop at most, less when inflight fell to the BDP first.
    if (prev.gain < 1) assert.ok(length <= RTPROP + 3 && (length > RTPROP || cur.priorInFlight <= inflightFor(cc, 1)), `0.75 phase: ${String(length)} ms, inflight ${String(cur.priorInFlight)}`);
  }
  assert.ok(
    phases.some((c, i) => c.gain === 1 && i > 0 && phases[i - 1]!.gain < 1 && c.at - phases[i - 1]!.at < RTPROP),
    'the 0.75 phase ends early once the queue the 1.25 phase built is gone',
  );
  // Steady state in a 1.0 phase: cwnd = 2 × BDP + allowance, pacing = BtlBw × 0.99.
  const goodput = sim.delivered / 8000;
  assert.ok(goodput >= 0.9 * PATH.rateBytesPerMs, `goodput ${String(goodput)} B/ms`);
});

test('bbr1: cwnd is cwnd_gain 2 × BDP plus the quantization allowance; pacing is gain × BtlBw, 1 % under', () => {
  const cc = bbr1(3);
  const sim = new BottleneckSim(cc, PATH);
  let checked = 0;
  sim.onSample = () => {
    if (cc.state !== 'probe-bw' || sim.now < 2000) return;
    assert.ok(Math.abs(cc.pacingRate - cc.pacingGain * cc.maxBw * 0.99) < 1e-9, `pacing ${String(cc.pacingRate)}`);
    // cwnd grows by what is ACKed towards its target and snaps down to it: at the target in steady state.
    if (cc.cycleIndex >= 2) {
      assert.equal(cc.cwnd, cwndTarget(cc));
      checked++;
    }
  };
  sim.run(6000);
  assert.ok(checked > 1000);
  assert.equal(cc.sendQuantum, 2 * MSS, '1 ms at 10 Mbit/s is under two segments: two');
});

test('bbr1: BtlBw is a max over 10 rounds: after the bottleneck halves it holds ~10 rounds, then follows', () => {
  const cc = bbr1();
  const sim = new BottleneckSim(cc, PATH);
  sim.run(3000);
  assert.equal(cc.state, 'probe-bw');
  assert.ok(cc.maxBw >= 0.99 * PATH.rateBytesPerMs);
  sim.setRate(PATH.rateBytesPerMs / 2);
  const from = cc.roundCount;
  let fellAt = -1;
  sim.onSample = () => {
    if (fellAt < 0 && cc.maxBw < 0.9 * PATH.rateBytesPerMs) fellAt = cc.roundCount;
  };
  sim.run(12_000);
  assert.ok(fellAt >= from + 10 && fellAt <= from + 13, `BtlBw fell ${String(fellAt - from)} rounds after the change`);
  assert.ok(Math.abs(cc.maxBw - PATH.rateBytesPerMs / 2) <= 0.02 * PATH.rateBytesPerMs, `BtlBw ${String(cc.maxBw)}`);
});

test('bbr1: ProbeRTT once RTprop is 10 s old: cwnd 4 segments for ≥ 200 ms and a round, then ProbeBW with cwnd restored', () => {
  const cc = bbr1();
  const { sim, changes } = traced(cc, PATH);
  let lastLow = 0;
  const cwnds = new Set<number>();
  let inflightLow = -1;
  const record = sim.onSample!;
  sim.onSample = (rs) => {
    record(rs);
    if (inflightLow < 0 && cc.state !== 'probe-rtt' && rs.rttMs >= 0 && rs.rttMs <= cc.minRtt) lastLow = sim.now;
    if (cc.state === 'probe-rtt') {
      cwnds.add(cc.cwnd);
      if (inflightLow < 0 && sim.inflight <= 4 * MSS) inflightLow = sim.now;
    }
  };
  sim.run(12_000);
  const enter = changes.find((c) => c.state === 'probe-rtt');
  assert.ok(enter !== undefined, 'ProbeRTT (BBRv1 keeps a small standing queue in the 1.0 phases, so RTprop is not refreshed)');
  assert.ok(enter.at > lastLow + 10_000 && enter.at < lastLow + 10_000 + 2 * RTPROP, `entered at ${String(enter.at)}, RTprop last seen at ${String(lastLow)}`);
  const exit = changes.find((c) => c.at > enter.at && c.state !== 'probe-rtt');
  assert.ok(exit !== undefined && exit.state === 'probe-bw');
  // max(200 ms, one round) from the moment inflight was down to 4 segments.
  assert.ok(exit.at - inflightLow > 200 && exit.at - inflightLow < 200 + 2 * RTPROP, `held ${String(exit.at - inflightLow)} ms at 4 segments`);
  assert.deepEqual([...cwnds], [4 * MSS]);
  assert.ok(cc.cwnd >= BDP, `cwnd ${String(cc.cwnd)} after ProbeRTT`);
  assert.equal(cc.minRtt, RTPROP, 'RTprop measured again');
  assert.equal(changes.filter((c) => c.state === 'probe-rtt').length, 1);
});

test('bbr1: app-limited samples do not lower BtlBw; one above the max raises it', () => {
  const cc = bbr1();
  const sim = new BottleneckSim(cc, PATH);
  sim.run(3000);
  const before = cc.maxBw;
  sim.setAppRate(0.2 * PATH.rateBytesPerMs);
  const delivered = sim.delivered;
  sim.run(12_000);
  const rate = (sim.delivered - delivered) / 9000;
  assert.ok(Math.abs(rate - 0.2 * PATH.rateBytesPerMs) < 0.05 * PATH.rateBytesPerMs, `delivered at the application's rate (${String(rate)})`);
  assert.equal(cc.maxBw, before, 'app-limited samples stay out of the filter');
  assert.ok(cc.pacingRate >= 0.7 * before, 'pacing stays at the model rate');
  // An app-limited sample above the max is a better estimate of the path: it enters.
  const d = sim.delivered + MSS;
  cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 10_000, deliveryRate: 2 * before, isAppLimited: true }), sim.now + 1);
  assert.equal(cc.maxBw, 2 * before);
});

/** A hand-made rate sample (no RTT, so RTprop stays). */
function sample(over: Partial<RateSample> & { totalDelivered: number }): RateSample {
  return {
    delivered: 10_000,
    intervalMs: 10,
    deliveryRate: 1000,
    priorDelivered: Math.max(0, over.totalDelivered - 10_000),
    isAppLimited: false,
    rttMs: -1,
    txInFlight: 50_000,
    lost: 0,
    newlyAcked: MSS,
    newlyLost: 0,
    priorInFlight: 50_000,
    inFlight: 49_000,
    totalLost: 0,
    ...over,
  };
}

test('bbr1: the 1.25 phase outlasts an RTprop until inflight reaches 1.25 × BDP or a loss; the 0.75 phase leaves early at the BDP', () => {
  // Draw 0: ProbeBW starts in the 1.25 phase.
  const cc = new Bbr1(MSS, 10 * MSS, { random: () => 0 });
  const sim = new BottleneckSim(cc, PATH);
  for (let t = 100; t <= 3000 && cc.state !== 'probe-bw'; t += 1) sim.run(t);
  assert.equal(cc.cycleIndex, 0);
  let now = sim.now;
  let d = sim.delivered;
  const ack = (over: Partial<RateSample>): void => {
    d += MSS;
    cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 50_000, ...over }), now);
  };
  // Two RTprops with inflight below 1.25 × BDP: still probing.
  for (let i = 0; i < 20; i++) {
    now += 5;
    ack({ priorInFlight: 55_000, inFlight: 54_000 });
  }
  assert.equal(cc.cycleIndex, 0, 'the probe waits for inflight to reach 1.25 × BDP');
  now += 1;
  ack({ priorInFlight: 40_000, newlyLost: MSS, lost: MSS, totalLost: MSS });
  assert.equal(cc.cycleIndex, 1, 'a loss ends the probe (the path may not hold 1.25 × BDP)');
  assert.equal(cc.pacingGain, 0.75);
  // Within an RTprop, inflight still above the BDP: draining goes on; down at the BDP: next phase.
  now += 10;
  ack({ priorInFlight: inflightFor(cc, 1) + 5 * MSS });
  assert.equal(cc.cycleIndex, 1);
  now += 10;
  ack({ priorInFlight: inflightFor(cc, 1) });
  assert.equal(cc.cycleIndex, 2, 'the queue is drained: cruise');
  assert.equal(cc.pacingGain, 1);
  // A 1.0 phase lasts an RTprop whatever inflight does.
  now += 10;
  ack({ priorInFlight: 10 * MSS });
  assert.equal(cc.cycleIndex, 2);
  now += RTPROP;
  ack({ priorInFlight: 10 * MSS });
  assert.equal(cc.cycleIndex, 3);

  // And a 1.25 phase reaching 1.25 × BDP after an RTprop ends then.
  const c2 = new Bbr1(MSS, 10 * MSS, { random: () => 0 });
  const s2 = new BottleneckSim(c2, PATH);
  for (let t = 100; t <= 3000 && c2.state !== 'probe-bw'; t += 1) s2.run(t);
  let d2 = s2.delivered + MSS;
  c2.onRateSample(sample({ totalDelivered: d2, priorDelivered: d2 - 50_000, priorInFlight: inflightFor(c2, 1.25, true) }), s2.now + 1);
  assert.equal(c2.cycleIndex, 0, 'not before an RTprop');
  d2 += MSS;
  c2.onRateSample(sample({ totalDelivered: d2, priorDelivered: d2 - 50_000, priorInFlight: inflightFor(c2, 1.25, true) - c2.sendQuantum }), s2.now + RTPROP + 1);
  assert.equal(c2.cycleIndex, 1);
});

test('bbr1: fast recovery as Linux: the first round conserves packets (cwnd = inflight + acked, losses off), then grows to the target; leaving restores cwnd', () => {
  const cc = bbr1(3);
  const sim = new BottleneckSim(cc, PATH);
  sim.run(3000);
  const before = cc.cwnd;
  assert.equal(before, cwndTarget(cc));
  let now = sim.now;
  let d = sim.delivered;
  cc.onEnterRecovery(now, 40_000, MSS);
  assert.equal(cc.cwnd, before, 'entering recovery only saves cwnd');
  assert.equal(cc.priorCwnd, before);
  // The ACK that started recovery: the round starts over and cwnd is what is in flight plus what it delivered.
  d += MSS;
  cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 50_000, inFlight: 40_000, newlyLost: MSS, lost: MSS, totalLost: MSS }), now);
  assert.equal(cc.cwnd, 41_000);
  assert.ok(cc.conserving);
  // Within the round: the losses come off, but an ACK always releases what it delivered.
  now += 1;
  d += MSS;
  cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 50_000, inFlight: 38_000, newlyLost: 2 * MSS, lost: 3 * MSS, totalLost: 3 * MSS }), now);
  assert.equal(cc.cwnd, 39_000);
  now += 1;
  d += MSS;
  cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 50_000, inFlight: 20_000, newlyLost: 0 }), now);
  assert.equal(cc.cwnd, 39_000, 'max(cwnd, inflight + acked)');
  // A segment sent after recovery began is delivered: the round is over, slow start towards the target.
  now += RTPROP;
  d += 2 * MSS;
  cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 2 * MSS, inFlight: 38_000, newlyAcked: 2 * MSS }), now);
  assert.equal(cc.conserving, false);
  assert.equal(cc.cwnd, 41_000, 'cwnd + acked');
  assert.equal(cc.maxBw, PATH.rateBytesPerMs, 'the loss did not touch the model');
  cc.onExitRecovery(now + 1);
  assert.equal(cc.cwnd, before, 'the cwnd from before recovery');
  assert.equal(cc.inRecovery, false);

  // packetConservation: false leaves cwnd to the model in recovery.
  const model = bbr1(3, false);
  const ms = new BottleneckSim(model, PATH);
  ms.run(3000);
  const was = model.cwnd;
  model.onEnterRecovery(ms.now, 40_000, MSS);
  const dm = ms.delivered + MSS;
  model.onRateSample(sample({ totalDelivered: dm, priorDelivered: dm - 50_000, inFlight: 40_000, newlyLost: MSS, lost: MSS, totalLost: MSS }), ms.now);
  assert.equal(model.cwnd, was);
  assert.equal(model.conserving, false);
});

test('bbr1: an RTO saves cwnd and drops it to one segment; slow start follows; once the timed-out flight is delivered the saved cwnd returns', () => {
  const cc = bbr1(3);
  const sim = new BottleneckSim(cc, PATH);
  sim.run(3000);
  const before = cc.cwnd;
  let now = sim.now;
  let d = sim.delivered;
  cc.onTimeout(now, 50_000);
  assert.equal(cc.cwnd, MSS);
  assert.ok(cc.inRecovery);
  now += 200;
  d += MSS;
  cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - MSS, inFlight: 0, newlyAcked: MSS }), now);
  assert.equal(cc.cwnd, 4 * MSS, 'at least 4 segments');
  d += 2 * MSS;
  cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - MSS, inFlight: 2 * MSS, newlyAcked: 2 * MSS }), now + 1);
  assert.equal(cc.cwnd, 6 * MSS, 'slow start: cwnd + acked');
  d += 47 * MSS; // 50 000 bytes delivered since the timeout
  cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - MSS, inFlight: 4 * MSS, newlyAcked: MSS }), now + 2);
  assert.equal(cc.inRecovery, false);
  assert.equal(cc.cwnd, before);
});

/** One controller on a lossy path whose sender retransmits: goodput (bytes/ms) and the lowest BtlBw once it first reached 95 % of the link. */
function lossy(cc: Bbr1 | Bbr, cfg: SimConfig, ms: number): { goodput: number; lowestBw: number; sim: BottleneckSim } {
  const sim = new BottleneckSim(cc, { ...cfg, retransmit: true });
  let lowestBw = Infinity;
  let full = false;
  if (cc instanceof Bbr1) {
    sim.onSample = () => {
      full ||= cc.maxBw >= 0.95 * cfg.rateBytesPerMs;
      if (full && cc.maxBw < lowestBw) lowestBw = cc.maxBw;
    };
  }
  sim.run(ms);
  return { goodput: sim.delivered / ms, lowestBw, sim };
}

test('bbr1: 3 % and 10 % random loss keep most of a 300 Mbit/s link and barely touch BtlBw (BBRv3 bounds itself at 3 %)', () => {
  // 300 Mbit/s, 4.5 ms: the emulator's path (issue 10's profile) without its reordering.
  const fast: SimConfig = { rateBytesPerMs: 37_500, baseRttMs: 4.5, queueBytes: 170_000, mss: 1448 };
  const link = fast.rateBytesPerMs;
  for (const seed of [1, 2]) {
    const r3 = lossy(new Bbr1(1448, 10 * 1448, { random: prng(seed) }), { ...fast, lossRate: 0.03, seed }, 4000);
    const v3 = lossy(new Bbr(1448, 10 * 1448, { random: prng(seed) }), { ...fast, lossRate: 0.03, seed }, 4000);
    assert.ok(r3.goodput >= 0.9 * link, `seed ${String(seed)}: bbr1 ${String(r3.goodput)} B/ms at 3 %`);
    assert.ok(r3.lowestBw >= 0.9 * link, `seed ${String(seed)}: BtlBw fell to ${String(r3.lowestBw)} at 3 %`);
    assert.ok(r3.goodput > 2 * v3.goodput, `seed ${String(seed)}: bbr1 ${String(r3.goodput)} vs bbr (v3) ${String(v3.goodput)} B/ms`);
    const r10 = lossy(new Bbr1(1448, 10 * 1448, { random: prng(seed) }), { ...fast, lossRate: 0.1, seed }, 4000);
    assert.ok(r10.goodput >= 0.7 * link, `seed ${String(seed)}: bbr1 ${String(r10.goodput)} B/ms at 10 %`);
    assert.ok(r10.lowestBw >= 0.8 * link, `seed ${String(seed)}: BtlBw fell to ${String(r10.lowestBw)} at 10 %`);
    assert.ok(r10.sim.retransmits > 0.09 * r10.sim.sentPackets, 'the losses happened and were repaired');
  }
});

test('bbr1: for any sequence of samples and events: cwnd ≥ 1 segment, pacing rate finite and > 0, quantum 1–127 segments, no NaN', () => {
  const event = fc.oneof(
    fc.record({
      kind: fc.constant('sample' as const),
      dt: fc.double({ min: 0, max: 15_000, noNaN: true }),
      acked: fc.integer({ min: 0, max: 200_000 }),
      lost: fc.integer({ min: 0, max: 50_000 }),
      rate: fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 1e7, noNaN: true })),
      rtt: fc.oneof(fc.constant(-1), fc.constant(0), fc.double({ min: 0, max: 2000, noNaN: true })),
      inFlight: fc.integer({ min: 0, max: 1 << 24 }),
      appLimited: fc.boolean(),
      back: fc.integer({ min: 0, max: 1 << 20 }),
    }),
    fc.record({ kind: fc.constantFrom('enter' as const, 'exit' as const, 'rto' as const, 'idle' as const, 'app' as const, 'undo' as const) }),
    fc.record({ kind: fc.constant('mss' as const), mss: fc.integer({ min: 88, max: 9000 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 88, max: 9000 }), fc.integer({ min: 1, max: 100 }), fc.boolean(), fc.array(event, { maxLength: 120 }), (mss0, iwSegs, conserve, events) => {
      let mss = mss0;
      const cc = new Bbr1(mss, iwSegs * mss, { random: prng(1), packetConservation: conserve });
      let now = 0;
      let delivered = 0;
      let lost = 0;
      let inFlight = 0;
      for (const e of events) {
        switch (e.kind) {
          case 'sample':
            now += e.dt;
            delivered += e.acked;
            lost += e.lost;
            inFlight = e.inFlight;
            cc.onRateSample(
              {
                delivered: e.rate > 0 ? e.acked + 1 : 0,
                intervalMs: e.rate > 0 ? 1 : 0,
                deliveryRate: e.rate,
                priorDelivered: Math.max(0, delivered - e.back),
                isAppLimited: e.appLimited,
                rttMs: e.rtt,
                txInFlight: e.inFlight + e.acked,
                lost: e.lost,
                newlyAcked: e.acked,
                newlyLost: e.lost,
                priorInFlight: e.inFlight + e.acked,
                inFlight: e.inFlight,
                totalDelivered: delivered,
                totalLost: lost,
              },
              now,
            );
            if (cc.state === 'probe-rtt') assert.ok(cc.cwnd <= 4 * mss, 'ProbeRTT holds cwnd at 4 segments');
            break;
          case 'enter':
            cc.onEnterRecovery(now, inFlight, mss);
            break;
          case 'exit':
            cc.onExitRecovery(now);
            break;
          case 'rto':
            cc.onTimeout(now, inFlight);
            assert.equal(cc.cwnd, mss);
            break;
          case 'idle':
            cc.onIdleRestart(10 * mss);
            break;
          case 'app':
            cc.onAppLimited(now);
            break;
          case 'undo':
            cc.undo(0, 0);
            break;
          case 'mss':
            mss = e.mss;
            cc.setMss(mss);
            assert.ok(cc.cwnd >= 4 * mss);
            break;
        }
        for (const v of [cc.cwnd, cc.pacingRate, cc.sendQuantum, cc.maxBw, cc.extraAcked, cc.bdp, cc.priorCwnd]) assert.ok(!Number.isNaN(v), 'NaN in the model');
        assert.ok(Number.isInteger(cc.cwnd) && cc.cwnd >= Math.min(mss, 4 * mss) && cc.cwnd <= 0x3fffffff, `cwnd ${String(cc.cwnd)}`);
        assert.ok(Number.isFinite(cc.pacingRate) && cc.pacingRate > 0, `pacing rate ${String(cc.pacingRate)}`);
        assert.ok(cc.sendQuantum >= mss && cc.sendQuantum <= 127 * mss && cc.sendQuantum % mss === 0);
        assert.ok(GAINS.includes(cc.pacingGain) || cc.state !== 'probe-bw');
      }
    }),
    { numRuns: 300, seed: 42 },
  );
});

test('setCongestion(bbr1) switches a live connection to BBRv1, seeded with its cwnd and SRTT; data intact; the names list it', () => {
  const { link, client, server } = connectedPair({ ab: { rateBytesPerMs: 1500, queueBytes: 60_000, delayMs: 5 }, ba: { delayMs: 5 } });
  const conn = client.conn!;
  const data = pattern(300_000, 5);
  client.write(data.subarray(0, 100_000));
  assert.ok(link.runUntil(() => server.data().length >= 100_000, 20_000, 5));
  const t = tcb(conn);
  const cwnd = t.cc.cwnd;
  conn.setCongestion('bbr1');
  assert.equal(conn.info().congestion, 'bbr1');
  assert.ok(t.cc instanceof Bbr1);
  assert.equal(t.cc.cwnd, Math.floor(cwnd));
  assert.equal(t.cc.minRtt, t.rtt.srtt, 'RTprop starts from the SRTT');
  assert.equal(t.cc.modelBased, true);
  client.write(data.subarray(100_000), true);
  assert.ok(link.runUntil(() => server.conn!.remoteClosed, 60_000, 5));
  assert.deepEqual(server.data(), data);
  assert.ok(t.cc.roundCount > 0 && t.cc.maxBw > 0, 'fed rate samples by the send path');
  conn.setCongestion('bbr');
  assert.equal(conn.info().congestion, 'bbr');
  assert.throws(() => conn.setCongestion('bbr2' as never), /must be one of 'cubic', 'newreno', 'bbr', 'bbr1', got bbr2/);
});

test('bbr1 through the whole stack on a lossy 300 Mbit/s simulated link (3 % and 10 % loss, 2 % reordering, 1 % duplication): byte-exact, most of the link, no RTO at 3 %', () => {
  for (const loss of [0.03, 0.1]) {
    const dir = { rateBytesPerMs: 37_500, queueBytes: 170_000, delayMs: 2.25, lossRate: loss, reorderRate: 0.02, reorderDelayMs: 1, duplicateRate: 0.01 };
    const { link, client, server } = connectedPair({ seed: 5, trace: false, ab: dir, ba: { ...dir, rateBytesPerMs: 0 }, config: { congestion: 'bbr1', sendBufferSize: 8 << 20, receiveBufferSize: 8 << 20 } });
    const data = pattern(20_000_000, 11);
    const start = link.scheduler.now();
    client.write(data, true);
    assert.ok(link.runUntil(() => server.conn!.remoteClosed, 60_000, 1), `${String(loss)}: the transfer finished`);
    const ms = link.scheduler.now() - start;
    assert.deepEqual(server.data(), data);
    const c = link.a.layer.counters;
    // At 10 % a lost retransmission of the last segments, or of the FIN, may still need the timer.
    assert.ok(loss < 0.05 ? c.timeouts === 0 : c.timeouts <= 2, `${String(loss)}: ${String(c.timeouts)} RTOs`);
    assert.ok(c.retransSegs > 0);
    const share = data.length / ms / dir.rateBytesPerMs;
    assert.ok(share >= 0.75, `${String(loss)}: ${(share * 300).toFixed(0)} of 300 Mbit/s`);
  }
});
