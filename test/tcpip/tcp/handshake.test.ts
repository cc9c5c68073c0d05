/**
 * The basic life of a connection over the simulated link: three-way handshake (options negotiated),
 * data both ways byte-exact, graceful close through FIN-WAIT/TIME-WAIT/LAST-ACK, counters and
 * resources (timers, host buffers) all given back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Endpoint, SERVER_PORT, TcpLink, connectedPair, pattern } from '../../support/tcp-link.js';

test('tcp: handshake negotiates MSS, window scale, SACK and timestamps', () => {
  const { link, client, server } = connectedPair();
  const ci = client.conn!.info();
  const si = server.conn!.info();
  assert.equal(client.conn!.state, 'ESTABLISHED');
  assert.equal(server.conn!.state, 'ESTABLISHED');
  assert.equal(ci.sackEnabled, true);
  assert.equal(ci.tsEnabled, true);
  // The shift fits the largest receive buffer autotuning may reach (32 MiB), not the initial one.
  assert.deepEqual(ci.wscale, { send: 10, receive: 10 });
  // 1500 − 20 − 20 = 1460, minus 12 bytes of timestamps per segment.
  assert.equal(ci.mss, 1448);
  assert.equal(ci.advMss, 1460);
  assert.equal(si.mss, 1448);
  assert.equal(link.a.layer.counters.activeOpens, 1);
  assert.equal(link.b.layer.counters.passiveOpens, 1);
  assert.equal(link.a.layer.counters.currEstab, 1);
  assert.equal(link.b.layer.counters.currEstab, 1);
  // SYN, SYN-ACK, ACK.
  assert.equal(link.trace.length, 3);
});

test('tcp: data both ways arrives byte-exact, then a graceful close ends in TIME-WAIT and CLOSED', () => {
  const { link, client, server } = connectedPair();
  const up = pattern(300_000, 1);
  const down = pattern(200_000, 2);
  client.write(up, true);
  server.write(down, false);
  assert.ok(link.runUntil(() => server.conn!.remoteClosed && client.received === down.length, 60_000));
  assert.deepEqual(server.data(), up);
  assert.deepEqual(client.data(), down);
  link.run(100);
  assert.equal(server.conn!.state, 'CLOSE-WAIT');
  assert.equal(client.conn!.state, 'FIN-WAIT-2');
  server.conn!.shutdown();
  assert.ok(link.runUntil(() => client.closed && server.closed, 10_000));
  assert.equal(client.error, null);
  assert.equal(server.error, null);
  assert.equal(client.conn!.state, 'TIME-WAIT');
  assert.equal(server.conn!.state, 'CLOSED');
  assert.equal(link.a.layer.timeWaitCount, 1);
  link.run(60_000);
  assert.equal(client.conn!.state, 'CLOSED');
  for (const h of [link.a, link.b]) {
    assert.equal(h.layer.connectionCount, 0);
    assert.equal(h.layer.timeWaitCount, 0);
    assert.equal(h.layer.counters.currEstab, 0);
    assert.equal(h.liveTimers, 0);
    assert.equal(h.outstandingBuffers, 0);
    assert.equal(h.layer.internalErrors, 0);
  }
});

test('tcp: connect to a port nobody listens on is refused with RST', () => {
  const link = new TcpLink();
  const e = new Endpoint();
  e.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, e.events));
  assert.ok(link.runUntil(() => e.closed, 5000));
  assert.equal(e.error?.code, 'ECONNREFUSED');
  assert.equal(link.b.layer.counters.noListener, 1);
  assert.equal(link.b.layer.counters.outRsts, 1);
  assert.equal(link.a.layer.counters.attemptFails, 1);
  assert.equal(link.a.liveTimers, 0);
});
