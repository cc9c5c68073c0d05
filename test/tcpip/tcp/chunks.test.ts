/**
 * Receive chunks (tcp/chunks.ts, `TcpConnection.receiveChunk`): in-order bytes are copied once into
 * slab memory and handed over as the reader's own chunks. A chunk once handed over is never written
 * again (every chunk is kept to the end and compared), the bytes come out in order whichever way they
 * are read (chunks, copies, mixed), the slabs are charged to the stack's buffer memory and go back at
 * idle and close; out-of-order data (the ring) joins the chunks when a hole fills. Fake time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CHUNK_MIN_HANDOVER, CHUNK_SLAB_MAX, CHUNK_SLAB_MIN, ReceiveChunks } from '../../../src/drivers/protocol/tcpip/tcp/chunks.js';
import { TcpCounters } from '../../../src/drivers/protocol/tcpip/tcp/counters.js';
import { RingMemory } from '../../../src/drivers/protocol/tcpip/tcp/memory.js';
import { ByteRing } from '../../../src/drivers/protocol/tcpip/tcp/ring.js';
import { seqDiff } from '../../../src/drivers/protocol/tcpip/tcp/seq.js';
import { tcb } from '../../support/tcp-inject.js';
import { type Endpoint, type TcpLink, connectedPair, pattern } from '../../support/tcp-link.js';

const limits = { low: 64 << 20, pressure: 128 << 20, high: 256 << 20, poolMaxBytes: 64 << 20, poolIdleMs: 1000 };

/** A chunk as its reader got it, and a copy of its bytes then. */
interface Kept {
  chunk: Uint8Array;
  copy: Uint8Array;
}

/** Every kept chunk still holds its bytes, and no two share memory. */
function assertIntact(kept: readonly Kept[]): void {
  const regions = new Map<ArrayBufferLike, [number, number][]>();
  for (const [i, k] of kept.entries()) {
    assert.ok(Buffer.from(k.chunk).equals(Buffer.from(k.copy)), `chunk ${String(i)} (${String(k.chunk.length)} bytes) was written into after it was handed over`);
    const list = regions.get(k.chunk.buffer) ?? [];
    list.push([k.chunk.byteOffset, k.chunk.byteOffset + k.chunk.length]);
    regions.set(k.chunk.buffer, list);
  }
  for (const list of regions.values()) {
    list.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < list.length; i++) assert.ok(list[i]![0] >= list[i - 1]![1], 'two chunks share memory');
  }
}

type Op = { kind: 'append'; n: number } | { kind: 'take'; max: number } | { kind: 'read'; n: number } | { kind: 'idle' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), n: fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 300_000 })) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('take' as const), max: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 200_000 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), n: fc.integer({ min: 1, max: 100_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'idle' as const }) },
);

test('receive chunks: bytes come out in order, a chunk handed over is never written again, and the memory charged is what the queue holds', () => {
  const source = pattern(4 << 20, 2);
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), (ops) => {
      const counters = new TcpCounters();
      const memory = new RingMemory(counters, limits, () => 0);
      const q = new ReceiveChunks(memory, counters);
      let appended = 0;
      let consumed = 0;
      const kept: Kept[] = [];
      const out = Buffer.allocUnsafe(source.length);
      for (const o of ops) {
        if (o.kind === 'append') {
          const n = Math.min(o.n, source.length - appended);
          if (n > 0) q.append(source, appended, n);
          appended += n;
        } else if (o.kind === 'take') {
          const c = q.take(o.max);
          if (consumed === appended) assert.equal(c, null);
          else {
            assert.ok(c !== null && c.length >= 1 && c.length <= o.max);
            out.set(c, consumed);
            consumed += c.length;
            kept.push({ chunk: c, copy: Uint8Array.from(c) });
          }
        } else if (o.kind === 'read') {
          const dst = new Uint8Array(o.n);
          const k = q.read(dst, 0, o.n);
          assert.equal(k, Math.min(o.n, appended - consumed));
          out.set(dst.subarray(0, k), consumed);
          consumed += k;
        } else if (q.length === 0) {
          // What the sweep does to an idle queue with nothing unread.
          q.release();
        }
        assert.equal(q.length, appended - consumed);
        assert.ok(q.held >= q.length);
        assert.equal(counters.ringBytes, q.held, 'the slabs held are charged');
        assert.equal(counters.receiveChunkBytes, q.held);
      }
      assert.ok(out.subarray(0, consumed).equals(Buffer.from(source.subarray(0, consumed))), 'bytes out of order or corrupted');
      assertIntact(kept);
      q.release();
      assert.equal(counters.ringBytes, 0);
      assert.equal(q.held, 0);
    }),
    { numRuns: 300 },
  );
});

