/**
 * TCP through the tsndis.overlay VXLAN gateway on a TAP (test/support/overlay-host.ts: a tenant
 * tsndis.tcpip behind the gateway, Linux's vxlan device in a namespace), tsndis → Linux, twice in the
 * same run: with the TAP's `*EncapsulatedPacketTaskOffload` at 1 and at 0. With the keyword on and the
 * TAP advertising VXLAN LSO in its current configuration, the gateway hands each tenant LSO NBL down whole
 * (offload path); otherwise it segments and checksums itself (software path). Each row names the path
 * that was in effect, read from the gateway. A TAP without the keyword (before the miniport side of the
 * encapsulated offload exists) runs both with the software path and says so.
 * Needs root, /dev/net/tun, ip and python3; otherwise it reports why it skipped.
 */
import { randomBytes } from 'node:crypto';
import { tapMiniport } from '../src/drivers/miniport/tap/index.js';
import { tcpSink } from '../test/support/linux-peer.js';
import { OverlayTapHost } from '../test/support/overlay-host.js';
import { tcpBenchSkipReason } from './tcp.js';

export interface OverlayBenchRow {
  name: string;
  /** Gbit/s with the keyword at 1 / at 0 (medians over the pairs), and the median of the pairs' ratios. */
  on: number;
  off: number;
  ratio: number;
  /** The send path the gateway used in each run ('offload' or 'software'). */
  pathOn: string;
  pathOff: string;
  /** Why the two runs cannot differ, if they cannot. */
  note: string | null;
}

const KEYWORD = '*EncapsulatedPacketTaskOffload';

export function overlayBenchSkipReason(): string | null {
  return tcpBenchSkipReason();
}

/** Whether this TAP miniport knows the keyword at all (the encapsulated offload on the miniport side). */
function tapHasKeyword(): boolean {
  return Object.hasOwn(tapMiniport.keywords ?? {}, KEYWORD);
}

async function oneRun(subnet: number, on: boolean, bytes: number): Promise<{ gbps: number; path: string }> {
  const tapKeywords: Record<string, number> = tapHasKeyword() ? { [KEYWORD]: on ? 1 : 0 } : {};
  const h = await OverlayTapHost.create({ subnet, tapKeywords });
  try {
    if (!(await h.ready())) throw new Error('the VXLAN gateway did not come up');
    const sink = await tcpSink(h.ns, h.theirs, 5003, 120, false);
    const pool = randomBytes(1 << 20);
    const socket = h.ip.connect({ host: h.theirs, port: 5003 });
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        let n = 0;
        const pump = (): void => {
          while (n < bytes) {
            const k = Math.min(65536, bytes - n);
            n += k;
            if (!socket.write(pool.subarray(0, k))) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end(() => resolve());
        };
        pump();
      });
    });
    const got = await sink.done;
    const seconds = (performance.now() - started) / 1000;
    socket.destroy();
    if (got.bytes !== bytes) throw new Error(`the sink got ${got.bytes} of ${bytes} bytes`);
    const c = h.tenant.counters;
    return { gbps: (bytes * 8) / seconds / 1e9, path: c.txOffloadLso > 0 ? (c.txSoftwareLso > 0 ? 'mixed' : 'offload') : 'software' };
  } finally {
    await h.destroy();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * `repeats` pairs, on and off alternated on fresh hosts (so a slow moment of the machine hits both sides
 * alike): the row reports both medians and the median of the pairs' on / off ratios.
 */
export async function runOverlayBench(seconds: number, repeats = 1): Promise<OverlayBenchRow> {
  const bytes = Math.round(Math.min(400, Math.max(32, seconds * 60))) * 1024 * 1024;
  const subnet = 200 + (process.pid % 50);
  const on: { gbps: number; path: string }[] = [];
  const off: { gbps: number; path: string }[] = [];
  for (let i = 0; i < repeats; i++) {
    on.push(await oneRun(subnet, true, bytes));
    off.push(await oneRun(subnet, false, bytes));
  }
  const paths = (runs: { path: string }[]): string => [...new Set(runs.map((r) => r.path))].join('+');
  return {
    name: `TCP tsndis → Linux through the VXLAN gateway (tsndis.overlay on a TAP ⇄ Linux vxlan), ${KEYWORD} 1 vs 0 on the TAP, same run`,
    on: median(on.map((r) => r.gbps)),
    off: median(off.map((r) => r.gbps)),
    ratio: median(on.map((r, i) => r.gbps / off[i]!.gbps)),
    pathOn: paths(on),
    pathOff: paths(off),
    note: tapHasKeyword() ? null : `the TAP miniport has no ${KEYWORD} keyword: both runs use the gateway's software path`,
  };
}
