/**
 * The Node-style streams at bulk rates (socket/stream.ts, tcp/chunks.ts) over the simulated link (fake
 * time): every chunk a reader gets stays its own (slab regions are never handed out twice), writes of
 * one turn leave together, a chunk larger than the send space waits for it with back-pressure, and
 * bulk transfers through LSO and RSC are byte-exact both ways.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createConnection, createServer, TcpSocket } from '../../../src/drivers/protocol/tcpip/socket/index.js';
import { decode } from '../../support/tcp-inject.js';
import { lab } from '../../support/wsk-lab.js';
import { sha, patternBuffer as pattern } from '../../support/pattern.js';

/** A chunk as the reader got it: the view, and a copy of its bytes then. */
interface Kept {
  chunk: Buffer;
  copy: Buffer;
}

/** Every kept chunk still holds what it held when delivered, and no two kept chunks share a byte of memory. */
function assertOwned(kept: readonly Kept[]): void {
  const regions = new Map<ArrayBufferLike, [number, number][]>();
  for (const [i, k] of kept.entries()) {
    assert.ok(k.chunk.equals(k.copy), `chunk ${String(i)} (${String(k.chunk.length)} bytes) changed after it was delivered`);
    const list = regions.get(k.chunk.buffer) ?? [];
    list.push([k.chunk.byteOffset, k.chunk.byteOffset + k.chunk.length]);
    regions.set(k.chunk.buffer, list);
  }
  for (const list of regions.values()) {
    list.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < list.length; i++) assert.ok(list[i]![0] >= list[i - 1]![1], 'two chunks share memory');
  }
}

test('streams: a reader keeping every chunk gets each intact and byte-exact (random sizes, write chunkings, pauses; LSO and RSC)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        seed: fc.integer({ min: 1, max: 1_000_000 }),
        size: fc.integer({ min: 1, max: 400_000 }),
        writeSizes: fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 8 }),
        pauses: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 0, maxLength: 4 }),
        rsc: fc.boolean(),
      }),
      async ({ seed, size, writeSizes, pauses, rsc }) => {
        const { link, a, b, pump } = lab({ seed, params: { rsc, delayMs: 1 }, config: { sendBufferSize: 64 * 1024, receiveBufferSize: 96 * 1024 } });
        link.a.setRoute({ lsoMaxPayload: 65536 });
        const data = pattern(size, seed);
        const kept: Kept[] = [];
        let ended = false;
        let server: TcpSocket | null = null;
        const srv = createServer(b, {}, (s) => {
          server = s;
          s.on('data', (chunk: Buffer) => kept.push({ chunk, copy: Buffer.from(chunk) }));
          s.on('end', () => (ended = true));
        });
        srv.listen(7000, '198.18.0.2');
        const client = createConnection(a, { port: 7000, host: '198.18.0.2' });
        // Write with back-pressure in the given chunk sizes, round robin.
        let off = 0;
        let i = 0;
        const writeMore = (): void => {
          while (off < data.length) {
            const n = Math.min(writeSizes[i++ % writeSizes.length]!, data.length - off);
            const ok = client.write(data.subarray(off, off + n));
            off += n;
            if (!ok) return;
          }
          client.end();
        };
        client.on('drain', writeMore);
        writeMore();
        // The reader pauses now and then (the window closes), and resumes.
        for (const ms of pauses) {
          await pump(() => server !== null);
          server!.pause();
          await pump(() => false, ms);
          server!.resume();
        }
        assert.ok(await pump(() => ended, 120_000), 'transfer did not finish');
        assert.equal(sha(Buffer.concat(kept.map((k) => k.chunk))), sha(data));
        assertOwned(kept);
        client.destroy();
        srv.close();
      },
    ),
    { numRuns: 25 },
  );
});

test('streams: the writes of one turn leave together — 200 small writes with setNoDelay go out as full-sized segments', async () => {
  const { link, a, b, pump } = lab({ trace: true });
  let got = 0;
  const srv = createServer(b, {}, (s) => s.on('data', (d: Buffer) => (got += d.length)));
  srv.listen(7001, '198.18.0.2');
  const client = createConnection(a, { port: 7001, host: '198.18.0.2' });
  assert.ok(await pump(() => !client.connecting && !client.pending));
  client.setNoDelay(true);
  const mark = link.trace.length;
  const data = pattern(200 * 100, 3);
  for (let i = 0; i < 200; i++) client.write(data.subarray(i * 100, (i + 1) * 100));
  assert.ok(await pump(() => got === data.length));
  const payloads = link.trace
    .slice(mark)
    .filter((r) => r.from === 'a')
    .map((r) => decode(r.bytes).payloadLength)
    .filter((n) => n > 0);
  const mss = client.wsk!.connection!.info().mss;
  // 20 000 bytes in full segments and one short one at the end, not 200 segments of 100 bytes.
  assert.equal(payloads.length, Math.ceil(data.length / mss), `segments: ${payloads.join(' ')}`);
  client.destroy();
  srv.close();
});

