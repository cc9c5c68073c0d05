/**
 * BBR (draft-ietf-ccwg-bbr-06) driven directly through a deterministic simulated bottleneck
 * (test/support/bottleneck-sim.ts) that produces rate samples as the draft defines them: Startup finds
 * the bottleneck rate and leaves, Drain empties the queue, ProbeBW cycles DOWN → CRUISE → REFILL → UP,
 * ProbeRTT comes when min_rtt is stale, random loss of 1 % does not collapse the model, excess loss
 * while probing bounds inflight_longterm, app-limited samples do not lower max_bw, RTO and recovery
 * handling; a property test over arbitrary event sequences; and switching the controller of a live
 * connection (the TCP_CONGESTION analogue).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Bbr, type BbrState } from '../../../src/drivers/protocol/tcpip/tcp/bbr.js';
import { Cubic, type RateSample } from '../../../src/drivers/protocol/tcpip/tcp/congestion.js';
import { BottleneckSim, prng, type SimConfig } from '../../support/bottleneck-sim.js';
import { tcb } from '../../support/tcp-inject.js';
import { connectedPair, pattern } from '../../support/tcp-link.js';

const MSS = 1000;
/** 10 Mbit/s, 40 ms: a BDP of 50 segments. */
const PATH: SimConfig = { rateBytesPerMs: 1250, baseRttMs: 40, queueBytes: 100_000, mss: MSS };
const BDP = 1250 * 40.8;

function bbr(seed = 7): Bbr {
  return new Bbr(MSS, 10 * MSS, { random: prng(seed) });
}

interface Transition {
  at: number;
  round: number;
  from: BbrState;
  to: BbrState;
  inflight: number;
  queue: number;
}

/** Runs the path, recording every state change the controller makes. */
function traced(cc: Bbr, cfg: SimConfig): { sim: BottleneckSim; transitions: Transition[] } {
  const sim = new BottleneckSim(cc, cfg);
  const transitions: Transition[] = [];
  let last: BbrState = cc.state;
  sim.onSample = () => {
    if (cc.state === last) return;
    transitions.push({ at: sim.now, round: cc.roundCount, from: last, to: cc.state, inflight: sim.inflight, queue: sim.queueBytes() });
    last = cc.state;
  };
  return { sim, transitions };
}

const isProbeBw = (s: BbrState): boolean => s.startsWith('probe-bw');

test('bbr: Startup reaches the bottleneck rate within log2(BDP) + 3 rounds and leaves; Drain empties the queue it built', () => {
  const cc = bbr();
  const { sim, transitions } = traced(cc, PATH);
  sim.run(3000);
  const toDrain = transitions.find((t) => t.to === 'drain');
  assert.ok(toDrain !== undefined, 'Startup ended on a bandwidth plateau');
  // 10 segments to a 50-segment BDP at ×2 per round, then three rounds without 25 % growth.
  assert.ok(toDrain.round <= Math.ceil(Math.log2(BDP / (10 * MSS))) + 3 + 3, `left Startup in round ${String(toDrain.round)}`);
  assert.ok(Math.abs(cc.maxBw - PATH.rateBytesPerMs) <= 0.02 * PATH.rateBytesPerMs, `max_bw ${String(cc.maxBw)}`);
  assert.ok(toDrain.queue > 0.3 * BDP, 'Startup built a queue');
  const toProbeBw = transitions.find((t) => t.from === 'drain');
  assert.ok(toProbeBw !== undefined && isProbeBw(toProbeBw.to));
  assert.ok(toProbeBw.round <= toDrain.round + 3, 'Drain lasts at most three rounds');
  // Drain ends once inflight is down to the BDP: the queue is (nearly) gone.
  assert.ok(toProbeBw.inflight <= BDP + 3 * cc.sendQuantum, `inflight ${String(toProbeBw.inflight)} at the end of Drain`);
  assert.ok(toProbeBw.queue <= 0.1 * BDP, `queue ${String(toProbeBw.queue)} at the end of Drain`);
  assert.equal(cc.minRtt, 40.8);
});

