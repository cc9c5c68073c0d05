/**
 * Memory per connection over a real TAP (bench/memory-child.ts in a child node process with
 * --expose-gc, so the test runner's heap does not count): Linux echo clients in a namespace moving data
 * concurrently, then idle established connections. Asserts that memory comes back — RSS after every
 * connection closed (and the pool's idle time) within 1.3× the idle baseline, ring memory 0 — and a
 * per-connection footprint far below the 2 MiB of rings each connection used to reserve up front.
 * Needs root, /dev/net/tun, ip and python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryBenchSkipReason, runMemoryBench } from '../../bench/memory.js';

test('memory over TAP: 300 echo connections return their memory; an idle established connection costs < 64 KiB', { timeout: 300_000 }, async (t) => {
  const skip = memoryBenchSkipReason();
  if (skip !== null) {
    t.skip(skip);
    return;
  }
  const r = await runMemoryBench(300, 300_000, 2000, 240_000);
  t.diagnostic(JSON.stringify(r));
  assert.equal(r.echo.ok, 300, 'every connection echoed byte-exact');
  assert.ok(r.echo.ringBytesPeak > 0);
  assert.equal(r.echo.ringBytesAfter, 0, 'every ring went back');
  assert.equal(r.echo.ringPoolBytesAfter, 0, 'and the pool went back to the system');
  assert.ok(r.echo.rssAfterClose <= 1.3 * r.rssIdle, `RSS after close ${String(r.echo.rssAfterClose)} vs idle ${String(r.rssIdle)}`);
  assert.equal(r.idle.connected, 2000);
  assert.equal(r.idle.ringBytes, 0, 'idle connections hold no ring memory');
  assert.ok(r.idle.bytesPerConnection < 64 * 1024, `${String(r.idle.bytesPerConnection)} bytes per idle connection`);
});
