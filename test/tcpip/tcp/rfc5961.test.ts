/**
 * Blind in-window attacks (RFC 5961) and the other sequence and timestamp checks on an established
 * connection: RST exactly at RCV.NXT resets, elsewhere in the window it draws a rate-limited challenge
 * ACK, outside it is dropped silently; a SYN draws a challenge ACK; ACKs for data never sent or older
 * than the window are answered and ignored; PAWS drops an old timestamp (RFC 7323 §5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, decode, has, injectTo, tcb } from '../../support/tcp-inject.js';
import { connectedPair, pattern } from '../../support/tcp-link.js';

function setup() {
  const p = connectedPair();
  const conn = p.client.conn!;
  const t = tcb(conn);
  const mark = p.link.trace.length;
  /** Segments the client (a) sent since `mark`. */
  const fromA = () => p.link.trace.slice(mark).filter((r) => r.from === 'a').map((r) => decode(r.bytes));
  return { ...p, conn, t, fromA, c: p.link.a.layer.counters };
}

test('rfc5961: a RST exactly at RCV.NXT resets the connection', () => {
  const { link, client, t, c } = setup();
  injectTo(link.a, client.conn!, { seq: t.rcvNxt, flags: F.Rst });
  assert.equal(client.closed, true);
  assert.equal(client.error?.code, 'ECONNRESET');
  assert.equal(c.estabResets, 1);
  assert.equal(c.currEstab, 0);
  assert.equal(link.a.liveTimers, 0);
});

test('rfc5961: a RST elsewhere in the window draws a challenge ACK and changes nothing', () => {
  const { link, client, t, c, fromA } = setup();
  const rcvNxt = t.rcvNxt;
  injectTo(link.a, client.conn!, { seq: rcvNxt + 1000, flags: F.Rst });
  assert.equal(client.conn!.state, 'ESTABLISHED');
  assert.equal(c.rstInvalid, 1);
  assert.equal(c.challengeAcks, 1);
  const out = fromA();
  assert.equal(out.length, 1);
  assert.ok(has(out[0]!, F.Ack) && !has(out[0]!, F.Rst));
  assert.equal(out[0]!.ackNumber, rcvNxt >>> 0);
  assert.equal(out[0]!.seqNumber, t.sndMax >>> 0);
  // The peer's answer to the challenge would be a RST at exactly RCV.NXT: that one works.
  injectTo(link.a, client.conn!, { seq: rcvNxt, flags: F.Rst });
  assert.equal(client.error?.code, 'ECONNRESET');
});

test('rfc5961: a RST outside the window is dropped silently', () => {
  const { link, client, t, c, fromA } = setup();
  injectTo(link.a, client.conn!, { seq: t.rcvNxt + 50_000_000, flags: F.Rst });
  injectTo(link.a, client.conn!, { seq: t.rcvNxt - 1, flags: F.Rst | F.Ack, ack: t.sndNxt });
  assert.equal(client.conn!.state, 'ESTABLISHED');
  assert.equal(c.outOfWindow, 2);
  assert.equal(fromA().length, 0);
});

test('rfc5961: a SYN in a synchronized state draws a challenge ACK (in or out of the window)', () => {
  const { link, client, t, c, fromA } = setup();
  injectTo(link.a, client.conn!, { seq: t.rcvNxt + 10, flags: F.Syn });
  injectTo(link.a, client.conn!, { seq: t.rcvNxt + 90_000_000, flags: F.Syn });
  assert.equal(client.conn!.state, 'ESTABLISHED');
  assert.equal(c.synInvalid, 2);
  assert.equal(c.challengeAcks, 2);
  const out = fromA();
  assert.equal(out.length, 2);
  for (const s of out) assert.ok(has(s, F.Ack) && !has(s, F.Syn) && !has(s, F.Rst));
});

