/**
 * Latency over TAP with and without poll mode, beside the kernel over veth in the same run (issue 11,
 * item 4). The client is Linux in a namespace; the server is a tsndis.tcpip host on a TAP (poll mode
 * off, adaptive at the default budget, and on with a budget longer than the idle gap) or the kernel of
 * a second namespace over a veth pair:
 *
 *   ICMP echo, idle   `ping -i 0.01`: 10 ms apart, so each echo finds a sleeping thread and cold caches
 *   ICMP echo, busy   `ping -i 0.0002`: 0.2 ms apart
 *   TCP echo, 64 B    a python3 client (TCP_NODELAY) sending 64 bytes and waiting for them back, one
 *                     round trip at a time; the server is tsndis's built-in echo service (the stream
 *                     API) or, for the kernel, the same kind of python3 loop in the other namespace
 *
 * p50 and p99 of the per-request round-trip times (ping's own, from kernel timestamps; the client's
 * perf_counter around send → the 64th byte back). Counts are fixed, so the group takes about 30 s.
 * Needs root, /dev/net/tun, ip, ping and python3; otherwise it reports why it skipped.
 */
import { existsSync } from 'node:fs';
import type { PollMode } from '../src/util/poll-loop.js';
import { startService } from '../src/drivers/protocol/tcpip/services/index.js';
import { type Netns, waitExit, which } from '../test/support/netns.js';
import { benchHost } from './tcp.js';
import { VethPair } from './kernel-tcp.js';

/** p50 and p99 in µs. */
export interface Percentiles {
  p50: number;
  p99: number;
}

/** One measurement: tsndis with a poll mode beside the kernel, p50/p99 in µs; ratios tsndis / kernel. */
export interface LatencyRow {
  name: string;
  unit: 'µs';
  pollMode: PollMode;
  /** PollBudgetUs (0 with poll mode off). */
  pollBudgetUs: number;
  tsndis: Percentiles;
  kernel: Percentiles;
  ratioP50: number;
  ratioP99: number;
  /** The TAP adapter's poll counters after the measurement. */
  poll: Record<string, number | string>;
}

export interface LatencyBenchResult {
  rows: LatencyRow[];
}

const OUR_IP = '198.18.124.2';
const ECHO_PORT = 7;
const IDLE_PINGS = 200;
const BUSY_PINGS = 2000;
const TCP_ROUND_TRIPS = 3000;

export function latencyBenchSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) for TAP devices and network namespaces';
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  for (const t of ['ip', 'ping', 'python3']) if (!which(t)) return `needs the '${t}' command`;
  return null;
}

function percentiles(samples: number[]): Percentiles {
  if (samples.length === 0) throw new Error('no samples');
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Per-echo RTTs in µs of `count` pings from `ns`, `interval` s apart (ping's own times; bounded). */
async function pingTimes(ns: Netns, address: string, count: number, interval: string): Promise<number[]> {
  const child = ns.spawn('ping', ['-n', '-c', String(count), '-i', interval, '-W', '1', address]);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitExit(child, 60_000);
  const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000);
  if (times.length < count * 0.9) throw new Error(`ping: ${times.length} of ${count} replies: ${out.slice(-300)}`);
  return times;
}

/** 64-byte ping-pong over TCP, one at a time; prints the RTTs in ns as one JSON list (after 100 warm-up rounds). */
const TCP_ECHO_CLIENT = String.raw`
import socket, sys, json, time
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((addr, port), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
msg = bytes(range(64)); buf = bytearray(64); view = memoryview(buf); out = []
pc = time.perf_counter_ns
for i in range(n + 100):
    t = pc()
    s.sendall(msg)
    got = 0
    while got < 64:
        k = s.recv_into(view[got:])
        if k == 0: raise SystemExit('closed')
        got += k
    if i >= 100: out.append(pc() - t)
    if buf != msg: raise SystemExit('echo differs')
s.close()
print(json.dumps(out), flush=True)
`;

/** The kernel side's echo: the same kind of python3 loop (one connection, TCP_NODELAY). */
const TCP_ECHO_SERVER = String.raw`
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(30)
print('ready', flush=True)
c, _ = s.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); c.settimeout(30)
while True:
    b = c.recv(65536)
    if not b: break
    c.sendall(b)
`;

async function tcpEchoTimes(ns: Netns, address: string, port: number): Promise<number[]> {
  const child = ns.spawn('python3', ['-c', TCP_ECHO_CLIENT, address, String(port), String(TCP_ROUND_TRIPS)]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await waitExit(child, 60_000);
  if (code !== 0) throw new Error(`TCP echo client exited ${String(code)}: ${err.slice(-300)}`);
  return (JSON.parse(out) as number[]).map((ns) => ns / 1000);
}

interface Measured {
  idle: number[];
  busy: number[];
  tcp: number[];
}

async function kernelTimes(): Promise<Measured> {
  using pair = new VethPair();
  const idle = await pingTimes(pair.a, pair.addressB, IDLE_PINGS, '0.01');
  const busy = await pingTimes(pair.a, pair.addressB, BUSY_PINGS, '0.0002');
  const server = pair.b.spawn('python3', ['-c', TCP_ECHO_SERVER, pair.addressB, String(ECHO_PORT)]);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the kernel-side echo server did not start')), 10_000);
    server.stdout!.once('data', () => {
      clearTimeout(t);
      resolve();
    });
  });
  const tcp = await tcpEchoTimes(pair.a, pair.addressB, ECHO_PORT);
  await waitExit(server, 5000);
  return { idle, busy, tcp };
}

