/**
 * Admission under a SYN flood, as Linux does it: the backlog bounds the accept queue (completed,
 * unaccepted connections) and only a full accept queue drops; SYN-RECEIVED entries are bounded by the
 * half-open budget (per listener, in total), beyond which a SYN is answered with a cookie (or, with
 * cookies off, the oldest half-open entry makes room); a listener under pressure gives its old entries
 * fewer SYN-ACK retries. Scripted SYNs from spoofed sources on a fake clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TcpConnection } from '../../../src/drivers/protocol/tcpip/tcp/index.js';
import type { TcpConfig } from '../../../src/drivers/protocol/tcpip/tcp/api.js';
import type { TcpFlow } from '../../../src/drivers/protocol/tcpip/tcp/host.js';
import { cookieSack, cookieTsBits, cookieWscale } from '../../../src/drivers/protocol/tcpip/tcp/syncookie.js';
import { seqLe } from '../../../src/drivers/protocol/tcpip/tcp/seq.js';
import { F, buildSegment, decode, has } from '../../support/tcp-inject.js';
import { Endpoint, Rng, SERVER_PORT, TcpLink, pattern } from '../../support/tcp-link.js';

const ANY4 = new Uint8Array(4);

/** `n` SYNs from random 10/8 sources (their SYN-ACKs must be dropped by the caller's filter). */
function spoof(link: TcpLink, n: number, port = SERVER_PORT, seed = 7): void {
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const src = new Uint8Array([10, rng.int(256), rng.int(256), 1 + rng.int(254)]);
    const sport = 1024 + rng.int(60000);
    const syn = buildSegment({ family: 4, localAddress: src, localPort: sport, remoteAddress: link.b.address, remotePort: port }, { seq: rng.u32(), flags: F.Syn, options: { mss: 1460, windowScale: 7, sackPermitted: true, timestamps: { value: 1, echo: 0 } } });
    link.b.layer.input({ family: 4, localAddress: link.b.address, localPort: port, remoteAddress: src, remotePort: sport }, syn, 0, syn.length, 1);
  }
}

/** SYN-ACKs to anyone but the real client (198.18.0.1) vanish, as towards spoofed sources. */
function dropSpoofed(link: TcpLink): void {
  link.filter = (from, _bytes, flow: TcpFlow) => (from === 'b' && flow.remoteAddress[0] === 10 ? 'drop' : 'pass');
}

function server(config: Partial<TcpConfig> = {}, backlog?: number) {
  const link = new TcpLink({ configB: config });
  const accepted: Endpoint[] = [];
  const l = link.b.layer.listen({ family: 4, address: ANY4, port: SERVER_PORT }, backlog === undefined ? {} : { backlog }, {
    onConnection: (c: TcpConnection) => {
      const e = new Endpoint();
      e.attach(c);
      accepted.push(e);
    },
  });
  return { link, l, accepted, c: link.b.layer.counters };
}

function client(link: TcpLink): Endpoint {
  const e = new Endpoint();
  e.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, e.events));
  return e;
}

test('admission: with the default bounds, spoofed half-opens beyond the backlog do not lock a real client out — it completes at once through a cookie', () => {
  const { link, l, accepted, c } = server();
  dropSpoofed(link);
  spoof(link, 2000);
  // The half-open budget (256 per listener by default), not the backlog (128), bounds SYN-RECEIVED.
  assert.equal(l.halfOpenCount, 256);
  assert.equal(c.listenOverflow, 0);
  assert.equal(c.synCookiesSent, 2000 - 256);
  const e = client(link);
  // One round trip (5 ms each way): no SYN retransmission.
  assert.ok(link.runUntil(() => e.connected && accepted.length === 1, 20), 'handshake within one RTT');
  assert.equal(c.synCookiesAccepted, 1);
  assert.equal(link.a.layer.counters.synRetransmits, 0);
  const data = pattern(100_000, 3);
  e.write(data, true);
  assert.ok(link.runUntil(() => accepted[0]!.conn!.remoteClosed, 10_000));
  assert.deepEqual(accepted[0]!.data(), data);
});

test('admission: a full accept queue drops SYNs, even with cookies; a slot freed by accept() admits the retry', () => {
  const { link, l, c } = server({}, 2);
  l.pause();
  const a = client(link);
  const b = client(link);
  assert.ok(link.runUntil(() => a.connected && b.connected && l.acceptQueueLength === 2, 50));
  const x = client(link);
  link.run(500);
  assert.equal(x.connected, false);
  assert.equal(c.listenOverflow, 1, 'the SYN was dropped');
  assert.equal(c.synCookiesSent, 0, 'no cookie for a full accept queue (as Linux)');
  assert.equal(l.halfOpenCount, 0);
  assert.ok(l.accept() !== null);
  // The client's SYN retransmission (1 s) finds room.
  assert.ok(link.runUntil(() => x.connected, 1000));
  link.run(10);
  assert.equal(l.acceptQueueLength, 2);
});

