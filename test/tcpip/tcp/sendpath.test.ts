/**
 * The send path under the congestion controller: the send log and delivery-rate samples (byte-exact on a
 * scripted exchange, with a model-based controller stub), the recovery hooks a model-based controller
 * gets instead of ssthresh/PRR, pacing on a fake clock (segments and LSO buffers spaced by bytes/rate),
 * and RACK (a lost retransmission found after RTT + reo_wnd without a timeout).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CongestionControl, LostSegment, RateSample } from '../../../src/drivers/protocol/tcpip/tcp/congestion.js';
import { paceReady, paceSent } from '../../../src/drivers/protocol/tcpip/tcp/pacing.js';
import { SendLog } from '../../../src/drivers/protocol/tcpip/tcp/sendlog.js';
import { F, decode, injectTo, tcb } from '../../support/tcp-inject.js';
import { Endpoint, SERVER_PORT, TcpLink, connectedPair, pattern } from '../../support/tcp-link.js';

/** A model-based controller that only records what the connection tells it (cwnd fixed). */
class StubModel implements CongestionControl {
  readonly algorithm = 'cubic' as const;
  readonly modelBased = true;
  readonly ssthresh = 0x7fffffff;
  pacingRate = 0;
  sendQuantum = 0;
  readonly samples: (RateSample & { at: number })[] = [];
  readonly lost: (LostSegment & { at: number })[] = [];
  readonly calls: string[] = [];
  constructor(public cwnd: number) {}
  onAck(): void {}
  onCongestion(): void {
    this.calls.push('onCongestion');
  }
  onTimeout(): void {
    this.calls.push('onTimeout');
  }
  setCwnd(): void {
    this.calls.push('setCwnd');
  }
  onIdleRestart(): void {}
  setMss(): void {}
  undo(): void {
    this.calls.push('undo');
  }
  onRateSample(rs: RateSample, now: number): void {
    this.samples.push({ ...rs, at: now });
  }
  onSegmentLost(l: LostSegment, now: number): void {
    this.lost.push({ ...l, at: now });
    this.calls.push('onSegmentLost');
  }
  onEnterRecovery(_now: number, inFlight: number): void {
    this.calls.push(`onEnterRecovery(${String(inFlight)})`);
  }
  onExitRecovery(): void {
    this.calls.push('onExitRecovery');
  }
  onAppLimited(): void {
    this.calls.push('onAppLimited');
  }
}

/**
 * A client whose peer is scripted: after the handshake every segment B sends is dropped and the test
 * injects B's ACKs itself. No timestamps (MSS 1460), no pacing.
 */
function scripted(cwnd: number): { link: TcpLink; stub: StubModel; client: ReturnType<typeof connectedPair>['client']; iss: number; ack(at: number, ack: number, sack?: [number, number][]): void; sent(): { time: number; seq: number; len: number }[] } {
  const { link, client, server } = connectedPair({ config: { timestamps: false, pacing: false, initialWindowSegments: 10 }, clientOptions: { noDelay: true } });
  const t = tcb(client.conn!);
  const stub = new StubModel(cwnd);
  t.cc = stub;
  link.filter = (from) => (from === 'b' ? 'drop' : 'pass');
  const peer = tcb(server.conn!);
  const iss = t.sndNxt;
  return {
    link,
    stub,
    client,
    iss,
    ack(at, ack, sack = []) {
      link.run(at - link.scheduler.now());
      injectTo(link.a, client.conn!, {
        seq: peer.sndNxt,
        ack: (iss + ack) | 0,
        flags: F.Ack,
        window: 65535,
        options: { sackBlocks: sack.map(([l, r]) => ({ left: (iss + l) >>> 0, right: (iss + r) >>> 0 })) },
      });
    },
    sent() {
      return link.trace
        .filter((r) => r.from === 'a' && decode(r.bytes).payloadLength > 0)
        .map((r) => {
          const d = decode(r.bytes);
          return { time: r.time, seq: (d.seqNumber - iss) | 0, len: d.payloadLength };
        });
    },
  };
}

const MSS = 1460;