test('streams: back-pressure — a chunk larger than the send space completes only as the peer reads, then drain; destroy fails a waiting write', async () => {
  const { a, b, pump } = lab({ config: { sendBufferSize: 32 * 1024, receiveBufferSize: 32 * 1024 } });
  let server: TcpSocket | null = null;
  const received: Buffer[] = [];
  const srv = createServer(b, {}, (s) => {
    server = s;
    s.pause();
    s.on('data', (d: Buffer) => received.push(d));
  });
  srv.listen(7002, '198.18.0.2');
  const client = createConnection(a, { port: 7002, host: '198.18.0.2' });
  assert.ok(await pump(() => server !== null && !client.connecting));
  const big = pattern(200 * 1024, 9);
  let done = false;
  let drained = false;
  client.on('drain', () => (drained = true));
  assert.equal(client.write(big, () => (done = true)), false, 'write() returned false for a chunk beyond the high-water mark');
  await pump(() => false, 2_000);
  // The paused reader holds a full receive ring, the send ring is full: the chunk waits.
  assert.equal(done, false, 'the write completed though the data cannot have been queued');
  assert.equal(drained, false);
  assert.equal(client.wsk!.connection!.info().sndWnd, 0, 'the window is closed');
  server!.resume();
  assert.ok(await pump(() => done && drained), 'the write completed and drain followed once the reader read');
  client.end();
  assert.ok(await pump(() => Buffer.concat(received).length === big.length));
  assert.equal(sha(Buffer.concat(received)), sha(big));

  // A write waiting for space when the socket is destroyed fails with ECONNABORTED; 'close', no 'error'.
  let server2: TcpSocket | null = null;
  const srv2 = createServer(b, {}, (s) => {
    server2 = s;
    s.pause();
    s.on('error', () => undefined);
  });
  srv2.listen(7003, '198.18.0.2');
  const c2 = createConnection(a, { port: 7003, host: '198.18.0.2' });
  assert.ok(await pump(() => server2 !== null && !c2.connecting));
  const seen: { writeError?: (Error & { code?: string }) | null; errorEvent?: Error; closed: boolean } = { closed: false };
  c2.on('error', (e) => (seen.errorEvent = e));
  c2.on('close', () => (seen.closed = true));
  c2.write(big, (e) => (seen.writeError = e));
  await pump(() => false, 1_000);
  assert.equal(seen.writeError, undefined);
  c2.destroy();
  assert.ok(await pump(() => seen.closed && seen.writeError !== undefined));
  assert.equal((seen.writeError as (Error & { code?: string }) | null | undefined)?.code, 'ECONNABORTED');
  assert.equal(seen.errorEvent, undefined);
  srv.close();
  srv2.close();
});

test('streams: 4 MB each way through LSO and RSC is byte-exact; both readers keep every chunk intact', async () => {
  const { link, a, b, pump } = lab({ seed: 3, params: { rsc: true, delayMs: 1 }, config: { sendBufferSize: 1 << 20, receiveBufferSize: 1 << 20 } });
  link.a.setRoute({ lsoMaxPayload: 65536 });
  link.b.setRoute({ lsoMaxPayload: 65536 });
  const up = pattern(4 << 20, 21);
  const down = pattern(4 << 20, 22);
  const writeAll = (s: TcpSocket, data: Buffer, chunk: number): void => {
    let off = 0;
    const more = (): void => {
      while (off < data.length) {
        const n = Math.min(chunk, data.length - off);
        const ok = s.write(data.subarray(off, off + n));
        off += n;
        if (!ok) {
          s.once('drain', more);
          return;
        }
      }
      s.end();
    };
    more();
  };
  const serverKept: Kept[] = [];
  const clientKept: Kept[] = [];
  let serverEnded = false;
  let clientEnded = false;
  const srv = createServer(b, { allowHalfOpen: true }, (s) => {
    s.on('data', (chunk: Buffer) => serverKept.push({ chunk, copy: Buffer.from(chunk) }));
    s.on('end', () => (serverEnded = true));
    writeAll(s, down, 64 * 1024);
  });
  srv.listen(7004, '198.18.0.2');
  const client = new TcpSocket(a, { allowHalfOpen: true }).connect({ port: 7004, host: '198.18.0.2' });
  client.on('data', (chunk: Buffer) => clientKept.push({ chunk, copy: Buffer.from(chunk) }));
  client.on('end', () => (clientEnded = true));
  client.once('connect', () => writeAll(client, up, 16 * 1024 + 7));
  assert.ok(await pump(() => serverEnded && clientEnded, 600_000), 'transfers did not finish');
  assert.equal(sha(Buffer.concat(serverKept.map((k) => k.chunk))), sha(up));
  assert.equal(sha(Buffer.concat(clientKept.map((k) => k.chunk))), sha(down));
  assertOwned(serverKept);
  assertOwned(clientKept);
  assert.ok(link.a.layer.counters.lsoBuffers > 0 && link.b.layer.counters.coalescedBuffers > 0, 'LSO and RSC carried the bulk');
  client.destroy();
  srv.close();
});

