/**
 * `tsndis capture`: records the frames of an adapter to pcapng with the tsndis.capture filter.
 *
 *   tsndis capture --config stack.yaml --adapter hostA/eth0 -w out [--duration 10]
 *       builds the stacks of a config, attaches the capture filter to the adapter, runs until the
 *       duration ends or Ctrl-C, then shuts down (which flushes and closes the file).
 *   tsndis capture --attach /tmp/tsndis.sock --adapter hostA/eth0 -w out [--duration 10]
 *       attaches the capture filter to a stack a running `tsndis up --control /tmp/tsndis.sock` serves,
 *       and detaches it at the end — under traffic, with the runtime's pause/attach/restart sequence.
 *       The control connection stays open for the capture's lifetime and the attach is tied to it, so a
 *       capture that is killed is detached by the server (its file flushed and closed) all the same.
 *   tsndis capture --attach /tmp/tsndis.sock --drops -w drops.pcapng [--duration 10]
 *       records the frames every module of every host drops instead (pktmon's drop capture): each
 *       packet's comment names the reason and the module (drops-ops.ts). No --adapter.
 */
import { Option, type Command } from 'commander';
import { buildStacks, loadStackConfig } from '../../config/index.js';
import { RuntimeOperationError } from '../../errors.js';
import { checkAdapterOption, ControlClient, expectOk, handleControl, type ControlResponse } from '../control.js';
import { EXIT_FAILURE, EXIT_OK, usageError } from '../exit.js';
import { DURATION, numberOption } from '../options.js';

export interface CaptureOptions {
  config?: string;
  attach?: string;
  /** Required unless `drops`. */
  adapter?: string;
  /** Record dropped frames (every host, every module) instead of an adapter's traffic. */
  drops?: boolean;
  /** The pcapng file (`-w, --output`, as tcpdump -w and get -o). */
  output?: string;
  /** The former name of `output` (`-f, --file`, still accepted). */
  file?: string;
  duration: number;
  verifier: boolean;
  /** 'miniport' (default): record once, directly above the miniport; 'all': at every module. */
  points?: 'miniport' | 'all';
}

/** Resolves 'stopped' when the duration ends or a signal comes, 'lost' if `lost` settles first. */
function untilStopped(seconds: number, signals: NodeJS.EventEmitter, lost: Promise<void> = new Promise(() => {})): Promise<'stopped' | 'lost'> {
  return new Promise((resolve) => {
    const t = seconds > 0 ? setTimeout(stop, seconds * 1000) : null;
    function end(how: 'stopped' | 'lost'): void {
      if (t !== null) clearTimeout(t);
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      resolve(how);
    }
    function stop(): void {
      end('stopped');
    }
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
    void lost.then(() => end('lost'));
  });
}

export async function capture(o: CaptureOptions, out: NodeJS.WritableStream = process.stdout, signals: NodeJS.EventEmitter = process): Promise<number> {
  if ((o.config === undefined) === (o.attach === undefined)) {
    throw new RuntimeOperationError('give exactly one of --config <file> (build the stacks here) or --attach <socket> (a running tsndis up)');
  }
  if (o.output !== undefined && o.file !== undefined && o.output !== o.file) throw usageError('give the output file once (--output, or its former name --file)');
  const output = o.output ?? o.file;
  if (output === undefined) throw usageError("required option '-w, --output <path>' not specified");
  if (o.drops === true) return captureDrops(o, output, out, signals);
  if (o.adapter === undefined) throw usageError("required option '-a, --adapter <host/adapter>' not specified (or --drops)");
  const adapter = o.adapter;
  const points = o.points ?? 'miniport';
  const attach = { op: 'attach-filter' as const, adapter, driver: 'tsndis.capture', keywords: { File: output, Points: points } };
  const started = (r: ControlResponse & { ok: true }): string =>
    `capturing ${o.adapter} to ${output} ${points === 'all' ? `at every point (${String((r['modules'] as string[]).length)} module(s))` : 'above the miniport'}; ${o.duration > 0 ? `${o.duration} s` : 'Ctrl-C to stop'}\n`;
  const detach = { op: 'detach-filter' as const, adapter, driver: 'tsndis.capture' };
  if (o.attach !== undefined) {
    const client = await ControlClient.connect(o.attach);
    try {
      checkAdapterOption(adapter, await client.request({ op: 'status' }));
      const r = expectOk(await client.request({ ...attach, untilClose: true }));
      out.write(started(r));
      if ((await untilStopped(o.duration, signals, client.closed)) === 'lost') {
        throw new RuntimeOperationError(`${o.attach}: the running tsndis closed the control connection; the capture ended`);
      }
      expectOk(await client.request(detach));
    } finally {
      client.close();
    }
    out.write('capture stopped\n');
    return EXIT_OK;
  }
  const stacks = await buildStacks(await loadStackConfig(o.config!), o.verifier ? {} : { verifier: false });
  try {
    checkAdapterOption(adapter, await handleControl(stacks, { op: 'status' }));
    const r = expectOk(await handleControl(stacks, attach));
    out.write(started(r));
    await untilStopped(o.duration, signals);
    expectOk(await handleControl(stacks, detach));
  } finally {
    await stacks.shutdown();
  }
  out.write('capture stopped\n');
  return EXIT_OK;
}