test('rfc5961: challenge ACKs are rate limited per connection (§7)', () => {
  const { link, client, t, c, fromA } = setup();
  for (let i = 0; i < 30; i++) injectTo(link.a, client.conn!, { seq: t.rcvNxt + 100 + i, flags: F.Rst });
  assert.equal(c.challengeAcks, 10);
  assert.equal(c.challengeAcksSuppressed, 20);
  assert.equal(fromA().length, 10);
  link.run(1000);
  injectTo(link.a, client.conn!, { seq: t.rcvNxt + 100, flags: F.Rst });
  assert.equal(c.challengeAcks, 11);
  assert.equal(client.conn!.state, 'ESTABLISHED');
});

test('rfc5961: an ACK for data never sent is answered with an ACK and the segment dropped', () => {
  const { link, client, server, t, c, fromA } = setup();
  injectTo(link.a, client.conn!, { seq: t.rcvNxt, ack: t.sndMax + 5000, flags: F.Ack, payload: pattern(100) });
  assert.equal(c.ackUnsent, 1);
  assert.equal(client.received, 0);
  const out = fromA();
  assert.equal(out.length, 1);
  assert.equal(out[0]!.ackNumber, t.rcvNxt >>> 0);
  // Old ACKs within MAX.SND.WND are fine; older ones are dropped with an ACK (§5.2).
  client.write(pattern(5000), false);
  link.runUntil(() => tcb(server.conn!).rcvNxt === t.sndMax, 1000);
  const before = c.ackTooOld;
  injectTo(link.a, client.conn!, { seq: t.rcvNxt, ack: t.sndUna - t.maxSndWnd - 10, flags: F.Ack, payload: pattern(10) });
  assert.equal(c.ackTooOld, before + 1);
  assert.equal(client.received, 0);
  assert.equal(client.conn!.state, 'ESTABLISHED');
});

test('paws: a segment with a timestamp older than TS.Recent is dropped (RFC 7323 §5.3)', () => {
  const { link, client, t, c, fromA } = setup();
  assert.ok(t.tsOk);
  const old = (t.tsRecent - 1000) >>> 0;
  injectTo(link.a, client.conn!, { seq: t.rcvNxt, ack: t.sndNxt, flags: F.Ack | F.Psh, payload: pattern(50), options: { timestamps: { value: old, echo: 0 } } });
  assert.equal(c.pawsRejected, 1);
  assert.equal(client.received, 0);
  assert.equal(fromA().length, 1); // a duplicate ACK
  // A newer timestamp is accepted and becomes TS.Recent.
  const fresh = (t.tsRecent + 5) >>> 0;
  injectTo(link.a, client.conn!, { seq: t.rcvNxt, ack: t.sndNxt, flags: F.Ack | F.Psh, payload: pattern(50), options: { timestamps: { value: fresh, echo: 0 } } });
  assert.equal(client.received, 50);
  assert.equal(t.tsRecent >>> 0, fresh);
  // RSTs are exempt from PAWS.
  injectTo(link.a, client.conn!, { seq: t.rcvNxt, flags: F.Rst, options: { timestamps: { value: old, echo: 0 } } });
  assert.equal(client.error?.code, 'ECONNRESET');
});

test('window check: out-of-window data is answered with a duplicate ACK, pure ACKs at most every 500 ms', () => {
  const { link, client, t, c, fromA } = setup();
  const beyond = t.rcvNxt + 10_000_000;
  injectTo(link.a, client.conn!, { seq: beyond, ack: t.sndNxt, flags: F.Ack, payload: pattern(10) });
  injectTo(link.a, client.conn!, { seq: beyond, ack: t.sndNxt, flags: F.Ack, payload: pattern(10) });
  assert.equal(fromA().length, 2);
  for (let i = 0; i < 5; i++) injectTo(link.a, client.conn!, { seq: beyond, ack: t.sndNxt, flags: F.Ack });
  assert.equal(fromA().length, 3);
  assert.equal(c.outOfWindowAcksSuppressed, 4);
  assert.equal(c.outOfWindow, 7);
  link.run(500);
  injectTo(link.a, client.conn!, { seq: beyond, ack: t.sndNxt, flags: F.Ack });
  assert.equal(c.outOfWindowAcksSuppressed, 4);
  assert.equal(client.received, 0);
});