test('receive chunks: bulk chunks are regions of slabs that grow to CHUNK_SLAB_MAX; short reads are copies and the slab is written again', () => {
  const counters = new TcpCounters();
  const q = new ReceiveChunks(new RingMemory(counters, limits, () => 0), counters);
  const src = pattern(1 << 20, 3);
  // Bulk: the reader takes what arrived; slabs fill up and grow 16 → 32 → 64 → 120 KiB.
  const sizes: number[] = [];
  let at = 0;
  while (at < 600_000) {
    q.append(src, at, 60_000);
    at += 60_000;
    for (let c = q.take(Infinity); c !== null; c = q.take(Infinity)) {
      // Long reads are regions of slabs (a short one may be a copy, in a buffer of its own).
      if (c.length >= CHUNK_MIN_HANDOVER && c.buffer.byteLength !== sizes[sizes.length - 1]) sizes.push(c.buffer.byteLength);
    }
  }
  assert.deepEqual(sizes.slice(0, 4), [CHUNK_SLAB_MIN, 2 * CHUNK_SLAB_MIN, 4 * CHUNK_SLAB_MIN, CHUNK_SLAB_MAX]);
  assert.ok(counters.receiveChunksGiven > 0);
  q.release();
  // Small messages: each read is a copy (exact length), and the one slab is written again and again.
  const copiedBefore = counters.receiveChunksCopied;
  for (let i = 0; i < 100; i++) {
    q.append(src, i * 100, 100);
    const c = q.take(Infinity)!;
    assert.equal(c.length, 100);
    assert.ok(c.byteLength < CHUNK_MIN_HANDOVER);
    assert.ok(Buffer.from(c).equals(Buffer.from(src.subarray(i * 100, i * 100 + 100))));
    assert.equal(q.held, CHUNK_SLAB_MIN, 'one slab, written again');
  }
  assert.equal(counters.receiveChunksCopied - copiedBefore, 100);
  // A long read after short ones is a region of that same slab, and what follows it is never rewound over.
  q.append(src, 0, CHUNK_MIN_HANDOVER);
  const big = q.take(Infinity)!;
  assert.equal(big.length, CHUNK_MIN_HANDOVER);
  const copy = Uint8Array.from(big);
  q.append(src, 500_000, 100);
  assert.equal(q.take(Infinity)!.length, 100);
  q.append(src, 600_000, 100);
  assert.ok(Buffer.from(big).equals(Buffer.from(copy)), 'a region handed over was written again');
});

test('receive chunks: out-of-order bytes held in the ring join the chunks when the hole fills', () => {
  const counters = new TcpCounters();
  const q = new ReceiveChunks(new RingMemory(counters, limits, () => 0), counters);
  const ring = new ByteRing(new Uint8Array(8192));
  ring.skip(8000); // the head anywhere: the out-of-order bytes wrap
  const src = pattern(3000, 4);
  // Bytes 1000..3000 arrived first (in the ring, relative to the head); then 0..1000 fills the hole.
  ring.writeAt(1000, src, 1000, 2000);
  q.append(src, 0, 1000);
  q.appendFromRing(ring, 1000, 2000);
  ring.skip(3000);
  assert.equal(ring.head, (8000 + 3000) % 8192);
  const dst = new Uint8Array(3000);
  assert.equal(q.read(dst, 0, 3000), 3000);
  assert.deepEqual(dst, src);
});

