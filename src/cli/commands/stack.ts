/**
 * `tsndis stack show --config <file> [--json] [--no-verifier]`: builds the stacks a config describes,
 * prints the inspector's tree (or JSON), and shuts everything down again.
 */
import type { Command } from 'commander';
import { buildStacks, loadStackConfig } from '../../config/index.js';
import { renderJson, renderText, snapshotRuntime } from '../../inspect/index.js';
import { EXIT_OK } from '../exit.js';

export interface StackShowOptions {
  config: string;
  json: boolean;
  verifier: boolean;
}

export async function stackShow(options: StackShowOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const description = await loadStackConfig(options.config);
  const stacks = await buildStacks(description, options.verifier ? {} : { verifier: false });
  try {
    const snapshots = [...stacks.hosts.values()].map((h) => snapshotRuntime(h.runtime));
    stdout.write(options.json ? renderJson(snapshots) : renderText(snapshots));
  } finally {
    await stacks.shutdown();
  }
  return EXIT_OK;
}

export function registerStackCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const stack = program.command('stack').description('build and inspect stacks described by a YAML config');
  stack
    .command('show')
    .description('build the stacks, print their tree (bindings → filters → miniport), shut down')
    .requiredOption('-c, --config <file>', 'stack config (YAML)')
    .option('--json', 'print the inspector model as JSON', false)
    .option('--no-verifier', 'run with the verifier off (overrides the config)')
    .action((opts: StackShowOptions) => run(() => stackShow(opts)));
}