test('admission: a handshake ACK for a full accept queue is dropped, the entry stays SYN-RECEIVED and completes when there is room', () => {
  const { link, l, c } = server({}, 1);
  l.pause();
  const a = client(link);
  const b = client(link);
  // Both SYNs find the accept queue empty; the second ACK finds it full.
  assert.ok(link.runUntil(() => a.connected && b.connected, 50), 'the clients see their handshakes complete');
  link.run(10);
  assert.equal(l.acceptQueueLength, 1);
  assert.equal(l.halfOpenCount, 1);
  assert.equal(c.listenOverflow, 1);
  assert.equal(link.b.layer.counters.outRsts, 0, 'no reset (tcp_abort_on_overflow off)');
  const first = l.accept()!;
  assert.equal(first.state, 'ESTABLISHED');
  // The SYN-ACK retransmission draws the client's ACK again; now it completes.
  assert.ok(link.runUntil(() => l.acceptQueueLength === 1, 1500));
  assert.equal(l.halfOpenCount, 0);
  assert.equal(l.accept()!.state, 'ESTABLISHED');
});

test('admission: a cookie ACK completes at once when the accept queue has room, and is dropped (no RST) when it is full', () => {
  const { link, l, c } = server({ maxHalfOpenPerListener: 0 }, 1);
  l.pause();
  const a = client(link);
  assert.ok(link.runUntil(() => a.connected && l.acceptQueueLength === 1, 20), 'completed on the first ACK');
  assert.equal(c.synCookiesSent, 1);
  assert.equal(c.synCookiesAccepted, 1);
  // The queue is full now: SYNs are dropped before any cookie is made.
  const b = client(link);
  link.run(200);
  assert.equal(b.connected, false);
  assert.equal(c.synCookiesSent, 1);
  assert.equal(c.listenOverflow, 1);
  // A valid cookie ACK that finds the queue full: dropped — not reset, not a bad cookie — and taken
  // once there is room (the cookie is good for a period or two).
  const peer = { family: 4 as const, localAddress: new Uint8Array([198, 18, 0, 9]), localPort: 40000, remoteAddress: link.b.address, remotePort: SERVER_PORT };
  const toB = { family: 4 as const, localAddress: link.b.address, localPort: SERVER_PORT, remoteAddress: peer.localAddress, remotePort: 40000 };
  const inject = (spec: Parameters<typeof buildSegment>[1]): void => {
    const bytes = buildSegment(peer, spec);
    link.b.layer.input(toB, bytes, 0, bytes.length, 1);
  };
  l.accept();
  inject({ seq: 1000, flags: F.Syn, options: { mss: 1460 } });
  const synAck = decode(link.trace.at(-1)!.bytes);
  assert.ok(has(synAck, F.Syn) && has(synAck, F.Ack));
  assert.equal(c.synCookiesSent, 2);
  assert.ok(link.runUntil(() => b.connected, 1500), 'the other client fills the queue');
  link.run(10);
  assert.equal(l.acceptQueueLength, 1);
  const rsts = c.outRsts;
  inject({ seq: 1001, ack: (synAck.seqNumber + 1) >>> 0, flags: F.Ack });
  assert.equal(c.listenOverflow, 2);
  assert.equal(c.synCookiesRejected, 0);
  assert.equal(c.outRsts, rsts);
  assert.equal(l.acceptQueueLength, 1);
  l.accept();
  inject({ seq: 1001, ack: (synAck.seqNumber + 1) >>> 0, flags: F.Ack });
  assert.equal(l.acceptQueueLength, 1);
  assert.equal(c.synCookiesAccepted, 3);
});

test('admission: cookies off, a full half-open budget evicts its oldest entry so a real client still gets in', () => {
  const { link, l, accepted, c } = server({ synCookies: false, maxHalfOpenPerListener: 8 });
  dropSpoofed(link);
  spoof(link, 100);
  assert.equal(l.halfOpenCount, 8);
  assert.equal(c.halfOpenEvicted, 100 - 8);
  assert.equal(c.synFloodDropped, 0);
  assert.equal(link.b.layer.connectionCount, 8);
  const e = client(link);
  assert.ok(link.runUntil(() => e.connected && accepted.length === 1, 20));
  assert.equal(c.outRsts, 0, 'evicted entries go silently (their sources are likely spoofed)');
});

