/**
 * Admission under a SYN flood over a real TAP (RFC 4987), as a user would see it:
 *
 *   tsndis.tcpip (listener) ─ tsndis.tap ═ TAP ═ [netns: python3 AF_PACKET flood + a Linux client]
 *
 * Tens of thousands of SYNs from thousands of spoofed sources — on-link in the TAP's /20 (tsndis must
 * ARP for each to answer) and off-link behind the namespace's gateway — while a real Linux client
 * connects again and again: every handshake completes on the client's first SYN, i.e. within the 1 s
 * after which Linux would send it again (TCP_INFO's retransmission count stays 0), through SYN cookies once the half-open
 * budget is full of spoofed entries; the cookie connections carry the client's window scale and SACK
 * (checked against the client's TCP_INFO) and echo data byte-exact; the neighbour cache stays bounded
 * and keeps the real client; the counters reach netstat. Needs root, /dev/net/tun, ip and python3.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TcpConnection, TcpListener } from '../../src/drivers/protocol/tcpip/tcp/index.js';
import { NeighborState } from '../../src/drivers/protocol/tcpip/neighbor.js';
import { parseIpAddress } from '../../src/drivers/protocol/tcpip/addr.js';
import { assertClean } from '../support/hosts.js';
import { interopSkipReason } from '../support/netns.js';
import { synFlood, timedConnects } from '../support/syn-flood.js';
import { TapTcpIpHost } from '../support/tap-tcpip-host.js';

const OUR_MAC = '02:00:00:00:5f:02';
const KERNEL_MAC = '02:00:00:00:5f:01';
const PORT = 7007;
const CONNECTS = 10;
const ECHO_BYTES = 256 * 1024;

/** An echo server on the engine's own API: whatever arrives goes back; EOF closes. */
function echo(conn: TcpConnection): void {
  const buf = new Uint8Array(64 * 1024);
  const pump = (): void => {
    for (;;) {
      const n = Math.min(conn.readableLength, conn.writableLength, buf.length);
      if (n === 0) break;
      const got = conn.receive(buf, 0, n);
      conn.send(buf, 0, got);
    }
    if (conn.remoteClosed && conn.readableLength === 0) conn.close();
  };
  conn.events = { onReadable: pump, onWritable: pump };
  pump();
}