test('bbr: ProbeBW cycles DOWN → CRUISE → REFILL → UP → DOWN with the draft’s gains; the link stays full and the queue small', () => {
  const cc = bbr();
  const { sim, transitions } = traced(cc, PATH);
  const gains = new Map<BbrState, Set<string>>();
  let queueSum = 0;
  let queueN = 0;
  const record = sim.onSample!;
  sim.onSample = (rs) => {
    record(rs);
    const g = gains.get(cc.state) ?? new Set<string>();
    gains.set(cc.state, g);
    g.add(`${cc.pacingGain.toFixed(2)}/${cc.cwndGain.toFixed(2)}`);
    if (sim.now > 1000) {
      queueSum += sim.queueBytes();
      queueN++;
    }
  };
  sim.run(1000);
  const delivered1s = sim.delivered;
  sim.run(12_000);
  const phases = transitions.filter((t) => isProbeBw(t.to) && isProbeBw(t.from)).map((t) => `${t.from}>${t.to}`);
  const cycle = ['probe-bw-down>probe-bw-cruise', 'probe-bw-cruise>probe-bw-refill', 'probe-bw-refill>probe-bw-up', 'probe-bw-up>probe-bw-down'];
  const joined = phases.join(' ');
  assert.ok(joined.includes(cycle.join(' ')), `a full cycle in order: ${joined}`);
  assert.ok(phases.filter((p) => p === 'probe-bw-refill>probe-bw-up').length >= 3, 'a bandwidth probe every 2–3 s');
  assert.deepEqual([...gains.get('probe-bw-down')!], ['0.90/2.00']);
  assert.deepEqual([...gains.get('probe-bw-cruise')!], ['1.00/2.00']);
  assert.deepEqual([...gains.get('probe-bw-refill')!], ['1.00/2.00']);
  assert.deepEqual([...gains.get('probe-bw-up')!], ['1.25/2.25']);
  assert.deepEqual([...gains.get('startup')!], ['2.77/2.00']);
  const goodput = (sim.delivered - delivered1s) / 11_000;
  assert.ok(goodput >= 0.95 * PATH.rateBytesPerMs, `goodput ${String(goodput)} B/ms`);
  assert.ok(queueSum / queueN < 0.25 * BDP, `mean queue ${String(queueSum / queueN)} bytes`);
  assert.equal(sim.droppedPackets, 0);
  assert.equal(cc.inflightLongterm, Infinity, 'no loss: no long-term inflight bound');
  // The pacing rate is bw × gain, 1 % under.
  assert.ok(Math.abs(cc.pacingRate - cc.pacingGain * cc.bw * 0.99) < 1e-6 || cc.state === 'probe-rtt');
});

test('bbr: ProbeRTT when min_rtt went 5 s without a lower sample: cwnd max(BDP/2, 4·MSS) for ≥ 200 ms and a round, then ProbeBW', () => {
  const cc = bbr();
  const { sim, transitions } = traced(cc, PATH);
  const cwndInProbeRtt: number[] = [];
  const record = sim.onSample!;
  sim.onSample = (rs) => {
    record(rs);
    if (cc.state === 'probe-rtt') cwndInProbeRtt.push(cc.cwnd);
  };
  sim.run(6000);
  const enter = transitions.find((t) => t.to === 'probe-rtt');
  const exit = transitions.find((t) => t.from === 'probe-rtt');
  assert.ok(enter !== undefined && exit !== undefined, 'one ProbeRTT episode');
  // The first RTT sample (40.8 ms) was never beaten: ProbeRTT 5 s after it.
  assert.ok(enter.at > 5000 + 40 && enter.at < 5000 + 300, `entered at ${String(enter.at)}`);
  assert.ok(exit.at - enter.at >= 200, `held ${String(exit.at - enter.at)} ms`);
  assert.equal(exit.to, 'probe-bw-cruise');
  assert.ok(Math.max(...cwndInProbeRtt) <= Math.max(0.5 * BDP, 4 * MSS) + 1, `cwnd in ProbeRTT ${String(Math.max(...cwndInProbeRtt))}`);
  assert.equal(transitions.filter((t) => t.to === 'probe-rtt').length, 1);

  // A path whose BDP is under 4 segments (1 Mbit/s, 20 ms): ProbeRTT holds cwnd at exactly 4 segments.
  const small = bbr();
  const s = traced(small, { rateBytesPerMs: 125, baseRttMs: 20, queueBytes: 20_000, mss: MSS });
  const smallCwnd = new Set<number>();
  const rec2 = s.sim.onSample!;
  s.sim.onSample = (rs) => {
    rec2(rs);
    if (small.state === 'probe-rtt') smallCwnd.add(small.cwnd);
  };
  s.sim.run(6000);
  assert.deepEqual([...smallCwnd], [4 * MSS]);
  assert.ok(s.transitions.some((t) => t.from === 'probe-rtt' && isProbeBw(t.to)));
});

