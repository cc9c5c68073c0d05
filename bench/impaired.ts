/**
 * TCP on an impaired path (issue 10's acceptance): Linux against Linux and tsndis against Linux through
 * exactly the same emulated path — the network emulator of test/support/emulator.ts:
 *
 *   [netns A: Linux] ═ TAP ═╗
 *                            tsndis.bridge ─ [tsndis.impairment: profile, both directions] ═ TAP ═ [netns B: Linux]
 *   [tsndis.tcpip] ─ wire ══╝
 *
 * Every frame to or from B crosses the impairment filter, so Linux A → B and tsndis → B (and B → A,
 * B → tsndis) see the same loss, duplication, reordering, corruption and delay. Each row is one bulk
 * transfer of `bytes` (50 MB; capped at `maxSeconds` for the slow loss-based rows) on a freshly built
 * emulator, so the filter's seeded decisions start alike and the counters are the row's own:
 *
 *   send      Linux/BBR → Linux, Linux/CUBIC → Linux (congestion control per route, `ip route … congctl`),
 *             tsndis/CUBIC → Linux, tsndis/BBR → Linux (BBRv3), tsndis/BBRv1 → Linux (the stack's
 *             TcpCongestion keyword `bbr1`; "not available" while the config refuses the name)
 *   receive   Linux/BBR → Linux A and Linux/BBR → tsndis, from B; and Linux/BBR → tsndis with the tsndis
 *             host on a worker thread of its own (its wire joined to the bridge's by a wire link), as a
 *             Linux receiver's TCP work runs in the kernel beside the emulator rather than on its thread
 *
 * Linux's `bbr` is BBRv1, so the like-for-like send ratio is tsndis/BBRv1 ÷ Linux/BBR; tsndis/BBR (v3)
 * ÷ Linux/BBR compares v3 with Linux's v1 and is kept beside it.
 *
 * Throughput is what the receiver saw (accept → FIN). A Linux sender's retransmitted segments, RTOs,
 * D-SACKs and receive-window-limited time come from its TCP_INFO (python3 tool, linux-peer.ts), a tsndis
 * sender's from its TCP counters. Needs root, /dev/net/tun, ip and python3.
 */
import { existsSync } from 'node:fs';
import type { WskConnectionSocket } from '../src/drivers/protocol/tcpip/index.js';
import { ConfigError } from '../src/errors.js';
import { ACCEPTANCE_PROFILE, Emulator, type ImpairmentProfile } from '../test/support/emulator.js';
import { tcpBulkSource, tcpSink } from '../test/support/linux-peer.js';
import { which } from '../test/support/netns.js';

/** tsndis rows take any of the stack's names; Linux rows 'bbr' (its BBRv1) or 'cubic'. */
export type Congestion = 'bbr' | 'bbr1' | 'cubic';

export interface ImpairedRow {
  profile: string;
  /** e.g. 'Linux/BBR → Linux'. */
  name: string;
  direction: 'send' | 'receive';
  sender: 'linux' | 'tsndis';
  receiver: 'linux' | 'tsndis';
  congestion: Congestion;
  /** False when the row could not run (the tsndis congestion control refused by the config); `reason` says why. */
  available: boolean;
  reason?: string;
  bytes: number;
  seconds: number;
  mbitPerSecond: number;
  /** Stopped at the time cap before `bytes` were sent. */
  capped: boolean;
  retransSegs: number;
  dataSegsOut: number;
  /** retransSegs / dataSegsOut, %. */
  retransPercent: number;
  rtos: number;
  /** Linux senders only (TCP_INFO): D-SACKed segments, share of busy time limited by the receive window (%). */
  dsackDups: number | null;
  rwndLimitedPercent: number | null;
  /** The impairment filter's send/receive totals for the row (lost, duplicated, reordered, corrupted). */
  impairment: Record<string, number>;
  /** Which repeat of the profile's rows this is (0-based). */
  repeat: number;
}

/** The acceptance's ratios, each with its target. */
export interface ImpairedRatio {
  profile: string;
  name: string;
  /** The median of `values` (null when no repeat had both rows). */
  value: number | null;
  /** The ratio in each repeat, from rows of that repeat only. */
  values: (number | null)[];
  target: string;
}

export interface ImpairedResult {
  rows: ImpairedRow[];
  ratios: ImpairedRatio[];
  /** Ping RTT through the emulator (ms, mean), per profile: what the 2 ms each way costs in practice. */
  rttMs: Record<string, number>;
}

