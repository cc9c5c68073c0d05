/**
 * `npm run bench`: tsndis data-path throughput next to a baseline measured in the same run, as ratios.
 * `npm run -s bench -- --json` prints the same figures as JSON (-s: without npm's banner on stdout);
 * `--seconds <n>` sets each measurement's length (default 2) and `--repeats <n>` how many times each
 * data-path figure is measured (the median is reported; default 3), because a shared 2-core machine is
 * noisy. The TCP rows (tsndis.tcpip over a TAP against the kernel's TCP over veth) are in `tcp` in the
 * JSON, the Node-style stream API beside the WSK-style API on that path in `stream`; `--no-tcp` leaves
 * them out. The impaired-path rows (bench/impaired.ts: Linux and tsndis through the
 * network emulator's impairment profile, send and receive, with retransmissions and RTOs) are in
 * `impaired`; `--no-impaired` leaves them out, `--impaired-mb` and `--impaired-max-seconds` size them.
 * The memory section (bench/memory.ts: RSS of 1000 concurrent echo connections and of 10 000 idle ones
 * over a TAP) is `memory` in the JSON; `--no-memory` leaves it out. The latency rows (bench/latency.ts: ICMP
 * echo idle and busy and a 64-byte TCP echo, p50/p99 over TAP with poll mode off, adaptive and on, beside
 * the kernel over veth) are `latency`; `--no-latency` leaves them out. Every JSON row (rows, tcp, stream,
 * latency, impaired.rows) has `processors` (the processors its stacks ran on) and `pollMode`. `--help` prints the usage; unknown
 * options and bad numbers exit 2,
 * checked by the CLI's own option parser.
 */
import { Command, CommanderError } from 'commander';
import { numberOption } from '../src/cli/options.js';
import { StatusLine } from '../src/cli/progress.js';
import { runBaseline, type BaselineResult } from './baseline.js';
import { runDatapath, type DatapathResult } from './datapath.js';
import { runProcessorsBench } from './processors.js';
import { runWireProcessors } from './wire-processors.js';
import { type MemoryBenchResult, memoryBenchLines, memoryBenchSkipReason, runMemoryBench } from './memory.js';
import { runTapBench, tapBenchSkipReason, type TapBenchResult } from './tap.js';
import { hdsBenchSkipReason, runHdsBench, type HdsBenchResult } from './hds.js';
import { overlayBenchSkipReason, runOverlayBench, type OverlayBenchRow } from './overlay.js';
import { runTcpBench, tcpBenchSkipReason } from './tcp.js';
import { impairedBenchSkipReason, runImpairedBench, type ImpairedResult } from './impaired.js';
import { type LatencyBenchResult, latencyBenchLines, latencyBenchSkipReason, runLatencyBench } from './latency.js';

interface Row {
  name: string;
  batch: number;
  verifier: boolean;
  framesPerSecond: number;
  baselineFramesPerSecond: number;
  ratio: number;
  /** Processors the measured case runs on (rows without it run on one). */
  processors?: number;
  /** NBL history on (the row with it says so; every other row runs with it off). */
  nblHistory?: boolean;
}

/** tsndis.tcpip over a TAP beside the kernel over veth. `ratio` = tsndis / kernel (for RTT lower is better). */
interface TcpRow {
  name: string;
  unit: 'Gbit/s' | 'ms';
  tsndis: number;
  kernel: number;
  ratio: number;
}

/** The Node-style stream API beside the WSK-style API on the same TAP path. `ratio` = stream / WSK (median of the repeats' ratios). */
interface StreamRow {
  name: string;
  unit: 'Gbit/s';
  stream: number;
  wsk: number;
  ratio: number;
  /** What `stream` and `wsk` are when not the two APIs of tsndis (Node's own net: 'data' and onread). */
  labels?: [string, string];
}

interface BenchOptions {
  json: boolean;
  seconds: number;
  repeats: number;
  tcp: boolean;
  impaired: boolean;
  impairedMb: number;
  impairedMaxSeconds: number;
  impairedRepeats: number;
  memory: boolean;
  latency: boolean;
}

