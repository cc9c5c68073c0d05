/**
 * Memory per connection over a TAP (the `memory` section of `npm run bench`): bench/memory-child.ts in
 * a child node process with --expose-gc, so only the stack's memory is measured. Reports RSS of the
 * idle stack, its peak while `connections` Linux clients echo `bytes` each concurrently, RSS once they
 * have all closed (ratio to the idle baseline), and RSS per idle established connection.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { which } from '../test/support/netns.js';
import type { MemoryChildResult } from './memory-child.js';

export type MemoryBenchResult = MemoryChildResult;

export function memoryBenchSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) for TAP devices and network namespaces';
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  for (const t of ['ip', 'python3']) if (!which(t)) return `needs the '${t}' command`;
  return null;
}

/** Runs the measurement in a child process (bounded by `timeoutMs`); rejects with its stderr on failure. */
export function runMemoryBench(connections = 1000, bytes = 1_000_000, idle = 10_000, timeoutMs = 600_000): Promise<MemoryBenchResult> {
  const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(new URL('./memory-child.js', import.meta.url)), String(connections), String(bytes), String(idle)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as MemoryBenchResult);
      else reject(new Error(`memory bench exited ${String(code)}: ${err.trim() || out.trim()}`));
    });
  });
}

const MB = 1 << 20;

/** The human-readable lines of the section. */
export function memoryBenchLines(r: MemoryBenchResult): string[] {
  const e = r.echo;
  const i = r.idle;
  return [
    `memory: ${e.connections} concurrent echo connections from Linux over a TAP, ${(e.bytes / 1e6).toFixed(1)} MB each (${e.ok} byte-exact, ${e.seconds.toFixed(1)} s)`,
    `  RSS idle ${(r.rssIdle / MB).toFixed(1)} MiB   peak ${(e.rssPeak / MB).toFixed(1)} MiB   after all closed ${(e.rssAfterClose / MB).toFixed(1)} MiB (${(e.rssAfterClose / r.rssIdle).toFixed(2)}× idle)   ring memory peak ${(e.ringBytesPeak / MB).toFixed(1)} MiB`,
    `memory: ${i.connected} idle established connections`,
    `  RSS ${(i.rssBefore / MB).toFixed(1)} → ${(i.rssWith / MB).toFixed(1)} MiB: ${(i.bytesPerConnection / 1024).toFixed(1)} KiB per connection (V8 heap ${(i.heapBytesPerConnection / 1024).toFixed(1)} KiB), ring memory ${String(i.ringBytes)} bytes`,
  ];
}