export interface ImpairedOptions {
  /** Bytes per transfer (default 50 MB). */
  bytes?: number;
  /** Longest transfer, s (default 60): loss-based rows at 10 % loss would take many minutes. */
  maxSeconds?: number;
  /** Profiles to run (default: the acceptance's 3 %, and 10 % loss). */
  profiles?: { name: string; profile: ImpairmentProfile }[];
  /**
   * Runs of every row per profile (default 1). Rows alternate within a repeat, so a ratio pairs rows
   * measured seconds apart, and the reported ratio is the median of the repeats' ratios: on a shared
   * machine single transfers vary by ±50 %.
   */
  repeats?: number;
  /** Row names to run (default: all), for experiments with one row. */
  rows?: readonly string[];
  log?: (line: string) => void;
}

export const IMPAIRED_PROFILES: { name: string; profile: ImpairmentProfile }[] = [
  { name: '3 % loss', profile: ACCEPTANCE_PROFILE },
  { name: '10 % loss', profile: { ...ACCEPTANCE_PROFILE, lossPercent: 10 } },
];

const SUBNET = '198.18.136';
const PORT = 5202;

export function impairedBenchSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) for TAP devices and network namespaces';
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  for (const t of ['ip', 'ping', 'python3']) if (!which(t)) return `needs the '${t}' command`;
  return null;
}

interface Measured {
  bytes: number;
  seconds: number;
  capped: boolean;
  retransSegs: number;
  dataSegsOut: number;
  rtos: number;
  dsackDups: number | null;
  rwndLimitedPercent: number | null;
}

/** Linux in `from` → python3 sink at `to` (Linux). */
async function linuxToLinux(emu: Emulator, from: 'A' | 'B', bytes: number, maxSeconds: number): Promise<Measured> {
  const [src, dst, dstAddr] = from === 'A' ? [emu.nsA, emu.nsB, emu.addrB] : [emu.nsB, emu.nsA, emu.addrA];
  const sink = await tcpSink(dst, dstAddr, PORT, maxSeconds + 60, false);
  const s = await tcpBulkSource(src, dstAddr, PORT, bytes, maxSeconds, maxSeconds + 60);
  const r = await sink.done;
  return linuxSender(s, r.bytes, r.seconds, bytes);
}

function linuxSender(s: Awaited<ReturnType<typeof tcpBulkSource>>, got: number, seconds: number, bytes: number): Measured {
  if (got !== s.bytes) throw new Error(`${s.bytes} bytes sent, ${got} arrived`);
  return {
    bytes: got,
    seconds,
    capped: s.bytes < bytes,
    retransSegs: s.retransSegs,
    dataSegsOut: s.dataSegsOut,
    rtos: s.rtos,
    dsackDups: s.dsackDups,
    rwndLimitedPercent: s.busyUs > 0 ? (100 * s.rwndLimitedUs) / s.busyUs : null,
  };
}

/** Linux in B → a discard listener on tsndis (every readable byte taken at once). */
async function linuxToTsndis(emu: Emulator, bytes: number, maxSeconds: number): Promise<Measured> {
  const buf = new Uint8Array(1 << 20);
  let received = 0;
  let start = 0;
  let done!: (r: { bytes: number; seconds: number }) => void;
  const finished = new Promise<{ bytes: number; seconds: number }>((r) => (done = r));
  const ls = emu.tsndis.sockets.createListenSocket(4, {
    acceptEvent: (_l, s) => {
      start = performance.now();
      const drain = (sock: WskConnectionSocket): void => {
        for (let n = sock.tryReceive(buf); n > 0; n = sock.tryReceive(buf)) received += n;
      };
      s.dispatch = {
        receiveEvent: drain,
        disconnectEvent: (sock) => {
          drain(sock);
          done({ bytes: received, seconds: (performance.now() - start) / 1000 });
          void sock.close();
        },
      };
      drain(s);
    },
  });
  ls.bind({ address: emu.addrTsndis, port: PORT });
  ls.listen();
  try {
    const source = tcpBulkSource(emu.nsB, emu.addrTsndis, PORT, bytes, maxSeconds, maxSeconds + 60);
    const [r, s] = await Promise.all([finished, source]);
    return linuxSender(s, r.bytes, r.seconds, bytes);
  } finally {
    await ls.close();
  }
}

