/**
 * tsndis's TCP as an endpoint on the emulated path (test/support/emulator.ts), the path the impaired-path
 * benchmark measures:
 *
 *   [netns A] ═ TAP ═ tsndis.bridge ─ [tsndis.impairment] ═ TAP ═ [netns B]
 *                          └─ virtual wire ─ tsndis.tcpip (<subnet>.3)
 *
 * Through the acceptance's profile (3 % loss, 1 % duplication, 2 % reordering, 0.2 % corruption, 2 ms
 * each way), a tsndis sender with each congestion control (CUBIC, NewReno, BBRv3 `bbr`, BBRv1 `bbr1`)
 * moves data to Linux B byte-exact (SHA-256 of what the python3 sink received against what was sent),
 * and Linux B (BBR, set on its route) sends to tsndis byte-exact, with the tsndis host on the emulator's
 * thread and on a worker thread of its own (its wire joined to the bridge's by a wire link). Needs root, /dev/net/tun, ip and python3; skips with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WskConnectionSocket } from '../../src/drivers/protocol/tcpip/index.js';
import { ACCEPTANCE_PROFILE, Emulator } from '../support/emulator.js';
import { tcpSink, tcpSource } from '../support/linux-peer.js';
import { interopSkipReason } from '../support/netns.js';
import { sha, pattern } from '../support/pattern.js';

const skip = interopSkipReason('python3');
if (skip !== null) console.log(`# skipping the emulator TCP interop tests: ${skip}`);

const BYTES = 2_000_000;

let subnet = 140;
for (const congestion of ['cubic', 'newreno', 'bbr', 'bbr1'] as const) {
  const net = `198.18.${String(subnet++)}`;
  test(`emulator interop: tsndis/${congestion} → Linux through the impairment profile, byte-exact`, { skip: skip ?? false, timeout: 120_000 }, async () => {
    const emu = await Emulator.create({ subnet: net, profile: ACCEPTANCE_PROFILE, tsndis: { TcpCongestion: congestion } });
    try {
      const data = pattern(BYTES, 41);
      const sink = await tcpSink(emu.nsB, emu.addrB, 5401, 90);
      let sent = 0;
      let ended = false;
      const pump = (s: WskConnectionSocket): void => {
        while (sent < data.length) {
          const n = s.trySend(data, sent, data.length - sent);
          if (n === 0) return;
          sent += n;
        }
        if (!ended) {
          ended = true;
          void s.disconnect();
        }
      };
      const sock = await emu.tsndis.sockets.connect({ address: emu.addrB, port: 5401 }, {}, { sendBacklogEvent: (s) => pump(s) });
      assert.equal(sock.connection?.info().congestion, congestion);
      pump(sock);
      const got = await sink.done;
      await sock.close();
      assert.equal(got.bytes, BYTES);
      assert.equal(got.sha256, sha(data), 'byte-exact through loss, duplication, reordering and corruption');
      const c = emu.tsndis.tcp.counters;
      assert.ok(c.retransSegs > 0, 'losses were repaired');
      assert.equal(c.internalErrors, 0);
      assert.ok(emu.impairment !== null && emu.impairment.stats('send').totals.droppedRandom > 0, 'the profile dropped frames');
    } finally {
      await emu.destroy();
    }
  });
}

test('emulator interop: Linux/BBR → tsndis through the impairment profile, byte-exact', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const emu = await Emulator.create({ subnet: `198.18.${String(subnet++)}`, profile: ACCEPTANCE_PROFILE, tsndis: {} });
  try {
    emu.congestion(emu.nsB, 'bbr');
    const chunks: Uint8Array[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const buf = new Uint8Array(1 << 16);
    const ls = emu.tsndis.sockets.createListenSocket(4, {
      acceptEvent: (_l, s) => {
        const drain = (sock: WskConnectionSocket): void => {
          for (let n = sock.tryReceive(buf); n > 0; n = sock.tryReceive(buf)) chunks.push(buf.slice(0, n));
        };
        s.dispatch = {
          receiveEvent: drain,
          disconnectEvent: (sock) => {
            drain(sock);
            done();
            void sock.close();
          },
        };
        drain(s);
      },
    });
    ls.bind({ address: emu.addrTsndis, port: 5402 });
    ls.listen();
    try {
      const sent = await tcpSource(emu.nsB, emu.addrTsndis, 5402, BYTES, 43, 90);
      await finished;
      const got = Buffer.concat(chunks);
      assert.equal(got.length, BYTES);
      assert.equal(sha(got), sent.sha256, 'byte-exact through loss, duplication, reordering and corruption');
      const c = emu.tsndis.tcp.counters;
      assert.ok(c.outOfOrderSegments > 0 && c.dsacksSent > 0, `out of order ${String(c.outOfOrderSegments)}, D-SACKs ${String(c.dsacksSent)}`);
      assert.equal(c.assemblerFull, 0);
    } finally {
      await ls.close();
    }
  } finally {
    await emu.destroy();
  }
});

test('emulator interop: Linux/BBR → tsndis on a thread of its own (a wire link to the bridge), byte-exact', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const emu = await Emulator.create({ subnet: `198.18.${String(subnet++)}`, profile: ACCEPTANCE_PROFILE, tsndis: {}, tsndisThread: true });
  try {
    emu.congestion(emu.nsB, 'bbr');
    const thread = emu.thread!;
    const { result } = await thread.sink(emu.addrTsndis, 5403, 100_000, true);
    const sent = await tcpSource(emu.nsB, emu.addrTsndis, 5403, BYTES, 44, 90);
    const r = await result;
    assert.equal(r.bytes, BYTES);
    assert.equal(r.sha256, sent.sha256, 'byte-exact through loss, duplication, reordering and corruption');
    assert.ok(r.tcp.outOfOrderSegments! > 0, 'the profile reordered or lost segments on the way to the thread');
    // Every frame crossed the link in both directions, and the link dropped none.
    const here = thread.linkCounters;
    const there = (await thread.counters()).link;
    assert.ok(here.framesOut! > BYTES / 1500 && there.framesOut! > 0);
    assert.equal(here.ringFull, 0);
    assert.equal(there.ringFull, 0);
  } finally {
    await emu.destroy();
  }
});
