/**
 * Loss recovery and timers on the data path: fast retransmit on the third duplicate ACK, SACK-based
 * recovery of several losses in one window without a timeout (and NewReno partial ACKs without SACK),
 * the RTO doubling under total loss up to ETIMEDOUT, Karn's rule, zero-window persist probing and the
 * window update, keepalive against a dead peer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, decode, has, tcb } from '../../support/tcp-inject.js';
import { type Side, type TcpLink, connectedPair, pattern } from '../../support/tcp-link.js';

/** Drops the n-th (1-based) distinct data segment `from` sends, first transmission only. */
function dropNth(link: TcpLink, from: Side, drops: number[]): { dropped: number[] } {
  const seen = new Set<number>();
  const dropped: number[] = [];
  link.filter = (f, bytes) => {
    if (f !== from) return 'pass';
    const r = decode(bytes);
    if (r.payloadLength === 0 || seen.has(r.seqNumber)) return 'pass';
    seen.add(r.seqNumber);
    if (drops.includes(seen.size)) {
      dropped.push(r.seqNumber);
      return 'drop';
    }
    return 'pass';
  };
  return { dropped };
}

function retransmissionsOf(link: TcpLink, from: Side, seqs: number[]): number {
  return link.trace.filter((r) => r.from === from && r.fate !== 'filtered' && seqs.includes(decode(r.bytes).seqNumber)).length;
}

for (const sack of [true, false]) {
  test(`recovery: one loss is repaired by fast retransmit on the third duplicate ACK (sack ${String(sack)})`, () => {
    const { link, client, server } = connectedPair({ config: { sack, initialWindowSegments: 20, noDelay: true } });
    const { dropped } = dropNth(link, 'a', [3]);
    client.write(pattern(20 * 1448, 5));
    assert.ok(link.runUntil(() => server.received === 20 * 1448, 10_000));
    const c = link.a.layer.counters;
    assert.equal(c.fastRetransmits, 1);
    assert.equal(c.timeouts, 0);
    assert.equal(c.retransSegs, 1);
    assert.equal(retransmissionsOf(link, 'a', dropped), 1);
    assert.deepEqual(server.data(), pattern(20 * 1448, 5));
    // The duplicate ACKs the receiver sent carried SACK blocks iff SACK was negotiated.
    const dupacks = link.sent('b').map(decode).filter((r) => r.options.sackBlocks.length > 0);
    assert.equal(dupacks.length > 0, sack);
  });
}

test('recovery: SACK repairs three losses in one window, each once, with no timeout (RFC 6675)', () => {
  const { link, client, server } = connectedPair({ config: { initialWindowSegments: 30, noDelay: true } });
  const { dropped } = dropNth(link, 'a', [3, 8, 13]);
  client.write(pattern(30 * 1448, 6));
  const start = link.scheduler.now();
  assert.ok(link.runUntil(() => server.received === 30 * 1448, 10_000));
  const c = link.a.layer.counters;
  assert.equal(c.sackRecoveries, 1);
  assert.equal(c.timeouts, 0);
  assert.equal(c.retransSegs, 3);
  assert.equal(retransmissionsOf(link, 'a', dropped), 3);
  assert.deepEqual(server.data(), pattern(30 * 1448, 6));
  // All three holes go out within about one RTT of the loss being detected.
  assert.ok(link.scheduler.now() - start < 60);
  link.run(50);
  assert.equal(tcb(client.conn!).inRecovery, false);
});

test('recovery: without SACK, NewReno repairs the same losses one partial ACK at a time (RFC 6582)', () => {
  const { link, client, server } = connectedPair({ config: { sack: false, initialWindowSegments: 30, noDelay: true } });
  const { dropped } = dropNth(link, 'a', [3, 8, 13]);
  client.write(pattern(30 * 1448, 6));
  assert.ok(link.runUntil(() => server.received === 30 * 1448, 10_000));
  const c = link.a.layer.counters;
  assert.equal(c.newRenoRecoveries, 1);
  assert.equal(c.fastRetransmits, 1);
  assert.equal(c.timeouts, 0);
  assert.equal(retransmissionsOf(link, 'a', dropped), 3);
  assert.deepEqual(server.data(), pattern(30 * 1448, 6));
});

