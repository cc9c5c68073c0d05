/**
 * SYN cookies (RFC 4987 §3.6): beyond the half-open bounds the listener answers statelessly, memory
 * stays bounded, and a real client still gets through — with window scaling and SACK carried in the
 * timestamp echo, without them when the client sends no timestamps; forged and stale cookies are
 * refused with a RST.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COOKIE_MSS, COOKIE_PERIOD_MS, cookieMssIndex } from '../../../src/drivers/protocol/tcpip/tcp/syncookie.js';
import { F, buildSegment, decode, has } from '../../support/tcp-inject.js';
import { Endpoint, Rng, SERVER_PORT, TcpLink, pattern } from '../../support/tcp-link.js';
import type { TcpConnection } from '../../../src/drivers/protocol/tcpip/tcp/index.js';
import type { TcpConfig } from '../../../src/drivers/protocol/tcpip/tcp/api.js';

function flood(link: TcpLink, n: number, seed = 3): void {
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const src = new Uint8Array([10, rng.int(256), rng.int(256), 1 + rng.int(254)]);
    const sport = 1024 + rng.int(60000);
    const syn = buildSegment({ family: 4, localAddress: src, localPort: sport, remoteAddress: link.b.address, remotePort: SERVER_PORT }, { seq: rng.u32(), flags: F.Syn, options: { mss: 1460 } });
    link.b.layer.input({ family: 4, localAddress: link.b.address, localPort: SERVER_PORT, remoteAddress: src, remotePort: sport }, syn, 0, syn.length, 1);
  }
}

function setup(config: Partial<TcpConfig> = {}) {
  const link = new TcpLink({ config: { maxHalfOpen: 32, ...config } });
  const accepted: Endpoint[] = [];
  link.b.layer.listen({ family: 4, address: new Uint8Array(4), port: SERVER_PORT }, { backlog: 1000 }, {
    onConnection: (c: TcpConnection) => {
      const e = new Endpoint();
      e.attach(c);
      accepted.push(e);
    },
  });
  return { link, accepted };
}

test('syn cookies: a flood fills only the half-open cap; a real client connects through a cookie', () => {
  const { link, accepted } = setup();
  link.filter = (from) => (from === 'b' ? 'drop' : 'pass');
  flood(link, 5000);
  const c = link.b.layer.counters;
  assert.equal(link.b.layer.halfOpenCount, 32);
  assert.equal(link.b.layer.connectionCount, 32);
  assert.equal(c.synCookiesSent, 5000 - 32);
  assert.equal(c.synFloodDropped, 0);
  link.filter = null;
  const client = new Endpoint();
  client.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, client.events));
  assert.ok(link.runUntil(() => client.connected && accepted.length === 1, 1000));
  assert.equal(c.synCookiesAccepted, 1);
  const server = accepted[0]!;
  // Options survived in the timestamp echo.
  assert.deepEqual(server.conn!.info().wscale, { send: 10, receive: 10 });
  assert.equal(server.conn!.info().sackEnabled, true);
  assert.equal(server.conn!.info().mss, 1448);
  const data = pattern(500_000, 9);
  client.write(data, true);
  server.write(pattern(100_000, 10), true);
  assert.ok(link.runUntil(() => client.closed && server.closed, 30_000));
  assert.deepEqual(server.data(), data);
  assert.deepEqual(client.data(), pattern(100_000, 10));
});

test('syn cookies: without timestamps the connection works without window scaling or SACK', () => {
  const { link, accepted } = setup({ maxHalfOpen: 0 });
  // The client's SYN, stripped of timestamps on the way (as by a middlebox).
  link.filter = (from, bytes, flow) => {
    const r = decode(bytes);
    if (from !== 'a' || !has(r, F.Syn)) return 'pass';
    return buildSegment(flow, { seq: r.seqNumber, flags: F.Syn, window: r.windowSize, options: { mss: 1400, windowScale: 7, sackPermitted: true } });
  };
  const client = new Endpoint();
  client.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, client.events));
  assert.ok(link.runUntil(() => accepted.length === 1 && client.connected, 1000));
  const info = accepted[0]!.conn!.info();
  assert.equal(info.wscale, null);
  assert.equal(info.sackEnabled, false);
  assert.equal(info.tsEnabled, false);
  assert.equal(info.mss, 1400);
  const data = pattern(200_000, 2);
  client.write(data, true);
  assert.ok(link.runUntil(() => accepted[0]!.conn!.remoteClosed, 30_000));
  assert.deepEqual(accepted[0]!.data(), data);
});

test('syn cookies: forged and stale cookies are refused with a RST', () => {
  const { link } = setup({ maxHalfOpen: 0 });
  const c = link.b.layer.counters;
  const peer = { family: 4 as const, localAddress: link.a.address, localPort: 40000, remoteAddress: link.b.address, remotePort: SERVER_PORT };
  const toB = { family: 4 as const, localAddress: link.b.address, localPort: SERVER_PORT, remoteAddress: link.a.address, remotePort: 40000 };
  const inject = (spec: Parameters<typeof buildSegment>[1]): void => {
    const b = buildSegment(peer, spec);
    link.b.layer.input(toB, b, 0, b.length, 1);
  };
  link.filter = (from) => (from === 'b' ? 'drop' : 'pass');
  // Before any cookie was sent, an ACK to the listener is not even checked.
  inject({ seq: 1001, ack: 12345, flags: F.Ack });
  assert.equal(c.synCookiesRejected, 0);
  assert.equal(c.listenAckRejected, 1);
  inject({ seq: 1000, flags: F.Syn, options: { mss: 1460 } });
  assert.equal(c.synCookiesSent, 1);
  const synAck = decode(link.trace.at(-1)!.bytes);
  assert.ok(has(synAck, F.Syn) && has(synAck, F.Ack));
  // A forged cookie: refused.
  inject({ seq: 1001, ack: (synAck.seqNumber + 2) >>> 0, flags: F.Ack });
  assert.equal(c.synCookiesRejected, 1);
  assert.equal(link.b.layer.connectionCount, 0);
  assert.ok(has(decode(link.trace.at(-1)!.bytes), F.Rst));
  // The right one, too late (two periods on): refused as well.
  link.run(2 * COOKIE_PERIOD_MS + 1);
  inject({ seq: 1000, flags: F.Syn, options: { mss: 1460 } });
  const fresh = decode(link.trace.at(-1)!.bytes);
  link.run(2 * COOKIE_PERIOD_MS - 1);
  inject({ seq: 1001, ack: (fresh.seqNumber + 1) >>> 0, flags: F.Ack });
  assert.equal(c.synCookiesRejected, 2);
  // In time, it is accepted.
  inject({ seq: 5000, flags: F.Syn, options: { mss: 1460 } });
  const good = decode(link.trace.at(-1)!.bytes);
  link.run(COOKIE_PERIOD_MS);
  inject({ seq: 5001, ack: (good.seqNumber + 1) >>> 0, flags: F.Ack });
  assert.equal(c.synCookiesAccepted, 1);
  assert.equal(link.b.layer.connectionCount, 1);
});

test('syn cookies: the MSS is rounded down to the table', () => {
  assert.equal(COOKIE_MSS[cookieMssIndex(1460)], 1460);
  assert.equal(COOKIE_MSS[cookieMssIndex(1459)], 1440);
  assert.equal(COOKIE_MSS[cookieMssIndex(9000)], 8960);
  assert.equal(COOKIE_MSS[cookieMssIndex(1000)], 536);
  assert.equal(COOKIE_MSS[cookieMssIndex(100)], 216);
});
