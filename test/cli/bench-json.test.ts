/**
 * `npm run bench -- --json`: every row says how many processors its stacks ran on (`processors`: two for
 * the receive-across-processors row, one for every other). A short run (tiny measurements, no TCP, impaired or memory section)
 * so it stays quick; bounded by a kill after 120 s.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BENCH = join(ROOT, 'dist', 'bench', 'main.js');

test('npm run bench -- --json: every row carries processors (2 for the cross-processor row, 1 for the others)', { timeout: 150_000 }, async () => {
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
  // The receive-across-processors row runs on two; every other row on one.
  for (const r of report.rows) assert.equal(r.processors, r.name.startsWith('receive across processors') ? 2 : 1, r.name);
  assert.ok(report.rows.some((r) => r.processors === 2), 'the two-processor row is there');
  assert.deepEqual([report.tcp, report.stream], [[], []], 'left out here; their rows get the field the same way');
});
