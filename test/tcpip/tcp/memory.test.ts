/**
 * Buffer memory (buffers.ts, memory.ts): rings hold no memory until data needs it, grow with it and go
 * back when idle; the pool's slabs go back to the system; receive-window autotuning (dynamic
 * right-sizing) and send-buffer autotuning; a socket option pins a size; the stack-wide ceiling
 * (TcpMemoryLow/Pressure/High). All on the simulated link with a fake clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TcpCounters } from '../../../src/drivers/protocol/tcpip/tcp/counters.js';
import { EMPTY_BUFFER, RingMemory, SLAB_BYTES, blockSize } from '../../../src/drivers/protocol/tcpip/tcp/memory.js';
import { ByteRing } from '../../../src/drivers/protocol/tcpip/tcp/ring.js';
import { decode, tcb } from '../../support/tcp-inject.js';
import { Endpoint, SERVER_PORT, type TcpLink, connectedPair, pattern } from '../../support/tcp-link.js';

const limits = { low: 1 << 20, pressure: 2 << 20, high: 3 << 20, poolMaxBytes: 64 << 20, poolIdleMs: 1000 };

test('ring memory: blocks come from slabs, go back, and an idle empty slab is released', () => {
  const c = new TcpCounters();
  let now = 0;
  const m = new RingMemory(c, limits, () => now);
  const a = m.take(4096, false)!;
  const b = m.take(4096, false)!;
  assert.equal(a.length, 4096);
  assert.equal(a.buffer, b.buffer, 'one slab for blocks of one size');
  assert.notEqual(a.byteOffset, b.byteOffset);
  assert.equal(c.ringBytes, 8192);
  assert.equal(c.ringPoolBytes, SLAB_BYTES);
  m.give(a);
  const again = m.take(4096, false)!;
  assert.equal(again.byteOffset, a.byteOffset, 'a freed block is reused');
  m.give(again);
  m.give(b);
  assert.equal(c.ringBytes, 0);
  assert.equal(m.emptyBytes, SLAB_BYTES);
  now = 999;
  m.release(now);
  assert.equal(c.ringPoolBytes, SLAB_BYTES, 'kept until idle for poolIdleMs');
  now = 1000;
  m.release(now);
  assert.equal(c.ringPoolBytes, 0);
  assert.equal(m.emptyBytes, 0);
  // Beyond poolMaxBytes an empty slab goes at once.
  const tight = new RingMemory(c, { ...limits, poolMaxBytes: 0 }, () => now);
  tight.give(tight.take(8192, false)!);
  assert.equal(c.ringPoolBytes, 0);
  // Rings of a slab's size or more are blocks of their own.
  const big = m.take(SLAB_BYTES, true)!;
  assert.equal(big.byteLength, big.buffer.byteLength);
  m.give(big);
  assert.equal(c.ringBytes, 0);
  assert.equal(blockSize(1), 1024);
  assert.equal(blockSize(1025), 2048);
  assert.equal(blockSize(65535), 65536);
});

test('ring memory: pressure beyond `pressure` until below `low`; beyond `high` only forced growth', () => {
  const c = new TcpCounters();
  const m = new RingMemory(c, limits, () => 0);
  const held: Uint8Array[] = [];
  for (let i = 0; i < 2; i++) held.push(m.take(1 << 20, false)!);
  assert.equal(m.underPressure, false);
  held.push(m.take(1 << 19, false)!);
  assert.equal(m.underPressure, true);
  assert.equal(c.memoryPressureEntries, 1);
  held.push(m.take(1 << 19, false)!);
  assert.equal(c.ringBytes, 3 << 20);
  assert.equal(m.take(1024, false), null, 'beyond high');
  assert.equal(c.ringGrowRefused, 1);
  const forced = m.take(1024, true);
  assert.ok(forced !== null, 'forced growth is never refused');
  m.give(forced);
  m.give(held.pop()!);
  m.give(held.pop()!);
  m.give(held.pop()!);
  assert.equal(c.ringBytes, 1 << 20);
  assert.equal(m.underPressure, true, 'not yet below low');
  m.give(held.pop()!);
  assert.equal(m.underPressure, false);
  assert.equal(c.memoryPressure, 0);
});

test('byte ring: moveTo keeps the bytes from the head, wrapped or not (model check)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('write', 'read', 'move'), fc.integer({ min: 0, max: 5000 })), { maxLength: 60 }), (ops) => {
      const ring = new ByteRing(EMPTY_BUFFER);
      let model: number[] = [];
      let next = 0;
      const out = new Uint8Array(1 << 20);
      for (const [op, n] of ops) {
        if (op === 'write') {
          const src = Uint8Array.from({ length: n }, () => next++ & 0xff);
          const k = ring.write(src, 0, Math.min(n, (1 << 20) - ring.length));
          model.push(...src.subarray(0, k));
        } else if (op === 'read') {
          const k = ring.read(out, 0, n);
          assert.deepEqual([...out.subarray(0, k)], model.slice(0, k));
          model = model.slice(k);
        } else {
          const size = blockSize(Math.max(ring.length, n));
          ring.moveTo(new Uint8Array(size), ring.length);
        }
        assert.equal(ring.length, model.length);
      }
      const k = ring.read(out, 0, ring.length);
      assert.deepEqual([...out.subarray(0, k)], model);
    }),
    { numRuns: 200 },
  );
});

/** Ring memory a layer's connections hold now. */
function held(link: TcpLink, side: 'a' | 'b'): number {
  return link.host(side).layer.counters.ringBytes;
}

