/**
 * Segment and ACK counts: Nagle's algorithm on and off (RFC 896, Minshall's variant), delayed ACKs
 * (RFC 1122 §4.2.3.2 / RFC 5681 §4.2: at least every second full-sized segment, at most delayedAckMs,
 * at once for out-of-order data), and the receiver's window advertisements (window scaling, SWS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, decode, has, injectTo, tcb } from '../../support/tcp-inject.js';
import { type TcpLink, connectedPair, pattern } from '../../support/tcp-link.js';

function dataSegments(link: TcpLink, from: 'a' | 'b', since: number): number[] {
  return link.trace.slice(since).filter((r) => r.from === from).map((r) => decode(r.bytes).payloadLength).filter((n) => n > 0);
}

function pureAcks(link: TcpLink, from: 'a' | 'b', since: number): { time: number; ack: number }[] {
  return link.trace
    .slice(since)
    .filter((r) => r.from === from)
    .map((r) => ({ time: r.time, s: decode(r.bytes) }))
    .filter(({ s }) => s.payloadLength === 0 && has(s, F.Ack) && !has(s, F.Syn) && !has(s, F.Fin))
    .map(({ time, s }) => ({ time, ack: s.ackNumber }));
}

test('nagle: 100 one-byte writes become 2 segments with Nagle, 100 without', () => {
  for (const noDelay of [false, true]) {
    const { link, client, server } = connectedPair({ clientOptions: { noDelay } });
    const mark = link.trace.length;
    const one = new Uint8Array([42]);
    for (let i = 0; i < 100; i++) assert.equal(client.conn!.send(one, 0, 1), 1);
    assert.ok(link.runUntil(() => server.received === 100, 2000));
    const segs = dataSegments(link, 'a', mark);
    if (noDelay) assert.equal(segs.length, 100);
    else assert.deepEqual(segs, [1, 99]);
  }
});

test('nagle: the held-back segment waits for the ACK, which the peer delays by delayedAckMs', () => {
  const { link, client, server } = connectedPair({ params: { delayMs: 1 }, config: { delayedAckMs: 40 } });
  const mark = link.trace.length;
  const start = link.scheduler.now();
  client.conn!.send(pattern(10), 0, 10);
  client.conn!.send(pattern(10), 0, 10);
  assert.ok(link.runUntil(() => server.received === 20, 1000));
  const times = link.trace.slice(mark).filter((r) => r.from === 'a').map((r) => r.time - start);
  assert.deepEqual(times, [0, 42]);
  // The second segment is still unacknowledged: Nagle holds new small writes, setNoDelay(true)
  // flushes them as one segment.
  client.conn!.send(pattern(10), 0, 10);
  client.conn!.send(pattern(10), 0, 10);
  assert.deepEqual(dataSegments(link, 'a', mark), [10, 10]);
  client.conn!.setNoDelay(true);
  assert.deepEqual(dataSegments(link, 'a', mark), [10, 10, 20]);
});

test('delayed ack: one ACK per two full-sized segments', () => {
  const { link, client, server } = connectedPair({ clientOptions: { noDelay: true } });
  const mark = link.trace.length;
  client.write(pattern(10 * 1448));
  assert.ok(link.runUntil(() => server.received === 10 * 1448, 1000));
  link.run(100);
  const acks = pureAcks(link, 'b', mark);
  assert.equal(acks.length, 5);
  assert.equal(link.b.layer.counters.delayedAcks, 0);
});

test('delayed ack: a lone small segment is ACKed after delayedAckMs; switched off, at once', () => {
  for (const [delayedAck, expected] of [
    [true, 100],
    [false, 0],
  ] as const) {
    const { link, client, server } = connectedPair({ params: { delayMs: 0 }, config: { delayedAckMs: 100 }, serverOptions: { delayedAck } });
    const mark = link.trace.length;
    const start = link.scheduler.now();
    client.conn!.send(pattern(100), 0, 100);
    assert.ok(link.runUntil(() => pureAcks(link, 'b', mark).length === 1, 1000));
    assert.equal(pureAcks(link, 'b', mark)[0]!.time - start, expected);
    assert.equal(server.received, 100);
    assert.equal(link.b.layer.counters.delayedAcks, delayedAck ? 1 : 0);
  }
});

test('delayed ack: out-of-order data is ACKed at once, with SACK blocks', () => {
  const { link, client } = connectedPair();
  const t = tcb(client.conn!);
  const mark = link.trace.length;
  injectTo(link.a, client.conn!, { seq: t.rcvNxt + 1000, ack: t.sndNxt, flags: F.Ack, payload: pattern(500) });
  const acks = link.trace.slice(mark).filter((r) => r.from === 'a').map((r) => decode(r.bytes));
  assert.equal(acks.length, 1);
  assert.equal(acks[0]!.ackNumber, t.rcvNxt >>> 0);
  assert.deepEqual(acks[0]!.options.sackBlocks, [{ left: (t.rcvNxt + 1000) >>> 0, right: (t.rcvNxt + 1500) >>> 0 }]);
  // The missing piece fills the hole: ACKed at once too, and everything becomes readable.
  injectTo(link.a, client.conn!, { seq: t.rcvNxt, ack: t.sndNxt, flags: F.Ack, payload: pattern(1000, 3) });
  assert.equal(client.received, 1500);
  assert.equal(link.trace.slice(mark).filter((r) => r.from === 'a').length, 2);
});

test('window: the scale comes from the largest receive buffer; a full one advertises 0, reading reopens it', () => {
  // A pinned 1 MiB (the socket option) needs 2^5; the client's autotuned buffer may reach 32 MiB: 2^10.
  const { link, client, server } = connectedPair({ serverOptions: { receiveBufferSize: 1 << 20 }, clientOptions: { noDelay: true } });
  assert.deepEqual(server.conn!.info().wscale, { send: 10, receive: 5 });
  const small = connectedPair({ config: { receiveBufferSize: 65535, receiveBufferMax: 65535, sendBufferSize: 65535 } });
  assert.deepEqual(small.server.conn!.info().wscale, { send: 0, receive: 0 });
  const huge = connectedPair({ config: { receiveBufferSize: 1 << 30, sendBufferSize: 4096 } });
  assert.deepEqual(huge.server.conn!.info().wscale, { send: 14, receive: 14 });
  server.autoRead = false;
  const data = pattern(1_100_000, 4);
  client.write(data);
  link.run(2000);
  // The last bytes of the ring are below one unit of the window scale (32 bytes): the window shows 0.
  assert.ok(server.conn!.readableLength > (1 << 20) - 64, String(server.conn!.readableLength));
  const last = decode(link.sent('b').at(-1)!);
  assert.equal(last.windowSize, 0);
  // SWS: reading a little opens nothing; reading half the ring does.
  const mark = link.trace.length;
  server.drain(1000);
  link.run(10);
  assert.equal(link.trace.slice(mark).filter((r) => r.from === 'b').length, 0);
  server.autoRead = true;
  server.drain();
  assert.ok(link.runUntil(() => server.received === data.length, 5000));
  assert.deepEqual(server.data(), data);
});
