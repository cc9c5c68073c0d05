#!/usr/bin/env node
/**
 * The `tsndis` command line. Thin on purpose: each command lives in commands/, this file only wires
 * them into commander and turns outcomes into exit codes (exit.ts): 0 ok, 1 failure, 2 bad config or
 * CLI misuse. Errors print one line, `error: <message>`, on stderr.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerStackCommand } from './commands/stack.js';
import { registerUpCommand } from './commands/up.js';
import { registerEmulateCommand } from './commands/emulate.js';
import { registerCaptureCommand } from './commands/capture.js';
import { registerFilterCommand } from './commands/filter.js';
import { registerGetCommand } from './commands/get.js';
import { registerPingCommand } from './commands/ping.js';
import { registerNetstatCommand } from './commands/netstat.js';
import { registerOidCommand } from './commands/oid.js';
import { registerAdapterCommand } from './commands/adapter.js';
import { registerPropertyCommand } from './commands/property.js';
import { registerLbfoCommand } from './commands/lbfo.js';
import { registerInspectCommand } from './commands/inspect.js';
import { registerDropsCommand } from './commands/drops.js';
import { registerVerifyCommand } from './commands/verify.js';
import { packageVersion, registerVersionCommand } from './commands/version.js';
import { EXIT_OK, EXIT_USAGE, reportError } from './exit.js';

export function createProgram(): { program: Command; exitCode: () => number } {
  let exitCode = EXIT_OK;
  const run = async (action: () => Promise<number>): Promise<void> => {
    try {
      exitCode = await action();
    } catch (e) {
      exitCode = reportError(e);
    }
  };
  const program = new Command('tsndis')
    .description('the Windows NDIS 6 driver architecture, in TypeScript')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStackCommand(program, run);
  registerUpCommand(program, run);
  registerEmulateCommand(program, run);
  registerCaptureCommand(program, run);
  registerFilterCommand(program, run);
  registerPingCommand(program, run);
  registerGetCommand(program, run);
  registerNetstatCommand(program, run);
  registerOidCommand(program, run);
  registerAdapterCommand(program, run);
  registerPropertyCommand(program, run);
  registerLbfoCommand(program, run);
  registerInspectCommand(program, run);
  registerDropsCommand(program, run);
  registerVerifyCommand(program, run);
  registerDemoCommand(program, run);
  registerVersionCommand(program, run);
  return { program, exitCode: () => exitCode };
}

/** Runs the CLI with `argv` (user arguments only) and resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const { program, exitCode } = createProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version output are successes; everything else commander rejects is misuse.
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    return reportError(e);
  }
  return exitCode();
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // `tsndis stack show … | head`: a closed pipe ends the output, not the process with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  process.exitCode = await main(process.argv.slice(2));
}