// The RTO tests below turn the tail loss probe off: with it, a probe takes the first timeout's place
// (a lone segment's PTO, 2·SRTT + 200 ms, is capped at the RTO), and the backoff is what they test.
test('rto: under total loss the timer doubles from the measured RTO, then ETIMEDOUT', () => {
  const { link, client } = connectedPair({ config: { maxRetransmits: 6, tailLossProbe: false } });
  assert.equal(client.conn!.info().rtoMs, 200);
  link.filter = (from) => (from === 'a' ? 'drop' : 'pass');
  const start = link.scheduler.now();
  client.write(pattern(1000));
  assert.ok(link.runUntil(() => client.closed, 120_000, 10));
  const times = link.trace.filter((r) => r.from === 'a' && r.time >= start).map((r) => r.time - start);
  assert.deepEqual(times, [0, 200, 600, 1400, 3000, 6200, 12600]);
  assert.equal(client.error?.code, 'ETIMEDOUT');
  assert.equal(link.a.layer.counters.timeouts, 6);
});

test('rto: backoff stops at rtoMaxMs', () => {
  const { link, client } = connectedPair({ config: { maxRetransmits: 6, rtoMaxMs: 1000, tailLossProbe: false } });
  link.filter = (from) => (from === 'a' ? 'drop' : 'pass');
  const start = link.scheduler.now();
  client.write(pattern(1000));
  assert.ok(link.runUntil(() => client.closed, 120_000, 10));
  const times = link.trace.filter((r) => r.from === 'a' && r.time >= start).map((r) => r.time - start);
  assert.deepEqual(times, [0, 200, 600, 1400, 2400, 3400, 4400]);
});

test("rto: Karn's rule — the ACK of a retransmitted segment gives no RTT sample (no timestamps)", () => {
  const { link, client, server } = connectedPair({ config: { timestamps: false, noDelay: true, tailLossProbe: false } });
  const t = tcb(client.conn!);
  const before = t.rtt.samples;
  dropNth(link, 'a', [1]);
  client.write(pattern(100));
  assert.ok(link.runUntil(() => server.received === 100, 5000));
  link.run(100);
  assert.equal(link.a.layer.counters.timeouts, 1);
  assert.equal(t.rtt.samples, before);
  // The next, clean segment is timed again and clears the backoff.
  client.write(pattern(100, 2));
  assert.ok(link.runUntil(() => server.received === 200, 5000));
  link.run(100);
  assert.equal(t.rtt.samples, before + 1);
  assert.equal(t.rtt.backoff, 0);
});

test('tail loss probe: a lone lost segment (PTO 2·SRTT + 200 ms, beyond the RTO) is probed when the RTO would fire, not timed out', () => {
  // RFC 8985 §7.2 adds the worst-case delayed ACK for a single outstanding segment, which puts the PTO
  // past a 200 ms RTO; the probe then takes the RTO's place (as Linux's tcp_schedule_loss_probe does).
  const { link, client, server } = connectedPair({ config: { noDelay: true } });
  const { dropped } = dropNth(link, 'a', [1]);
  const start = link.scheduler.now();
  client.write(pattern(100, 3));
  assert.ok(link.runUntil(() => server.received === 100, 5000));
  const c = link.a.layer.counters;
  assert.equal(c.timeouts, 0);
  assert.equal(c.tailLossProbes, 1);
  const resent = link.trace.filter((r) => r.from === 'a' && decode(r.bytes).seqNumber === dropped[0] && decode(r.bytes).payloadLength > 0).map((r) => r.time - start);
  assert.deepEqual(resent, [0, 200]);
  assert.deepEqual(server.data(), pattern(100, 3));
});

test('persist: a zero window is probed with backoff and reopened by the window update', () => {
  const { link, client, server } = connectedPair({ config: { receiveBufferSize: 4096, receiveBufferMax: 4096, sendBufferSize: 65536, maxRetransmits: 3 } });
  server.autoRead = false;
  const data = pattern(30_000, 9);
  client.write(data);
  // Two full segments, then the last 1200 bytes of window by the SWS override (persist) timer.
  link.run(1000);
  assert.equal(server.conn!.readableLength, 4096);
  assert.equal(client.conn!.info().sndWnd, 0);
  const mark = link.trace.length;
  // Much longer than maxRetransmits timeouts would allow: probes answered keep the connection.
  link.run(120_000);
  assert.equal(client.conn!.state, 'ESTABLISHED');
  const probes = link.trace.slice(mark).filter((r) => r.from === 'a').map((r) => ({ time: r.time, seg: decode(r.bytes) }));
  assert.ok(probes.length >= 5, `probes: ${String(probes.length)}`);
  for (const p of probes) assert.ok(p.seg.payloadLength <= 1);
  const gaps = probes.slice(1).map((p, i) => p.time - probes[i]!.time);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! >= gaps[i - 1]! || gaps[i] === 60_000, `gaps ${gaps.join(',')}`);
  assert.ok(link.a.layer.counters.persistProbes >= 5);
  // The application reads: the window update restarts the transfer.
  let guard = 0;
  while (server.received < data.length && guard++ < 100) {
    server.drain();
    link.run(50);
  }
  assert.deepEqual(server.data(), data);
  assert.ok(link.b.layer.counters.windowUpdatesSent >= 1);
});