test('buffers: no memory until data needs it; rings grow with it and go back when idle; slabs go back to the system', () => {
  const { link, client, server } = connectedPair({ config: { bufferIdleMs: 100, bufferPoolIdleMs: 500 } });
  assert.equal(held(link, 'a') + held(link, 'b'), 0, 'an established idle connection holds no ring memory');
  assert.equal(client.conn!.info().ringBytes, 0);
  const data = pattern(400_000, 3);
  client.write(data, false);
  let peak = 0;
  assert.ok(
    link.runUntil(() => {
      peak = Math.max(peak, held(link, 'a') + held(link, 'b'));
      return server.received === data.length;
    }, 60_000),
  );
  assert.deepEqual(server.data(), data);
  assert.ok(peak > 0);
  assert.ok(link.a.layer.counters.ringGrows > 0);
  // Idle for a sweep interval: the empty rings go back to the pool…
  link.run(250);
  assert.equal(held(link, 'a') + held(link, 'b'), 0);
  assert.ok(link.a.layer.counters.ringShrinks > 0);
  assert.ok(link.b.layer.counters.ringPoolBytes > 0);
  // …and the pool's slabs to the system once idle for bufferPoolIdleMs.
  link.run(700);
  assert.equal(link.a.layer.counters.ringPoolBytes + link.b.layer.counters.ringPoolBytes, 0);
  // The connection still works: memory comes back with data.
  server.write(pattern(50_000, 4), true);
  assert.ok(link.runUntil(() => client.received === 50_000 && client.conn!.remoteClosed, 10_000));
  assert.deepEqual(client.data(), pattern(50_000, 4));
  client.conn!.close();
  assert.ok(link.runUntil(() => client.closed && server.closed, 10_000));
  link.run(60_000);
  for (const side of ['a', 'b'] as const) {
    const c = link.host(side).layer.counters;
    assert.equal(c.ringBytes, 0, `${side}: everything given back at close`);
    assert.equal(c.ringPoolBytes, 0, `${side}: and released`);
    assert.equal(link.host(side).layer.connectionCount, 0);
  }
});

test('buffers: closing gives the rings back at once (no idle wait)', () => {
  const { link, client, server } = connectedPair({ config: { bufferIdleMs: 60_000 } });
  server.autoRead = false;
  client.write(pattern(100_000, 5));
  link.run(500);
  assert.ok(held(link, 'b') >= 64 << 10, String(held(link, 'b')));
  // Unread data: close() resets the connection and drops it; the RST ends the client's.
  server.conn!.close();
  assert.equal(held(link, 'b'), 0);
  assert.ok(link.runUntil(() => client.closed, 1000));
  assert.equal(client.error?.code, 'ECONNRESET');
  assert.equal(held(link, 'a'), 0);
});

/** The largest window b advertised (bytes, scaled). */
function largestWindow(link: TcpLink, from: 'a' | 'b', shift: number): number {
  let most = 0;
  for (const bytes of link.sent(from)) {
    const s = decode(bytes);
    if ((s.flags & 0x02) === 0) most = Math.max(most, s.windowSize << shift);
  }
  return most;
}

