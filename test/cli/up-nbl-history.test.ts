/**
 * `tsndis up --nbl-history`: runs with NBL history on (violations print with the NBL's history); without
 * the verifier it is a usage error (exit 2, one `error:` line) before anything starts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CONFIG = join(ROOT, 'examples', 'two-hosts.yaml');

function tsndis(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: ROOT, timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown }) | null;
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, stdout, stderr });
    });
  });
}

test('tsndis up --nbl-history --no-verifier is refused with exit 2', { timeout: 40_000 }, async () => {
  const r = await tsndis('up', '--config', CONFIG, '--nbl-history', '--no-verifier', '--duration', '0.2');
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim(), 'error: --nbl-history needs the verifier (drop --no-verifier)');
  assert.equal(r.stdout, '');
});

test('tsndis up --nbl-history runs and stops cleanly with no violation printed', { timeout: 40_000 }, async () => {
  const r = await tsndis('up', '--config', CONFIG, '--nbl-history', '--duration', '0.3');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /violation:/);
  assert.match(r.stdout, /violations 0/);
});