test('keepalive: a dead peer is probed keepAliveCount times, then ETIMEDOUT with a RST', () => {
  const { link, client } = connectedPair({ config: { keepAlive: true, keepAliveIdleMs: 1000, keepAliveIntervalMs: 500, keepAliveCount: 3 } });
  link.filter = (from) => (from === 'b' ? 'drop' : 'pass');
  const start = link.scheduler.now();
  assert.ok(link.runUntil(() => client.closed, 10_000));
  const sent = link.trace.filter((r) => r.from === 'a' && r.time > start).map((r) => ({ time: r.time - start, seg: decode(r.bytes) }));
  assert.equal(sent.length, 4);
  const t = tcb(client.conn!);
  for (const p of sent.slice(0, 3)) {
    assert.equal(p.seg.seqNumber, (t.sndNxt - 1) >>> 0);
    assert.equal(p.seg.payloadLength, 0);
  }
  assert.ok(has(sent[3]!.seg, F.Rst));
  assert.equal(client.error?.code, 'ETIMEDOUT');
  assert.equal(link.a.layer.counters.keepAliveProbes, 3);
  assert.equal(link.a.layer.counters.keepAliveTimeouts, 1);
});

test('keepalive: an alive peer answers and the connection stays', () => {
  const { link, client, server } = connectedPair({ clientOptions: { keepAlive: true, keepAliveIdleMs: 1000 } });
  link.run(10_000);
  assert.equal(client.conn!.state, 'ESTABLISHED');
  const probes = link.a.layer.counters.keepAliveProbes;
  assert.ok(probes >= 8 && probes <= 10, String(probes));
  // The server had keepalive off: it never probed.
  assert.equal(link.b.layer.counters.keepAliveProbes, 0);
  client.conn!.setKeepAlive(false);
  link.run(10_000);
  assert.equal(link.a.layer.counters.keepAliveProbes, probes);
  assert.equal(server.conn!.state, 'ESTABLISHED');
});

/** The 3rd distinct data segment from a is lost, and so is its first retransmission; counts sends per seq. */
function loseThirdTwice(link: TcpLink): { sent: Map<number, number>; target: () => number } {
  const sent = new Map<number, number>();
  let target = -1;
  let distinct = 0;
  link.filter = (f, bytes) => {
    if (f !== 'a') return 'pass';
    const r = decode(bytes);
    if (r.payloadLength === 0) return 'pass';
    const n = (sent.get(r.seqNumber) ?? 0) + 1;
    sent.set(r.seqNumber, n);
    if (n === 1 && ++distinct === 3) target = r.seqNumber;
    return r.seqNumber === target && n <= 2 ? 'drop' : 'pass';
  };
  return { sent, target: () => target };
}

test('recovery: a lost retransmission is found by later SACKs and repaired again without a timeout', () => {
  const { link, client, server } = connectedPair({ config: { initialWindowSegments: 20, noDelay: true } });
  const { sent, target } = loseThirdTwice(link);
  const size = 80 * 1448;
  client.write(pattern(size, 11));
  assert.ok(link.runUntil(() => server.received === size, 10_000));
  const c = link.a.layer.counters;
  assert.equal(sent.get(target()), 3, 'sent three times: the original, the lost retransmission, the repair');
  assert.equal(c.lostRetransmits, 1);
  assert.equal(c.timeouts, 0);
  assert.equal(c.sackRecoveries, 1);
  assert.deepEqual(server.data(), pattern(size, 11));
});

test('recovery: a lost retransmission at the tail is left to the RTO: SACKs of older data never count as proof', () => {
  // The same loss pattern with nothing sent after the retransmission: no later SACK can prove it
  // lost, so only the timer repairs it (a tail loss probe, RFC 8985, would be the next step).
  const { link, client, server } = connectedPair({ config: { initialWindowSegments: 20, noDelay: true } });
  const { sent, target } = loseThirdTwice(link);
  const size = 20 * 1448;
  client.write(pattern(size, 12));
  assert.ok(link.runUntil(() => server.received === size, 10_000));
  const c = link.a.layer.counters;
  assert.equal(c.lostRetransmits, 0);
  assert.equal(c.timeouts, 1);
  assert.equal(sent.get(target()), 3);
  assert.deepEqual(server.data(), pattern(size, 12));
});

