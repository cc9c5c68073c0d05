/**
 * TCP over TAP: tsndis.tcpip on the TAP miniport against the Linux kernel in a network namespace, next
 * to the kernel's own TCP over a veth pair between two namespaces, measured in the same run with the
 * same python3 tools (test/support/linux-peer.ts), so the tools cost the same on both sides.
 *
 *   Linux → tsndis   python3 source in the namespace → a discard server on tsndis (WSK receive events,
 *                    every readable byte taken into one buffer: the application costs nothing)
 *   tsndis → Linux   a tsndis client queueing bytes as fast as back-pressure allows (WSK send backlog
 *                    events) → python3 sink in the namespace
 *   stream API       both transfers again through the Node-style streams (socket/stream.ts): a
 *                    TcpServer whose 'data' handler drops every chunk, and a TcpSocket writing 64 KiB
 *                    chunks with back-pressure (write() false → wait for 'drain'); beside the WSK
 *                    figures of the same repeat, so the ratio compares the two APIs on one path;
 *                    and the receive once more with net.Socket's `onread` option (one reused buffer)
 *   Node's net       the same receive through Node's own net.Socket on loopback (a python3 source on
 *                    127.0.0.1 → net.connect), 'data' beside `onread`: what a 'data' reader costs Node
 *                    itself, the ceiling for any Node 'data' API
 *   ping RTT         Linux `ping` in the namespace → tsndis (ICMP echo), beside ping over the veth,
 *                    10 ms apart (each echo wakes a sleeping thread) and 0.2 ms apart (warm)
 *
 * Throughput is what the receiving end saw: bytes over the time from accept to the sender's FIN. Each
 * transfer sends enough bytes for about `seconds` at the rate of a short probe transfer.
 * Needs root, /dev/net/tun, ip, ping and python3; otherwise it reports why it skipped.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import type { TcpConfig, TcpSocket, WskConnectionSocket } from '../src/drivers/protocol/tcpip/index.js';
import { tcpSink, tcpSource } from '../test/support/linux-peer.js';
import { which } from '../test/support/netns.js';
import { TapTcpIpHost } from '../test/support/tap-tcpip-host.js';
import { VethPair, kernelIperf3Throughput, kernelTcpThroughput, pingRttAsync, type ThroughputResult } from './kernel-tcp.js';

export interface TcpBenchResult {
  /** Gbit/s, medians over the repeats. */
  linuxToTsndis: { tsndis: number; kernel: number };
  tsndisToLinux: { tsndis: number; kernel: number };
  /** The Node-style stream API beside the WSK-style API on the same TAP path (Gbit/s, medians; ratio: median of each repeat's stream / WSK). */
  stream: {
    linuxToTsndis: { stream: number; wsk: number; ratio: number };
    tsndisToLinux: { stream: number; wsk: number; ratio: number };
    /** Linux → tsndis through a TcpServer with `onread` (bytes into one reused buffer, no 'data' chunks). */
    linuxToTsndisOnread: { stream: number; wsk: number; ratio: number };
    /** Node's own net.Socket on loopback (python3 → Node): 'data' beside `onread` (Gbit/s, medians; ratio: median of data / onread). */
    nodeNet: { data: number; onread: number; ratio: number };
    /**
     * CPU seconds (all threads of this process) and full (mark-compact) and young (scavenge) GCs per GiB
     * received, medians over the repeats: meaningful on a loaded machine where rates are not.
     */
    cost: Record<'wsk' | 'data' | 'onread' | 'nodeNetData' | 'nodeNetOnread', { cpuSecondsPerGiB: number; markCompactsPerGiB: number; scavengesPerGiB: number }>;
  };
  /** The kernel over the same veth with iperf3 at both ends (Gbit/s, median), or null without iperf3. */
  kernelIperf3: number | null;
  /** Mean ping RTT in ms, median over the repeats. */
  pingRtt: { tsndis: number; kernel: number };
  /** The same with pings 0.2 ms apart: both stacks' code and caches stay warm. */
  pingRttBusy: { tsndis: number; kernel: number };
  /** Both again with the TAP's ReaderMode 'poll' (a worker watches the fd and wakes the main thread). */
  pingRttPoll: { tsndis: number; kernel: number };
  pingRttBusyPoll: { tsndis: number; kernel: number };
  /** Counters of the last tsndis run of each direction: are LSO and RSC used end to end? */
  details: Record<string, unknown>;
}

