/**
 * The Linux kernel's own figures, measured in the same run as tsndis's: TCP bulk throughput and ping
 * round-trip time between two network namespaces joined by a veth pair (offloads on, the default).
 * The same python3 sender and receiver are used against tsndis, so the tools cost the same on both sides.
 */
import { Netns, sh, uniqueName } from '../test/support/netns.js';
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

/** Mean ping RTT in ms as ping reports it (`count` echo requests, 10 ms apart). */
export function pingRttMs(ns: Netns, address: string, count: number): number {
  const out = ns.exec('ping', '-q', '-n', '-c', String(count), '-i', '0.01', '-W', '1', address);
  const m = /= [\d.]+\/([\d.]+)\//.exec(out);
  if (m === null) throw new Error(`cannot read ping's summary: ${out}`);
  return Number(m[1]);
}

export function kernelPingRtt(pair: VethPair, count: number): number {
  return pingRttMs(pair.a, pair.addressB, count);
}