/** `capture --drops`: the drop capture of every host, to `output`, until the duration ends or a signal. */
async function captureDrops(o: CaptureOptions, output: string, out: NodeJS.WritableStream, signals: NodeJS.EventEmitter): Promise<number> {
  if (o.adapter !== undefined) throw usageError('--drops records the drops of every adapter: give no --adapter');
  const start = { op: 'drop-capture' as const, action: 'start' as const, file: output };
  const stop = { op: 'drop-capture' as const, action: 'stop' as const };
  const started = (r: ControlResponse & { ok: true }): string =>
    `capturing dropped frames of ${(r['hosts'] as string[]).join(', ')} to ${output}; ${o.duration > 0 ? `${o.duration} s` : 'Ctrl-C to stop'}\n`;
  const stopped = (r: ControlResponse & { ok: true }): string => `drop capture stopped: ${String(r['frames'])} frame(s)${r['lost'] === 0 ? '' : `, ${String(r['lost'])} lost (queue full)`}\n`;
  if (o.attach !== undefined) {
    const client = await ControlClient.connect(o.attach);
    try {
      out.write(started(expectOk(await client.request({ ...start, untilClose: true }))));
      if ((await untilStopped(o.duration, signals, client.closed)) === 'lost') {
        throw new RuntimeOperationError(`${o.attach}: the running tsndis closed the control connection; the capture ended`);
      }
      out.write(stopped(expectOk(await client.request(stop))));
    } finally {
      client.close();
    }
    return EXIT_OK;
  }
  const stacks = await buildStacks(await loadStackConfig(o.config!), o.verifier ? {} : { verifier: false });
  try {
    out.write(started(expectOk(await handleControl(stacks, start))));
    await untilStopped(o.duration, signals);
    out.write(stopped(expectOk(await handleControl(stacks, stop))));
  } finally {
    await stacks.shutdown();
  }
  return EXIT_OK;
}

export function registerCaptureCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('capture')
    .description('record an adapter\'s frames (both directions), or with --drops the dropped frames, to pcapng, in a configured or a running stack')
    .option('-c, --config <file>', 'build the stacks of this config and capture there')
    .option('--attach <socket>', 'capture in a running `tsndis up --control <socket>`')
    .option('-a, --adapter <host/adapter>', 'adapter to capture, e.g. hostA/eth0 (required unless --drops)')
    .option('--drops', 'record the frames every module drops instead, each with its reason and module in the packet comment', false)
    .option('-w, --output <path>', 'pcapng file to write, as tcpdump -w (rotated as <path>.1.pcapng, …)')
    .addOption(new Option('-f, --file <path>', 'the former name of --output').hideHelp())
    .option('--duration <seconds>', 'stop after this many seconds (0 = until Ctrl-C)', numberOption(DURATION), 0)
    .option('--no-verifier', 'run with the verifier off (with --config)')
    .addOption(new Option('--points <where>', "where to record: 'miniport' = once, directly above the miniport; 'all' = at every filter module (one pcapng interface each)").choices(['miniport', 'all']).default('miniport'))
    .action((opts: CaptureOptions) => run(async () => ((await capture(opts)) === EXIT_OK ? EXIT_OK : EXIT_FAILURE)));
}