test('syn flood interop: a real Linux client completes every handshake on its first SYN (within 1 s) through SYN cookies while spoofed SYNs flood the listener', { timeout: 120_000 }, async (t) => {
  const reason = interopSkipReason('python3');
  if (reason !== null) {
    t.skip(reason);
    return;
  }
  const n = 16 * (1 + (process.pid % 14));
  const subnet = `198.18.${String(n)}`;
  const host = await TapTcpIpHost.create({
    name: 'synFlood',
    tapKind: 'tsf',
    ourMac: OUR_MAC,
    kernelMac: KERNEL_MAC,
    subnet,
    prefixLength: 20,
    // Off-link sources answer through the namespace (which does not forward: the SYN-ACKs die there).
    ipKeywords: { Routes: [`198.19.0.0/16 via ${subnet}.1`] },
  });
  let listener: TcpListener | null = null;
  try {
    const tcp = host.ip.tcp;
    const accepted: TcpConnection[] = [];
    listener = tcp.listen({ family: 4, address: new Uint8Array(4), port: PORT }, {}, {
      onConnection: (c) => {
        accepted.push(c);
        echo(c);
      },
    });
    const l = listener;
    // The TAP's queue towards tsndis is its receive ring: 20 000 frames (like a NIC's 4 096-descriptor
    // ring at 10× the rate) ride out a stall of this process on a loaded machine instead of dropping
    // whatever arrives meanwhile — the client's SYN included — which would test the scheduler, not
    // admission.
    host.ns.ip('link', 'set', 'dev', host.tap, 'txqueuelen', '20000');
    const flood = synFlood(host.ns, {
      ifname: host.tap,
      dstMac: OUR_MAC,
      dstAddress: host.ours[4],
      dstPort: PORT,
      prefixes: [`${subnet}.0/20`, '198.19.0.0/16'],
      sourcesPerPrefix: 3000,
      count: 24_000,
      packetsPerSecond: 3000,
      maxSeconds: 15,
      seed: 20250610,
    });
    // The client starts a second into the flood, when the half-open budget is full of spoofed entries
    // (they hold it for 7 s at least: SYN-ACKs at 0, 1 and 3 s); its connects end well within the flood.
    const budget = tcp.config.maxHalfOpenPerListener;
    let fullest = 0;
    const sampler = setInterval(() => (fullest = Math.max(fullest, l.halfOpenCount)), 50);
    const [client, flooded] = await Promise.all([timedConnects(host.ns, host.ours[4], PORT, { count: CONNECTS, timeoutS: 3, pauseS: 0.25, delayS: 1, echoBytes: ECHO_BYTES }), flood]);
    clearInterval(sampler);
    const c = tcp.counters;
    t.diagnostic(`flood: ${String(flooded.sent)} SYNs from ${String(flooded.sources)} sources in ${flooded.seconds.toFixed(1)} s, ${String(host.ip.stack.counters.link.framesIn)} frames reached tsndis; handshakes ${client.times.map((x) => (x === null ? 'failed' : `${(x * 1000).toFixed(1)} ms`)).join(', ')}`);
    t.diagnostic(`tcp: cookies sent ${String(c.synCookiesSent)}, accepted ${String(c.synCookiesAccepted)}, rejected ${String(c.synCookiesRejected)}; half-open ${String(tcp.halfOpenCount)}, listenOverflow ${String(c.listenOverflow)}`);

    // Every handshake completed on the client's first SYN: Linux retransmits a SYN after 1 s, so none
    // sent again means each was answered within that second. (Read from the client's TCP_INFO rather
    // than its clock, which a loaded machine can stall longer than tsndis takes to answer.)
    const first = accepted[0];
    const echoState = first === undefined ? 'none accepted' : `${first.state}, readable ${String(first.readableLength)}, writable ${String(first.writableLength)}, unacked ${String(first.info().unacked)}`;
    assert.deepEqual(client.errors, [], `frames in ${String(host.ip.stack.counters.link.framesIn)}, echo connection: ${echoState}, tap: ${host.ns.ip('-s', 'link', 'show', host.tap)}`);
    assert.equal(client.times.filter((x) => x !== null).length, CONNECTS);
    assert.ok(flooded.sent >= 20_000, `the flood sent ${String(flooded.sent)} SYNs`);
    assert.ok(c.synCookiesSent >= 10_000, 'SYN cookies answered the flood beyond the half-open budget');
    assert.equal(fullest, budget, 'the flood filled the half-open budget');
    // While the budget is full every client connection comes back through a cookie; a connect that
    // raced a slot freed by an expiring spoofed entry may take that slot instead.
    assert.ok(c.synCookiesAccepted >= CONNECTS / 2, `cookie connections: ${String(c.synCookiesAccepted)} of ${String(CONNECTS)}`);
    assert.equal(c.synCookiesRejected, 0);
    assert.equal(c.listenOverflow, 0);
    assert.ok(tcp.halfOpenCount <= budget);
    // Nothing grows with the flood: the table holds the half-open budget and the client's connections.
    assert.ok(tcp.connectionCount <= budget + CONNECTS, `${String(tcp.connectionCount)} connections in the table`);
    assert.equal(c.internalErrors, 0);
    // The cookie connections carry what the client offered (TCP_INFO: 1 timestamps, 2 SACK, 4 wscale).
    assert.equal(accepted.length, CONNECTS);
    assert.equal(client.info.length, CONNECTS);
    for (let i = 0; i < CONNECTS; i++) {
      const server = accepted[i]!.info();
      const linux = client.info[i]!;
      assert.equal(linux.totalRetrans, 0, `connect ${String(i)}: the SYN was sent again (not answered within 1 s)`);
      assert.equal(linux.options & 7, 7, 'Linux negotiated timestamps, SACK and window scaling');
      assert.equal(server.tsEnabled, true);
      assert.equal(server.sackEnabled, true);
      assert.deepEqual(server.wscale, { send: linux.rcvWscale, receive: linux.sndWscale });
    }
    assert.equal(client.echoed, ECHO_BYTES, 'a cookie connection echoed 256 KB byte-exact (scaled windows)');

    // Neighbour resolution stayed bounded and kept the real peer.
    const iface = host.ip.interface('eth0');
    const cache = iface.neighbors4;
    const nc = host.ip.stack.counters.neighbor;
    t.diagnostic(`neighbour: ${String(cache.size)} entries (${String(cache.incompleteCount)} incomplete, ${String(cache.queuedPackets)} packets held); started ${String(nc.resolutionsStarted)}, rate-limited ${String(nc.solicitRateLimited)}, incomplete evicted ${String(nc.incompleteEvicted)}, total-queue drops ${String(nc.queueTotalOverflow)}`);
    assert.ok(cache.incompleteCount <= 64);
    assert.ok(cache.queuedPackets <= 128);
    assert.ok(cache.size <= cache.capacity);
    assert.ok(nc.solicitRateLimited > 0, 'solicitations for spoofed sources were rate limited');
    const peer = cache.lookup4(parseIpAddress(host.theirs[4]).v4);
    assert.ok(peer !== null && peer.state !== NeighborState.Incomplete, 'the real client stays resolved');
    // Everything reaches netstat.
    const ns = host.ip.netstat() as { tcpEngine: Record<string, number>; neighbor: Record<string, number> };
    assert.equal(ns.tcpEngine['synCookiesSent'], c.synCookiesSent);
    assert.equal(ns.tcpEngine['synCookiesAccepted'], CONNECTS);
    assert.equal(ns.neighbor['solicitRateLimited'], nc.solicitRateLimited);
  } finally {
    listener?.close();
    await host.destroy();
  }
  assertClean(host.rt);
});