/**
 * Tail loss probes: `from` 'b' drops the peer's ACKs until the client retransmits something (the
 * probe); `lastData` drops the last data segment of the flight on its first transmission.
 */
function tailCase(
  loss: 'acks' | 'lastData',
  tailLossProbe: boolean,
  fin = false,
): { link: TcpLink; client: ReturnType<typeof connectedPair>['client']; server: ReturnType<typeof connectedPair>['server']; probeDelay: number; sinceFlightStart: number } {
  const { link, client, server } = connectedPair({ config: { initialWindowSegments: 10, noDelay: true, tailLossProbe } });
  const seen = new Set<number>();
  let retransmitted = false;
  let lastFirstSend = 0;
  let flightStart = -1;
  let probeDelay = -1;
  let sinceFlightStart = -1;
  const segments = 6;
  link.filter = (f, bytes) => {
    const r = decode(bytes);
    if (f === 'a' && r.payloadLength > 0) {
      if (seen.has(r.seqNumber)) {
        if (!retransmitted) {
          probeDelay = link.scheduler.now() - lastFirstSend;
          sinceFlightStart = link.scheduler.now() - flightStart;
        }
        retransmitted = true;
        return 'pass';
      }
      seen.add(r.seqNumber);
      lastFirstSend = link.scheduler.now();
      if (flightStart < 0) flightStart = lastFirstSend;
      return loss === 'lastData' && seen.size === segments ? 'drop' : 'pass';
    }
    return loss === 'acks' && f === 'b' && !retransmitted ? 'drop' : 'pass';
  };
  client.write(pattern(segments * 1448, 21), fin);
  assert.ok(link.runUntil(() => server.received === segments * 1448 && client.conn!.info().bytesInFlight === 0, 10_000));
  return { link, client, server, probeDelay, sinceFlightStart };
}

test('tail loss probe: when every ACK of the last flight is lost, a probe after ~2 RTT draws the ACK; no timeout, no window reduction (D-SACK)', () => {
  const { link, client, server, probeDelay } = tailCase('acks', true);
  const c = link.a.layer.counters;
  const t = tcb(client.conn!);
  assert.equal(c.tailLossProbes, 1);
  assert.equal(c.timeouts, 0);
  assert.equal(c.tailLossRecoveries, 0, 'the peer reported the probe as a duplicate: nothing was lost');
  assert.equal(c.sackRecoveries, 0);
  // PTO = 2·SRTT (10 ms RTT here) — far below the 200 ms minimum RTO.
  assert.ok(probeDelay >= 10 && probeDelay <= 2 * t.rtt.srtt + 5, `probe after ${String(probeDelay)} ms, srtt ${String(t.rtt.srtt)}`);
  assert.equal(client.conn!.info().cwnd >= 10 * 1448, true, 'no congestion response');
  assert.deepEqual(server.data(), pattern(6 * 1448, 21));
  // The receiver reported the probe as a duplicate: the first SACK block of its ACK (RFC 2883).
  const probe = decode(link.sent('a').filter((b) => decode(b).payloadLength > 0).at(-1)!);
  const answer = decode(link.sent('b').at(-1)!);
  assert.deepEqual(answer.options.sackBlocks[0], { left: probe.seqNumber, right: (probe.seqNumber + probe.payloadLength) >>> 0 });
  assert.equal(answer.ackNumber, (probe.seqNumber + probe.payloadLength) >>> 0);
});

test('tail loss probe: a lost last segment is repaired by the probe (a loss: one window reduction), not by the RTO', () => {
  const { link, server, probeDelay } = tailCase('lastData', true);
  const c = link.a.layer.counters;
  assert.equal(c.tailLossProbes, 1);
  assert.equal(c.timeouts, 0);
  assert.equal(c.tailLossRecoveries, 1);
  assert.ok(probeDelay < 200, `probe after ${String(probeDelay)} ms`);
  assert.deepEqual(server.data(), pattern(6 * 1448, 21));
});

