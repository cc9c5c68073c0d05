/**
 * tsndis.bridge as a network emulator between two Linux namespaces (test/support/emulator.ts):
 *
 *   [netns A] ═ TAP ═ tsndis.bridge ─ [tsndis.impairment] ═ TAP ═ [netns B]
 *
 * Linux A pings Linux B and sends it bulk TCP data (python3 source → sink, SHA-256 on both ends),
 * through a clean bridge and through the acceptance's impairment profile (3 % loss, 1 % duplication,
 * 2 % reordering, 0.2 % corruption, 2 ms each way), where the transfer must still be byte-exact and the
 * filter's counters show that every kind of impairment happened. Real time, verifier on. Needs root,
 * /dev/net/tun, ip, ping and python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tcpSink, tcpSource } from '../support/linux-peer.js';
import { interopSkipReason } from '../support/netns.js';
import { ACCEPTANCE_PROFILE, Emulator } from '../support/emulator.js';

const skip = interopSkipReason('ping', 'python3');
if (skip !== null) console.log(`# skipping the bridge interop tests: ${skip}`);

function pingStats(out: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m !== null, `unexpected ping output: ${out}`);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

test('bridge interop: two namespaces on two TAPs reach each other through tsndis.bridge (ping, byte-exact TCP both ways)', { skip: skip ?? false }, async () => {
  const emu = await Emulator.create({ subnet: '198.18.131', profile: null, verifier: true });
  try {
    const ping = pingStats(await emu.nsA.run('ping', ['-c', '5', '-i', '0.05', '-W', '2', emu.addrB]));
    assert.deepEqual(ping, { sent: 5, received: 5 });
    for (const [from, to, toAddr] of [
      [emu.nsA, emu.nsB, emu.addrB],
      [emu.nsB, emu.nsA, emu.addrA],
    ] as const) {
      const sink = await tcpSink(to, toAddr, 5301, 60);
      const sent = await tcpSource(from, toAddr, 5301, 8_000_000, 11, 60);
      const got = await sink.done;
      assert.equal(got.bytes, 8_000_000);
      assert.equal(got.sha256, sent.sha256, 'byte-exact');
    }
    const [t] = emu.bridge.totals();
    assert.ok(t !== undefined);
    assert.equal(t.ports, 2);
    assert.equal(t.entries, 2, 'both kernels’ addresses learned');
    assert.ok(t.forwarded > 10_000, `forwarded ${t.forwarded}`);
    assert.equal(t.dropped, 0, JSON.stringify(t.droppedBy));
    const rt = emu.stacks.host('emu').runtime;
    assert.deepEqual(rt.verifier.violations.map((v) => v.message), []);
  } finally {
    await emu.destroy();
  }
});

test('bridge interop: through the impairment profile a TCP transfer between the namespaces is still byte-exact', { skip: skip ?? false }, async () => {
  const emu = await Emulator.create({ subnet: '198.18.132', profile: ACCEPTANCE_PROFILE, verifier: true });
  try {
    const ping = pingStats(await emu.nsA.run('ping', ['-c', '20', '-i', '0.02', '-W', '2', emu.addrB]));
    assert.ok(ping.received >= 10, `ping through 3 % loss each way: ${ping.received}/20`);
    const sink = await tcpSink(emu.nsB, emu.addrB, 5302, 90);
    const sent = await tcpSource(emu.nsA, emu.addrB, 5302, 4_000_000, 12, 90);
    const got = await sink.done;
    assert.equal(got.bytes, 4_000_000);
    assert.equal(got.sha256, sent.sha256, 'byte-exact under loss, duplication, reordering and corruption');
    const f = emu.impairment;
    assert.ok(f !== null);
    const send = f.stats('send').totals;
    const receive = f.stats('receive').totals;
    for (const [name, s] of [
      ['send', send],
      ['receive', receive],
    ] as const) {
      assert.ok(s.droppedRandom > 0, `${name}: frames lost`);
      assert.ok(s.duplicated > 0, `${name}: frames duplicated`);
      assert.ok(s.reordered > 0, `${name}: frames reordered`);
      assert.ok(s.delayed > 0, `${name}: frames delayed`);
    }
    assert.ok(send.corrupted > 0, 'data frames corrupted (and the transfer survived it)');
    assert.equal(send.copyFailed + receive.copyFailed, 0, 'every frame was wire-sized (no offload super-frames)');
    const rt = emu.stacks.host('emu').runtime;
    assert.deepEqual(rt.verifier.violations.map((v) => v.message), []);
  } finally {
    await emu.destroy();
  }
});