test('rate samples: byte-exact delivered, interval, RTT, tx_in_flight, app-limited and lost over ACKs, SACKs, a RACK loss and its repair (model-based stub)', () => {
  const s = scripted(100 * MSS);
  const t0 = s.link.scheduler.now();
  s.client.write(pattern(10 * MSS, 1));
  assert.deepEqual(
    s.sent().map((x) => [x.time - t0, x.seq, x.len]),
    Array.from({ length: 10 }, (_, i) => [0, i * MSS, MSS]),
  );
  // The connection was idle before the write (app-limited since the handshake).
  s.ack(t0 + 10, 2 * MSS);
  // 4..6 SACKed, 3 missing: DupThresh SACKed segments and no reordering seen → reo_wnd 0, 3 is lost now.
  s.ack(t0 + 12, 2 * MSS, [[3 * MSS, 6 * MSS]]);
  // The fast retransmit of 3 went out at t0 + 12.
  assert.deepEqual(s.sent().at(-1), { time: t0 + 12, seq: 2 * MSS, len: MSS });
  s.ack(t0 + 22, 10 * MSS);
  const got = s.stub.samples.map((r) => ({ ...r, at: r.at - t0 }));
  assert.deepEqual(got, [
    {
      at: 10,
      newlyAcked: 2 * MSS,
      newlyLost: 0,
      delivered: 2 * MSS,
      intervalMs: 10,
      deliveryRate: (2 * MSS) / 10,
      priorDelivered: 0,
      isAppLimited: true,
      rttMs: 10,
      txInFlight: 2 * MSS,
      lost: 0,
      priorInFlight: 10 * MSS,
      inFlight: 8 * MSS,
      totalDelivered: 2 * MSS,
      totalLost: 0,
    },
    {
      at: 12,
      newlyAcked: 3 * MSS,
      newlyLost: MSS,
      delivered: 5 * MSS,
      intervalMs: 12,
      deliveryRate: (5 * MSS) / 12,
      priorDelivered: 0,
      isAppLimited: true,
      rttMs: 12,
      txInFlight: 6 * MSS,
      lost: MSS,
      priorInFlight: 8 * MSS,
      // 3..10 outstanding, 4..6 SACKed, 3 lost (its retransmission follows the sample).
      inFlight: 4 * MSS,
      totalDelivered: 5 * MSS,
      totalLost: MSS,
    },
    {
      at: 22,
      newlyAcked: 5 * MSS,
      newlyLost: 0,
      // P is the retransmission of 3 (sent last): delivered since its send = 3 and 7..10.
      delivered: 5 * MSS,
      // max(send interval 12 − 0 (first send of the sample before it), ACK interval 22 − 12).
      intervalMs: 12,
      deliveryRate: (5 * MSS) / 12,
      priorDelivered: 5 * MSS,
      // After the ACK at 10 the sender had nothing more to send with cwnd open: app-limited again.
      isAppLimited: true,
      rttMs: -1,
      txInFlight: 5 * MSS,
      lost: 0,
      priorInFlight: 5 * MSS,
      inFlight: 0,
      totalDelivered: 10 * MSS,
      totalLost: MSS,
    },
  ]);
  assert.deepEqual(s.stub.lost.map((l) => ({ ...l, at: l.at - t0 })), [{ at: 12, bytes: MSS, txInFlight: 3 * MSS, lostSinceSend: MSS, isAppLimited: true }]);
  // Model-based: the connection never set cwnd or ssthresh; recovery hooks in order.
  assert.deepEqual(
    s.stub.calls.filter((c) => c !== 'onAppLimited'),
    ['onSegmentLost', `onEnterRecovery(${String(4 * MSS)})`, 'onExitRecovery'],
  );
  assert.equal(tcb(s.client.conn!).cc.cwnd, 100 * MSS);
  const c = s.link.a.layer.counters;
  assert.equal(c.rackLosses, 1);
  assert.equal(c.timeouts, 0);
});

test('send log: grows on demand within its bound, counts every byte delivered once on a lossy path, and is released when the send side is done', () => {
  const { link, client, server } = connectedPair({ seed: 3, params: { lossRate: 0.02 } });
  const t = tcb(client.conn!);
  assert.equal(t.sendLog.capacity, 0, 'nothing sent yet: no records');
  client.write(pattern(600_000, 4), true);
  let peak = 0;
  assert.ok(
    link.runUntil(() => {
      peak = Math.max(peak, t.sendLog.capacity);
      // Records cover exactly what is outstanding.
      if (t.sendLog.capacity > 0) assert.equal(t.sendLog.bytes, (t.sndMax - t.sndUna) | 0);
      return client.conn!.state === 'FIN-WAIT-2';
    }, 60_000),
  );
  assert.deepEqual(server.data(), pattern(600_000, 4));
  assert.ok(link.a.layer.counters.retransSegs > 0);
  assert.ok(peak >= 16 && peak <= t.sendLog.maxRecords, `peak capacity ${String(peak)}`);
  assert.equal(t.rate.delivered, 600_000 + 1, 'every byte (and the FIN) delivered once');
  assert.equal(t.sendLog.capacity, 0, 'released with the send ring');
});