/** The options, or null when there is nothing to run (help printed: exit 0; misuse reported: exit 2). */
function parseOptions(argv: readonly string[]): BenchOptions | null {
  const program = new Command('npm run bench --')
    .description('tsndis data-path, TAP and TCP throughput next to baselines measured in the same run')
    .option('--json', 'print the figures as JSON', false)
    .option('--seconds <n>', 'length of each measurement in seconds', numberOption({ min: 0, minExclusive: true, max: 3600 }), 2)
    .option('--repeats <n>', 'measurements per figure (the median is reported)', numberOption({ integer: true, min: 1, max: 100 }), 3)
    .option('--no-tcp', 'leave out the TCP rows (tsndis.tcpip over a TAP against the kernel)')
    .option('--no-impaired', 'leave out the impaired-path rows (Linux and tsndis TCP through the network emulator)')
    .option('--impaired-mb <n>', 'megabytes per impaired-path transfer', numberOption({ min: 1, max: 100_000 }), 50)
    .option('--impaired-max-seconds <n>', 'longest impaired-path transfer (the slow loss-based rows stop there)', numberOption({ min: 1, max: 3600 }), 60)
    .option('--impaired-repeats <n>', 'runs of every impaired-path row; ratios are the median of the runs', numberOption({ min: 1, max: 20 }), 1)
    .option('--no-memory', 'leave out the memory section (1000 echo and 10 000 idle connections over a TAP)')
    .option('--no-latency', 'leave out the latency rows (ICMP and TCP echo over TAP with and without poll mode, beside the kernel)')
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    process.exitCode = e.exitCode === 0 ? 0 : 2;
    return null;
  }
  return program.opts<BenchOptions>();
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === null) return;
  const { json, seconds, repeats } = options;
  // On a terminal, stderr says which part runs (a whole run takes minutes and prints at the end).
  const status = new StatusLine(process.stderr, 'bench', 11);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: Row[] = [];
  const baselines = new Map<number, BaselineResult>();
  for (const batch of [1, 32]) {
    const runs = Array.from({ length: repeats }, () => runBaseline(batch, seconds));
    const fps = median(runs.map((r) => r.framesPerSecond));
    baselines.set(batch, runs.find((r) => r.framesPerSecond === fps)!);
  }
  // The last case is the cost of NBL history (core/verifier/nbl-history.ts): the row before it with history on.
  const cases: [number, boolean, boolean][] = [
    [1, false, false],
    [32, false, false],
    [32, true, false],
    [32, true, true],
  ];
  for (const [batch, verifier, nblHistory] of cases) {
    status.next(`virtual wire, batch ${batch}${verifier ? ', verifier on' : ''}${nblHistory ? ', NBL history on' : ''}`);
    const runs: DatapathResult[] = [];
    for (let i = 0; i < repeats; i++) runs.push(await runDatapath(batch, verifier, seconds, nblHistory));
    const fps = median(runs.map((x) => x.framesPerSecond));
    const r = runs.find((x) => x.framesPerSecond === fps)!;
    const base = baselines.get(batch)!;
    rows.push({
      name: `virtual wire: raw ← 2 filters ← miniport ⇄ miniport → 2 filters → raw, 64 B, batch ${batch}${verifier ? ', verifier on' : ''}${nblHistory ? ', NBL history on' : ''}`,
      batch,
      verifier,
      ...(nblHistory ? { nblHistory } : {}),
      framesPerSecond: r.framesPerSecond,
      baselineFramesPerSecond: base.framesPerSecond,
      ratio: r.framesPerSecond / base.framesPerSecond,
    });
  }
  /** A row on 2 processors against the same work on 1, medians of `repeats` runs each. */
  const processorsRow = async (name: string, run: (n: 1 | 2, seconds: number) => Promise<{ framesPerSecond: number }>): Promise<void> => {
    const runs = async (n: 1 | 2): Promise<number> => {
      const xs: number[] = [];
      for (let i = 0; i < repeats; i++) xs.push((await run(n, seconds)).framesPerSecond);
      return median(xs);
    };
    const one = await runs(1);
    const two = await runs(2);
    rows.push({ name, batch: 32, verifier: false, processors: 2, framesPerSecond: two, baselineFramesPerSecond: one, ratio: two / one });
  };
  status.next('2 processors against 1');
  // Receive across processors (bench/processors.ts): the replica on a worker against the primary on 1 processor.
  await processorsRow(
    'receive across processors: MP miniport replica on processor 1 (worker) → crossing edge → raw protocol on processor 0, 64 B, chains of 32; baseline: its primary on a 1-processor host',
    runProcessorsBench,
  );
  // The virtual wire at batch 32 on 2 processors (bench/wire-processors.ts: RSS queues, queue 1 polled on a
  // worker, its indications crossing back to the single-processor filters and protocol on processor 0)
  // against the same frames and table on 1 processor, same run.
  await processorsRow(
    'virtual wire on 2 processors: raw ← 2 filters ← miniport ⇄ miniport (RSS, a receive queue per processor; queue 1 polled on a worker, crossing back to the filters on processor 0) → 2 filters → raw, 64 B UDP, 16 flows, batch 32; baseline: the same on 1 processor',
    runWireProcessors,
  );
  const tapSkip = tapBenchSkipReason();
  status.next('TAP');
  const tap: TapBenchResult | null = tapSkip === null ? await runTapBench(seconds) : null;
  if (tap !== null) {
    rows.push({ name: 'TAP receive: kernel (netns, trafgen) → TAP miniport → raw protocol, 64 B; baseline: a plain non-blocking read() loop', batch: 0, verifier: false, framesPerSecond: tap.receive.tsndis, baselineFramesPerSecond: tap.receive.baseline, ratio: tap.receive.tsndis / tap.receive.baseline });
    rows.push({ name: 'TAP transmit: raw protocol → TAP miniport → kernel (netns), 64 B, batch 32; baseline: a plain write() loop', batch: 32, verifier: false, framesPerSecond: tap.transmit.tsndis, baselineFramesPerSecond: tap.transmit.baseline, ratio: tap.transmit.tsndis / tap.transmit.baseline });
    if (tap.receiveUring !== null) {
      rows.push({ name: 'TAP receive, io_uring: kernel (netns, trafgen) → TAP miniport (IoUring on: multishot read) → raw protocol, 64 B; baseline: the same read() loop', batch: 0, verifier: false, framesPerSecond: tap.receiveUring.tsndis, baselineFramesPerSecond: tap.receiveUring.baseline, ratio: tap.receiveUring.tsndis / tap.receiveUring.baseline });
    }
    if (tap.transmitUring !== null) {
      rows.push({ name: 'TAP transmit, io_uring: raw protocol → TAP miniport (IoUring on: one batch of writes per chain) → kernel (netns), 64 B, batch 32; baseline: the same write() loop', batch: 32, verifier: false, framesPerSecond: tap.transmitUring.tsndis, baselineFramesPerSecond: tap.transmitUring.baseline, ratio: tap.transmitUring.tsndis / tap.transmitUring.baseline });
    }
  }
  const tcpRows: TcpRow[] = [];
  const streamRows: StreamRow[] = [];
  const tcpSkip = options.tcp ? tcpBenchSkipReason() : 'left out (--no-tcp)';
  let tcpDetails: Record<string, unknown> = {};
  if (tcpSkip === null) {
    status.next('TCP over TAP');
    const r = await runTcpBench(seconds, repeats);
    const row = (name: string, unit: TcpRow['unit'], x: { tsndis: number; kernel: number }): TcpRow => ({ name, unit, tsndis: x.tsndis, kernel: x.kernel, ratio: x.tsndis / x.kernel });
    tcpRows.push(row('TCP bulk Linux → tsndis over TAP (python3 source → tsndis discard); baseline: kernel TCP over veth between two netns, same tools', 'Gbit/s', r.linuxToTsndis));
    tcpRows.push(row('TCP bulk tsndis → Linux over TAP (tsndis client → python3 sink); baseline: kernel TCP over veth between two netns, same tools', 'Gbit/s', r.tsndisToLinux));
    if (r.kernelIperf3 !== null) {
      const k = r.kernelIperf3;
      tcpRows.push(row('TCP bulk Linux → tsndis over TAP; reference: kernel TCP over veth with iperf3 at both ends (no python)', 'Gbit/s', { tsndis: r.linuxToTsndis.tsndis, kernel: k }));
      tcpRows.push(row('TCP bulk tsndis → Linux over TAP; reference: kernel TCP over veth with iperf3 at both ends (no python)', 'Gbit/s', { tsndis: r.tsndisToLinux.tsndis, kernel: k }));
    }
    tcpRows.push(row('ping RTT Linux → tsndis over TAP, 10 ms apart (idle); baseline: ping over veth between two netns', 'ms', r.pingRtt));
    tcpRows.push(row('ping RTT Linux → tsndis over TAP, 0.2 ms apart (busy); baseline: ping over veth between two netns', 'ms', r.pingRttBusy));
    tcpRows.push(row("ping RTT over TAP with ReaderMode 'poll' (a worker watches the fd), 10 ms apart (idle); baseline: ping over veth", 'ms', r.pingRttPoll));
    tcpRows.push(row("ping RTT over TAP with ReaderMode 'poll' (a worker watches the fd), 0.2 ms apart (busy); baseline: ping over veth", 'ms', r.pingRttBusyPoll));
    tcpDetails = r.details;
    streamRows.push({ name: 'stream vs WSK: TCP bulk Linux → tsndis over TAP, a TcpServer dropping its \'data\' chunks; baseline: WSK receive events into one buffer, same run', unit: 'Gbit/s', ...r.stream.linuxToTsndis });
    streamRows.push({ name: 'stream vs WSK: TCP bulk tsndis → Linux over TAP, a TcpSocket writing 64 KiB chunks with back-pressure (\'drain\'); baseline: WSK trySend on send-backlog events, same run', unit: 'Gbit/s', ...r.stream.tsndisToLinux });
    streamRows.push({ name: "stream vs WSK: TCP bulk Linux → tsndis over TAP, a TcpServer with net.Socket's onread option (one reused buffer, no 'data' chunks); baseline: WSK receive events, same run", unit: 'Gbit/s', ...r.stream.linuxToTsndisOnread });
    const n = r.stream.nodeNet;
    streamRows.push({ name: "Node's own net on loopback (python3 → net.Socket): 'data' chunks dropped; baseline: the same with onread (one reused buffer), same run — the ceiling of a Node 'data' API", unit: 'Gbit/s', stream: n.data, wsk: n.onread, ratio: n.ratio, labels: ["'data'", 'onread'] });
  }
  // Header-data split on the TAP, on against off (bench/hds.ts).
  const hdsSkip = options.tcp ? hdsBenchSkipReason() : 'left out (--no-tcp)';
  let hds: HdsBenchResult | null = null;
  if (hdsSkip === null) {
    status.next('TCP over TAP, header-data split on/off');
    hds = await runHdsBench(seconds, repeats);
    streamRows.push({
      name: "header-data split: TCP bulk Linux → tsndis over TAP with *HeaderDataSplit 1 (split frames taken in place, payload not copied before the socket); baseline: the same with it off, same run",
      unit: 'Gbit/s',
      stream: hds.on,
      wsk: hds.off,
      ratio: hds.ratio,
      labels: ['on', 'off'],
    });
    tcpDetails = { ...tcpDetails, headerDataSplit: hds.details };
  }
  const overlaySkip = options.tcp ? overlayBenchSkipReason() : 'left out (--no-tcp)';
  status.next('TCP over the VXLAN gateway');
  const overlay: OverlayBenchRow | null = overlaySkip === null ? await runOverlayBench(seconds, repeats) : null;
  const latencySkip = options.latency ? latencyBenchSkipReason() : 'left out (--no-latency)';
  status.next('latency');
  const latency: LatencyBenchResult | null = latencySkip === null ? await runLatencyBench() : null;
  const impairedSkip = options.impaired ? impairedBenchSkipReason() : 'left out (--no-impaired)';
  status.next('TCP through the network emulator');
  const impaired: ImpairedResult | null = impairedSkip === null ? await runImpairedBench({ bytes: options.impairedMb * 1e6, maxSeconds: options.impairedMaxSeconds, repeats: options.impairedRepeats }) : null;
  const memorySkip = options.memory ? memoryBenchSkipReason() : 'left out (--no-memory)';
  status.next('memory per connection');
  const memory: MemoryBenchResult | null = memorySkip === null ? await runMemoryBench() : null;
  status.end();
  const skipped = [
    ...(tapSkip === null ? [] : [{ name: 'TAP', reason: tapSkip }]),
    ...(tap?.uringSkipped == null ? [] : [{ name: 'TAP io_uring', reason: tap.uringSkipped }]),
    ...(tcpSkip === null ? [] : [{ name: 'TCP', reason: tcpSkip }]),
    ...(hdsSkip === null ? [] : [{ name: 'header-data split', reason: hdsSkip }]),
    ...(overlaySkip === null ? [] : [{ name: 'VXLAN gateway', reason: overlaySkip }]),
    ...(latencySkip === null ? [] : [{ name: 'latency', reason: latencySkip }]),
    ...(impairedSkip === null ? [] : [{ name: 'impaired path', reason: impairedSkip }]),
    ...(memorySkip === null ? [] : [{ name: 'memory', reason: memorySkip }]),
  ];
  if (json) {
    // Every row says how many processors its stacks ran on (a row that does not say ran on one) and its
    // poll mode (the rows outside the latency group run with poll mode off).
    const tagged = <T extends object>(xs: readonly T[]): (T & { processors: number; pollMode: string })[] => xs.map((r) => ({ processors: 1, pollMode: 'off', ...r }));
    const impairedJson = impaired === null ? null : { ...impaired, rows: tagged(impaired.rows) };
    console.log(JSON.stringify({ node: process.version, seconds, repeats, rows: tagged(rows), tcp: tagged(tcpRows), stream: tagged(streamRows), overlay: overlay === null ? [] : tagged([overlay]), latency: tagged(latency?.rows ?? []), tcpCounters: tcpDetails, impaired: impairedJson, memory, skipped }, null, 2));
    return;
  }
  const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`);
  console.log(`tsndis benchmarks (node ${process.version}, ${seconds} s per measurement, median of ${repeats}; baseline = same frames through 4 plain function calls)\n`);
  for (const r of rows) {
    console.log(r.name);
    console.log(`  tsndis ${fmt(r.framesPerSecond).padStart(11)}   baseline ${fmt(r.baselineFramesPerSecond).padStart(11)}   ratio ${r.ratio.toFixed(3)}`);
    const off = r.nblHistory === true ? rows.find((x) => x.verifier && x.batch === r.batch && x.nblHistory !== true && x.processors === undefined) : undefined;
    if (off !== undefined) console.log(`  NBL history on / off (verifier on, same run): ${(r.framesPerSecond / off.framesPerSecond).toFixed(3)}`);
  }
  if (tapSkip !== null) console.log(`TAP benchmarks skipped: ${tapSkip}`);
  else if (tap?.uringSkipped != null) console.log(`TAP io_uring rows skipped: ${tap.uringSkipped}`);
  for (const r of tcpRows) {
    console.log(r.name);
    if (r.unit === 'Gbit/s') console.log(`  tsndis ${r.tsndis.toFixed(2).padStart(7)} Gbit/s   kernel ${r.kernel.toFixed(2).padStart(7)} Gbit/s   ratio ${r.ratio.toFixed(3)}`);
    else console.log(`  tsndis ${(r.tsndis * 1000).toFixed(0).padStart(7)} µs       kernel ${(r.kernel * 1000).toFixed(0).padStart(7)} µs       ${r.ratio.toFixed(1)}× the kernel's`);
  }
  for (const r of streamRows) {
    console.log(r.name);
    const [a, b] = r.labels ?? ['stream', 'WSK'];
    console.log(`  ${a.padEnd(6)} ${r.stream.toFixed(2).padStart(7)} Gbit/s   ${b.padEnd(6)} ${r.wsk.toFixed(2).padStart(7)} Gbit/s   ratio ${r.ratio.toFixed(3)}`);
  }
  if (tcpSkip !== null) console.log(`TCP benchmarks skipped: ${tcpSkip}`);
  if (hdsSkip !== null) console.log(`header-data split benchmark skipped: ${hdsSkip}`);
  if (overlay !== null) {
    console.log(overlay.name);
    console.log(`  on (${overlay.pathOn} path) ${overlay.on.toFixed(2).padStart(7)} Gbit/s   off (${overlay.pathOff} path) ${overlay.off.toFixed(2).padStart(7)} Gbit/s   ratio ${overlay.ratio.toFixed(3)}`);
    if (overlay.note !== null) console.log(`  ${overlay.note}`);
  } else console.log(`VXLAN gateway benchmark skipped: ${overlaySkip}`);
  if (latency !== null) for (const line of latencyBenchLines(latency)) console.log(line);
  else console.log(`latency benchmarks skipped: ${latencySkip}`);
  if (impaired !== null) printImpaired(impaired, options.impairedMb, options.impairedMaxSeconds);
  else console.log(`impaired-path benchmarks skipped: ${impairedSkip}`);
  if (memory !== null) for (const line of memoryBenchLines(memory)) console.log(line);
  else console.log(`memory benchmark skipped: ${memorySkip}`);
}