async function tsndisTimes(keywords: Record<string, string | number>): Promise<Measured & { poll: Record<string, number | string> }> {
  const host = await benchHost(keywords);
  try {
    const echo = await startService(host.ip, { service: 'echo', port: ECHO_PORT, address: OUR_IP, root: null });
    try {
      const idle = await pingTimes(host.ns, OUR_IP, IDLE_PINGS, '0.01');
      const busy = await pingTimes(host.ns, OUR_IP, BUSY_PINGS, '0.0002');
      const tcp = await tcpEchoTimes(host.ns, OUR_IP, ECHO_PORT);
      return { idle, busy, tcp, poll: host.adapter.pollSnapshot() };
    } finally {
      await echo.close();
    }
  } finally {
    await host.destroy();
  }
}

/** The poll settings measured: off, adaptive at the default budget, and on with a budget past the idle gap. */
const SETTINGS: { mode: PollMode; budgetUs: number; label: string }[] = [
  { mode: 'off', budgetUs: 0, label: 'poll mode off' },
  { mode: 'adaptive', budgetUs: 50, label: 'PollMode adaptive, PollBudgetUs 50' },
  { mode: 'on', budgetUs: 20_000, label: 'PollMode on, PollBudgetUs 20000 (a core kept spinning)' },
];

export async function runLatencyBench(log: (line: string) => void = () => undefined): Promise<LatencyBenchResult> {
  const kernel = await kernelTimes();
  const k = { idle: percentiles(kernel.idle), busy: percentiles(kernel.busy), tcp: percentiles(kernel.tcp) };
  log(`kernel veth: idle ${JSON.stringify(k.idle)} busy ${JSON.stringify(k.busy)} tcp ${JSON.stringify(k.tcp)}`);
  const rows: LatencyRow[] = [];
  for (const s of SETTINGS) {
    const t = await tsndisTimes(s.mode === 'off' ? {} : { PollMode: s.mode, PollBudgetUs: s.budgetUs });
    const row = (name: string, tsndis: Percentiles, base: Percentiles): LatencyRow => ({
      name: `${name}; ${s.label}`,
      unit: 'µs',
      pollMode: s.mode,
      pollBudgetUs: s.budgetUs,
      tsndis,
      kernel: base,
      ratioP50: tsndis.p50 / base.p50,
      ratioP99: tsndis.p99 / base.p99,
      poll: t.poll,
    });
    rows.push(row('ICMP echo RTT Linux → tsndis over TAP, 10 ms apart (idle); baseline: ping over veth between two netns', percentiles(t.idle), k.idle));
    rows.push(row('ICMP echo RTT Linux → tsndis over TAP, 0.2 ms apart (busy); baseline: ping over veth', percentiles(t.busy), k.busy));
    rows.push(row('TCP echo 64 B RTT, python3 client → tsndis echo service over TAP; baseline: the same client → a python3 echo over veth', percentiles(t.tcp), k.tcp));
    log(`tsndis ${s.label}: ${rows.slice(-3).map((r) => `${r.tsndis.p50.toFixed(0)}/${r.tsndis.p99.toFixed(0)} µs`).join(', ')} ${JSON.stringify(t.poll)}`);
  }
  return { rows };
}

/** The rows as text. */
export function latencyBenchLines(r: LatencyBenchResult): string[] {
  const lines: string[] = [];
  for (const row of r.rows) {
    lines.push(row.name);
    lines.push(`  tsndis p50 ${row.tsndis.p50.toFixed(0).padStart(5)} µs  p99 ${row.tsndis.p99.toFixed(0).padStart(6)} µs   kernel p50 ${row.kernel.p50.toFixed(0).padStart(5)} µs  p99 ${row.kernel.p99.toFixed(0).padStart(6)} µs   ${row.ratioP50.toFixed(1)}× / ${row.ratioP99.toFixed(1)}× the kernel's`);
  }
  return lines;
}

// `node dist/bench/latency.js`: this group alone, with its progress.
if (import.meta.url === `file://${process.argv[1]}`) {
  const reason = latencyBenchSkipReason();
  if (reason !== null) console.log(`skipped: ${reason}`);
  else {
    const started = performance.now();
    const r = await runLatencyBench((l) => console.log(l));
    for (const line of latencyBenchLines(r)) console.log(line);
    console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}
