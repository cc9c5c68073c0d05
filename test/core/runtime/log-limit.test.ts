/**
 * The runtime's log path is rate-limited (runtime.log → LogRateLimiter), on the runtime clock: per
 * (level, source, message) at most `burst` messages per interval, per (level, source) at most
 * `perSource`; the rest are counted and summed up in one "suppressed K similar messages from <source>"
 * line per source when the interval ends. A manual clock drives every case.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NdisRuntime, type LogLevel } from '../../../src/core/runtime/runtime.js';
import { DEFAULT_LOG_LIMIT } from '../../../src/core/runtime/log-limit.js';
import { snapshotRuntime } from '../../../src/inspect/index.js';

function host(limit?: { burst: number; perSource: number; intervalMs: number }) {
  const lines: string[] = [];
  const rt = NdisRuntime.forTest({ name: 'h', verifier: { enabled: false }, logger: (level, source, message) => lines.push(`${level} ${source}: ${message}`), ...(limit === undefined ? {} : { logLimit: limit }) });
  return { rt, lines };
}

test('a flood of one message: burst lines, then one summary when the interval ends; counted', async () => {
  const { rt, lines } = host({ burst: 3, perSource: 100, intervalMs: 1000 });
  for (let i = 0; i < 500; i++) rt.log('warn', 'h/eth0', 'same thing again');
  assert.deepEqual(lines, ['warn h/eth0: same thing again', 'warn h/eth0: same thing again', 'warn h/eth0: same thing again']);
  assert.deepEqual({ ...rt.logCounters }, { logged: 3, suppressed: 497 });
  rt.scheduler.advance(999);
  assert.equal(lines.length, 3, 'nothing before the interval ends');
  rt.scheduler.advance(1);
  assert.deepEqual(lines.slice(3), ['warn h/eth0: suppressed 497 similar messages from h/eth0']);
  // A new interval: the message gets through again.
  rt.log('warn', 'h/eth0', 'same thing again');
  assert.equal(lines.length, 5);
  assert.equal(rt.scheduler.pendingTimers, 0, 'no timer while nothing is suppressed');
  await rt.shutdown();
});

test('distinct messages from one source are bounded by perSource; other sources and levels keep their own budget', async () => {
  const { rt, lines } = host({ burst: 5, perSource: 10, intervalMs: 1000 });
  for (let i = 0; i < 200; i++) rt.log('warn', 'h/eth0/tsndis.tcpip', `ARP: 02-00-00-00-00-${(i % 256).toString(16)} claims our address`);
  rt.log('warn', 'h/eth1', 'another source');
  rt.log('error', 'h/eth0/tsndis.tcpip', 'an error still gets through');
  assert.equal(lines.filter((l) => l.includes('claims')).length, 10);
  assert.ok(lines.includes('warn h/eth1: another source'));
  assert.ok(lines.includes('error h/eth0/tsndis.tcpip: an error still gets through'));
  rt.scheduler.advance(1000);
  assert.equal(lines.at(-1), 'warn h/eth0/tsndis.tcpip: suppressed 190 similar messages from h/eth0/tsndis.tcpip');
  const snap = snapshotRuntime(rt);
  assert.deepEqual(snap.log, { logged: 12, suppressed: 190 });
  await rt.shutdown();
});

test('shutdown reports what is still suppressed and leaves no timer', async () => {
  const { rt, lines } = host();
  for (let i = 0; i < DEFAULT_LOG_LIMIT.burst + 7; i++) rt.log('error', 'h/x', 'boom');
  assert.equal(rt.scheduler.pendingTimers, 1);
  await rt.shutdown();
  assert.equal(lines.at(-1), 'error h/x: suppressed 7 similar messages from h/x');
  assert.equal(rt.scheduler.pendingTimers, 0);
});

test('property: any interval holds at most 2 × perSource lines per (level, source); every message is logged or counted in a summary', async () => {
  const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ dt: fc.integer({ min: 0, max: 300 }), level: fc.constantFrom(...levels), source: fc.constantFrom('a', 'b'), msg: fc.integer({ min: 0, max: 4 }) }), { maxLength: 200 }),
      async (events) => {
        const limit = { burst: 2, perSource: 4, intervalMs: 1000 };
        const { rt, lines } = host(limit);
        const seen: { t: number; line: string }[] = [];
        let pushed = 0;
        for (const e of events) {
          rt.scheduler.advance(e.dt);
          rt.log(e.level, e.source, `m${e.msg}`);
          for (; pushed < lines.length; pushed++) seen.push({ t: rt.scheduler.now(), line: lines[pushed]! });
        }
        await rt.shutdown();
        for (; pushed < lines.length; pushed++) seen.push({ t: rt.scheduler.now(), line: lines[pushed]! });
        const suppressedSum = seen.reduce((n, s) => n + Number(/suppressed (\d+) similar/.exec(s.line)?.[1] ?? 0), 0);
        assert.equal(rt.logCounters.logged + rt.logCounters.suppressed, events.length);
        assert.equal(suppressedSum, rt.logCounters.suppressed, 'every suppressed message is in a summary');
        // Windows are fixed, so any interval overlaps at most two of them.
        for (const s of seen) {
          const key = s.line.slice(0, s.line.indexOf(':'));
          const within = seen.filter((o) => o.line.startsWith(`${key}:`) && o.t >= s.t && o.t < s.t + limit.intervalMs && !o.line.includes('suppressed'));
          assert.ok(within.length <= 2 * limit.perSource, `${key}: ${within.length} lines within one interval`);
        }
      },
    ),
    { numRuns: 60 },
  );
});
