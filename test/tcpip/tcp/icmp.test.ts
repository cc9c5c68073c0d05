/**
 * ICMP errors for connections: packet-too-big lowers the MSS and resends in smaller segments (no
 * congestion response), stale or forged quotes are ignored (RFC 5927), unreachables abort a connect
 * in SYN-SENT with the matching error, and soft errors replace ETIMEDOUT when a connection times out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, tcb } from '../../support/tcp-inject.js';
import { Endpoint, SERVER_PORT, TcpLink, connectedPair, pattern } from '../../support/tcp-link.js';

test('icmp: packet-too-big from the path lowers the MSS and the data gets through', () => {
  const { link, client, server } = connectedPair({ ab: { mtu: 1300, icmpTooBig: true } });
  const data = pattern(300_000, 8);
  client.write(data, true);
  assert.ok(link.runUntil(() => server.conn!.remoteClosed, 30_000));
  assert.deepEqual(server.data(), data);
  const c = link.a.layer.counters;
  assert.equal(c.pmtuUpdates, 1);
  assert.equal(c.timeouts, 0);
  assert.equal(client.conn!.info().mss, 1300 - 40 - 12);
  const tooBig = link.trace.filter((r) => r.fate === 'too-big').length;
  assert.ok(tooBig > 0 && tooBig <= 20);
  // A larger value later is no news; a smaller one applies; below the IPv4 floor it is clamped to 552.
  const flow = client.conn!.flow;
  const t = tcb(client.conn!);
  link.a.layer.icmpError(flow, 'packet-too-big', 1400);
  assert.equal(c.pmtuUpdates, 1);
  link.a.layer.icmpError(flow, 'packet-too-big', 100);
  assert.equal(t.pmtu, 552);
  assert.equal(client.conn!.info().mss, 552 - 40 - 12);
});

test('icmp: an error quoting a sequence number outside the flight is ignored (RFC 5927)', () => {
  const { link, client } = connectedPair();
  const t = tcb(client.conn!);
  link.filter = (from) => (from === 'a' ? 'drop' : 'pass');
  client.write(pattern(2000));
  const flow = client.conn!.flow;
  link.a.layer.icmpError(flow, 'packet-too-big', 1000, (t.sndUna - 10) >>> 0);
  link.a.layer.icmpError(flow, 'packet-too-big', 1000, t.sndMax);
  assert.equal(link.a.layer.counters.icmpIgnored, 2);
  assert.equal(t.pmtu, 0);
  link.a.layer.icmpError(flow, 'packet-too-big', 1000, t.sndUna);
  assert.equal(t.pmtu, 1000);
  // No connection at all: counted and ignored.
  link.a.layer.icmpError({ ...flow, remotePort: 1 }, 'port-unreachable', 0);
  assert.equal(link.a.layer.counters.icmpIgnored, 3);
});

for (const [error, code] of [
  ['port-unreachable', 'ECONNREFUSED'],
  ['protocol-unreachable', 'ECONNREFUSED'],
  ['host-unreachable', 'EHOSTUNREACH'],
  ['admin-prohibited', 'EHOSTUNREACH'],
  ['net-unreachable', 'ENETUNREACH'],
] as const) {
  test(`icmp: ${error} during SYN-SENT aborts the connect with ${code}`, () => {
    const link = new TcpLink();
    link.filter = () => 'drop';
    const e = new Endpoint();
    const conn = link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, e.events);
    e.attach(conn);
    link.a.layer.icmpError(conn.flow, error, 0, tcb(conn).iss);
    assert.equal(e.error?.code, code);
    assert.equal(conn.state, 'CLOSED');
    assert.equal(link.a.layer.counters.icmpHardErrors, 1);
    assert.equal(link.a.liveTimers, 0);
  });
}

test('icmp: on an established connection errors are soft, and name the cause of a later timeout', () => {
  const { link, client } = connectedPair({ config: { maxRetransmits: 3 } });
  const flow = client.conn!.flow;
  link.a.layer.icmpError(flow, 'host-unreachable', 0);
  link.a.layer.icmpError(flow, 'time-exceeded', 0);
  assert.equal(client.conn!.state, 'ESTABLISHED');
  assert.equal(link.a.layer.counters.icmpSoftErrors, 2);
  assert.equal(client.conn!.info().softError, 'EHOSTUNREACH');
  link.filter = () => 'drop';
  client.write(pattern(100));
  assert.ok(link.runUntil(() => client.closed, 60_000, 10));
  assert.equal(client.error?.code, 'EHOSTUNREACH');
  // A soft error during SYN-SENT is remembered the same way.
  const l2 = new TcpLink({ config: { synRetries: 1 } });
  l2.filter = () => 'drop';
  const e = new Endpoint();
  const conn = l2.a.layer.connect({ family: 4, address: l2.b.address, port: SERVER_PORT }, {}, e.events);
  e.attach(conn);
  l2.a.layer.icmpError(conn.flow, 'time-exceeded', 0);
  assert.equal(conn.state, 'SYN-SENT');
  assert.ok(l2.runUntil(() => e.closed, 10_000));
  assert.equal(e.error?.code, 'EHOSTUNREACH');
  void decode;
});