test('bbr: an idle period longer than the ProbeRTT interval restarts without ProbeRTT, pacing at bw', () => {
  const cc = bbr();
  const { sim, transitions } = traced(cc, PATH);
  sim.run(3000);
  assert.ok(isProbeBw(cc.state));
  sim.setAppRate(0); // the application stops writing; the pipe drains
  sim.run(9500);
  assert.equal(sim.inflight, 0);
  assert.ok(Math.abs(cc.pacingRate - cc.bw * 0.99) < 1e-6, 'restart paces at exactly bw');
  sim.setAppRate(undefined);
  sim.run(10_500);
  assert.ok(!transitions.some((t) => t.to === 'probe-rtt'), 'the idle period stood in for ProbeRTT');
  assert.ok(cc.maxBw >= 0.98 * PATH.rateBytesPerMs);
});

/** Goodput (bytes/ms) and the lowest max_bw after Startup, for one controller on a lossy path. */
function lossyRun(loss: number, seed: number, ms: number): { goodput: number; minMaxBw: number; maxBw: number } {
  const cc = bbr(seed);
  const sim = new BottleneckSim(cc, { ...PATH, lossRate: loss, seed });
  let minMaxBw = Infinity;
  sim.onSample = () => {
    if (sim.now > 1000 && cc.maxBw < minMaxBw) minMaxBw = cc.maxBw;
  };
  sim.run(ms);
  return { goodput: sim.delivered / ms, minMaxBw, maxBw: cc.maxBw };
}

test('bbr: 1 % random loss does not collapse the bandwidth estimate (CUBIC on the same path does collapse its window)', () => {
  for (const seed of [1, 2, 3]) {
    const r = lossyRun(0.01, seed, 20_000);
    assert.ok(r.minMaxBw >= 0.85 * PATH.rateBytesPerMs, `seed ${String(seed)}: max_bw fell to ${String(r.minMaxBw)}`);
    assert.ok(r.goodput >= 0.7 * PATH.rateBytesPerMs, `seed ${String(seed)}: goodput ${String(r.goodput)} B/ms`);
    const cubic = new Cubic(MSS, 10 * MSS);
    const cs = new BottleneckSim(cubic, { ...PATH, lossRate: 0.01, seed });
    cs.run(20_000);
    assert.ok(r.goodput > 1.5 * (cs.delivered / 20_000), `seed ${String(seed)}: BBR ${String(r.goodput)} vs CUBIC ${String(cs.delivered / 20_000)} B/ms`);
  }
});

test('bbr: loss above 2 % of inflight while probing (a shallow buffer overflowing in ProbeBW_UP) bounds inflight_longterm', () => {
  const queue = 10_000; // a fifth of the BDP
  const cc = bbr();
  const { sim, transitions } = traced(cc, { ...PATH, queueBytes: queue });
  const bounds: number[] = [];
  let up = false;
  const record = sim.onSample!;
  sim.onSample = (rs) => {
    record(rs);
    if (cc.state === 'probe-bw-up') up = true;
    if (up && cc.inflightLongterm !== Infinity) bounds.push(cc.inflightLongterm);
  };
  sim.run(10_000);
  assert.ok(sim.droppedPackets > 0);
  assert.ok(transitions.some((t) => t.from === 'probe-bw-up'), 'probed');
  assert.ok(bounds.length > 0, 'inflight_longterm set');
  // Bounded near what the path holds (BDP + buffer), never below β·BDP.
  for (const b of bounds) assert.ok(b <= BDP + queue + 8 * MSS && b >= 0.7 * BDP * 0.9, `inflight_longterm ${String(b)}`);
  // And it bounds cwnd outside CRUISE.
  if (isProbeBw(cc.state) && cc.state !== 'probe-bw-cruise') assert.ok(cc.cwnd <= cc.inflightLongterm);
  const goodput = sim.delivered / 10_000;
  assert.ok(goodput >= 0.85 * PATH.rateBytesPerMs, `goodput ${String(goodput)}`);
});

