/**
 * The built `tsndis` command run as a user runs it, in child processes, every one bounded in time: a
 * command run to its end (`tsndis`), and `tsndis up --control <socket>` running in the background until
 * it is stopped (`upChild`, `stopChild`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlRequest } from '../../src/cli/control.js';

/** The repository root (tests run from dist/test/<dir>/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The compiled CLI entry point. */
export const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tsndis <args>` from the repository root to its end; resolves with its exit code and output.
 * A run still going after `timeoutMs` is killed and rejects (so does one that could not start).
 */
export function runTsndis(args: readonly string[], timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: ROOT, timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') reject(err);
      else resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
  });
}

/** `tsndis <args>` with the 30 s limit. */
export function tsndis(...args: string[]): Promise<CliRun> {
  return runTsndis(args);
}

/**
 * `tsndis up --config <config> --control <sock>` as a child (stopping by itself after `durationSeconds`);
 * resolves once it answers a status request on `sock`, or kills it and rejects after about 10 s.
 */
export async function upChild(config: string, sock: string, durationSeconds = 30): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, 'up', '--config', config, '--control', sock, '--duration', String(durationSeconds), '--status-interval', '60'], { cwd: ROOT, stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if (existsSync(sock) && lstatSync(sock).isSocket()) {
      const r = await controlRequest(sock, { op: 'status' }, 2000).catch(() => null);
      if (r?.ok === true) return child;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`tsndis up did not serve ${sock}`);
}

/** Sends `signal` to `child` (unless it has exited) and resolves with its exit code. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}
