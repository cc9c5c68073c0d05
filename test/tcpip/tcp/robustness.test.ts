/**
 * The engine against a misbehaving environment: the host out of buffers or without a route for a
 * while, a host that calls back into the engine from transmit, event handlers that throw, the
 * TIME-WAIT cap, a FIN that arrives before the data it follows, and a send window restart after idle.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialWindow } from '../../../src/drivers/protocol/tcpip/tcp/congestion.js';
import { F, buildSegment, tcb } from '../../support/tcp-inject.js';
import { Endpoint, SERVER_PORT, TcpLink, connectedPair, pattern, reverseFlow } from '../../support/tcp-link.js';

test('robustness: allocation failures and a missing route delay data, the timers retry, nothing is lost', () => {
  const { link, client, server } = connectedPair();
  link.a.failAllocations = 5;
  client.write(pattern(50_000, 1), false);
  link.run(1);
  link.a.noRoute = true;
  link.run(500);
  link.a.noRoute = false;
  assert.ok(link.runUntil(() => server.received === 50_000, 30_000));
  assert.deepEqual(server.data(), pattern(50_000, 1));
  assert.equal(link.a.layer.counters.noBuffers, 5);
  assert.ok(link.a.layer.counters.noRoute > 0);
  // Same for the very first data of an idle connection (nothing outstanding to time out).
  link.a.failAllocations = 3;
  client.write(pattern(10, 2), false);
  assert.ok(link.runUntil(() => server.received === 50_010, 30_000));
  assert.equal(link.a.outstandingBuffers, 0);
});

test('robustness: input called from inside transmit is refused and counted, the engine stays sound', () => {
  const { link, client, server } = connectedPair();
  const t = tcb(client.conn!);
  const host = link.a;
  const transmit = host.transmit.bind(host);
  let calls = 0;
  host.transmit = (flow, buffer, length, hl, mss) => {
    transmit(flow, buffer, length, hl, mss);
    if (calls++ === 0) {
      const seg = buildSegment(reverseFlow(flow), { seq: t.rcvNxt, ack: t.sndNxt, flags: F.Ack });
      host.layer.input(flow, seg, 0, seg.length, 1);
    }
  };
  client.write(pattern(5000), false);
  assert.equal(host.layer.counters.reentrantInput, 1);
  assert.ok(link.runUntil(() => server.received === 5000, 5000));
  assert.equal(host.layer.internalErrors, 0);
});

test('robustness: a throwing event handler is reported and does not break the connection', () => {
  const errors: [unknown, string][] = [];
  const { link, client, server } = connectedPair({ config: { onCallbackError: (e, where) => void errors.push([e, where]) } });
  let throws = 3;
  const read = server.events.onReadable!;
  server.conn!.events = {
    ...server.events,
    onReadable: (c) => {
      read(c);
      if (throws-- > 0) throw new Error('app bug');
    },
  };
  client.write(pattern(30_000), true);
  assert.ok(link.runUntil(() => server.conn!.remoteClosed, 5000));
  assert.deepEqual(server.data(), pattern(30_000));
  assert.equal(errors.length, 3);
  assert.equal(errors[0]![1], 'onReadable');
  assert.equal(link.b.layer.counters.callbackErrors, 3);
});

test('robustness: the TIME-WAIT cap closes connections at once beyond maxTimeWait', () => {
  const link = new TcpLink({ config: { maxTimeWait: 2 } });
  link.b.layer.listen({ family: 4, address: new Uint8Array(4), port: SERVER_PORT }, {}, { onConnection: (c) => void new Endpoint().attach(c) });
  const clients: Endpoint[] = [];
  for (let i = 0; i < 4; i++) {
    const e = new Endpoint();
    e.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, e.events));
    clients.push(e);
  }
  link.run(50);
  for (const e of clients) e.conn!.shutdown();
  link.run(50);
  for (const c of link.b.layer.connections()) c.shutdown();
  link.run(50);
  assert.equal(link.a.layer.timeWaitCount, 2);
  assert.equal(link.a.layer.counters.timeWaitOverflow, 2);
  assert.equal(clients.filter((e) => e.conn!.state === 'TIME-WAIT').length, 2);
  assert.equal(clients.filter((e) => e.closed && e.error === null).length, 4);
});

test('robustness: a FIN ahead of missing data waits for it', () => {
  const { link, client } = connectedPair();
  const t = tcb(client.conn!);
  const conn = client.conn!;
  const peer = reverseFlow(conn.flow);
  const send = (seq: number, flags: number, payload: Uint8Array): void => {
    const seg = buildSegment(peer, { seq, ack: t.sndNxt, flags, payload });
    link.a.layer.input(conn.flow, seg, 0, seg.length, 1);
  };
  const base = t.rcvNxt;
  send(base + 100, F.Ack | F.Fin, pattern(50, 2));
  assert.equal(conn.remoteClosed, false);
  assert.equal(conn.state, 'ESTABLISHED');
  send(base, F.Ack, pattern(100, 1));
  assert.equal(conn.remoteClosed, true);
  assert.equal(conn.state, 'CLOSE-WAIT');
  assert.equal(client.received, 150);
  assert.equal(t.rcvNxt, (base + 151) | 0);
});

test('congestion: after an idle period longer than the RTO the window restarts from the initial window', () => {
  // Unpaced: the restart window then leaves at once, which shows its size.
  const { link, client, server } = connectedPair({ config: { pacing: false }, clientOptions: { noDelay: true } });
  client.write(pattern(2_000_000, 3));
  assert.ok(link.runUntil(() => server.received === 2_000_000, 30_000));
  const t = tcb(client.conn!);
  const iw = initialWindow(t.smss, 10);
  assert.ok(t.cc.cwnd > 4 * iw);
  link.run(5000);
  client.write(pattern(1_000_000, 4));
  assert.equal(t.cc.cwnd, iw);
  // Only the restart window went out at once.
  assert.equal(Math.ceil(((t.sndNxt - t.sndUna) | 0) / t.smss), 10);
});