function printImpaired(r: ImpairedResult, mb: number, maxSeconds: number): void {
  console.log(`\nTCP through the network emulator (tsndis.bridge + tsndis.impairment between two TAPs; 1 % duplication, 2 % reordering, 0.2 % corruption, 2 ms each way; ${mb} MB per transfer, at most ${maxSeconds} s)`);
  let profile = '';
  for (const row of r.rows) {
    if (row.profile !== profile) {
      profile = row.profile;
      console.log(`${profile} (ping rtt ${r.rttMs[profile]?.toFixed(2) ?? '?'} ms without loss)`);
    }
    if (row.repeat > 0 && r.rows[r.rows.indexOf(row) - 1]?.repeat !== row.repeat) {
      console.log(`  repeat ${row.repeat + 1}`);
    }
    if (!row.available) {
      console.log(`  ${row.name.padEnd(38)} ${row.reason ?? 'not available'}`);
      continue;
    }
    const extra = [row.rwndLimitedPercent === null ? '' : `rwnd-limited ${row.rwndLimitedPercent.toFixed(1)} %`, row.dsackDups === null ? '' : `D-SACKs ${row.dsackDups}`, row.capped ? `capped at ${maxSeconds} s` : ''].filter((x) => x !== '');
    console.log(`  ${row.name.padEnd(38)} ${row.mbitPerSecond.toFixed(1).padStart(7)} Mbit/s   retransmitted ${String(row.retransSegs).padStart(6)} (${row.retransPercent.toFixed(2).padStart(5)} %)   RTOs ${String(row.rtos).padStart(3)}${extra.length > 0 ? `   ${extra.join(', ')}` : ''}`);
  }
  const fmt = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(2));
  for (const q of r.ratios) console.log(`${q.profile}: ${q.name}: ${fmt(q.value)}${q.values.length > 1 ? ` (median of ${q.values.map(fmt).join(', ')})` : ''} (target ${q.target})`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
