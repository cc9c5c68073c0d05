/**
 * A flood of conflicting ARP frames (another node claiming our IPv4 address, 1000 times) is counted
 * frame by frame, but the warning reaches the logger a bounded number of times: the runtime's log path
 * rate-limits it, and when the interval ends one line says how many were suppressed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settle } from '../../src/core/time/scheduler.js';
import { DEFAULT_LOG_LIMIT } from '../../src/core/runtime/log-limit.js';
import { finish, ipHost, MAC_A, pump, releaseWire, sniffer, wireName } from './helpers.js';

/** An ARP request from 02:00:00:00:ff:01 saying it is 198.18.0.1 (A's address), asking for .99. */
function conflictingArp(): Uint8Array {
  const f = new Uint8Array(60);
  f.fill(0xff, 0, 6);
  f.set([2, 0, 0, 0, 0xff, 1], 6);
  f.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1], 12);
  f.set([2, 0, 0, 0, 0xff, 1], 22);
  f.set([198, 18, 0, 1], 28);
  f.set([198, 18, 0, 99], 38);
  return f;
}

test('1000 ARP frames claiming our address: every one counted, at most burst warnings, then one "suppressed" line', async () => {
  const wire = wireName('arpflood');
  const logs: string[] = [];
  const a = await ipHost('A', [{ wire, mac: MAC_A, keywords: { IPAddress: ['198.18.0.1/24'] } }], {}, logs);
  const s = await sniffer(wire);
  try {
    const ep = s.raw.endpoint('eth0');
    const frame = conflictingArp();
    let sent = 0;
    for (let tries = 0; sent < 1000 && tries < 100_000; tries++) {
      if (ep.send(frame)) sent++;
      else await settle();
      if (sent % 50 === 0) await pump([a], 1, 1);
    }
    await pump([a], 100);
    assert.equal(sent, 1000);
    assert.equal(a.ip.stack.counters.arp.addressConflicts, 1000, 'every conflicting frame is counted');
    const warnings = logs.filter((l) => l.includes('claims our address 198.18.0.1'));
    assert.equal(warnings.length, DEFAULT_LOG_LIMIT.burst);
    assert.match(warnings[0]!, /^warn A\/eth0\S*: ARP: 02:00:00:00:ff:01 claims our address 198\.18\.0\.1$/);
    await pump([a], DEFAULT_LOG_LIMIT.intervalMs, 500);
    const summary = logs.filter((l) => l.includes('suppressed'));
    assert.equal(summary.length, 1, logs.join('\n'));
    assert.match(summary[0]!, new RegExp(`^warn (A/eth0\\S*): suppressed ${1000 - DEFAULT_LOG_LIMIT.burst} similar messages from \\1$`));
    assert.equal(a.rt.logCounters.suppressed, 1000 - DEFAULT_LOG_LIMIT.burst);
  } finally {
    await s.rt.shutdown();
    await finish(a);
    releaseWire(wire);
  }
});