test('bbr: app-limited samples do not lower max_bw or advance its filter', () => {
  const cc = bbr();
  const sim = new BottleneckSim(cc, PATH);
  sim.run(3000);
  const before = cc.maxBw;
  const cycles = cc.cycleCount;
  assert.ok(before >= 0.98 * PATH.rateBytesPerMs);
  sim.setAppRate(0.2 * PATH.rateBytesPerMs);
  const delivered = sim.delivered;
  sim.run(12_000); // several probe intervals and a max_bw window
  const rate = (sim.delivered - delivered) / 9000;
  assert.ok(Math.abs(rate - 0.2 * PATH.rateBytesPerMs) < 0.05 * PATH.rateBytesPerMs, `delivered at the application's rate (${String(rate)})`);
  assert.equal(cc.maxBw, before);
  assert.ok(cc.cycleCount <= cycles + 1, 'the max_bw window stood still');
  assert.ok(cc.pacingRate >= 0.85 * before, 'pacing stays at the model rate');
});

/** A hand-made rate sample: `acked` bytes delivered at `rate`, nothing lost. */
function sample(over: Partial<RateSample> & { totalDelivered: number }): RateSample {
  return {
    delivered: 10_000,
    intervalMs: 10,
    deliveryRate: 1000,
    priorDelivered: Math.max(0, over.totalDelivered - 10_000),
    isAppLimited: false,
    rttMs: 10,
    txInFlight: 10_000,
    lost: 0,
    newlyAcked: 1000,
    newlyLost: 0,
    priorInFlight: 10_000,
    inFlight: 9000,
    totalLost: 0,
    ...over,
  };
}

test('bbr: RTO saves cwnd and allows inflight + 1 MSS; fast recovery leaves cwnd to the model; leaving recovery restores cwnd', () => {
  const cc = bbr();
  const sim = new BottleneckSim(cc, PATH);
  sim.run(3000);
  const cwnd = cc.cwnd;
  let now = 3000;
  let delivered = sim.delivered;
  cc.onTimeout(now, sim.inflight);
  assert.equal(cc.cwnd, MSS, 'nothing in flight after the timeout: one segment');
  delivered += MSS;
  now += 41;
  cc.onRateSample(sample({ totalDelivered: delivered, inFlight: 0, priorInFlight: MSS, txInFlight: MSS, newlyAcked: MSS, deliveryRate: 0, delivered: 0 }), now);
  assert.equal(cc.cwnd, 4 * MSS, 'then MinPipeCwnd');
  now += 1;
  cc.onExitRecovery(now);
  assert.equal(cc.cwnd, cwnd, 'the cwnd from before the timeout');

  // Fast recovery (-06): no packet conservation; the loss reaches cwnd through the model, once a round.
  const rc = bbr();
  const rs = new BottleneckSim(rc, PATH);
  rs.run(3000);
  const before = rc.cwnd;
  rc.onSegmentLost({ bytes: MSS, txInFlight: 50_000, lostSinceSend: MSS, isAppLimited: false }, 3000);
  rc.onEnterRecovery(3000, 30_000, MSS);
  assert.equal(rc.cwnd, before, 'entering recovery does not cut cwnd');
  const d = rs.delivered + MSS;
  // A segment sent before the loss round began: no round end yet, so no reaction.
  rc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 60_000, inFlight: 30_000, newlyAcked: MSS, newlyLost: 0, deliveryRate: 1200, delivered: 40_000 }), 3001);
  assert.equal(rc.inflightShortterm, Infinity);
  rc.onExitRecovery(3050);
  assert.equal(rc.cwnd, before, 'the cwnd saved on entry');
});

