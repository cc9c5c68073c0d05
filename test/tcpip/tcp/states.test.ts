/**
 * The rest of the state machine (RFC 9293 §3.3.2): simultaneous open and close, TIME-WAIT (2·MSL,
 * re-ACKing a retransmitted FIN, reopening by a newer SYN, the TIME-WAIT cap), LAST-ACK, close() and
 * abort() (RST semantics, BSD's reset on unread data), data after close, the FIN-WAIT-2 limit of a
 * closed connection, shutdown during the handshake, SYN retransmission and the connect timeout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, decode, has, injectTo, tcb } from '../../support/tcp-inject.js';
import { Endpoint, SERVER_PORT, TcpLink, connectedPair, pattern } from '../../support/tcp-link.js';

test('states: simultaneous open — both SYN-SENT, both SYN-RECEIVED, both ESTABLISHED (RFC 9293 Figure 8)', () => {
  const link = new TcpLink({ params: { delayMs: 10 } });
  const ea = new Endpoint();
  const eb = new Endpoint();
  ea.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: 5000 }, { localPort: 6000 }, ea.events));
  eb.attach(link.b.layer.connect({ family: 4, address: link.a.address, port: 6000 }, { localPort: 5000 }, eb.events));
  link.run(10);
  assert.equal(ea.conn!.state, 'SYN-RECEIVED');
  assert.equal(eb.conn!.state, 'SYN-RECEIVED');
  assert.ok(link.runUntil(() => ea.connected && eb.connected, 1000));
  assert.equal(ea.conn!.state, 'ESTABLISHED');
  assert.equal(eb.conn!.state, 'ESTABLISHED');
  // Two SYNs and two SYN-ACKs, nothing retransmitted.
  assert.equal(link.trace.filter((r) => has(decode(r.bytes), F.Syn)).length, 4);
  assert.equal(link.a.layer.counters.retransSegs + link.b.layer.counters.retransSegs, 0);
  ea.write(pattern(10_000, 3), true);
  eb.write(pattern(7000, 4), true);
  assert.ok(link.runUntil(() => ea.closed && eb.closed, 5000));
  assert.deepEqual(eb.data(), pattern(10_000, 3));
  assert.deepEqual(ea.data(), pattern(7000, 4));
});

test('states: simultaneous close — FIN-WAIT-1, CLOSING, TIME-WAIT on both sides', () => {
  const { link, client, server } = connectedPair({ params: { delayMs: 10 } });
  client.conn!.shutdown();
  server.conn!.shutdown();
  assert.equal(client.conn!.state, 'FIN-WAIT-1');
  assert.equal(server.conn!.state, 'FIN-WAIT-1');
  link.run(10);
  assert.equal(client.conn!.state, 'CLOSING');
  assert.equal(server.conn!.state, 'CLOSING');
  link.run(10);
  assert.equal(client.conn!.state, 'TIME-WAIT');
  assert.equal(server.conn!.state, 'TIME-WAIT');
  assert.equal(client.closed && server.closed, true);
  assert.equal(client.error, null);
  link.run(60_000);
  assert.equal(client.conn!.state, 'CLOSED');
  assert.equal(server.conn!.state, 'CLOSED');
  assert.equal(link.a.liveTimers + link.b.liveTimers, 0);
});

test('states: TIME-WAIT lasts timeWaitMs, re-ACKs a retransmitted FIN and restarts', () => {
  const { link, client, server } = connectedPair({ config: { timeWaitMs: 4000 } });
  client.conn!.shutdown();
  link.run(20);
  server.conn!.shutdown();
  link.run(20);
  assert.equal(client.conn!.state, 'TIME-WAIT');
  assert.equal(server.conn!.state, 'CLOSED');
  const t = tcb(client.conn!);
  link.run(3000);
  const mark = link.trace.length;
  // The server's FIN again (as if our ACK had been lost); the server itself is gone, so keep our
  // answer from reaching it (its RST would end TIME-WAIT, RFC 9293 §3.10.7.4).
  link.filter = (from) => (from === 'a' ? 'drop' : 'pass');
  injectTo(link.a, client.conn!, { seq: t.rcvNxt - 1, ack: t.sndNxt, flags: F.Fin | F.Ack });
  const out = link.trace.slice(mark).filter((r) => r.from === 'a').map((r) => decode(r.bytes));
  assert.equal(out.length, 1);
  assert.equal(out[0]!.ackNumber, t.rcvNxt >>> 0);
  link.run(3999);
  assert.equal(client.conn!.state, 'TIME-WAIT');
  link.run(1);
  assert.equal(client.conn!.state, 'CLOSED');
  assert.equal(link.a.layer.timeWaitCount, 0);
});

test('states: a newer SYN reopens a TIME-WAIT tuple for a listener (RFC 6191)', () => {
  const link = new TcpLink({ config: { timeWaitMs: 60_000 } });
  const got: Endpoint[] = [];
  link.a.layer.listen({ family: 4, address: new Uint8Array(4), port: 7000 }, {}, {
    onConnection: (c) => {
      const e = new Endpoint();
      e.attach(c);
      got.push(e);
    },
  });
  // b connects to a from port 40000; a closes first, so a holds the TIME-WAIT.
  const e1 = new Endpoint();
  e1.attach(link.b.layer.connect({ family: 4, address: link.a.address, port: 7000 }, { localPort: 40000 }, e1.events));
  assert.ok(link.runUntil(() => got.length === 1 && e1.connected, 1000));
  got[0]!.conn!.shutdown();
  link.run(20);
  e1.conn!.shutdown();
  link.run(20);
  assert.equal(got[0]!.conn!.state, 'TIME-WAIT');
  assert.equal(e1.conn!.state, 'CLOSED');
  link.run(100);
  const e2 = new Endpoint();
  e2.attach(link.b.layer.connect({ family: 4, address: link.a.address, port: 7000 }, { localPort: 40000 }, e2.events));
  assert.ok(link.runUntil(() => got.length === 2 && e2.connected, 1000));
  assert.equal(link.a.layer.counters.timeWaitReopened, 1);
  assert.equal(got[0]!.conn!.state, 'CLOSED');
  e2.write(pattern(100), true);
  assert.ok(link.runUntil(() => got[1]!.received === 100, 1000));
});

test('states: passive close goes through CLOSE-WAIT and LAST-ACK', () => {
  const { link, client, server } = connectedPair();
  client.conn!.shutdown();
  link.run(20);
  assert.equal(server.conn!.state, 'CLOSE-WAIT');
  assert.equal(server.conn!.remoteClosed, true);
  assert.ok(server.readableEvents >= 1);
  // The half-closed server can still send.
  server.write(pattern(3000), true);
  assert.equal(server.conn!.state, 'LAST-ACK');
  assert.ok(link.runUntil(() => server.closed, 1000));
  assert.equal(server.conn!.state, 'CLOSED');
  assert.equal(client.received, 3000);
  assert.equal(client.conn!.state, 'TIME-WAIT');
});

test('states: abort() sends RST; the peer sees ECONNRESET; both release everything', () => {
  const { link, client, server } = connectedPair();
  client.conn!.abort();
  assert.equal(client.closed, true);
  assert.equal(client.error, null);
  assert.equal(client.conn!.state, 'CLOSED');
  link.run(20);
  assert.equal(server.error?.code, 'ECONNRESET');
  assert.equal(link.a.layer.counters.outRsts, 1);
  assert.equal(link.a.layer.counters.estabResets, 1);
  assert.equal(link.b.layer.counters.estabResets, 1);
  assert.equal(link.a.liveTimers + link.b.liveTimers, 0);
  assert.throws(() => client.conn!.send(pattern(1), 0, 1), { code: 'EPIPE' });
});

test('states: close() with unread data resets instead of a FIN (BSD)', () => {
  const { link, client, server } = connectedPair();
  server.autoRead = false;
  client.write(pattern(500), false);
  link.run(50);
  assert.equal(server.conn!.readableLength, 500);
  server.conn!.close();
  assert.equal(server.conn!.state, 'CLOSED');
  link.run(20);
  assert.equal(client.error?.code, 'ECONNRESET');
});

test('states: data arriving after close() is answered with RST', () => {
  const { link, client, server } = connectedPair();
  server.conn!.close();
  link.run(20);
  assert.equal(server.conn!.state, 'FIN-WAIT-2');
  client.conn!.send(pattern(100), 0, 100);
  link.run(50);
  assert.equal(link.b.layer.counters.dataAfterClose, 1);
  assert.equal(server.conn!.state, 'CLOSED');
  assert.equal(client.error?.code, 'ECONNRESET');
});

test('states: a closed connection does not wait in FIN-WAIT-2 forever', () => {
  const { link, client, server } = connectedPair({ config: { finWait2TimeoutMs: 5000 } });
  client.conn!.close();
  link.run(20);
  assert.equal(client.conn!.state, 'FIN-WAIT-2');
  link.run(5000);
  assert.equal(client.conn!.state, 'CLOSED');
  assert.equal(server.conn!.state, 'CLOSE-WAIT');
  // shutdown() alone (the application still reads) has no such limit, until close() comes.
  const p = connectedPair({ config: { finWait2TimeoutMs: 5000 } });
  p.client.conn!.shutdown();
  p.link.run(60_000);
  assert.equal(p.client.conn!.state, 'FIN-WAIT-2');
  p.client.conn!.close();
  p.link.run(5000);
  assert.equal(p.client.conn!.state, 'CLOSED');
  assert.equal(p.link.a.liveTimers, 0);
});

test('states: shutdown() during the handshake sends the FIN right after it', () => {
  const link = new TcpLink();
  const server = new Endpoint();
  link.b.layer.listen({ family: 4, address: new Uint8Array(4), port: SERVER_PORT }, {}, { onConnection: (c) => server.attach(c) });
  const client = new Endpoint();
  const conn = link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, client.events);
  client.attach(conn);
  conn.send(pattern(1000), 0, 1000);
  conn.shutdown();
  assert.equal(conn.state, 'SYN-SENT');
  assert.ok(link.runUntil(() => server.conn?.remoteClosed === true, 1000));
  link.run(50);
  assert.equal(conn.state, 'FIN-WAIT-2');
  assert.deepEqual(server.data(), pattern(1000));
});

test('states: SYNs are retransmitted at 1, 2, 4, 8 … s and connect times out with ETIMEDOUT', () => {
  const link = new TcpLink({ config: { synRetries: 4 } });
  link.filter = () => 'drop';
  const e = new Endpoint();
  const start = link.scheduler.now();
  e.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, e.events));
  assert.ok(link.runUntil(() => e.closed, 120_000, 10));
  const times = link.trace.map((r) => r.time - start);
  assert.deepEqual(times, [0, 1000, 3000, 7000, 15000]);
  assert.ok(e.closed && e.conn!.state === 'CLOSED');
  assert.equal(link.scheduler.now() - start >= 31_000, true);
  assert.equal(e.error?.code, 'ETIMEDOUT');
  assert.equal(link.a.layer.counters.synRetransmits, 4);
  assert.equal(link.a.layer.counters.attemptFails, 1);
});

test('states: a half-open connection gives up after synAckRetries and the listener forgets it', () => {
  const link = new TcpLink({ config: { synAckRetries: 2 } });
  const l = link.b.layer.listen({ family: 4, address: new Uint8Array(4), port: SERVER_PORT }, {}, { onConnection: () => assert.fail('no handshake') });
  // The SYN-ACKs are lost and the client sends its SYN only once.
  let syns = 0;
  link.filter = (from) => (from === 'b' || ++syns > 1 ? 'drop' : 'pass');
  link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, {});
  link.run(10);
  assert.equal(l.halfOpenCount, 1);
  link.run(10_000);
  assert.equal(l.halfOpenCount, 0);
  assert.equal(link.b.layer.halfOpenCount, 0);
  assert.equal(link.b.layer.counters.halfOpenTimeouts, 1);
});
