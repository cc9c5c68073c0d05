/**
 * The memory measurement itself, run by bench/memory.ts in a child node process with --expose-gc (so
 * the parent's heap — the test runner's, the bench's — does not count, and `gc()` can settle the heap
 * before each RSS reading). Prints one JSON line (`MemoryChildResult`).
 *
 *   tsndis.tcpip on a TAP ═ [netns: python3 clients, test/support/echo-clients.ts]
 *
 * An echo server on the tsndis engine (it reads only what it can send back at once, so the application
 * holds nothing), then: a warm-up; the idle baseline; `conns` concurrent echo clients moving `bytes`
 * each (RSS sampled every 50 ms for the peak); after they all closed and the pool's idle time passed,
 * RSS again; then `idle` idle established connections and RSS per connection.
 */
import type { TcpConnection } from '../src/drivers/protocol/tcpip/index.js';
import { echoClients, idleClients } from '../test/support/echo-clients.js';
import { TapTcpIpHost } from '../test/support/tap-tcpip-host.js';

export interface MemoryChildResult {
  /** RSS (bytes) of the idle stack after a warm-up. */
  rssIdle: number;
  echo: { connections: number; bytes: number; ok: number; errors: number; seconds: number; rssPeak: number; rssAfterClose: number; ringBytesPeak: number; ringBytesAfter: number; ringPoolBytesAfter: number };
  idle: { connections: number; connected: number; rssBefore: number; rssWith: number; bytesPerConnection: number; heapBytesPerConnection: number; ringBytes: number };
}

const PORT = 7;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;

/**
 * RSS once collections and the allocator's trimming have settled: the lowest of samples taken over about
 * 2 s of gc() + sleep (a single sample on a loaded machine can catch a collection's transient pages).
 */
async function settledRss(): Promise<{ rss: number; heap: number }> {
  let rss = Infinity;
  let heap = Infinity;
  for (let i = 0; i < 10; i++) {
    gc?.();
    await sleep(200);
    const m = process.memoryUsage();
    rss = Math.min(rss, m.rss);
    heap = Math.min(heap, m.heapUsed);
  }
  return { rss, heap };
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await sleep(20);
  return done();
}

/** Echo with back-pressure: only what the send buffer takes now is read (and one byte to wait on). */
function echo(conn: TcpConnection, scratch: Uint8Array): void {
  let carry: Uint8Array | null = null;
  const pump = (): void => {
    if (carry !== null) {
      const n = conn.send(carry, 0, carry.length);
      carry = n === carry.length ? null : carry.slice(n);
      if (carry !== null) return;
    }
    for (let guard = 0; guard < 1024; guard++) {
      // One byte more than fits: the short send asks the engine for onWritable (the app holds ≤ 1 byte).
      const k = Math.min(conn.readableLength, conn.writableLength + 1, scratch.length);
      if (k <= 0) break;
      const r = conn.receive(scratch, 0, k);
      const n = conn.send(scratch, 0, r);
      if (n < r) {
        carry = scratch.slice(n, r);
        return;
      }
    }
    if (conn.remoteClosed && conn.readableLength === 0 && conn.state === 'CLOSE-WAIT') conn.shutdown();
  };
  conn.events = { onReadable: pump, onWritable: pump, onClosed: () => conn.close() };
  pump();
}

async function main(): Promise<void> {
  const [conns, bytes, idle] = process.argv.slice(2).map(Number) as [number, number, number];
  const host = await TapTcpIpHost.create({
    name: 'memory',
    tapKind: 'mem',
    ourMac: '02:00:00:00:7d:02',
    kernelMac: '02:00:00:00:7d:01',
    subnet: '198.18.125',
    verifier: false,
    pinNeighbor: true,
    // Short idle times so the measurement does not wait the defaults (1 s, 10 s).
    tcp: { bufferIdleMs: 200, bufferPoolIdleMs: 1000, maxConnections: Math.max(16384, idle + conns + 100) },
  });
  const samples: number[] = [];
  try {
    await host.ready();
    const tcp = host.ip.tcp;
    const scratch = new Uint8Array(256 << 10);
    tcp.listen({ family: 4, address: new Uint8Array(4), port: PORT }, { backlog: 4096, maxHalfOpen: 1024 }, { onConnection: (c) => echo(c, scratch) });
    const ns = host.ns;
    const addr = host.ours[4];
    const quiet = async (): Promise<void> => {
      await until(() => tcp.counters.currEstab === 0 && tcp.connectionCount === 0, 30_000);
      // Rings idle for a sweep, then the pool's slabs idle for its release time.
      await until(() => tcp.counters.ringBytes === 0 && tcp.counters.ringPoolBytes === 0, 5000);
    };
    const warm = await echoClients(ns, addr, PORT, 20, 200_000, Number(process.env.WARM_S ?? 60));
    if (warm.ok !== 20) {
      for (const c of tcp.connections()) {
        const t = c as unknown as Record<string, unknown> & { recvRing: { length: number; capacity: number } | null; sendRing: { length: number; capacity: number } | null };
        console.error(JSON.stringify(c.info()), c.readableLength, c.writableLength, t.recvRing?.length, t.recvRing?.capacity, t.sendRing?.length, t.sendRing?.capacity, t['rcvAdvRight'], t['rcvNxt'], t['wantWritable']);
      }
      throw new Error(`warm-up: ${JSON.stringify(warm)}`);
    }
    await quiet();
    const base = await settledRss();
    let ringPeak = 0;
    const sampler = setInterval(() => {
      samples.push(process.memoryUsage.rss());
      ringPeak = Math.max(ringPeak, tcp.counters.ringBytes);
    }, 50);
    const e = await echoClients(ns, addr, PORT, conns, bytes, 300);
    clearInterval(sampler);
    if (e.ok !== conns) console.error(JSON.stringify(e), JSON.stringify(Object.fromEntries(Object.entries(tcp.stats()).filter(([, v]) => v !== 0))));
    const rssPeak = Math.max(...samples, base.rss);
    await quiet();
    const after = await settledRss();
    const echoResult = { connections: conns, bytes, ...e, rssPeak, rssAfterClose: after.rss, ringBytesPeak: ringPeak, ringBytesAfter: tcp.counters.ringBytes, ringPoolBytesAfter: tcp.counters.ringPoolBytes };
    const before = await settledRss();
    const clients = idleClients(ns, addr, PORT, idle, 120);
    const up = await clients.connected;
    await until(() => tcp.counters.currEstab >= up.connected, 10_000);
    await sleep(500);
    const withIdle = await settledRss();
    const ringBytes = tcp.counters.ringBytes;
    clients.child.kill('SIGKILL');
    await quiet();
    const n = Math.max(1, up.connected);
    const result: MemoryChildResult = {
      rssIdle: base.rss,
      echo: echoResult,
      idle: {
        connections: idle,
        connected: up.connected,
        rssBefore: before.rss,
        rssWith: withIdle.rss,
        bytesPerConnection: Math.round((withIdle.rss - before.rss) / n),
        heapBytesPerConnection: Math.round((withIdle.heap - before.heap) / n),
        ringBytes,
      },
    };
    console.log(JSON.stringify(result));
  } finally {
    await host.destroy();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