test('bbr: a spurious loss-based Startup exit is undone (back to Startup, bounds restored)', () => {
  const cc = new Bbr(MSS, 10 * MSS, { random: prng(1) });
  let d = 0;
  let now = 0;
  // Startup with growing rates, then a round with heavy loss while in recovery.
  for (let i = 0; i < 8; i++) {
    d += 5000;
    now += 10;
    cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 5000, deliveryRate: 10 * 2 ** i, newlyAcked: 5000, txInFlight: 20_000 }), now);
  }
  assert.equal(cc.state, 'startup');
  cc.onEnterRecovery(now, 20_000, 1000);
  for (let i = 0; i < 8; i++) {
    cc.onSegmentLost({ bytes: 1000, txInFlight: 20_000, lostSinceSend: 1000 * (i + 1), isAppLimited: false }, now);
    d += 1000;
    // Segments sent before the losses: the round goes on.
    now += 1;
    cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 20_000, deliveryRate: 1300, newlyAcked: 1000, newlyLost: 1000, txInFlight: 20_000, lost: 1000 * (i + 1), totalLost: 1000 * (i + 1) }), now);
  }
  // A sample of a segment sent after recovery began ends the round with 8 losses of 20 000 bytes.
  d += 1000;
  now += 10;
  cc.onRateSample(sample({ totalDelivered: d, priorDelivered: d - 1, deliveryRate: 1300, newlyAcked: 1000, txInFlight: 20_000, lost: 8000, totalLost: 8000 }), now);
  assert.notEqual(cc.state, 'startup', 'high loss ended Startup');
  assert.ok(cc.fullBwReached);
  assert.notEqual(cc.inflightLongterm, Infinity);
  const bound = cc.inflightLongterm;
  assert.equal(bound, 1300 * 10, 'inflight_longterm = max(BDP, most delivered in a sample of the round) = max(1300 B/ms · 10 ms, 10 000)');
  cc.undo(0, 0);
  assert.equal(cc.state, 'startup');
  assert.equal(cc.fullBwReached, false);
  assert.equal(cc.inflightLongterm, Infinity, 'the bound from before the loss episode');
});

test('bbr: a probe ended by loss that turns out spurious is undone: back to REFILL, inflight_longterm restored', () => {
  const cc = bbr();
  const sim = new BottleneckSim(cc, PATH);
  for (let t = 100; t <= 6000 && cc.state !== 'probe-bw-up'; t += 1) sim.run(t);
  assert.equal(cc.state, 'probe-bw-up');
  assert.equal(cc.inflightLongterm, Infinity);
  // The connection marks a segment lost with 5 % of its flight lost, then enters recovery.
  cc.onSegmentLost({ bytes: MSS, txInFlight: 60_000, lostSinceSend: 3000, isAppLimited: false }, sim.now);
  assert.equal(cc.state, 'probe-bw-down', 'excess loss while probing ends the probe');
  assert.ok(cc.inflightLongterm < Infinity);
  cc.onEnterRecovery(sim.now, 50_000, MSS);
  // D-SACKs show every retransmission was unneeded.
  cc.undo(0, 0);
  assert.equal(cc.state, 'probe-bw-refill', 'the probe starts again');
  assert.equal(cc.inflightLongterm, Infinity);
});

