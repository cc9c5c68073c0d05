/**
 * The Node-style stream API at bulk against the Linux kernel over a TAP (the path of the "stream vs WSK"
 * bench rows): a TcpServer whose reader keeps every chunk it is given (each must still hold what it
 * held on delivery when the transfer ends, and all of them together what python3 sent), and a TcpSocket
 * writing odd-sized chunks with back-pressure (write() false → 'drain') to a python3 sink, SHA-256
 * compared on both ends. Real time, TAP defaults (LSO, RSC), verifier on, pools full at the end. Needs
 * root, /dev/net/tun, ip and python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import type { TcpSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { withTimeout } from '../../src/util/with-timeout.js';
import { assertClean } from '../support/hosts.js';
import { tcpSink, tcpSource } from '../support/linux-peer.js';
import { interopSkipReason } from '../support/netns.js';
import { TapTcpIpHost } from '../support/tap-tcpip-host.js';

const BYTES = 48 * 1024 * 1024;

function skip(t: TestContext): boolean {
  const reason = interopSkipReason('python3');
  if (reason !== null) {
    t.skip(reason);
    return true;
  }
  return false;
}

async function host(): Promise<TapTcpIpHost> {
  const n = 150 + (process.pid % 50);
  const h = await TapTcpIpHost.create({
    name: 'streamHost',
    tapKind: 'tst',
    ourMac: '02:00:00:00:7d:02',
    kernelMac: '02:00:00:00:7d:01',
    subnet: `198.18.${n}`,
    tcp: { sendBufferSize: 1 << 20, receiveBufferSize: 1 << 20 },
    pinNeighbor: true,
  });
  try {
    assert.ok(await h.ready(), 'the interface came up');
  } catch (e) {
    await h.destroy();
    throw e;
  }
  return h;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('tcp interop (stream API): Linux → a TcpServer whose reader keeps every chunk — all intact and byte-exact, 48 MiB', { timeout: 120_000 }, async (t) => {
  if (skip(t)) return;
  const h = await host();
  try {
    const kept: { chunk: Buffer; digest: string }[] = [];
    let done!: () => void;
    const ended = new Promise<void>((r) => (done = r));
    const sockets = new Set<TcpSocket>();
    const server = h.ip.createServer((s) => {
      sockets.add(s);
      s.on('data', (chunk: Buffer) => kept.push({ chunk, digest: sha(chunk) }));
      s.on('end', done);
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(5003, h.ours[4], () => resolve());
    });
    try {
      const [sent] = await withTimeout(Promise.all([tcpSource(h.ns, h.ours[4], 5003, BYTES, 5, 90), ended]), 100_000, 'Linux → tsndis (stream)');
      const all = Buffer.concat(kept.map((k) => k.chunk));
      assert.equal(all.length, BYTES);
      assert.equal(sha(all), sent.sha256, 'SHA-256 equal on both ends');
      const changed = kept.filter((k) => sha(k.chunk) !== k.digest).length;
      assert.equal(changed, 0, `${String(changed)} of ${String(kept.length)} kept chunks changed after delivery`);
      t.diagnostic(`${String(kept.length)} chunks, ${(BYTES / kept.length / 1024).toFixed(1)} KiB each on average`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  } finally {
    await h.destroy();
  }
  assertClean(h.rt);
});

test("tcp interop (stream API): a TcpSocket writing odd-sized chunks with back-pressure ('drain') → Linux, byte-exact, 48 MiB", { timeout: 120_000 }, async (t) => {
  if (skip(t)) return;
  const h = await host();
  try {
    const sink = await tcpSink(h.ns, h.theirs[4], 5004, 90);
    const pool = Buffer.allocUnsafe(3 << 20);
    for (let i = 0; i < pool.length; i++) pool[i] = (i * 131 + (i >> 9)) & 0xff;
    const hash = createHash('sha256');
    const socket = h.ip.connect({ host: h.theirs[4], port: 5004 });
    let falses = 0;
    let drains = 0;
    try {
      const sent = new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.once('connect', () => {
          let n = 0;
          let k = 0;
          const pump = (): void => {
            while (n < BYTES) {
              // 1 B … ~200 KiB, so chunks straddle segments, LSO bursts and the ring's end.
              const size = Math.min(1 + ((k++ * 7919) % 200_003), BYTES - n);
              const off = (n * 13) % (pool.length - size);
              const chunk = pool.subarray(off, off + size);
              hash.update(chunk);
              n += size;
              if (!socket.write(chunk)) {
                falses++;
                socket.once('drain', () => {
                  drains++;
                  pump();
                });
                return;
              }
            }
            socket.end(() => resolve());
          };
          pump();
        });
      });
      const [, received] = await withTimeout(Promise.all([sent, sink.done]), 100_000, 'tsndis → Linux (stream)');
      assert.equal(received.bytes, BYTES);
      assert.equal(received.sha256, hash.digest('hex'), 'SHA-256 equal on both ends');
      assert.ok(falses > 0 && drains === falses, `write() returned false ${String(falses)} times, 'drain' followed ${String(drains)} times`);
    } finally {
      socket.destroy();
    }
  } finally {
    await h.destroy();
  }
  assertClean(h.rt);
});