const OUR_MAC = '02:00:00:00:7c:02';
const KERNEL_MAC = '02:00:00:00:7c:01';
const SUBNET = '198.18.124';
const OUR_IP = `${SUBNET}.2`;
const KERNEL_IP = `${SUBNET}.1`;
const DISCARD_PORT = 9;
const SINK_PORT = 5201;
const PING_COUNT = 200;
/** Seconds between pings: the idle case (each echo finds a sleeping thread and cold caches) and the busy one. */
const PING_IDLE = '0.01';
const PING_BUSY = '0.0002';

/** TCP settings for bulk transfer: rings large enough to cover the event loop's latency at 10+ Gbit/s. */
export const BENCH_TCP_CONFIG: Partial<TcpConfig> = {
  sendBufferSize: 4 << 20,
  receiveBufferSize: 4 << 20,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function tcpBenchSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) for TAP devices and network namespaces';
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  for (const t of ['ip', 'ping', 'python3']) if (!which(t)) return `needs the '${t}' command`;
  return null;
}

/**
 * One tsndis host on a TAP whose kernel side is in its own namespace, 198.18.124.2 ↔ .1 (verifier off,
 * bench TCP buffers, tsndis pinned in the kernel's neighbour table), checked to reach the kernel.
 * `TSNDIS_BENCH_TAP` / `TSNDIS_BENCH_TCPIP` (JSON) add keywords for experiments.
 */
export async function benchHost(extraTapKeywords: Record<string, string | number | boolean> = {}): Promise<TapTcpIpHost> {
  const host = await TapTcpIpHost.create({
    name: 'bench',
    tapKind: 'tcb',
    ourMac: OUR_MAC,
    kernelMac: KERNEL_MAC,
    subnet: SUBNET,
    tapKeywords: { ...(JSON.parse(process.env.TSNDIS_BENCH_TAP ?? '{}') as Record<string, string | number | boolean>), ...extraTapKeywords },
    ipKeywords: JSON.parse(process.env.TSNDIS_BENCH_TCPIP ?? '{}') as Record<string, string | number | boolean>,
    tcp: BENCH_TCP_CONFIG,
    verifier: false,
    pinNeighbor: true,
  });
  try {
    await host.ready();
    const r = await host.ip.stack.ping(KERNEL_IP, { count: 1, timeoutMs: 2000 });
    if (r.received !== 1) throw new Error('tsndis cannot reach the kernel over the TAP');
  } catch (e) {
    await host.destroy();
    throw e;
  }
  return host;
}

/** What tells whether the offloads carry the bulk: LSO sends, RSC units, TAP writes and reads. */
function hostDetails(host: TapTcpIpHost): Record<string, unknown> {
  const s = host.ip.stack.counters;
  const tap = host.adapter;
  const o = tap.offload.counters;
  const t = host.ip.tcp.counters;
  return {
    tapWriteCalls: tap.counters.writeCalls,
    tapTxLsoFrames: o.txLsoFrames,
    tapTxLsoSegments: o.txLsoSegments,
    tapRxCoalescedFrames: o.rxCoalescedFrames,
    tapRxCoalescedSegments: o.rxCoalescedSegments,
    framesIn: s.link.framesIn,
    framesOut: s.link.framesOut,
    txNoBuffer: s.link.txNoBuffer,
    ipLsoSends: s.tcp.lsoSends,
    softwareSegments: s.tcp.softwareSegments,
    tcpInSegs: t.inSegs,
    tcpCoalescedBuffers: t.coalescedBuffers,
    tcpOutSegs: t.outSegs,
    tcpLsoBuffers: t.lsoBuffers,
    tcpRetransSegs: t.retransSegs,
    tcpNoBuffers: t.noBuffers,
    tcpAcksSent: t.acksSent,
    tcpWindowUpdates: t.windowUpdatesSent,
  };
}

