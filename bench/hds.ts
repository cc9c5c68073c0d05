/**
 * Header-data split on the TAP, on against off in the same run: TCP bulk Linux → tsndis (python3 source
 * → a WSK discard server, bench/tcp.ts) over a host with `*HeaderDataSplit: 1` and over one without,
 * alternated per repeat, each on a fresh host. With the split, tsndis.tcpip takes each frame in place
 * (header copied into the data buffer's backfill); without it, each frame is one MDL already. The row
 * says what the split itself costs or saves on this path; the counters say it was in effect.
 */
import { benchHost, linuxToTsndis, sized, tcpBenchSkipReason } from './tcp.js';

export interface HdsBenchResult {
  /** Gbit/s, medians over the repeats. */
  on: number;
  off: number;
  /** Median of each repeat's on / off. */
  ratio: number;
  /** Counters of the last run with the split on. */
  details: { hdSplitFramesIn: number; rxPayloadBytesCopied: number; tapSplitFrames: number };
}

export function hdsBenchSkipReason(): string | null {
  return tcpBenchSkipReason();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runHdsBench(seconds: number, repeats: number): Promise<HdsBenchResult> {
  const on: number[] = [];
  const off: number[] = [];
  let details: HdsBenchResult['details'] = { hdSplitFramesIn: 0, rxPayloadBytesCopied: 0, tapSplitFrames: 0 };
  let host = await benchHost();
  let bytes: number;
  try {
    bytes = await sized(seconds, (b) => linuxToTsndis(host, b));
  } finally {
    await host.destroy();
  }
  for (let i = 0; i < repeats; i++) {
    host = await benchHost({ '*HeaderDataSplit': 1 });
    try {
      on.push((await linuxToTsndis(host, bytes)).gbitPerSecond);
      const link = host.ip.stack.counters.link;
      const tap = host.adapter.inspect()['hdSplit'] as { splitFrames: number } | undefined;
      details = { hdSplitFramesIn: link.hdSplitFramesIn, rxPayloadBytesCopied: link.rxPayloadBytesCopied, tapSplitFrames: tap?.splitFrames ?? 0 };
    } finally {
      await host.destroy();
    }
    host = await benchHost();
    try {
      off.push((await linuxToTsndis(host, bytes)).gbitPerSecond);
    } finally {
      await host.destroy();
    }
  }
  return { on: median(on), off: median(off), ratio: median(on.map((x, i) => x / off[i]!)), details };
}
