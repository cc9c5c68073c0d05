/**
 * `npm run bench -- --json`: every row says how many processors its stacks ran on (`processors`: two for
 * the receive-across-processors and virtual-wire-on-2-processors rows, one for every other). A short run (tiny measurements, no TCP, impaired or memory section)
 * so it stays quick; bounded by a kill after 120 s.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BENCH = join(ROOT, 'dist', 'bench', 'main.js');

test('npm run bench -- --json: every row carries processors (2 for the two-processor rows, 1 for the others)', { timeout: 150_000 }, async () => {
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  const args = [BENCH, '--json', '--seconds', '0.05', '--repeats', '1', '--no-tcp', '--no-impaired', '--no-memory'];
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`bench failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
  const report = JSON.parse(out) as { rows: { name: string; processors: number }[]; tcp: unknown[]; stream: unknown[] };
  assert.ok(report.rows.length >= 3, 'at least the three virtual-wire rows');
  // The receive-across-processors and virtual-wire-on-2-processors rows run on two; every other row on one.
  const two = (name: string) => name.startsWith('receive across processors') || name.startsWith('virtual wire on 2 processors');
  for (const r of report.rows) assert.equal(r.processors, two(r.name) ? 2 : 1, r.name);
  assert.equal(report.rows.filter((r) => r.processors === 2).length, 2, 'both two-processor rows are there');
  assert.deepEqual([report.tcp, report.stream], [[], []], 'left out here; their rows get the field the same way');
});