/** Linux → tsndis: python3 source → discard server; the rate seen by tsndis (accept → FIN). */
export async function linuxToTsndis(host: TapTcpIpHost, bytes: number): Promise<ThroughputResult> {
  const buf = new Uint8Array(1 << 20);
  let received = 0;
  let start = 0;
  let done!: (r: ThroughputResult) => void;
  const finished = new Promise<ThroughputResult>((r) => (done = r));
  const ls = host.ip.sockets.createListenSocket(4, {
    acceptEvent: (_l, s) => {
      start = performance.now();
      const drain = (sock: WskConnectionSocket): void => {
        for (let n = sock.tryReceive(buf); n > 0; n = sock.tryReceive(buf)) received += n;
      };
      s.dispatch = {
        receiveEvent: drain,
        disconnectEvent: (sock) => {
          drain(sock);
          const seconds = (performance.now() - start) / 1000;
          done({ bytes: received, seconds, gbitPerSecond: (received * 8) / seconds / 1e9 });
          void sock.close();
        },
      };
      // Bytes may have arrived with the handshake's last ACK.
      drain(s);
    },
  });
  ls.bind({ address: OUR_IP, port: DISCARD_PORT });
  ls.listen();
  try {
    const source = tcpSource(host.ns, OUR_IP, DISCARD_PORT, bytes, 7, 120, false);
    const [r] = await Promise.all([finished, source]);
    if (r.bytes !== bytes) throw new Error(`Linux → tsndis: ${r.bytes} of ${bytes} bytes arrived`);
    return r;
  } finally {
    await ls.close();
  }
}

/** tsndis → Linux: a tsndis client as fast as back-pressure allows → python3 sink; the sink's rate. */
export async function tsndisToLinux(host: TapTcpIpHost, bytes: number): Promise<ThroughputResult> {
  const sink = await tcpSink(host.ns, KERNEL_IP, SINK_PORT, 120, false);
  const data = new Uint8Array(1 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  let sent = 0;
  let ended = false;
  const pump = (s: WskConnectionSocket): void => {
    while (sent < bytes) {
      const off = sent % data.length;
      const n = s.trySend(data, off, Math.min(data.length - off, bytes - sent));
      if (n === 0) return;
      sent += n;
    }
    if (!ended) {
      ended = true;
      void s.disconnect();
    }
  };
  const sock = await host.ip.sockets.connect({ address: KERNEL_IP, port: SINK_PORT }, {}, { sendBacklogEvent: (s) => pump(s) });
  pump(sock);
  const r = await sink.done;
  await sock.close();
  if (r.bytes !== bytes) throw new Error(`tsndis → Linux: ${r.bytes} of ${bytes} bytes arrived`);
  return { bytes: r.bytes, seconds: r.seconds, gbitPerSecond: (r.bytes * 8) / r.seconds / 1e9 };
}

/**
 * Linux → tsndis through the stream API: python3 source → a TcpServer consuming 'data' events into
 * nothing; the rate seen by tsndis (connection → 'end').
 */
export async function streamLinuxToTsndis(host: TapTcpIpHost, bytes: number, onread = false): Promise<ThroughputResult> {
  let done!: (r: ThroughputResult) => void;
  let failed!: (e: unknown) => void;
  const finished = new Promise<ThroughputResult>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  let received = 0;
  const buffer = new Uint8Array(1 << 20);
  const count = (n: number): void => {
    received += n;
  };
  const options = onread ? { onread: { buffer, callback: count } } : {};
  const server = host.ip.createServer(options, (s: TcpSocket) => {
    const start = performance.now();
    if (!onread) s.on('data', (chunk: Buffer) => (received += chunk.length));
    s.on('end', () => {
      const seconds = (performance.now() - start) / 1000;
      done({ bytes: received, seconds, gbitPerSecond: (received * 8) / seconds / 1e9 });
    });
    s.on('error', failed);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(DISCARD_PORT, OUR_IP, () => resolve());
  });
  try {
    const source = tcpSource(host.ns, OUR_IP, DISCARD_PORT, bytes, 7, 120, false);
    const [r] = await Promise.all([finished, source]);
    if (r.bytes !== bytes) throw new Error(`Linux → tsndis (stream): ${r.bytes} of ${bytes} bytes arrived`);
    return r;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** python3 on loopback: listens on 127.0.0.1 (an ephemeral port it prints), sends `bytes` as tcpSource does, closes. */
const LOOPBACK_SOURCE = String.raw`
import socket, sys
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1); l.settimeout(60)
print(l.getsockname()[1], flush=True)
c, _ = l.accept(); c.settimeout(60)
total = int(sys.argv[1]); n = 0; pool = memoryview(bytes(range(256)) * 8192); off = 0
while n < total:
    k = min(1 << 16, total - n); c.sendall(pool[off:off + k]); n += k; off = (off + 65537 + 4099) % (1 << 20)
c.close()
`;

/**
 * Linux → Node's own net.Socket on loopback (python3 source → net.connect): 'data' chunks counted and
 * dropped, or `onread` into one reused 1 MiB buffer; the rate seen by Node (connect → 'end').
 */
export async function nodeNetLoopback(bytes: number, onread: boolean): Promise<ThroughputResult> {
  const source = spawn('python3', ['-c', LOOPBACK_SOURCE, String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killer = setTimeout(() => source.kill(), 120_000);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      source.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      source.once('exit', () => reject(new Error('the loopback source exited before listening')));
    });
    let received = 0;
    const buffer = new Uint8Array(1 << 20);
    const start = performance.now();
    const count = (n: number): boolean => {
      received += n;
      return true;
    };
    const socket = onread ? netConnect({ port, host: '127.0.0.1', onread: { buffer, callback: count } }) : netConnect({ port, host: '127.0.0.1' });
    if (!onread) socket.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise<void>((resolve, reject) => {
      socket.once('end', resolve);
      socket.once('error', reject);
    });
    const seconds = (performance.now() - start) / 1000;
    socket.destroy();
    if (received !== bytes) throw new Error(`Node net loopback: ${received} of ${bytes} bytes arrived`);
    return { bytes: received, seconds, gbitPerSecond: (received * 8) / seconds / 1e9 };
  } finally {
    clearTimeout(killer);
    source.kill();
  }
}

interface Cost {
  cpuSecondsPerGiB: number;
  markCompactsPerGiB: number;
  scavengesPerGiB: number;
}

/** Runs one transfer counting this process's CPU time and V8's collections (per GiB received). */
async function costed(run: () => Promise<ThroughputResult>): Promise<{ result: ThroughputResult; cost: Cost }> {
  let majors = 0;
  let minors = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) majors++;
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) minors++;
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const cpu = process.cpuUsage();
  try {
    const result = await run();
    const used = process.cpuUsage(cpu);
    // Entries are delivered asynchronously: let the last ones arrive.
    await sleep(0);
    const gib = result.bytes / 2 ** 30;
    return { result, cost: { cpuSecondsPerGiB: (used.user + used.system) / 1e6 / gib, markCompactsPerGiB: majors / gib, scavengesPerGiB: minors / gib } };
  } finally {
    gc.disconnect();
  }
}