test("streams: a 'data' reader's bytes reach it in the memory they were received into — no ring block for in-order data, at most two chunk slabs held, the chunks are Buffers", async () => {
  const { link, a, b, pump } = lab({ seed: 4, params: { rsc: true, delayMs: 1 }, config: { receiveBufferSize: 1 << 20 } });
  link.a.setRoute({ lsoMaxPayload: 65536 });
  const data = pattern(8 << 20, 23);
  const kept: Buffer[] = [];
  let server: TcpSocket | null = null;
  let ended = false;
  const srv = createServer(b, {}, (s) => {
    server = s;
    s.on('data', (chunk: Buffer) => kept.push(chunk));
    s.on('end', () => (ended = true));
  });
  srv.listen(7006, '198.18.0.2');
  const client = createConnection(a, { port: 7006, host: '198.18.0.2' });
  let off = 0;
  const more = (): void => {
    while (off < data.length) {
      const ok = client.write(data.subarray(off, off + 65536));
      off += 65536;
      if (!ok) return;
    }
    client.end();
  };
  client.on('drain', more);
  client.once('connect', more);
  let ringPeak = 0;
  let chunkPeak = 0;
  assert.ok(
    await pump(() => {
      const t = server?.wsk?.connection as unknown as { recvRing: { capacity: number } | null; rxChunks: { held: number } | null } | undefined;
      ringPeak = Math.max(ringPeak, t?.recvRing?.capacity ?? 0);
      chunkPeak = Math.max(chunkPeak, t?.rxChunks?.held ?? 0);
      return ended;
    }, 600_000),
  );
  assert.equal(sha(Buffer.concat(kept)), sha(data));
  assert.ok(kept.every((c) => Buffer.isBuffer(c)));
  // Read out of the ring, the bytes would have grown a ring block; received into chunk slabs, they need none.
  assert.equal(ringPeak, 0, `ring block of ${String(ringPeak)} bytes`);
  assert.ok(chunkPeak > 0 && chunkPeak <= 2 * 120 * 1024, `chunk slabs held: ${String(chunkPeak)}`);
  assert.ok(link.b.layer.counters.receiveChunksGiven > 0);
  client.destroy();
  srv.close();
});

test("streams: onread (as net.Socket's) — bytes arrive in the one reused buffer, byte-exact; false pauses (the window closes), resume() continues; 'end' and 'close' as usual", async () => {
  const { a, b, pump } = lab({ config: { sendBufferSize: 64 * 1024, receiveBufferSize: 64 * 1024 } });
  const data = pattern(1_000_000, 31);
  const buffer = new Uint8Array(10_000);
  const got: Buffer[] = [];
  const seen = { calls: 0, otherBuffer: 0, ended: false, closed: false, dataEvents: 0, pauseNow: false };
  let server: TcpSocket | null = null;
  const srv = createServer(
    b,
    {
      onread: {
        buffer: () => buffer,
        callback: (n, buf) => {
          seen.calls++;
          if (buf !== buffer) seen.otherBuffer++;
          got.push(Buffer.from(buf.subarray(0, n)));
          return !seen.pauseNow;
        },
      },
    },
    (s) => {
      server = s;
      s.on('data', () => seen.dataEvents++);
      s.on('end', () => (seen.ended = true));
      s.on('close', () => (seen.closed = true));
    },
  );
  srv.listen(7005, '198.18.0.2');
  const client = createConnection(a, { port: 7005, host: '198.18.0.2' });
  let written = false;
  client.on('connect', () => client.end(data, () => (written = true)));
  assert.ok(await pump(() => got.length > 3));
  // Pause from the callback: the receive ring fills and the window closes.
  seen.pauseNow = true;
  await pump(() => false, 3_000);
  seen.pauseNow = false;
  const callsWhilePaused = seen.calls;
  await pump(() => false, 2_000);
  assert.equal(seen.calls, callsWhilePaused, 'no callback while paused');
  // Full up to less than one segment: receiver SWS avoidance keeps a sub-MSS remainder closed.
  const held = server!.wsk!.readableLength;
  assert.ok(held > 64 * 1024 - 1460 && held <= 64 * 1024, `the paused socket holds a full receive ring (${String(held)} bytes)`);
  assert.equal(client.wsk!.connection!.info().sndWnd, 0, 'the window is closed');
  assert.equal(written, false, 'the writer is held by the closed window');
  server!.resume();
  assert.ok(await pump(() => seen.ended && seen.closed && written), 'the transfer finished after resume()');
  assert.equal(sha(Buffer.concat(got)), sha(data));
  assert.equal(seen.otherBuffer, 0);
  assert.equal(seen.dataEvents, 0, "no 'data' chunks with onread");
  assert.throws(() => createConnection(a, { port: 1, onread: { buffer: 5 as never, callback: () => undefined } }), TypeError);
  srv.close();
});