test('bbr: for any sequence of samples and events, cwnd ≥ 4·MSS after each sample, pacing rate finite and > 0, no NaN', () => {
  const event = fc.oneof(
    fc.record({
      kind: fc.constant('sample' as const),
      dt: fc.double({ min: 0, max: 500, noNaN: true }),
      acked: fc.integer({ min: 0, max: 200_000 }),
      lost: fc.integer({ min: 0, max: 50_000 }),
      rate: fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 1e7, noNaN: true })),
      rtt: fc.oneof(fc.constant(-1), fc.double({ min: 0, max: 2000, noNaN: true })),
      inFlight: fc.integer({ min: 0, max: 1 << 24 }),
      appLimited: fc.boolean(),
      back: fc.integer({ min: 0, max: 1 << 20 }),
    }),
    fc.record({ kind: fc.constant('lost' as const), bytes: fc.integer({ min: 1, max: 65536 }), tx: fc.integer({ min: 0, max: 1 << 24 }), since: fc.integer({ min: 0, max: 1 << 22 }) }),
    fc.record({ kind: fc.constantFrom('enter' as const, 'exit' as const, 'rto' as const, 'idle' as const, 'app' as const, 'undo' as const) }),
    fc.record({ kind: fc.constant('mss' as const), mss: fc.integer({ min: 88, max: 9000 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 88, max: 9000 }), fc.integer({ min: 1, max: 100 }), fc.array(event, { maxLength: 120 }), (mss0, iwSegs, events) => {
      let mss = mss0;
      const cc = new Bbr(mss, iwSegs * mss, { random: prng(1) });
      let now = 0;
      let delivered = 0;
      let lost = 0;
      let inFlight = 0;
      let sampled = false;
      for (const e of events) {
        switch (e.kind) {
          case 'sample': {
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
            sampled = true;
            assert.ok(cc.cwnd >= 4 * mss, `cwnd ${String(cc.cwnd)} < 4·${String(mss)}`);
            break;
          }
          case 'lost':
            cc.onSegmentLost({ bytes: e.bytes, txInFlight: e.tx + e.bytes, lostSinceSend: e.since + e.bytes, isAppLimited: false }, now);
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
        for (const v of [cc.cwnd, cc.pacingRate, cc.sendQuantum, cc.maxBw, cc.bw, cc.extraAcked, cc.bdp]) assert.ok(!Number.isNaN(v), 'NaN in the model');
        assert.ok(Number.isFinite(cc.cwnd) && cc.cwnd >= mss && cc.cwnd <= 0x3fffffff);
        assert.ok(Number.isFinite(cc.pacingRate) && cc.pacingRate > 0, `pacing rate ${String(cc.pacingRate)}`);
        assert.ok(cc.sendQuantum >= 2 * mss && cc.sendQuantum <= Math.max(65536, 2 * mss));
        assert.ok(!Number.isNaN(cc.inflightLongterm) && !Number.isNaN(cc.inflightShortterm) && !Number.isNaN(cc.minRtt));
      }
      return sampled || events.length >= 0;
    }),
    { numRuns: 300, seed: 42 },
  );
});

test('setCongestion switches the controller of a live connection (TCP_CONGESTION): seeded with its cwnd, data intact', () => {
  const { link, client, server } = connectedPair({ ab: { rateBytesPerMs: 1500, queueBytes: 60_000, delayMs: 5 }, ba: { delayMs: 5 } });
  const conn = client.conn!;
  assert.equal(conn.info().congestion, 'cubic');
  const data = pattern(400_000, 3);
  client.write(data.subarray(0, 100_000));
  assert.ok(link.runUntil(() => server.data().length >= 100_000, 20_000, 5));
  const t = tcb(conn);
  const cwnd = t.cc.cwnd;
  conn.setCongestion('bbr');
  assert.equal(conn.info().congestion, 'bbr');
  assert.ok(t.cc instanceof Bbr);
  assert.equal(t.cc.cwnd, Math.floor(cwnd), 'the new controller starts from the current window');
  assert.equal(t.cc.modelBased, true);
  conn.setCongestion('bbr'); // the same name: no new controller
  const same = t.cc;
  conn.setCongestion('bbr');
  assert.equal(t.cc, same);
  client.write(data.subarray(100_000, 250_000));
  assert.ok(link.runUntil(() => server.data().length >= 250_000, 60_000, 5));
  conn.setCongestion('newreno');
  assert.equal(conn.info().congestion, 'newreno');
  client.write(data.subarray(250_000), true);
  assert.ok(link.runUntil(() => server.conn!.remoteClosed, 60_000, 5));
  assert.deepEqual(server.data(), data);
  assert.throws(() => conn.setCongestion('vegas' as never), /setCongestion: algorithm must be one of 'cubic', 'newreno', 'bbr', 'bbr1', got vegas/);
});

test('setCongestion(bbr) hands the connection’s SRTT, SACK state and the configured loss threshold to BBR', () => {
  const { link, client } = connectedPair({ config: { bbrLossThresholdPercent: 5 }, ab: { delayMs: 5 }, ba: { delayMs: 5 } });
  const conn = client.conn!;
  client.write(pattern(20_000, 1));
  assert.ok(link.runUntil(() => conn.info().bytesAcked >= 20_000, 10_000, 1));
  conn.setCongestion('bbr');
  const cc = tcb(conn).cc as Bbr;
  assert.equal(cc.lossThreshold, 0.05);
  assert.equal(cc.hasSelectiveAcks, conn.info().sackEnabled);
  assert.equal(cc.minRtt, tcb(conn).rtt.srtt, 'min_rtt starts from the SRTT (OnInit)');
});