/** Chunk size of the stream writer: what fs.createReadStream and most Node producers hand to write(). */
const STREAM_CHUNK = 64 * 1024;

/**
 * tsndis → Linux through the stream API: a TcpSocket writing 64 KiB views of a 1 MiB pattern while
 * write() returns true, then waiting for 'drain' → python3 sink; the sink's rate.
 */
export async function streamTsndisToLinux(host: TapTcpIpHost, bytes: number): Promise<ThroughputResult> {
  const sink = await tcpSink(host.ns, KERNEL_IP, SINK_PORT, 120, false);
  const data = Buffer.allocUnsafe(1 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  const socket = host.ip.connect({ host: KERNEL_IP, port: SINK_PORT });
  try {
    const sent = new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        let n = 0;
        const pump = (): void => {
          while (n < bytes) {
            const off = n % data.length;
            const k = Math.min(STREAM_CHUNK, data.length - off, bytes - n);
            n += k;
            // The pattern is never written, so queued views stay valid until the stream is done with them.
            if (!socket.write(data.subarray(off, off + k))) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end(() => resolve());
        };
        pump();
      });
    });
    const [, r] = await Promise.all([sent, sink.done]);
    if (r.bytes !== bytes) throw new Error(`tsndis → Linux (stream): ${r.bytes} of ${bytes} bytes arrived`);
    return { bytes: r.bytes, seconds: r.seconds, gbitPerSecond: (r.bytes * 8) / r.seconds / 1e9 };
  } finally {
    socket.destroy();
  }
}

