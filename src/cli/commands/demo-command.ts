/**
 * `tsndis demo [--json] [--no-verifier] [--frames <n>] [--timeout <seconds>]`: runs the demo in ../demo.ts, loaded lazily so
 * the other commands never pay for it. The specifier is a variable so the compiler does not need the
 * module to exist; when it is missing the command says so.
 */
import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK } from '../exit.js';
import { numberOption, POSITIVE_SECONDS } from '../options.js';

export interface DemoOptions {
  json: boolean;
  verifier: boolean;
  frames: number;
  /** Seconds the traffic may take; when they run out the demo stops early and does not report OK. */
  timeout: number;
}

/** Relative to this file (dist/src/cli/commands/). */
const DEMO_MODULE = '../demo.js';

export async function runDemoCommand(options: DemoOptions, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const specifier: string = DEMO_MODULE;
  const url = new URL(specifier, import.meta.url);
  let mod: { runDemo?: unknown };
  try {
    mod = (await import(specifier)) as { runDemo?: unknown };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && e instanceof Error && e.message.includes(url.pathname)) {
      stderr.write(`error: the demo is not part of this build (${url.pathname} does not exist)\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
  if (typeof mod.runDemo !== 'function') {
    stderr.write(`error: ${url.pathname} does not export runDemo(options)\n`);
    return EXIT_FAILURE;
  }
  const result: unknown = await (mod.runDemo as (o: { json: boolean; verifier: boolean; frames: number; timeoutMs: number }) => unknown)({ json: options.json, verifier: options.verifier, frames: options.frames, timeoutMs: Math.round(options.timeout * 1000) });
  return typeof result === 'number' ? result : EXIT_OK;
}

export function registerDemoCommand(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('demo')
    .description('run the two-host demo: frames through filters over a virtual wire, then a summary')
    .option('--json', 'print the summary as JSON', false)
    .option('--no-verifier', 'run with the verifier off')
    .option('--frames <n>', 'frames to send each way', numberOption({ integer: true, min: 1, max: 100_000_000 }), 2000)
    .option('--timeout <seconds>', 'stop sending after this long; the run then counts as incomplete (exit 1)', numberOption(POSITIVE_SECONDS), 20)
    .action((opts: DemoOptions) => run(() => runDemoCommand(opts)));
}