test('admission: cookies off, the global half-open budget evicts only from the listener the SYN is for', () => {
  const link = new TcpLink({ configB: { synCookies: false, maxHalfOpen: 12, maxHalfOpenPerListener: 8 } });
  dropSpoofed(link);
  const l1 = link.b.layer.listen({ family: 4, address: ANY4, port: 80 }, {}, {});
  const l2 = link.b.layer.listen({ family: 4, address: ANY4, port: 81 }, {}, {});
  spoof(link, 20, 80, 1);
  spoof(link, 20, 81, 2);
  assert.equal(l1.halfOpenCount, 8);
  assert.equal(l2.halfOpenCount, 4);
  assert.equal(link.b.layer.halfOpenCount, 12);
  assert.equal(link.b.layer.counters.halfOpenEvicted, 12 + 16);
});

test('admission: under pressure, old half-open entries get fewer SYN-ACK retries (as Linux: at least 2)', () => {
  const { link, l, c } = server({ maxHalfOpenPerListener: 16 });
  dropSpoofed(link);
  spoof(link, 16);
  // RTO 1 s, backed off: SYN-ACKs at 0, 1 and 3 s; with 2 retries an entry gives up at 7 s (with 5, at
  // 63 s). Every entry is old by then, so they go with 2 — until only half the budget is used: the
  // pressure is off and the rest keep their 5 (Linux reserves half the room for young entries).
  link.run(6_900);
  assert.equal(l.halfOpenCount, 16);
  assert.equal(c.synRetransmits, 32);
  link.run(200);
  assert.equal(l.halfOpenCount, 8);
  assert.equal(c.halfOpenTimeouts, 8);
  link.run(56_000);
  assert.equal(l.halfOpenCount, 0);
  assert.equal(c.halfOpenTimeouts, 16);
  assert.equal(c.synRetransmits, 32 + 8 * 3);
  // Without pressure, a lone entry keeps its configured 5 retries.
  spoof(link, 1, SERVER_PORT, 99);
  link.run(8_000);
  assert.equal(l.halfOpenCount, 1);
  link.run(60_000);
  assert.equal(l.halfOpenCount, 0);
  assert.equal(c.synRetransmits, 32 + 8 * 3 + 5);
});

test('syn cookies: the options ride in TSval\'s low 6 bits as Linux encodes them (wscale 4 bits, 15 = none; SACK bit 4; ECN bit 5)', () => {
  assert.equal(cookieTsBits(7, true), 0x17);
  assert.equal(cookieTsBits(14, false), 0x0e);
  assert.equal(cookieTsBits(-1, false), 0x0f);
  assert.equal(cookieTsBits(-1, true), 0x1f);
  assert.equal(cookieWscale(0x17), 7);
  assert.equal(cookieWscale(0x2f), -1);
  assert.equal(cookieSack(0x17), true);
  assert.equal(cookieSack(0x2f), false, 'the ECN bit (5) is not SACK');
  // Any TSval bits above the low 6 do not matter.
  assert.equal(cookieWscale(0xabcdef40 | 0x13), 3);
  assert.equal(cookieSack(0xabcdef40 | 0x13), true);
});

test('syn cookies: the cookie SYN-ACK\'s TSval never runs ahead of the connection\'s later TSvals (PAWS at the peer)', () => {
  // Linux's cookie_init_timestamp steps back 64 when the option bits would put TSval past the clock.
  for (let i = 0; i < 40; i++) {
    const { link, accepted } = server({ maxHalfOpenPerListener: 0 });
    link.run(i * 17);
    const e = client(link);
    assert.ok(link.runUntil(() => e.connected && accepted.length === 1, 50));
    const fromB = link.trace.filter((r) => r.from === 'b').map((r) => decode(r.bytes));
    const synAck = fromB.find((r) => has(r, F.Syn))!;
    accepted[0]!.write(pattern(10, i), false);
    link.run(20);
    const data = link.trace.filter((r) => r.from === 'b').map((r) => decode(r.bytes)).find((r) => r.payloadLength > 0)!;
    assert.ok(synAck.options.timestamps !== null && data.options.timestamps !== null);
    assert.ok(seqLe(synAck.options.timestamps.value | 0, data.options.timestamps.value | 0), `run ${String(i)}: SYN-ACK TSval ${String(synAck.options.timestamps.value)} > data TSval ${String(data.options.timestamps.value)}`);
  }
});