/** b's receiveChunk reader: keeps every chunk itself (Endpoint.readChunks). */
function chunkPair(options: Parameters<typeof connectedPair>[0] = {}): { link: TcpLink; client: Endpoint; server: Endpoint } {
  const p = connectedPair(options);
  p.server.readChunks = true;
  return p;
}

test('receiveChunk: a multi-MB transfer through loss, reordering and duplication — every kept chunk intact, every byte in order; memory back at close', () => {
  for (const rsc of [false, true]) {
    const { link, client, server } = chunkPair({ seed: rsc ? 5 : 6, params: { lossRate: 0.02, reorderRate: 0.05, reorderDelayMs: 3, duplicateRate: 0.01, rsc }, trace: false });
    const data = pattern(6_000_000, 21);
    client.write(data, true);
    assert.ok(link.runUntil(() => server.received === data.length && server.conn!.remoteClosed, 300_000, 5), `${String(server.received)} of ${String(data.length)}`);
    // The chunks are the very memory handed over during the transfer: any later write would show here.
    assert.ok(Buffer.from(server.data()).equals(Buffer.from(data)));
    const c = link.b.layer.counters;
    assert.ok(c.outOfOrderSegments > 0, 'holes were filled from the ring');
    assert.ok(c.receiveChunksGiven > 0);
    assert.ok(server.chunks.some((ch) => ch.length >= CHUNK_MIN_HANDOVER && ch.buffer.byteLength > ch.length), 'chunks are regions of slabs, not copies');
    server.conn!.close();
    client.conn!.close();
    assert.ok(link.runUntil(() => client.closed && server.closed, 10_000));
    assert.equal(c.ringBytes, 0, 'everything given back');
    assert.equal(c.receiveChunkBytes, 0);
  }
});

test('receiveChunk: bytes already in the ring come first, then chunks; receive() copies out of chunks, in order, mixed freely', () => {
  const { link, client, server } = connectedPair({ params: { rsc: true } });
  server.autoRead = false;
  const data = pattern(3_000_000, 22);
  client.write(data, true);
  link.run(200);
  const conn = server.conn!;
  assert.ok(conn.readableLength > 0, 'unread bytes in the ring before the first receiveChunk');
  const parts: Uint8Array[] = [];
  const kept: Kept[] = [];
  const scratch = new Uint8Array(70_000);
  let i = 0;
  let got = 0;
  const read = (): void => {
    for (;;) {
      // Alternate: a chunk (any size), a copy, a chunk of at most 5000 bytes.
      const mode = i++ % 3;
      if (mode === 1) {
        const n = conn.receive(scratch, 0, scratch.length);
        if (n === 0) return;
        parts.push(scratch.slice(0, n));
        got += n;
      } else {
        const c = conn.receiveChunk(mode === 0 ? undefined : 5000);
        if (c === null) return;
        assert.ok(mode === 0 || c.length <= 5000);
        parts.push(c);
        kept.push({ chunk: c, copy: Uint8Array.from(c) });
        got += c.length;
      }
    }
  };
  conn.events = { ...server.events, onReadable: read };
  read();
  assert.ok(link.runUntil(() => got === data.length && conn.remoteClosed, 60_000));
  assert.ok(Buffer.concat(parts).equals(Buffer.from(data)));
  assertIntact(kept);
  assert.equal(tcb(conn).recvRing!.length, 0, 'in-order bytes now go to the chunks');
});