/** Bytes for about `seconds` at the rate of a short probe transfer (bounded: 64 MiB … 32 GiB). */
export async function sized(seconds: number, run: (bytes: number) => Promise<ThroughputResult>): Promise<number> {
  const probe = await run(256 << 20);
  const rate = probe.bytes / probe.seconds;
  return Math.min(32 * 2 ** 30, Math.max(64 << 20, Math.round(rate * seconds)));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runTcpBench(seconds: number, repeats: number, log: (line: string) => void = () => undefined): Promise<TcpBenchResult> {
  const details: Record<string, unknown> = {};
  // The kernel over veth.
  const kIn: number[] = [];
  const kRtt: number[] = [];
  const kRttBusy: number[] = [];
  const kIperf: number[] = [];
  {
    using pair = new VethPair();
    const bytes = await sized(seconds, (b) => kernelTcpThroughput(pair, b));
    for (let i = 0; i < repeats; i++) {
      kIn.push((await kernelTcpThroughput(pair, bytes)).gbitPerSecond);
      kRtt.push(await pingRttAsync(pair.a, pair.addressB, PING_COUNT, PING_IDLE));
      kRttBusy.push(await pingRttAsync(pair.a, pair.addressB, PING_COUNT * 5, PING_BUSY));
      const iperf = await kernelIperf3Throughput(pair, seconds);
      if (iperf !== null) kIperf.push(iperf);
      log(`kernel veth: ${kIn[i]!.toFixed(2)} Gbit/s (iperf3 ${iperf?.toFixed(2) ?? '-'}), ping ${kRtt[i]!.toFixed(3)} ms (busy ${kRttBusy[i]!.toFixed(3)} ms)`);
    }
  }
  const tIn: number[] = [];
  const tOut: number[] = [];
  const tRtt: number[] = [];
  const tRttBusy: number[] = [];
  const sIn: number[] = [];
  const sOut: number[] = [];
  const sInOnread: number[] = [];
  const nData: number[] = [];
  const nOnread: number[] = [];
  const costs: Record<keyof TcpBenchResult['stream']['cost'], Cost[]> = { wsk: [], data: [], onread: [], nodeNetData: [], nodeNetOnread: [] };
  const rate = async (key: keyof typeof costs, run: () => Promise<ThroughputResult>): Promise<number> => {
    const { result, cost } = await costed(run);
    costs[key].push(cost);
    return result.gbitPerSecond;
  };
  let host = await benchHost();
  try {
    const inBytes = await sized(seconds, (b) => linuxToTsndis(host, b));
    const outBytes = await sized(seconds, (b) => tsndisToLinux(host, b));
    for (let i = 0; i < repeats; i++) {
      // A fresh host per repeat: counters describe one transfer each way.
      await host.destroy();
      host = await benchHost();
      tIn.push(await rate('wsk', () => linuxToTsndis(host, inBytes)));
      details['linuxToTsndis'] = hostDetails(host);
      await host.destroy();
      host = await benchHost();
      tOut.push((await tsndisToLinux(host, outBytes)).gbitPerSecond);
      details['tsndisToLinux'] = hostDetails(host);
      // The stream API in the same repeat, on fresh hosts too, right after its WSK twin.
      await host.destroy();
      host = await benchHost();
      sIn.push(await rate('data', () => streamLinuxToTsndis(host, inBytes)));
      await host.destroy();
      host = await benchHost();
      sOut.push((await streamTsndisToLinux(host, outBytes)).gbitPerSecond);
      await host.destroy();
      host = await benchHost();
      sInOnread.push(await rate('onread', () => streamLinuxToTsndis(host, inBytes, true)));
      tRtt.push(await pingRttAsync(host.ns, OUR_IP, PING_COUNT, PING_IDLE));
      tRttBusy.push(await pingRttAsync(host.ns, OUR_IP, PING_COUNT * 5, PING_BUSY));
      log(`tsndis TAP: in ${tIn[i]!.toFixed(2)} Gbit/s, out ${tOut[i]!.toFixed(2)} Gbit/s, ping ${tRtt[i]!.toFixed(3)} ms (busy ${tRttBusy[i]!.toFixed(3)} ms)`);
      log(`tsndis TAP stream API: in ${sIn[i]!.toFixed(2)} Gbit/s (${(sIn[i]! / tIn[i]!).toFixed(2)}× WSK), out ${sOut[i]!.toFixed(2)} Gbit/s (${(sOut[i]! / tOut[i]!).toFixed(2)}× WSK), in with onread ${sInOnread[i]!.toFixed(2)} Gbit/s (${(sInOnread[i]! / tIn[i]!).toFixed(2)}× WSK)`);
      // Node's own net on loopback, the same bytes: what 'data' costs Node itself beside onread.
      nData.push(await rate('nodeNetData', () => nodeNetLoopback(inBytes, false)));
      nOnread.push(await rate('nodeNetOnread', () => nodeNetLoopback(inBytes, true)));
      log(`Node net loopback: 'data' ${nData[i]!.toFixed(2)} Gbit/s, onread ${nOnread[i]!.toFixed(2)} Gbit/s (${(nData[i]! / nOnread[i]!).toFixed(2)}×)`);
      const c = (k: keyof typeof costs): string => `${k} ${costs[k][i]!.cpuSecondsPerGiB.toFixed(2)} s, ${costs[k][i]!.markCompactsPerGiB.toFixed(0)} MC`;
      log(`CPU and mark-compacts per GiB received: ${(Object.keys(costs) as (keyof typeof costs)[]).map(c).join('; ')}`);
    }
  } finally {
    await host.destroy();
  }
  const pRtt: number[] = [];
  const pRttBusy: number[] = [];
  const poll = await benchHost({ ReaderMode: 'poll' });
  try {
    for (let i = 0; i < repeats; i++) {
      pRtt.push(await pingRttAsync(poll.ns, OUR_IP, PING_COUNT, PING_IDLE));
      pRttBusy.push(await pingRttAsync(poll.ns, OUR_IP, PING_COUNT * 5, PING_BUSY));
      log(`tsndis TAP, ReaderMode poll: ping ${pRtt[i]!.toFixed(3)} ms (busy ${pRttBusy[i]!.toFixed(3)} ms)`);
    }
  } finally {
    await poll.destroy();
  }
  // Both directions over veth are the same kernel path: one figure for both.
  const k = median(kIn);
  const ratios = (stream: number[], wsk: number[]): number => median(stream.map((x, i) => x / wsk[i]!));
  return {
    linuxToTsndis: { tsndis: median(tIn), kernel: k },
    tsndisToLinux: { tsndis: median(tOut), kernel: k },
    stream: {
      linuxToTsndis: { stream: median(sIn), wsk: median(tIn), ratio: ratios(sIn, tIn) },
      tsndisToLinux: { stream: median(sOut), wsk: median(tOut), ratio: ratios(sOut, tOut) },
      linuxToTsndisOnread: { stream: median(sInOnread), wsk: median(tIn), ratio: ratios(sInOnread, tIn) },
      nodeNet: { data: median(nData), onread: median(nOnread), ratio: ratios(nData, nOnread) },
      cost: Object.fromEntries(
        Object.entries(costs).map(([k, xs]) => [
          k,
          { cpuSecondsPerGiB: median(xs.map((x) => x.cpuSecondsPerGiB)), markCompactsPerGiB: median(xs.map((x) => x.markCompactsPerGiB)), scavengesPerGiB: median(xs.map((x) => x.scavengesPerGiB)) },
        ]),
      ) as TcpBenchResult['stream']['cost'],
    },
    kernelIperf3: kIperf.length > 0 ? median(kIperf) : null,
    pingRtt: { tsndis: median(tRtt), kernel: median(kRtt) },
    pingRttBusy: { tsndis: median(tRttBusy), kernel: median(kRttBusy) },
    pingRttPoll: { tsndis: median(pRtt), kernel: median(kRtt) },
    pingRttBusyPoll: { tsndis: median(pRttBusy), kernel: median(kRttBusy) },
    details,
  };
}

// `node dist/bench/tcp.js [seconds] [repeats]`: this benchmark alone, with its counters.
if (import.meta.url === `file://${process.argv[1]}`) {
  const reason = tcpBenchSkipReason();
  if (reason !== null) {
    console.log(`skipped: ${reason}`);
  } else {
    const r = await runTcpBench(Number(process.argv[2] ?? 2), Number(process.argv[3] ?? 1), (l) => console.log(l));
    console.log(JSON.stringify(r, null, 2));
  }
  await sleep(0);
}
