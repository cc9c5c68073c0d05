/**
 * The Linux kernel's own figures, measured in the same run as tsndis's: TCP bulk throughput and ping
 * round-trip time between two network namespaces joined by a veth pair (offloads on, the default).
 * The same python3 sender and receiver are used against tsndis, so the tools cost the same on both sides.
 */
import { Netns, sh, uniqueName, waitExit, which } from '../test/support/netns.js';
import { tcpSink, tcpSource } from '../test/support/linux-peer.js';

export interface ThroughputResult {
  bytes: number;
  seconds: number;
  gbitPerSecond: number;
}

/** A veth pair between two fresh namespaces, 198.18.52.1 ↔ 198.18.52.2. */
export class VethPair implements Disposable {
  readonly a = Netns.create();
  readonly b = Netns.create();
  readonly addressA = '198.18.52.1';
  readonly addressB = '198.18.52.2';

  constructor() {
    const ea = uniqueName('va');
    const eb = uniqueName('vb');
    sh('ip', ['link', 'add', ea, 'type', 'veth', 'peer', 'name', eb]);
    this.a.adopt(ea, { address: `${this.addressA}/24` });
    this.b.adopt(eb, { address: `${this.addressB}/24` });
  }

  [Symbol.dispose](): void {
    this.a.destroy();
    this.b.destroy();
  }
}

/** Kernel TCP: python3 source in A → python3 sink in B, `bytes` bytes; throughput seen by the sink. */
export async function kernelTcpThroughput(pair: VethPair, bytes: number): Promise<ThroughputResult> {
  const sink = await tcpSink(pair.b, pair.addressB, 5201, 60, false);
  await tcpSource(pair.a, pair.addressB, 5201, bytes, 3, 60, false);
  const got = await sink.done;
  return { bytes: got.bytes, seconds: got.seconds, gbitPerSecond: (got.bytes * 8) / got.seconds / 1e9 };
}

/**
 * Kernel TCP with iperf3 at both ends (C, zero-copy-ish sendfile off): what the kernel reaches when the
 * tools cost nothing, for reference beside the python3 figure. Null when iperf3 is not installed.
 */
export async function kernelIperf3Throughput(pair: VethPair, seconds: number): Promise<number | null> {
  if (!which('iperf3')) return null;
  const server = pair.b.spawn('iperf3', ['-s', '-1', '-B', pair.addressB, '-p', '5202']);
  try {
    // The server needs a moment to listen; the client retries its connect briefly.
    let out = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      await new Promise((r) => setTimeout(r, 50));
      const client = pair.a.spawn('iperf3', ['-c', pair.addressB, '-p', '5202', '-t', String(Math.max(1, Math.round(seconds))), '-J']);
      out = '';
      client.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const code = await waitExit(client, (seconds + 20) * 1000);
      if (code === 0) break;
    }
    const report = JSON.parse(out) as { end?: { sum_received?: { bits_per_second?: number } } };
    const bps = report.end?.sum_received?.bits_per_second;
    if (bps === undefined) throw new Error(`iperf3: no result: ${out.slice(0, 200)}`);
    return bps / 1e9;
  } finally {
    server.kill('SIGKILL');
    await waitExit(server, 5000);
  }
}

/**
 * Mean RTT in ms of `count` pings from `ns`, `interval` seconds apart, as ping reports it. Run without
 * blocking the event loop (a tsndis stack in this process may be the one answering); bounded.
 */
export async function pingRttAsync(ns: Netns, address: string, count: number, interval: string): Promise<number> {
  const child = ns.spawn('ping', ['-q', '-n', '-c', String(count), '-i', interval, '-W', '1', address]);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitExit(child, 30_000);
  const m = /= [\d.]+\/([\d.]+)\//.exec(out);
  if (m === null) throw new Error(`cannot read ping's summary: ${out}`);
  return Number(m[1]);
}
