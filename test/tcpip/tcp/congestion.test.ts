/**
 * Congestion control shapes: NewReno's slow start and one-MSS-per-RTT congestion avoidance and halving
 * (RFC 5681/6582); CUBIC's β = 0.7 reduction, concave growth up to W_max at t = K, convex beyond, and
 * fast convergence (RFC 9438); and the same reductions seen on a connection through a bottleneck.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cubic, NewReno } from '../../../src/drivers/protocol/tcpip/tcp/congestion.js';
import { tcb } from '../../support/tcp-inject.js';
import { connectedPair, pattern } from '../../support/tcp-link.js';

const MSS = 1000;

/** One RTT: the whole window acknowledged one segment per ACK. Returns cwnd in segments. */
function roundTrip(cc: NewReno | Cubic, nowMs: number, rttMs: number): number {
  const segs = Math.floor(cc.cwnd / MSS);
  for (let i = 0; i < segs; i++) cc.onAck(MSS, nowMs + (rttMs * i) / segs, rttMs);
  return cc.cwnd / MSS;
}

test('newreno: slow start doubles per RTT, halves on loss, then grows one MSS per RTT', () => {
  const cc = new NewReno(MSS, 10 * MSS);
  assert.equal(roundTrip(cc, 0, 100), 20);
  assert.equal(roundTrip(cc, 100, 100), 40);
  cc.onCongestion(200, 40 * MSS);
  assert.equal(cc.ssthresh, 20 * MSS);
  assert.equal(cc.cwnd, 20 * MSS);
  const sizes: number[] = [];
  for (let r = 0; r < 10; r++) sizes.push(roundTrip(cc, 300 + 100 * r, 100));
  assert.deepEqual(sizes, [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  cc.onTimeout(2000, 30 * MSS);
  assert.equal(cc.cwnd, MSS);
  assert.equal(cc.ssthresh, 15 * MSS);
});

test('cubic: β = 0.7, concave up to W_max at t ≈ K, convex beyond (RFC 9438 §4)', () => {
  const cc = new Cubic(MSS, 100 * MSS);
  cc.onCongestion(0, 100 * MSS);
  assert.equal(cc.cwnd, 70 * MSS);
  assert.equal(cc.ssthresh, 70 * MSS);
  assert.equal(cc.wMax, 100);
  const rtt = 100;
  const k = Math.cbrt((100 * (1 - 0.7)) / 0.4);
  const samples: { t: number; w: number }[] = [];
  let now = 0;
  for (let r = 0; r < 90; r++) {
    samples.push({ t: now / 1000, w: roundTrip(cc, now, rtt) });
    now += rtt;
  }
  assert.ok(Math.abs(cc.epoch.k - k) < 1e-9);
  const atK = samples.reduce((best, s) => (Math.abs(s.t - k) < Math.abs(best.t - k) ? s : best));
  assert.ok(Math.abs(atK.w - 100) < 3, `cwnd at K = ${String(atK.w)}`);
  const grow = samples.slice(1).map((s, i) => ({ t: s.t, d: s.w - samples[i]!.w }));
  const early = grow.filter((g) => g.t > 0.3 && g.t < k - 0.8).map((g) => g.d);
  const late = grow.filter((g) => g.t > k + 0.8 && g.t < k + 3.5).map((g) => g.d);
  // Concave: growth per RTT shrinks while approaching W_max; convex: it grows after.
  assert.ok(early[0]! > early[early.length - 1]! + 0.5, `early ${early.map((d) => d.toFixed(2)).join(' ')}`);
  assert.ok(late[late.length - 1]! > late[0]! + 0.5, `late ${late.map((d) => d.toFixed(2)).join(' ')}`);
  // Near K the window hardly moves (the plateau that makes CUBIC stable).
  const plateau = grow.filter((g) => Math.abs(g.t - k) < 0.35).map((g) => g.d);
  for (const d of plateau) assert.ok(d < 1.5, `plateau ${plateau.join(' ')}`);
});

test('cubic: fast convergence lowers W_max when a loss comes before the old maximum (RFC 9438 §4.7)', () => {
  const cc = new Cubic(MSS, 100 * MSS);
  cc.onCongestion(0, 100 * MSS);
  assert.equal(cc.wMax, 100);
  // Lose again at 80 segments: W_max = 80 · (1 + β) / 2 = 68.
  cc.setCwnd(80 * MSS);
  cc.onCongestion(1000, 80 * MSS);
  assert.ok(Math.abs(cc.wMax - 68) < 1e-9);
  assert.equal(cc.cwnd, 56 * MSS);
});

test('cubic: the Reno-friendly estimate keeps CUBIC at least as fast as Reno at small windows and RTTs', () => {
  const reno = new NewReno(MSS, 20 * MSS);
  const cubic = new Cubic(MSS, 20 * MSS);
  reno.onCongestion(0, 20 * MSS);
  cubic.onCongestion(0, 20 * MSS);
  // CUBIC starts from 14 segments, Reno from 10; with a 1 ms RTT, time-based growth is negligible.
  let now = 0;
  for (let r = 0; r < 200; r++) {
    roundTrip(reno, now, 1);
    roundTrip(cubic, now, 1);
    now += 1;
  }
  const renoGrowth = reno.cwnd / MSS - 10;
  const cubicGrowth = cubic.cwnd / MSS - 14;
  // W_est grows α = 3(1−β)/(1+β) ≈ 0.53 MSS per RTT below W_max, then 1 MSS per RTT.
  assert.ok(cubicGrowth >= 0.5 * renoGrowth, `reno +${String(renoGrowth)}, cubic +${String(cubicGrowth)}`);
  assert.ok(cubic.cwnd > 20 * MSS);
});

for (const congestion of ['newreno', 'cubic'] as const) {
  test(`congestion (${congestion}): a bottleneck drop halves (NewReno) or cuts to 0.7 (CUBIC) the window`, () => {
    const { link, client, server } = connectedPair({
      clientOptions: { congestion },
      ab: { rateBytesPerMs: 1500, queueBytes: 30_000, delayMs: 10 },
      ba: { delayMs: 10 },
    });
    const t = tcb(client.conn!);
    let cwndAtLoss = 0;
    let ssthreshAfter = 0;
    const enter = t.cc.onCongestion.bind(t.cc);
    t.cc.onCongestion = (now: number, flight: number): void => {
      if (cwndAtLoss === 0) {
        cwndAtLoss = t.cc.cwnd;
        enter(now, flight);
        ssthreshAfter = t.cc.ssthresh;
        (t as unknown as { flightAtLoss: number }).flightAtLoss = flight;
      } else enter(now, flight);
    };
    const data = pattern(3_000_000, 7);
    client.write(data, true);
    assert.ok(link.runUntil(() => server.conn!.remoteClosed, 120_000, 5));
    assert.deepEqual(server.data(), data);
    assert.ok(cwndAtLoss > 0, 'a loss happened');
    const flight = (t as unknown as { flightAtLoss: number }).flightAtLoss;
    if (congestion === 'newreno') assert.equal(ssthreshAfter, Math.floor(flight / 2));
    else assert.equal(ssthreshAfter, Math.floor(cwndAtLoss * 0.7));
    assert.equal(t.cc.algorithm, congestion);
    assert.ok(link.a.layer.counters.sackRecoveries >= 1);
  });
}