test('tail loss probe off: the same two tails wait for the RTO', () => {
  for (const loss of ['acks', 'lastData'] as const) {
    const { link, server, sinceFlightStart } = tailCase(loss, false);
    const c = link.a.layer.counters;
    assert.equal(c.tailLossProbes, 0);
    assert.equal(c.timeouts, 1, loss);
    // The RTO runs from the flight's first segment (the pacer spreads the flight over a millisecond or two).
    assert.ok(sinceFlightStart >= 200, `${loss}: retransmitted ${String(sinceFlightStart)} ms after the flight started`);
    assert.deepEqual(server.data(), pattern(6 * 1448, 21));
  }
});

test('rack: reordering shorter than the reordering window (min RTT / 4) is no loss: no recovery, no retransmission', () => {
  const { link, client, server } = connectedPair({ seed: 7, ab: { reorderRate: 0.005, reorderDelayMs: 2 }, config: { sendBufferSize: 1 << 20, receiveBufferSize: 1 << 20 } });
  const size = 2 << 20;
  client.write(pattern(size, 31));
  assert.ok(link.runUntil(() => server.received === size, 60_000));
  link.run(200);
  const c = link.a.layer.counters;
  const t = tcb(client.conn!);
  assert.ok(t.rack.reorderingSeen, 'the reordering was seen');
  assert.ok(link.b.layer.counters.outOfOrderSegments > 0);
  assert.equal(c.sackRecoveries, 0);
  assert.equal(c.rackLosses, 0);
  assert.equal(c.retransSegs, 0);
  assert.equal(c.timeouts, 0);
  assert.deepEqual(server.data(), pattern(size, 31));
});

test('undo: on a path that reorders (beyond reo_wnd) but never loses, every fast recovery is found spurious by D-SACK and undone, and RACK widens reo_wnd until they stop', () => {
  const { link, client, server } = connectedPair({ seed: 7, ab: { reorderRate: 0.005, reorderDelayMs: 6 }, config: { sendBufferSize: 1 << 20, receiveBufferSize: 1 << 20 } });
  const size = 2 << 20;
  client.write(pattern(size, 31));
  assert.ok(link.runUntil(() => server.received === size, 60_000));
  link.run(200); // the last duplicates' ACKs
  const c = link.a.layer.counters;
  assert.ok(c.sackRecoveries > 0, 'reordering triggered fast retransmits');
  assert.equal(c.spuriousRecoveries, c.sackRecoveries, 'each one was undone');
  // RTT 10 ms: reo_wnd starts at 2.5 ms and grows a step (2.5 ms) per D-SACK round; past 6 ms no more recoveries.
  const t = tcb(client.conn!);
  assert.ok(t.rack.reoWndMult >= 3, `reo_wnd multiplier ${String(t.rack.reoWndMult)}`);
  assert.ok(c.sackRecoveries <= 3, `${String(c.sackRecoveries)} recoveries`);
  // Only the reordered segments go again (a window may hold two or three of them): partial ACKs with
  // nothing SACKed above them name no hole, so the in-flight segment at SND.UNA is not resent
  // (it once was, on every partial ACK: ~16 retransmissions per recovery here).
  assert.ok(c.retransSegs <= 3 * c.sackRecoveries, `${String(c.retransSegs)} retransmissions for ${String(c.sackRecoveries)} recoveries`);
  assert.equal(c.timeouts, 0);
  assert.deepEqual(server.data(), pattern(size, 31));
});

test('undo: a real loss is never undone (its retransmission is not reported as a duplicate)', () => {
  const { link, client, server } = connectedPair({ config: { initialWindowSegments: 20, noDelay: true } });
  dropNth(link, 'a', [3]);
  client.write(pattern(40 * 1448, 32));
  assert.ok(link.runUntil(() => server.received === 40 * 1448, 10_000));
  link.run(100);
  const c = link.a.layer.counters;
  assert.equal(c.sackRecoveries, 1);
  assert.equal(c.spuriousRecoveries, 0);
  assert.ok(tcb(client.conn!).cc.ssthresh < 20 * 1448, 'the reduction stands');
});

test('tail loss probe: the lost last segment before a FIN (FIN-WAIT-1) is repaired by the probe, not the RTO', () => {
  const { link, client, server, probeDelay } = tailCase('lastData', true, true);
  const c = link.a.layer.counters;
  assert.equal(client.conn!.state, 'FIN-WAIT-2');
  assert.equal(c.tailLossProbes, 1);
  assert.equal(c.timeouts, 0);
  assert.ok(probeDelay < 200, `probe after ${String(probeDelay)} ms`);
  assert.deepEqual(server.data(), pattern(6 * 1448, 21));
});
