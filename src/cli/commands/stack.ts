/**
 * `tsndis stack show --config <file> [--json] [--no-verifier] [--processors n]`: builds the stacks a config describes,
 * prints the inspector's tree (or JSON), and shuts everything down again.
 * `tsndis stack show --attach <socket> [--host h] [--json]`: prints the live tree of a running
 * `tsndis up --control <socket>` (the control channel's {op:"stack"}), counters as they are now.
 */
import type { Command } from 'commander';
import { buildStacks, loadStackConfig } from '../../config/index.js';
import { renderJson, renderText, snapshotRuntime, type RuntimeSnapshot } from '../../inspect/index.js';
import { controlRequest } from '../control.js';
import { EXIT_OK, usageError } from '../exit.js';
import { PROCESSORS, PROCESSORS_HELP, numberOption } from '../options.js';

export interface StackShowOptions {
  config?: string;
  attach?: string;
  host?: string;
  json: boolean;
  verifier: boolean;
  /** Overrides every host's `processors:` (with --config). */
  processors?: number;
}

export async function stackShow(options: StackShowOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  if ((options.config === undefined) === (options.attach === undefined)) {
    throw usageError('give exactly one of --config <file> (build the stacks here) or --attach <socket> (a running tsndis up)');
  }
  if (options.attach !== undefined) {
    const r = await controlRequest(options.attach, options.host === undefined ? { op: 'stack' } : { op: 'stack', host: options.host });
    if (!r.ok) throw new Error(r.error);
    const snapshots = r['hosts'] as RuntimeSnapshot[];
    stdout.write(options.json ? renderJson(snapshots) : renderText(snapshots));
    return EXIT_OK;
  }
  const description = await loadStackConfig(options.config!);
  const stacks = await buildStacks(description, { ...(options.verifier ? {} : { verifier: false }), ...(options.processors === undefined ? {} : { processors: options.processors }) });
  try {
    const snapshots = [...stacks.hosts]
      .filter(([name]) => options.host === undefined || name === options.host)
      .map(([, h]) => snapshotRuntime(h.runtime));
    if (snapshots.length === 0) throw usageError(`no host '${options.host ?? ''}' in ${options.config!}`);
    stdout.write(options.json ? renderJson(snapshots) : renderText(snapshots));
  } finally {
    await stacks.shutdown();
  }
  return EXIT_OK;
}

export function registerStackCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const stack = program.command('stack').description('build and inspect stacks described by a YAML config, or a running one');
  stack
    .command('show')
    .description('print the stack tree (bindings → filters → miniport) of a config (built, shown, shut down) or of a running tsndis up')
    .option('-c, --config <file>', 'stack config (YAML): build the stacks, print, shut down')
    .option('--attach <socket>', 'the control socket of a running `tsndis up`: print its live tree')
    .option('--host <name>', 'only this host')
    .option('--json', 'print the inspector model as JSON', false)
    .option('--no-verifier', 'run with the verifier off (overrides the config; with --config)')
    .option('--processors <n>', `${PROCESSORS_HELP} (with --config)`, numberOption(PROCESSORS))
    .action((opts: StackShowOptions) => run(() => stackShow(opts)));
}