test('send log: split, SACK, loss and retransmission keep the byte aggregates and in-flight right', () => {
  const log = new SendLog(4);
  assert.equal(log.append(0, 100), 0);
  log.append(100, 200);
  log.append(200, 300);
  assert.equal(log.capacity, 16);
  assert.equal(log.find(150), 1);
  assert.ok(log.split(1, 150));
  assert.deepEqual([0, 1, 2, 3].map((i) => [log.start[log.at(i)], log.end[log.at(i)]]), [[0, 100], [100, 150], [150, 200], [200, 300]]);
  log.markSacked(log.at(3));
  log.markLost(log.at(0));
  assert.deepEqual([log.bytes, log.sackedBytes, log.lostBytes, log.retransBytes, log.inFlight], [300, 100, 100, 0, 100]);
  log.markRetransmitted(log.at(0));
  assert.equal(log.inFlight, 200);
  log.markLost(log.at(0)); // the retransmission lost too
  assert.deepEqual([log.lostBytes, log.retransBytes, log.inFlight], [100, 0, 100]);
  log.trimFront(40);
  log.shift();
  assert.deepEqual([log.count, log.bytes, log.lostBytes, log.inFlight], [3, 200, 0, 100]);
  // Full at maxRecords (16): the last record grows instead.
  for (let i = 0; i < 13; i++) log.append(300 + i * 10, 310 + i * 10);
  assert.equal(log.count, 16);
  assert.equal(log.append(430, 440), -1);
  assert.deepEqual([log.count, log.end[log.at(15)], log.bytes], [16, 440, 340]);
  log.release();
  assert.deepEqual([log.capacity, log.count, log.bytes], [0, 0, 0]);
});

test('pacing: segments leave bytes/rate apart, the rate cwnd/SRTT × 2 in slow start (fake clock)', () => {
  const { link, client } = connectedPair({ config: { initialWindowSegments: 10 }, clientOptions: { noDelay: true } });
  const t = tcb(client.conn!);
  const srtt = t.rtt.srtt;
  const rate = (t.cc.cwnd * 2) / srtt;
  const mark = link.trace.length;
  const t0 = link.scheduler.now();
  client.write(pattern(10 * t.smss, 5));
  link.run(srtt / 2);
  const times = link.trace.slice(mark).filter((r) => r.from === 'a' && decode(r.bytes).payloadLength > 0).map((r) => r.time - t0);
  assert.equal(times.length, 10);
  const gap = t.smss / rate;
  // One quantum (2 segments here, ~1 ms of data) of credit, then one segment per bytes/rate.
  const expected = times.map((_, i) => Math.max(0, (i - 2) * gap));
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(times[i]! - expected[i]!) < 1e-9, `segment ${String(i)} at ${String(times[i])}, expected ${String(expected[i])}`);
  assert.ok(link.a.layer.counters.pacedDeferrals >= 7);
  assert.ok('pacedDeferrals' in link.a.layer.stats() && 'rackLosses' in link.a.layer.stats() && 'rackReorderTimeouts' in link.a.layer.stats());
});

