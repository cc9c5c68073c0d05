/**
 * Listeners and the connection table: SYN floods stay bounded (half-open caps per listener and in
 * total, counted drops, entries expire), the backlog bounds SYN-RECEIVED + unaccepted connections,
 * accept/pause/resume, listener close, EADDRINUSE, ephemeral ports (RFC 6056), connection limits,
 * abortAll, and the table's lookups under many connections.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TcpConnection } from '../../../src/drivers/protocol/tcpip/tcp/index.js';
import { F, buildSegment, decode, has } from '../../support/tcp-inject.js';
import { Endpoint, Rng, SERVER_PORT, TcpLink, connectedPair } from '../../support/tcp-link.js';

const ANY4 = new Uint8Array(4);

test('syn flood: half-open entries are capped per listener and in total; without cookies the oldest makes room, or the SYN is dropped and counted', () => {
  const link = new TcpLink({ config: { maxHalfOpen: 48, synAckRetries: 2, synCookies: false } });
  link.filter = () => 'drop'; // the SYN-ACKs go nowhere, as towards spoofed sources
  const l1 = link.b.layer.listen({ family: 4, address: ANY4, port: 80 }, { backlog: 10_000, maxHalfOpen: 32 }, {});
  const l2 = link.b.layer.listen({ family: 4, address: ANY4, port: 81 }, { backlog: 10_000, maxHalfOpen: 32 }, {});
  const l3 = link.b.layer.listen({ family: 4, address: ANY4, port: 82 }, { backlog: 10_000, maxHalfOpen: 0 }, {});
  const rng = new Rng(5);
  const c = link.b.layer.counters;
  for (let i = 0; i < 5000; i++) {
    const src = new Uint8Array([10, rng.int(256), rng.int(256), 1 + rng.int(254)]);
    // First a flood on port 80 alone (its own cap), then on 81 (the total cap), a few on 82 (no budget).
    const flow = { family: 4 as const, localAddress: src, localPort: 1024 + rng.int(60000), remoteAddress: link.b.address, remotePort: i < 1000 ? 80 : i < 4990 ? 81 : 82 };
    const syn = buildSegment(flow, { seq: rng.u32(), flags: F.Syn, options: { mss: 1460 } });
    link.b.layer.input({ family: 4, localAddress: link.b.address, localPort: flow.remotePort, remoteAddress: src, remotePort: flow.localPort }, syn, 0, syn.length, 1);
    assert.ok(link.b.layer.connectionCount <= 48);
  }
  assert.equal(l1.halfOpenCount, 32);
  assert.equal(l2.halfOpenCount, 16);
  assert.equal(l3.halfOpenCount, 0);
  assert.equal(link.b.layer.halfOpenCount, 48);
  assert.equal(c.passiveOpens, 4990);
  assert.equal(c.halfOpenEvicted, 4990 - 48);
  assert.equal(c.synFloodDropped, 10);
  assert.equal(link.b.liveTimers, 48);
  // The entries give up after synAckRetries; the listener takes SYNs again.
  link.run(10_000);
  assert.equal(link.b.layer.connectionCount, 0);
  assert.equal(link.b.layer.halfOpenCount, 0);
  assert.equal(l1.halfOpenCount + l2.halfOpenCount, 0);
  assert.equal(c.halfOpenTimeouts, 48);
  assert.equal(link.b.liveTimers, 0);
  link.filter = null;
  const e = new Endpoint();
  e.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: 80 }, {}, e.events));
  l1.events = { onConnection: () => {} };
  assert.ok(link.runUntil(() => e.connected, 1000));
});

test('backlog: a paused listener queues up to backlog completed connections; handshakes beyond wait in SYN-RECEIVED; accept and resume take them', () => {
  const link = new TcpLink();
  const accepted: TcpConnection[] = [];
  const l = link.b.layer.listen({ family: 4, address: ANY4, port: SERVER_PORT }, { backlog: 4 }, { onConnection: (c) => void accepted.push(c) });
  l.pause();
  const clients = Array.from({ length: 6 }, () => {
    const e = new Endpoint();
    e.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, e.events));
    return e;
  });
  link.run(100);
  // Every SYN found the accept queue empty; the last two ACKs found it full and were dropped (Linux).
  assert.equal(l.acceptQueueLength, 4);
  assert.equal(l.halfOpenCount, 2);
  assert.equal(accepted.length, 0);
  assert.equal(link.b.layer.counters.listenOverflow, 2);
  assert.equal(clients.filter((e) => e.connected).length, 6, 'the clients saw their SYN-ACKs');
  const first = l.accept()!;
  assert.equal(first.state, 'ESTABLISHED');
  assert.equal(l.acceptQueueLength, 3);
  // The SYN-ACK retransmission (1 s) draws the ACKs again; one fits now.
  link.run(1000);
  assert.equal(l.acceptQueueLength, 4);
  assert.equal(l.halfOpenCount, 1);
  l.resume();
  assert.equal(accepted.length, 4);
  assert.equal(l.acceptQueueLength, 0);
  link.run(2000);
  assert.equal(l.halfOpenCount, 0);
  assert.equal(accepted.length, 5);
  assert.ok([first, ...accepted].every((c) => c.state === 'ESTABLISHED'));
});

test('backlog: data that arrived before accept() is there to read', () => {
  const link = new TcpLink();
  const l = link.b.layer.listen({ family: 4, address: ANY4, port: SERVER_PORT }, {}, {});
  const e = new Endpoint();
  e.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, e.events));
  e.write(new Uint8Array([1, 2, 3]), true);
  link.run(100);
  const c = l.accept()!;
  assert.equal(c.readableLength, 3);
  assert.equal(c.remoteClosed, true);
  const buf = new Uint8Array(3);
  assert.equal(c.receive(buf, 0, 3), 3);
  assert.deepEqual([...buf], [1, 2, 3]);
});

test('listener close resets half-open and unaccepted connections, leaves accepted ones alone', () => {
  const { link, client, server } = connectedPair();
  const l = link.b.layer.listeners()[0]!;
  l.pause();
  const queued = new Endpoint();
  queued.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, queued.events));
  link.run(50);
  assert.equal(l.acceptQueueLength, 1);
  l.close();
  assert.equal(l.closed, true);
  link.run(50);
  assert.equal(queued.error?.code, 'ECONNRESET');
  assert.equal(server.conn!.state, 'ESTABLISHED');
  assert.equal(client.conn!.state, 'ESTABLISHED');
  // The port is free again; a new SYN to it gets a RST meanwhile.
  const refused = new Endpoint();
  refused.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, refused.events));
  link.run(50);
  assert.equal(refused.error?.code, 'ECONNREFUSED');
  link.b.layer.listen({ family: 4, address: ANY4, port: SERVER_PORT }, {}, {});
});

test('bind conflicts: EADDRINUSE for overlapping listeners and taken tuples', () => {
  const link = new TcpLink();
  const layer = link.b.layer;
  layer.listen({ family: 4, address: ANY4, port: 80 }, {}, {});
  assert.throws(() => layer.listen({ family: 4, address: ANY4, port: 80 }, {}, {}), { code: 'EADDRINUSE' });
  assert.throws(() => layer.listen({ family: 4, address: link.b.address, port: 80 }, {}, {}), { code: 'EADDRINUSE' });
  // Another family or port is fine; specific addresses side by side too.
  layer.listen({ family: 6, address: new Uint8Array(16), port: 80 }, {}, {});
  layer.listen({ family: 4, address: new Uint8Array([198, 18, 0, 2]), port: 81 }, {}, {});
  layer.listen({ family: 4, address: new Uint8Array([198, 18, 0, 3]), port: 81 }, {}, {});
  assert.throws(() => layer.listen({ family: 4, address: ANY4, port: 81 }, {}, {}), { code: 'EADDRINUSE' });
  const eph = layer.listen({ family: 4, address: ANY4, port: 0 }, {}, {});
  assert.ok(eph.localEndpoint.port >= 49152);
  assert.throws(() => layer.listen({ family: 4, address: new Uint8Array(3), port: 82 }, {}, {}), { code: 'EINVAL' });
  // Connect with an explicit local port: the same 4-tuple twice is refused.
  link.a.layer.listen({ family: 4, address: ANY4, port: 9 }, {}, {});
  link.b.layer.connect({ family: 4, address: link.a.address, port: 9 }, { localPort: 5555 }, {});
  assert.throws(() => link.b.layer.connect({ family: 4, address: link.a.address, port: 9 }, { localPort: 5555 }, {}), { code: 'EADDRINUSE' });
  // No route: ENETUNREACH.
  assert.throws(() => link.a.layer.connect({ family: 6, address: new Uint8Array(16).fill(1), port: 9 }, {}, {}), { code: 'ENETUNREACH' });
});

test('ephemeral ports: random start in the range, unique per destination, EADDRNOTAVAIL when exhausted', () => {
  const link = new TcpLink({ config: { ephemeralPortMin: 50000, ephemeralPortMax: 50049 } });
  link.filter = () => 'drop';
  const ports = new Set<number>();
  for (let i = 0; i < 50; i++) ports.add(link.a.layer.connect({ family: 4, address: link.b.address, port: 80 }, {}, {}).localEndpoint.port);
  assert.equal(ports.size, 50);
  for (const p of ports) assert.ok(p >= 50000 && p <= 50049);
  assert.throws(() => link.a.layer.connect({ family: 4, address: link.b.address, port: 80 }, {}, {}), { code: 'EADDRNOTAVAIL' });
  // Another destination port reuses the same local ports.
  assert.ok(link.a.layer.connect({ family: 4, address: link.b.address, port: 81 }, {}, {}));
  // The first port differs between hosts with different random sources.
  const starts = new Set<number>();
  for (let seed = 1; seed <= 8; seed++) {
    const l2 = new TcpLink({ seed });
    l2.filter = () => 'drop';
    starts.add(l2.a.layer.connect({ family: 4, address: l2.b.address, port: 80 }, {}, {}).localEndpoint.port);
  }
  assert.ok(starts.size >= 6);
});

test('limits: connect beyond maxConnections throws EMFILE; SYNs beyond it are dropped', () => {
  const link = new TcpLink({ config: { maxConnections: 3 } });
  link.filter = () => 'drop';
  for (let i = 0; i < 3; i++) link.a.layer.connect({ family: 4, address: link.b.address, port: 80 + i }, {}, {});
  assert.throws(() => link.a.layer.connect({ family: 4, address: link.b.address, port: 90 }, {}, {}), { code: 'EMFILE' });
});

test('abortAll: every connection ends with the reason, no RST goes out, listeners close', () => {
  const { link, client, server } = connectedPair();
  let listenerClosed: unknown = null;
  const l = link.b.layer.listeners()[0]!;
  l.events = { ...l.events, onClosed: (_l, err) => (listenerClosed = err) };
  const mark = link.trace.length;
  link.b.layer.abortAll('ENETDOWN');
  assert.equal(server.error?.code, 'ENETDOWN');
  assert.equal((listenerClosed as { code: string }).code, 'ENETDOWN');
  assert.equal(link.b.layer.connectionCount, 0);
  assert.equal(link.b.layer.listeners().length, 0);
  assert.equal(link.b.liveTimers, 0);
  assert.equal(link.trace.length, mark);
  assert.equal(client.conn!.state, 'ESTABLISHED');
});

test('table: 2000 connections through one listener, each found by its tuple, chains stay short', () => {
  const link = new TcpLink({ params: { delayMs: 1 }, config: { sendBufferSize: 4096, receiveBufferSize: 4096, maxHalfOpen: 4096 } });
  const accepted: TcpConnection[] = [];
  link.b.layer.listen({ family: 4, address: ANY4, port: SERVER_PORT }, { backlog: 4096, maxHalfOpen: 4096 }, { onConnection: (c) => void accepted.push(c) });
  const clients: Endpoint[] = [];
  for (let i = 0; i < 2000; i++) {
    const e = new Endpoint();
    e.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT }, {}, e.events));
    clients.push(e);
  }
  link.run(50);
  assert.equal(accepted.length, 2000);
  assert.ok(link.b.layer.longestHashChain <= 4, String(link.b.layer.longestHashChain));
  // Each client sends its index; each server connection receives exactly its client's bytes.
  for (const [i, e] of clients.entries()) e.conn!.send(new Uint8Array([i & 0xff, i >> 8]), 0, 2);
  link.run(100);
  const buf = new Uint8Array(2);
  const byPort = new Map(clients.map((e, i) => [e.conn!.localEndpoint.port, i]));
  for (const c of accepted) {
    assert.equal(c.receive(buf, 0, 2), 2);
    const i = byPort.get(c.remoteEndpoint.port)!;
    assert.deepEqual([...buf], [i & 0xff, i >> 8]);
  }
  const synAcks = link.sent('b').map(decode).filter((s) => has(s, F.Syn));
  assert.equal(synAcks.length, 2000);
});
