/**
 * Offloads and route changes: LSO (one buffer of up to lsoMaxPayload bytes, `mss` passed to transmit,
 * lsoMinSegments respected, segmented by the link's software LSO), RSC input (coalesced segments
 * counted and ACKed at once), and the host's route generation (MTU and LSO changes re-read).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from '../../support/tcp-inject.js';
import { connectedPair, pattern } from '../../support/tcp-link.js';

test('lso: bulk data leaves in LSO buffers cut by the link into MSS-sized segments, byte-exact', () => {
  const { link, client, server } = connectedPair({ params: { delayMs: 1 } });
  link.a.setRoute({ lsoMaxPayload: 65536, lsoMinSegments: 2 });
  const data = pattern(2_000_000, 21);
  const mark = link.trace.length;
  client.write(data, true);
  assert.ok(link.runUntil(() => server.conn!.remoteClosed, 30_000));
  assert.deepEqual(server.data(), data);
  const c = link.a.layer.counters;
  assert.ok(c.lsoBuffers > 20, `lsoBuffers ${String(c.lsoBuffers)}`);
  assert.equal(link.lsoBuffers, c.lsoBuffers);
  const sizes = link.trace.slice(mark).filter((r) => r.from === 'a').map((r) => decode(r.bytes).payloadLength);
  assert.ok(Math.max(...sizes) === 1448);
  // Counters count wire segments, not buffers: everything a sent is outSegs + retransSegs.
  assert.equal(link.trace.filter((r) => r.from === 'a').length, c.outSegs + c.retransSegs);
  assert.equal(link.trace.filter((r) => r.from === 'b').length, link.b.layer.counters.outSegs + link.b.layer.counters.retransSegs);
});

test('lso: fewer than lsoMinSegments segments of data go as normal segments', () => {
  const { link, client, server } = connectedPair({ clientOptions: { noDelay: true } });
  link.a.setRoute({ lsoMaxPayload: 65536, lsoMinSegments: 4 });
  client.write(pattern(3 * 1448));
  assert.ok(link.runUntil(() => server.received === 3 * 1448, 1000));
  assert.equal(link.a.layer.counters.lsoBuffers, 0);
  client.write(pattern(8 * 1448, 2));
  assert.ok(link.runUntil(() => server.received === 11 * 1448, 1000));
  assert.equal(link.a.layer.counters.lsoBuffers, 1);
});

test('route: switching LSO off and lowering the MTU take effect on the next segments', () => {
  const { link, client, server } = connectedPair({ params: { delayMs: 1 } });
  link.a.setRoute({ lsoMaxPayload: 65536 });
  client.write(pattern(500_000, 3));
  link.run(3);
  assert.ok(link.a.layer.counters.lsoBuffers > 0);
  const lso = link.a.layer.counters.lsoBuffers;
  // The adapter's offload goes away and the path shrinks (generation bumped by the host).
  link.a.setRoute({ lsoMaxPayload: 0, mtu: 1280 });
  link.params.ab.mtu = 1280;
  const mark = link.trace.length;
  assert.ok(link.runUntil(() => server.received === 500_000, 30_000));
  assert.deepEqual(server.data(), pattern(500_000, 3));
  assert.equal(link.a.layer.counters.lsoBuffers, lso);
  const sizes = link.trace.slice(mark).filter((r) => r.from === 'a' && r.fate !== 'too-big').map((r) => decode(r.bytes).payloadLength);
  assert.equal(Math.max(...sizes), 1280 - 20 - 20 - 12);
  assert.equal(client.conn!.info().mss, 1228);
});

test('rsc: coalesced segments are taken whole, counted, and ACKed at once', () => {
  // Unpaced, so the sender's slow start produces the line-rate bursts the receiver coalesces.
  const { link, client, server } = connectedPair({ ab: { rsc: true, delayMs: 2 }, config: { pacing: false }, clientOptions: { noDelay: true } });
  const data = pattern(400_000, 4);
  client.write(data, true);
  assert.ok(link.runUntil(() => server.conn!.remoteClosed, 10_000));
  assert.deepEqual(server.data(), data);
  const c = link.b.layer.counters;
  // Slow start sends the 400 KB in a few line-rate bursts, each merged into one buffer.
  assert.ok(c.coalescedBuffers >= 3, `coalescedBuffers ${String(c.coalescedBuffers)}`);
  assert.ok(c.coalescedSegments > 0.9 * 276, `coalescedSegments ${String(c.coalescedSegments)}`);
  assert.ok(c.inSegs >= 276);
  // Every coalesced buffer was at least two segments: none waited for the delayed-ACK timer.
  assert.equal(c.delayedAcks, 0);
});

test('offload-style IPv6: LSO and RSC together over IPv6 with a 9000-byte MTU', () => {
  const { link, client, server } = connectedPair({ family: 6, params: { mtu: 9000, rsc: true, delayMs: 1 } });
  link.a.setRoute({ mtu: 9000, lsoMaxPayload: 62000 });
  link.b.setRoute({ mtu: 9000 });
  assert.equal(link.a.routeInfo.ipHeaderLength, 40);
  const data = pattern(1_500_000, 5);
  client.write(data, true);
  assert.ok(link.runUntil(() => server.conn!.remoteClosed, 30_000));
  assert.deepEqual(server.data(), data);
  // The peer's MSS (it advertised 1500 − 40 − 20 at SYN time) still limits our segments.
  assert.equal(client.conn!.info().mss, 1440 - 12);
});