test('pacing: LSO buffers are capped to the send quantum (~1 ms at the pacing rate) and spaced; TcpPacing off sends the window at once', () => {
  for (const pacing of [true, false]) {
    const { link, client } = connectedPair({ config: { initialWindowSegments: 40, pacing }, clientOptions: { noDelay: true } });
    link.a.setRoute({ lsoMaxPayload: 65_536 });
    const t = tcb(client.conn!);
    const rate = (t.cc.cwnd * 2) / t.rtt.srtt;
    const mark = link.trace.length;
    const t0 = link.scheduler.now();
    client.write(pattern(40 * t.smss, 6));
    link.run(t.rtt.srtt / 2);
    const data = link.trace.slice(mark).filter((r) => r.from === 'a' && decode(r.bytes).payloadLength > 0);
    assert.equal(data.reduce((n, r) => n + decode(r.bytes).payloadLength, 0), 40 * t.smss);
    const perInstant = new Map<number, number>();
    for (const r of data) perInstant.set(r.time - t0, (perInstant.get(r.time - t0) ?? 0) + decode(r.bytes).payloadLength);
    if (!pacing) {
      assert.deepEqual([...perInstant.keys()], [0]);
      continue;
    }
    const quantum = Math.floor(rate) - (Math.floor(rate) % t.smss);
    assert.ok(quantum >= 2 * t.smss && quantum < 40 * t.smss);
    const sizes = [...perInstant.values()];
    // Two quanta of credit at the start, then one buffer of a quantum every quantum/rate ms.
    assert.equal(sizes[0], 2 * quantum);
    for (const n of sizes.slice(1, -1)) assert.equal(n, quantum);
    const times = [...perInstant.keys()];
    for (let i = 2; i < times.length; i++) assert.ok(Math.abs(times[i]! - times[i - 1]! - quantum / rate) < 1e-9);
    assert.ok(link.lsoBuffers >= 40 / (quantum / t.smss) - 1);
  }
});

test('rack: a lost retransmission is found lost RTT + reo_wnd after it was sent, and repaired without a timeout', () => {
  // The receiver ACKs every out-of-order segment at once (no SACK compression, which may hold an ACK up
  // to min(1 ms, SRTT/20)): the timing measured is the sender's.
  const { link, client, server } = connectedPair({ config: { initialWindowSegments: 20, noDelay: true, sackCompressSegments: 0 } });
  const sends = new Map<number, number[]>();
  let target = -1;
  let distinct = 0;
  link.filter = (f, bytes) => {
    if (f !== 'a') return 'pass';
    const r = decode(bytes);
    if (r.payloadLength === 0) return 'pass';
    const n = sends.get(r.seqNumber) ?? [];
    n.push(link.scheduler.now());
    sends.set(r.seqNumber, n);
    if (n.length === 1 && ++distinct === 3) target = r.seqNumber;
    return r.seqNumber === target && n.length <= 2 ? 'drop' : 'pass';
  };
  const size = 80 * 1448;
  client.write(pattern(size, 7));
  assert.ok(link.runUntil(() => server.received === size, 10_000));
  const t = tcb(client.conn!);
  const c = link.a.layer.counters;
  const [, rxt, repair] = sends.get(target)!;
  assert.equal(c.timeouts, 0);
  assert.equal(c.lostRetransmits, 1);
  assert.ok(c.rackLosses >= 2, 'the original and the retransmission');
  // In recovery without reordering reo_wnd is 0: the repair follows the first ACK for data sent after
  // the retransmission, one RTT (10 ms) later — not the 200 ms RTO.
  const rtt = 10;
  assert.ok(repair! - rxt! >= rtt && repair! - rxt! <= rtt + 2, `repaired ${String(repair! - rxt!)} ms after the lost retransmission`);
  assert.equal(t.rack.reorderingSeen, false);
  assert.deepEqual(server.data(), pattern(size, 7));
});

test('rack: a slow-start overshoot into a drop-tail queue (thousands of holes) is repaired by SACK recovery without an RTO', () => {
  // CUBIC's slow start overshoots a 10 MB/s, 40 ms path with a 1 MiB drop-tail queue by about a window:
  // every other segment of a megabyte-sized flight is dropped. The peer reports far more ranges than
  // the bounded SACK scoreboard holds, and the send buffer autotunes from 64 KiB. Recovery once
  // stalled here into RTOs: the send log was sized for the initial send buffer (its last record
  // swallowed megabytes), and SACK blocks the full scoreboard had no room for never reached the log,
  // so PRR saw nothing delivered and no lost segment was known to resend. Linux repairs it in recovery.
  const { link, client, server } = connectedPair({ params: { delayMs: 20, rateBytesPerMs: 10_000, queueBytes: 1 << 20 }, trace: false });
  const t = tcb(client.conn!);
  const size = 6_000_000;
  const data = pattern(size, 6);
  client.write(data, true);
  let peakRecords = 0;
  assert.ok(
    link.runUntil(() => {
      peakRecords = Math.max(peakRecords, t.sendLog.count);
      return server.received === size;
    }, 60_000, 5),
  );
  assert.deepEqual(server.data(), data);
  const c = link.a.layer.counters;
  const info = JSON.stringify({ timeouts: c.timeouts, sackRecoveries: c.sackRecoveries, rackLosses: c.rackLosses, lostRetransmits: c.lostRetransmits, retransSegs: c.retransSegs, peakRecords });
  assert.equal(c.timeouts, 0, info);
  // The premise: a burst loss with many more holes than scoreboard ranges, in a log of one record per segment.
  assert.ok(c.rackLosses > 20 * t.owner.config.maxSackRanges, info);
  assert.ok(peakRecords > 1000, info);
  assert.ok(c.sackRecoveries >= 1, info);
  // Each loss is resent about once (lost retransmissions aside), not the whole flight again.
  assert.ok(c.retransSegs <= c.rackLosses + c.lostRetransmits + 10, info);
});