test('autotuning: the receive window grows to about twice delivery rate × RTT (dynamic right-sizing); a pinned size stays', () => {
  // 40 ms RTT, 10 MB/s bottleneck: a bandwidth-delay product of 400 kB, far beyond the initial 128 KiB.
  const params = { delayMs: 20, rateBytesPerMs: 10_000, queueBytes: 1 << 20 };
  const data = pattern(12_000_000, 6);
  const run = (serverOptions: { receiveBufferSize?: number }): { link: TcpLink; ms: number; rcvBuf: number; window: number } => {
    // Pacing off: the sender is limited only by the receiver's window, which is what this compares.
    const { link, client, server } = connectedPair({ params, serverOptions, trace: true, config: { pacing: false } });
    const start = link.scheduler.now();
    client.write(data, true);
    assert.ok(link.runUntil(() => server.received === data.length, 120_000, 5));
    assert.deepEqual(server.data(), data);
    const info = server.conn!.info();
    return { link, ms: link.scheduler.now() - start, rcvBuf: info.receiveBuffer, window: largestWindow(link, 'b', info.wscale!.receive) };
  };
  const tuned = run({});
  const pinned = run({ receiveBufferSize: 128 << 10 });
  assert.equal(pinned.rcvBuf, 128 << 10);
  assert.ok(pinned.window <= 128 << 10, String(pinned.window));
  assert.ok(tuned.rcvBuf >= 800_000, `autotuned receive buffer ${String(tuned.rcvBuf)}`);
  assert.ok(tuned.rcvBuf <= 32 << 20);
  assert.ok(tuned.window >= 400_000, `largest window ${String(tuned.window)}`);
  assert.ok(tuned.link.b.layer.counters.receiveBufferAutotunes > 0);
  assert.equal(pinned.link.b.layer.counters.receiveBufferAutotunes, 0);
  // Simulated time: the window-limited transfer (128 KiB per 40 ms ≈ 3.3 MB/s) takes far longer.
  assert.ok(tuned.ms * 1.5 < pinned.ms, `tuned ${String(tuned.ms)} ms, pinned ${String(pinned.ms)} ms`);
});

test('autotuning: the window stays within receiveBufferMax', () => {
  const { link, client, server } = connectedPair({ params: { delayMs: 20, rateBytesPerMs: 10_000 }, configB: { receiveBufferMax: 300_000 } });
  assert.equal(server.conn!.info().wscale!.receive, 3, 'the shift fits the max');
  client.write(pattern(6_000_000, 7), true);
  assert.ok(link.runUntil(() => server.received === 6_000_000, 120_000, 5));
  assert.ok(server.conn!.info().receiveBuffer <= 300_000);
  assert.ok(largestWindow(link, 'b', 3) <= 300_000);
});

test('autotuning: the send buffer follows cwnd (about 2 × cwnd) up to sendBufferMax; a pinned size stays', () => {
  const params = { delayMs: 20, rateBytesPerMs: 10_000 };
  const { link, client, server } = connectedPair({ params, configA: { sendBufferMax: 1 << 20 } });
  const data = pattern(8_000_000, 8);
  client.write(data, true);
  let most = 0;
  assert.ok(
    link.runUntil(() => {
      const i = client.conn!.info();
      most = Math.max(most, i.sendBuffer);
      assert.ok(i.sendBuffer <= 1 << 20);
      return server.received === data.length;
    }, 120_000, 5),
  );
  assert.deepEqual(server.data(), data);
  assert.ok(most > 16 << 10, 'grew from the initial 16 KiB');
  assert.equal(most, 1 << 20, 'up to the max');
  assert.ok(link.a.layer.counters.sendBufferAutotunes > 0);
  const p = connectedPair({ params, clientOptions: { sendBufferSize: 32 << 10 } });
  p.client.write(pattern(1_000_000, 9), true);
  assert.ok(p.link.runUntil(() => p.server.received === 1_000_000, 60_000, 5));
  assert.equal(p.client.conn!.info().sendBuffer, 32 << 10);
  assert.equal(p.link.a.layer.counters.sendBufferAutotunes, 0);
});

/**
 * Four 3 MB transfers from a to b over a 10 MB/s, 40 ms path whose readers first sit still (1 s), then
 * read everything every 20 ms. Returns b's peak ring memory and its autotuning count; checks the data.
 */