test('receiveChunk: an idle chunk slab goes back at the next sweep; the window and autotuning follow what the reader takes', () => {
  const { link, client, server } = chunkPair({ params: { delayMs: 20, rateBytesPerMs: 10_000 }, config: { bufferIdleMs: 100 } });
  const data = pattern(8_000_000, 23);
  client.write(data, false);
  let chunkPeak = 0;
  assert.ok(
    link.runUntil(() => {
      const t = tcb(server.conn!);
      // The ring holds only out-of-order data (the queue overflows now and then): nothing in order.
      assert.equal(t.recvRing!.length, 0);
      chunkPeak = Math.max(chunkPeak, t.rxChunks?.held ?? 0);
      return server.received === data.length;
    }, 120_000, 5),
  );
  assert.ok(Buffer.from(server.data()).equals(Buffer.from(data)));
  const c = link.b.layer.counters;
  assert.ok(c.receiveBufferAutotunes > 0, 'dynamic right-sizing counts bytes taken as chunks');
  assert.ok(chunkPeak > 0 && chunkPeak <= 2 * CHUNK_SLAB_MAX, `a reader keeping up holds at most two slabs: ${String(chunkPeak)}`);
  link.run(250);
  assert.equal(c.receiveChunkBytes, 0, 'the idle slab went back');
  assert.equal(server.conn!.info().ringBytes, 0);
  // Data again: a slab again.
  client.write(pattern(10_000, 24), false);
  assert.ok(link.runUntil(() => server.received === data.length + 10_000, 10_000));
  assert.ok(Buffer.from(server.data().subarray(data.length)).equals(Buffer.from(pattern(10_000, 24))));
});

test('receiveChunk: under memory pressure no window opens beyond the memory held, unread chunks are kept, every byte arrives', () => {
  const { link, client, server } = chunkPair({ params: { delayMs: 20, rateBytesPerMs: 10_000 }, configB: { bufferIdleMs: 100, memoryLow: 1, memoryPressure: 1, memoryHigh: 1 << 20 } });
  const data = pattern(2_000_000, 25);
  server.autoRead = false;
  client.write(data, true);
  link.run(2000);
  const t = tcb(server.conn!);
  const c = link.b.layer.counters;
  assert.equal(c.memoryPressure, 1);
  // The reader sat still: what arrived is the window first promised, and no more was offered.
  const held = c.ringBytes;
  assert.ok(t.unreadBytes() <= t.receiveBufferSize && held <= Math.max(t.receiveBufferSize, 64 << 10), `held ${String(held)}`);
  for (let guard = 0; guard < 10_000 && !(server.conn!.remoteClosed && server.conn!.readableLength === 0); guard++) {
    server.drain(50_000);
    link.run(20);
    assert.ok(t.unreadBytes() + Math.max(0, seqDiff(t.rcvAdvRight, t.rcvNxt)) <= Math.max(held, 64 << 10) + 4096, 'window beyond the memory held');
  }
  assert.ok(Buffer.from(server.data()).equals(Buffer.from(data)));
  assert.equal(c.receiveBufferAutotunes, 0, 'no autotuning under pressure');
  link.run(300);
  assert.equal(c.ringBytes, 0);
});

test('receiveChunk(0) switches a connection to chunks before data comes (the ring then stays empty); a negative length is a RangeError', () => {
  const { link, client, server } = connectedPair({ params: { rsc: true } });
  server.autoRead = false;
  const conn = server.conn!;
  assert.throws(() => conn.receiveChunk(-1), RangeError);
  assert.equal(conn.receiveChunk(0), null);
  client.write(pattern(500_000, 26), true);
  link.run(200);
  const t = tcb(conn);
  assert.equal(t.recvRing!.capacity, 0, 'no ring block: the bytes went into chunk slabs');
  assert.equal(conn.readableLength, t.rxChunks!.length);
  server.readChunks = true;
  server.autoRead = true;
  server.drain();
  assert.ok(link.runUntil(() => server.received === 500_000 && conn.remoteClosed, 10_000));
  assert.ok(Buffer.from(server.data()).equals(Buffer.from(pattern(500_000, 26))));
});