test('pacing: a peer window that closes while the pacer holds the sender back still arms the persist timer (the connection ends)', () => {
  // A property-test counterexample: a 4096-byte receive buffer, 4097 bytes and a FIN to send, a lossy
  // jittery ACK path. The last byte waits for the window; with the pacer's next-send time ahead, output
  // once stopped as "paced" with nothing sendable, armed neither the pacer nor the persist timer, and
  // the connection stalled in CLOSING.
  const config = { sack: false, windowScaling: false, sendBufferSize: 4096, receiveBufferSize: 4096, delayedAck: false, timeWaitMs: 1000 };
  const link = new TcpLink({ seed: 68395400, ab: { delayMs: 0, rsc: true }, ba: { delayMs: 0, jitterMs: 3, lossRate: 0.15 }, config, trace: false });
  link.a.setRoute({ lsoMaxPayload: 16_384 });
  link.b.setRoute({ lsoMaxPayload: 16_384 });
  const client = new Endpoint();
  const server = new Endpoint();
  link.b.layer.listen({ family: 4, address: new Uint8Array(4), port: SERVER_PORT }, {}, {
    onConnection: (c) => {
      server.attach(c);
      server.write(new Uint8Array(0), true);
    },
  });
  client.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, client.events));
  client.write(pattern(4097, 1), true);
  assert.ok(link.runUntil(() => client.closed && server.closed, 30 * 60_000, 5), JSON.stringify(client.conn!.info()));
  assert.deepEqual(server.data(), pattern(4097, 1));
  assert.ok(link.a.layer.counters.persistProbes > 0);
});

test('pacing: a host timer that fires only on whole milliseconds (as Node timers do) still sends at the pacing rate', () => {
  // The pacer alone, on a stub connection: 300 Mbit/s with BBR's ~1 ms send quantum, sent as MSS-sized
  // segments (no LSO). output sends while paceReady, so it stops one segment past now and the wait is
  // tiny — but the timer fires on whole-millisecond ticks and never sooner than 1 ms (setTimeout's floor):
  // up to 2 ms after it was due. Lateness beyond one quantum (1 ms here) used to be forgotten, so only
  // half the rate got out.
  const rate = 37_500; // bytes per ms
  const quantum = 37_500;
  const seg = 1448;
  const stub = (): Parameters<typeof paceSent>[0] => ({ paceRate: rate, paceQuantum: quantum, paceNext: 0 }) as unknown as Parameters<typeof paceSent>[0];
  const t = stub();
  const start = 1000;
  let now = start;
  let sent = 0;
  for (let firings = 0; now < start + 200 && firings < 10_000; firings++) {
    while (paceReady(t, now)) {
      paceSent(t, seg, now);
      sent += seg;
    }
    now = Math.floor(Math.max(t.paceNext, now + 1)) + 1;
  }
  const achieved = sent / (now - start);
  assert.ok(achieved >= 0.95 * rate && achieved <= 1.05 * rate, `paced ${String(Math.round(achieved))} B/ms of ${String(rate)}`);
  // An idle sender still gets one quantum of credit only (no burst from a stale next-send time).
  const idle = stub();
  let burst = 0;
  while (paceReady(idle, 5000) && burst < 1000 * seg) {
    paceSent(idle, seg, 5000);
    burst += seg;
  }
  assert.equal(burst, Math.ceil(quantum / seg) * seg + (quantum % seg === 0 ? seg : 0), 'one quantum of credit, then the segment that crosses now');
});