/** Linux in B → a discard listener on a tsndis host running on a worker thread of its own. */
async function linuxToTsndisThread(emu: Emulator, bytes: number, maxSeconds: number): Promise<Measured> {
  const { result } = await emu.thread!.sink(emu.addrTsndis, PORT, (maxSeconds + 60) * 1000);
  const [r, s] = await Promise.all([result, tcpBulkSource(emu.nsB, emu.addrTsndis, PORT, bytes, maxSeconds, maxSeconds + 60)]);
  return linuxSender(s, r.bytes, r.seconds, bytes);
}

/** A tsndis client as fast as back-pressure allows (until `maxSeconds`) → python3 sink in B. */
async function tsndisToLinux(emu: Emulator, bytes: number, maxSeconds: number): Promise<Measured> {
  const sink = await tcpSink(emu.nsB, emu.addrB, PORT, maxSeconds + 60, false);
  const data = new Uint8Array(1 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
  let sent = 0;
  let ended = false;
  const t0 = performance.now();
  const end = (s: WskConnectionSocket): void => {
    if (ended) return;
    ended = true;
    void s.disconnect();
  };
  const pump = (s: WskConnectionSocket): void => {
    while (sent < bytes) {
      if (maxSeconds > 0 && performance.now() - t0 > maxSeconds * 1000) break;
      const off = sent % data.length;
      const n = s.trySend(data, off, Math.min(data.length - off, bytes - sent));
      if (n === 0) return;
      sent += n;
    }
    end(s);
  };
  const sock = await emu.tsndis.sockets.connect({ address: emu.addrB, port: PORT }, {}, { sendBacklogEvent: (s) => pump(s) });
  pump(sock);
  // The cap must also end a transfer that is waiting on back-pressure.
  const cap = maxSeconds > 0 ? setInterval(() => maxSeconds * 1000 < performance.now() - t0 && end(sock), 100) : null;
  try {
    const r = await sink.done;
    if (r.bytes !== sent) throw new Error(`tsndis → Linux: ${sent} bytes sent, ${r.bytes} arrived`);
    const t = emu.tsndis.tcp.counters;
    return { bytes: r.bytes, seconds: r.seconds, capped: sent < bytes, retransSegs: t.retransSegs, dataSegsOut: t.outSegs + t.retransSegs, rtos: t.timeouts, dsackDups: null, rwndLimitedPercent: null };
  } finally {
    if (cap !== null) clearInterval(cap);
    await sock.close();
  }
}

interface RowSpec {
  name: string;
  direction: ImpairedRow['direction'];
  sender: ImpairedRow['sender'];
  receiver: ImpairedRow['receiver'];
  congestion: Congestion;
  /** The tsndis host on a worker thread of its own (test/support/tsndis-thread.ts) instead of the emulator's thread. */
  thread?: boolean;
}

const ROWS: RowSpec[] = [
  { name: 'Linux/BBR → Linux', direction: 'send', sender: 'linux', receiver: 'linux', congestion: 'bbr' },
  { name: 'tsndis/BBR → Linux', direction: 'send', sender: 'tsndis', receiver: 'linux', congestion: 'bbr' },
  { name: 'tsndis/BBRv1 → Linux', direction: 'send', sender: 'tsndis', receiver: 'linux', congestion: 'bbr1' },
  { name: 'Linux/CUBIC → Linux', direction: 'send', sender: 'linux', receiver: 'linux', congestion: 'cubic' },
  { name: 'tsndis/CUBIC → Linux', direction: 'send', sender: 'tsndis', receiver: 'linux', congestion: 'cubic' },
  { name: 'Linux/BBR → Linux (receive baseline)', direction: 'receive', sender: 'linux', receiver: 'linux', congestion: 'bbr' },
  { name: 'Linux/BBR → tsndis', direction: 'receive', sender: 'linux', receiver: 'tsndis', congestion: 'bbr' },
  { name: 'Linux/BBR → tsndis (own thread)', direction: 'receive', sender: 'linux', receiver: 'tsndis', congestion: 'bbr', thread: true },
];

/** `TSNDIS_BENCH_TCPIP` (JSON) adds tsndis.tcpip keywords for experiments, as in bench/tcp.ts. */
function extraTsndisKeywords(): Record<string, string | number | boolean> {
  return JSON.parse(process.env.TSNDIS_BENCH_TCPIP ?? '{}') as Record<string, string | number | boolean>;
}

/** The name `ip route … congctl` takes for a Linux row (Linux has no 'bbr1': its 'bbr' is BBRv1). */
function linuxCongestion(c: Congestion): 'bbr' | 'cubic' {
  if (c === 'bbr1') throw new Error("a Linux row takes 'bbr' (Linux's BBRv1) or 'cubic'");
  return c;
}

async function runRow(spec: RowSpec, profile: { name: string; profile: ImpairmentProfile }, bytes: number, maxSeconds: number, repeat: number): Promise<ImpairedRow> {
  const base = { profile: profile.name, name: spec.name, direction: spec.direction, sender: spec.sender, receiver: spec.receiver, congestion: spec.congestion };
  const unavailable = (reason: string): ImpairedRow => ({ ...base, available: false, reason, bytes: 0, seconds: 0, mbitPerSecond: 0, capped: false, retransSegs: 0, dataSegsOut: 0, retransPercent: 0, rtos: 0, dsackDups: null, rwndLimitedPercent: null, impairment: {}, repeat });
  let emu: Emulator;
  try {
    emu = await Emulator.create({ subnet: SUBNET, profile: profile.profile, tsndis: spec.sender === 'tsndis' ? { ...extraTsndisKeywords(), TcpCongestion: spec.congestion } : extraTsndisKeywords(), tsndisThread: spec.thread === true });
  } catch (e) {
    // Only the tsndis congestion keyword is expected to be refused (a controller this build lacks).
    if (spec.sender === 'tsndis') return unavailable(`not available (${e instanceof ConfigError ? e.detail : e instanceof Error ? e.message : String(e)})`);
    throw e;
  }
  try {
    let m: Measured;
    if (spec.sender === 'tsndis') m = await tsndisToLinux(emu, bytes, maxSeconds);
    else if (spec.direction === 'send') {
      emu.congestion(emu.nsA, linuxCongestion(spec.congestion));
      m = await linuxToLinux(emu, 'A', bytes, maxSeconds);
    } else {
      emu.congestion(emu.nsB, linuxCongestion(spec.congestion));
      if (spec.receiver === 'linux') m = await linuxToLinux(emu, 'B', bytes, maxSeconds);
      else m = spec.thread === true ? await linuxToTsndisThread(emu, bytes, maxSeconds) : await linuxToTsndis(emu, bytes, maxSeconds);
    }
    const f = emu.impairment!;
    const s = f.stats('send').totals;
    const r = f.stats('receive').totals;
    return {
      ...base,
      available: true,
      bytes: m.bytes,
      seconds: m.seconds,
      mbitPerSecond: (m.bytes * 8) / m.seconds / 1e6,
      capped: m.capped,
      retransSegs: m.retransSegs,
      dataSegsOut: m.dataSegsOut,
      retransPercent: m.dataSegsOut > 0 ? (100 * m.retransSegs) / m.dataSegsOut : 0,
      rtos: m.rtos,
      dsackDups: m.dsackDups,
      rwndLimitedPercent: m.rwndLimitedPercent,
      impairment: {
        towardsB: s.offered,
        towardsBLost: s.droppedRandom,
        towardsBDuplicated: s.duplicated,
        towardsBReordered: s.reordered,
        towardsBCorrupted: s.corrupted,
        fromB: r.offered,
        fromBLost: r.droppedRandom,
        bridgeDropped: emu.bridge.totals()[0]?.dropped ?? 0,
      },
      repeat,
    };
  } finally {
    await emu.destroy();
  }
}

async function pingRtt(profile: ImpairmentProfile): Promise<number> {
  const emu = await Emulator.create({ subnet: SUBNET, profile: { ...profile, lossPercent: 0, duplicatePercent: 0, reorderPercent: 0, corruptPercent: 0 } });
  try {
    const out = await emu.nsA.run('ping', ['-c', '50', '-i', '0.02', '-W', '2', emu.addrB]);
    const m = /= [\d.]+\/([\d.]+)\//.exec(out);
    return m === null ? Number.NaN : Number(m[1]);
  } finally {
    await emu.destroy();
  }
}

export async function runImpairedBench(o: ImpairedOptions = {}): Promise<ImpairedResult> {
  const bytes = o.bytes ?? 50_000_000;
  const maxSeconds = o.maxSeconds ?? 60;
  const log = o.log ?? (() => undefined);
  const rows: ImpairedRow[] = [];
  const ratios: ImpairedRatio[] = [];
  const rttMs: Record<string, number> = {};
  for (const p of o.profiles ?? IMPAIRED_PROFILES) {
    rttMs[p.name] = await pingRtt(p.profile);
    log(`${p.name}: ping rtt ${rttMs[p.name]!.toFixed(2)} ms (loss etc. off)`);
    const mine: ImpairedRow[] = [];
    const repeats = Math.max(1, Math.floor(o.repeats ?? 1));
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const spec of ROWS) {
        if (o.rows !== undefined && !o.rows.includes(spec.name)) continue;
        const row = await runRow(spec, p, bytes, maxSeconds, repeat);
        mine.push(row);
        log(`${p.name}${repeats > 1 ? ` #${repeat + 1}` : ''}: ${row.name}: ${row.available ? `${row.mbitPerSecond.toFixed(1)} Mbit/s, ${row.retransSegs} retransmitted (${row.retransPercent.toFixed(2)} %), ${row.rtos} RTOs${row.capped ? ` (capped at ${maxSeconds} s)` : ''}` : row.reason}`);
      }
    }
    rows.push(...mine);
    const by = (name: string, repeat: number): ImpairedRow | undefined => mine.find((r) => r.name === name && r.repeat === repeat && r.available);
    const ratio = (name: string, a: string, b: string, target: string, f: (r: ImpairedRow) => number): void => {
      const values: (number | null)[] = [];
      for (let repeat = 0; repeat < repeats; repeat++) {
        const x = by(a, repeat);
        const y = by(b, repeat);
        values.push(x === undefined || y === undefined || f(y) === 0 ? null : f(x) / f(y));
      }
      ratios.push({ profile: p.name, name, value: median(values.filter((v): v is number => v !== null)), values, target });
    };
    const rate = (r: ImpairedRow): number => r.mbitPerSecond;
    ratio('send: tsndis/BBRv1 ÷ Linux/BBR (both BBRv1)', 'tsndis/BBRv1 → Linux', 'Linux/BBR → Linux', '≥ 0.7', rate);
    ratio('send: tsndis/BBR (v3) ÷ Linux/BBR (v1)', 'tsndis/BBR → Linux', 'Linux/BBR → Linux', '≥ 0.7', rate);
    ratio('send: tsndis/CUBIC ÷ Linux/CUBIC', 'tsndis/CUBIC → Linux', 'Linux/CUBIC → Linux', '≥ 0.9', rate);
    ratio('receive: Linux/BBR → tsndis ÷ Linux/BBR → Linux', 'Linux/BBR → tsndis', 'Linux/BBR → Linux (receive baseline)', '≥ 0.8', rate);
    ratio('receive: sender retransmissions to tsndis ÷ to Linux', 'Linux/BBR → tsndis', 'Linux/BBR → Linux (receive baseline)', '≤ 1.3', (r) => r.retransSegs);
    ratio('receive: Linux/BBR → tsndis on its own thread ÷ Linux/BBR → Linux', 'Linux/BBR → tsndis (own thread)', 'Linux/BBR → Linux (receive baseline)', '≥ 0.8', rate);
    ratio('receive: sender retransmissions to tsndis on its own thread ÷ to Linux', 'Linux/BBR → tsndis (own thread)', 'Linux/BBR → Linux (receive baseline)', '≤ 1.3', (r) => r.retransSegs);
  }
  return { rows, ratios, rttMs };
}

/** The median of `xs` (the mean of the middle two for an even count); null for none. */
function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// `node dist/bench/impaired.js [MB] [maxSeconds] [row name …]` (env TSNDIS_BENCH_REPEATS: repeats): this benchmark alone (or some rows), logging as it goes.
if (import.meta.url === `file://${process.argv[1]}`) {
  const reason = impairedBenchSkipReason();
  if (reason !== null) console.log(`skipped: ${reason}`);
  else {
    const r = await runImpairedBench({ bytes: Number(process.argv[2] ?? 50) * 1e6, maxSeconds: Number(process.argv[3] ?? 60), rows: process.argv.length > 4 ? process.argv.slice(4) : undefined, repeats: Number(process.env.TSNDIS_BENCH_REPEATS ?? 1), log: (l) => console.log(l) });
    console.log(JSON.stringify(r, null, 2));
  }
}