function fourTransfers(configB: Record<string, number>): { link: TcpLink; peak: number; peakIdle: number } {
  const link0 = connectedPair({ params: { delayMs: 20, rateBytesPerMs: 10_000, queueBytes: 1 << 20 }, configB, trace: false });
  const { link } = link0;
  const servers: Endpoint[] = [link0.server];
  const clients: Endpoint[] = [link0.client];
  link.b.layer.listen({ family: 4, address: new Uint8Array(4), port: SERVER_PORT + 1 }, {}, { onConnection: (conn) => servers.push(new Endpoint().attach(conn)) });
  for (let i = 0; i < 3; i++) {
    const client = new Endpoint();
    client.attach(link.a.layer.connect({ family: 4, address: link.b.address, port: SERVER_PORT + 1 }, {}, client.events));
    clients.push(client);
  }
  assert.ok(link.runUntil(() => servers.length === 4 && clients.every((c) => c.connected), 5000));
  for (const s of servers) s.autoRead = false;
  const data = clients.map((_, i) => pattern(3_000_000, 20 + i));
  for (const [i, c] of clients.entries()) c.write(data[i]!, true);
  link.run(1000);
  const peakIdle = link.b.layer.counters.ringBytes;
  let peak = peakIdle;
  for (let guard = 0; guard < 20_000 && !servers.every((s) => s.conn!.remoteClosed && s.conn!.readableLength === 0); guard++) {
    for (const s of servers) s.drain();
    for (let i = 0; i < 4; i++) {
      link.run(5);
      peak = Math.max(peak, link.b.layer.counters.ringBytes);
    }
  }
  // Every byte arrived, in order, whatever the memory limits did to the windows.
  for (const s of servers) {
    const port = s.conn!.remoteEndpoint.port;
    const i = clients.findIndex((c) => c.conn!.localEndpoint.port === port);
    assert.deepEqual(s.data(), data[i]);
  }
  return { link, peak, peakIdle };
}

test('memory ceiling: promised windows are honoured, then no window opens beyond held memory and autotuning stops; every byte arrives', () => {
  const free = fourTransfers({});
  const tight = fourTransfers({ memoryLow: 64 << 10, memoryPressure: 256 << 10, memoryHigh: 384 << 10 });
  const c = tight.link.b.layer.counters;
  // Readers sitting still: each ring took the window it had promised (the initial 128 KiB), beyond
  // TcpMemoryHigh — accepted data is never dropped — and the stack went under pressure.
  assert.equal(tight.peakIdle, 4 * (128 << 10));
  assert.ok(c.memoryPressureEntries >= 1);
  // Under pressure no window opened beyond the memory held and nothing was autotuned.
  assert.equal(tight.peak, tight.peakIdle, `peak ${String(tight.peak)}`);
  assert.equal(c.receiveBufferAutotunes, 0);
  // Without the ceiling the same readers autotune their windows and take more memory.
  assert.ok(free.link.b.layer.counters.receiveBufferAutotunes > 0);
  assert.ok(free.peak > tight.peak, `peak without a ceiling ${String(free.peak)}, with ${String(tight.peak)}`);
  // Once idle, the rings go and the pressure ends.
  tight.link.run(3000);
  assert.equal(c.ringBytes, 0);
  assert.equal(c.memoryPressure, 0);
});

test('memory ceiling: beyond memoryHigh a sender queues up to sendBufferMin only, and is woken when it drains', () => {
  const { link, client, server } = connectedPair({ configA: { memoryLow: 0, memoryPressure: 0, memoryHigh: 0 } });
  const data = pattern(100_000, 13);
  const n = client.conn!.send(data, 0, data.length);
  assert.equal(n, 4096, 'sendBufferMin');
  assert.ok(link.a.layer.counters.ringGrowRefused >= 1);
  assert.equal(client.conn!.writableLength, 0);
  client.write(data.subarray(n), true);
  assert.ok(link.runUntil(() => server.received === data.length, 30_000));
  assert.deepEqual(server.data(), data);
});

test('memory pressure: idle rings go at once, and buffers fall back toward their minimum', () => {
  const { link, client, server } = connectedPair({ params: { delayMs: 20, rateBytesPerMs: 10_000 }, configB: { bufferIdleMs: 100 } });
  client.write(pattern(4_000_000, 11), false);
  assert.ok(link.runUntil(() => server.received === 4_000_000, 60_000, 5));
  const t = tcb(server.conn!);
  assert.ok(t.rcvBuf > 128 << 10);
  // A new ceiling far below what the rings hold puts the stack under pressure.
  link.b.layer.configure({ memoryLow: 1, memoryPressure: 1, memoryHigh: 1 << 20 });
  server.autoRead = false;
  client.write(pattern(50_000, 12), false);
  link.run(150);
  assert.equal(link.b.layer.counters.memoryPressure, 1);
  assert.ok(t.rcvBuf <= Math.max(t.rcvBufMin, t.recvRing!.capacity), `rcvBuf ${String(t.rcvBuf)}`);
  server.drain();
  link.run(150);
  assert.equal(t.recvRing!.capacity, 0, 'emptied: released at the next sweep');
  assert.equal(link.b.layer.counters.memoryPressure, 0, 'below low again');
});
